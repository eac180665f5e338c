"""The code a reader copies from README.md and docs/*.md: fenced blocks, the shell commands in
them (and in inline code), as the docs tests read them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import REPO

#: Every page a reader follows.
DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"(?<!`)`((?:\.venv/bin/)?ganzoo [^`]+)`(?!`)")
SHELL = ("console", "bash", "sh", "shell")
OPTIONAL = re.compile(r"(?<!\S)\[[^\]]*\](?!\S)")  # `[--private]`, `[--branch dev]`: shown as optional


@dataclass(frozen=True)
class Block:
    """A fenced code block: its page, language, first line number (of its body) and text."""

    doc: Path
    lang: str
    line: int
    body: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


@dataclass(frozen=True)
class Command:
    """One shell command (``&&`` splits a line into several), its words without comments."""

    doc: Path
    line: int
    words: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"

    @property
    def text(self) -> str:
        return shlex.join(self.words)


def code_blocks(doc: Path, *languages: str) -> list[Block]:
    text = doc.read_text(encoding="utf-8")
    found = [Block(doc, m.group(1), text.count("\n", 0, m.start(2)) + 1, m.group(2)) for m in FENCE.finditer(text)]
    return [b for b in found if not languages or b.lang in languages]


def shell_commands(block: Block) -> list[Command]:
    """The commands of a ``console`` block (lines after ``$ ``; the others are output) or of a
    ``bash`` block (every line); ``\\`` continues a line, ``[--flag]`` marks an optional flag."""
    commands: list[Command] = []
    lines = block.body.splitlines()
    i = 0
    while i < len(lines):
        start, line = i, lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i].strip()
        i += 1
        if block.lang == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        words = shlex.split(OPTIONAL.sub(" ", line), comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            commands.append(Command(block.doc, block.line + start, piped_from(words[:cut])))
            words = words[cut + 1:]
    return [c for c in commands if c.words]


def inline_commands(doc: Path) -> list[Command]:
    """``ganzoo ...`` spans of a page's prose and tables (fenced blocks left out)."""
    text = doc.read_text(encoding="utf-8")
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    for m in INLINE.finditer(prose):
        text = OPTIONAL.sub(" ", m.group(1).replace("\\|", "|"))
        try:
            words = shlex.split(text)
        except ValueError:  # an unbalanced quote in prose
            words = text.split()
        found.append(Command(doc, prose.count("\n", 0, m.start()) + 1, piped_from(words)))
    return found


def piped_from(words: list[str]) -> tuple[str, ...]:
    """The first command of a pipeline (``ganzoo list --pretrained | cat``)."""
    return tuple(words[:words.index("|")] if "|" in words else words)


def ganzoo_argv(command: Command) -> list[str] | None:
    """The arguments a command gives ganzoo (``ganzoo``, ``.venv/bin/ganzoo``, ``python -m ganzoo``,
    ``torchrun ... -m ganzoo``), or None when it runs something else."""
    words = list(command.words)
    if words and words[0].endswith("ganzoo") and words[0].rpartition("/")[2] == "ganzoo":
        return words[1:]
    if "-m" in words and words[words.index("-m") + 1:words.index("-m") + 2] == ["ganzoo"] \
            and words[0].rpartition("/")[2] in ("python", "python3", "torchrun"):
        return words[words.index("-m") + 2:]
    return None
