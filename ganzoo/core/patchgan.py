"""The 70x70 PatchGAN discriminator body and the normalisations of the pix2pix family.

Pix2Pix (Isola et al., arXiv 1611.07004) and CycleGAN (Zhu et al., arXiv 1703.10593) share
the reference implementation's ``NLayerDiscriminator`` (junyanz/pytorch-CycleGAN-and-pix2pix,
``basic`` = 3 layers) and its norm choice, so both plugins build them from here: the layer
layout, and with it the parameter names saved in weights files, is written once.

Layout: conv(4, s2) + LeakyReLU(0.2), then ``n_layers - 1`` blocks conv(4, s2) + norm +
LeakyReLU and one conv(4, s1) + norm + LeakyReLU (widths ``ndf * min(2**n, 8)``), then a
conv(4, s1) to one channel: a map of logits, each seeing a 70x70 patch at ``n_layers = 3``
(30x30 at 256 px). Convolutions before a norm carry a bias only with instance norm (batch norm
has its own shift), as in the reference. Imports torch: use it from a plugin's ``nets``.
"""

from __future__ import annotations

from torch import nn

from ganzoo.errors import ConfigError

#: The normalisations ``norm`` can name.
NORMS = ("batch", "instance")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Batch norm, or the reference's instance norm: no affine parameters, no running statistics."""
    check_norm(kind)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


def check_norm(kind: str, model: str = "pix2pix") -> None:
    if kind not in NORMS:
        raise ConfigError(f"unknown norm {kind!r} for {model}; use one of {', '.join(NORMS)}")


def uses_bias(kind: str) -> bool:
    """Whether a convolution followed by this norm carries a bias (instance norm only)."""
    return kind == "instance"


def patchgan_layers(in_channels: int, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> list[nn.Module]:
    """The PatchGAN as a list of layers: ``(N, in_channels, S, S)`` -> ``(N, 1, h, w)`` logits."""
    check_norm(norm)
    if n_layers < 1:
        raise ConfigError(f"a PatchGAN needs n_layers >= 1, got {n_layers}")
    bias = uses_bias(norm)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    width = ndf
    for n in range(1, n_layers + 1):
        stride = 2 if n < n_layers else 1
        out = ndf * min(2**n, 8)
        layers += [nn.Conv2d(width, out, 4, stride, 1, bias=bias), norm_layer(norm, out), nn.LeakyReLU(0.2, True)]
        width = out
    layers.append(nn.Conv2d(width, 1, 4, 1, 1))
    return layers


def patch_grid(image_size: int, n_layers: int = 3) -> int:
    """Side of the PatchGAN's logit map for ``image_size`` inputs (30 for 256 with n_layers 3)."""
    return image_size // 2**n_layers - 2


def check_patches(image_size: int, n_layers: int) -> None:
    """Refuse an image too small to leave the PatchGAN any patch."""
    if n_layers >= 1 and patch_grid(image_size, n_layers) < 1:
        raise ConfigError(f"a {n_layers}-layer PatchGAN leaves no patches of a {image_size}x{image_size} image; lower n_layers")


def zero_conv_biases(module: nn.Module) -> None:
    """``net.apply(zero_conv_biases)``: convolution biases start at zero, as in the reference."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)) and module.bias is not None:
        nn.init.zeros_(module.bias)
