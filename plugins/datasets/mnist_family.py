"""MNIST and Fashion-MNIST from their four standard IDX files, no torchvision needed.

Where the files are looked for, in order (the first folder holding all four wins):

1. ``--data-root DIR``: ``DIR`` itself, ``DIR/NAME`` and torchvision's ``DIR/TITLE/raw``;
2. ``$GANZOO_HOME/datasets/NAME`` (where ``--download`` puts them);
3. the folder a system package installs (Debian's ``dataset-fashion-mnist``:
   ``/usr/share/datasets/fashion-mnist``);
4. ``--download``: the publisher's files, each checked against its published size and MD5
   before it is kept; without it, one line naming the three ways to get them.

Each file may be gzip-compressed (``.gz``, as published) or not. The models train on the
official training split (60,000 images); the official test split (10,000) is the held-out
split every evaluation measures against (``ImageDataset.test``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ganzoo.data.datasets import DatasetRequest, ImageDataset, resize_images
from ganzoo.data.idx import read_idx
from ganzoo.errors import DataError
from ganzoo.io.download import RemoteFile, download
from ganzoo.io.home import ganzoo_home

#: (role, file name as published, number of dimensions)
FILES = (
    ("train_images", "train-images-idx3-ubyte", 3),
    ("train_labels", "train-labels-idx1-ubyte", 1),
    ("test_images", "t10k-images-idx3-ubyte", 3),
    ("test_labels", "t10k-labels-idx1-ubyte", 1),
)


@dataclass(frozen=True)
class IdxDataset:
    """One MNIST-style dataset: where its files live and what they are."""

    name: str
    title: str  # torchvision's folder name, also how messages name it
    classes: tuple[str, ...]
    mirrors: tuple[str, ...]
    #: published .gz file name -> (size in bytes, MD5), as the publisher lists them
    published: dict[str, tuple[int, str]]
    system_folders: tuple[str, ...] = ()
    system_package: str | None = None


FASHION_MNIST = IdxDataset(
    name="fashion-mnist",
    title="FashionMNIST",
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    published={
        "train-images-idx3-ubyte.gz": (26421880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train-labels-idx1-ubyte.gz": (29515, "25c81989df183df01b3e8a0aad5dffbe"),
        "t10k-images-idx3-ubyte.gz": (4422102, "bef4ecab320f06d8554ea6380940ec79"),
        "t10k-labels-idx1-ubyte.gz": (5148, "bb300cfdad3c16e7a12a480ee83cd310"),
    },
    system_folders=("/usr/share/datasets/fashion-mnist",),
    system_package="dataset-fashion-mnist",
)

MNIST = IdxDataset(
    name="mnist",
    title="MNIST",
    classes=tuple(str(i) for i in range(10)),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    published={
        "train-images-idx3-ubyte.gz": (9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train-labels-idx1-ubyte.gz": (28881, "d53e105ee54ea40749a09fcbcd1e9432"),
        "t10k-images-idx3-ubyte.gz": (1648877, "9fb629c4189551a2d022fa330f9573f3"),
        "t10k-labels-idx1-ubyte.gz": (4542, "ec29112dd5afa0611ce80d1b7f02629c"),
    },
)


def _file_in(folder: Path, stem: str) -> Path | None:
    """``stem.gz``, ``stem`` or LeCun's unpacked ``train-images.idx3-ubyte`` spelling, if present."""
    for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


def complete_folder(folder: Path) -> dict[str, Path] | None:
    """The four files in ``folder`` by role, or None when any is missing."""
    found = {role: _file_in(folder, stem) for role, stem, _ in FILES}
    return found if all(found.values()) else None  # type: ignore[return-value]


def download_folder(spec: IdxDataset) -> Path:
    """Where ``--download`` puts the files: ``$GANZOO_HOME/datasets/NAME``."""
    return ganzoo_home() / "datasets" / spec.name


def candidate_folders(spec: IdxDataset, data_root: Path | None) -> list[Path]:
    """Every folder looked in, in order."""
    folders = []
    if data_root is not None:
        folders += [data_root, data_root / spec.name, data_root / spec.title / "raw"]
    folders.append(download_folder(spec))
    folders += [Path(p) for p in spec.system_folders]
    return folders


def locate(spec: IdxDataset, data_root: Path | None) -> dict[str, Path] | None:
    """The first folder holding all four files, by role (None: nowhere)."""
    for folder in candidate_folders(spec, data_root):
        found = complete_folder(folder)
        if found:
            return found
    return None


def fetch(spec: IdxDataset, progress: bool | None = None) -> dict[str, Path]:
    """Download the four published files into :func:`download_folder` (each verified before it
    is kept; files already there and whole are not fetched again)."""
    folder = download_folder(spec)
    for name, (size, md5) in spec.published.items():
        remote = RemoteFile(f"{spec.name} {name}", tuple(m + name for m in spec.mirrors), size, md5=md5)
        download(remote, folder / name, progress=progress, error=DataError)
    found = complete_folder(folder)
    assert found is not None
    return found


def missing_message(spec: IdxDataset, data_root: Path | None) -> str:
    """One line: where it looked and the three ways to get the files."""
    ways = []
    if spec.system_package:
        ways.append(f"`apt-get install {spec.system_package}` (Debian/Ubuntu)")
    ways.append("add --download")
    ways.append(f"put the four IDX files ({', '.join(stem + '.gz' for _, stem, _ in FILES)}) in "
                f"{download_folder(spec)} or a folder named by --data-root")
    looked = ", ".join(str(f) for f in candidate_folders(spec, data_root))
    return f"{spec.title} is not installed (looked in {looked}); " + ", or ".join(ways)


def load_idx_dataset(spec: IdxDataset, request: DatasetRequest) -> ImageDataset:
    """The training split at the request's image size, with the official test split as ``test``."""
    data_root = request.data_root if request.data_root_given else None
    found = locate(spec, data_root)
    if found is None:
        if not request.download:
            raise DataError(missing_message(spec, data_root))
        found = fetch(spec)
    arrays = {role: read_idx(found[role], ndim) for role, _, ndim in FILES}
    parts = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.numel() == 0:  # no images, or images 0 pixels high or wide: nothing to train or measure on
            h, w = images.shape[1:]
            what = "no images" if len(images) == 0 else f"images of {h}x{w} pixels"
            raise DataError(f"{found[f'{split}_images']} holds {what}; {spec.title}'s files hold 28x28 images, "
                            "fetch the file again")
        if len(images) != len(labels):
            raise DataError(f"{found[f'{split}_images']} holds {len(images):,} images but {found[f'{split}_labels']} "
                            f"holds {len(labels):,} labels; the files are not one set")
        if len(labels) and int(labels.max()) >= len(spec.classes):
            raise DataError(f"{found[f'{split}_labels']} holds label {int(labels.max())}; {spec.title} has "
                            f"{len(spec.classes)} classes (0-{len(spec.classes) - 1})")
        parts.append(ImageDataset(resize_images(images.unsqueeze(1), request.image_size),
                                  labels.to(torch.int64), list(spec.classes)))
    train, test = parts
    train.test = test
    return train


def fashion_mnist(request: DatasetRequest) -> ImageDataset:
    return load_idx_dataset(FASHION_MNIST, request)


def mnist(request: DatasetRequest) -> ImageDataset:
    return load_idx_dataset(MNIST, request)
