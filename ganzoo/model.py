"""A built zoo model: its nets plus the facts needed to rebuild, sample and save it."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import weights
from ._version import __version__
from .device import select_device
from .errors import ConfigError, WeightsError
from .registry import Registry
from .specs import resolve
from .tasks import adapter_for

WEIGHT_FILES = {"generator": "generator.safetensors", "discriminator": "discriminator.safetensors"}


@dataclass
class ModelCard:
    """What a weights file says about itself (its ``ganzoo.*`` metadata)."""

    model: str
    architecture: str
    task: str
    config: dict[str, Any]
    loss: str = ""
    dataset: str = ""
    step: int = 0
    classes: list[str] = field(default_factory=list)
    source: str = ""
    version: str = __version__

    def metadata(self, role: str, **extra: Any) -> dict[str, Any]:
        meta = {k: v for k, v in asdict(self).items() if v not in ("", [], None)}
        meta.update(role=role, **extra)
        return meta

    @classmethod
    def from_metadata(cls, meta: dict[str, Any], path: Path) -> ModelCard:
        for key in ("model", "architecture", "task", "config"):
            if key not in meta:
                raise WeightsError(f"{path} has no ganzoo.{key} metadata; it was not saved by ganzoo")
        return cls(
            model=meta["model"],
            architecture=meta["architecture"],
            task=meta["task"],
            config=dict(meta["config"]),
            loss=meta.get("loss", ""),
            dataset=meta.get("dataset", ""),
            step=int(meta.get("step", 0)),
            classes=list(meta.get("classes", [])),
            source=meta.get("source", ""),
            version=meta.get("version", ""),
        )


def build_nets(registry: Registry, architecture: str, config: dict[str, Any]) -> tuple[nn.Module, nn.Module]:
    """Import an architecture's builder and build its (generator, discriminator)."""
    spec = registry.architecture(architecture)
    builder = resolve(spec.builder, f"builder of architecture {architecture!r}")
    try:
        nets = builder(dict(config))
    except ValueError as exc:  # builders reject settings they cannot build with ValueError
        raise ConfigError(f"architecture {architecture!r}: {exc}") from exc
    if not (isinstance(nets, tuple) and len(nets) == 2 and all(isinstance(n, nn.Module) for n in nets)):
        raise ConfigError(f"builder of architecture {architecture!r} must return (generator, discriminator) modules")
    return nets


class GanModel(nn.Module):
    """A generator and (when known) its discriminator, with the card that describes them."""

    def __init__(self, generator: nn.Module | None, discriminator: nn.Module | None, card: ModelCard) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.card = card
        self.task = adapter_for(card.task, card.config)

    @property
    def device(self) -> torch.device:
        for net in (self.generator, self.discriminator):
            if net is not None:
                for p in net.parameters():
                    return p.device
        return torch.device("cpu")

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, batch_size: int = 256) -> torch.Tensor:
        """``n`` images in [-1, 1] (N x C x H x W) from the generator in eval mode.

        The same ``seed`` gives the same images on the same device, whatever the batch size.
        """
        if self.generator is None:
            raise WeightsError("this model holds only a discriminator; load generator weights to sample")
        if n < 1:
            raise ConfigError(f"the number of samples must be at least 1, got {n}")
        device = self.device
        rng = torch.Generator(device=device)
        rng.manual_seed(seed if seed is not None else int(torch.randint(0, 2**62, ()).item()))
        was_training = self.generator.training
        self.generator.eval()
        try:
            z = self.task.noise(n, device, rng)
            labels = self.task.sample_labels(n, device)
            chunks = [
                self.task.generate(self.generator, z[i : i + batch_size], None if labels is None else labels[i : i + batch_size])
                for i in range(0, n, batch_size)
            ]
        finally:
            self.generator.train(was_training)
        return torch.cat(chunks).clamp_(-1, 1)

    def save(self, folder: str | os.PathLike, **extra: Any) -> dict[str, Path]:
        """Write ``generator.safetensors`` and ``discriminator.safetensors`` into ``folder``."""
        written = {}
        for role, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            if net is not None:
                meta = self.card.metadata(role, num_params=count_parameters(net), **extra)
                written[role] = weights.save_module(net, Path(folder) / WEIGHT_FILES[role], meta)
        return written


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def load(registry: Registry, path: str | os.PathLike, device: str = "auto") -> GanModel:
    """Rebuild a model from a weights file (or a run folder's ``generator.safetensors``)."""
    path = Path(path)
    if path.is_dir():
        path = path / WEIGHT_FILES["generator"]
    meta = weights.read_metadata(path)
    card = ModelCard.from_metadata(meta, path)
    role = meta.get("role", "generator")
    if role not in WEIGHT_FILES:
        raise WeightsError(f"{path} holds a {role!r}, which ganzoo cannot load")
    try:
        registry.architecture(card.architecture)
    except LookupError:
        hint = f" (it came from the plugin distribution {card.source!r}: pip install it)" if card.source else ""
        raise WeightsError(f"{path} needs architecture {card.architecture!r}, which no installed plugin provides{hint}") from None
    generator, discriminator = build_nets(registry, card.architecture, card.config)
    net = generator if role == "generator" else discriminator
    weights.load_into(net, weights.read_tensors(path), path)
    target = select_device(device)
    model = GanModel(net if role == "generator" else None, net if role == "discriminator" else None, card)
    return model.to(target).eval()
