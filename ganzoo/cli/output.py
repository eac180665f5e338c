"""What the commands share: the console, tables and literal text, JSON output, argument types.

rich is imported inside these helpers rather than at the top: ``ganzoo --help`` never prints
with it, and importing it costs about 0.1 s of the start-up that ``benchmarks/cli_startup.py``
holds under 0.35 s. Everything else here is plain Python.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Sequence

from ganzoo.core.options import MAX_COUNT, Option


#: The width of a console that is not a terminal (a pipe, a file): wide enough that no table
#: folds a name, while rich would fold at 80 columns (``ganzoo list --pretrained | cat``).
PIPE_WIDTH = 1000


def console(stderr: bool = False) -> Any:
    """A rich console that does not colour numbers and paths on its own, reads no markup in text
    (a path or a name with ``[/]`` in it prints as it is; style goes in :func:`bold`), and keeps
    lines whole off a terminal (unless ``COLUMNS`` says how wide to be)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty()) and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, highlight=False, markup=False, width=PIPE_WIDTH if piped else None)


def bold(*parts: Any) -> Any:
    """Literal text with every other part bold: ``bold("training ", model, " on ", dataset)``."""
    from rich.text import Text

    return Text.assemble(*((str(part), "bold") if i % 2 else str(part) for i, part in enumerate(parts)))


def literal(value: Any, style: str = "") -> Any:
    """Plugin-provided text as literal text (``E[relu(...)]`` is not rich markup)."""
    from rich.text import Text

    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value), style=style)


def table(title: str | None, columns: Sequence[str], rows: list[Sequence[Any]]) -> Any:
    """A rich table of literal cells."""
    from rich.table import Table

    out = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*(literal(v) for v in row))
    return out


def print_card(title: str, rows: list[tuple[str, Any]]) -> None:
    """A two-column key/value table (``ganzoo info``)."""
    from rich.table import Table

    card = Table(title=title, show_header=False, title_justify="left")
    card.add_column(style="bold")
    card.add_column(overflow="fold")
    for row in rows:
        card.add_row(*map(literal, row))
    console().print(card)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def flag_type(declared: Option) -> Callable[[str], Any]:
    """An argparse type that reads a flag as the option's value and checks it as the config will
    (``--steps 0``: "expected a whole number >= 1, got 0"), so a bad flag fails at parse time."""

    def parse(text: str) -> Any:
        try:
            return declared.from_text(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


#: ``-n``, ``--nrow``, ``--threads``, ``--nproc``, ``--image-size``: whole numbers from 1 to
#: :data:`~ganzoo.core.options.MAX_COUNT` (a count or a size; a larger one would only exhaust memory).
positive_int = flag_type(Option(help="", kind="whole", minimum=1, maximum=MAX_COUNT))
