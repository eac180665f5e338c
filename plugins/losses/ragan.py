"""Relativistic average GAN, BCE form (Jolicoeur-Martineau, arXiv 1807.00734), as ESRGAN uses
it (Wang et al., arXiv 1809.00219, eqs. 1-3).

The discriminator no longer says "x is real" but "x is more realistic than the average of the
other kind": for raw scores ``C(x)`` (logits),

    D_Ra(x_r, x_f) = sigmoid(C(x_r) - E[C(x_f)]),   D_Ra(x_f, x_r) = sigmoid(C(x_f) - E[C(x_r)])

- discriminator: ``-E[log D_Ra(x_r, x_f)] - E[log(1 - D_Ra(x_f, x_r))]``;
- generator, symmetric: ``-E[log(1 - D_Ra(x_r, x_f))] - E[log D_Ra(x_f, x_r)]``, so the
  generator learns from the real images' scores too (the trainer hands them over because
  :attr:`generator_uses_real_scores` is set; it scores them without gradients for the
  discriminator, which the generator step does not train).

These are the paper's sums. The official ESRGAN code averages the two terms (half of each), so
its ``gan_weight`` 5e-3 weighs half as much as 5e-3 does here. Scores are relative, not
logits of "real", so runs record them raw (``scores_are_logits`` stays False).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.core.losses import Loss


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class RaGANLoss(Loss):
    generator_uses_real_scores = True

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return _bce(real_scores - fake_scores.mean(), 1.0) + _bce(fake_scores - real_scores.mean(), 0.0)

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        if real_scores is None:
            raise ValueError("the relativistic loss compares fakes with reals: generator_loss needs real_scores")
        return _bce(real_scores - fake_scores.mean(), 0.0) + _bce(fake_scores - real_scores.mean(), 1.0)
