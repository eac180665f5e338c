"""The resolved configuration of a run: model defaults, then the user's overrides.

Resolution order, last wins: ``TrainConfig`` defaults < the model's ``training`` <
user overrides. Architecture settings: architecture defaults < the dataset's preferred image
size < the model's ``architecture_config`` < user overrides. Unknown keys are errors (with a
did-you-mean), never silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from ganzoo.errors import ConfigError, RunFolderError
from ganzoo.io import run_folder
from ganzoo.plugin.registry import Registry, suggest
from ganzoo.core.tasks import needs_labels

OPTIMIZERS = ("adam", "rmsprop")
#: Number formats of the forward passes (see :mod:`ganzoo.precision`).
PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass
class TrainConfig:
    """Everything a run needs; saved as ``config.json`` in the run folder and in the weights."""

    model: str
    architecture: str = ""
    loss: str = ""
    dataset: str = "digits"
    #: Generator steps; each takes ``n_critic`` discriminator steps first.
    steps: int = 1000
    batch_size: int = 64
    n_critic: int = 1
    optimizer: str = "adam"
    lr: float = 2e-4
    #: Discriminator learning rate; ``None`` means the same as ``lr``.
    lr_d: float | None = None
    betas: tuple[float, float] = (0.5, 0.999)
    seed: int = 0
    device: str = "auto"
    log_every: int = 10
    sample_every: int = 250
    checkpoint_every: int = 250
    num_samples: int = 64
    #: Steps between mode-collapse reports (0: none); needs a labelled dataset.
    class_report_every: int = 0
    #: Steps between quality evaluations (``ganzoo eval``'s metrics; 0: none); the best
    #: generator so far is kept as ``generator.best.safetensors``.
    eval_every: int = 0
    class_report_samples: int = 1000
    #: A content term added to the generator loss (``l1``, ``mse``, ``vgg``; "" for none),
    #: its weight, and the weight of the adversarial term (SRGAN: 1e-3).
    content: str = ""
    content_weight: float = 1.0
    adversarial_weight: float = 1.0
    #: Generator-only steps with the content term before adversarial training (SRResNet).
    pretrain_steps: int = 0
    #: Speed switches (:mod:`ganzoo.precision`): autocast dtype (``fp32``: none, ``bf16``,
    #: ``fp16`` with loss scaling), ``torch.compile`` of both nets, channels-last memory format.
    precision: str = "fp32"
    compile: bool = False
    channels_last: bool = False
    #: Decay of the generator's exponential moving average (:mod:`ganzoo.ema`); 0: none.
    ema: float = 0.0
    #: Data-parallel runs (:mod:`ganzoo.distributed`): batch norm over the global batch (CUDA),
    #: and the number of processes of the latest launch (recorded, not set: torchrun decides).
    sync_bn: bool = False
    world_size: int = 1
    data_root: str | None = None
    download: bool = False
    architecture_config: dict[str, Any] = field(default_factory=dict)
    loss_config: dict[str, Any] = field(default_factory=dict)
    #: Settings of the content term (``vgg_layer``, ``vgg_weights``).
    content_config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config keys {unknown}")
        values = dict(data)
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        return cls(**values)

    @classmethod
    def from_run_dir(cls, run_dir: str | os.PathLike) -> TrainConfig:
        """The config a run folder was trained with (its ``config.json``)."""
        data = run_folder.read_config(run_dir)
        try:
            return cls.from_dict(data)
        except (ValueError, TypeError) as exc:
            raise RunFolderError(f"{run_folder.config_path(run_dir)} is not a readable run config: {exc}") from None

    def save(self, run_dir: str | os.PathLike) -> None:
        """Write ``config.json`` into the run folder (atomically)."""
        run_folder.write_config(run_dir, self.to_dict())

    def validate(self) -> None:
        for name in ("steps", "batch_size", "n_critic", "log_every", "sample_every", "checkpoint_every", "num_samples",
                     "class_report_every", "class_report_samples", "pretrain_steps", "eval_every"):
            value = getattr(self, name)
            least = 0 if name in ("class_report_every", "pretrain_steps", "eval_every") else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ConfigError(f"{name.replace('_', '-')} must be a whole number >= {least}, got {value!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}{suggest(self.optimizer, list(OPTIMIZERS))}")
        for name in ("lr", "lr_d"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise ConfigError(f"{name.replace('_', '-')} must be a positive number, got {value!r}")
        for name in ("content_weight", "adversarial_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{name.replace('_', '-')} must be a number >= 0, got {value!r}")
        if self.pretrain_steps and not self.content:
            raise ConfigError("pretrain-steps trains the generator on its content term alone; name one with --content")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ConfigError(f"betas must be two numbers in [0, 1), got {list(self.betas)}")
        if not isinstance(self.sync_bn, bool):
            raise ConfigError(f"sync-bn must be true or false, got {self.sync_bn!r}")
        if not isinstance(self.world_size, int) or isinstance(self.world_size, bool) or self.world_size < 1:
            raise ConfigError(f"world_size must be a whole number >= 1, got {self.world_size!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"unknown precision {self.precision!r}{suggest(str(self.precision), list(PRECISIONS))}; "
                              f"use {', '.join(PRECISIONS)}")
        for name in ("compile", "channels_last"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name.replace('_', '-')} must be true or false, got {getattr(self, name)!r}")
        if isinstance(self.ema, bool) or not isinstance(self.ema, (int, float)) or not (self.ema == 0 or 0 < self.ema < 1):
            raise ConfigError(f"ema must be 0 (off) or a decay strictly between 0 and 1 such as 0.999, got {self.ema!r}")


TRAIN_KEYS = frozenset(f.name for f in dataclasses.fields(TrainConfig)) - {
    "model",
    "architecture",
    "loss",
    "architecture_config",
    "loss_config",
    "content_config",
    "world_size",  # recorded by the trainer from torchrun's WORLD_SIZE, never set by hand
}

#: Settings the content terms understand (``--set vgg_layer=conv2_2``).
CONTENT_KEYS = frozenset({"vgg_layer", "vgg_weights"})


def resolve_config(registry: Registry, model_name: str, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Build the :class:`TrainConfig` for ``model_name`` with the user's ``overrides``.

    Keys of ``TrainConfig`` set training options; any other key must be an architecture
    setting (``image_size``, ``ngf``, ...) or a setting of the loss.
    """
    model = registry.model(model_name)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    arch = registry.architecture(model.architecture)
    loss_name = overrides.pop("loss", model.loss)
    loss = registry.loss(loss_name)
    if loss.tasks and arch.task not in loss.tasks:
        raise ConfigError(
            f"loss {loss.name!r} works with the {', '.join(loss.tasks)} task(s), "
            f"but model {model.name!r} is a {arch.task!r} model"
        )
    train: dict[str, Any] = {k: v for k, v in model.training.items()}
    bad = sorted(set(train) - TRAIN_KEYS)
    if bad:
        raise ConfigError(f"model {model.name!r} sets unknown training keys {bad}")
    arch_config: dict[str, Any] = {**arch.defaults, **model.architecture_config}
    loss_config: dict[str, Any] = {**loss.defaults, **(model.loss_config if loss.name == model.loss else {})}
    content_config: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in TRAIN_KEYS:
            train[key] = value
        elif key in arch_config or key in ("image_size", "channels", "num_classes"):
            arch_config[key] = value
        elif key in loss_config:
            loss_config[key] = value
        elif key in CONTENT_KEYS:
            content_config[key] = value
        else:
            known = sorted(TRAIN_KEYS | set(arch_config) | set(loss_config) | CONTENT_KEYS)
            raise ConfigError(f"unknown setting {key!r} for model {model.name!r}{suggest(key, known)}")
    if "image_size" not in model.architecture_config and "image_size" not in overrides:
        preferred = registry.dataset(train.get("dataset", model.dataset)).image_size
        if preferred:
            arch_config["image_size"] = preferred
    config = TrainConfig(
        model=model.name,
        architecture=arch.name,
        loss=loss.name,
        dataset=train.pop("dataset", model.dataset),
        architecture_config=arch_config,
        loss_config=loss_config,
        content_config=content_config,
        **train,
    )
    config.validate()
    check_image_size(registry, config)
    check_labels(registry, config)
    return config


def check_image_size(registry: Registry, config: TrainConfig) -> None:
    """Refuse an image size the architecture cannot build, before any data is read."""
    arch = registry.architecture(config.architecture)
    size = config.architecture_config.get("image_size")
    if arch.image_sizes and size not in arch.image_sizes:
        sizes = ", ".join(str(s) for s in arch.image_sizes)
        raise ConfigError(f"architecture {arch.name!r} supports image sizes {sizes}, not {size!r}; pass --image-size")


def check_labels(registry: Registry, config: TrainConfig) -> None:
    """Refuse a class-conditional model on a dataset that is known to have no labels, before any
    data is read. A dataset that takes an argument (``folder:PATH``) may or may not be labelled;
    the trainer checks it once the images are read."""
    task = registry.architecture(config.architecture).task
    if not needs_labels(task):
        return
    spec = registry.dataset(config.dataset)
    if spec.labelled or spec.argument:
        return
    labelled = sorted(s.name for s in registry.datasets if s.labelled)
    if "folder" in registry.datasets:
        labelled.append("folder:PATH with one subfolder per class")
    raise ConfigError(
        f"model {config.model!r} is class-conditional and needs labelled images, but dataset {spec.name!r} "
        f"has no labels; pass --dataset with a labelled one ({', '.join(labelled) or 'none is registered'})"
    )
