"""Spectral normalisation (Miyato et al., arXiv 1802.05957) as torch's own parametrisation.

Every weight ``W`` of a wrapped layer is used as ``W / sigma(W)``, ``sigma`` the largest
singular value estimated by one power iteration per training-mode forward; the layer is then
1-Lipschitz and the whole discriminator (with 1-Lipschitz activations) is bounded, without a
penalty or clipping. ``sngan``'s discriminator and ``d_norm=spectral`` of the DCGAN-style
discriminators (:mod:`ganzoo.core.dcgan_layers`) both wrap their layers here.

Torch's :func:`torch.nn.utils.parametrizations.spectral_norm` keeps the raw weight as
``parametrizations.weight.original`` and the power-iteration vectors as buffers (``_u``,
``_v``), so they are saved in, and loaded from, a state dict like any weight. Reading
``module.weight`` recomputes the normalised weight: an initialisation must write to
:func:`raw_weight` instead, or it is lost. Imports torch: import it from a plugin's ``nets``
module, never from its top-level module.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

#: The layers :func:`apply_spectral_norm` wraps unless told otherwise.
LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def is_spectral(module: nn.Module) -> bool:
    """Whether ``module.weight`` is spectrally normalised (by torch's parametrisation)."""
    if not parametrize.is_parametrized(module, "weight"):
        return False
    return any(type(p).__name__ == "_SpectralNorm" for p in module.parametrizations.weight)


def apply_spectral_norm(module: nn.Module, layers: tuple[type[nn.Module], ...] = LAYERS) -> nn.Module:
    """Wrap the weight of every ``layers`` module inside ``module`` (itself included) with
    spectral norm, once: a layer already wrapped is left as it is. Returns ``module``."""
    for layer in list(module.modules()):
        if isinstance(layer, layers) and not is_spectral(layer):
            spectral_norm(layer)
    return module


def raw_weight(module: nn.Module) -> torch.Tensor:
    """The weight tensor an initialisation should write to: the raw (unnormalised) weight of a
    parametrised layer, the plain weight otherwise."""
    if parametrize.is_parametrized(module, "weight"):
        return module.parametrizations.weight.original
    return module.weight


def restart_power_iteration(module: nn.Module) -> None:
    """After the raw weight of a spectrally normalised layer was re-initialised, wrap it anew, so
    that its singular vectors are estimated (15 iterations, as torch does) for the new weight
    rather than the one drawn when it was first wrapped. Use before an optimizer holds it."""
    if is_spectral(module):
        parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)
        spectral_norm(module)
