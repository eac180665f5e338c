"""Small MNIST-style IDX files that tests write themselves (the real datasets may not be installed)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

TRAIN, TEST = 30, 12
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
STEMS = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


# ---------------------------------------------------------------- small IDX files
def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """``array`` as an IDX file: two zero bytes, the type code, the number of dimensions, each
    dimension as a big-endian uint32, then the values."""
    return b"\0\0" + bytes([type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def small_arrays(seed: int = 0, train: int = TRAIN, test: int = TEST) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(train) % 10).astype(np.uint8),
        "test_images": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(test)[::-1] % 10).astype(np.uint8),
    }


def file_bytes(packed: bool = True, seed: int = 0, train: int = TRAIN, test: int = TEST) -> dict[str, bytes]:
    """The four files' names (``.gz`` when ``packed``) -> their bytes."""
    files = {}
    for role, array in small_arrays(seed, train, test).items():
        data = idx_bytes(array)
        files[STEMS[role] + (".gz" if packed else "")] = gzip.compress(data, mtime=0) if packed else data
    return files


def write_set(folder: Path, packed: bool = True, seed: int = 0, train: int = TRAIN, test: int = TEST) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in file_bytes(packed, seed, train, test).items():
        (folder / name).write_bytes(data)
    return folder
