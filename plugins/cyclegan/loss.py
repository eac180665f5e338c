"""CycleGAN's full objective (Zhu et al., arXiv 1703.10593, eq. 3, with the identity term of its
section 5.2), at the reference implementation's scale.

Discriminator scores come as ``(N, 2, h, w)``: channel 0 from D_A (domain A images), channel 1
from D_B. Per discriminator the least squares loss is ``0.5 E[(D(x) - 1)^2] + 0.5 E[D(fake)^2]``
and the two are summed; the generators pay ``E[(D(fake) - 1)^2]`` per direction, summed, plus

- cycle consistency: ``cycle_weight * (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)``, i.e.
  ``|G(G(x)) - x|`` on the packed batch (:mod:`ganzoo.core.unpaired`);
- identity: ``identity_weight * cycle_weight * (|G_BA(a) - a|_1 + |G_AB(b) - b|_1)``, i.e.
  ``|G(swap(x)) - x|``: a generator handed an image of its target domain leaves it alone
  (keeps colours). ``identity_weight = 0`` skips it.

Each term is a mean per domain, summed over the two domains, as in the reference (``MSELoss``
and ``L1Loss`` per direction): ``cycle_weight = 10`` weighs what the paper's lambda = 10 weighs.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ganzoo.core.losses import Loss
from ganzoo.core.unpaired import swap


def _summed_over_domains(values: torch.Tensor) -> torch.Tensor:
    """The mean over everything but the domain channel (dim 1), summed over the domains."""
    return values.mean(dim=[d for d in range(values.ndim) if d != 1]).sum()


class CycleGANLoss(Loss):
    def __init__(self, cycle_weight: float = 10.0, identity_weight: float = 0.5) -> None:
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        if self.cycle_weight < 0 or self.identity_weight < 0:
            raise ValueError("cycle_weight and identity_weight must be at least 0")

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        return 0.5 * _summed_over_domains((real_scores - 1) ** 2) + 0.5 * _summed_over_domains(fake_scores**2)

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        return _summed_over_domains((fake_scores - 1) ** 2)

    def generator_penalty(self, generate: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                          fake: torch.Tensor) -> torch.Tensor | None:
        # a packed batch's two halves have the same size: twice the mean is the sum of the domains' means
        penalty = 2 * self.cycle_weight * F.l1_loss(generate(fake), real)
        if self.identity_weight:
            penalty = penalty + 2 * self.identity_weight * self.cycle_weight * F.l1_loss(generate(swap(real)), real)
        return penalty
