"""DCGAN generator and discriminator.

The 64x64 layout is pytorch/examples' ``dcgan/main.py`` layer for layer, so the parameter
counts match (3,576,704 and 2,765,568 for RGB with nz 100, ngf = ndf = 64). Other sizes
add or drop one stride-2 stage per factor of two; the 4x4 stage keeps ``ngf * size / 8``
channels. The discriminator returns logits (no sigmoid), so any loss can be used with it.
``mbstd=G`` (an architecture setting; 0, off, keeps the reference layout) puts a minibatch
standard deviation layer (ProGAN, arXiv 1710.10196) over groups of ``G`` images before the
last convolution, which then sees one more 4x4 feature map (16 more weights, nothing else).
The layers come from :mod:`ganzoo.core.dcgan_layers`, which the other DCGAN-style architectures share.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.dcgan_layers import NORMS, MinibatchStdDev, discriminator_layers, generator_layers, init_weights, logit_layer
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
    def __init__(self, ndf: int = 64, channels: int = 3, image_size: int = 64, norm: str = "batch", mbstd: int = 0) -> None:
        super().__init__()
        layers, width = discriminator_layers(ndf, channels, image_size, norm)
        if mbstd:  # one more 4x4 feature map, so the logit layer sees width + 1 channels
            layers.append(MinibatchStdDev(mbstd))
        self.main = nn.Sequential(*layers, logit_layer(width + (1 if mbstd else 0), norm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


def mbstd(config: dict) -> int:
    """The ``mbstd`` setting: 0 (off) or the group size of the minibatch standard deviation.

    The config already holds a whole number >= 0 (it has the type of the default); 1 is refused
    here, since a group of one image has no spread."""
    value = int(config.get("mbstd", 0))
    if value == 1:
        raise ValueError("mbstd must be 0 (off) or a group size of at least 2, got 1")
    return value


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels = int(config["image_size"]), int(config["channels"])
    generator = Generator(int(config["nz"]), int(config["ngf"]), channels, size)
    discriminator = Discriminator(int(config["ndf"]), channels, size, config.get("d_norm", "batch"), mbstd(config))
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
