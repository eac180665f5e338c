"""ganzoo: a plugin-based GAN model zoo for PyTorch.

Importing ganzoo is cheap (no torch): the specs, the hook marker and the errors load at once;
the API, the trainer, models and losses load on first use.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.machinery import ModuleSpec
from typing import Any

from ganzoo._version import __version__
from ganzoo.errors import (
    ConfigError,
    DataError,
    GanzooError,
    NonFiniteWeights,
    PluginError,
    RunFolderError,
    StorageError,
    TrainingDiverged,
    TrainingInterrupted,
    UnknownNameError,
    WeightsError,
)
from ganzoo.plugin.hookspecs import hookimpl
from ganzoo.plugin.specs import ArchitectureSpec, DatasetSpec, LossSpec, MODEL_CHECKS, ModelSpec, WeightsSpec

# Discovery checks every model with the core's rules (training options, settings, sizes, datasets)
# when its plugin loads; named here, at the top, since the plugin layer may not import the core.
if "ganzoo.core.config:model_problem" not in MODEL_CHECKS:
    MODEL_CHECKS.append("ganzoo.core.config:model_problem")

_LAZY = {
    "create": "ganzoo.api",
    "list_models": "ganzoo.api",
    "list_pretrained": "ganzoo.api",
    "load": "ganzoo.api",
    "train": "ganzoo.api",
    "Trainer": "ganzoo.training.trainer",
    "TrainConfig": "ganzoo.core.config",
    "RunResult": "ganzoo.training.trainer",
    "GanModel": "ganzoo.core.model",
    "Loss": "ganzoo.core.losses",
    "ImageDataset": "ganzoo.data.datasets",
    "DatasetRequest": "ganzoo.data.datasets",
    "evaluate": "ganzoo.eval.evaluation",
    "save_grid": "ganzoo.io.images",
    "EvalReport": "ganzoo.eval.evaluation",
    "export_onnx": "ganzoo.interop.onnx_export",
    "convert": "ganzoo.interop.convert",
    "push": "ganzoo.io.hub",
    "plot_runs": "ganzoo.report.figure",
}

#: Modules of the flat 0.2 layout and where they live now: ``import ganzoo.losses`` (and every
#: other old path) gives the very module object of its new home, so plugins, notebooks and
#: ``mock.patch("ganzoo.trainer....")`` strings written against 0.2 keep working.
MOVED_MODULES = {
    "ganzoo.hookspecs": "ganzoo.plugin.hookspecs",
    "ganzoo.specs": "ganzoo.plugin.specs",
    "ganzoo.registry": "ganzoo.plugin.registry",
    "ganzoo.plugins": "ganzoo.plugin.discovery",
    "ganzoo.feature_metrics": "ganzoo.metrics.feature_distances",
    "ganzoo.atomic": "ganzoo.io.atomic",
    "ganzoo.home": "ganzoo.io.home",
    "ganzoo.weights": "ganzoo.io.weights",
    "ganzoo.checkpoint": "ganzoo.io.checkpoint",
    "ganzoo.pretrained": "ganzoo.io.pretrained",
    "ganzoo.images": "ganzoo.io.images",
    "ganzoo.runs": "ganzoo.io.run_folder",
    "ganzoo.config": "ganzoo.core.config",
    "ganzoo.tasks": "ganzoo.core.tasks",
    "ganzoo.losses": "ganzoo.core.losses",
    "ganzoo.model": "ganzoo.core.model",
    "ganzoo.device": "ganzoo.core.device",
    "ganzoo.nn": "ganzoo.core.dcgan_layers",
    "ganzoo.trainer": "ganzoo.training.trainer",
    "ganzoo.precision": "ganzoo.training.speed",
    "ganzoo.ema": "ganzoo.training.ema",
    "ganzoo.content": "ganzoo.training.content",
    "ganzoo.perceptual": "ganzoo.training.perceptual",
    "ganzoo.distributed": "ganzoo.training.distributed",
    "ganzoo.evaluation": "ganzoo.eval.evaluation",
    "ganzoo.class_report": "ganzoo.eval.class_report",
    "ganzoo.classifier": "ganzoo.eval.classifier",
    "ganzoo.digits_features": "ganzoo.eval.digits_features",
    "ganzoo.inception": "ganzoo.eval.inception",
}


class _MovedModuleFinder:
    """Serves an old module path as an alias of the module at its new path (a meta path finder
    and loader by protocol: ``importlib.abc`` alone would cost ganzoo's start-up 20 ms)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in MOVED_MODULES:
            return ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: Any) -> Any:
        return import_module(MOVED_MODULES[spec.name])

    def exec_module(self, module: Any) -> None:
        pass


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


__all__ = [
    "__version__",
    "hookimpl",
    "ArchitectureSpec",
    "DatasetSpec",
    "LossSpec",
    "ModelSpec",
    "WeightsSpec",
    "GanzooError",
    "NonFiniteWeights",
    "ConfigError",
    "DataError",
    "PluginError",
    "RunFolderError",
    "StorageError",
    "TrainingDiverged",
    "TrainingInterrupted",
    "UnknownNameError",
    "WeightsError",
    *_LAZY,
]
