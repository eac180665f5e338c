"""ACGAN's nets: a class-conditional generator and a discriminator that classifies.

- Generator: a class-conditional DCGAN generator from :mod:`ganzoo.core.conditional_layers`
  (``g_condition``: the label's embedding concatenated to ``z``, or conditional batch norm), the
  same one ``cgan`` uses, parameter names included.
- Discriminator: DCGAN's discriminator body ``phi(x)`` (``(N, W, 4, 4)``,
  :func:`ganzoo.core.dcgan_layers.discriminator_layers`) with two heads, as in the paper (one
  net, two output layers): DCGAN's last 4x4 convolution gives the real/fake logit, and a second
  4x4 convolution the logits of the ``num_classes`` classes. It never reads the label: ACGAN
  asks it to *say* the class instead (Odena et al., arXiv 1610.09585, section 3).

The discriminator returns ``(N, 1 + num_classes)``: column 0 the source logit, then the class
logits; the ``acgan`` loss (:mod:`ganzoo_plugins.acgan.loss`) reads them in that order, so the
architecture trains with that loss.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.conditional_layers import conditional_generator
from ganzoo.core.dcgan_layers import discriminator_layers, init_weights, logit_layer


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, channels: int = 1, image_size: int = 32, num_classes: int = 10,
                 norm: str = "batch") -> None:
        super().__init__()
        layers, width = discriminator_layers(ndf, channels, image_size, norm)
        self.body = nn.Sequential(*layers)
        self.logit = logit_layer(width, norm)
        self.classes = nn.Conv2d(width, num_classes, 4, 1, 0)  # the auxiliary classifier, beside the logit

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``(N, C, S, S)`` -> ``(N, 1 + num_classes)``: the real/fake logit, then the class logits.

        ``labels`` is accepted and ignored: the class task's adapter scores every image under its
        label (``score(D, images, labels)``), but ACGAN's discriminator predicts the class rather
        than reading it."""
        features = self.body(x)
        return torch.cat([self.logit(features).flatten(1), self.classes(features).flatten(1)], dim=1)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    generator = conditional_generator(config)  # checks num_classes and g_condition
    discriminator = Discriminator(int(config["ndf"]), int(config["channels"]), int(config["image_size"]),
                                  int(config["num_classes"]), config.get("d_norm", "batch"))
    discriminator.apply(init_weights)  # both heads N(0, 0.02), the class head's bias 0
    nn.init.zeros_(discriminator.classes.bias)
    return generator, discriminator
