"""The Python API. Module level stays torch-free; torch loads when a model is built."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ganzoo.core.config import OPTIONS, TrainConfig, resolve_config, resumed_config
from ganzoo.errors import ConfigError
from ganzoo.io.run_folder import check_new_run_dir, default_run_dir
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
    and checked against its sha256; see :func:`ganzoo.io.pretrained.resolve_weights`)."""
    from ganzoo.core.model import load_model
    from ganzoo.io.pretrained import resolve_weights

    registry = get_registry()
    return load_model(registry, resolve_weights(name_or_path, progress=progress, registry=registry), device)


#: The keywords of :func:`train` besides the architecture's and loss's settings: the run's own,
#: then every training option (``ganzoo run``'s flags, the README's option table).
TRAIN_KEYWORDS: tuple[str, ...] = ("model", "out", "resume", "progress", "config", *OPTIONS)


@dataclass(frozen=True)
class RunPlan:
    """A checked run, ready to train: its config (resolved once), its folder, and whether it
    continues the run there. :func:`plan_run` makes one; :meth:`fit` trains it."""

    config: TrainConfig
    run_dir: Path
    resume: bool = False
    #: ``run_dir`` is the default name: if another run claims it first, the next free one is taken.
    default_name: bool = False

    def fit(self, *, progress: bool | None = None) -> RunResult:
        """Train to ``config.steps`` (a fresh run folder, or on from the checkpoint)."""
        from ganzoo.training.trainer import Trainer  # imports torch: only once a run really starts

        return Trainer(self.config, self.run_dir, resume=self.resume, progress=progress, next_free_name=self.default_name).fit()


def plan_run(
    model: str | None = None,
    *,
    out: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    config: str | os.PathLike | Mapping[str, Any] | None = None,
    **overrides: Any,
) -> RunPlan:
    """Check what to train and resolve its config, before anything is written: a ``model`` with
    ``overrides`` (into ``out``, default ``runs/MODEL-DATASET[-N]``), or a run folder to
    ``resume`` (which may change only its steps and device). ``config``: a TOML/JSON file of
    settings (a run's ``config.json`` re-runs it), under ``model``, ``out`` and ``overrides``
    (:mod:`ganzoo.core.config_file`). The one place these rules live, for :func:`train`,
    ``ganzoo run`` and its ``--nproc`` launcher."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    file = None
    if config is not None:
        from ganzoo.core.config_file import read_run_file  # TOML/JSON reading: only for --config (start-up)

        if resume is not None:
            raise ConfigError("--config starts a new run; a resumed run keeps the settings it was started with")
        file = read_run_file(config)
        model = model if model is not None else file.model
        out = out if out is not None else file.out
        overrides = {**{k: v for k, v in file.settings.items() if v is not None}, **overrides}
    if resume is not None:
        if model is not None:
            raise ConfigError("give either a model or --resume RUN_DIR, not both")
        return RunPlan(resumed_config(resume, **overrides), Path(resume), resume=True)
    if model is None:
        where = f" (or model = \"...\" in {file.source})" if file else ""
        raise ConfigError(f"name a model to train (`ganzoo list` shows them){where}, or --resume RUN_DIR")
    resolved = resolve_config(get_registry(), model, overrides)
    if file is not None:
        file.check_architecture(resolved.architecture)
    run_dir = Path(out) if out is not None else default_run_dir(resolved.model, resolved.dataset)
    return RunPlan(resolved, check_new_run_dir(run_dir), default_name=out is None)  # a folder that cannot be made: refused now


def train(
    model: str | None = None,
    *,
    out: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool | None = None,
    config: str | os.PathLike | Mapping[str, Any] | None = None,
    **overrides: Any,
) -> RunResult:
    """Train ``model`` (``train("dcgan", dataset="digits", steps=500)``) or continue a run
    (``train(resume="runs/dcgan-digits", steps=3000)``). Returns a :class:`RunResult`.

    The keywords are :data:`TRAIN_KEYWORDS`; any other one must be a setting of the model's
    architecture or loss (``ngf=32``). ``config``: a TOML/JSON file of settings, or a run's
    ``config.json`` to train it again; the keywords win over it."""
    return plan_run(model, out=out, resume=resume, config=config, **overrides).fit(progress=progress)
