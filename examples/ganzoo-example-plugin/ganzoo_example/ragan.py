"""The relativistic average standard GAN loss, RaSGAN (Jolicoeur-Martineau, arXiv 1807.00734).

With ``C`` the discriminator's logits, real images ``x_r`` and fakes ``x_f``, the discriminator
judges how much more realistic each image is than the *average* image of the other kind::

    D~(x_r) = sigmoid(C(x_r) - E[C(x_f)])        D~(x_f) = sigmoid(C(x_f) - E[C(x_r)])

    L_D = -E_r[log D~(x_r)]       - E_f[log(1 - D~(x_f))]
    L_G = -E_f[log D~(x_f)]       - E_r[log(1 - D~(x_r))]

The generator's loss is the discriminator's with the roles of real and fake swapped, so it
needs the real scores too: the loss sets ``generator_uses_real_scores`` and the trainer passes
the current discriminator's scores of the real batch to ``generator_loss``.
Logits go through ``softplus`` (numerically stable
``-log sigmoid``), never through an explicit sigmoid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.losses import Loss


def _relativistic(scores: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """``C(x) - E[C(x')]``: each score relative to the mean score of the other kind."""
    return scores - others.mean()


def _sided_loss(winners: torch.Tensor, losers: torch.Tensor) -> torch.Tensor:
    """``-E[log sigmoid(w - E l)] - E[log(1 - sigmoid(l - E w))]`` for logits ``w``, ``l``.

    ``-log sigmoid(t) = softplus(-t)`` and ``-log(1 - sigmoid(t)) = softplus(t)``.
    """
    return F.softplus(-_relativistic(winners, losers)).mean() + F.softplus(_relativistic(losers, winners)).mean()


class RaGANLoss(Loss):
    """Relativistic average standard GAN loss (RaSGAN); see the module docstring."""

    generator_uses_real_scores = True

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """``L_D = -E_r[log D~(x_r)] - E_f[log(1 - D~(x_f))]``."""
        return _sided_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        """``L_G = -E_f[log D~(x_f)] - E_r[log(1 - D~(x_r))]``."""
        if real_scores is None:
            raise ValueError("RaGANLoss.generator_loss needs the real scores (generator_uses_real_scores)")
        return _sided_loss(fake_scores, real_scores.detach())
