"""WGAN with gradient penalty (Gulrajani et al., "Improved Training of Wasserstein GANs", arXiv 1704.00028).

The Wasserstein losses of :mod:`ganzoo_plugins.losses.wasserstein` (critic
``E[C(G(z))] - E[C(x)]``, generator ``-E[C(G(z))]``), with the Lipschitz constraint enforced
softly instead of by clipping: the critic also minimises

    ``lambda * E[(||grad_xhat C(xhat)||_2 - 1)^2]``,  ``xhat = eps * x + (1 - eps) * G(z)``,

with one ``eps ~ U[0, 1]`` per sample, so ``xhat`` lies on the straight line between a real
and a fake sample, and ``lambda = 10``. The gradient norm is taken over every non-batch
dimension of ``xhat`` (all of C, H and W for images). The paper advises a critic without
batch norm (the penalty is per sample; layer norm is fine) and Adam(1e-4, betas 0, 0.9) with
``n_critic = 5``.
"""

from __future__ import annotations

from typing import Callable

import torch

from ganzoo.errors import ConfigError
from ganzoo.core.losses import Loss
from .wasserstein import critic_loss, generator_loss


def interpolate(real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    """``eps * real + (1 - eps) * fake`` with one ``eps ~ U[0, 1]`` per sample (drawn when None)."""
    if eps is None:
        eps = torch.rand(real.shape[0], device=real.device, dtype=real.dtype)
    eps = eps.reshape(-1, *([1] * (real.dim() - 1)))
    return eps * real + (1 - eps) * fake


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """``E[(||grad_x C(x)||_2 - 1)^2]`` at ``points``, differentiable w.r.t. the critic's weights."""
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (grad,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()


class WGANGPLoss(Loss):
    def __init__(self, gp_weight: float = 10.0) -> None:
        if not gp_weight >= 0:
            raise ConfigError(f"gp_weight must be a number >= 0, got {gp_weight!r}")
        self.gp_weight = float(gp_weight)

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return critic_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        return generator_loss(fake_scores)

    def discriminator_penalty(
        self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        if self.gp_weight == 0:
            return None
        real, fake = real.detach(), fake.detach()
        return self.gp_weight * gradient_penalty(critic, interpolate(real, fake))
