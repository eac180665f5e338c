"""Super-resolution datasets: random high-resolution crops and their bicubic low-resolution versions.

As in SRGAN (Ledig et al., arXiv 1609.04802), a training pair is a random ``image_size`` x
``image_size`` crop of a photo (the target, ``ImageDataset.images``) and that crop downsampled
by ``scale`` with antialiased bicubic interpolation (the input, ``ImageDataset.inputs``,
``image_size / scale`` pixels on a side). The crops are drawn once, with a seeded generator,
and held in memory like every ganzoo dataset: the same folder, size, scale and seed always
give the same pairs.

- :func:`superres_dataset` is the general entry point (folder, files or tensors; any scale).
- :func:`make_superres` turns high-resolution uint8 crops into a dataset at any scale.
- The registered builders ``superres`` (``--dataset superres:PATH``) and ``photos-sr``
  (the bundled photographs split by photograph, offline; :mod:`.photos`) read the model's ``scale`` from
  ``request.settings`` (the run's architecture settings), ``DEFAULT_SCALE`` = 4 if absent.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, Union

import torch

from ganzoo.data.datasets import IMAGE_SUFFIXES, DatasetRequest, ImageDataset, interpolate_uint8
from ganzoo.data.decoding import Source, decode_source
from ganzoo.data.image_dataset import WholeImage
from ganzoo.data.parallel_decode import Decoder
from ganzoo.errors import DataError
from ganzoo.io.images import image_header, image_mode, picture_tensor, read_image

#: The scale the registered builders use (the paper's 4x).
DEFAULT_SCALE = 4
#: Default number of crops: at least this many per image...
MIN_CROPS_PER_IMAGE = 16
#: ... and at least this many in all (a folder of a few large photos still gives ~500 pairs).
TARGET_TOTAL_CROPS = 512

ImagesArg = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Sequence[torch.Tensor], torch.Tensor]

_GRAY_MODES = ("L", "1", "I;16", "I", "F")


def downsample(images: torch.Tensor, scale: int, chunk: int = 256) -> torch.Tensor:
    """uint8 ``(N, C, S, S)`` -> uint8 ``(N, C, S/scale, S/scale)``: antialiased bicubic
    (``F.interpolate(mode="bicubic", antialias=True)``), rounded and clipped to 0-255."""
    return interpolate_uint8(images, images.shape[-1] // scale, chunk)


def _check_sizes(image_size: int, scale: int) -> None:
    if int(scale) < 2:
        raise DataError(f"super-resolution scale must be at least 2, got {scale}")
    if image_size < scale or image_size % scale:
        raise DataError(
            f"the high-resolution crop size {image_size} is not divisible by the scale {scale}; "
            f"pick an image size that is a multiple of {scale} (e.g. --set image_size={max(scale, image_size // scale * scale)})"
        )


def make_superres(hr_crops: torch.Tensor, scale: int) -> ImageDataset:
    """High-resolution uint8 crops ``(N, C, S, S)`` -> ``ImageDataset(images=hr_crops,
    inputs=their bicubic downsampling by scale)``."""
    if hr_crops.dtype != torch.uint8 or hr_crops.ndim != 4 or hr_crops.shape[-1] != hr_crops.shape[-2]:
        raise DataError(f"high-resolution crops must be a uint8 N x C x S x S tensor, got {hr_crops.dtype} {tuple(hr_crops.shape)}")
    _check_sizes(int(hr_crops.shape[-1]), int(scale))
    return ImageDataset(hr_crops.contiguous(), inputs=downsample(hr_crops, int(scale)))


def random_crops(image: torch.Tensor, size: int, count: int, generator: torch.Generator) -> torch.Tensor:
    """``count`` random ``size`` x ``size`` crops of one ``(C, H, W)`` image, uniform over positions."""
    h, w = image.shape[-2:]
    tops = torch.randint(0, h - size + 1, (count,), generator=generator).tolist()
    lefts = torch.randint(0, w - size + 1, (count,), generator=generator).tolist()
    return torch.stack([image[:, t : t + size, l : l + size] for t, l in zip(tops, lefts)])


def default_crops_per_image(n_images: int) -> int:
    """``max(16, ceil(512 / n_images))``: 16 per image, and about 512 in all for a few images."""
    return max(MIN_CROPS_PER_IMAGE, math.ceil(TARGET_TOTAL_CROPS / max(1, n_images)))


@dataclass
class _Source:
    """One image: a name for messages, its size (W, H) and channel mode, and how to decode it."""

    name: str
    size: tuple[int, int]
    gray: bool
    decode: Callable[[bool], torch.Tensor]  # (as_gray) -> uint8 (C, H, W)


def _file_source(path: Path) -> _Source:
    size, mode = image_header(path)

    def decode(as_gray: bool) -> torch.Tensor:
        return picture_tensor(read_image(path, "L" if as_gray else "RGB"))

    return _Source(str(path), size, mode in _GRAY_MODES, decode)


def _tensor_source(name: str, image: torch.Tensor) -> _Source:
    if image.dtype != torch.uint8 or image.ndim != 3 or image.shape[0] not in (1, 3):
        raise DataError(f"{name} must be a uint8 C x H x W tensor with 1 or 3 channels, got {image.dtype} {tuple(image.shape)}")

    def decode(as_gray: bool) -> torch.Tensor:
        return image if as_gray or image.shape[0] == 3 else image.expand(3, -1, -1)

    return _Source(name, (int(image.shape[2]), int(image.shape[1])), image.shape[0] == 1, decode)


def _sources(images: ImagesArg) -> list[_Source]:
    if isinstance(images, torch.Tensor):
        if images.ndim != 4:
            raise DataError(f"a batch of images must be N x C x H x W, got shape {tuple(images.shape)}")
        return [_tensor_source(f"image {i}", image) for i, image in enumerate(images)]
    if isinstance(images, (str, os.PathLike)):
        root = Path(images).expanduser()
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not files:
                raise DataError(f"image folder {str(root)!r} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        else:
            raise DataError(f"image folder {str(root)!r} does not exist or is not a folder")
        return [_file_source(f) for f in files]
    items = list(images)
    if not items:
        raise DataError("no images to crop")
    return [
        _tensor_source(f"image {i}", item) if isinstance(item, torch.Tensor) else _file_source(Path(item).expanduser())
        for i, item in enumerate(items)
    ]


def superres_dataset(
    paths_or_images: ImagesArg,
    image_size: int,
    scale: int = DEFAULT_SCALE,
    crops_per_image: int | None = None,
    seed: int = 0,
) -> ImageDataset:
    """Random high-resolution crops and their bicubic low-resolution versions.

    - ``paths_or_images``: a folder (searched recursively), an image file, a list of files, a
      list of uint8 ``(C, H, W)`` tensors, or one uint8 ``(N, C, H, W)`` tensor.
    - ``image_size``: the high-resolution crop side; must be divisible by ``scale``.
    - ``crops_per_image``: ``None`` gives :func:`default_crops_per_image` (16 per image, at
      least ~512 in all).
    - ``seed``: the crops of image ``i`` come from a generator seeded with ``(seed, i)``, so
      they do not depend on thread timing.

    Returns ``ImageDataset(images=HR crops (N, C, S, S), inputs=LR (N, C, S/scale, S/scale))``,
    grayscale when every image is, RGB otherwise. An image smaller than the crop is a
    :class:`~ganzoo.DataError` naming it.
    """
    image_size, scale = int(image_size), int(scale)
    _check_sizes(image_size, scale)
    sources = _sources(paths_or_images)
    for source in sources:
        w, h = source.size
        if w < image_size or h < image_size:
            raise DataError(
                f"image {source.name!r} is {w}x{h}, smaller than the {image_size}x{image_size} crop; "
                f"remove it or lower the image size"
            )
    count = default_crops_per_image(len(sources)) if crops_per_image is None else int(crops_per_image)
    if count < 1:
        raise DataError(f"crops_per_image must be at least 1, got {count}")
    as_gray = all(source.gray for source in sources)

    def crops_of(item: tuple[int, _Source]) -> torch.Tensor:
        index, source = item
        generator = torch.Generator().manual_seed((int(seed) * 1_000_003 + index) % (2**63))
        return random_crops(source.decode(as_gray), image_size, count, generator).clone()

    with ThreadPoolExecutor(max_workers=min(len(sources), os.cpu_count() or 1)) as pool:
        hr = torch.cat(list(pool.map(crops_of, enumerate(sources))))
    return make_superres(hr, scale)


def superres(request: DatasetRequest) -> ImageDataset:
    """``--dataset superres:PATH``: crops of ``request.image_size`` from every image under
    PATH, low resolution at the model's scale. A folder goes through
    :func:`ganzoo.data.decoding.decode_source` (into the decoded-image cache when large); the
    pairs are those :func:`superres_dataset` makes of the same folder, bit for bit."""
    root = Path(request.argument).expanduser()
    if not root.is_dir():
        return superres_dataset(request.argument, request.image_size, _scale(request))
    size, scale = int(request.image_size), _scale(request)
    _check_sizes(size, scale)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"image folder {str(root)!r} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    count = default_crops_per_image(len(files))
    low = size // scale
    source = Source("superres", root, list(enumerate(files)), [str(f) for f in files], files,
                    {"image_size": size, "scale": scale, "crops": count, "seed": 0, "downsample": "torch bicubic antialias"},
                    item_bytes=count * 3 * (size * size + low * low),
                    decoder=lambda modes: CropDecoder(size, scale, count, 0, all(m in _GRAY_MODES for m in modes if m)),
                    scan=_mode_of)
    decoded = decode_source(source, request.skip_bad_images)
    return ImageDataset(decoded.arrays["images"], inputs=decoded.arrays["inputs"], skipped=decoded.skipped,
                        cache_file=decoded.cache)


def _mode_of(item: tuple[int, Path]) -> str:
    return image_mode(item[1])


@dataclass(frozen=True)
class CropDecoder(Decoder):
    """Image ``index`` of a folder -> ``count`` random high-resolution crops (generator seeded
    with ``(seed, index)``, as :func:`superres_dataset` seeds them) and their downsampling."""

    size: int
    scale: int
    count: int
    seed: int
    gray: bool

    def layout(self) -> dict[str, tuple[int, ...]]:
        channels, low = 1 if self.gray else 3, self.size // self.scale
        return {"images": (self.count, channels, self.size, self.size), "inputs": (self.count, channels, low, low)}

    def decode(self, item: tuple[int, Path]) -> tuple[dict[str, torch.Tensor], float]:
        index, path = item
        source = _file_source(path)
        w, h = source.size
        if w < self.size or h < self.size:
            raise DataError(f"image {source.name!r} is {w}x{h}, smaller than the {self.size}x{self.size} crop; "
                            f"remove it or lower the image size")
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + index) % (2**63))
        crops = random_crops(source.decode(self.gray), self.size, self.count, generator)
        return {"images": crops, "inputs": downsample(crops, self.scale)}, 0.0


def _scale(request: DatasetRequest) -> int:
    return int(request.settings.get("scale", DEFAULT_SCALE))


#: ``photos-sr``: random crops taken from each training photograph, and from each held-out one.
#: With 96 training crops per photograph (1,152 in all) SRResNet overfitted them: 4,000 steps
#: of 16 crops fell below bicubic on two held-out photographs (+0.25 dB on average) where 500
#: steps had gained +0.54 dB.
TRAIN_CROPS_PER_PHOTO = 1024
HELD_OUT_CROPS_PER_PHOTO = 16


def dihedral(images: torch.Tensor, inputs: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each (high-res crop, its low-res version) turned by one of the square's 8 symmetries
    (mirror, then 0-3 quarter turns), the same for both: more distinct training crops from
    few photographs. Bicubic downsampling is symmetric, so the pair stays exact. Seeded."""
    generator = torch.Generator().manual_seed(seed)
    turns = torch.randint(0, 4, (len(images),), generator=generator)
    mirror = torch.rand(len(images), generator=generator) < 0.5
    out = []
    for tensor in (images, inputs):
        tensor = torch.where(mirror[:, None, None, None], tensor.flip(-1), tensor)
        out.append(torch.stack([t.rot90(int(k), (-2, -1)) for t, k in zip(tensor, turns)]))
    return out[0], out[1]


def photos_sr(request: DatasetRequest) -> ImageDataset:
    """``--dataset photos-sr``: crops of ``request.image_size`` from the bundled photographs,
    low resolution at the model's scale, split by photograph (:mod:`.photos`). Offline.

    Training crops come only from the training photographs (``TRAIN_CROPS_PER_PHOTO`` each);
    the held-out photographs give ``HELD_OUT_CROPS_PER_PHOTO`` crops each (marked
    ``held_out``, measured while the run trains) and themselves, whole, for ``ganzoo eval``.
    """
    from ganzoo_plugins.datasets import photos

    scale, size = _scale(request), request.image_size
    _check_sizes(size, scale)
    train, held = photos.load(photos.TRAIN), photos.load(photos.HELD_OUT)
    photos.fit_crop(train + held, size, "photos-sr")
    parts = [superres_dataset([image for _, image in group], size, scale, count, seed=seed)
             for group, count, seed in ((train, TRAIN_CROPS_PER_PHOTO, 0), (held, HELD_OUT_CROPS_PER_PHOTO, 1))]
    marks = torch.cat([torch.zeros(len(parts[0]), dtype=torch.bool), torch.ones(len(parts[1]), dtype=torch.bool)])
    parts[0].images, parts[0].inputs = dihedral(parts[0].images, parts[0].inputs, seed=0)
    return ImageDataset(torch.cat([p.images for p in parts]), inputs=torch.cat([p.inputs for p in parts]),
                        held_out=marks, whole=[whole_pair(name, image, scale) for name, image in held])


def whole_pair(name: str, image: torch.Tensor, scale: int) -> WholeImage:
    """A whole photograph as a super-resolution pair: the target cut to a multiple of ``scale``
    (top-left kept), the input its antialiased bicubic downsampling."""
    h, w = (image.shape[-2] // scale) * scale, (image.shape[-1] // scale) * scale
    target = image[:, :h, :w].contiguous()
    return WholeImage(name, interpolate_uint8(target[None], (h // scale, w // scale))[0], target)
