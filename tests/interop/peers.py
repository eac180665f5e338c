"""The peer projects' nets, rebuilt from their published layer lists, so that the converter is
tested on real ``torch.save(net.state_dict())`` files of their exact layouts:

- pytorch/examples ``dcgan/main.py``: ``Generator`` and ``Discriminator`` (64x64);
- junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py``: ``UnetGenerator`` of nested
  ``UnetSkipConnectionBlock``s (``unet_128``: 7 downs, ``unet_256``: 8), batch or instance norm;
- leftthomas/SRGAN ``model.py``: ``Generator(scale_factor)`` (5 residual blocks; ``width`` is a
  parameter here only to keep the tests small, 64 in the original);
- twtygqyy/pytorch-SRResNet ``srresnet.py``: the state dict keys of ``_NetG``, which ganzoo refuses.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn


class ExamplesGenerator(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # z: (N, nz, 1, 1)
        return self.main(z)


class ExamplesDiscriminator(nn.Module):
    def __init__(self, ndf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def pix2pix_norm(kind: str) -> functools.partial:
    """networks.get_norm_layer."""
    if kind == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc: int, inner_nc: int, input_nc: int | None = None, submodule: nn.Module | None = None,
                 outermost: bool = False, innermost: bool = False, norm_layer: functools.partial = pix2pix_norm("batch"),
                 use_dropout: bool = False) -> None:
        super().__init__()
        self.outermost = outermost
        use_bias = norm_layer.func == nn.InstanceNorm2d
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu, downnorm = nn.LeakyReLU(0.2, True), norm_layer(inner_nc)
        uprelu, upnorm = nn.ReLU(True), norm_layer(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm] + ([nn.Dropout(0.5)] if use_dropout else [])
        self.model = nn.Sequential(*model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc: int, output_nc: int, num_downs: int, ngf: int = 64, norm: str = "batch",
                 use_dropout: bool = False) -> None:
        super().__init__()
        norm_layer = pix2pix_norm(norm)
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm_layer=norm_layer, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm_layer=norm_layer, use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm_layer=norm_layer)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True,
                                             norm_layer=norm_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class SRGANResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.prelu = nn.PReLU()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))


class SRGANUpsampleBLock(nn.Module):
    def __init__(self, in_channels: int, up_scale: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, in_channels * up_scale**2, kernel_size=3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(up_scale)
        self.prelu = nn.PReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prelu(self.pixel_shuffle(self.conv(x)))


class SRGANGenerator(nn.Module):
    """leftthomas/SRGAN: images in [0, 1] -> (tanh + 1) / 2 in [0, 1]."""

    def __init__(self, scale_factor: int, width: int = 64) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, width, kernel_size=9, padding=4), nn.PReLU())
        self.block2, self.block3, self.block4, self.block5, self.block6 = (SRGANResidualBlock(width) for _ in range(5))
        self.block7 = nn.Sequential(nn.Conv2d(width, width, kernel_size=3, padding=1), nn.BatchNorm2d(width))
        block8: list[nn.Module] = [SRGANUpsampleBLock(width, 2) for _ in range(int(math.log(scale_factor, 2)))]
        block8.append(nn.Conv2d(width, 3, kernel_size=9, padding=4))
        self.block8 = nn.Sequential(*block8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        block1 = self.block1(x)
        body = self.block6(self.block5(self.block4(self.block3(self.block2(block1)))))
        return (torch.tanh(self.block8(block1 + self.block7(body))) + 1) / 2


def twtygqyy_state_dict() -> dict[str, torch.Tensor]:
    """The keys (tiny shapes) of twtygqyy/pytorch-SRResNet's ``_NetG``."""
    state = {"conv_input.weight": torch.zeros(4, 3, 9, 9), "conv_mid.weight": torch.zeros(4, 4, 3, 3),
             "bn_mid.weight": torch.ones(4), "bn_mid.bias": torch.zeros(4), "upscale4x.0.weight": torch.zeros(16, 4, 3, 3),
             "upscale4x.3.weight": torch.zeros(16, 4, 3, 3), "conv_output.weight": torch.zeros(3, 4, 9, 9)}
    for i in range(2):
        for conv, norm in (("conv1", "in1"), ("conv2", "in2")):
            state[f"residual.{i}.{conv}.weight"] = torch.zeros(4, 4, 3, 3)
            state[f"residual.{i}.{norm}.weight"], state[f"residual.{i}.{norm}.bias"] = torch.ones(4), torch.zeros(4)
    return state


def randomise_statistics(net: nn.Module, seed: int = 0) -> nn.Module:
    """Batch norm running statistics and affine parameters away from their defaults, so that an
    eval-mode comparison would catch a swapped or dropped buffer; returns ``net`` in eval mode."""
    rng = torch.Generator().manual_seed(seed)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=rng) * 0.1)
            module.running_var.copy_(torch.rand(n, generator=rng) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=rng) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=rng) * 0.1)
        elif isinstance(module, nn.PReLU):
            module.weight.data.fill_(float(torch.rand((), generator=rng)) * 0.5)
    return net.eval()
