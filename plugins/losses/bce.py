"""The original GAN objective (Goodfellow et al., arXiv 1406.2661).

Discriminator: ``BCE(D(x), r) + BCE(D(G(z)), 0)`` with ``r = real_label`` (1, or 0.9 for
one-sided label smoothing). Generator: the non-saturating ``BCE(D(G(z)), 1)``, i.e.
``-log sigmoid(D(G(z)))``. Scores are logits, so the sigmoid is fused into the loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.losses import Loss


class BCELoss(Loss):
    def __init__(self, real_label: float = 1.0) -> None:
        if not 0.0 < real_label <= 1.0:
            raise ValueError(f"real_label must be in (0, 1], got {real_label}")
        self.real_label = real_label

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        real = F.binary_cross_entropy_with_logits(real_scores, torch.full_like(real_scores, self.real_label))
        fake = F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))
        return real + fake

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))
