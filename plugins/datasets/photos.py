"""Real photographs that ship inside installed packages, split by photograph.

scikit-image ships about twenty real photographs in its wheel (``skimage/data``) and
scikit-learn two more (``sklearn/datasets/images``): no download. The photo demos
(``photos``, ``photos-sr``, ``edges2photos``) train on crops of some photographs and are
measured on others that no run ever sees, not even as other crops: a held-out figure then
says what the model does on a photograph it has not met, as a user's would be.

The split is by whole photograph, seeded (:data:`SPLIT_SEED`), stratified by colour (a fixed
share of the colour photographs and of the grey ones is held out), and computed with Python's
own ``random.Random`` so that plugin registration (``ganzoo info photos-sr`` prints the list)
imports neither torch nor the photo packages. Two views of one scene (the stereo motorcycle
pair) count as one photograph: they always land on the same side.

Left out of the catalog: drawings and synthetic images (``logo``, ``color``, ``phantom``, the
chessboards, ``horse``), scanned text (``page``, ``text``), an artificially blurred photograph
(``clock_motion``) and images too small to crop (``microaneurysms``); ``chelsea`` is kept once
(``skimage.data.cat`` is the same file).
"""

from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import DataError

#: The seed of the photograph split: the same held-out photographs in every run.
SPLIT_SEED = 0
#: Held out: this many of the colour photographs and of the grey ones.
HELD_OUT_COLOUR = 3
HELD_OUT_GREY = 2


@dataclass(frozen=True)
class Photo:
    """One photograph (or one scene seen twice): its name, package and files, colour or grey."""

    name: str
    package: str  # "skimage" or "sklearn"
    files: tuple[str, ...]
    colour: bool


CATALOG: tuple[Photo, ...] = (
    Photo("astronaut", "skimage", ("astronaut.png",), True),
    Photo("chelsea", "skimage", ("chelsea.png",), True),
    Photo("coffee", "skimage", ("coffee.png",), True),
    Photo("hubble_deep_field", "skimage", ("hubble_deep_field.jpg",), True),
    Photo("ihc", "skimage", ("ihc.png",), True),
    Photo("retina", "skimage", ("retina.jpg",), True),
    Photo("rocket", "skimage", ("rocket.jpg",), True),
    Photo("motorcycle", "skimage", ("motorcycle_left.png", "motorcycle_right.png"), True),
    Photo("china", "sklearn", ("china.jpg",), True),
    Photo("flower", "sklearn", ("flower.jpg",), True),
    Photo("brick", "skimage", ("brick.png",), False),
    Photo("camera", "skimage", ("camera.png",), False),
    Photo("grass", "skimage", ("grass.png",), False),
    Photo("gravel", "skimage", ("gravel.png",), False),
    Photo("moon", "skimage", ("moon.png",), False),
    Photo("coins", "skimage", ("coins.png",), False),
    Photo("cell", "skimage", ("cell.png",), False),
)

_FOLDERS = {"skimage": ("skimage", "data"), "sklearn": ("sklearn", "datasets/images")}
_INSTALL = {"skimage": "scikit-image", "sklearn": "scikit-learn"}


def split(seed: int = SPLIT_SEED) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(training photographs, held-out photographs)`` by name, each in catalog order."""
    rng = random.Random(seed)
    held: set[str] = set()
    for colour, count in ((True, HELD_OUT_COLOUR), (False, HELD_OUT_GREY)):
        names = [photo.name for photo in CATALOG if photo.colour == colour]
        held.update(rng.sample(names, count))
    return (tuple(p.name for p in CATALOG if p.name not in held), tuple(p.name for p in CATALOG if p.name in held))


TRAIN, HELD_OUT = split()


def photo_files(name: str) -> list[Path]:
    """The files of one catalog photograph, inside its installed package."""
    photo = next((p for p in CATALOG if p.name == name), None)
    if photo is None:
        raise DataError(f"no bundled photograph is called {name!r}; known: {', '.join(p.name for p in CATALOG)}")
    package, folder = _FOLDERS[photo.package]
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"the bundled photographs need {_INSTALL[photo.package]}: pip install {_INSTALL[photo.package]}")
    files = [Path(next(iter(spec.submodule_search_locations))) / folder / file for file in photo.files]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise DataError(f"photograph {name!r} is missing from the installed {_INSTALL[photo.package]} ({missing[0]}); "
                        f"reinstall it: pip install --force-reinstall {_INSTALL[photo.package]}")
    return files


def load(names: tuple[str, ...] | list[str]):
    """``[(file stem, uint8 RGB (3, H, W) tensor)]`` for the named photographs (grey ones as three
    equal channels), in the order given; a scene with two views gives two entries."""
    from ganzoo.io.images import picture_tensor, read_image

    out = []
    for name in names:
        for path in photo_files(name):
            out.append((path.stem, picture_tensor(read_image(path, "RGB")).contiguous()))
    return out


#: ``photos``: random crops taken from each training photograph.
CROPS_PER_PHOTO = 64


def photos_dataset(request):
    """``--dataset photos``: ``CROPS_PER_PHOTO`` seeded random crops of ``request.image_size``
    from each training photograph (the held-out ones are never part of it). Offline."""
    import torch

    from ganzoo.data.image_dataset import ImageDataset
    from ganzoo_plugins.datasets.superres import random_crops

    images = load(TRAIN)
    size = fit_crop(images, request.image_size, "photos")
    crops = [random_crops(image, size, CROPS_PER_PHOTO, torch.Generator().manual_seed(index))
             for index, (_, image) in enumerate(images)]
    return ImageDataset(torch.cat(crops).contiguous())


def fit_crop(images, size: int, dataset: str) -> int:
    """``size``, or a one-line :class:`DataError` when a photograph is smaller than that crop."""
    smallest = min(min(image.shape[-2:]) for _, image in images)
    if size > smallest:
        raise DataError(f"{dataset} crops photographs as small as {smallest} pixels; use an image size of at most {smallest}, got {size}")
    return size
