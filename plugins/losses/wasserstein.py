"""The Wasserstein GAN objective with weight clipping (Arjovsky, Chintala and Bottou, arXiv 1701.07875).

The critic ``C`` (raw scores, no sigmoid) estimates the Wasserstein-1 distance
``W(P_r, P_g) = max_{||C||_L <= 1} E[C(x)] - E[C(G(z))]``:

- critic: minimise ``E[C(G(z))] - E[C(x)]``;
- generator: minimise ``-E[C(G(z))]``;
- the Lipschitz constraint is enforced crudely by clipping every critic parameter to
  ``[-clip, clip]`` (``clip = 0.01`` in the paper) after each critic optimizer step.

The paper trains with RMSprop (lr 5e-5) and ``n_critic = 5``; momentum-based optimizers
were found to destabilise it.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.errors import ConfigError
from ganzoo.core.losses import Loss


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """``E[C(fake)] - E[C(real)]``: the negated Wasserstein estimate."""
    return fake_scores.mean() - real_scores.mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """``-E[C(fake)]``."""
    return -fake_scores.mean()


class WassersteinLoss(Loss):
    def __init__(self, clip: float = 0.01) -> None:
        if not clip > 0:
            raise ConfigError(f"clip must be a positive number, got {clip!r}")
        self.clip = float(clip)

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return critic_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        return generator_loss(fake_scores)

    @torch.no_grad()
    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        for param in discriminator.parameters():
            param.clamp_(-self.clip, self.clip)
