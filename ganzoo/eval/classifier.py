"""Small CNN classifiers: the one training loop they share, and the classifier judged runs get.

:class:`SmallClassifier` judges class coverage (:mod:`ganzoo.eval.classes`) on data the shipped
digits network does not know: a few seconds of training on the real labelled images, and an
accuracy on images it never saw, to say how far it can be trusted. :func:`fit_classifier` is
also the loop that trained the shipped digits network (:mod:`ganzoo.eval.digits_features`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.data.datasets import as_float
from ganzoo.data.splits import split_indices

#: The share of the images :func:`train_classifier` holds out when it is given no split.
HELD_OUT_FRACTION = 0.1


class SmallClassifier(nn.Module):
    """Two conv blocks and a linear head; any image size >= 8, 1 or 3 channels."""

    def __init__(self, channels: int, num_classes: int, width: int = 32) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
        )
        self.head = nn.Linear(2 * width * 16, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def fit_classifier(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, train_index: torch.Tensor, *,
                   steps: int, batch_size: int, lr: float, logits: Callable[[Any], torch.Tensor] | None = None,
                   cosine: bool = False, shift: int = 0, flip: bool = False) -> nn.Module:
    """Train ``net`` by Adam on the cross-entropy of random batches of the ``train_index`` examples.

    ``images`` are uint8 (N x C x H x W) on the net's device, made floats in [-1, 1] a batch at
    a time (no float copy of a whole dataset). ``logits`` picks the logits from the net's output
    (default: the output itself); ``cosine`` anneals the learning rate to zero; ``shift`` moves
    each batch by up to that many pixels (one random shift per batch, the border padded black);
    ``flip`` mirrors a random half of each batch left to right.
    Batches and shifts come from the global random stream: callers seed it, and fork it when a
    run's own stream must not move.
    """
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if cosine else None
    height, width = images.shape[-2:]
    net.train()
    for _ in range(steps):
        batch = train_index[torch.randint(len(train_index), (batch_size,))].to(images.device)
        inputs = as_float(images[batch], images.device)
        if shift:
            dx, dy = torch.randint(0, 2 * shift + 1, (2,)).tolist()
            inputs = F.pad(inputs, (shift,) * 4, value=-1.0)[:, :, dy : dy + height, dx : dx + width]
        if flip:
            mirrored = (torch.rand(len(inputs)) < 0.5).to(inputs.device)[:, None, None, None]
            inputs = torch.where(mirrored, inputs.flip(-1), inputs)
        out = net(inputs)
        loss = F.cross_entropy(out if logits is None else logits(out), labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
    return net


@torch.no_grad()
def held_out_accuracy(predict: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, labels: torch.Tensor,
                      index: torch.Tensor, device: torch.device, chunk: int = 512) -> float:
    """Share of the uint8 ``images`` at ``index`` that ``predict`` reads as their ``labels``, a chunk at a time."""
    right = 0
    for start in range(0, len(index), chunk):
        part = index[start : start + chunk].to(images.device)
        right += int((predict(as_float(images[part], device)) == labels[part].to(device)).sum())
    return right / len(index)


@dataclass
class TrainedClassifier:
    net: SmallClassifier
    accuracy: float  # on the held-out images, which it never trained on

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        self.net.eval()
        return torch.cat([self.net(images[i : i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


def train_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    device: torch.device,
    seed: int = 0,
    steps: int = 500,
    batch_size: int = 64,
    *,
    split: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> TrainedClassifier:
    """Train on the training part of (uint8 images, labels), report accuracy on the held-out part.

    ``split`` is ``(train indices, held-out indices)``; by default a seeded tenth is held out
    (:func:`ganzoo.data.splits.split_indices`). Uses its own RNG (``fork_rng``) so that a run's
    random stream, and therefore exact resume, is the same with or without the classifier.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        train, held = split if split is not None else split_indices(len(images), seed, HELD_OUT_FRACTION)
        x, y = images.to(device), labels.to(device)
        net = SmallClassifier(images.shape[1], num_classes).to(device)
        fit_classifier(net, x, y, train, steps=steps, batch_size=batch_size, lr=2e-3)
        trained = TrainedClassifier(net, 0.0)
        trained.accuracy = held_out_accuracy(trained.predict, x, y, held, device)
    return trained
