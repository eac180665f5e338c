"""Datasets by name, decoded once, and the batch stream the trainer draws from.

A dataset plugin's builder returns an :class:`ImageDataset`: a uint8 tensor of images
(N, C, H, W) already at the run's image size, optional int64 labels and class names.
Keeping the decoded images in memory (1,797 digits are 1.8 MB at 32x32; CIFAR-10 is 150 MB)
makes a batch one index operation instead of a DataLoader round trip. Image folders too big
for that are decoded once into the decoded-image cache and mapped (:mod:`ganzoo.data.decoding`):
a batch is then one index operation on the map, which reads only its own rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Iterator, Mapping

import torch
import torch.nn.functional as F

from ganzoo.data.decoding import Source, decode_source
from ganzoo.data.decoded_cache import release_pages
from ganzoo.data.image_dataset import ImageDataset, ImageRows
from ganzoo.data.parallel_decode import Decoder
from ganzoo.data.splits import split_holdout  # noqa: F401  (re-exported: its home before ganzoo.data.splits)
from ganzoo.errors import DataError
from ganzoo.io.home import ganzoo_home
from ganzoo.io.images import image_mode, picture_tensor, read_image
from ganzoo.plugin.registry import Registry
from ganzoo.plugin.calls import plugin_function

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def default_data_root() -> Path:
    """``$GANZOO_HOME/data`` (see :func:`ganzoo.io.home.ganzoo_home`)."""
    return ganzoo_home() / "data"


@dataclass(frozen=True)
class DatasetRequest:
    """What a dataset builder is asked for."""

    name: str
    argument: str
    image_size: int
    data_root: Path
    download: bool = False
    #: The run's architecture settings (a super-resolution dataset reads ``scale`` here).
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: ``--skip-bad-images``: leave unusable image files out (listed in ``ImageDataset.skipped``)
    #: instead of stopping before training.
    skip_bad_images: bool = False
    #: Whether the user named ``data_root`` (``--data-root``), rather than it being the default.
    data_root_given: bool = False


def load_dataset(
    registry: Registry,
    name: str,
    image_size: int,
    data_root: str | os.PathLike | None = None,
    download: bool = False,
    settings: Mapping[str, Any] | None = None,
    skip_bad_images: bool = False,
) -> ImageDataset:
    """Build the dataset ``name`` (``digits``, ``folder:PATH``, ...) at ``image_size``."""
    spec = registry.dataset(name)
    _, sep, argument = name.partition(":")
    if spec.argument and not argument:
        raise DataError(f"dataset {spec.name!r} needs an argument: --dataset {spec.name}:{spec.argument}")
    if not spec.argument and sep:
        raise DataError(f"dataset {spec.name!r} takes no argument; use --dataset {spec.name}")
    request = DatasetRequest(
        spec.name, argument, int(image_size), Path(data_root or default_data_root()), download, dict(settings or {}),
        skip_bad_images, data_root is not None,
    )
    # OSError passes through: a folder that cannot be read is the user's to fix, not the plugin's bug
    dataset = plugin_function(spec, passes=(OSError,))(request)
    if not isinstance(dataset, ImageDataset):
        raise DataError(f"dataset {spec.name!r} built {type(dataset).__name__}, not an ImageDataset")
    c, h, w = dataset.images.shape[1:]
    if (h, w) != (request.image_size, request.image_size) or c not in (1, 3):
        raise DataError(
            f"dataset {spec.name!r} built {c}-channel {h}x{w} images; expected 1 or 3 channels at "
            f"{request.image_size}x{request.image_size} (a bug in its plugin)"
        )
    if dataset.inputs is not None and (dataset.inputs.shape[1] not in (1, 3) or dataset.inputs.shape[-1] > w):
        raise DataError(
            f"dataset {spec.name!r} built {dataset.inputs.shape[1]}-channel {dataset.inputs.shape[-1]}-pixel inputs; "
            f"expected 1 or 3 channels at most {w} pixels wide (a bug in its plugin)"
        )
    return dataset


def resize_images(images: torch.Tensor, size: int, chunk: int = 512) -> torch.Tensor:
    """Centre-crop uint8 images to a square and resize them to ``size`` (antialiased bicubic)."""
    h, w = images.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    images = images[..., top : top + side, left : left + side]
    if side == size:
        return images.contiguous()
    return interpolate_uint8(images, size, chunk)


def interpolate_uint8(images: torch.Tensor, size: int | tuple[int, int], chunk: int = 512) -> torch.Tensor:
    """uint8 images resized to ``size`` x ``size`` (or ``(height, width)``) by antialiased bicubic,
    rounded and clipped."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    out = []
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].float()
        part = F.interpolate(part, size=size, mode="bicubic", antialias=True, align_corners=False)
        out.append(part.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out)


def image_files(root: Path) -> list[Path]:
    """Every image file under ``root``, recursively, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


_GREY_MODES = ("L", "1", "I;16", "I", "F")


@dataclass(frozen=True)
class FolderDecoder(Decoder):
    """One image file -> one ``(C, size, size)`` row: centre-cropped to a square, resized by
    Pillow's bicubic (``reducing_gap=3``), in ``mode`` (``L`` or ``RGB``)."""

    size: int
    mode: str

    def layout(self) -> dict[str, tuple[int, ...]]:
        return {"images": (1, 1 if self.mode == "L" else 3, self.size, self.size)}

    def decode(self, path: Path) -> tuple[dict[str, Any], float]:
        from PIL import Image

        img = read_image(path, self.mode)
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side))
        if side != self.size:
            img = img.resize((self.size, self.size), Image.Resampling.BICUBIC, reducing_gap=3.0)
        return {"images": picture_tensor(img)[None]}, 0.0


def _folder_decoder(size: int, modes: list[str | None]) -> FolderDecoder:
    """Grey when every usable image is, RGB otherwise."""
    return FolderDecoder(size, "L" if all(m in _GREY_MODES for m in modes if m is not None) else "RGB")


def read_image_folder(root: str | os.PathLike, image_size: int, skip_bad: bool = False) -> ImageDataset:
    """Decode every image under ``root`` (recursively) at ``image_size``: into memory when
    small, else into the decoded-image cache, mapped (:func:`ganzoo.data.decoding.decode_source`).

    Images that all sit in direct subfolders get those subfolders as class labels. The
    dataset is grayscale when every image is, RGB otherwise. ``skip_bad``: unusable images are
    left out (listed in ``skipped``) instead of stopping with one line naming the first.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"image folder {str(root)!r} does not exist or is not a folder")
    files = image_files(root)
    if not files:
        raise DataError(f"image folder {str(root)!r} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    size = int(image_size)
    source = Source("folder", root, files, [str(f) for f in files], files,
                    {"image_size": size, "crop": "centre square", "resize": "pillow bicubic, reducing_gap 3"},
                    item_bytes=3 * size * size, decoder=partial(_folder_decoder, size), scan=image_mode)
    decoded = decode_source(source, skip_bad)
    parts = [files[i].relative_to(root).parts for i in decoded.kept]
    images = decoded.arrays["images"]
    if all(len(p) >= 2 for p in parts):
        classes = sorted({p[0] for p in parts})
        index = {c: i for i, c in enumerate(classes)}
        labels = torch.tensor([index[p[0]] for p in parts], dtype=torch.int64)
        return ImageDataset(images, labels, classes, skipped=decoded.skipped, cache_file=decoded.cache)
    return ImageDataset(images, skipped=decoded.skipped, cache_file=decoded.cache)


def as_float(images: torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 pixels -> floats in [-1, 1] on ``device``."""
    return images.to(device).float().div_(127.5).sub_(1.0)


#: A mapped dataset's pages are released from this process after this many bytes of batches.
RELEASE_BYTES = 256 * 2**20


class BatchStream:
    """An endless stream of shuffled ``(images, condition)`` batches (drop-last).

    ``condition`` is the batch's input images (floats in [-1, 1]) when the dataset has
    ``inputs``, else its labels, else None. Images stay uint8 on the device and become floats
    in [-1, 1] one batch at a time. Its
    state (shuffle generator, permutation, position) goes into checkpoints so that a resumed
    run sees exactly the batches the uninterrupted one would have seen.

    A mapped dataset (the decoded-image cache) stays in its file: each batch gathers its own
    rows from the map, on CUDA into pinned memory copied without blocking, and every
    :data:`RELEASE_BYTES` gathered the pages read are handed back (they stay in the system's
    page cache), so the process's resident memory is bounded whatever the dataset's size. The
    batches are the same, bit for bit, as those of the same data held in memory.

    In data-parallel runs every rank walks the same shuffle and yields only its
    ``batch_size / world_size`` slice of each (global) batch, so the ranks together see exactly
    the batches of a one-process run, and the state is the same on every rank.
    """

    def __init__(
        self, dataset: ImageDataset, batch_size: int, device: torch.device, seed: int, *, rank: int = 0, world_size: int = 1
    ) -> None:
        if batch_size > len(dataset):
            raise DataError(f"batch size {batch_size} is larger than the dataset ({len(dataset)} images); lower --batch-size")
        if batch_size % world_size or not 0 <= rank < world_size:
            raise DataError(f"rank {rank} of {world_size} cannot take an equal slice of batches of {batch_size}")
        self.shard_size = batch_size // world_size
        self.shard_start = rank * self.shard_size
        self.device = device
        self.count = len(dataset)
        self.mapped = dataset.mapped
        if self.mapped:  # rows are gathered from the map batch by batch; only the labels move now
            self.source = dataset
            labels = dataset.labels
            self.pinned = device.type == "cuda"
            self.gathered = 0  # bytes of batches since the map's pages were last released
        else:
            self.images = dataset.images.to(device)
            self.inputs = dataset.inputs.to(device) if dataset.inputs is not None else None
            labels = dataset.labels
        self.labels = labels.to(device) if labels is not None else None
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(self.count, generator=self.generator)
        self.position = 0
        self.epoch = 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.position + self.batch_size > len(self.order):
            self.order = torch.randperm(self.count, generator=self.generator)
            self.position = 0
            self.epoch += 1
        start = self.position + self.shard_start  # this rank's slice of the global batch
        index = self.order[start : start + self.shard_size]
        self.position += self.batch_size
        if self.mapped:
            images, _, inputs = self.source.take(index, pin=self.pinned)
            self._release_now_and_then(images, inputs)
            images, inputs = self._to_device(images), self._to_device(inputs)
            labels = self.labels[index.to(self.device)] if self.labels is not None else None
        else:
            index = index.to(self.device)
            images = self.images[index]
            inputs = self.inputs[index] if self.inputs is not None else None
            labels = self.labels[index] if self.labels is not None else None
        images = as_float(images, self.device)
        if inputs is not None:
            return images, as_float(inputs, self.device)
        return images, labels

    def _release_now_and_then(self, *batches: torch.Tensor | None) -> None:
        self.gathered += sum(b.numel() for b in batches if b is not None)
        if self.gathered >= RELEASE_BYTES:
            base = self.source.base if isinstance(self.source, ImageRows) else self.source
            release_pages(base.images)  # the whole file's map: inputs included
            self.gathered = 0

    def _to_device(self, rows: torch.Tensor | None) -> torch.Tensor | None:
        """Gathered rows onto the device; on CUDA they were gathered into pinned memory and are
        copied without blocking (torch's pinned-memory cache does not hand the block out again
        before its copy is done)."""
        return None if rows is None else rows.to(self.device, non_blocking=self.pinned)

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.get_state(),
            "order": self.order,
            "position": self.position,
            "epoch": self.epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.order = state["order"].to(torch.int64)
        self.position = int(state["position"])
        self.epoch = int(state["epoch"])
