"""Task adapters: how to make fakes from a batch and how to ask the discriminator.

The trainer only calls these methods, so one loop serves every task. A batch is the pair
``(images, labels)`` that :class:`ganzoo.data.BatchStream` yields (labels may be None).
"""

from __future__ import annotations

import torch
from torch import nn

from .errors import ConfigError


class NoiseTask:
    """noise -> image: ``G(z)`` and ``D(x)``."""

    name = "noise"
    needs_labels = False

    def __init__(self, nz: int, num_classes: int = 0) -> None:
        self.nz = nz
        self.num_classes = num_classes

    def noise(self, n: int, device: torch.device, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.nz, device=device, generator=generator)

    def generate(self, net: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(z)

    def score(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return net(images)

    def sample_labels(self, n: int, device: torch.device) -> torch.Tensor | None:
        """The labels of a sample grid: none for unconditional models."""
        return None


ADAPTERS = {"noise": NoiseTask}


def adapter_for(task: str, config: dict) -> NoiseTask:
    """The adapter of ``task`` for nets built from ``config``."""
    if task not in ADAPTERS:
        raise ConfigError(f"the trainer has no adapter for the {task!r} task yet")
    return ADAPTERS[task](int(config.get("nz", 0)), int(config.get("num_classes", 0)))
