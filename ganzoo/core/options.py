"""One declaration per user-settable training option: its help, default, check and flag.

A ``TrainConfig`` field declared with :func:`option` is a training option: its help text, the
check of its value and whether it has a ``ganzoo run`` flag live in the field's metadata, and
everything else is derived from there (``TrainConfig.validate``, ``TRAIN_KEYS``, the CLI's
flags and their argument types, the option table in the README). Adding an option is adding
one field. Torch-free: the CLI builds its parser from these declarations.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import math

from ganzoo.errors import ConfigError
from ganzoo.plugin.registry import suggest

#: The largest count a command-line number may give (``-n``, ``--nrow``, ``--image-size``,
#: ``--threads``, ``--nproc``): a 4096 x 4096 image or a grid of 4096 samples still fits in
#: memory, and no machine runs more processes or threads than that.
MAX_COUNT = 4096

#: What a value of each kind is, as error messages say it.
NOUNS = {"whole": "a whole number", "number": "a number", "text": "text", "switch": "true or false", "value": "a value"}
KINDS = {bool: "switch", int: "whole", float: "number", str: "text"}


class Option(NamedTuple):  # a NamedTuple, not a frozen dataclass: 4 ms less CLI start-up
    """A training option, as declared on its ``TrainConfig`` field (``name`` is the field's)."""

    help: str
    #: ``whole``, ``number``, ``text``, ``switch`` (true/false) or ``value`` (anything, checked by ``valid``).
    kind: str
    default: Any = None
    #: Inclusive lower bound of a whole number or number.
    minimum: float | None = None
    #: Inclusive upper bound (sizes whose memory grows with the value: batch size, sample counts).
    maximum: float | None = None
    #: Strictly positive (learning rates).
    positive: bool = False
    #: The only values allowed (``adam``, ``rmsprop``).
    choices: tuple[str, ...] = ()
    #: ``None`` is allowed and means "not set" (``lr_d``: the same as ``lr``).
    optional: bool = False
    #: A check of its own, and what it requires as messages say it ("0 (off) or a decay ...").
    valid: Callable[[Any], bool] | None = None
    requirement: str = ""
    #: What a value is, for a flag that does not even parse ("a decay such as 0.999"); default: the kind's noun.
    noun: str = ""
    #: Whether ``ganzoo run`` has a flag for it (the rest are set with ``--set KEY=VALUE``).
    flag: bool = True
    metavar: str | None = None
    #: The default as the option table shows it, where the value alone would mislead.
    shown_default: str | None = None
    #: A resumed run may change it (``ganzoo run --resume RUN_DIR --steps N``).
    resumable: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        """How messages and flags name it: ``batch-size``."""
        return self.name.replace("_", "-")

    @property
    def flag_name(self) -> str:
        return f"--{self.label}"

    @property
    def must(self) -> str:
        """What a value must be, or "" when anything goes: ``a whole number >= 1``."""
        if self.requirement:
            return self.requirement
        if self.positive:
            return f"a positive {'whole ' * (self.kind == 'whole')}number"
        if self.minimum is not None:
            return f"{NOUNS[self.kind]} >= {_shown(self.minimum)}"
        if self.kind in ("switch", "text"):
            return NOUNS[self.kind]
        if self.kind == "number":
            return "a finite number"
        return NOUNS["whole"] if self.kind == "whole" else ""

    def must_for(self, value: Any) -> str:
        """:attr:`must`, with the whole accepted range for a value above the maximum."""
        if self.maximum is not None and _is_number(value) and value > self.maximum:
            if self.minimum is None:
                return f"{NOUNS[self.kind]} <= {_shown(self.maximum)}"
            return f"{NOUNS[self.kind]} from {_shown(self.minimum)} to {_shown(self.maximum)}"
        return self.must

    def allows(self, value: Any) -> bool:
        """Whether ``value`` passes this option's check (choices aside): of its kind, finite,
        within its bounds."""
        if value is None and self.optional:
            return True
        if self.valid is not None:
            try:
                return bool(self.valid(value))
            except (TypeError, ValueError):
                return False
        if self.kind == "switch":
            return isinstance(value, bool)
        if self.kind == "text":
            return isinstance(value, str)
        if self.kind not in ("whole", "number"):
            return True
        if not _is_number(value) or (self.kind == "whole" and not isinstance(value, int)):
            return False
        if self.maximum is not None and value > self.maximum:
            return False
        if self.positive:
            return value > 0
        return self.minimum is None or value >= self.minimum

    def check(self, value: Any) -> None:
        """Raise :class:`ConfigError`, naming the option, for a value it does not allow."""
        if self.choices:
            if value not in self.choices:
                raise ConfigError(f"unknown {self.label} {value!r}{suggest(str(value), list(self.choices))}; "
                                  f"use {', '.join(self.choices)}")
            return
        if not self.allows(value):
            shown = list(value) if isinstance(value, tuple) else value
            raise ConfigError(f"{self.label} must be {self.must_for(value)}, got {shown!r}")

    def from_text(self, text: str) -> Any:
        """A flag's text as a value (a ``ValueError`` that says what was expected if it is not one)."""
        try:
            value: Any = int(text) if self.kind == "whole" else float(text) if self.kind == "number" else text
        except ValueError:
            raise ValueError(f"expected {self.noun or NOUNS[self.kind]}, got {text!r}") from None
        if not self.allows(value):
            raise ValueError(f"expected {self.must_for(value) or self.noun or NOUNS[self.kind]}, got {text}")
        return value


def _is_number(value: Any) -> bool:
    """A finite int or float, not a bool (``True`` is no batch size, ``inf`` no learning rate)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (isinstance(value, int) or math.isfinite(value))


def _shown(bound: float | None) -> str:
    return str(int(bound)) if bound is not None and float(bound).is_integer() else f"{bound:g}"


def option(
    default: Any,
    *,
    help: str,
    kind: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    choices: tuple[str, ...] = (),
    valid: Callable[[Any], bool] | None = None,
    requirement: str = "",
    noun: str = "",
    flag: bool = True,
    metavar: str | None = None,
    shown_default: str | None = None,
    resumable: bool = False,
) -> Any:
    """A dataclass field that declares a training option (the kind follows from the default)."""
    kind = kind or KINDS.get(type(default), "value")
    if kind not in NOUNS:
        raise ValueError(f"unknown option kind {kind!r}")
    declared = Option(help=help, kind=kind, default=default, minimum=minimum, maximum=maximum, positive=positive,
                      choices=tuple(choices),
                      optional=default is None, valid=valid, requirement=requirement, noun=noun, flag=flag, metavar=metavar,
                      shown_default=shown_default, resumable=resumable)
    return dataclasses.field(default=default, metadata={"option": declared})


def options_of(cls: type) -> dict[str, Option]:
    """The options declared on a dataclass's fields, by field name, in field order."""
    return {
        f.name: f.metadata["option"]._replace(name=f.name)
        for f in dataclasses.fields(cls)
        if "option" in f.metadata
    }
