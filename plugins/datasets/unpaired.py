"""Unpaired (CycleGAN) datasets: ``unpaired:PATH`` folders and the offline ``edges2photos-unpaired`` demo.

Both return an :class:`ImageDataset` whose ``inputs`` are domain A and ``images`` domain B, with
the same channels on both sides (RGB unless every image of both domains is grey). The unpaired
task draws the two sides independently (:mod:`ganzoo.core.unpaired`), so the position of an
image on its side pairs it with nothing; a side shorter than the other repeats its images in
order up to the other's length (each is still drawn about equally often, as in the
reference's loader).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ganzoo.data.datasets import DatasetRequest, ImageDataset, read_image_folder
from ganzoo.data.image_dataset import WholeImage
from ganzoo.errors import DataError

#: ``edges2photos-unpaired``: crops per domain, taken evenly from the domain's photographs.
CROPS_PER_DOMAIN = 512
#: ... and true (edge map, photo) pairs from each held-out photograph, for measuring.
HELD_OUT_CROPS_PER_PHOTO = 16
#: The seed of those crops: the demo data is the same in every run, whatever ``--seed`` says.
DEMO_SEED = 0


def unpaired(request: DatasetRequest) -> ImageDataset:
    """``unpaired:PATH``: every image under ``PATH/trainA`` (domain A) and ``PATH/trainB`` (domain
    B), recursively, centre-cropped to squares at the image size: the layout CycleGAN's datasets
    (horse2zebra, monet2photo, ...) ship. Nothing pairs them, so nothing is held out."""
    root = Path(request.argument).expanduser()
    if not root.is_dir():
        raise DataError(f"unpaired dataset folder {str(root)!r} does not exist or is not a folder")
    folders = [root / "trainA", root / "trainB"]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise DataError(f"unpaired dataset folder {str(root)!r} has no {' and no '.join(Path(m).name + '/' for m in missing)}; "
                        "expected trainA/ (domain A) and trainB/ (domain B) holding images, as CycleGAN's datasets ship")
    a, b = (read_image_folder(folder, request.image_size).images for folder in folders)
    return domains(a, b)


def domains(a: torch.Tensor, b: torch.Tensor, held_a: torch.Tensor | None = None, held_b: torch.Tensor | None = None,
            whole: list[WholeImage] | None = None) -> ImageDataset:
    """Two domains' uint8 images (same size, 1 or 3 channels each) as one dataset: the same
    channels on both sides, the shorter side repeated to the longer's length, and optionally
    true held-out pairs ``(held_a[i], held_b[i])`` appended and marked ``held_out``."""
    channels = max(t.shape[1] for t in (a, b))
    a, b = (t.expand(-1, channels, -1, -1) for t in (a, b))
    count = max(len(a), len(b))
    a, b = (t[torch.arange(count) % len(t)] for t in (a, b))
    if held_a is None or held_b is None:
        return ImageDataset(b.contiguous(), inputs=a.contiguous())
    held_a, held_b = (t.expand(-1, channels, -1, -1) for t in (held_a, held_b))
    marks = torch.cat([torch.zeros(count, dtype=torch.bool), torch.ones(len(held_a), dtype=torch.bool)])
    return ImageDataset(torch.cat([b, held_b]).contiguous(), inputs=torch.cat([a, held_a]).contiguous(), held_out=marks,
                        whole=list(whole or []))


def edges2photos_unpaired(request: DatasetRequest) -> ImageDataset:
    """Offline demo from the bundled photographs (:mod:`.photos`): edge maps (A) and photos (B)
    that do not pair up.

    The training photographs are dealt into two groups, alternately in catalog order: domain A
    holds ``CROPS_PER_DOMAIN`` random crops of the *edge maps* of the first group (the
    edges2photos map: dark Sobel lines on white, as three equal channels), domain B as many crops
    of the *photographs* of the other group. So no photograph appears in both domains: a run
    never sees an edge map together with its photo. The held-out photographs give true pairs
    (``HELD_OUT_CROPS_PER_PHOTO`` crops each, and each one whole for ``ganzoo eval``), so the
    A -> B translation can be measured against the real photo. Crops are at native pixels, half
    of them mirrored, always the same ones (seed ``DEMO_SEED``).
    """
    from ganzoo_plugins.datasets import photos
    from ganzoo_plugins.datasets.paired import edge_map
    from ganzoo_plugins.datasets.superres import random_crops

    size = request.image_size
    train, held = photos.load(photos.TRAIN), photos.load(photos.HELD_OUT)
    photos.fit_crop(train + held, size, "edges2photos-unpaired")
    generator = torch.Generator().manual_seed(DEMO_SEED)

    def edges(photo: torch.Tensor) -> torch.Tensor:
        return edge_map(photo).expand(3, -1, -1)

    def mirrored(crops: torch.Tensor) -> torch.Tensor:
        flip = torch.rand(len(crops), generator=generator) < 0.5
        return torch.where(flip[:, None, None, None], crops.flip(-1), crops)

    sides = []
    for group, view in ((train[0::2], edges), (train[1::2], lambda photo: photo)):
        per_photo = math.ceil(CROPS_PER_DOMAIN / len(group))
        crops = torch.cat([random_crops(view(photo), size, per_photo, generator) for _, photo in group])
        sides.append(mirrored(crops[:CROPS_PER_DOMAIN]))
    held_a, held_b, whole = [], [], []
    for name, photo in held:
        both = random_crops(torch.cat([edges(photo), photo]), size, HELD_OUT_CROPS_PER_PHOTO, generator)
        both = mirrored(both)  # edges do not care about a mirror: the pair stays true
        held_a.append(both[:, :3])
        held_b.append(both[:, 3:])
        whole.append(WholeImage(name, edges(photo).contiguous(), photo))
    if not held:
        raise DataError("edges2photos-unpaired found no held-out photographs")
    return domains(sides[0], sides[1], torch.cat(held_a), torch.cat(held_b), whole)


def class_pair(items: ImageDataset, a: str, b: str) -> ImageDataset:
    """Two classes of a labelled dataset as unpaired domains: domain A holds the training images
    of class ``a``, domain B those of class ``b``; the official test split's images of the same
    two classes are held out as ``test`` (no pairs: evaluation reads each translation with the
    dataset's class judge, :mod:`ganzoo.eval.translation`)."""
    index = {name: i for i, name in enumerate(items.classes)}
    unknown = [name for name in (a, b) if name not in index]
    if unknown:
        raise DataError(f"no class {unknown[0]!r}; the classes are {', '.join(items.classes)}")

    def split(part: ImageDataset) -> ImageDataset:
        assert part.labels is not None, "a class pair is cut from a labelled dataset"
        side_a, side_b = (part.images[part.labels == index[name]] for name in (a, b))
        if not len(side_a) or not len(side_b):
            raise DataError(f"the dataset holds no images of class {a if not len(side_a) else b!r}")
        return domains(side_a, side_b)

    pair = split(items)
    pair.test = split(items.test) if items.test is not None else None
    pair.domain_classes = ((a, index[a]), (b, index[b]))
    return pair


def sneakers2boots(request: DatasetRequest) -> ImageDataset:
    """Fashion-MNIST's sneakers (A) and ankle boots (B), unpaired: 6,000 training images each;
    the 1,000 test images of each class are held out."""
    from ganzoo_plugins.datasets.mnist_family import FASHION_MNIST, load_idx_dataset

    return class_pair(load_idx_dataset(FASHION_MNIST, request), "Sneaker", "Ankle boot")
