"""The ``ganzoo`` command: the parser, assembled from one module per command group, and ``main()``.

``list``/``info``/``plugins`` live in :mod:`ganzoo.cli.catalog`, ``run`` in
:mod:`ganzoo.cli.run` (its ``--nproc`` launcher in :mod:`ganzoo.cli.launch`), ``sample`` in
:mod:`ganzoo.cli.sample`, ``eval`` in :mod:`ganzoo.cli.evaluate`. Building the parser imports
all of them and never torch, so ``list``, ``info``, ``plugins`` and ``--help`` stay torch-free.
User mistakes print one line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ganzoo._version import __version__
from ganzoo.cli import catalog, evaluate, run, sample
from ganzoo.cli.output import positive_int
from ganzoo.errors import GanzooError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ganzoo", description="A plugin-based GAN model zoo for PyTorch.")
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="CPU threads torch may use (default: torch's choice; 1 is often fastest on a busy machine)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    catalog.add_parsers(sub)
    run.add_parser(sub)
    sample.add_parser(sub)
    evaluate.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `run --nproc N` re-runs the same command
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read by torch when it is first imported
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(args.threads)
    try:
        return args.func(args)
    except GanzooError as exc:
        if args.debug:
            raise
        print(f"ganzoo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ganzoo: interrupted", file=sys.stderr)
        return 130
