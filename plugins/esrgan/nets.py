"""ESRGAN's nets (Wang et al., arXiv 1809.00219): the RRDB generator and the VGG-style
discriminator SRGAN uses.

Generator (RRDBNet, the paper's figure 4 and section 3.1), for ``nf`` 64, ``gc`` 32 and
``num_blocks`` 23:

- ``conv_first``: 3x3 conv (channels -> nf);
- ``RRDB_trunk``: 23 Residual-in-Residual Dense Blocks. Each RRDB is three residual dense blocks
  (``RDB1``..``RDB3``) and adds ``0.2 *`` their output to its input; each dense block has five
  3x3 convs, conv k seeing the block's input and every earlier conv's output (``nf + (k-1)*gc``
  channels in, ``gc`` out; conv5 back to ``nf``), LeakyReLU(0.2) after conv1..conv4, and adds
  ``0.2 *`` conv5 to its input (residual scaling). No batch norm anywhere (section 3.1);
- ``trunk_conv``: 3x3 conv, plus the ``conv_first`` output (the long skip);
- log2(scale) stages of nearest-neighbour x2 upsampling, 3x3 conv (``upconv1``, ``upconv2``, ..)
  and LeakyReLU(0.2) (no PixelShuffle);
- ``HRconv``: 3x3 conv + LeakyReLU(0.2); ``conv_last``: 3x3 conv (nf -> channels).

The parameter names are those of the reference implementation (xinntao's ``RRDBNet_arch.py``),
(so its released weights map one to one), and which holds 16,697,987 parameters at that size
for x4 RGB::

    conv_first   3*64*9 + 64                                            =      1,792
    trunk        23 RRDBs * 3 dense blocks * 239,808                    = 16,546,752
                 (dense block: sum_k 9*(nf + k*gc)*gc + gc for k = 0..3,
                  plus 9*(nf + 4*gc)*nf + nf)
    trunk_conv, upconv1, upconv2, HRconv   4 * (64*64*9 + 64)           =    147,712
    conv_last    64*3*9 + 3                                             =      1,731
                                                                          ----------
                                                                          16,697,987

Output: :func:`ganzoo.core.superres_nets.finish`, as SRGAN's: ``residual="none"`` (the paper's
net, through ``tanh`` so images lie in [-1, 1]) or ``"bicubic"`` (``conv_last`` starts at zero and
adds to the bicubic upsampling: an untrained net is bicubic). The dense blocks' convs start
Kaiming-normal scaled by 0.1 with zero bias, as the reference training code (BasicSR's
``initialize_weights(..., 0.1)``) does, so that 69 stacked residual branches start small; the
other convs keep PyTorch's default.

Discriminator: :class:`ganzoo.core.superres_nets.VGGStyleDiscriminator`, SRGAN's, shared so the
two plugins judge alike and it is written once. The paper's code uses a close relative for its
128 px crops ("VGG-128": ten convs with 4x4 stride-2 kernels in five stride-2 stages, BN, and
dense layers 8192 -> 100 -> 1); the adaptive pooling of the shared one takes 128 px crops as well.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganzoo.core.superres_nets import (
    VGGStyleDiscriminator, check_common, check_int, check_low_res, finish, zero_init_,
)

__all__ = ["RRDB", "RRDBNet", "ResidualDenseBlock", "build", "check_config"]

#: The residual scaling of the dense blocks and of each RRDB (section 3.2).
RESIDUAL_SCALE = 0.2
#: Scale of the dense blocks' initial Kaiming-normal weights (BasicSR's ``initialize_weights(.., 0.1)``).
INIT_SCALE = 0.1


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convs; the input plus 0.2 times the last conv's output."""

    def __init__(self, nf: int = 64, gc: int = 32) -> None:
        super().__init__()
        for k in range(1, 5):
            setattr(self, f"conv{k}", nn.Conv2d(nf + (k - 1) * gc, gc, 3, 1, 1))
        self.conv5 = nn.Conv2d(nf + 4 * gc, nf, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)
        with torch.no_grad():
            for conv in (self.conv1, self.conv2, self.conv3, self.conv4, self.conv5):
                nn.init.kaiming_normal_(conv.weight, a=0, mode="fan_in")
                conv.weight.mul_(INIT_SCALE)
                conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            features.append(self.lrelu(conv(torch.cat(features, 1))))
        return x + RESIDUAL_SCALE * self.conv5(torch.cat(features, 1))


class RRDB(nn.Module):
    """Residual in residual: three dense blocks, and the input plus 0.2 times their output."""

    def __init__(self, nf: int = 64, gc: int = 32) -> None:
        super().__init__()
        self.RDB1, self.RDB2, self.RDB3 = (ResidualDenseBlock(nf, gc) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + RESIDUAL_SCALE * self.RDB3(self.RDB2(self.RDB1(x)))


class RRDBNet(nn.Module):
    """``(N, C, h, w)`` low resolution in [-1, 1] -> ``(N, C, h*scale, w*scale)`` in [-1, 1].

    Fully convolutional; ``image_size`` (the high-resolution crop it was configured for) and
    ``input_size`` are kept for callers that need them. The upsampling stages are registered
    between the convs (``up1``, ``upconv1``, ``up2``, ...) so that module order is data-flow
    order, which :func:`ganzoo.core.tiling.receptive_margin` reads.
    """

    def __init__(self, scale: int = 4, channels: int = 3, num_blocks: int = 23, nf: int = 64, gc: int = 32,
                 image_size: int = 128, residual: str = "none") -> None:
        super().__init__()
        self.scale, self.channels, self.image_size, self.residual = scale, channels, image_size, residual
        self.input_size = image_size // scale
        self.conv_first = nn.Conv2d(channels, nf, 3, 1, 1)
        self.RRDB_trunk = nn.Sequential(*(RRDB(nf, gc) for _ in range(num_blocks)))
        self.trunk_conv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.n_up = int(math.log2(scale))
        for k in range(1, self.n_up + 1):
            setattr(self, f"up{k}", nn.Upsample(scale_factor=2, mode="nearest"))
            setattr(self, f"upconv{k}", nn.Conv2d(nf, nf, 3, 1, 1))
        self.HRconv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)
        if residual == "bicubic":
            zero_init_(self.conv_last)

    def forward(self, low_res: torch.Tensor) -> torch.Tensor:
        check_low_res("RRDBNet", low_res, self.channels)
        features = self.conv_first(low_res)
        features = features + self.trunk_conv(self.RRDB_trunk(features))
        for k in range(1, self.n_up + 1):
            features = self.lrelu(getattr(self, f"upconv{k}")(getattr(self, f"up{k}")(features)))
        detail = self.conv_last(self.lrelu(self.HRconv(features)))
        return finish(low_res, detail, self.residual, self.scale, self.training)


def check_config(config: dict) -> dict:
    """The builder's settings, checked, or a :class:`ganzoo.ConfigError` (a ``ValueError``)."""
    return {
        **check_common("esrgan", config),
        "num_blocks": check_int("esrgan", config, "num_blocks", 0),
        "nf": check_int("esrgan", config, "nf", 1),
        "gc": check_int("esrgan", config, "gc", 1),
        "ndf": check_int("esrgan", config, "ndf", 1),
    }


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    """``(RRDBNet generator, VGG-style discriminator)`` from ``scale``, ``channels``, ``image_size``
    (high-resolution crop), ``num_blocks``, ``nf``, ``gc``, ``ndf`` and ``residual``."""
    c = check_config(config)
    generator = RRDBNet(c["scale"], c["channels"], c["num_blocks"], c["nf"], c["gc"], c["image_size"], c["residual"])
    return generator, VGGStyleDiscriminator(c["channels"], c["ndf"])
