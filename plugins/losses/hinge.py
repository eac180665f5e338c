"""The hinge adversarial loss (Lim and Ye, "Geometric GAN", arXiv 1705.02894; used by Miyato et al.,
"Spectral Normalization for GANs", arXiv 1802.05957, and by SAGAN and BigGAN).

On raw critic scores ``C``:

- discriminator: ``E[relu(1 - C(x))] + E[relu(1 + C(G(z)))]``: a real sample costs nothing
  once it scores >= 1, a fake once it scores <= -1 (a margin, as in an SVM);
- generator: ``-E[C(G(z))]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.core.losses import Loss


class HingeLoss(Loss):
    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        return -fake_scores.mean()
