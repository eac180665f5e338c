"""``ganzoo cache list|clear``: the decoded-image cache (``$GANZOO_HOME/cache``), shown and cleared.

The listing reads each file's trailer, never its pixels (:mod:`ganzoo.data.decoded_cache`).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console, table


def add_parser(sub: Any) -> None:
    p = sub.add_parser("cache", help=help_of("cache"),
                       description="Image folders too big for memory are decoded once into $GANZOO_HOME/cache and "
                       "mapped by every later run of the same folder and settings. `list` shows the files; `clear` "
                       "deletes them (a run using one keeps reading it).")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="each cache file: its source folder, images, size on disk, last use")
    clear = actions.add_parser("clear", help="delete cache files (and leftovers of interrupted decodes)")
    clear.add_argument("--older-than", type=_days, default=None, metavar="DAYS",
                       help="only those last used more than DAYS days ago")
    p.set_defaults(func=cmd_cache)


def _days(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(text)
    return value


_days.__name__ = "number of days"


def cmd_cache(args: argparse.Namespace) -> int:
    from ganzoo.data.decoded_cache import cache_dir, clear_cache, human_size, list_cache

    if args.action == "clear":
        removed = clear_cache(args.older_than)
        freed = sum(f.size for f in removed)
        console().print(f"removed {len(removed)} file(s) from {cache_dir()}, {human_size(freed)} freed")
        return 0
    files = list_cache()
    if not files:
        console().print(f"the decoded-image cache ({cache_dir()}) is empty")
        return 0
    rows = [[f.source or "(interrupted or under way)", f.kind, f"{f.images:,}" if f.complete else "", human_size(f.size),
             _ago(f.last_used), f.path.name] for f in files]
    console().print(table(f"decoded-image cache: {cache_dir()}", ["source", "kind", "images", "size", "last used", "file"],
                          rows))
    console().print(f"{len(files)} file(s), {human_size(sum(f.size for f in files))} in all; "
                    "`ganzoo cache clear [--older-than DAYS]` deletes them")
    return 0


def _ago(when: float) -> str:
    seconds = max(0.0, time.time() - when)
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds / length:.0f} {unit} ago"
    return "just now"
