"""DCGAN generator and discriminator.

The 64x64 layout is pytorch/examples' ``dcgan/main.py`` layer for layer, so the parameter
counts match (3,576,704 and 2,765,568 for RGB with nz 100, ngf = ndf = 64). Other sizes
add or drop one stride-2 stage per factor of two; the 4x4 stage keeps ``ngf * size / 8``
channels. The discriminator returns logits (no sigmoid), so any loss can be used with it.
The layers come from :mod:`ganzoo.core.dcgan_layers`, which the other DCGAN-style architectures share.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.dcgan_layers import NORMS, discriminator_layers, generator_layers, init_weights, logit_layer
from ganzoo.core.dcgan_layers import norm_layer as _norm
from ganzoo.core.dcgan_layers import stages as _stages

__all__ = ["NORMS", "Discriminator", "Generator", "build", "init_weights", "_norm", "_stages"]


class Generator(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64, channels: int = 3, image_size: int = 64) -> None:
        super().__init__()
        self.nz = nz
        self.main = nn.Sequential(*generator_layers(nz, ngf, channels, image_size))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, channels: int = 3, image_size: int = 64, norm: str = "batch") -> None:
        super().__init__()
        layers, width = discriminator_layers(ndf, channels, image_size, norm)
        self.main = nn.Sequential(*layers, logit_layer(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels = int(config["image_size"]), int(config["channels"])
    generator = Generator(int(config["nz"]), int(config["ngf"]), channels, size)
    discriminator = Discriminator(int(config["ndf"]), channels, size, config.get("d_norm", "batch"))
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
