"""Content terms: what an image-conditioned generator pays for being far from its target.

Pix2Pix adds ``100 * L1`` to the adversarial loss; SRGAN adds a VGG feature distance (or MSE
for SRResNet pre-training). The trainer adds ``content_weight * term(fake, real)`` to the
generator loss when a model names a term, and uses the term alone during ``pretrain_steps``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.core.config import CONTENT_KEYS
from ganzoo.errors import ConfigError
from ganzoo.plugin.registry import suggest


class L1Content(nn.Module):
    """Mean absolute error, the Pix2Pix reconstruction term (less blurry than L2)."""

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return F.l1_loss(fake, real)


class MSEContent(nn.Module):
    """Mean squared error, SRResNet's pixel loss (maximises PSNR)."""

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(fake, real)


def _vgg(vgg_layer: str = "conv5_4", vgg_weights: str | None = None) -> nn.Module:
    from ganzoo.training.perceptual import VGGContent

    return VGGContent(layer=vgg_layer, weights=vgg_weights)


TERMS = {"l1": L1Content, "mse": MSEContent, "vgg": _vgg}


def build_content(name: str, config: dict[str, Any] | None = None) -> nn.Module:
    """The content term called ``name`` (``l1``, ``mse``, ``vgg``), built with ``config``."""
    if name not in TERMS:
        raise ConfigError(f"unknown content term {name!r}{suggest(name, list(TERMS))}; use one of {', '.join(TERMS)}")
    factory = TERMS[name]
    config = dict(config or {})
    if factory is _vgg:
        unknown = sorted(set(config) - CONTENT_KEYS)
        if unknown:
            raise ConfigError(f"content term 'vgg' takes {' and '.join(sorted(CONTENT_KEYS))}, not {unknown}")
        return factory(**config)
    if config:
        raise ConfigError(f"content term {name!r} takes no settings, got {sorted(config)}")
    return factory()
