"""The in-memory dataset every builder returns: decoded uint8 images, optional labels and inputs.

A module of its own so that the splitter (:mod:`ganzoo.data.splits`) and the dataset builders
(:mod:`ganzoo.data.datasets`) can both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
