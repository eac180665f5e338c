"""CycleGAN nets (Zhu et al., arXiv 1703.10593): two ResNet generators, two PatchGAN discriminators.

The layout is the reference implementation's (junyanz/pytorch-CycleGAN-and-pix2pix,
``resnet_9blocks`` / ``resnet_6blocks`` and the ``basic`` discriminator, instance norm without
affine parameters or running statistics, so convolutions before a norm carry a bias):

- generator (Johnson et al.'s transformation net): reflection pad 3, conv 7x7 to ``ngf``, norm,
  ReLU; two stride-2 3x3 convs doubling the width, each with norm and ReLU; ``n_blocks``
  residual blocks at ``4 ngf`` (reflection pad 1, conv 3x3, norm, ReLU, [dropout 0.5],
  reflection pad 1, conv 3x3, norm; plus the input); two stride-2 3x3 transposed convs halving
  the width, each with norm and ReLU; reflection pad 3, conv 7x7 to the output channels, tanh.
  Fully convolutional: any image size divisible by 4 keeps its size;
- discriminator: the 70x70 PatchGAN of :mod:`ganzoo.core.patchgan`, on one domain's images.

At 256 px, RGB, ngf = ndf = 64: 11,378,179 parameters per generator (9 blocks; 7,837,699
with 6) and 2,764,737 per discriminator, the reference's counts. The unpaired task packs both
domains into one batch (:mod:`ganzoo.core.unpaired`), so the trainer sees one generator module
holding G_AB and G_BA and one discriminator module holding D_A and D_B. Weights are N(0, 0.02),
conv biases 0 (:func:`ganzoo.core.dcgan_layers.init_weights`), as in the reference.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.dcgan_layers import init_weights
from ganzoo.core.patchgan import check_norm, check_patches, norm_layer, patchgan_layers, uses_bias, zero_conv_biases
from ganzoo.core.unpaired import halves, pack
from ganzoo.errors import ConfigError


class ResnetBlock(nn.Module):
    """``x + F(x)`` with F = two reflection-padded 3x3 convs (norm, ReLU between them)."""

    def __init__(self, width: int, norm: str, dropout: bool) -> None:
        super().__init__()
        bias = uses_bias(norm)
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(width, width, 3, bias=bias), norm_layer(norm, width), nn.ReLU(True)]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(width, width, 3, bias=bias), norm_layer(norm, width)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """``(N, in_channels, H, W)`` -> ``(N, out_channels, H, W)`` in [-1, 1], H and W divisible by 4."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, ngf: int = 64, n_blocks: int = 9,
                 norm: str = "instance", dropout: bool = False) -> None:
        super().__init__()
        bias = uses_bias(norm)
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=bias), norm_layer(norm, ngf), nn.ReLU(True)]
        for i in range(2):
            width = ngf * 2**i
            layers += [nn.Conv2d(width, 2 * width, 3, 2, 1, bias=bias), norm_layer(norm, 2 * width), nn.ReLU(True)]
        layers += [ResnetBlock(4 * ngf, norm, dropout) for _ in range(n_blocks)]
        for i in range(2):
            width = ngf * 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(width, width // 2, 3, 2, 1, output_padding=1, bias=bias), norm_layer(norm, width // 2),
                       nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class CycleGenerator(nn.Module):
    """G_AB and G_BA. ``net(x)`` on a packed batch gives ``cat([G_BA(b), G_AB(a)])`` (training);
    ``net(images, "AtoB")`` / ``net(images, "BtoA")`` translate one domain's images (use)."""

    def __init__(self, channels: int, ngf: int, n_blocks: int, norm: str, dropout: bool) -> None:
        super().__init__()
        self.a_to_b = ResnetGenerator(channels, channels, ngf, n_blocks, norm, dropout)
        self.b_to_a = ResnetGenerator(channels, channels, ngf, n_blocks, norm, dropout)

    def forward(self, x: torch.Tensor, direction: str | None = None) -> torch.Tensor:
        if direction == "AtoB":
            return self.a_to_b(x)
        if direction == "BtoA":
            return self.b_to_a(x)
        a, b = halves(x)
        return pack(self.b_to_a(b), self.a_to_b(a))


class CycleDiscriminator(nn.Module):
    """D_A and D_B: a packed batch -> ``(N, 2, h, w)`` patch logits (channel 0: D_A on the A half)."""

    def __init__(self, channels: int, ndf: int, n_layers: int, norm: str) -> None:
        super().__init__()
        self.d_a = nn.Sequential(*patchgan_layers(channels, ndf, n_layers, norm))
        self.d_b = nn.Sequential(*patchgan_layers(channels, ndf, n_layers, norm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = halves(x)
        return torch.cat([self.d_a(a), self.d_b(b)], dim=1)


def _flag(key: str, value: object) -> bool:
    """A boolean setting; ``--set dropout=false`` arrives as text."""
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    """``(CycleGenerator, CycleDiscriminator)`` from ``image_size``, ``channels`` (both domains),
    ``ngf``, ``ndf``, ``n_blocks``, ``n_layers``, ``norm`` and ``dropout``."""
    size, channels = int(config["image_size"]), int(config["channels"])
    if int(config.get("input_channels", channels)) != channels:
        raise ConfigError(f"cyclegan translates between domains with the same channels, got {config['input_channels']} "
                          f"and {channels}")
    if size % 4:
        raise ConfigError(f"cyclegan needs an image size divisible by 4 (two stride-2 stages), got {size}")
    norm, n_layers, n_blocks = str(config["norm"]), int(config["n_layers"]), int(config["n_blocks"])
    check_norm(norm, "cyclegan")
    check_patches(size, n_layers)
    if n_blocks < 0:
        raise ConfigError(f"n_blocks must be at least 0, got {n_blocks}")
    if int(config.get("pool_size", 0)) < 0:
        raise ConfigError(f"pool_size must be at least 0 (0: no pool), got {config['pool_size']}")
    generator = CycleGenerator(channels, int(config["ngf"]), n_blocks, norm, _flag("dropout", config["dropout"]))
    discriminator = CycleDiscriminator(channels, int(config["ndf"]), n_layers, norm)
    for net in (generator, discriminator):
        net.apply(init_weights)
        net.apply(zero_conv_biases)
    return generator, discriminator
