"""A fully connected generator and discriminator for any image size.

The generator maps ``z`` (N, nz) through ``layers`` hidden layers of width ``hidden`` to
``channels * image_size**2`` values squashed by tanh into [-1, 1]; the discriminator reads a
flattened image through the same widths and returns one logit per image, shape (N,).
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.errors import ConfigError


def _hidden_stack(width_in: int, hidden: int, layers: int, activation: type[nn.Module], **kwargs) -> list[nn.Module]:
    stack: list[nn.Module] = []
    for i in range(layers):
        stack += [nn.Linear(width_in if i == 0 else hidden, hidden), activation(**kwargs)]
    return stack


class Generator(nn.Module):
    def __init__(self, nz: int = 64, hidden: int = 256, layers: int = 2, channels: int = 1, image_size: int = 16) -> None:
        super().__init__()
        self.shape = (channels, image_size, image_size)
        self.main = nn.Sequential(
            *_hidden_stack(nz, hidden, layers, nn.ReLU),
            nn.Linear(hidden, channels * image_size * image_size),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z).view(z.shape[0], *self.shape)


class Discriminator(nn.Module):
    def __init__(self, hidden: int = 256, layers: int = 2, channels: int = 1, image_size: int = 16) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Flatten(),
            *_hidden_stack(channels * image_size * image_size, hidden, layers, nn.LeakyReLU, negative_slope=0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


def init_weights(module: nn.Module) -> None:
    """He initialisation for the (leaky) ReLU layers, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.kaiming_normal_(module.weight, a=0.2, nonlinearity="leaky_relu")
        nn.init.zeros_(module.bias)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    """The architecture builder ganzoo calls: ``config`` holds the spec's defaults updated by
    the model, the user and the dataset (``image_size``, ``channels``)."""
    size, channels = int(config["image_size"]), int(config["channels"])
    hidden, layers = int(config["hidden"]), int(config["layers"])
    if size < 1 or hidden < 1 or layers < 1:
        raise ConfigError(f"architecture mlp needs image_size, hidden and layers >= 1, got {size}, {hidden}, {layers}")
    generator = Generator(int(config["nz"]), hidden, layers, channels, size)
    discriminator = Discriminator(hidden, layers, channels, size)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
