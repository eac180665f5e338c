"""Paired (image-to-image) datasets: ``paired:PATH`` folders and the offline ``edges2photos`` demo.

Both return an :class:`ImageDataset` whose ``inputs`` are the A side (what the generator is
given) and whose ``images`` are the B side (what it should produce), uint8 at the run's image
size. Each side is 1-channel when every image on that side is grayscale, else RGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from ganzoo.data.datasets import IMAGE_SUFFIXES, DatasetRequest, ImageDataset
from ganzoo.data.decoding import Source, decode_source
from ganzoo.data.image_dataset import WholeImage
from ganzoo.data.parallel_decode import Decoder
from ganzoo.errors import DataError
from ganzoo.io.images import picture_tensor, read_image

#: Channel values may differ by this much in an image that still counts as grayscale
#: (JPEG stores grey pictures saved as RGB with a little chroma noise).
GREY_TOLERANCE = 2
#: How many unmatched names a mismatch error lists per side.
SHOW_UNMATCHED = 5
#: ``edges2photos``: random crops taken from each training photograph, and from each held-out one.
CROPS_PER_PHOTO = 64
HELD_OUT_CROPS_PER_PHOTO = 16
#: The seed of those crops: the demo data is the same in every run, whatever ``--seed`` says.
DEMO_SEED = 0

LAYOUTS = (
    "expected either side-by-side A|B images (each image is the input and the target side by "
    "side, as pix2pix's facades and maps ship) in PATH or PATH/train, or two folders PATH/A and "
    "PATH/B holding images with matching file names"
)


# ---------------------------------------------------------------- paired:PATH
def paired(request: DatasetRequest) -> ImageDataset:
    """``paired:PATH``: pix2pix's side-by-side A|B images, or folders ``A/`` and ``B/``.

    ``PATH/train`` is used when it exists (pix2pix's datasets ship train/, val/ and test/).
    With folders ``A`` and ``B`` the pairs are matched by file name without the extension
    (``A/0001.jpg`` with ``B/0001.png``), in subfolders too. Otherwise every image directly in
    the folder is one pair: its left half is the input (A), its right half the target (B).
    Each side is centre-cropped to a square and resized to the image size; a side smaller
    than the image size is refused rather than upscaled. Large sets are decoded once into the
    decoded-image cache and mapped (:func:`ganzoo.data.decoding.decode_source`).
    """
    root = Path(request.argument).expanduser()
    if not root.is_dir():
        raise DataError(f"paired dataset folder {str(root)!r} does not exist or is not a folder")
    if (root / "train").is_dir():
        root = root / "train"
    size = request.image_size
    a_dir, b_dir = root / "A", root / "B"
    if a_dir.is_dir() != b_dir.is_dir():
        there, missing = (a_dir, b_dir) if a_dir.is_dir() else (b_dir, a_dir)
        raise DataError(f"{str(there)!r} has no partner folder {str(missing)!r}; {LAYOUTS}")
    if a_dir.is_dir():
        items: list = _match(a_dir, b_dir)
        files = [path for pair in items for path in pair]
    else:
        items = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not items:
            raise DataError(f"paired dataset folder {str(root)!r} holds no images; {LAYOUTS}")
        files = items
    source = Source("paired", root, items, [str(item[0] if isinstance(item, tuple) else item) for item in items], files,
                    {"image_size": size, "layout": "folders" if a_dir.is_dir() else "side by side",
                     "crop": "centre square", "resize": "pillow bicubic, reducing_gap 3", "grey": GREY_TOLERANCE},
                    item_bytes=2 * 3 * size * size, decoder=lambda scanned: PairDecoder(size), noun="pairs")
    decoded = decode_source(source, request.skip_bad_images)
    return ImageDataset(decoded.arrays["images"], inputs=decoded.arrays["inputs"], skipped=decoded.skipped,
                        cache_file=decoded.cache)


@dataclass(frozen=True)
class PairDecoder(Decoder):
    """One pair (files ``(A, B)``, or one side-by-side A|B file) -> an input and a target row, RGB;
    a side whose every image is grey (R = G = B up to ``GREY_TOLERANCE``) becomes one channel."""

    size: int

    def layout(self) -> dict[str, tuple[int, ...]]:
        return {"inputs": (1, 3, self.size, self.size), "images": (1, 3, self.size, self.size)}

    def decode(self, item: Path | tuple[Path, Path]) -> tuple[dict[str, torch.Tensor], tuple[int, int]]:
        if isinstance(item, tuple):
            a, b = _square(read_image(item[0], "RGB"), self.size, item[0]), _square(read_image(item[1], "RGB"), self.size, item[1])
        else:
            a, b = _split(item, self.size)
        return {"inputs": a[None], "images": b[None]}, (_spread(a), _spread(b))

    def channels(self, notes: list[tuple[int, int]]) -> dict[str, int]:
        grey = [all(note[side] <= GREY_TOLERANCE for note in notes) for side in (0, 1)]
        return {"inputs": 1 if grey[0] else 3, "images": 1 if grey[1] else 3}


def _spread(image: torch.Tensor) -> int:
    """The largest difference between neighbouring channels of an RGB ``(3, H, W)`` picture."""
    as_int = image.to(torch.int16)
    return int(max((as_int[0] - as_int[1]).abs().amax(), (as_int[1] - as_int[2]).abs().amax()))


def _image_files(folder: Path) -> dict[str, Path]:
    """Images under ``folder`` by their relative path without the extension."""
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            key = path.relative_to(folder).with_suffix("").as_posix()
            if key in files:
                raise DataError(f"{str(files[key])!r} and {str(path)!r} have the same name; keep one image per name in {str(folder)!r}")
            files[key] = path
    return files


def _match(a_dir: Path, b_dir: Path) -> list[tuple[Path, Path]]:
    a_files, b_files = _image_files(a_dir), _image_files(b_dir)
    if not a_files and not b_files:
        raise DataError(f"paired dataset folders {str(a_dir)!r} and {str(b_dir)!r} hold no images")
    only_a = sorted(set(a_files) - set(b_files))
    only_b = sorted(set(b_files) - set(a_files))
    if only_a or only_b:

        def listing(names: list[str], here: Path, there: Path) -> str:
            shown = ", ".join(names[:SHOW_UNMATCHED]) + (", ..." if len(names) > SHOW_UNMATCHED else "")
            return f"{len(names)} in {str(here)!r} have no partner in {str(there)!r} ({shown})"

        parts = [listing(only_a, a_dir, b_dir)] * bool(only_a) + [listing(only_b, b_dir, a_dir)] * bool(only_b)
        raise DataError(
            "the A and B folders do not pair up: " + "; ".join(parts) + ". Pairs are matched by file name "
            "without the extension: rename or remove the unmatched images"
        )
    return [(a_files[key], b_files[key]) for key in sorted(a_files)]


def _split(path: Path, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    img = read_image(path, "RGB")
    width, height = img.size
    if width % 2:
        raise DataError(
            f"side-by-side image {str(path)!r} is {width} pixels wide, an odd number: it cannot be two "
            f"halves A|B of the same width (put the halves in folders A/ and B/ instead)"
        )
    half = width // 2
    return _square(img.crop((0, 0, half, height)), size, path, "left half (A)"), _square(
        img.crop((half, 0, width, height)), size, path, "right half (B)"
    )


def _square(img, size: int, path: Path, part: str = "") -> torch.Tensor:
    """Centre-crop a PIL RGB image to a square, resize it to ``size``: uint8 (3, size, size)."""
    from PIL import Image

    width, height = img.size
    side = min(width, height)
    if side < size:
        what = f"the {part} of {str(path)!r}" if part else repr(str(path))
        raise DataError(
            f"{what} is {width}x{height}, smaller than the image size {size}: pairs are not upscaled; "
            f"use a smaller --image-size or larger images"
        )
    left, top = (width - side) // 2, (height - side) // 2
    img = img.crop((left, top, left + side, top + side))
    if side != size:
        img = img.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return picture_tensor(img)


# ---------------------------------------------------------------- edges2photos
def edges2photos(request: DatasetRequest) -> ImageDataset:
    """Offline demo pairs from the bundled photographs (:mod:`.photos`): edge map -> photo.

    The input is the photo's edge map, 1 channel, dark lines on white as in pix2pix's
    edges2shoes: the Sobel gradient magnitude of the photo's luma, scaled so that the photo's
    99th percentile is full black. The edges are computed on the whole photo and then cropped,
    so crop borders show no false edges. Crops and split: :func:`photo_pairs`.
    """
    return photo_pairs(request, "edges2photos", lambda photo, generator: edge_map(photo))


#: ``noisy2photos``: the standard deviation of the added Gaussian noise, in 0-255 pixel values.
NOISE_SIGMA = 25.0


def noisy2photos(request: DatasetRequest) -> ImageDataset:
    """Offline demo pairs from the bundled photographs: noisy photo -> photo (denoising).

    The input is the photo plus Gaussian noise of standard deviation ``NOISE_SIGMA`` (25 of
    255, the usual benchmark level), drawn once per photograph from a seeded generator, rounded
    and clipped to 0-255. Crops and split: :func:`photo_pairs`.
    """
    def noisy(photo: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn(photo.shape, generator=generator) * NOISE_SIGMA
        return (photo.float() + noise).round_().clamp_(0, 255).to(torch.uint8)

    return photo_pairs(request, "noisy2photos", noisy)


def photo_pairs(request: DatasetRequest, dataset: str,
                make_input: Callable[[torch.Tensor, torch.Generator], torch.Tensor]) -> ImageDataset:
    """Pairs (``make_input(photo)`` -> photo) cut from the bundled photographs, split by photograph.

    ``make_input`` turns a whole uint8 RGB photograph into the model's whole input (same height
    and width). Random square crops at the image size (native pixels, no resampling; half of
    them mirrored, input and target alike), always the same ones (seed ``DEMO_SEED``):
    ``CROPS_PER_PHOTO`` from each training photograph, ``HELD_OUT_CROPS_PER_PHOTO`` from each
    held-out one (marked ``held_out``: never trained on). The held-out photographs also come
    whole, for ``ganzoo eval``.
    """
    from ganzoo_plugins.datasets import photos

    size = request.image_size
    train, held = photos.load(photos.TRAIN), photos.load(photos.HELD_OUT)
    photos.fit_crop(train + held, size, dataset)
    generator = torch.Generator().manual_seed(DEMO_SEED)
    targets, inputs, marks, whole = [], [], [], []
    for group, count, mark in ((train, CROPS_PER_PHOTO, False), (held, HELD_OUT_CROPS_PER_PHOTO, True)):
        for name, photo in group:
            source_photo = make_input(photo, generator)
            if mark:
                whole.append(WholeImage(name, source_photo, photo))
            height, width = photo.shape[1:]
            tops = torch.randint(0, height - size + 1, (count,), generator=generator).tolist()
            lefts = torch.randint(0, width - size + 1, (count,), generator=generator).tolist()
            flips = (torch.rand(count, generator=generator) < 0.5).tolist()
            for top, left, flip in zip(tops, lefts, flips):
                target = photo[:, top : top + size, left : left + size]
                source = source_photo[:, top : top + size, left : left + size]
                if flip:  # edges and noise do not care about a mirror: the pair stays true
                    target, source = target.flip(-1), source.flip(-1)
                targets.append(target)
                inputs.append(source)
                marks.append(mark)
    return ImageDataset(torch.stack(targets).contiguous(), inputs=torch.stack(inputs).contiguous(),
                        held_out=torch.tensor(marks), whole=whole)


def edge_map(photo: torch.Tensor) -> torch.Tensor:
    """uint8 RGB (3, H, W) -> uint8 (1, H, W): Sobel magnitude of the luma, dark edges on white."""
    return edge_maps(photo[None])[0]


def edge_maps(images: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """uint8 (N, 1 or 3, H, W) -> uint8 (N, 1, H, W): each image's Sobel magnitude of the luma,
    scaled so that its 99th percentile is full black, dark edges on white."""
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    kernels = torch.stack([sobel_x, sobel_x.t()])[:, None]
    out = []
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].float()
        luma = part if part.shape[1] == 1 else (0.299 * part[:, 0:1] + 0.587 * part[:, 1:2] + 0.114 * part[:, 2:3])
        gradients = F.conv2d(F.pad(luma, (1, 1, 1, 1), mode="replicate"), kernels)
        magnitude = gradients.square().sum(dim=1).sqrt()
        scale = torch.quantile(magnitude.flatten(1), 0.99, dim=1).clamp_min(1e-6)[:, None, None]
        edges = (magnitude / scale).clamp_(0, 1)
        out.append((255 * (1 - edges)).round_().to(torch.uint8)[:, None])
    return torch.cat(out)


# ---------------------------------------------------------------- edges2fashion
def edges2fashion(request: DatasetRequest) -> ImageDataset:
    """Edge map -> Fashion-MNIST item (the edges2shoes of this data): each image's
    :func:`edge_maps`, computed at the run's image size. Trains on the official training split;
    the official test split is held out (``test``) and measured by ``ganzoo eval``."""
    from ganzoo_plugins.datasets.mnist_family import FASHION_MNIST, load_idx_dataset

    items = load_idx_dataset(FASHION_MNIST, request)
    assert items.test is not None
    test = ImageDataset(items.test.images, inputs=edge_maps(items.test.images))
    return ImageDataset(items.images, inputs=edge_maps(items.images), test=test)
