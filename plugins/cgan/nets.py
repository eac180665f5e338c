"""Class-conditional DCGAN generator and projection discriminator.

Generator: ``G(z, y)`` concatenates a learned embedding of the label (``embed_dim`` numbers)
to ``z`` and runs DCGAN's generator on the ``nz + embed_dim`` inputs, as Mirza and Osindero
(arXiv 1411.1784) feed ``y`` to the generator's first layer. The default of 20 numbers beside
100 of noise was picked on the digits: with 50 the generator drew every image of a class
alike (it ignored ``z``), with 10 other digits leaked into a class's row after 600 steps.

Discriminator: a projection discriminator (Miyato and Koyama, arXiv 1802.05637) rather than
the label fed in as extra input channels. With ``phi(x)`` DCGAN's discriminator features
(``(N, W, 4, 4)``, before its last convolution) the logit is

    D(x, y) = psi(phi(x)) + <embed(y), sum over the 4x4 positions of phi(x)>

where ``psi`` is DCGAN's own last 4x4 convolution. Why projection:

- the label acts on the features that decide real/fake, not on raw pixels where it must
  survive every stride-2 layer; Miyato and Koyama found it trains more stably and follows the
  condition better than concatenation;
- the body stays DCGAN's, so ``d_norm`` (batch, layer, none) and every loss work unchanged,
  including gradient penalties (the critic is scored under the batch's labels);
- it costs ``num_classes * W`` parameters and no extra full-resolution input channels.

Both nets take labels as an int64 tensor of shape ``(N,)`` with values in ``[0, num_classes)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.dcgan_layers import discriminator_layers, generator_layers, init_weights, logit_layer


class Generator(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64, channels: int = 3, image_size: int = 64, num_classes: int = 10,
                 embed_dim: int = 20) -> None:
        super().__init__()
        self.nz = nz
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.main = nn.Sequential(*generator_layers(nz + embed_dim, ngf, channels, image_size))

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = torch.cat((z.reshape(z.shape[0], self.nz), self.embed(labels)), dim=1)
        return self.main(h[:, :, None, None])


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, channels: int = 3, image_size: int = 64, num_classes: int = 10,
                 norm: str = "batch") -> None:
        super().__init__()
        layers, width = discriminator_layers(ndf, channels, image_size, norm)
        self.main = nn.Sequential(*layers)
        self.logit = logit_layer(width)
        self.embed = nn.Embedding(num_classes, width)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        features = self.main(x)
        projection = (self.embed(labels) * features.sum(dim=(2, 3))).sum(dim=1)
        return self.logit(features).view(-1) + projection


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    size, channels, classes = int(config["image_size"]), int(config["channels"]), int(config["num_classes"])
    if classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {classes}; train on a labelled dataset")
    generator = Generator(int(config["nz"]), int(config["ngf"]), channels, size, classes, int(config["embed_dim"]))
    discriminator = Discriminator(int(config["ndf"]), channels, size, classes, config.get("d_norm", "batch"))
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    # The label embeddings: N(0, 1) in the generator, like the z they sit beside; N(0, 0.02) in
    # the projection, like DCGAN's other discriminator weights, so that the conditional term
    # starts as small as the unconditional logit instead of saturating the loss.
    nn.init.normal_(generator.embed.weight, 0.0, 1.0)
    nn.init.normal_(discriminator.embed.weight, 0.0, 0.02)
    return generator, discriminator
