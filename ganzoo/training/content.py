"""Content terms: what an image-conditioned generator pays for being far from its target.

Pix2Pix adds ``100 * L1`` to the adversarial loss; SRGAN adds a VGG feature distance (or MSE
for SRResNet pre-training); ESRGAN adds VGG features before activation plus ``0.01 * L1``,
written as the sum ``"vgg-pre+0.01*l1"`` (terms joined by ``+``, each optionally weighted
``W*name``). The trainer adds ``content_weight * term(fake, real)`` to the generator loss when
a model names a term, and uses the pre-training term (``pretrain_content``, by default the same)
alone during ``pretrain_steps``.
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
    """SRGAN's VGG54: features after the ReLU, mean squared error."""
    from ganzoo.training.perceptual import VGGContent

    return VGGContent(layer=vgg_layer, weights=vgg_weights)


def _vgg_pre(vgg_layer: str = "conv5_4", vgg_weights: str | None = None) -> nn.Module:
    """ESRGAN's perceptual loss: features before the ReLU, L1 distance."""
    from ganzoo.training.perceptual import VGGContent

    return VGGContent(layer=vgg_layer, weights=vgg_weights, before_activation=True, distance="l1")


TERMS = {"l1": L1Content, "mse": MSEContent, "vgg": _vgg, "vgg-pre": _vgg_pre}
#: The terms that take the :data:`~ganzoo.core.config.CONTENT_KEYS` settings.
VGG_TERMS = ("vgg", "vgg-pre")


class WeightedSum(nn.Module):
    """``sum(weight * term(fake, real))`` over several content terms (``"vgg-pre+0.01*l1"``)."""

    def __init__(self, terms: list[tuple[float, nn.Module]]) -> None:
        super().__init__()
        self.weights = [weight for weight, _ in terms]
        self.terms = nn.ModuleList(term for _, term in terms)

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return sum(w * term(fake, real) for w, term in zip(self.weights, self.terms))

    def extra_repr(self) -> str:
        return f"weights={self.weights}"


def parse_content(spec: str) -> list[tuple[float, str]]:
    """``"vgg-pre+0.01*l1"`` -> ``[(1.0, "vgg-pre"), (0.01, "l1")]``; unknown names and bad
    weights are ConfigErrors."""
    parts = []
    for part in str(spec).replace(" ", "").split("+"):
        weight_text, star, name = part.rpartition("*")
        try:
            weight = float(weight_text) if star else 1.0
        except ValueError:
            weight = float("nan")
        if not weight >= 0 or weight == float("inf"):
            raise ConfigError(f"content term {part!r}: the weight before '*' must be a number >= 0 (e.g. 0.01*l1)")
        if name not in TERMS:
            raise ConfigError(f"unknown content term {name!r}{suggest(name, list(TERMS))}; use one of "
                              f"{', '.join(TERMS)}, or a weighted sum such as vgg-pre+0.01*l1")
        parts.append((weight, name))
    return parts


def takes_settings(name: str) -> bool:
    """Whether the content term ``name`` takes the VGG settings (it names ``vgg`` or ``vgg-pre``):
    a pre-training term that does not is built without them."""
    return any(n in VGG_TERMS for _, n in parse_content(name))


def build_content(name: str, config: dict[str, Any] | None = None) -> nn.Module:
    """The content term called ``name`` (``l1``, ``mse``, ``vgg``, ``vgg-pre``, or a weighted sum
    of them such as ``vgg-pre+0.01*l1``), built with ``config``."""
    parts = parse_content(name)
    config = dict(config or {})
    names = [n for _, n in parts]
    if config:
        vgg = [n for n in names if n in VGG_TERMS]
        if not vgg:
            raise ConfigError(f"content term {name!r} takes no settings, got {sorted(config)}")
        unknown = sorted(set(config) - CONTENT_KEYS)
        if unknown:
            raise ConfigError(f"content term {vgg[0]!r} takes {' and '.join(sorted(CONTENT_KEYS))}, not {unknown}")
    terms = [(w, TERMS[n](**config) if n in VGG_TERMS else TERMS[n]()) for w, n in parts]
    if len(terms) == 1 and terms[0][0] == 1.0:
        return terms[0][1]
    return WeightedSum(terms)
