"""A built zoo model: its nets plus the facts needed to rebuild, sample and save it."""

from __future__ import annotations

import math
import operator
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganzoo.io import run_folder, weights
from ganzoo.io.run_folder import WEIGHT_FILES
from ganzoo._version import __version__
from ganzoo.core import memory_order
from ganzoo.core.device import select_device
from ganzoo.core.settings import check_setting, image_size_problem
from ganzoo.errors import ConfigError, NonFiniteWeights, PluginError, WeightsError
from ganzoo.plugin.registry import Registry
from ganzoo.plugin.calls import blame, plugin_function
from ganzoo.core.latent_codes import LatentCodes
from ganzoo.core.tasks import adapter_for
from ganzoo.plugin.specs import TASKS
from ganzoo.io.weights import physical_memory  # noqa: F401  (re-exported: its home before ganzoo.io.weights)

#: The largest step a weights file may record, and the most class names it may carry.
MAX_STEP = 2**62
MAX_CLASSES = 10**5
#: Settings every built net's config may carry besides its architecture's: kind and bounds as
#: for a default of 1 (at least 1) or 0 (at least 0).
NET_SETTINGS = {"image_size": 1, "channels": 1, "input_channels": 1, "num_classes": 0}


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
        """The card a file's metadata describes, each value checked for its kind and range first."""
        for key in ("model", "architecture", "task", "config"):
            if key not in meta:
                raise WeightsError(f"{path} has no ganzoo.{key} metadata; it was not saved by ganzoo")

        def refuse(key: str, what: str) -> WeightsError:
            return WeightsError(f"{path}: metadata ganzoo.{key} must be {what}, got {weights.shorten(meta[key])}")

        for key in ("model", "architecture", "task", "loss", "dataset", "source", "version", "role"):
            if key in meta and not isinstance(meta[key], str):
                raise refuse(key, "text")
        if not isinstance(meta["config"], dict):
            raise refuse("config", "a JSON object")
        if meta["task"] not in TASKS:
            raise refuse("task", f"one of {', '.join(TASKS)}")
        step = meta.get("step", 0)
        if isinstance(step, str) and step.isascii() and step.isdigit() and len(step) <= 19:
            step = int(step)
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= MAX_STEP:
            raise refuse("step", f"a whole number from 0 to {MAX_STEP}")
        classes = meta.get("classes", [])
        if not isinstance(classes, list) or len(classes) > MAX_CLASSES or not all(isinstance(c, str) for c in classes):
            raise refuse("classes", f"a JSON list of at most {MAX_CLASSES:,} class names")
        return cls(
            model=meta["model"],
            architecture=meta["architecture"],
            task=meta["task"],
            config=dict(meta["config"]),
            loss=meta.get("loss", ""),
            dataset=meta.get("dataset", ""),
            step=step,
            classes=list(classes),
            source=meta.get("source", ""),
            version=meta.get("version", ""),
        )


def build_nets(registry: Registry, architecture: str, config: dict[str, Any]) -> tuple[nn.Module, nn.Module]:
    """Import an architecture's builder and build its (generator, discriminator)."""
    spec = registry.architecture(architecture)
    # any other failure of the plugin's code is one PluginError naming its distribution
    builder = plugin_function(spec, passes=(ValueError,))
    check_fits_in_memory(builder, config, architecture)
    try:
        nets = builder(dict(config))
    except ValueError as exc:  # builders reject settings they cannot build with ValueError
        raise ConfigError(f"architecture {architecture!r}: {exc}") from exc
    if not (isinstance(nets, tuple) and len(nets) == 2 and all(isinstance(n, nn.Module) for n in nets)):
        got = type(nets).__name__ if not isinstance(nets, tuple) else f"({', '.join(type(n).__name__ for n in nets)})"
        raise PluginError(f"the builder of {blame(spec)} returned {got}, not a (generator, discriminator) pair of "
                          "torch modules; this is a bug of that plugin")
    return nets


#: Bytes one parameter takes in training: fp32 weight, gradient and Adam's two moments.
TRAINING_BYTES_PER_PARAMETER = 16


def check_fits_in_memory(builder: Any, config: dict[str, Any], architecture: str) -> None:
    """Count the nets' parameters on the meta device (no memory, no random numbers) and refuse
    settings whose training would need more memory than the machine has, before allocating any."""
    try:
        with torch.device("meta"):
            nets = builder(dict(config))
    except Exception:  # noqa: BLE001 - no estimate; the real build reports its own errors
        return
    count = sum(count_parameters(net) for net in nets if isinstance(net, nn.Module)) if isinstance(nets, tuple) else 0
    memory = physical_memory()
    if memory and count * TRAINING_BYTES_PER_PARAMETER > memory:
        raise ConfigError(
            f"architecture {architecture!r} with these settings has {count:,} parameters: training them needs about "
            f"{count * TRAINING_BYTES_PER_PARAMETER / 2**30:,.0f} GiB, more than this machine's {memory / 2**30:,.0f} GiB; "
            "lower its widths (ngf, ndf, ...) or the image size"
        )


def check_batch_norm(registry: Registry, architecture: str, config: dict[str, Any], batch_size: int) -> None:
    """Refuse a batch of one image for nets with batch norm over features (``BatchNorm1d``): in
    training it needs more than one value per channel, and a batch of one gives it exactly one.
    Convolutional batch norm (``BatchNorm2d``) averages over the pixels too and trains at batch
    size 1 (pix2pix's setting). The nets are built on the meta device: no memory, no numbers."""
    if batch_size > 1:
        return
    builder = plugin_function(registry.architecture(architecture), passes=(ValueError,))
    try:
        with torch.device("meta"):
            nets = builder(dict(config))
    except Exception:  # noqa: BLE001 - nothing to inspect; the real build reports its own errors
        return
    modules = [m for net in (nets if isinstance(nets, tuple) else ()) if isinstance(net, nn.Module) for m in net.modules()]
    if any(isinstance(m, nn.BatchNorm1d) for m in modules):
        raise ConfigError(
            f"batch-size must be at least 2 for architecture {architecture!r}, got {batch_size}: its nets use batch norm "
            "over features (BatchNorm1d), which needs more than one value per channel in training"
        )


def check_card_config(registry: Registry, card: ModelCard, path: Path) -> None:
    """A weights file's architecture exists, does the file's task, and its config's values
    are of the kind and within the bounds a ``--set`` would need (nothing is built before)."""
    try:
        arch = registry.architecture(card.architecture)
    except LookupError:
        hint = f" (it came from the plugin distribution {card.source!r}: pip install it)" if card.source else ""
        raise WeightsError(f"{path} needs architecture {card.architecture!r}, which no installed plugin provides{hint}") from None
    if arch.task != card.task:
        raise WeightsError(f"{path}: metadata ganzoo.task is {card.task!r}, but architecture {arch.name!r} does the "
                           f"{arch.task!r} task")
    defaults = {**NET_SETTINGS, **arch.defaults}
    try:
        for key, value in card.config.items():
            check_setting(f"{path}: metadata ganzoo.config", key, value, defaults.get(key))
    except ConfigError as exc:
        raise WeightsError(str(exc)) from None
    problem = image_size_problem(arch, card.config.get("image_size"))
    if problem and "image_size" in card.config:
        raise WeightsError(f"{path}: metadata ganzoo.config: {problem}")


class GanModel(nn.Module):
    """A generator and (when known) its discriminator, with the card that describes them.

    ``channels_last`` (default True): ``sample`` and ``transform`` run the generator in
    channels-last memory order, measured faster (:mod:`ganzoo.core.memory_order`); the same
    math, so the images match the contiguous ones to float rounding. Set it False to compare.
    """

    def __init__(self, generator: nn.Module | None, discriminator: nn.Module | None, card: ModelCard) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.card = card
        self.task = adapter_for(card.task, card.config)
        self.channels_last = True

    @property
    def device(self) -> torch.device:
        for net in (self.generator, self.discriminator):
            if net is not None:
                for p in net.parameters():
                    return p.device
        return torch.device("cpu")

    @property
    def num_classes(self) -> int:
        """How many classes a class-conditional model draws (0 for unconditional models)."""
        if not self.task.needs_labels:
            return 0
        return int(self.card.config.get("num_classes") or len(self.card.classes))

    @property
    def class_names(self) -> list[str]:
        """The class names the weights recorded, else the indices as text."""
        names = list(self.card.classes)
        return names if len(names) == self.num_classes else [str(i) for i in range(self.num_classes)]

    def class_indices(self, labels: Any) -> list[int]:
        """Class indices for ``labels``: an int, a class name, or a sequence / tensor of them.

        A text label is a class name (exact, else case-insensitive) first, a number second, so
        a class whose name is a number resolves by name.
        """
        if not self.task.needs_labels:
            raise ConfigError(
                f"model {self.card.model!r} is unconditional ({self.card.task!r} task); labels apply only to "
                "class-conditional models"
            )
        if isinstance(labels, torch.Tensor):
            labels = labels.reshape(-1).tolist()
        elif isinstance(labels, (str, int)) or not hasattr(labels, "__iter__"):
            labels = [labels]
        indices = [self._class_index(label) for label in labels]
        if not indices:
            raise ConfigError(f"no labels given; {self.describe_classes()}")
        return indices

    def describe_classes(self) -> str:
        """One line naming the valid labels, for error messages."""
        k, names = self.num_classes, self.class_names
        if k < 1:
            return "the model records no classes (num_classes is 0)"
        text = f"valid classes are 0-{k - 1}" if k > 1 else "the only valid class is 0"
        if names != [str(i) for i in range(k)]:
            text += " or their names " + ", ".join(names)
        return text

    def _class_index(self, label: Any) -> int:
        names = self.class_names
        if isinstance(label, str):
            folded = [name.casefold() for name in names]
            if label in names:
                return names.index(label)
            if folded.count(label.casefold()) == 1:
                return folded.index(label.casefold())
            if not label.strip().lstrip("-").isdigit():
                raise ConfigError(f"unknown class {label!r}; {self.describe_classes()}")
            label = int(label)
        try:
            index = operator.index(label)
        except TypeError:
            raise ConfigError(f"a label must be a class index or name, got {label!r}; {self.describe_classes()}") from None
        if isinstance(label, bool) or not 0 <= index < self.num_classes:
            raise ConfigError(f"no class {label!r}; {self.describe_classes()}")
        return index

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, batch_size: int = 256, labels: Any = None) -> torch.Tensor:
        """``n`` images in [-1, 1] (N x C x H x W) from the generator in eval mode.

        The same ``seed`` gives the same images on the same device, whatever the batch size.
        For class-conditional models ``labels`` picks the classes: one label (int or class
        name) for all ``n`` images, or ``n`` of them (a list or tensor), image ``i`` being of
        class ``labels[i]``; without it the images cycle through the classes (0, 1, ...). The
        noise depends on ``seed`` and ``n`` only, so the same seed with other labels draws the
        same styles in other classes. Unconditional models refuse ``labels``.
        """
        if self.generator is None:
            raise WeightsError("this model holds only a discriminator; load generator weights to sample")
        if self.is_image_to_image:
            raise ConfigError(
                f"model {self.card.model!r} turns images into images; use model.transform(images) "
                "(ganzoo sample WEIGHTS --input IMAGES) instead of sampling"
            )
        if n < 1:
            raise ConfigError(f"the number of samples must be at least 1, got {n}")
        device = self.device
        if labels is not None:
            indices = self.class_indices(labels)
            if len(indices) not in (1, n):
                raise ConfigError(f"give one label or one per image ({n}), got {len(indices)} labels")
            labels = torch.tensor(indices * (n if len(indices) == 1 else 1), dtype=torch.int64, device=device)
        else:
            labels = self.task.sample_labels(n, device)
        z = self.task.noise(n, device, self._random(seed))
        return self.task.generate_eval(self.inference_generator(), z, labels, batch_size).clamp_(-1, 1).contiguous()

    def inference_generator(self) -> nn.Module:
        """The generator, put in the memory order inference runs fastest in (``channels_last``);
        in place, and free when it already is."""
        if self.generator is None:
            raise WeightsError("this model holds only a discriminator; load generator weights to use its generator")
        return memory_order.set_order(self.generator, self._channels_last())

    def _channels_last(self) -> bool:
        return memory_order.channels_last_on(self.channels_last, self.device)

    def _random(self, seed: int | None) -> torch.Generator:
        """A random stream on the model's device from ``seed`` (None: a fresh one)."""
        if seed is not None and not -(2**63) <= seed < 2**64:
            raise ConfigError(f"a seed must be a whole number from {-(2**63)} to {2**64 - 1}, got {seed}")
        rng = torch.Generator(device=self.device)
        rng.manual_seed(seed if seed is not None else int(torch.randint(0, 2**62, ()).item()))
        return rng

    @property
    def codes(self) -> LatentCodes | None:
        """The layout of the latent codes the generator reads besides its noise (InfoGAN), or None."""
        return getattr(self.task, "codes", None)

    @torch.no_grad()
    def sample_codes(self, columns: int = 10, seed: int | None = None, code: int | None = 0,
                     span: float = 2.0) -> torch.Tensor:
        """A grid showing what the latent codes do (InfoGAN): one row per value of the categorical
        code, ``columns`` images per row (row-major, ``categorical_code * columns`` images). Along a
        row continuous code ``code`` sweeps from ``-span`` to ``span`` (the paper's figures go past the
        training range [-1, 1]) with the other continuous codes at 0 and one noise vector for the
        whole grid; with ``code=None`` (or a model without continuous codes) each column has its
        own noise vector instead, the same in every row, so a column shows one style in every value."""
        if self.generator is None:
            raise WeightsError("this model holds only a discriminator; load generator weights to sample")
        codes = self.codes
        if codes is None or not codes.categories:
            raise ConfigError(f"model {self.card.model!r} has no categorical latent code to lay out by rows; codes "
                              "grids are for models with latent codes such as infogan")
        rng = self._random(seed)
        noise = torch.randn(1 if codes.continuous and code is not None else columns, codes.nz, device=self.device,
                            generator=rng)
        latent = codes.sweep(noise, columns, code, span)
        return self.task.generate_eval(self.inference_generator(), latent, None).clamp_(-1, 1).contiguous()

    @property
    def is_image_to_image(self) -> bool:
        return self.task.image_to_image

    @torch.no_grad()
    def transform(self, images: Any, batch_size: int = 16, *, tile: int | None = None, direction: str | None = None) -> Any:
        """Translate (Pix2Pix) or upscale (SRGAN) images of any size with the generator in eval mode.

        ``images``: a tensor in [-1, 1] (C x H x W or N x C x H x W), a PIL image, or a list of
        PIL images (of any sizes); the result is of the same kind, with each input's height and
        width (times ``scale`` for super-resolution). PIL inputs are converted to the channels
        the model expects and keep their size.

        Large images go through the generator in overlapping tiles (:mod:`ganzoo.core.tiling`),
        so memory is bounded by the tile, not the image:

        - a model that needs one input size (Pix2Pix's U-Net) sees tiles of exactly its
          ``image_size``, ``batch_size`` at a time, overlapping by half and blended under a
          smooth ramp so no seam shows; an image smaller than that is reflect-padded to it
          and cropped back;
        - a fully convolutional model (SRGAN) takes an image whole while neither side exceeds
          ``tile``, else tiles of at most ``tile`` x ``tile`` whose overlap covers the net's
          receptive field, so the result is the untiled one; a pass holds at most
          ``tile`` x ``tile`` input pixels (``batch_size`` images or tiles when they are small).

        ``tile``: the largest side, in input pixels, that the generator sees at once (fully
        convolutional models only). None: automatic (:meth:`default_tile`), about 1024 x 1024
        output pixels a pass, the fastest measured (2048 x 2048 for nets that see the whole image).
        ``direction``: ``"AtoB"`` (the default) or ``"BtoA"`` for an unpaired model (CycleGAN),
        which translates both ways; one-way models refuse ``"BtoA"``.
        ``translate`` and ``upscale`` are the same call under the names users look for.
        """
        if self.generator is None:
            raise WeightsError("this model holds only a discriminator; load generator weights to transform images")
        if not self.is_image_to_image:
            raise ConfigError(f"model {self.card.model!r} draws images from noise; use model.sample(n)")
        task = self.task.facing(direction)
        from PIL import Image

        if isinstance(images, Image.Image) or (isinstance(images, (list, tuple)) and images and isinstance(images[0], Image.Image)):
            pictures = [images] if isinstance(images, Image.Image) else list(images)
            outputs = [self.transform(self.input_tensor(p), batch_size, tile=tile, direction=direction) for p in pictures]
            converted = [_to_picture(o) for o in outputs]
            return converted[0] if isinstance(images, Image.Image) else converted
        if not isinstance(images, torch.Tensor) or images.ndim not in (3, 4):
            raise ConfigError("transform takes a C x H x W or N x C x H x W tensor in [-1, 1], or PIL images")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        single = images.ndim == 3
        batch = (images[None] if single else images).to(self.device, torch.float32)
        expected = int(self.card.config.get("input_channels", self.card.config.get("channels", 3)))
        if batch.shape[1] != expected:
            raise ConfigError(f"model {self.card.model!r} takes {expected}-channel inputs, got {batch.shape[1]} channels")
        if 0 in batch.shape:
            raise ConfigError(f"model {self.card.model!r} cannot transform an empty image (shape {tuple(images.shape)})")
        out = self._tiled(task, batch, batch_size, tile).clamp_(-1, 1).contiguous()
        return out[0] if single else out

    translate = transform
    upscale = transform

    #: Output pixels a fully convolutional generator makes in one pass when ``tile`` is None:
    #: measured (``benchmarks/inference_layout.py``, SRResNet 4x on a 600x512 photograph, 1
    #: thread): 1024x1024 a pass was as fast as 2048x2048 or faster (26 s against 26 s, 36 s
    #: against 40 s, in two runs at load 7-10) with a quarter of the memory.
    TILE_OUTPUT_PIXELS = 1024 * 1024
    #: The same for nets that see the whole image (norms over each image), whose tiles are
    #: blended and so change the result: kept large, so that fewer images are cut.
    BLEND_OUTPUT_PIXELS = 2048 * 2048

    def default_tile(self) -> int:
        """The tile side, in input pixels, that ``transform`` uses when ``tile`` is None."""
        if self.task.fixed_input_size:
            return int(self.card.config["image_size"])
        from ganzoo.core import tiling

        scale, margin = int(getattr(self.task, "scale", 1)), tiling.receptive_margin(self.generator)
        if margin is None:
            return math.isqrt(self.BLEND_OUTPUT_PIXELS) // scale
        return max(math.isqrt(self.TILE_OUTPUT_PIXELS) // scale, 4 * margin)

    def _tiled(self, task: Any, batch: torch.Tensor, batch_size: int, tile: int | None) -> torch.Tensor:
        """The generator over ``batch`` in tiles (see :meth:`transform`), as ``task`` (this
        model's adapter, facing the direction asked for) runs it."""
        from ganzoo.core import tiling

        generator, channels_last = self.inference_generator(), self._channels_last()

        def run(tiles: torch.Tensor) -> torch.Tensor:
            tiles = memory_order.to_channels_last(tiles) if channels_last else tiles
            return task.generate_eval(generator, None, tiles, len(tiles))

        if tile is not None and (isinstance(tile, bool) or not isinstance(tile, int) or tile < 1):
            raise ConfigError(f"tile must be a whole number of pixels (at least 1) or None, got {tile!r}")
        if self.task.fixed_input_size:
            size = int(self.card.config["image_size"])
            if tile not in (None, size):
                raise ConfigError(f"model {self.card.model!r} takes {size}x{size} inputs only, so its tiles are "
                                  f"{size}x{size}; leave out tile (got {tile})")
            return tiling.tiled(run, batch, size, size // 2, batch_size=batch_size, blend=True)
        scale = int(getattr(self.task, "scale", 1))
        margin = tiling.receptive_margin(self.generator)
        side = tile or self.default_tile()
        # a pass holds at most side x side input pixels: fewer images (or tiles) a call when they are large
        per_call = max(1, min(batch_size, side * side // (min(side, batch.shape[-2]) * min(side, batch.shape[-1]))))
        if margin is None:  # a net that sees the whole image: tiles can only be blended
            # an image that fits in one tile is padded to the next multiple of 16 (nets that halve
            # their input need even sizes), not out to the whole tile: a 32 px image at 2,048 px
            # cost 4,096 times its work
            fit = min(side, -(-max(batch.shape[-2:]) // 16) * 16)
            return tiling.tiled(run, batch, fit, fit // 4, scale=scale, batch_size=per_call, blend=True)
        if max(batch.shape[-2:]) > side and side <= 2 * margin:
            raise ConfigError(f"tile must be larger than {2 * margin} pixels for model {self.card.model!r} (twice the "
                              f"reach of its generator, {margin} pixels), got {side}")
        return tiling.tiled(run, batch, side, 2 * margin, scale=scale, batch_size=per_call, blend=False)

    def input_tensor(self, picture: Any) -> torch.Tensor:
        """A PIL image as the model's input tensor in [-1, 1], C x H x W: its channels converted
        to the model's (grayscale or RGB), its size kept."""
        channels = int(self.card.config.get("input_channels", self.card.config.get("channels", 3)))
        picture = picture.convert("L" if channels == 1 else "RGB")
        from ganzoo.io.images import picture_tensor

        return picture_tensor(picture).float().div(127.5).sub(1)

    def save(self, folder: str | os.PathLike, **extra: Any) -> dict[str, Path]:
        """Write ``generator.safetensors`` and ``discriminator.safetensors`` into ``folder``."""
        written = {}
        for role, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            if net is not None:
                meta = self.card.metadata(role, num_params=count_parameters(net), **extra)
                written[role] = weights.save_module(net, Path(folder) / WEIGHT_FILES[role], meta)
        return written


def _to_picture(image: torch.Tensor) -> Any:
    from PIL import Image

    from ganzoo.io.images import to_uint8

    array = to_uint8(image).permute(1, 2, 0).numpy()
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def load_model(registry: Registry, path: str | os.PathLike, device: str = "auto") -> GanModel:
    """Rebuild a model from a weights file, or from a run folder: its averaged generator
    ``generator.ema.safetensors`` when the run kept one (``--ema``; usually the better
    samples), else its ``generator.safetensors``. Name the file to load the other."""
    path = Path(path)
    if path.is_dir():
        path = run_folder.generator_file(path)
    meta = weights.read_metadata(path)
    card = ModelCard.from_metadata(meta, path)
    role = meta.get("role", "generator")
    if role not in WEIGHT_FILES:
        raise WeightsError(f"{path} holds a {weights.shorten(role)}, which ganzoo cannot load")
    check_card_config(registry, card, path)
    try:
        generator, discriminator = build_nets(registry, card.architecture, card.config)
    except ConfigError as exc:  # the file's settings, not the user's: name the file
        raise WeightsError(f"{path}: metadata ganzoo.config: {exc}") from None
    net = generator if role == "generator" else discriminator
    tensors = weights.read_tensors(path, expected=weights.shapes_of(net), expected_name=type(net).__name__)
    bad = weights.non_finite(tensors)
    if bad:  # a diverged run's weights draw nothing: say so instead of sampling NaN images
        raise NonFiniteWeights(f"{path} cannot be used: {weights.describe_non_finite(bad)}; it holds the weights of a "
                               "run that diverged (retrain with a lower --lr, or load an earlier file)")
    weights.load_into(net, tensors, path)
    target = select_device(device)
    model = GanModel(net if role == "generator" else None, net if role == "discriminator" else None, card)
    return model.to(target).eval()
