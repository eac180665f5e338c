from ganzoo.cli.main import main

raise SystemExit(main())
