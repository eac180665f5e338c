"""The original GAN's fully connected generator and discriminator, for flattened images.

Goodfellow et al. (arXiv 1406.2661, section 5) trained multilayer perceptrons: the generator
used "a mixture of rectifier linear activations and sigmoid activations", noise entering at
the bottom layer only; the discriminator used maxout units and was trained with dropout; one
discriminator step per generator step (k = 1). This module keeps that shape and makes a few
practical substitutions, each switchable through the config:

- **Generator**: ``z (N, nz)`` -> for each width in ``g_hidden`` (default 256, 512, 1024):
  ``Linear -> BatchNorm1d -> ReLU`` -> ``Linear -> tanh``, reshaped to
  ``(N, channels, image_size, image_size)``. ReLU hidden layers as in the paper; tanh rather
  than the paper's output sigmoid because every ganzoo generator produces images in [-1, 1].
  Batch norm (``g_norm="batch"``, the default; Ioffe and Szegedy, arXiv 1502.03167) is not
  in the paper: without it (``g_norm="none"``, the paper's plain layers) the generator
  collapsed onto one blurry digit within 500 steps on the 1,797 digits in our runs (dropout
  0.3 or 0.5, with or without one-sided label smoothing), the "Helvetica scenario" of the
  paper's section 6; with it the samples cover the ten digits. Under batch norm the hidden
  ``Linear`` layers have no bias (the norm's shift replaces it), and training batches need at
  least 2 images.
- **Discriminator**: the flattened image -> for each width in ``d_hidden`` (default 512, 256):
  ``Linear -> LeakyReLU(0.2) -> Dropout(dropout)`` -> ``Linear`` to one logit per image, shape
  ``(N,)`` (no sigmoid: the loss works on logits). LeakyReLU (``d_activation="leaky_relu"``)
  is the cheap stand-in for maxout, and like maxout it never blocks the gradient that the
  generator learns from. ``d_activation="maxout"`` gives the paper's units instead: each
  layer computes ``maxout_pieces`` linear pieces per unit and keeps the largest.
- Dropout (default 0.5, the usual rate for maxout nets) acts in train mode only; in eval mode
  the discriminator is deterministic. The generator has no dropout.
- Weights keep PyTorch's default initialisation (the paper names none); ganzoo seeds torch
  before ``build``, so a seed gives the same nets.

Any image size and channel count works: the nets see ``channels * image_size**2`` values.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

ACTIVATIONS = ("leaky_relu", "maxout")
G_NORMS = ("batch", "none")


def _widths(name: str, value: Any) -> tuple[int, ...]:
    """A hidden-layer list from the config: a sequence of positive ints (one int: one layer)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not all(
        isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in value
    ):
        raise ValueError(f"{name} must be a list of positive layer widths such as [256, 512], got {value!r}")
    return tuple(value)


class Maxout(nn.Module):
    """``units`` maxout units over ``pieces`` linear pieces each (Goodfellow et al., arXiv 1302.4389)."""

    def __init__(self, width_in: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(width_in, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=2)


class Generator(nn.Module):
    def __init__(
        self,
        nz: int = 100,
        hidden: Sequence[int] = (256, 512, 1024),
        channels: int = 1,
        image_size: int = 16,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        self.nz = nz
        self.shape = (channels, image_size, image_size)
        layers: list[nn.Module] = []
        width = nz
        for out in hidden:
            if norm == "batch":
                layers += [nn.Linear(width, out, bias=False), nn.BatchNorm1d(out), nn.ReLU(inplace=True)]
            else:
                layers += [nn.Linear(width, out), nn.ReLU(inplace=True)]
            width = out
        layers += [nn.Linear(width, channels * image_size * image_size), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], self.nz)).view(z.shape[0], *self.shape)


class Discriminator(nn.Module):
    def __init__(
        self,
        hidden: Sequence[int] = (512, 256),
        channels: int = 1,
        image_size: int = 16,
        dropout: float = 0.5,
        activation: str = "leaky_relu",
        maxout_pieces: int = 5,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = channels * image_size * image_size
        for out in hidden:
            if activation == "maxout":
                layers += [Maxout(width, out, maxout_pieces)]
            else:
                layers += [nn.Linear(width, out), nn.LeakyReLU(0.2, inplace=True)]
            layers += [nn.Dropout(dropout)]
            width = out
        layers += [nn.Linear(width, 1)]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x.flatten(1)).view(-1)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    nz, size, channels = int(config["nz"]), int(config["image_size"]), int(config["channels"])
    if nz < 1 or size < 1 or channels < 1:
        raise ValueError(f"nz, image_size and channels must be positive, got {nz}, {size}, {channels}")
    dropout = float(config["dropout"])
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    norm = config["g_norm"]
    if norm not in G_NORMS:
        raise ValueError(f"unknown g_norm {norm!r}; use one of {', '.join(G_NORMS)}")
    activation = config["d_activation"]
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown d_activation {activation!r}; use one of {', '.join(ACTIVATIONS)}")
    pieces = int(config["maxout_pieces"])
    if activation == "maxout" and pieces < 2:
        raise ValueError(f"maxout_pieces must be at least 2, got {pieces}")
    generator = Generator(nz, _widths("g_hidden", config["g_hidden"]), channels, size, norm)
    discriminator = Discriminator(_widths("d_hidden", config["d_hidden"]), channels, size, dropout, activation, pieces)
    return generator, discriminator
