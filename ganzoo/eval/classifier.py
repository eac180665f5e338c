"""A small CNN classifier trained on a run's real images.

It is the judge of the mode-collapse report (:mod:`ganzoo.class_report`): a few seconds of
training on the real labelled data, a held-out accuracy to say how far it can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


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


@dataclass
class TrainedClassifier:
    net: SmallClassifier
    accuracy: float  # on the held-out tenth of the real images

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
) -> TrainedClassifier:
    """Train on 90 % of (uint8 images, labels), report accuracy on the other 10 %.

    Uses its own RNG (``fork_rng``) so that a run's random stream, and therefore exact
    resume, is the same with or without the report.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        order = torch.randperm(len(images))
        held = max(1, len(images) // 10)
        test, train = order[:held], order[held:]
        x = images.to(device).float().div_(127.5).sub_(1.0)
        y = labels.to(device)
        net = SmallClassifier(images.shape[1], num_classes).to(device)
        optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
        for _ in range(steps):
            batch = train[torch.randint(len(train), (batch_size,))].to(device)
            loss = F.cross_entropy(net(x[batch]), y[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        trained = TrainedClassifier(net, 0.0)
        test = test.to(device)
        trained.accuracy = (trained.predict(x[test]) == y[test]).float().mean().item()
    return trained
