"""Building blocks of DCGAN-style nets, shared by the first-party architectures.

``dcgan`` is built from these pieces, and so are its conditional and critic relatives, so
the layer layout (and with it the parameter names saved in weights files) is defined once.
A third-party architecture may use them too. Imports torch: import it from a plugin's
``nets`` module, never from its top-level module.

The layout is pytorch/examples' ``dcgan/main.py`` at 64x64; other sizes add or drop one
stride-2 stage per factor of two, and the 4x4 stage keeps ``ngf * size / 8`` channels.

``d_norm=spectral`` (Miyato et al., arXiv 1802.05957) uses no normalisation layer and wraps
every discriminator convolution, the logit's included, with spectral norm
(:mod:`ganzoo.core.spectral`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganzoo.core.spectral import apply_spectral_norm, raw_weight, restart_power_iteration

#: The discriminator normalisations ``d_norm`` can name: the one list their check reads.
NORMS = ("batch", "layer", "none", "spectral")


def stages(image_size: int) -> int:
    """Number of stride-2 stages between 4x4 and ``image_size``."""
    count = int(math.log2(image_size)) - 2 if image_size > 0 else 0
    if image_size < 16 or 2 ** (count + 2) != image_size:
        raise ValueError(f"DCGAN needs a power-of-two image size of at least 16, got {image_size}")
    return count


def check_norm(kind: str) -> str:
    """``kind`` if :data:`NORMS` holds it; a one-line ``ValueError`` listing them otherwise."""
    if kind not in NORMS:
        raise ValueError(f"unknown d_norm {kind!r}; use one of {', '.join(NORMS)}")
    return kind


def norm_layer(kind: str, channels: int) -> nn.Module:
    """``batch`` (BatchNorm2d), ``layer`` (GroupNorm with one group: over C, H, W per sample, as
    WGAN-GP's critic advises), ``none`` or ``spectral`` (no layer: the convolutions are wrapped)."""
    if check_norm(kind) == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def discriminator_conv(norm: str, *args, **kwargs) -> nn.Conv2d:
    """``nn.Conv2d(*args, **kwargs)``, spectrally normalised when ``norm`` is ``spectral``."""
    conv = nn.Conv2d(*args, **kwargs)
    return apply_spectral_norm(conv) if check_norm(norm) == "spectral" else conv


def generator_layers(nz: int, ngf: int, channels: int, image_size: int) -> list[nn.Module]:
    """A DCGAN generator body: ``(N, nz, 1, 1)`` -> ``(N, channels, S, S)`` in [-1, 1]."""
    width = ngf * 2 ** (stages(image_size) - 1)
    layers: list[nn.Module] = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
    while width > ngf:
        layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2), nn.ReLU(True)]
        width //= 2
    layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return layers


def discriminator_layers(ndf: int, channels: int, image_size: int, norm: str = "batch") -> tuple[list[nn.Module], int]:
    """A DCGAN discriminator body without its last 4x4 convolution: ``(N, channels, S, S)`` ->
    ``(N, width, 4, 4)`` features. Returns the layers and ``width``."""
    layers: list[nn.Module] = [discriminator_conv(norm, channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    width = ndf
    for _ in range(stages(image_size) - 1):
        layers += [discriminator_conv(norm, width, width * 2, 4, 2, 1, bias=False), norm_layer(norm, width * 2),
                   nn.LeakyReLU(0.2, inplace=True)]
        width *= 2
    return layers, width


class MinibatchStdDev(nn.Module):
    """Minibatch standard deviation (Karras et al., ProGAN, arXiv 1710.10196, section 3).

    Appends one feature map to ``(N, C, H, W)`` features: the standard deviation of each
    feature over a group of ``group_size`` samples, averaged over C, H and W, the same value
    at every position of every sample of the group. A discriminator that sees how varied a
    batch is can reject a generator that covers only some modes, so the generator is pushed
    to spread its samples out (here: to draw every digit). A batch that ``group_size`` does
    not divide is taken as one group. No parameters.
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        if group_size < 2:
            raise ValueError(f"the minibatch standard deviation needs groups of at least 2, got {group_size}")
        self.group_size = int(group_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        group = self.group_size if n % self.group_size == 0 else n
        if group < 2:  # one sample: no spread to measure
            return torch.cat([x, x.new_zeros(n, 1, h, w)], dim=1)
        y = x.reshape(group, -1, c, h, w)  # sample i is in group i % (n // group), as in ProGAN
        std = (y.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # one value per group
        feature = std.view(1, -1, 1, 1, 1).expand(group, -1, 1, h, w).reshape(n, 1, h, w)
        return torch.cat([x, feature], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"


def logit_layer(width: int, norm: str = "batch") -> nn.Conv2d:
    """DCGAN's last discriminator layer: ``(N, width, 4, 4)`` -> ``(N, 1, 1, 1)``, no sigmoid;
    spectrally normalised when the body's ``norm`` is ``spectral``."""
    return discriminator_conv(norm, width, 1, 4, 1, 0, bias=False)


def init_weights(module: nn.Module) -> None:
    """The DCGAN paper's N(0, 0.02) initialisation (norm scales N(1, 0.02), shifts 0).

    Use as ``net.apply(init_weights)``; other module types (embeddings, linear layers) are left
    to their owner.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(raw_weight(module), 0.0, 0.02)  # a spectrally normalised layer's raw weight
        restart_power_iteration(module)
    elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
