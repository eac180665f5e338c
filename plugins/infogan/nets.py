"""InfoGAN's generator and its discriminator with the Q head on the same body.

The nets are DCGAN's (:mod:`ganzoo.core.dcgan_layers`), as the paper's MNIST nets are DCGAN-like:

- the generator reads the latent ``[z, one-hot c_cat, c_cont]`` (``nz + categorical_code +
  continuous_codes`` numbers; the task adapter draws it, :mod:`ganzoo.core.latent_codes`);
- the discriminator's body ``phi(x)`` (``(N, W, 4, 4)``) feeds two heads: DCGAN's last 4x4
  convolution gives the real/fake logit, and Q (a 4x4 convolution to ``q_hidden`` features,
  batch norm, leaky ReLU, a linear layer, as the paper's Q: FC 128 - BN - lReLU - FC) gives the
  categorical code's logits and the continuous codes' means. Q costs one small head, not a
  second network.

The discriminator returns ``(N, 1 + categorical_code + continuous_codes)``: column 0 is the
logit, the rest are Q's outputs. The ``infogan`` loss reads them in that order
(:mod:`ganzoo_plugins.infogan.loss`); other losses would read Q's columns as logits, so the
architecture trains with the ``infogan`` loss.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.dcgan_layers import discriminator_layers, generator_layers, init_weights, logit_layer


class Generator(nn.Module):
    def __init__(self, latent: int, ngf: int = 64, channels: int = 1, image_size: int = 32) -> None:
        super().__init__()
        self.latent = latent
        self.main = nn.Sequential(*generator_layers(latent, ngf, channels, image_size))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.latent, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, channels: int = 1, image_size: int = 32, norm: str = "batch",
                 codes: int = 12, q_hidden: int = 128) -> None:
        super().__init__()
        layers, width = discriminator_layers(ndf, channels, image_size, norm)
        self.body = nn.Sequential(*layers)
        self.logit = logit_layer(width, norm)
        self.q = nn.Sequential(nn.Conv2d(width, q_hidden, 4, 1, 0, bias=False), nn.BatchNorm2d(q_hidden),
                               nn.LeakyReLU(0.2, inplace=True), nn.Flatten(), nn.Linear(q_hidden, codes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, S, S)`` -> ``(N, 1 + codes)``: the real/fake logit, then Q's outputs."""
        features = self.body(x)
        return torch.cat([self.logit(features).view(-1, 1), self.q(features)], dim=1)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    categories, continuous = int(config["categorical_code"]), int(config["continuous_codes"])
    if categories == 1:
        raise ValueError("categorical_code must be 0 (none) or at least 2 values, got 1")
    if categories + continuous == 0:
        raise ValueError("InfoGAN needs at least one latent code: set categorical_code or continuous_codes")
    size, channels = int(config["image_size"]), int(config["channels"])
    generator = Generator(int(config["nz"]) + categories + continuous, int(config["ngf"]), channels, size)
    discriminator = Discriminator(int(config["ndf"]), channels, size, config.get("d_norm", "batch"),
                                  categories + continuous, int(config["q_hidden"]))
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
