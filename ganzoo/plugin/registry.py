"""Name -> spec lookup for everything the plugins registered.

The registry holds specs only (no torch). Lookups of unknown names raise
:class:`UnknownNameError` with a did-you-mean; a second registration of a taken name is
refused with a message naming both sources, and the first one stays.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Generic, Iterator, TypeVar

from ganzoo.errors import SHOWN_LENGTH, UnknownNameError, shown
from ganzoo.plugin.specs import (MODEL_CHECKS, ArchitectureSpec, DatasetSpec, LossSpec, ModelSpec, Spec, WeightsSpec,
                                 resolve)

S = TypeVar("S", ArchitectureSpec, LossSpec, ModelSpec, DatasetSpec, WeightsSpec)

KINDS = {
    ArchitectureSpec: "architecture",
    LossSpec: "loss",
    ModelSpec: "model",
    DatasetSpec: "dataset",
    WeightsSpec: "pretrained weights",
}


class ConflictError(Exception):
    """A name registered twice; the message names both sources."""


def suggest(name: str, candidates: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidates, or an empty string."""
    if len(name) > SHOWN_LENGTH:  # no name is that long; comparing it with every candidate would only take time
        return ""
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


@dataclass
class Table(Generic[S]):
    """The specs of one kind, in registration order."""

    kind: str
    specs: dict[str, S] = field(default_factory=dict)

    def add(self, spec: S) -> None:
        first = self.specs.get(spec.name)
        if first is not None:
            raise ConflictError(
                f"{self.kind} {spec.name!r} from {_origin(spec)} conflicts with the one from "
                f"{_origin(first)}; keeping the one from {_origin(first)}"
            )
        self.specs[spec.name] = spec

    def get(self, name: str) -> S:
        try:
            return self.specs[name]
        except KeyError:
            known = sorted(self.specs)
            raise UnknownNameError(
                f"unknown {self.kind} {shown(name)}{suggest(name, known)}; `{list_command(self.kind)}` shows them all"
            ) from None

    def remove(self, name: str) -> None:
        self.specs.pop(name, None)

    def match(self, pattern: str | None = None) -> list[S]:
        """Specs whose name matches a shell-style wildcard (``*gan*``), sorted by name."""
        names = sorted(self.specs)
        if pattern:
            glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
            names = [n for n in names if fnmatch.fnmatchcase(n, glob)]
        return [self.specs[n] for n in names]

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __iter__(self) -> Iterator[S]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)


def _plural(kind: str) -> str:
    return {"loss": "losses", "architecture": "architectures", "dataset": "datasets", "pretrained weights": "weights"}.get(
        kind, kind + "s"
    )


def list_command(kind: str) -> str:
    """The command that lists every spec of ``kind``."""
    flag = {"model": "", "pretrained weights": " --pretrained"}.get(kind, " --" + _plural(kind))
    return "ganzoo list" + flag


def _origin(spec: Spec) -> str:
    src = spec.source
    return f"distribution {src.distribution!r} (plugin {src.plugin!r})" if src else "an unknown source"


class Registry:
    """All registered specs, one :class:`Table` per kind."""

    def __init__(self) -> None:
        self.architectures: Table[ArchitectureSpec] = Table("architecture")
        self.losses: Table[LossSpec] = Table("loss")
        self.models: Table[ModelSpec] = Table("model")
        self.datasets: Table[DatasetSpec] = Table("dataset")
        self.weights: Table[WeightsSpec] = Table("pretrained weights")

    def table(self, spec_type: type) -> Table:
        return getattr(self, _plural(KINDS[spec_type]))

    def add(self, spec: Spec) -> None:
        self.table(type(spec)).add(spec)

    def model(self, name: str) -> ModelSpec:
        return self.models.get(name)

    def architecture(self, name: str) -> ArchitectureSpec:
        return self.architectures.get(name)

    def loss(self, name: str) -> LossSpec:
        return self.losses.get(name)

    def dataset(self, name: str) -> DatasetSpec:
        """The spec for ``name`` or ``name:argument``."""
        return self.datasets.get(name.partition(":")[0])

    def pretrained(self, name: str) -> WeightsSpec:
        return self.weights.get(name)

    def find(self, name: str) -> Spec:
        """Any spec called ``name``: models first, then architectures, losses, datasets, pretrained weights."""
        tables = (self.models, self.architectures, self.losses, self.datasets, self.weights)
        for table in tables:
            if name in table:
                return table.specs[name]
        # a model and its architecture often share a name: suggest each name once
        everything = list(dict.fromkeys(n for t in tables for n in t.specs))
        # (the wording predates pretrained weights; their names are among the suggestions)
        raise UnknownNameError(f"no model, architecture, loss or dataset is called {shown(name)}{suggest(name, everything)}")

    def broken_references(self, model: ModelSpec) -> str | None:
        """Why a model cannot be built from what is registered, or None."""
        if model.architecture not in self.architectures:
            return f"unknown architecture {model.architecture!r}"
        if model.loss not in self.losses:
            return f"unknown loss {model.loss!r}"
        task = self.architectures.specs[model.architecture].task
        loss = self.losses.specs[model.loss]
        if loss.tasks and task not in loss.tasks:
            return f"loss {loss.name!r} does not support the {task!r} task of architecture {model.architecture!r}"
        for check in MODEL_CHECKS:
            problem = resolve(check, "model check")(self, model)
            if problem:
                return problem.removeprefix(f"model {model.name!r}: ").removeprefix(f"model {model.name!r} ")
        return None
