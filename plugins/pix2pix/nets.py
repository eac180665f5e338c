"""Pix2Pix nets (Isola, Zhu, Zhou and Efros, arXiv 1611.07004): a U-Net generator and a
conditional PatchGAN discriminator.

The layout follows the reference implementation (junyanz/pytorch-CycleGAN-and-pix2pix,
``unet_256`` / ``unet_128`` and the ``basic`` discriminator), so that at 256x256, RGB -> RGB,
batch norm and ngf = ndf = 64 the parameter counts are the reference's: 54,413,955 for the
generator and 2,768,705 for the discriminator (6 input channels).

Generator (``num_downs = log2(image_size)`` levels: 8 at 256, 7 at 128, 6 at 64, 5 at 32 for
Fashion-MNIST-sized items). Level ``i``
halves the resolution with a 4x4 stride-2 convolution to ``min(ngf * 2**i, ngf * 8)``
channels; the decoder mirrors it with 4x4 stride-2 transposed convolutions, and every
decoder level but the outermost is concatenated with the encoder features of the same
resolution (the skip connections) before the next one. As in the reference:

- encoder levels are conv, norm, LeakyReLU(0.2), except that the outermost has no norm and
  the innermost (the 1x1 bottleneck) is the conv alone. The reference puts each LeakyReLU at
  the start of the next level and applies it in place, so its skips carry the activated
  features; here the activation ends the level, which computes the same thing explicitly;
- decoder levels are ReLU, transposed conv, norm, except the outermost: ReLU, transposed
  conv (with bias), tanh;
- convolutions carry a bias only with instance norm (batch norm has its own shift), except
  the outermost transposed conv, which always has one;
- with ``dropout`` the decoder levels 4 .. num_downs-2 (the ``ngf * 8`` blocks just outside
  the innermost one: three at 256, two at 128, one at 64) end with Dropout(0.5), which stays
  on in train mode and is the generator's only noise source.

Discriminator: the 70x70 PatchGAN (:mod:`ganzoo.core.patchgan`, shared with CycleGAN) with ``n_layers`` = 3: conv(4, s2) + LeakyReLU, then
``n_layers - 1`` blocks conv(4, s2) + norm + LeakyReLU and one conv(4, s1) + norm + LeakyReLU
(widths ``ndf * min(2**n, 8)``), then a conv(4, s1) to one channel. It scores
``cat([condition, images], dim=1)`` and returns the patch logit map ``(N, 1, h, w)``, no
sigmoid: 30x30 at 256, 14x14 at 128, 6x6 at 64 (each logit sees a 70x70 patch).

Weights are N(0, 0.02) (norm scales N(1, 0.02)) through :func:`ganzoo.core.dcgan_layers.init_weights`,
the initialisation DCGAN uses; conv biases start at zero as in the reference.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganzoo.errors import ConfigError
from ganzoo.core.dcgan_layers import init_weights
from ganzoo.core.patchgan import NORMS, check_norm, check_patches, norm_layer, patch_grid, patchgan_layers, uses_bias, zero_conv_biases

__all__ = ["IMAGE_SIZES", "NORMS", "PatchDiscriminator", "UNetGenerator", "build", "num_downs", "patch_grid"]

#: Image sizes the U-Net supports (num_downs = log2(size), down to a 1x1 bottleneck).
IMAGE_SIZES = (32, 64, 128, 256)

def num_downs(image_size: int) -> int:
    """The U-Net's depth for ``image_size``: log2 of it, so the bottleneck is 1x1."""
    if image_size not in IMAGE_SIZES:
        sizes = ", ".join(str(s) for s in IMAGE_SIZES)
        raise ConfigError(f"pix2pix supports image sizes {sizes}, got {image_size}; use --image-size 256 (or 128, 64, 32)")
    return int(math.log2(image_size))


class UNetGenerator(nn.Module):
    """``(N, in_channels, S, S)`` -> ``(N, out_channels, S, S)`` in [-1, 1]."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, image_size: int = 256, ngf: int = 64,
                 norm: str = "batch", dropout: bool = True) -> None:
        super().__init__()
        check_norm(norm)
        depth = num_downs(image_size)
        bias = uses_bias(norm)
        widths = [ngf * min(2**i, 8) for i in range(depth)]
        downs: list[nn.Module] = []
        ups: list[nn.Module] = []
        for level in range(depth):
            innermost, outermost = level == depth - 1, level == 0
            down: list[nn.Module] = [nn.Conv2d(in_channels if outermost else widths[level - 1], widths[level], 4, 2, 1, bias=bias)]
            if not (outermost or innermost):
                down.append(norm_layer(norm, widths[level]))
            if not innermost:
                down.append(nn.LeakyReLU(0.2, True))
            up_in = widths[level] if innermost else 2 * widths[level]
            if outermost:
                up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, out_channels, 4, 2, 1), nn.Tanh()]
            else:
                up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, widths[level - 1], 4, 2, 1, bias=bias), norm_layer(norm, widths[level - 1])]
            if dropout and 4 <= level <= depth - 2:
                up.append(nn.Dropout(0.5))
            downs.append(nn.Sequential(*down))
            ups.append(nn.Sequential(*up))
        #: ``downs[i]`` takes the features at resolution S / 2**i to S / 2**(i+1) (conv, norm,
        #: LeakyReLU); what it returns feeds the next level and is the skip that ``ups[i]``
        #: sees beside the decoder features. ``ups[i]`` goes from S / 2**(i+1) back to S / 2**i.
        self.downs = nn.ModuleList(downs)
        self.ups = nn.ModuleList(ups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.ups[-1](skips.pop())  # the 1x1 bottleneck has no skip of its own
        for level in reversed(range(len(skips))):
            x = self.ups[level](torch.cat([skips[level], x], dim=1))
        return x


class PatchDiscriminator(nn.Module):
    """PatchGAN conditioned on the input image: ``D(images, condition)`` -> ``(N, 1, h, w)`` logits."""

    def __init__(self, in_channels: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        self.main = nn.Sequential(*patchgan_layers(in_channels, ndf, n_layers, norm))

    def forward(self, images: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.main(torch.cat([condition, images], dim=1))


def _flag(key: str, value: object) -> bool:
    """A boolean setting; ``--set dropout=False`` (not JSON) arrives as text."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return bool(value)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    """``(UNetGenerator, PatchDiscriminator)`` from ``image_size``, ``input_channels``,
    ``channels``, ``ngf``, ``ndf``, ``norm``, ``dropout`` and ``n_layers``."""
    size = int(config["image_size"])
    in_channels, out_channels = int(config["input_channels"]), int(config["channels"])
    norm, n_layers = str(config["norm"]), int(config["n_layers"])
    dropout = _flag("dropout", config["dropout"])
    check_patches(size, n_layers)
    generator = UNetGenerator(in_channels, out_channels, size, int(config["ngf"]), norm, dropout)
    discriminator = PatchDiscriminator(in_channels + out_channels, int(config["ndf"]), n_layers, norm)
    for net in (generator, discriminator):
        net.apply(init_weights)
        net.apply(zero_conv_biases)
    return generator, discriminator
