"""DCGAN generator and discriminator.

The 64x64 layout is pytorch/examples' ``dcgan/main.py`` layer for layer, so the parameter
counts match (3,576,704 and 2,765,568 for RGB with nz 100, ngf = ndf = 64). Other sizes
add or drop one stride-2 stage per factor of two; the 4x4 stage keeps ``ngf * size / 8``
channels. The discriminator returns logits (no sigmoid), so any loss can be used with it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

NORMS = ("batch", "layer", "none")


def _stages(image_size: int) -> int:
    """Number of stride-2 stages between 4x4 and ``image_size``."""
    stages = int(math.log2(image_size)) - 2
    if image_size < 16 or 2 ** (stages + 2) != image_size:
        raise ValueError(f"DCGAN needs a power-of-two image size of at least 16, got {image_size}")
    return stages


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":  # normalises over (C, H, W) per sample, as WGAN-GP's critic advises
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown d_norm {kind!r}; use one of {', '.join(NORMS)}")


class Generator(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64, channels: int = 3, image_size: int = 64) -> None:
        super().__init__()
        self.nz = nz
        width = ngf * 2 ** (_stages(image_size) - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
        while width > ngf:
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, channels: int = 3, image_size: int = 64, norm: str = "batch") -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        width = ndf
        for _ in range(_stages(image_size) - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), _norm(norm, width * 2), nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


def init_weights(module: nn.Module) -> None:
    """The DCGAN paper's N(0, 0.02) initialisation (norm scales N(1, 0.02), shifts 0)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels = int(config["image_size"]), int(config["channels"])
    generator = Generator(int(config["nz"]), int(config["ngf"]), channels, size)
    discriminator = Discriminator(int(config["ndf"]), channels, size, config.get("d_norm", "batch"))
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
