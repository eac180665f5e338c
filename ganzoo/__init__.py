"""ganzoo: a plugin-based GAN model zoo for PyTorch.

Importing ganzoo is cheap (no torch): specs, hooks and the registry load at once; the
trainer, models and losses load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._version import __version__
from .api import create, list_models, list_pretrained, load, train
from .errors import (
    ConfigError,
    DataError,
    GanzooError,
    PluginError,
    RunFolderError,
    TrainingDiverged,
    TrainingInterrupted,
    UnknownNameError,
    WeightsError,
)
from .hookspecs import hookimpl
from .specs import ArchitectureSpec, DatasetSpec, LossSpec, ModelSpec, WeightsSpec

_LAZY = {
    "Trainer": "ganzoo.trainer",
    "TrainConfig": "ganzoo.config",
    "RunResult": "ganzoo.trainer",
    "GanModel": "ganzoo.model",
    "Loss": "ganzoo.losses",
    "ImageDataset": "ganzoo.data",
    "DatasetRequest": "ganzoo.data",
    "evaluate": "ganzoo.evaluation",
    "save_grid": "ganzoo.images",
    "EvalReport": "ganzoo.evaluation",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


__all__ = [
    "__version__",
    "create",
    "list_models",
    "list_pretrained",
    "load",
    "train",
    "hookimpl",
    "ArchitectureSpec",
    "DatasetSpec",
    "LossSpec",
    "ModelSpec",
    "WeightsSpec",
    "GanzooError",
    "ConfigError",
    "DataError",
    "PluginError",
    "RunFolderError",
    "TrainingDiverged",
    "TrainingInterrupted",
    "UnknownNameError",
    "WeightsError",
    *_LAZY,
]
