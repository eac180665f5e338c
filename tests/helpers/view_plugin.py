"""A test plugin written the way the plugin guide's reader writes one: a DCGAN-style
discriminator that flattens with ``h.view(N, -1)`` (which channels-last batches break), and a
synthetic labelled dataset of three classes that the built-in cgan trains on."""

from __future__ import annotations

import torch
from torch import nn

import ganzoo


class Generator(nn.Module):
    def __init__(self, nz: int, channels: int, size: int) -> None:
        super().__init__()
        self.shape = (channels, size, size)
        self.main = nn.Sequential(nn.Linear(nz, channels * size * size), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z).view(z.shape[0], *self.shape)


class ViewDiscriminator(nn.Module):
    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(channels, 8, 4, 2, 1), nn.LeakyReLU(0.2))
        self.head = nn.Linear(8 * (size // 2) ** 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        return self.head(h.view(h.shape[0], -1)).view(-1)  # the usual flatten: fails on channels-last h


class BuggyDiscriminator(ViewDiscriminator):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x).flatten(1))[:, 1]  # a plugin bug: the head has one output


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels = int(config["image_size"]), int(config["channels"])
    return Generator(int(config["nz"]), channels, size), ViewDiscriminator(channels, size)


def build_buggy(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels = int(config["image_size"]), int(config["channels"])
    return Generator(int(config["nz"]), channels, size), BuggyDiscriminator(channels, size)


#: One entry per call of the dataset builder: tests check that a command failed before reading data.
LOADS: list[str] = []


def three_classes(request: ganzoo.DatasetRequest) -> ganzoo.ImageDataset:
    """48 images of three flat grey levels, labelled by level."""
    LOADS.append(request.name)
    labels = torch.arange(48) % 3
    images = (labels * 100 + 20).to(torch.uint8).view(-1, 1, 1, 1).expand(-1, 1, request.image_size, request.image_size)
    return ganzoo.ImageDataset(images.contiguous(), labels=labels, classes=["dark", "mid", "light"])


class ViewPlugin:
    @ganzoo.hookimpl
    def register_architectures(self, register):
        register(ganzoo.ArchitectureSpec(name="viewflat", task="noise", builder=f"{__name__}:build",
                                         defaults={"nz": 8, "image_size": 16, "channels": 1}))
        register(ganzoo.ArchitectureSpec(name="buggy", task="noise", builder=f"{__name__}:build_buggy",
                                         defaults={"nz": 8, "image_size": 16, "channels": 1}))

    @ganzoo.hookimpl
    def register_datasets(self, register):
        register(ganzoo.DatasetSpec(name="three-classes", builder=f"{__name__}:three_classes", labelled=True,
                                    image_size=16))

    @ganzoo.hookimpl
    def register_models(self, register):
        for name in ("viewflat", "buggy"):
            register(ganzoo.ModelSpec(name=name, architecture=name, loss="bce", training={"batch_size": 8, "steps": 2}))
