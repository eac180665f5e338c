"""ACGAN's objective (Odena, Olah and Shlens, arXiv 1610.09585, section 3).

With ``S`` the source (real or fake) and ``C`` the class, the paper's two log-likelihoods are

    L_S = E[log P(S=real | X_real)] + E[log P(S=fake | X_fake)]
    L_C = E[log P(C=c | X_real)]    + E[log P(C=c | X_fake)]

and D maximises ``L_S + L_C``, G maximises ``L_C - L_S``. Here, as losses to minimise:

- discriminator: the source loss on column 0 of D's outputs, plus ``aux_weight`` times the
  cross-entropy of the class logits (columns ``1..K``) on the real images with their labels
  and, times ``fake_class_weight`` (1: the paper), on the (detached) fakes with the labels
  they were drawn for;
- generator: the source's generator loss (non-saturating with ``bce``, as the paper trains it)
  plus ``aux_weight`` times the cross-entropy of the class logits on its fakes.

Why ``fake_class_weight``: a class head that also learns the fakes' labels can learn the
generator's mistakes. Measured on the digits (5,000 steps, defaults): the generator drew
well-formed, varied digits (recall 0.73) but some labels as another digit (label 1 drew 4s,
label 4 drew 6s; conditional accuracy 0.48), a mapping the class head had agreed to. With 0 the
head learns the classes from real images only and the generator must match them (2,000 steps:
conditional accuracy 0.99, recall 0.42), so 0 is the ``acgan`` model's setting; the loss's own
default stays the paper's 1.

The fakes of a class-task step are drawn for the real batch's labels, so one tensor of labels,
the ``condition`` the trainer passes (:attr:`Loss.uses_inputs`), serves both terms.

``adversarial`` names the source term: any registered loss whose parts act on the logit
column alone (``bce``, the default; ``hinge``; ``lsgan``; ``wgan-gp``, whose gradient penalty
is taken of column 0). It is built from its spec with its own defaults and handed column 0, so
its math lives in one place. Refused: losses that act on every discriminator weight after each
step (``wasserstein``'s clipping would clip the class head too) and losses that read their own
extra columns (``infogan``, ``acgan``).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ganzoo.core.losses import Loss, registered_loss
from ganzoo.errors import ConfigError, UnknownNameError


def source_loss(name: str) -> Loss:
    """The registered loss ``name``, with its defaults, if it can judge column 0 alone."""
    try:
        loss = registered_loss(name)
    except UnknownNameError as exc:
        raise ConfigError(f"adversarial: {exc}") from None
    if loss.uses_inputs:
        raise ConfigError(f"adversarial={name!r} reads discriminator columns of its own; the acgan loss composes "
                          "with bce, hinge, lsgan or wgan-gp")
    if type(loss).after_discriminator_step is not Loss.after_discriminator_step:
        raise ConfigError(f"adversarial={name!r} changes every discriminator weight after each step (weight clipping), "
                          "the class head's too; use wgan-gp for a Wasserstein source term")
    return loss


class ACGANLoss(Loss):
    uses_inputs = True  # the class terms need the labels the fakes were drawn for

    def __init__(self, aux_weight: float = 1.0, adversarial: str = "bce", fake_class_weight: float = 1.0) -> None:
        self.aux_weight, self.fake_class_weight = float(aux_weight), float(fake_class_weight)
        if not (self.aux_weight >= 0 and self.fake_class_weight >= 0):
            raise ConfigError(f"aux_weight and fake_class_weight must be numbers >= 0, got {aux_weight!r}, {fake_class_weight!r}")
        self.adversarial = str(adversarial)
        self.source = source_loss(self.adversarial)
        self.scores_are_logits = self.source.scores_are_logits  # bce: histograms of probabilities
        self.generator_uses_real_scores = self.source.generator_uses_real_scores
        self.num_classes = 0

    def prepare(self, task) -> None:
        if not getattr(task, "needs_labels", False) or task.num_classes < 1:
            raise ConfigError(f"the acgan loss needs a class-conditional architecture (task 'class', such as acgan), "
                              f"not the {task.name!r} task")
        self.num_classes = task.num_classes

    def adversarial_scores(self, scores: torch.Tensor) -> torch.Tensor:
        return scores[:, 0]

    def class_loss(self, scores: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Cross-entropy of the class logits (columns ``1..K`` of ``scores``) against ``labels``."""
        if labels is None:
            raise ConfigError("the acgan loss needs the labels of the batch (the trainer passes them as condition=)")
        if scores.dim() != 2 or (self.num_classes and scores.shape[1] != 1 + self.num_classes):
            raise ConfigError(f"the discriminator gives outputs of shape {tuple(scores.shape)}, but the acgan loss needs "
                              f"(N, 1 + {self.num_classes or 'K'}): a logit and class logits, as the acgan architecture's")
        return F.cross_entropy(scores[:, 1:].float(), labels)

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor, latent: torch.Tensor | None = None,
                           condition: torch.Tensor | None = None) -> torch.Tensor:
        classes = self.class_loss(real_scores, condition) + self.fake_class_weight * self.class_loss(fake_scores, condition)
        return self.source.discriminator_loss(real_scores[:, 0], fake_scores[:, 0]) + self.aux_weight * classes

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None,
                       latent: torch.Tensor | None = None, condition: torch.Tensor | None = None) -> torch.Tensor:
        real = None if real_scores is None else real_scores[:, 0]
        return (self.source.generator_loss(fake_scores[:, 0], real)
                + self.aux_weight * self.class_loss(fake_scores, condition))

    def discriminator_penalty(
        self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """The source's penalty (wgan-gp's gradient penalty) of the logit column alone."""
        return self.source.discriminator_penalty(lambda images: critic(images)[:, 0], real, fake)

    def generator_penalty(
        self, generate: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        return self.source.generator_penalty(generate, real, fake)
