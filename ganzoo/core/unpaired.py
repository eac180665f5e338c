"""The unpaired task's batches: one image of domain A and one of domain B side by side in channels.

An unpaired model (CycleGAN) translates both ways, so its training step sees both domains at
once. The one training loop stays as it is by *packing* them: a batch is one tensor
``x = cat([a, b], dim=1)`` of ``2C`` channels (both domains have ``C``), ``a`` and ``b`` drawn
independently (two shuffles of their own: nothing pairs them). The generator maps ``x`` to
``cat([G_BA(b), G_AB(a)], dim=1)`` (each half translated into the other domain: a packed batch
again, so the generator applied twice is the cycle ``A -> B -> A``, ``B -> A -> B``) and the
discriminator scores each half with its own net. This module holds the stream and the few
tensor helpers every party of that contract uses.
"""

from __future__ import annotations

from typing import Any, Iterator

import torch

from ganzoo.data import BatchStream, ImageDataset


def pack(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Domain A images and domain B images (same shape) as one packed batch."""
    return torch.cat([a, b], dim=1)


def halves(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A packed batch's (domain A part, domain B part)."""
    a, b = x.chunk(2, dim=1)
    return a, b


def swap(x: torch.Tensor) -> torch.Tensor:
    """The packed batch with its halves exchanged: what the generator must leave unchanged
    (CycleGAN's identity term: ``G_BA(a) = a``, ``G_AB(b) = b``)."""
    a, b = halves(x)
    return pack(b, a)


class UnpairedBatches:
    """Packed ``(x, x)`` batches from two independent shuffles: the A side of the dataset
    (``inputs``) and its B side (``images``). Checkpointed like :class:`BatchStream` (whose two
    instances it holds), so a resumed run sees the batches the uninterrupted one would have."""

    def __init__(self, dataset: ImageDataset, batch_size: int, device: torch.device, seed: int, **shard: Any) -> None:
        assert dataset.inputs is not None, "an unpaired dataset holds domain A in inputs"
        self.a = BatchStream(ImageDataset(dataset.inputs), batch_size, device, seed, **shard)
        self.b = BatchStream(ImageDataset(dataset.images), batch_size, device, seed + 1, **shard)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        x = pack(next(self.a)[0], next(self.b)[0])
        return x, x

    def state_dict(self) -> dict[str, Any]:
        return {"a": self.a.state_dict(), "b": self.b.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.a.load_state_dict(state["a"])
        self.b.load_state_dict(state["b"])
