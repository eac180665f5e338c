"""Datasets: the embedded digits, image folders, torchvision sets, and the batch stream."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.data.datasets import BatchStream, ImageDataset, load_dataset
from ganzoo.errors import DataError, UnknownNameError
from ganzoo.plugin.discovery import get_registry

from tests.helpers import run_cli


def load(name, size=32, **kwargs):
    return load_dataset(get_registry(), name, size, **kwargs)


def test_digits_are_the_real_sklearn_digits():
    from sklearn.datasets import load_digits

    ds = load("digits", 8)
    assert ds.images.shape == (1797, 1, 8, 8) and ds.images.dtype == torch.uint8
    assert ds.classes == [str(i) for i in range(10)]
    expected = np.rint(load_digits().images * 255 / 16).astype(np.uint8)
    assert np.array_equal(ds.images[:, 0].numpy(), expected)
    assert torch.equal(ds.labels, torch.from_numpy(load_digits().target).long())
    resized = load("digits", 32)
    assert resized.images.shape == (1797, 1, 32, 32)
    assert resized.images.float().mean().item() == pytest.approx(ds.images.float().mean().item(), rel=0.1)


def _png(path, color, size=(20, 12), mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


def test_folder_with_class_subfolders(tmp_path):
    _png(tmp_path / "cats" / "a.png", (255, 0, 0))
    _png(tmp_path / "cats" / "deep" / "b.jpg", (250, 0, 0))
    _png(tmp_path / "dogs" / "c.png", (0, 0, 255))
    ds = load(f"folder:{tmp_path}", 16)
    assert ds.images.shape == (3, 3, 16, 16)
    assert ds.classes == ["cats", "dogs"]
    assert ds.labels.tolist() == [0, 0, 1]
    assert ds.images[2, 2].float().mean() > 250 and ds.images[2, 0].float().mean() < 5


def test_flat_grayscale_folder_is_unlabelled_single_channel(tmp_path):
    for i in range(3):
        _png(tmp_path / f"{i}.png", i * 100, mode="L")
    ds = load(f"folder:{tmp_path}", 8)
    assert ds.images.shape == (3, 1, 8, 8) and ds.labels is None
    assert ds.images[:, 0, 0, 0].tolist() == [0, 100, 200]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "holds no images"),
        (lambda p: (p / "bad.png").write_bytes(b"not a png"), "cannot read image"),
    ],
)
def test_bad_folders_get_clear_errors(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(DataError, match=message):
        load(f"folder:{tmp_path}")


def test_missing_folder_and_bad_names(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load(f"folder:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="needs an argument: --dataset folder:PATH"):
        load("folder")
    with pytest.raises(DataError, match="takes no argument"):
        load("digits:x")
    with pytest.raises(UnknownNameError, match="did you mean 'digits'"):
        load("digit")


def test_absent_dataset_says_where_and_how(tmp_path):
    with pytest.raises(DataError, match=r"MNIST is not installed \(looked in .*\); add --download"):
        load("mnist", data_root=tmp_path)
    proc = run_cli("run", "cifar10", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2 and "unknown model 'cifar10'" in proc.stderr
    proc = run_cli("run", "dcgan", "--dataset", "cifar10", "--data-root", str(tmp_path), "--out", str(tmp_path / "r"))
    assert proc.returncode == 2 and "CIFAR10 is not under" in proc.stderr and "--download" in proc.stderr
    assert not (tmp_path / "r" / "generator.safetensors").exists()


def _idx(path, array, magic):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_files_in_the_data_root_are_read(tmp_path):
    """MNIST in its real idx format, written by the test (no download)."""
    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    for split, n in (("train", 12), ("t10k", 4)):
        _idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), 0x803)
        _idx(raw / f"{split}-labels-idx1-ubyte", np.arange(n) % 10, 0x801)
    ds = load("mnist", 32, data_root=tmp_path)
    assert ds.images.shape == (12, 1, 32, 32)
    assert ds.labels.tolist() == [i % 10 for i in range(12)]
    assert len(ds.classes) == 10


def test_batch_stream_covers_every_image_once_per_epoch_and_resumes():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 2, 2).contiguous()
    ds = ImageDataset(images, torch.arange(10))
    stream = BatchStream(ds, 5, torch.device("cpu"), seed=0)
    first = torch.cat([next(stream)[1] for _ in range(2)])
    assert sorted(first.tolist()) == list(range(10))
    x, y = next(stream)
    assert x.min() >= -1 and x.max() <= 1 and torch.allclose(x[:, 0, 0, 0], y.float() / 127.5 - 1)
    state = stream.state_dict()
    expected = [next(stream)[1].tolist() for _ in range(5)]
    other = BatchStream(ds, 5, torch.device("cpu"), seed=123)
    other.load_state_dict(state)
    assert [next(other)[1].tolist() for _ in range(5)] == expected
    with pytest.raises(DataError, match="larger than the dataset"):
        BatchStream(ds, 11, torch.device("cpu"), seed=0)


def test_labels_without_class_names_are_named_by_index():
    images = torch.zeros(4, 1, 2, 2, dtype=torch.uint8)
    ds = ImageDataset(images, torch.tensor([0, 2, 1, 2]))
    assert ds.classes == ["0", "1", "2"] and ds.num_classes == 3
    with pytest.raises(DataError, match="label 2 has no class name"):
        ImageDataset(images, torch.tensor([0, 2, 1, 2]), ["a", "b"])
