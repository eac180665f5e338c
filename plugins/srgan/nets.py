"""SRGAN's nets (Ledig et al., arXiv 1609.04802): the SRResNet generator and the VGG-style
discriminator.

Generator (SRResNet, the paper's figure 4), for ``width`` B = 64 and ``n_blocks`` 16:

- ``head``: 9x9 conv (channels -> B) + PReLU;
- ``body``: 16 residual blocks, each 3x3 conv, BN, PReLU, 3x3 conv, BN, plus the block's input;
- ``body_end``: 3x3 conv + BN, plus the ``head`` output (the long skip);
- ``upsample``: log2(scale) stages, each 3x3 conv (B -> 4B) + PixelShuffle(2) + PReLU;
- ``tail``: 9x9 conv (B -> channels), then ``tanh``.

Every PReLU has a single parameter (``nn.PReLU()``), as in the paper's figure. For scale 4,
RGB and the defaults the generator holds 1,549,462 parameters::

    head       3*64*81 + 64 (conv)            + 1 (PReLU)         =    15,617
    body       16 * (2 * (64*64*9 + 64)        conv, conv
                    + 2 * 128                  BN weight and bias
                    + 1)                       PReLU              = 1,185,808   (74,113 a block)
    body_end   64*64*9 + 64 + 128                                  =    37,056
    upsample   2 * (64*256*9 + 256 + 1)                            =   295,426
    tail       64*3*81 + 3                                         =    15,555
                                                                     ---------
                                                                     1,549,462

Output range: the generator ends with ``tanh``, so its high-resolution images lie in
[-1, 1] like the targets (``BatchStream`` scales both images and inputs to [-1, 1]) and like
every other ganzoo generator; the paper's own figure ends with the last convolution, and
``tanh`` adds no parameters.

Discriminator: the paper's figure 4, :class:`ganzoo.core.superres_nets.VGGStyleDiscriminator`
(shared with ESRGAN; its layout and any-crop-size pooling are documented there). The settings
checks and the ``residual`` output are shared the same way (``check_common``, ``finish``).

The convolutions and dense layers keep PyTorch's default initialisation (Kaiming-uniform),
which suits the residual generator; batch norm starts at scale 1, shift 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganzoo.core.superres_nets import (
    POOL_GRID, SCALES, VGGStyleDiscriminator, check_common, check_int, check_low_res, finish, zero_init_,
)
from ganzoo.errors import ConfigError

#: The generator's normalisation: the paper's batch norm, or none.
NORMS = ("batch", "none")
#: SRGAN's discriminator is the one :mod:`ganzoo.core.superres_nets` holds (ESRGAN uses it too).
Discriminator = VGGStyleDiscriminator

__all__ = ["Discriminator", "Generator", "ResidualBlock", "build", "check_config", "POOL_GRID", "SCALES"]


def _norm(width: int, norm: str) -> nn.Module:
    return nn.BatchNorm2d(width) if norm == "batch" else nn.Identity()


class ResidualBlock(nn.Module):
    """3x3 conv, BN, PReLU, 3x3 conv, BN, plus the input (``norm="none"``: without the BNs)."""

    def __init__(self, width: int, norm: str = "batch") -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, 1, 1),
            _norm(width, norm),
            nn.PReLU(),
            nn.Conv2d(width, width, 3, 1, 1),
            _norm(width, norm),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Generator(nn.Module):
    """SRResNet: ``(N, C, s, s)`` low resolution in [-1, 1] -> ``(N, C, s*scale, s*scale)`` in [-1, 1].

    Fully convolutional: any input size works; ``image_size`` (the high-resolution crop the
    model was configured for) and ``input_size`` are kept for callers that need them.

    ``residual="bicubic"`` makes the net predict only what bicubic upsampling misses: the
    output is ``bicubic(low_res) + tail(...)``, the tail starts at zero (so an untrained net is
    exactly bicubic), and the ``tanh`` is replaced by a clamp to [-1, 1] outside training.
    ``norm="none"`` drops the batch norms (as EDSR does; they cost accuracy at small batches).
    ``icnr=True`` starts each sub-pixel convolution as a nearest-neighbour upsampling (:func:`icnr_`),
    so the PixelShuffle stages do not begin with, and keep, a checkerboard pattern.
    ``unit_input=True`` hands the head ``(x + 1) / 2``, the [0, 1] images that generators
    trained elsewhere saw (leftthomas/SRGAN, converted by ``ganzoo convert``): their weights then
    give their own outputs, in [-1, 1], on ganzoo's [-1, 1] inputs. A shift of the head's bias
    cannot do this exactly, since the zero padding at the borders would see it too.
    """

    def __init__(self, scale: int = 4, channels: int = 3, n_blocks: int = 16, width: int = 64, image_size: int = 96,
                 residual: str = "none", norm: str = "batch", icnr: bool = False, unit_input: bool = False) -> None:
        super().__init__()
        self.scale, self.channels, self.image_size, self.residual = scale, channels, image_size, residual
        self.unit_input = unit_input
        self.input_size = image_size // scale
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, 1, 4), nn.PReLU())
        self.body = nn.Sequential(*(ResidualBlock(width, norm) for _ in range(n_blocks)))
        self.body_end = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), _norm(width, norm))
        stages: list[nn.Module] = []
        for _ in range(int(math.log2(scale))):
            stages += [nn.Conv2d(width, 4 * width, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU()]
        self.upsample = nn.Sequential(*stages)
        self.tail = nn.Conv2d(width, channels, 9, 1, 4)
        if icnr:
            for conv in self.upsample:
                if isinstance(conv, nn.Conv2d):
                    icnr_(conv, 2)
        if residual == "bicubic":
            zero_init_(self.tail)

    def forward(self, low_res: torch.Tensor) -> torch.Tensor:
        check_low_res("SRResNet", low_res, self.channels)
        features = self.head((low_res + 1) / 2 if self.unit_input else low_res)
        features = features + self.body_end(self.body(features))
        return finish(low_res, self.tail(self.upsample(features)), self.residual, self.scale, self.training)


def icnr_(conv: nn.Conv2d, factor: int) -> None:
    """ICNR initialisation (Aitken et al., arXiv 1707.02937) of a conv feeding ``PixelShuffle(factor)``:
    the ``factor**2`` output channels that land on one output pixel's neighbours share one kernel
    (the conv's own default init, drawn once) and one bias, so the shuffle starts as
    nearest-neighbour upsampling, free of the checkerboard a random init leaves in flat regions."""
    shared = factor**2
    with torch.no_grad():
        conv.weight.copy_(conv.weight[::shared].repeat_interleave(shared, dim=0))
        if conv.bias is not None:
            conv.bias.copy_(conv.bias[::shared].repeat_interleave(shared, dim=0))


def check_config(config: dict) -> dict:
    """The builder's settings as ints, or a :class:`ganzoo.ConfigError` (a ``ValueError``)."""
    common = check_common("srgan", config)
    norm, icnr = config.get("norm", "batch"), config.get("icnr", False)
    unit_input = config.get("unit_input", False)
    for key, flag in (("icnr", icnr), ("unit_input", unit_input)):
        if not isinstance(flag, bool):
            raise ConfigError(f"srgan: {key} must be true or false, got {flag!r}")
    if norm not in NORMS:
        raise ConfigError(f"srgan: norm must be one of {', '.join(NORMS)}, got {norm!r}")
    return {
        **common,
        "n_blocks": check_int("srgan", config, "n_blocks", 0),
        "width": check_int("srgan", config, "width", 1),
        "ndf": check_int("srgan", config, "ndf", 1),
        "norm": norm,
        "icnr": icnr,
        "unit_input": unit_input,
    }


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    """``(SRResNet generator, VGG-style discriminator)`` from ``scale``, ``channels``,
    ``image_size`` (high-resolution crop), ``n_blocks``, ``width``, ``ndf``, ``residual``,
    ``norm``, ``icnr`` and ``unit_input``."""
    c = check_config(config)
    generator = Generator(c["scale"], c["channels"], c["n_blocks"], c["width"], c["image_size"], c["residual"], c["norm"],
                          c["icnr"], c["unit_input"])
    discriminator = VGGStyleDiscriminator(c["channels"], c["ndf"])
    return generator, discriminator
