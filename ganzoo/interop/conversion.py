"""What a peer checkpoint layout turns into: ganzoo's model, architecture and settings, and the
tensors under ganzoo's names. Each peer format (``pytorch_examples_dcgan``, ``pix2pix_unet``,
``srresnet``) reads a state dict into a :class:`Conversion`; :mod:`ganzoo.interop.convert`
detects the format, builds ganzoo's net from it and checks that every tensor fits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

import torch

from ganzoo.errors import WeightsError

#: The keys a state dict holds besides parameters: batch norm statistics.
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


@dataclass(frozen=True)
class Conversion:
    """A peer checkpoint read into ganzoo's terms (``config``: the settings the checkpoint fixes;
    the architecture's defaults fill in the rest)."""

    model: str
    architecture: str
    role: str
    config: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    #: What was found, for the user: ``generator, nz 100, ngf 64, 3 channels, 64x64``.
    summary: str
    notes: tuple[str, ...] = field(default=())


class Layout(Protocol):
    """A peer format module: its name, one line saying which files it reads, and its reader."""

    NAME: str
    SUMMARY: str

    def matches(self, state: Mapping[str, torch.Tensor]) -> bool: ...

    def read(self, state: Mapping[str, torch.Tensor]) -> Conversion: ...


class LayoutError(WeightsError):
    """A checkpoint that is not (quite) the layout it was read as; the message says what differs."""


def tensor(state: Mapping[str, torch.Tensor], key: str, ndim: int | None = None) -> torch.Tensor:
    """``state[key]`` (of ``ndim`` dimensions), or a :class:`LayoutError` naming the key."""
    found = state.get(key)
    if found is None:
        raise LayoutError(f"it has no tensor {key!r}")
    if ndim is not None and found.ndim != ndim:
        raise LayoutError(f"tensor {key!r} has shape {tuple(found.shape)}, not {ndim} dimensions")
    return found


def renamed(state: Mapping[str, torch.Tensor], names: Mapping[str, str], ignored: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
    """``state`` under ganzoo's names (``names``: peer prefix -> ganzoo prefix, each followed by
    ``.weight``, ``.bias`` or a batch norm buffer). A key no prefix claims is an error, unless it
    starts with one of ``ignored`` (tensors the peer itself drops when it loads)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        prefix, _, leaf = key.rpartition(".")
        if prefix in names:
            out[f"{names[prefix]}.{leaf}"] = value
        elif not key.startswith(ignored):
            raise LayoutError(f"tensor {key!r} has no place in the layout")
    return out
