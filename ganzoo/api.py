"""The Python API. Module level stays torch-free; torch loads when a model is built."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.core.config import resolve_config
from ganzoo.plugin.discovery import get_registry

if TYPE_CHECKING:
    from ganzoo.core.model import GanModel
    from ganzoo.training.trainer import RunResult


def list_models(pattern: str | None = None) -> list[str]:
    """Names of the registered models, optionally filtered by a wildcard (``"*gan*"``)."""
    return [spec.name for spec in get_registry().models.match(pattern)]


def list_pretrained(pattern: str | None = None) -> list[str]:
    """Names of the registered pretrained weights (``"dcgan.digits"``), optionally filtered by a wildcard."""
    return [spec.name for spec in get_registry().weights.match(pattern)]


def create(name: str, **overrides: Any) -> GanModel:
    """An untrained model, e.g. ``create("dcgan", image_size=64, channels=3)``."""
    from ganzoo.core.model import GanModel, ModelCard, build_nets

    registry = get_registry()
    config = resolve_config(registry, name, overrides)
    arch = registry.architecture(config.architecture)
    generator, discriminator = build_nets(registry, arch.name, config.architecture_config)
    card = ModelCard(
        model=config.model,
        architecture=arch.name,
        task=arch.task,
        config=dict(config.architecture_config),
        loss=config.loss,
        source=arch.source.distribution if arch.source else "",
    )
    return GanModel(generator, discriminator, card)


def load(name_or_path: str | os.PathLike, device: str = "auto", *, progress: bool | None = None) -> GanModel:
    """Rebuild a model, in eval mode, from a ganzoo safetensors file, a run folder, or pretrained
    weights by name (``load("dcgan.digits")``: cached, shipped in a package, or downloaded once
    and checked against its sha256; see :func:`ganzoo.pretrained.resolve_weights`)."""
    from ganzoo.core.model import load as load_model
    from ganzoo.io.pretrained import resolve_weights

    registry = get_registry()
    return load_model(registry, resolve_weights(name_or_path, progress=progress, registry=registry), device)


def train(
    model: str | None = None,
    *,
    out: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool | None = None,
    **overrides: Any,
) -> RunResult:
    """Train ``model`` (``train("dcgan", dataset="digits", steps=500)``) or continue a run
    (``train(resume="runs/dcgan-digits", steps=3000)``). Returns a :class:`RunResult`."""
    from ganzoo.io.run_folder import default_run_dir
    from ganzoo.training.trainer import Trainer

    if resume is not None:
        if model is not None:
            overrides.setdefault("model", model)
        extra = sorted(set(overrides) - {"steps", "device"})
        if extra:
            from ganzoo.errors import ConfigError

            raise ConfigError(f"a resumed run keeps its settings; only steps and device can change, not {', '.join(extra)}")
        return Trainer.from_run_dir(resume, progress=progress, **overrides).fit()
    if model is None:
        from ganzoo.errors import ConfigError

        raise ConfigError("name a model to train (ganzoo list shows them) or a run folder to resume")
    config = resolve_config(get_registry(), model, overrides)
    run_dir = Path(out) if out is not None else default_run_dir(config.model, config.dataset)
    return Trainer(config, run_dir, progress=progress).fit()
