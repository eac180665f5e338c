"""Pieces the super-resolution plugins share: settings checks, the residual-over-bicubic
output, and the VGG-style discriminator.

SRGAN (Ledig et al., arXiv 1609.04802) and ESRGAN (Wang et al., arXiv 1809.00219) build their
generators differently but finish them the same way and judge them with the same
discriminator, so both plugins take these from here: the layer layout, and with it the
parameter names saved in weights files, is written once. Imports torch: use it from a plugin's
``nets``.

Output (:func:`finish`): ``residual="none"`` is the papers' generator, its last convolution
through ``tanh`` so that images lie in [-1, 1] like every ganzoo generator's;
``residual="bicubic"`` adds the last convolution to the bicubic upsampling of the input (the
convolution starts at zero, :func:`zero_init_`, so an untrained net is exactly bicubic) and
clamps to [-1, 1] outside training: the net learns only what bicubic misses, which is what lets
small CPU-trained generators beat bicubic.

Discriminator (SRGAN's figure 4, :class:`VGGStyleDiscriminator`): 3x3 conv 64 stride 1 +
LeakyReLU(0.2); then seven 3x3 conv + BN + LeakyReLU(0.2) blocks with (channels, stride) =
(64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2); dense 1024, LeakyReLU(0.2),
dense 1. It returns one logit per image, shape ``(N,)``. The four stride-2 blocks take a 96x96
crop to a 6x6 grid, which the paper flattens into the first dense layer; to accept any crop
size the features go through an adaptive average pooling to that fixed grid (``POOL_GRID``)
first: the identity at 96x96, so the net is exactly the paper's there, and saved weights do not
depend on the crop size.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.errors import ConfigError

#: Upscaling factors the generators support (one x2 upsampling stage per factor of two).
SCALES = (2, 4, 8)
#: What a generator adds its output to: nothing (the papers) or the bicubic upsampling.
RESIDUALS = ("none", "bicubic")
#: Smallest high-resolution crop accepted.
MIN_IMAGE_SIZE = 16
#: The discriminator's feature grid before the dense layers (96 / 16, SRGAN's).
POOL_GRID = 6


def zero_init_(conv: nn.Conv2d) -> None:
    """Zero weights and bias: a residual-over-bicubic generator starts as bicubic upsampling."""
    nn.init.zeros_(conv.weight)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


def finish(low_res: torch.Tensor, detail: torch.Tensor, residual: str, scale: int, training: bool) -> torch.Tensor:
    """The generator's image from its last convolution's output ``detail`` (see the module
    docstring): ``tanh(detail)``, or ``bicubic(low_res) + detail`` clamped outside training."""
    if residual != "bicubic":
        return torch.tanh(detail)
    out = F.interpolate(low_res, scale_factor=scale, mode="bicubic", align_corners=False) + detail
    return out if training else out.clamp(-1, 1)


def check_low_res(net: str, low_res: torch.Tensor, channels: int) -> None:
    """A generator's input must be ``(N, channels, H, W)``: a ValueError naming ``net`` otherwise."""
    if low_res.ndim != 4 or low_res.shape[1] != channels:
        raise ValueError(f"{net} expects low-resolution images of shape (N, {channels}, H, W), got {tuple(low_res.shape)}")


def check_int(model: str, config: dict[str, Any], key: str, minimum: int) -> int:
    """``config[key]`` as an int >= ``minimum`` (whole floats pass; bools do not), or ConfigError."""
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, float) and value.is_integer()):
        raise ConfigError(f"{model}: {key} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ConfigError(f"{model}: {key} must be at least {minimum}, got {value}")
    return int(value)


def check_common(model: str, config: dict[str, Any]) -> dict[str, Any]:
    """The settings every SR generator takes -- ``scale``, ``channels``, ``image_size`` (the
    high-resolution crop), ``residual`` -- checked, or a ConfigError naming ``model``."""
    scale = check_int(model, config, "scale", 1)
    if scale not in SCALES:
        raise ConfigError(f"{model}: scale must be one of {', '.join(map(str, SCALES))} (a power of two), got {scale}")
    channels = check_int(model, config, "channels", 1)
    if channels not in (1, 3):
        raise ConfigError(f"{model}: channels must be 1 (grayscale) or 3 (RGB), got {channels}")
    size = check_int(model, config, "image_size", 1)
    if size < MIN_IMAGE_SIZE or size % scale:
        raise ConfigError(
            f"{model}: image_size (the high-resolution crop) must be at least {MIN_IMAGE_SIZE} and divisible by "
            f"scale {scale}, got {size}; try {max(MIN_IMAGE_SIZE, size // scale * scale + (scale if size % scale else 0))}"
        )
    residual = config.get("residual", "none")
    if residual not in RESIDUALS:
        raise ConfigError(f"{model}: residual must be one of {', '.join(RESIDUALS)}, got {residual!r}")
    return {"scale": scale, "channels": channels, "image_size": size, "residual": residual}


def _block(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, inplace=True)]


class VGGStyleDiscriminator(nn.Module):
    """SRGAN's VGG-style discriminator: ``(N, C, S, S)`` in [-1, 1] -> ``(N,)`` logits.

    The convolutions that BN follows have no bias (BN's shift replaces it). ``condition`` is
    accepted and ignored: the discriminator judges the high-resolution image alone.
    """

    def __init__(self, channels: int = 3, ndf: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True)]
        width = ndf
        for c_out, stride in ((ndf, 2), (2 * ndf, 1), (2 * ndf, 2), (4 * ndf, 1), (4 * ndf, 2), (8 * ndf, 1), (8 * ndf, 2)):
            layers += _block(width, c_out, stride)
            width = c_out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(POOL_GRID)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(width * POOL_GRID * POOL_GRID, 1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 1),
        )

    def forward(self, images: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self.classifier(self.pool(self.features(images))).view(-1)
