"""The ``ganzoo`` command: the parser, assembled from one module per command group, and ``main()``.

``list``/``info``/``plugins`` live in :mod:`ganzoo.cli.catalog`, ``run`` in
:mod:`ganzoo.cli.run` (its ``--nproc`` launcher in :mod:`ganzoo.cli.launch`), ``sample`` in
:mod:`ganzoo.cli.sample`, ``eval`` in :mod:`ganzoo.cli.evaluate` (:mod:`ganzoo.cli.commands`
says which). A command's parser comes from its module; the others are listed by name and help
only, so a command imports just its own module, and never torch for ``list``, ``info``,
``plugins`` and ``--help``.
User mistakes print one line and exit 2; a failure of the system (a full disk, a read-only place:
any ``OSError`` that reached this far) one line naming the path and why, exit 1. ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module
from typing import Sequence

from ganzoo._version import __version__
from ganzoo.cli.commands import COMMANDS, command_in, help_of
from ganzoo.cli.output import positive_int
from ganzoo.errors import GanzooError, os_reason


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the command it names gets its full arguments (start-up)."""
    parser = _Parser(prog="ganzoo", description="A plugin-based GAN model zoo for PyTorch.")
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="CPU threads torch may use (default: $OMP_NUM_THREADS, else the CPUs this process may use "
                             "(affinity, cgroup quota) less the load average, at least 1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = command_in(list(argv)) if argv is not None else None
    if argv is None:  # the whole parser (tests, docs)
        full = {module for module, _ in COMMANDS.values()}
    else:  # the named command's module; none for `ganzoo --help` or a misspelled command
        full = {COMMANDS[named][0]} if named in COMMANDS else set()
    added: set[str] = set()
    for command, (module, _) in COMMANDS.items():
        if module in full and module not in added:  # the module adds all of its commands
            import_module(f"ganzoo.cli.{module}").add_parser(sub)
            added.add(module)
        elif module not in full:
            sub.add_parser(command, help=help_of(command))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}{_flag_suggestion(parser, args, unknown)}")
    args.argv = argv  # `run --nproc N` re-runs the same command
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if args.threads:
        os.environ["GANZOO_THREADS"] = str(args.threads)  # recorded in the weights: `zoo add` repeats it
    threads = args.threads or _default_threads(getattr(args, "nproc", None) or 1)
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)  # read by torch when it is first imported
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
        _set_wait_policy(threads)
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
    except OSError as exc:  # the safety net: the writes translate their own failures, with more context
        if args.debug:
            raise
        print(f"ganzoo: error: {_os_failure(exc)}", file=sys.stderr)
        return 1


def _default_threads(processes: int = 1) -> int | None:
    """The thread count ganzoo picks when neither ``--threads`` nor ``$OMP_NUM_THREADS`` does
    (:func:`ganzoo.io.cpus.default_threads`), shared among the ``processes`` that ``run --nproc``
    starts (they inherit it); None leaves torch's choice alone."""
    if os.environ.get("OMP_NUM_THREADS", "").strip():
        return None
    from ganzoo.io.cpus import default_threads

    return max(1, default_threads() // processes)


def _set_wait_policy(threads: int) -> None:
    """``OMP_WAIT_POLICY=PASSIVE`` for several threads on an overloaded machine
    (:func:`ganzoo.io.cpus.wait_policy`), unless the user set a policy; read when torch starts."""
    if os.environ.get("OMP_WAIT_POLICY", "").strip():
        return
    from ganzoo.io.cpus import wait_policy

    policy = wait_policy(threads)
    if policy:
        os.environ["OMP_WAIT_POLICY"] = policy


def _flag_suggestion(parser: argparse.ArgumentParser, args: argparse.Namespace, unknown: list[str]) -> str:
    """`` (did you mean '--batch-size'?)`` for the first unknown flag, among its command's flags."""
    flag = next((word.partition("=")[0] for word in unknown if word.startswith("--")), None)
    if flag is None:
        return ""
    from ganzoo.plugin.registry import suggest

    commands = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
    owner = commands.get(getattr(args, "command", None), parser)
    return suggest(flag, [s for action in owner._actions for s in action.option_strings if s.startswith("--")])


def _os_failure(exc: OSError) -> str:
    """``PATH: why`` (``A -> B: why`` for a rename), or why alone, on one line."""
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    return f"{paths}: {os_reason(exc)}" if paths else f"{os_reason(exc)} (`ganzoo --debug ...` shows where)"
