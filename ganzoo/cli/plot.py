"""``ganzoo plot RUN_DIR [RUN_DIR ...] -o report.png``: how runs went, in one picture.

Thin over :func:`ganzoo.report.figure.plot_runs`; matplotlib (``ganzoo[plot]``) and torch are
imported only when the command runs, so ``ganzoo --help`` starts without them.
"""

from __future__ import annotations

import argparse
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plot", help=help_of("plot"),
                       description="Loss curves (raw and smoothed), images/s, evaluation metrics, sample grids over time and "
                       "the discriminator's outputs on real vs generated images, from what the runs recorded; several "
                       "runs are overlaid. Needs matplotlib: pip install 'ganzoo[plot]'.")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders (as `ganzoo run` made them)")
    p.add_argument("-o", "--output", default="report.png", help="PNG file to write (default report.png)")
    p.add_argument("--smoothing", type=_weight, default=0.8, metavar="W",
                   help="how far the loss curves' smoothing reaches: the weight of a neighbour one log line away, on "
                        "either side, in [0, 1) (default 0.8; 0: none); the smoothed curve does not lag")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.set_defaults(func=cmd_plot)


def _weight(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise ValueError(text)
    return value


_weight.__name__ = "weight in [0, 1)"  # argparse's "invalid ... value" names it


def cmd_plot(args: argparse.Namespace) -> int:
    from ganzoo.report.figure import plot_runs

    path = plot_runs(args.run_dirs, args.output, smoothing=args.smoothing, force=args.force)
    runs = len(args.run_dirs)
    console().print(f"wrote {path} ({runs} run{'s' * (runs != 1)})")
    return 0
