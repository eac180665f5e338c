"""InfoGAN's objective (arXiv 1606.03657, eq. 5): ``min_{G,Q} max_D V(D, G) - lambda L_I(G, Q)``.

``L_I`` is the variational lower bound on the mutual information between the latent codes
``c`` and the fakes ``G(z, c)``: ``E[log Q(c | G(z, c))] + H(c)``. ``H(c)`` is a constant, so
minimising the *code loss* ``-E[log Q(c | x)]`` maximises the bound:

- categorical code: the cross-entropy of Q's logits against the value drawn;
- continuous codes: the Gaussian negative log-likelihood with a fixed unit standard deviation
  (the paper's MNIST setting), ``0.5 * sum (mu - c)^2`` per image up to a constant, weighed by
  ``continuous_weight``.

As in the paper (and its reference code) ``info_weight * code loss`` is added to the
generator's objective and to the discriminator's, whose parameters include Q's head: the
discriminator step trains Q on the detached fakes, the generator step makes fakes whose codes
Q can read. The adversarial part is the non-saturating GAN loss on the logit column.

Discriminator outputs arrive as ``(N, 1 + K + C)`` (:mod:`ganzoo_plugins.infogan.nets`);
the latent layout (``K``, ``C``) comes from the run's task adapter (:meth:`prepare`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganzoo.core.latent_codes import LatentCodes
from ganzoo.core.losses import Loss
from ganzoo.errors import ConfigError


class InfoGANLoss(Loss):
    scores_are_logits = True  # column 0 is a logit: histograms show probabilities
    uses_inputs = True  # the code loss needs the codes the fakes were made from

    def __init__(self, info_weight: float = 1.0, continuous_weight: float = 1.0) -> None:
        self.info_weight, self.continuous_weight = float(info_weight), float(continuous_weight)
        if self.info_weight < 0 or self.continuous_weight < 0:
            raise ConfigError("info_weight and continuous_weight must be at least 0")
        self.codes: LatentCodes | None = None

    def prepare(self, task) -> None:
        codes = getattr(task, "codes", None)
        if codes is None:
            raise ConfigError("the infogan loss needs an architecture with latent codes (categorical_code or "
                              "continuous_codes above 0), such as infogan")
        self.codes = codes

    def adversarial_scores(self, scores: torch.Tensor) -> torch.Tensor:
        return scores[:, 0]

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor, latent: torch.Tensor | None = None,
                           condition: torch.Tensor | None = None) -> torch.Tensor:
        real, fake = real_scores[:, 0], fake_scores[:, 0]
        adversarial = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                       + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
        return adversarial + self.info_weight * self.code_loss(fake_scores[:, 1:], latent)

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None,
                       latent: torch.Tensor | None = None, condition: torch.Tensor | None = None) -> torch.Tensor:
        return F.softplus(-fake_scores[:, 0]).mean() + self.info_weight * self.code_loss(fake_scores[:, 1:], latent)

    def code_loss(self, q: torch.Tensor, latent: torch.Tensor | None) -> torch.Tensor:
        """``-E[log Q(c | x)]`` (up to a constant) for Q's outputs ``q`` and the latent the fakes came from."""
        if self.codes is None or latent is None:
            raise ConfigError("the infogan loss needs the latent codes of the fakes (the trainer passes them after prepare())")
        if q.shape[1] != self.codes.width:
            raise ConfigError(f"the discriminator's Q head gives {q.shape[1]} outputs, but the latent has "
                              f"{self.codes.width} code numbers")
        categories, continuous = self.codes.split(latent)
        k = self.codes.categories
        loss = q.new_zeros((), dtype=torch.float32)
        if categories is not None:
            loss = loss + F.cross_entropy(q[:, :k].float(), categories)
        if continuous is not None:
            loss = loss + self.continuous_weight * 0.5 * (q[:, k:].float() - continuous.float()).pow(2).sum(1).mean()
        return loss
