"""The loss contract the trainer talks to, and helpers loss plugins share.

A loss turns discriminator outputs into two scalars. Everything that differs between GAN
objectives (gradient penalties, weight clipping, label smoothing) lives behind these
methods, so the trainer has no per-loss branches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import torch
from torch import nn

if TYPE_CHECKING:
    from ganzoo.core.tasks import TaskAdapter
    from ganzoo.plugin.specs import LossSpec


class Loss:
    """Base class of adversarial objectives; subclasses implement the two losses."""

    #: Relativistic losses judge fakes against reals in the generator step too; set this to
    #: get the current discriminator's scores of the real batch in :meth:`generator_loss`.
    generator_uses_real_scores: bool = False

    #: The discriminator's scores are logits of "this image is real" (BCE-type losses): runs
    #: record and plot them as probabilities ``sigmoid(score)`` in [0, 1]; otherwise (critics:
    #: Wasserstein, hinge, least squares) as raw scores. A loss's spec says the same with
    #: ``LossSpec(scores="probability_logit")``, which wins when set (:func:`score_kind`).
    scores_are_logits: bool = False

    #: Losses that train an auxiliary head of the discriminator (InfoGAN's Q recovering the latent
    #: codes) need what this step's fakes were made from: set this to get the generator's input
    #: ``latent`` (the noise, codes included; None for tasks without noise) and the batch's
    #: ``condition`` as keyword arguments of :meth:`discriminator_loss` and :meth:`generator_loss`.
    uses_inputs: bool = False

    def discriminator_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """The loss the discriminator (critic) minimises on one batch."""
        raise NotImplementedError

    def generator_loss(self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None) -> torch.Tensor:
        """The loss the generator minimises on one batch (``real_scores``: see above)."""
        raise NotImplementedError

    def prepare(self, task: TaskAdapter) -> None:
        """Called once before training with the run's task adapter, so a loss can read what it
        needs of the task (the layout of its latent codes) or refuse it with a ``ConfigError``."""

    def adversarial_scores(self, scores: torch.Tensor) -> torch.Tensor:
        """The part of the discriminator's outputs that says real or fake: all of it, unless its
        auxiliary head's outputs ride along as extra columns. Runs histogram these."""
        return scores

    def discriminator_penalty(
        self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """An extra term added to the discriminator loss (a gradient penalty); None for none.

        ``critic`` scores images under the batch's condition, so penalties work for every task.
        """
        return None

    def generator_penalty(
        self, generate: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor | None:
        """An extra term added to the generator loss; None for none (the default).

        ``generate`` makes fakes from a batch's condition as the training step does, with
        gradients, so a term can run the generator again: CycleGAN's cycle consistency
        ``|G(G(x)) - x|`` and identity terms live here.
        """
        return None

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """Called after every discriminator optimizer step (weight clipping goes here)."""


def score_kind(spec: LossSpec, loss: Loss) -> str:
    """``"probability_logit"`` or ``"critic"``: the spec's ``scores`` when it declares them, else
    what the loss object says (:attr:`Loss.scores_are_logits`)."""
    return spec.scores or ("probability_logit" if loss.scores_are_logits else "critic")


def registered_loss(name: str, **settings: object) -> Loss:
    """The registered loss ``name``, built with its defaults updated by ``settings``, for a loss
    plugin that composes another (ACGAN's real/fake term). An unknown name raises
    :class:`~ganzoo.errors.UnknownNameError` with a did-you-mean; a builder that fails names its
    plugin (:class:`~ganzoo.errors.PluginError`)."""
    from ganzoo.plugin.calls import plugin_function
    from ganzoo.plugin.discovery import get_registry

    spec = get_registry().loss(name)
    return plugin_function(spec)(**{**spec.defaults, **settings})
