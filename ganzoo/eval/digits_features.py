"""The digits feature network: ganzoo's offline stand-in for InceptionV3 on handwritten digits.

Inception FID needs a 100 MB ImageNet network and 299x299 inputs; on 32x32 digits it
measures little and is unavailable offline. This small CNN is trained by
``scripts/train_digits_features.py`` on the *training split* of scikit-learn's digits
(:func:`digits_split`) and shipped as ``ganzoo/eval/assets/digits-features.safetensors``. Its
128-d penultimate layer gives FD-digits / KID-digits and its classifier head gives class
coverage and conditional accuracy. Figures from it are comparable with each other, never
with Inception FID.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.data.datasets import as_float
from ganzoo.data.splits import split_indices
from ganzoo.eval.classifier import fit_classifier

ASSET = Path(__file__).parent / "assets" / "digits-features.safetensors"
IMAGE_SIZE = 32
FEATURES = 128
#: The seeded split that the network trains on and that evaluation holds out.
SPLIT_SEED = 0
HELD_OUT_FRACTION = 0.2
#: Datasets whose images the network understands (its head reads their 10 classes).
DIGIT_DATASETS = ("digits", "mnist")


def reads_digits(dataset: str | None) -> bool:
    """Whether ``dataset`` (a ``--dataset`` name, argument and all) holds digits this network reads."""
    return dataset is not None and dataset.partition(":")[0] in DIGIT_DATASETS


class DigitsFeatureNet(nn.Module):
    """Four 3x3 conv layers (each followed by batch norm when ``norm``), two poolings, a 128-d
    feature layer and a 10-way head. The digits network has no norm; the Fashion-MNIST one
    needs it to learn its harder classes in a CPU budget."""

    def __init__(self, num_classes: int = 10, width: int = 32, norm: bool = False) -> None:
        super().__init__()

        def conv(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1), *([nn.BatchNorm2d(cout)] if norm else []), nn.ReLU(inplace=True)]

        self.body = nn.Sequential(
            *conv(1, width), *conv(width, width),
            nn.MaxPool2d(2),
            *conv(width, 2 * width), *conv(2 * width, 2 * width),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
        )
        self.embed = nn.Linear(2 * width * 16, FEATURES)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(FEATURES, num_classes))
        #: Divides the features so that real digits have unit root-mean-square per dimension:
        #: KID's polynomial kernel (x.y / D + 1)^3 assumes features of order one, as Inception's are.
        self.register_buffer("scale", torch.ones(()))

    @staticmethod
    def prepare(images: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1], any size, 1 or 3 channels -> 1 x 32 x 32 grey."""
        if images.shape[1] == 3:
            images = images.mean(1, keepdim=True)
        if images.shape[-2:] != (IMAGE_SIZE, IMAGE_SIZE):
            images = F.interpolate(images, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False, antialias=True)
        return images

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features N x 128 taken before the non-linearity, class logits N x 10)."""
        features = self.embed(self.body(self.prepare(images)))
        return features / self.scale, self.head(features)


def digits_split(count: int, seed: int = SPLIT_SEED, fraction: float = HELD_OUT_FRACTION) -> tuple[torch.Tensor, torch.Tensor]:
    """(train indices, held-out indices), each sorted, of a dataset of ``count`` images: the
    evaluation split (a seeded permutation; see :mod:`ganzoo.data.splits`)."""
    return split_indices(count, seed, fraction, ordered=True)


def held_out_part(dataset: Any) -> tuple[torch.Tensor, Any, torch.Tensor]:
    """``(training indices of dataset, the dataset holding the held-out images, their indices)``:
    the official test split where the dataset has one (``dataset.test``: MNIST, Fashion-MNIST),
    else the :func:`digits_split` of the dataset itself. Evaluation and the class judge both
    hold out exactly this."""
    if dataset.test is not None:
        return torch.arange(len(dataset)), dataset.test, torch.arange(len(dataset.test))
    train, held = digits_split(len(dataset))
    return train, dataset, held


#: Features are calibrated on at most this many training images (the first of the split).
CALIBRATION_MOST = 10_000


@dataclass
class TrainingResult:
    net: DigitsFeatureNet
    accuracy: float  # on the held-out split
    steps: int


def train_digits_features(images: torch.Tensor, labels: torch.Tensor, steps: int = 3000, batch_size: int = 64,
                          seed: int = 0, device: torch.device | None = None) -> TrainingResult:
    """Train on the training split of (uint8 32x32 digits, labels) with +-2 px random shifts;
    report held-out accuracy. Deterministic for a seed on one device."""
    train, held = digits_split(len(images))
    return train_feature_net(images, labels, train, held, steps=steps, batch_size=batch_size, seed=seed, device=device)


def train_feature_net(images: torch.Tensor, labels: torch.Tensor, train: torch.Tensor, held: torch.Tensor, *,
                      steps: int, batch_size: int = 64, seed: int = 0, width: int = 32, lr: float = 1e-3,
                      norm: bool = False, shift: int = 2, flip: bool = False,
                      device: torch.device | None = None) -> TrainingResult:
    """Train a :class:`DigitsFeatureNet` on the ``train`` examples of (uint8 32x32 images, labels)
    with +-``shift`` px random shifts (and random mirroring with ``flip``) and a cosine schedule, calibrate its features on them, and report
    the accuracy on the ``held`` examples. Deterministic for a seed on one device; the one loop
    behind every shipped feature network (digits, Fashion-MNIST)."""
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    x, y = images.to(device), labels.to(device)
    net = DigitsFeatureNet(width=width, norm=norm).to(device)
    fit_classifier(net, x, y, train, steps=steps, batch_size=batch_size, lr=lr, logits=lambda out: out[1],
                   cosine=True, shift=shift, flip=flip)
    calibrate(net, as_float(x[train[:CALIBRATION_MOST].to(device)], device))
    return TrainingResult(net, accuracy(net, as_float(x[held.to(device)], device), y[held.to(device)]), steps)


@torch.no_grad()
def calibrate(net: DigitsFeatureNet, images: torch.Tensor) -> None:
    """Set ``net.scale`` so the features of ``images`` have unit root-mean-square."""
    net.eval()
    net.scale.fill_(1.0)
    features = torch.cat([net(images[i : i + 500])[0] for i in range(0, len(images), 500)])
    net.scale.fill_(features.pow(2).mean().sqrt().item())


@torch.no_grad()
def accuracy(net: DigitsFeatureNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` (floats in [-1, 1]) classified as ``labels``."""
    net.eval()
    hits = sum(int((net(images[i : i + 500])[1].argmax(1) == labels[i : i + 500]).sum()) for i in range(0, len(images), 500))
    return hits / len(images)


def load_digits_features(device: torch.device | str = "cpu") -> DigitsFeatureNet:
    """The shipped network, in eval mode. Loading it leaves the global random stream alone (a run
    that evaluates as it trains must train exactly as one that does not)."""
    return load_feature_net(ASSET, device)


def load_feature_net(asset: Path, device: torch.device | str = "cpu") -> DigitsFeatureNet:
    """A shipped feature network (its width read from the file's metadata), in eval mode,
    leaving the global random stream alone."""
    from ganzoo.io import weights

    meta = weights.read_metadata(asset)
    with torch.random.fork_rng(devices=[]):  # the layers' initialisation draws from it, then is overwritten
        net = DigitsFeatureNet(width=int(meta.get("width", 32)), norm=meta.get("norm", "none") == "batch")
    weights.load_into(net, weights.read_tensors(asset), asset)
    return net.to(device).eval()
