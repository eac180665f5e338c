"""The original GAN objective (Goodfellow et al., arXiv 1406.2661).

With ``D = sigmoid(s)`` for a discriminator logit ``s`` and ``r = real_label``:

- discriminator: ``BCE(s_real, r) + BCE(s_fake, 0)``, i.e.
  ``-E[r log D(x) + (1 - r) log(1 - D(x))] - E[log(1 - D(G(z)))]``. ``r = 1`` is the paper's
  objective; ``r = 0.9`` is one-sided label smoothing (Salimans et al., arXiv 1606.03498):
  only the real targets are softened, the fake targets stay 0.
- generator, ``generator="non-saturating"`` (default, the paper's practical advice):
  ``-E[log D(G(z))] = E[softplus(-s_fake)]``, strong gradients while D rejects the fakes.
- generator, ``generator="minimax"`` (the game as written): minimise
  ``E[log(1 - D(G(z)))] = -E[softplus(s_fake)]``. Its gradient ``-sigmoid(s_fake)`` vanishes
  when D confidently rejects the fakes, which is why the non-saturating form is the default.

Scores are logits, so the sigmoid is fused into ``softplus`` / ``binary_cross_entropy_with_logits``
and stays finite for any logit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.errors import ConfigError
from ganzoo.core.losses import Loss

GENERATOR_OBJECTIVES = ("non-saturating", "minimax")


class BCELoss(Loss):
    scores_are_logits = True  # runs record D's outputs as probabilities

    def __init__(self, real_label: float = 1.0, generator: str = "non-saturating") -> None:
        if not 0.0 < real_label <= 1.0:
            raise ConfigError(f"real_label must be in (0, 1], got {real_label}")
        if generator not in GENERATOR_OBJECTIVES:
            raise ConfigError(f"generator must be one of {', '.join(GENERATOR_OBJECTIVES)}; got {generator!r}")
        self.real_label = float(real_label)
        self.generator = generator

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        real = F.binary_cross_entropy_with_logits(real_scores, torch.full_like(real_scores, self.real_label))
        fake = F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))
        return real + fake

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        if self.generator == "minimax":
            return -F.softplus(fake_scores).mean()  # E[log(1 - sigmoid(s))]
        return F.softplus(-fake_scores).mean()  # E[-log sigmoid(s)] = BCE(s, 1)
