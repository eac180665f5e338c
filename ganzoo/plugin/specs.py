"""What plugins register: frozen, torch-free descriptions of zoo pieces.

A spec names its builder as a ``"package.module:attribute"`` string that is imported only
when the piece is built, so discovering, listing and describing plugins never imports torch.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from ganzoo.errors import GanzooError, PluginError
from ganzoo.plugin.isolation import describe

#: The four kinds of generation the trainer knows, and what a batch holds for each.
TASKS: Mapping[str, str] = MappingProxyType(
    {
        "noise": "noise -> image; batches hold images",
        "class": "(noise, label) -> image; batches hold images and labels",
        "paired": "image -> image; batches hold (input, target) pairs",
        "superres": "low resolution -> high resolution; batches hold (low, high) pairs",
        "unpaired": "image A <-> image B without pairs; batches pack an A and a B image drawn independently",
    }
)

#: The classical methods a dataset can name (:attr:`DatasetSpec.classical`): what a user would call
#: instead of a model on that data, and the settings each needs (numbers > 0). ``ganzoo eval``
#: runs them (:mod:`ganzoo.eval.classical`) beside an image-to-image model and its baseline.
CLASSICAL_METHODS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # scikit-image's non-local means; sigma: the noise's standard deviation in 0-255 pixel values
        "nl-means": ("sigma",),
    }
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_BUILDER = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class Source:
    """Where a spec came from: the distribution that installed its plugin."""

    plugin: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}" if self.version else self.distribution


def _freeze(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


def _check_text(kind: str, name: str, **fields: Any) -> None:
    """Text fields (``summary``, ``paper``, ...) hold text: a number or None there is a slip."""
    for field_name, value in fields.items():
        if not isinstance(value, str):
            raise ValueError(f"{kind} {name!r}: {field_name} must be text, got {value!r}")


def _is_setting(value: Any) -> bool:
    """What a setting may hold: it is saved as JSON in weights files and set with ``--set KEY=VALUE``."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (list, tuple)) and all(_is_setting(v) and not isinstance(v, (list, tuple)) for v in value)


def _settings(kind: str, name: str, field_name: str, mapping: Any) -> Mapping[str, Any]:
    """A read-only copy of a mapping of settings: text keys, values of the kinds settings take."""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{kind} {name!r}: {field_name} must be a mapping (a dict), got {mapping!r}")
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{kind} {name!r}: {field_name} keys must be text, got {key!r}")
        if not _is_setting(value):
            raise ValueError(f"{kind} {name!r}: {field_name}[{key!r}] must be a number, text, true/false, None or a "
                             f"list of such, got {value!r}")
    return _freeze(mapping)


def _sizes(kind: str, name: str, field_name: str, value: Any) -> tuple[int, ...]:
    """A tuple of whole numbers >= 1 (image sizes)."""
    items = tuple(value) if isinstance(value, (list, tuple)) else None
    if items is None or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in items):
        raise ValueError(f"{kind} {name!r}: {field_name} must be a tuple of whole numbers >= 1, got {value!r}")
    return items


def _check_common(kind: str, name: str, builder: str | None) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{kind} name {name!r} must be lowercase letters, digits, '.', '_' or '-'")
    if builder is not None and (not isinstance(builder, str) or not _BUILDER.match(builder)):
        raise ValueError(f"{kind} {name!r}: builder {builder!r} must look like 'package.module:attribute'")


def _check_task(kind: str, name: str, task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"{kind} {name!r}: unknown task {task!r} (known: {', '.join(TASKS)})")


@dataclass(frozen=True)
class ArchitectureSpec:
    """A generator/discriminator pair for one task.

    ``builder`` resolves to ``build(config: dict) -> (generator, discriminator)``; ``config``
    is ``defaults`` updated with the model's and the user's overrides plus what the dataset
    tells (``image_size``, ``channels``, ``num_classes``). Generators of the noise and class
    tasks take ``z`` of shape ``(N, config["nz"])`` (and labels for ``class``).
    """

    name: str
    task: str
    builder: str
    summary: str = ""
    paper: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: Image sizes the nets support; empty means any.
    image_sizes: tuple[int, ...] = ()
    source: Source | None = None

    def __post_init__(self) -> None:
        _check_common("architecture", self.name, self.builder)
        _check_task("architecture", self.name, self.task)
        _check_text("architecture", self.name, summary=self.summary, paper=self.paper)
        object.__setattr__(self, "defaults", _settings("architecture", self.name, "defaults", self.defaults))
        object.__setattr__(self, "image_sizes", _sizes("architecture", self.name, "image_sizes", self.image_sizes))


#: What a loss's discriminator scores are (``LossSpec.scores``): logits of P(real), or raw critic scores.
SCORE_KINDS = ("probability_logit", "critic")


@dataclass(frozen=True)
class LossSpec:
    """An adversarial objective; ``builder`` resolves to a :class:`ganzoo.core.losses.Loss` factory
    called with ``defaults`` updated by the model's ``loss_config``."""

    name: str
    builder: str
    summary: str = ""
    paper: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: Tasks the loss works with; empty means every task.
    tasks: tuple[str, ...] = ()
    #: What the discriminator's outputs are under this loss (:data:`SCORE_KINDS`): ``"probability_logit"``
    #: (logits of P(real): runs plot ``sigmoid(score)``) or ``"critic"`` (raw scores); ``""``: as the
    #: loss object's ``scores_are_logits`` says (critic by default).
    scores: str = ""
    source: Source | None = None

    def __post_init__(self) -> None:
        _check_common("loss", self.name, self.builder)
        if self.scores not in ("", *SCORE_KINDS):
            raise ValueError(f"loss {self.name!r}: scores must be one of {', '.join(map(repr, SCORE_KINDS))} (or left out), "
                             f"got {self.scores!r}")
        _check_text("loss", self.name, summary=self.summary, paper=self.paper)
        if isinstance(self.tasks, str) or not isinstance(self.tasks, (list, tuple)):
            raise ValueError(f"loss {self.name!r}: tasks must be a tuple of task names, got {self.tasks!r}")
        for task in self.tasks:
            _check_task("loss", self.name, task)
        object.__setattr__(self, "defaults", _settings("loss", self.name, "defaults", self.defaults))
        object.__setattr__(self, "tasks", tuple(self.tasks))


@dataclass(frozen=True)
class ModelSpec:
    """A zoo entry: an architecture, a loss and the hyperparameters that make them train.

    ``training`` holds :class:`ganzoo.core.config.TrainConfig` fields (optimizer, lr, betas,
    n_critic, batch_size, steps, ...); ``architecture_config`` and ``loss_config`` update the
    architecture's and loss's own defaults.
    """

    name: str
    architecture: str
    loss: str
    summary: str = ""
    paper: str = ""
    training: Mapping[str, Any] = field(default_factory=dict)
    architecture_config: Mapping[str, Any] = field(default_factory=dict)
    loss_config: Mapping[str, Any] = field(default_factory=dict)
    dataset: str = "digits"
    source: Source | None = None

    def __post_init__(self) -> None:
        _check_common("model", self.name, None)
        _check_text("model", self.name, architecture=self.architecture, loss=self.loss, summary=self.summary,
                    paper=self.paper, dataset=self.dataset)
        for attr in ("training", "architecture_config", "loss_config"):
            object.__setattr__(self, attr, _settings("model", self.name, attr, getattr(self, attr)))
        # The values themselves (an unknown training key, betas that are no numbers, a setting the
        # architecture lacks) are checked against the core's rules when the plugin loads: MODEL_CHECKS.

    @property
    def generator_only(self) -> bool:
        """Every default step is pre-training on the content term (``srresnet``, ``esrgan-psnr``):
        the model never trains adversarially, whatever ``--steps`` says, so its ``loss`` is unused."""
        steps = self.training.get("pretrain_steps")
        return bool(steps) and steps == self.training.get("steps")

    @property
    def trains_with(self) -> str:
        """What the model's default run really optimises: ``loss``, or ``CONTENT (content only)``
        for a :attr:`generator_only` model (what ``ganzoo list`` shows)."""
        if self.generator_only:
            return f"{self.training.get('pretrain_content') or self.training.get('content')} (content only)"
        return self.loss


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset ``--dataset`` can name.

    ``builder`` resolves to ``load(request: ganzoo.data.DatasetRequest) -> ImageDataset``.
    When ``argument`` is set (for example ``"PATH"``) the dataset is named ``name:ARGUMENT``.
    """

    name: str
    builder: str
    summary: str = ""
    #: Whether every image carries a class label.
    labelled: bool = False
    #: What follows ``name:`` on the command line (``""``: the dataset takes no argument).
    argument: str = ""
    #: The size the images are best trained at when the user gives none.
    image_size: int | None = None
    #: The whole images (by name) the dataset keeps out of training and measures on.
    held_out: tuple[str, ...] = ()
    #: The classical method a user would otherwise call on this data (a key of
    #: :data:`CLASSICAL_METHODS`, e.g. ``"nl-means"`` for a denoising dataset), which ``ganzoo eval``
    #: measures beside an image-to-image model; ``""``: none beyond the task's own baseline.
    classical: str = ""
    #: Its settings, e.g. ``{"sigma": 25.0}`` (the noise's standard deviation, 0-255 pixel values).
    classical_settings: Mapping[str, Any] = field(default_factory=dict)
    source: Source | None = None

    def __post_init__(self) -> None:
        _check_common("dataset", self.name, self.builder)
        _check_text("dataset", self.name, summary=self.summary, argument=self.argument)
        if not isinstance(self.labelled, bool):
            raise ValueError(f"dataset {self.name!r}: labelled must be True or False, got {self.labelled!r}")
        if self.image_size is not None:
            _sizes("dataset", self.name, "image_size", (self.image_size,))
        if not isinstance(self.held_out, tuple) or not all(isinstance(n, str) for n in self.held_out):
            raise PluginError(f"dataset {self.name!r}: held_out must be a tuple of image names, got {self.held_out!r}")
        _check_text("dataset", self.name, classical=self.classical)
        settings = _settings("dataset", self.name, "classical_settings", self.classical_settings)
        object.__setattr__(self, "classical_settings", settings)
        if not self.classical:
            if settings:
                raise ValueError(f"dataset {self.name!r}: classical_settings without a classical method")
            return
        if self.classical not in CLASSICAL_METHODS:
            raise ValueError(f"dataset {self.name!r}: unknown classical method {self.classical!r} "
                             f"(known: {', '.join(CLASSICAL_METHODS)})")
        for key in CLASSICAL_METHODS[self.classical]:
            value = settings.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"dataset {self.name!r}: classical method {self.classical!r} needs "
                                 f"classical_settings[{key!r}], a number > 0, got {value!r}")


_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_PACKAGE_FILE = re.compile(r"^[A-Za-z_][\w.]*:[^:]+$")
_URL_SCHEMES = ("https://", "http://", "file://", "hf://")
#: Tensor precisions a weights file may declare ("": not said).
PRECISIONS = ("", "fp32", "fp16", "bf16")


def _check_package_file(name: str, what: str, reference: str) -> None:
    rel = reference.partition(":")[2]
    parts = rel.replace("\\", "/").split("/")
    if not _PACKAGE_FILE.match(reference) or rel.startswith("/") or ".." in parts:
        raise ValueError(
            f"pretrained weights {name!r}: {what} {reference!r} must look like 'package:relative/path' (a file inside a package)"
        )


@dataclass(frozen=True, kw_only=True)
class WeightsSpec:
    """Pretrained weights of a registered model, by name (``dcgan.digits``).

    The weights come from ``file`` (``"package:relative/path.safetensors"``, shipped inside an
    installed package) or are downloaded once from ``url`` into ``$GANZOO_HOME/weights``;
    either way they must match ``sha256`` and ``size``, so a name always means the same bytes.
    The other fields are the card ``ganzoo info NAME`` shows (the torchvision ``Weights.meta`` idea).
    """

    #: ``model.tag``: the registered model's name, a dot, and a tag of letters, digits, ``-``, ``_``.
    name: str
    #: The registered model these are weights of; default: ``name`` up to its first dot.
    model: str = ""
    summary: str = ""
    dataset: str = ""
    #: ``"package:relative/path.safetensors"`` shipped in an installed package, or ``""``.
    file: str = ""
    #: Where to download the file from (https, http, file, or ``hf://OWNER/REPO[/FILE][@REVISION]``
    #: through the Hugging Face Hub and its cache), or ``""``.
    url: str = ""
    #: SHA-256 of the file, 64 hex digits.
    sha256: str
    #: Size of the file in bytes.
    size: int
    num_params: int | None = None
    #: The exact ``ganzoo run ...`` command that reproduces the weights.
    command: str = ""
    #: Measured quality, metric name -> value (``{"fid": 12.3}``).
    metrics: Mapping[str, float] = field(default_factory=dict)
    license: str = ""
    #: ``"package:path.png"``: a sample grid drawn from these weights, or ``""``.
    sample: str = ""
    #: Tensor precision of the file (``"fp32"``, ``"fp16"``), or ``""``.
    precision: str = ""
    source: Source | None = None

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"pretrained weights name {name!r} must be lowercase letters, digits, '.', '_' or '-'")
        model = self.model or name.partition(".")[0]
        object.__setattr__(self, "model", model)
        if not name.startswith(model + ".") or not _TAG.match(name[len(model) + 1 :]):
            raise ValueError(
                f"pretrained weights name {name!r} must be the model name {model!r}, a dot and a tag of "
                f"lowercase letters, digits, '-' or '_' (e.g. {model + '.digits'!r})"
            )
        if not isinstance(self.sha256, str) or not _SHA256.match(self.sha256):
            raise ValueError(f"pretrained weights {name!r}: sha256 must be 64 hex digits, got {self.sha256!r}")
        object.__setattr__(self, "sha256", self.sha256.lower())
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"pretrained weights {name!r}: size must be the file's size in bytes (an int >= 1), got {self.size!r}")
        _check_text("pretrained weights", name, summary=self.summary, dataset=self.dataset, file=self.file, url=self.url,
                    command=self.command, license=self.license, sample=self.sample, precision=self.precision)
        if self.precision not in PRECISIONS:
            raise ValueError(f"pretrained weights {name!r}: precision must be one of {', '.join(map(repr, PRECISIONS))}, "
                             f"got {self.precision!r}")
        if not self.file and not self.url:
            raise ValueError(f"pretrained weights {name!r}: give a file shipped in a package, a url, or both")
        if self.file:
            _check_package_file(name, "file", self.file)
        if self.sample:
            _check_package_file(name, "sample", self.sample)
        if self.url and not self.url.startswith(_URL_SCHEMES):
            raise ValueError(f"pretrained weights {name!r}: url {self.url!r} must start with https://, http://, file:// or hf:// "
                             "(hf://OWNER/REPO[/FILE.safetensors][@REVISION], the Hugging Face Hub)")
        if self.num_params is not None and (isinstance(self.num_params, bool) or not isinstance(self.num_params, int)):
            raise ValueError(f"pretrained weights {name!r}: num_params must be an int, got {self.num_params!r}")
        try:
            items = dict(self.metrics or {}).items()
        except (TypeError, ValueError):
            items = None
        if items is None or not all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                                    for k, v in items):
            raise ValueError(f"pretrained weights {name!r}: metrics must map names to numbers, got {self.metrics!r}")
        metrics = {k: float(v) for k, v in items}
        object.__setattr__(self, "metrics", _freeze(metrics))


Spec = ArchitectureSpec | LossSpec | ModelSpec | DatasetSpec | WeightsSpec

#: Checks of a model that need what lives above this layer (the training options are declared in
#: ``ganzoo.core.config``): lazy ``"module:function"`` references to ``check(registry, model) -> str | None``,
#: run by :meth:`ganzoo.plugin.registry.Registry.broken_references` on every discovery. ``ganzoo/__init__.py``
#: names the core's, so the plugin layer never imports the core, yet every model is checked as its plugin loads.
MODEL_CHECKS: list[str] = []


def resolve(reference: str, what: str = "builder") -> Any:
    """Import ``"package.module:attribute"``; the one place lazy references become objects."""
    module_name, _, attribute = reference.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except (GanzooError, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 - a module that raises (or exits) at import: one line
        raise PluginError(f"cannot import {what} {reference!r}: {describe(exc)}") from exc
    return obj
