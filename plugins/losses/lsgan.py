"""Least squares GAN (Mao et al., arXiv 1611.04076).

The discriminator regresses its raw score towards a target: ``b`` for real samples, ``a``
for fakes; the generator pushes the fakes' scores towards ``c``:

- discriminator: ``0.5 E[(D(x) - b)^2] + 0.5 E[(D(G(z)) - a)^2]``;
- generator: ``0.5 E[(D(G(z)) - c)^2]``.

The defaults ``a = 0, b = 1, c = 1`` are the 0-1 coding the paper uses in its experiments
(``a = -1, b = 1, c = 0`` is the variant that minimises the Pearson chi-squared divergence).
The discriminator's output is used as is: no sigmoid.
"""

from __future__ import annotations

import torch

from ganzoo.core.losses import Loss


class LSGANLoss(Loss):
    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0) -> None:
        self.a, self.b, self.c = float(a), float(b), float(c)

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real_scores - self.b) ** 2).mean() + 0.5 * ((fake_scores - self.a) ** 2).mean()

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        return 0.5 * ((fake_scores - self.c) ** 2).mean()
