"""The dataset every builder returns: decoded uint8 images, optional labels and inputs.

The images are in memory, or mapped from a file of the decoded-image cache
(:mod:`ganzoo.data.decoded_cache`): the same tensor type either way, so every reader works on
both; only what gathers batches (:class:`ganzoo.data.datasets.BatchStream`) and what cuts parts
(:func:`ganzoo.data.splits.subset`, giving :class:`ImageRows`) treat a mapped one differently,
so that no step copies the whole map into memory.

A module of its own so that the splitter (:mod:`ganzoo.data.splits`) and the dataset builders
(:mod:`ganzoo.data.datasets`) can both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganzoo.errors import DataError


@dataclass(frozen=True)
class WholeImage:
    """One held-out photograph, uncut: its name, the model's input and the target (uint8 C x H x W)."""

    name: str
    input: torch.Tensor
    target: torch.Tensor


@dataclass
class ImageDataset:
    """Decoded images (uint8, N x C x H x W), optional labels and the class names.

    For image-conditioned tasks ``inputs`` holds each image's input (uint8, N x C' x H' x W'):
    the A side of a pix2pix pair, or the low-resolution version for super-resolution;
    ``images`` is then the target.

    A dataset cut from whole photographs says which examples come from the photographs it
    holds out (``held_out``, one bool per example): a run trains on none of them, not even as
    other crops of the same photograph, and measures itself on them. ``whole`` holds those
    held-out photographs uncut, for evaluation on whole images.
    """

    images: torch.Tensor
    labels: torch.Tensor | None = None
    classes: list[str] = field(default_factory=list)
    inputs: torch.Tensor | None = None
    held_out: torch.Tensor | None = None
    whole: list[WholeImage] = field(default_factory=list)
    #: Files left out as unusable (``--skip-bad-images``), one ``"PATH: why"`` line each.
    skipped: list[str] = field(default_factory=list)
    #: The decoded-image cache file ``images`` and ``inputs`` are mapped from; None: in memory.
    cache_file: Path | None = None
    #: The dataset's official held-out split (Fashion-MNIST's and MNIST's 10,000 test images): no
    #: run trains on it; evaluation measures samples and the real-vs-real floor against it.
    test: ImageDataset | None = None
    #: An unpaired dataset whose two domains are two classes of one labelled dataset
    #: (``sneakers2boots``): ``((name, index), (name, index))`` of domain A's class and domain B's
    #: in that dataset's labels, so evaluation can read each translation with its class judge.
    domain_classes: tuple[tuple[str, int], tuple[str, int]] | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise DataError(f"dataset images must be a uint8 N x C x H x W tensor, got {self.images.dtype} {tuple(self.images.shape)}")
        if len(self.images) == 0:
            raise DataError("the dataset holds no images")
        if self.labels is not None and len(self.labels) != len(self.images):
            raise DataError(f"{len(self.labels)} labels for {len(self.images)} images")
        if self.labels is not None and not self.classes:  # labels without names: the indices name them
            self.classes = [str(i) for i in range(int(self.labels.max()) + 1)]
        if self.labels is not None and int(self.labels.max()) >= len(self.classes):
            raise DataError(f"label {int(self.labels.max())} has no class name ({len(self.classes)} classes given)")
        if self.inputs is not None and (self.inputs.dtype != torch.uint8 or self.inputs.ndim != 4 or len(self.inputs) != len(self.images)):
            raise DataError(f"dataset inputs must be one uint8 N x C x H x W image per target, got {self.inputs.dtype} {tuple(self.inputs.shape)}")
        if self.held_out is not None and (self.held_out.dtype != torch.bool or self.held_out.shape != (len(self.images),)):
            raise DataError(f"dataset held_out must be one bool per image, got {self.held_out.dtype} {tuple(self.held_out.shape)}")
        if self.held_out is not None and (bool(self.held_out.all()) or not bool(self.held_out.any())):
            raise DataError("a dataset split by photograph must keep some examples for training and hold some out")

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def mapped(self) -> bool:
        """Whether the images are mapped from a file (the decoded-image cache), not held in memory."""
        return self.cache_file is not None

    def take(self, index: torch.Tensor, pin: bool = False) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """``(images, labels, inputs)`` of the examples at ``index`` (a CPU int64 tensor); ``pin``:
        images and inputs gathered straight into pinned memory (for a non-blocking copy to CUDA)."""
        def gather(t: torch.Tensor | None) -> torch.Tensor | None:
            if t is None or not pin:
                return None if t is None else t[index]
            out = torch.empty((len(index), *t.shape[1:]), dtype=t.dtype, pin_memory=True)
            return torch.index_select(t, 0, index, out=out)

        return gather(self.images), None if self.labels is None else self.labels[index], gather(self.inputs)


class ImageRows(ImageDataset):
    """The examples ``rows`` of a mapped dataset, not copied: one side of a split of data too big
    for memory.

    ``images``, ``labels`` and ``inputs`` are gathered from the map when asked for (correct, but
    a copy of every row: for the small held-out side, or a reader that needs them all); batches
    gather only theirs (:meth:`take`), and a part of a part is again rows of the same map.
    """

    def __init__(self, base: ImageDataset, rows: torch.Tensor) -> None:  # not the dataclass's: nothing is copied
        self.base, self.rows = base, rows.to(torch.int64)
        self.classes, self.whole, self.skipped, self.held_out = base.classes, base.whole, base.skipped, None
        self.cache_file = base.cache_file
        self.test = base.test

    images = property(lambda self: self.base.images[self.rows])
    labels = property(lambda self: None if self.base.labels is None else self.base.labels[self.rows])
    inputs = property(lambda self: None if self.base.inputs is None else self.base.inputs[self.rows])

    @property
    def channels(self) -> int:
        return self.base.channels

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, index: torch.Tensor, pin: bool = False) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        return self.base.take(self.rows[index], pin)

    def __repr__(self) -> str:
        return f"ImageRows({len(self)} of {len(self.base)} mapped examples)"


def grey_from_rgb(images: torch.Tensor) -> torch.Tensor:
    """uint8 RGB ``(N, 3, H, W)`` -> one channel, the rounded mean of the three: the rule for
    pictures that are grey but were saved as RGB."""
    return images.to(torch.int16).sum(dim=1, keepdim=True).add_(1).div_(3, rounding_mode="floor").to(torch.uint8)
