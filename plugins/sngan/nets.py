"""SNGAN's ResNet generator and spectrally normalised ResNet discriminator.

The CIFAR-10 layout of Miyato et al. (arXiv 1802.05957, table 4), as Mimicry
(kwotsin/mimicry, ``SNGANGenerator32`` / ``SNGANDiscriminator32``) builds it, which the
parameter counts match (ngf 256, ndf 128, 32 px RGB: 4,276,739 and 1,053,825):

- generator: ``z`` (``nz``) -> linear -> ``(ngf, 4, 4)`` -> up-sampling residual blocks,
  one per factor of two up to ``image_size`` (BN, ReLU, nearest 2x up, 3x3 conv, BN, ReLU,
  3x3 conv; the shortcut up-samples, then a 1x1 conv) -> BN, ReLU, 3x3 conv, tanh;
- discriminator, every conv and linear spectrally normalised (torch's parametrisation,
  :mod:`ganzoo.core.spectral`): an optimised first block (3x3 conv, ReLU, 3x3 conv, 2x2
  average pool; the shortcut pools, then a 1x1 conv), down-sampling residual blocks (ReLU,
  3x3 conv, ReLU, 3x3 conv, average pool; shortcut 1x1 conv then pool) down to 8x8, two
  residual blocks at 8x8 that keep the size (identity shortcut), ReLU, a sum over the
  positions, a linear layer to one score per image (shape ``(N,)``; no sigmoid).

Every block keeps the width (``ngf`` in the generator, ``ndf`` in the discriminator), as on
CIFAR-10; other sizes add or drop blocks (16 px: 2 up, 1 down; 64 px: 4 up, 3 down), not
widths. Weights are initialised as Mimicry does: Xavier-uniform, gain sqrt(2) on the
residual convs and 1 on the shortcuts, the first linear and the last conv, zero biases.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.core.spectral import apply_spectral_norm

#: Image sizes the nets are built for: powers of two from 16 (the discriminator ends at 8x8).
IMAGE_SIZES = (16, 32, 64, 128)


def up_blocks(image_size: int) -> int:
    """Up-sampling blocks between the 4x4 start and ``image_size``."""
    count = int(math.log2(image_size)) - 2 if image_size > 0 else 0
    if image_size < 16 or 2 ** (count + 2) != image_size:
        raise ValueError(f"sngan needs a power-of-two image size of at least 16, got {image_size}")
    return count


def _xavier(module: nn.Module, gain: float) -> None:
    nn.init.xavier_uniform_(module.weight, gain)
    if module.bias is not None:
        nn.init.zeros_(module.bias)


class UpBlock(nn.Module):
    """Generator residual block: doubles the size."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.b1, self.c1 = nn.BatchNorm2d(channels), nn.Conv2d(channels, channels, 3, 1, 1)
        self.b2, self.c2 = nn.BatchNorm2d(channels), nn.Conv2d(channels, channels, 3, 1, 1)
        self.c_sc = nn.Conv2d(channels, channels, 1, 1, 0)
        _xavier(self.c1, math.sqrt(2))
        _xavier(self.c2, math.sqrt(2))
        _xavier(self.c_sc, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.b1(x)), scale_factor=2, mode="nearest")
        h = self.c2(F.relu(self.b2(self.c1(h))))
        return h + self.c_sc(F.interpolate(x, scale_factor=2, mode="nearest"))


class Generator(nn.Module):
    def __init__(self, nz: int = 128, ngf: int = 256, channels: int = 3, image_size: int = 32) -> None:
        super().__init__()
        self.nz, self.ngf = nz, ngf
        self.l1 = nn.Linear(nz, 4 * 4 * ngf)
        self.blocks = nn.Sequential(*(UpBlock(ngf) for _ in range(up_blocks(image_size))))
        self.b_out = nn.BatchNorm2d(ngf)
        self.c_out = nn.Conv2d(ngf, channels, 3, 1, 1)
        _xavier(self.l1, 1.0)
        _xavier(self.c_out, 1.0)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.l1(z.reshape(z.shape[0], self.nz)).view(-1, self.ngf, 4, 4)
        return torch.tanh(self.c_out(F.relu(self.b_out(self.blocks(h)))))


class OptimizedBlock(nn.Module):
    """The discriminator's first block: no ReLU before the first conv (it would cut the pixels
    below 0), and the shortcut pools before its 1x1 conv (4x fewer multiplications)."""

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(in_channels, channels, 3, 1, 1)
        self.c2 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.c_sc = nn.Conv2d(in_channels, channels, 1, 1, 0)
        _xavier(self.c1, math.sqrt(2))
        _xavier(self.c2, math.sqrt(2))
        _xavier(self.c_sc, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(self.c2(F.relu(self.c1(x))), 2)
        return h + self.c_sc(F.avg_pool2d(x, 2))


class DownBlock(nn.Module):
    """Discriminator residual block: halves the size (``downsample``) or keeps it (identity shortcut)."""

    def __init__(self, channels: int, downsample: bool) -> None:
        super().__init__()
        self.downsample = downsample
        self.c1 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.c2 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.c_sc = nn.Conv2d(channels, channels, 1, 1, 0) if downsample else None
        _xavier(self.c1, math.sqrt(2))
        _xavier(self.c2, math.sqrt(2))
        if self.c_sc is not None:
            _xavier(self.c_sc, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c2(F.relu(self.c1(F.relu(x))))
        if not self.downsample:
            return h + x
        return F.avg_pool2d(h, 2) + F.avg_pool2d(self.c_sc(x), 2)


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 128, channels: int = 3, image_size: int = 32) -> None:
        super().__init__()
        downs = up_blocks(image_size) - 2  # optimised block, then down-sampling blocks to 8x8
        blocks: list[nn.Module] = [OptimizedBlock(channels, ndf)]
        blocks += [DownBlock(ndf, downsample=i < downs) for i in range(max(downs, 0) + 2)]
        self.blocks = nn.Sequential(*blocks)
        self.l_out = nn.Linear(ndf, 1)
        _xavier(self.l_out, 1.0)
        apply_spectral_norm(self)  # after the init: the singular vectors are estimated for these weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.l_out(h).view(-1)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels = int(config["image_size"]), int(config["channels"])
    return (Generator(int(config["nz"]), int(config["ngf"]), channels, size),
            Discriminator(int(config["ndf"]), channels, size))
