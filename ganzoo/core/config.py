"""The resolved configuration of a run: model defaults, then the user's overrides.

Resolution order, last wins: ``TrainConfig`` defaults < the model's ``training`` <
user overrides. Architecture settings: architecture defaults < the dataset's preferred image
size < the model's ``architecture_config`` < user overrides. Unknown keys are errors (with a
did-you-mean), never silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from ganzoo.errors import ConfigError, GanzooError, MissingExtra, RunFolderError, shown
from ganzoo.io import run_folder
from ganzoo.plugin.discovery import get_registry
from ganzoo.plugin.registry import Registry, suggest
from ganzoo.plugin.specs import ModelSpec
from ganzoo.core.options import MAX_COUNT, Option, option, options_of
from ganzoo.core.settings import check_setting, image_size_problem
from ganzoo.core.tasks import needs_labels

OPTIMIZERS = ("adam", "rmsprop")
#: Number formats of the forward passes (see :mod:`ganzoo.training.speed`).
PRECISIONS = ("fp32", "bf16", "fp16")
#: Where a run's records go besides metrics.jsonl (see :mod:`ganzoo.training.tensorboard_log`).
LOGGERS = ("none", "tensorboard")
#: Settings the content terms understand (``--set vgg_layer=conv2_2``); the one list of them.
CONTENT_KEYS = frozenset({"vgg_layer", "vgg_weights"})
#: Net settings every architecture takes besides its own defaults: the run (or the user) sets them.
NET_DEFAULTS: Mapping[str, Any] = {"image_size": 1, "channels": 1, "num_classes": 1}
#: Seeds torch, Python and the derived per-step seeds all take without overflowing 64 bits.
SEED_LIMIT = 2**32 - 1


def _is_decay(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and (value == 0 or 0 < value < 1)


def _are_betas(value: Any) -> bool:
    """Two real numbers in [0, 1): ints count (``(0, 0.9)``, as papers write it), bools do not."""
    return (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in value))


@dataclass
class TrainConfig:
    """Everything a run needs; saved as ``config.json`` in the run folder and in the weights.

    Each user-settable field is declared with :func:`~ganzoo.core.options.option`: its help,
    check and ``ganzoo run`` flag are written there once and derived everywhere else.
    """

    model: str
    architecture: str = ""
    loss: str = option("", help="train with another registered loss (`ganzoo list --losses`)", metavar="NAME",
                       shown_default="the model's")
    dataset: str = option("digits", help="digits (default, offline), folder:PATH, mnist, fashion-mnist, cifar10 "
                          "(`ganzoo list --datasets`)", metavar="D")
    steps: int = option(1000, help="generator steps to train to; each takes --n-critic discriminator steps first "
                        "(with --resume: train on to this step)", minimum=1, metavar="N", resumable=True)
    batch_size: int = option(64, help="images per step (the global batch: N processes draw batch-size / N each)",
                             minimum=1, maximum=2**16, metavar="N")
    n_critic: int = option(1, help="discriminator steps per generator step", minimum=1, metavar="N")
    optimizer: str = option("adam", help="optimizer of both nets", choices=OPTIMIZERS, flag=False, metavar="NAME")
    lr: float = option(2e-4, help="learning rate (both nets unless --lr-d)", positive=True, metavar="LR")
    lr_d: float | None = option(None, kind="number", help="discriminator learning rate", positive=True, metavar="LR",
                                shown_default="same as `--lr`")
    lr_decay: float = option(0.0, help="the last fraction of the steps over which both learning rates fall linearly "
                             "towards 0 (CycleGAN: 0.5); 0: constant", minimum=0, maximum=1, flag=False,
                             metavar="FRACTION")
    betas: tuple[float, float] = option((0.5, 0.999), help="the optimizer's betas (Adam), two numbers in [0, 1)",
                                        valid=_are_betas, requirement="two numbers in [0, 1)", flag=False,
                                        metavar="[B1,B2]")
    seed: int = option(0, help="seed of the initial weights, the data order and the noise", minimum=-SEED_LIMIT,
                       maximum=SEED_LIMIT, metavar="N")
    device: str = option("auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps", metavar="D",
                         resumable=True)
    log_every: int = option(10, help="steps between metrics.jsonl lines", minimum=1, metavar="N")
    sample_every: int = option(250, help="steps between sample grids", minimum=1, metavar="N")
    checkpoint_every: int = option(250, help="steps between checkpoints", minimum=1, metavar="N")
    num_samples: int = option(64, help="images in each sample grid", minimum=1, maximum=MAX_COUNT, metavar="N")
    class_report_every: int = option(
        0, help="every N steps, sort fresh samples into the real classes with a classifier trained on the data and "
        "warn when a class vanishes (mode collapse); labelled datasets only; 0: never", minimum=0, metavar="N")
    eval_every: int = option(
        0, help="every N steps, measure quality as `ganzoo eval` does (FD-digits/FID, or held-out PSNR) into "
        "metrics.jsonl and keep the best generator as generator.best.safetensors (with random numbers of its "
        "own: the run's weights do not change); 0: never", minimum=0, metavar="N")
    class_report_samples: int = option(1000, help="samples each class report sorts", minimum=1, maximum=10**5,
                                       flag=False, metavar="N")
    content: str = option("", help="content term added to the generator loss: l1, mse, vgg, vgg-pre or a weighted "
                          "sum such as vgg-pre+0.01*l1 (image-to-image models)", metavar="TERM",
                          shown_default="the model's")
    content_weight: float = option(1.0, help="weight of the content term", minimum=0, flag=False, metavar="W")
    adversarial_weight: float = option(1.0, help="weight of the adversarial term (SRGAN: 1e-3)", minimum=0,
                                       flag=False, metavar="W")
    pretrain_steps: int = option(0, help="generator-only steps on the content term before adversarial training "
                                 "(SRResNet)", minimum=0, metavar="N")
    pretrain_content: str = option("", help="the content term of the pre-training steps (ESRGAN: l1)", metavar="TERM",
                                   shown_default="`--content`")
    precision: str = option("fp32", help="number format of the forward passes: fp32, bf16 or fp16 (autocast; fp16 "
                            "adds loss scaling)", choices=PRECISIONS)
    compile: bool = option(False, help="torch.compile both nets (slow start, faster steps)")
    channels_last: bool = option(True, help="nets and image batches in channels-last memory format: the same fp32 "
                                 "math, 1.3-1.4x faster training on CPU (benchmarks/train_throughput.py); off on "
                                 "Apple's MPS")
    ema: float = option(0.0, help="keep an exponential moving average of the generator with this decay (e.g. "
                        "0.999); samples, evaluation and generator.ema.safetensors use it; 0: none",
                        valid=_is_decay, requirement="0 (off) or a decay strictly between 0 and 1 such as 0.999",
                        noun="a decay such as 0.999",
                        metavar="DECAY")
    sync_bn: bool = option(False, help="data-parallel runs on CUDA: batch norm over the global batch "
                           "(SyncBatchNorm)")
    logger: str = option("none", help="also log scalars, sample grids and settings as TensorBoard event files in "
                         "RUN_DIR/tensorboard (`pip install 'ganzoo[tensorboard]'`)", choices=LOGGERS)
    #: The number of processes of the latest launch (recorded, not set: torchrun decides).
    world_size: int = 1
    data_root: str | None = option(None, kind="text", help="where dataset files live: MNIST/Fashion-MNIST IDX "
                                   "files (looked for here first), torchvision's CIFAR-10",
                                   metavar="DIR", shown_default="`$GANZOO_HOME/data`")
    download: bool = option(False, help="download the dataset if it is not found (MNIST, Fashion-MNIST: "
                            "hash-checked; CIFAR-10 via torchvision); nothing is downloaded unless you ask")
    skip_bad_images: bool = option(False, help="leave out image files that cannot be used (corrupt, truncated, too "
                                   "small) and list them in RUN_DIR/skipped_images.txt, instead of stopping before "
                                   "training")
    architecture_config: dict[str, Any] = field(default_factory=dict)
    loss_config: dict[str, Any] = field(default_factory=dict)
    #: Settings of the content term (:data:`CONTENT_KEYS`).
    content_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Betas as floats whatever the source wrote (``(0, 0.9)``): torch's Adam takes two floats or
        # two tensors and refuses an int with a traceback at the first step, after the checks passed.
        if _are_betas(self.betas):
            self.betas = (float(self.betas[0]), float(self.betas[1]))

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
        values.setdefault("channels_last", False)  # a config from before the switch existed trained contiguous
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
        """Each option's declared check, then the checks that involve more than one field."""
        for name, declared in OPTIONS.items():
            declared.check(getattr(self, name))
        if self.pretrain_steps and not (self.pretrain_content or self.content):
            raise ConfigError("pretrain-steps trains the generator on its content term alone; name one with --content")
        if not isinstance(self.world_size, int) or isinstance(self.world_size, bool) or self.world_size < 1:
            raise ConfigError(f"world_size must be a whole number >= 1, got {self.world_size!r}")
        if self.logger == "tensorboard":  # before any work, in one line naming the extra
            MissingExtra.check("tensorboard", "tensorboard", "--logger tensorboard")


#: The declared options of :class:`TrainConfig`, by field name, in field order.
OPTIONS: dict[str, Option] = options_of(TrainConfig)

#: Keys a model's ``training`` and the user's overrides may set. ``loss`` is an option too, but
#: it picks the loss spec (and its defaults) before the rest is resolved, so it is no training key.
TRAIN_KEYS = frozenset(OPTIONS) - {"loss"}

#: Options a resumed run may change; every other setting stays what the run was started with.
RESUMABLE_KEYS = tuple(name for name, declared in OPTIONS.items() if declared.resumable)


def resumed_config(run_dir: str | os.PathLike, **changes: Any) -> TrainConfig:
    """The config of the run in ``run_dir``, with the :data:`RESUMABLE_KEYS` in ``changes``
    (``None`` or 0 keeps the run's value), validated."""
    refused = sorted(k for k, v in changes.items() if v is not None and k not in RESUMABLE_KEYS)
    if refused:
        typo = refused[0] if len(refused) == 1 and refused[0] not in OPTIONS else None
        raise ConfigError(f"a resumed run keeps its settings; only {' and '.join(RESUMABLE_KEYS)} can change, "
                          f"not {', '.join(refused)}{suggest(typo, list(RESUMABLE_KEYS)) if typo else ''}")
    config = TrainConfig.from_run_dir(run_dir)
    config = replace(config, **{k: v for k, v in changes.items() if v})
    config.validate()
    check_resumable(get_registry(), config, run_dir)
    return config


def check_resumable(registry: Registry, config: TrainConfig, run_dir: str | os.PathLike) -> None:
    """The architecture, loss and dataset a run was started with must still be registered; when
    one is gone (its plugin was uninstalled), say which distribution to reinstall, as the run's
    weights record it (``ganzoo sample`` and ``ganzoo.load`` say the same)."""
    for kind, table, name in (("architecture", registry.architectures, config.architecture),
                              ("loss", registry.losses, config.loss),
                              ("dataset", registry.datasets, config.dataset.partition(":")[0])):
        if name in table:
            continue
        source = recorded_source(run_dir)
        hint = (f"; it came from the plugin distribution {source!r}: pip install it (`ganzoo install {source}`) "
                "and resume again" if source and source != "ganzoo" else "; `ganzoo plugins` shows what is installed")
        raise ConfigError(f"{run_dir} was trained with {kind} {name!r}, which no installed plugin provides{hint}")


def recorded_source(run_dir: str | os.PathLike) -> str:
    """The plugin distribution a run's weights name (``ganzoo.source``), or "" when none says."""
    from ganzoo.io.weights import read_metadata  # torch: only when a resumed run's plugin is missing

    for name in (run_folder.GENERATOR_FILE, run_folder.BEST_GENERATOR_FILE, run_folder.EMA_GENERATOR_FILE):
        path = Path(run_dir) / name
        try:
            source = read_metadata(path).get("source") if path.is_file() else None
        except GanzooError:
            continue
        if source:
            return str(source)
    return ""


def resolve_config(registry: Registry, model_name: str, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Build the :class:`TrainConfig` for ``model_name`` with the user's ``overrides``.

    Keys of ``TrainConfig`` set training options; any other key must be an architecture
    setting (``image_size``, ``ngf``, ...) or a setting of the loss.
    """
    config = _resolve(registry, model_name, overrides)
    if config.batch_size == 1:  # the only size the check can refuse: torch is imported for it alone
        from ganzoo.core.model import check_batch_norm

        check_batch_norm(registry, config.architecture, config.architecture_config, config.batch_size)
    return config


def _resolve(registry: Registry, model: ModelSpec | str, overrides: Mapping[str, Any] | None) -> TrainConfig:
    """:func:`resolve_config` without the one check that builds nets (torch-free)."""
    model = registry.model(model) if isinstance(model, str) else model
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    arch = registry.architecture(model.architecture)
    loss_name = overrides.pop("loss", model.loss)
    OPTIONS["loss"].check(loss_name)
    loss = registry.loss(loss_name)
    if loss.tasks and arch.task not in loss.tasks:
        raise ConfigError(
            f"loss {loss.name!r} works with the {', '.join(loss.tasks)} task(s), "
            f"but model {model.name!r} is a {arch.task!r} model"
        )
    train: dict[str, Any] = {k: v for k, v in model.training.items()}
    check_training(model.name, train)
    _check_model_settings(model, "architecture_config", f"architecture {arch.name!r}", {**NET_DEFAULTS, **arch.defaults})
    _check_model_settings(model, "loss_config", f"loss {model.loss!r}", registry.loss(model.loss).defaults)
    arch_config: dict[str, Any] = {**arch.defaults, **model.architecture_config}
    loss_config: dict[str, Any] = {**loss.defaults, **(model.loss_config if loss.name == model.loss else {})}
    content_config: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in TRAIN_KEYS:
            OPTIONS[key].check(value)  # now: the dataset's name is looked up before validate()
            train[key] = value
        elif key in arch_config or key in NET_DEFAULTS:
            check_setting(f"architecture {arch.name!r}", key, value, arch_config.get(key, NET_DEFAULTS.get(key)))
            arch_config[key] = value
        elif key in loss_config:
            check_setting(f"loss {loss.name!r}", key, value, loss_config[key])
            loss_config[key] = value
        elif key in CONTENT_KEYS:
            check_setting("the content term", key, value, "")
            content_config[key] = value
        else:
            known = sorted(TRAIN_KEYS | set(arch_config) | set(loss_config) | CONTENT_KEYS)
            raise ConfigError(f"unknown setting {shown(key)} for model {model.name!r}{suggest(key, known)}")
    if model.generator_only and "steps" in overrides and "pretrain_steps" not in overrides:
        train["pretrain_steps"] = train["steps"]  # srresnet --steps 1500 stays PSNR-oriented: no adversarial tail
    dataset = registry.dataset(train.get("dataset", model.dataset))  # an unknown one: now, with a did-you-mean
    if "image_size" not in model.architecture_config and "image_size" not in overrides:
        preferred = dataset.image_size
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


def _check_model_settings(model: ModelSpec, field_name: str, owner: str, defaults: Mapping[str, Any]) -> None:
    """A model's ``architecture_config``/``loss_config`` may only update settings its architecture
    or loss has (a key the builder never reads would be silently ignored), each of their kind."""
    for key, value in getattr(model, field_name).items():
        if key not in defaults:
            raise ConfigError(f"model {model.name!r}: {field_name} sets {key!r}, which {owner} does not have"
                              f"{suggest(key, sorted(defaults))}; its settings: {', '.join(sorted(defaults)) or 'none'}")
        check_setting(f"model {model.name!r}: {field_name}: {owner}", key, value, defaults[key])


def check_training(model: str, training: Mapping[str, Any]) -> None:
    """A model's ``training`` holds training options only (with a did-you-mean), each valid."""
    for key in sorted(training):
        if key not in TRAIN_KEYS:
            known = sorted(TRAIN_KEYS)
            hint = suggest(key, known) or f" (the keys are the options of ganzoo.TrainConfig: {', '.join(known)})"
            raise ConfigError(f"model {model!r} sets unknown training key {key!r}{hint}")
        try:
            OPTIONS[key].check(training[key])
        except ConfigError as exc:
            raise ConfigError(f"model {model!r}: training: {exc}") from None


def model_problem(registry: Registry, model: ModelSpec) -> str | None:
    """Why ``model`` cannot resolve with no override (an unknown or invalid training key, an
    architecture or loss setting its spec does not have, an image size the nets refuse, an
    unknown dataset...), or None. Discovery runs it on every registered model (torch-free), so
    a plugin's mistake is reported when the plugin loads, and fails strict mode there."""
    try:
        _resolve(registry, model, {})
    except (ConfigError, LookupError) as exc:
        return str(exc)
    return None


def check_image_size(registry: Registry, config: TrainConfig) -> None:
    """Refuse an image size the architecture cannot build, before any data is read, naming the
    supported size to pass instead (the nearest one)."""
    arch = registry.architecture(config.architecture)
    size = config.architecture_config.get("image_size")
    problem = image_size_problem(arch, size)
    if problem:
        raise ConfigError(f"{problem}; pass --image-size {nearest_size(arch.image_sizes, size)}")


def nearest_size(sizes: tuple[int, ...], size: Any) -> int:
    """The supported size closest to ``size`` (the larger one on a tie); the first for a non-number."""
    if not isinstance(size, (int, float)) or isinstance(size, bool):
        return sizes[0]
    return min(sizes, key=lambda s: (abs(s - size), -s))


def check_dataset_channels(registry: Registry, config: TrainConfig, channels: int) -> None:
    """Refuse a ``channels`` setting that the dataset's images contradict (``--set channels=2`` on
    1-channel digits): the dataset decides the channels of a run. A value equal to the model's
    own default passes, since every resolved config carries one (a run's ``config.json`` too)."""
    model = registry.models.specs.get(config.model)
    arch = registry.architecture(config.architecture)
    default = {**arch.defaults, **(model.architecture_config if model else {})}.get("channels")
    chosen = config.architecture_config.get("channels")
    if chosen is not None and chosen != default and chosen != channels:
        raise ConfigError(f"dataset {config.dataset!r} has {channels}-channel images, but channels is set to {chosen!r}: "
                          "the dataset decides the channels of a run; drop --set channels")


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
