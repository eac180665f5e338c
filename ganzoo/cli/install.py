"""``ganzoo install`` / ``ganzoo uninstall``: add or remove plugin distributions with pip.

The rules (ganzoo's whole installed requirement closure pinned; conflicts refused in one line) live in
:mod:`ganzoo.plugin.install`; this module passes a few pip options through, shows pip's progress
on stderr and then what ``ganzoo plugins`` says about the plugins that came or went.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console


def add_parser(sub: Any) -> None:
    """The ``install`` and ``uninstall`` sub-commands."""
    p = sub.add_parser("install", help=help_of("install"),
                       description="pip install plugin distributions into this Python, with ganzoo and everything it "
                       "requires (torch, torchvision, pluggy, ... as installed) pinned to their installed versions: a "
                       "plugin that needs other versions of them is refused and nothing changes.")
    p.add_argument("requirements", nargs="*", metavar="DIST", help="what pip installs: a name, NAME==VERSION, a folder, a wheel")
    p.add_argument("-e", "--editable", action="append", default=[], metavar="PATH",
                   help="install the plugin in this folder in editable mode (for plugin authors)")
    p.add_argument("-U", "--upgrade", action="store_true", help="upgrade the named distributions (the pins still hold)")
    p.add_argument("--no-index", action="store_true", help="pip: use no package index (with --find-links)")
    p.add_argument("-f", "--find-links", action="append", default=[], metavar="URL_OR_DIR",
                   help="pip: look for distributions here too")
    p.add_argument("-i", "--index-url", metavar="URL", help="pip: the package index to use")
    p.add_argument("--no-build-isolation", action="store_true",
                   help="pip: build source folders with the build tools installed here (offline)")
    p.set_defaults(func=cmd_install)
    p = sub.add_parser("uninstall", help=help_of("uninstall"),
                       description="pip uninstall plugin distributions (never ganzoo, torch or torchvision).")
    p.add_argument("dists", nargs="+", metavar="DIST", help="an installed plugin distribution")
    p.set_defaults(func=cmd_uninstall)


def pip_options(args: argparse.Namespace) -> list[str]:
    """The pip options ``ganzoo install``'s flags stand for."""
    options = [f"--editable={path}" for path in args.editable]
    options += ["--upgrade"] * args.upgrade + ["--no-index"] * args.no_index
    options += ["--no-build-isolation"] * args.no_build_isolation
    options += [f"--find-links={where}" for where in args.find_links]
    return options + ([f"--index-url={args.index_url}"] if args.index_url else [])


def _progress(line: str) -> None:
    print(f"  pip: {line.strip()}", file=sys.stderr, flush=True)


def cmd_install(args: argparse.Namespace) -> int:
    from ganzoo.errors import InstallError
    from ganzoo.plugin.install import pins, pip_install

    if not args.requirements and not args.editable:
        raise InstallError("name what to install: ganzoo install DIST (a name, a folder or a wheel), or -e FOLDER")
    pinned = pins()
    print(f"ganzoo: pip install with ganzoo's stack pinned ({', '.join(pinned[:3])}"
          f"{f' and {len(pinned) - 3} more' if len(pinned) > 3 else ''})", file=sys.stderr, flush=True)
    changed = pip_install(args.requirements, pip_options(args), echo=_progress)
    if not changed:
        console().print("nothing new was installed (the requirements were satisfied already)")
    for dist in changed:
        console().print(f"installed {dist.name} {dist.version}"
                        + ("" if dist.plugins else " (it holds no ganzoo plugin)"))
    _show_plugins({dist.name for dist in changed if dist.plugins})
    return 0


def _show_plugins(distributions: set[str]) -> None:
    """``ganzoo plugins``' rows for the plugins of ``distributions``, found afresh."""
    if not distributions:
        return
    from ganzoo.cli.catalog import plugins_table
    from ganzoo.plugin import discovery

    discovery.reset()  # discovery ran before the install, if at all
    infos = [i for i in discovery.plugin_infos() if i.distribution in distributions]
    console().print(plugins_table(infos))
    if any(i.status == "skipped" for i in infos):
        console().print("skipped: GANZOO_LOAD_PLUGINS does not name its distribution (add it to load the plugin)")


def cmd_uninstall(args: argparse.Namespace) -> int:
    from ganzoo.plugin.install import pip_uninstall

    for dist in pip_uninstall(args.dists, echo=_progress):
        console().print(f"uninstalled {dist.name} {dist.version} (plugins: {', '.join(dist.plugins)})")
    return 0
