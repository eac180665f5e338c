"""The README's table of ``ganzoo run`` options, made from their declarations.

Each training option is declared once, on its ``TrainConfig`` field (``ganzoo/core/config.py``);
the other arguments of ``ganzoo run`` in ``ganzoo/cli/run.py``. The README holds the table
between ``<!-- options:start -->`` and ``<!-- options:end -->``; ``tests/core/test_options.py``
fails when it is out of date.

    python scripts/options_table.py            # print the table
    python scripts/options_table.py --write    # put it into README.md
    python scripts/options_table.py --check    # exit 1 if README.md's table is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganzoo.cli.run import options_table

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- options:start -->", "<!-- options:end -->"


def readme_table(text: str) -> str:
    """The table between the markers of ``text``."""
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} markers")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def with_table(text: str, table: str) -> str:
    """``text`` with the table between its markers replaced by ``table``."""
    head, rest = text.split(START, 1)
    return f"{head}{START}\n{table}{END}{rest.split(END, 1)[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the table in README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if README.md's table differs")
    args = parser.parse_args()
    table = options_table()
    if not (args.write or args.check):
        sys.stdout.write(table)
        return 0
    text = README.read_text(encoding="utf-8")
    if args.check:
        if readme_table(text) != table:
            print("README.md's option table is out of date: run python scripts/options_table.py --write", file=sys.stderr)
            return 1
        return 0
    readme_table(text)  # the markers are there
    README.write_text(with_table(text, table), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
