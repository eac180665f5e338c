"""``ganzoo convert``: a checkpoint of another project -> a self-describing ganzoo weights file.

The checkpoint is read with ``torch.load(weights_only=True)`` only (torch's restricted unpickler:
tensors and containers, never code), its format told from its keys and shapes (or named), its
tensors renamed into ganzoo's net, which is built from the settings the shapes give and must
take every tensor. The file written is what a ganzoo run writes (model, architecture, task,
config), plus ``ganzoo.converted_from``: ``ganzoo.load(OUT)`` rebuilds the model.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

import torch

from ganzoo.core.model import ModelCard, build_nets, count_parameters
from ganzoo.errors import ConfigError, UnknownNameError, WeightsError, shown
from ganzoo.interop import pix2pix_unet, pytorch_examples_dcgan, srresnet
from ganzoo.interop.conversion import Conversion, LayoutError
from ganzoo.io.output_file import check_new_file, publish
from ganzoo.io import weights
from ganzoo.plugin.discovery import get_registry

#: The peer formats, in the order they are tried.
LAYOUTS: tuple[ModuleType, ...] = (pytorch_examples_dcgan, pix2pix_unet, srresnet)
FORMATS: dict[str, ModuleType] = {layout.NAME: layout for layout in LAYOUTS}
#: Keys under which training scripts nest a state dict (``{"epoch": 3, "state_dict": {...}}``).
NESTING_KEYS = ("state_dict", "model_state_dict", "model", "netG", "generator", "params")


@dataclass(frozen=True)
class Converted:
    """A written conversion: where, from which format, and what ganzoo made of it."""

    path: Path
    format: str
    role: str
    card: ModelCard
    num_params: int
    summary: str
    notes: tuple[str, ...]


def known_formats() -> str:
    """``NAME (what it reads), ...`` on one line, for messages and ``--help``."""
    return "; ".join(f"{layout.NAME} ({layout.SUMMARY})" for layout in LAYOUTS)


def read_checkpoint(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state dict in ``path``: safetensors, or a ``.pth`` read with ``weights_only=True``;
    a state dict nested under a usual key is taken out, a ``module.`` prefix (DataParallel) dropped."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path} is not a file" if path.exists() else f"{path} does not exist")
    if path.suffix == ".safetensors":
        return _real_only(path, weights.read_tensors(path))
    if not _looks_like_torch_save(path):
        raise WeightsError(f"{path} is not a PyTorch checkpoint (neither torch.save's zip archive nor a pickle); "
                           f"ganzoo convert reads .pth/.pt files saved by torch.save, or .safetensors")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before refusing: the one line says it
            warnings.simplefilter("ignore")
            state: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - the restricted unpickler's refusal, or not a torch file at all
        raise WeightsError(f"{path} cannot be read with torch.load(weights_only=True): {_why_unreadable(exc)}; ganzoo "
                           "never runs code from a checkpoint (re-save only the state dict where you trust the file: "
                           "torch.save(net.state_dict(), 'net.pth'))") from None
    for key in NESTING_KEYS:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not state or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                           for k, v in state.items()):
        raise WeightsError(f"{path} holds no state dict (a mapping of names to tensors); save one with "
                           "torch.save(net.state_dict(), 'net.pth')")
    if all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    return _real_only(path, state)


def _real_only(path: Path, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state``, unless a tensor is complex: copied into a real parameter, torch would drop its
    imaginary part with a warning."""
    complex_ = next((key for key, value in state.items() if value.is_complex()), None)
    if complex_ is not None:
        raise WeightsError(f"{path}: the tensor {shown(complex_)} is complex ({state[complex_].dtype}); a GAN's weights are "
                           "real numbers, and ganzoo never drops an imaginary part silently")
    return state


def _looks_like_torch_save(path: Path) -> bool:
    """torch.save writes a zip archive (since 1.6) or, in the legacy format, a pickle of protocol
    2 or more (first byte 0x80): anything else is some other file, not a refused checkpoint."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def _why_unreadable(exc: Exception) -> str:
    """torch's many-line refusal as a few words: the global it would not load, else its first line."""
    text = str(exc)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return f"it holds Python objects, not only tensors (it calls {found[1]})"
    refused = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
    if refused:  # e.g. a plain pickle with opcodes the restricted unpickler does not take
        return f"torch's restricted unpickler refused it ({refused[1].strip()})"
    return weights.first_line(exc)


def detect(state: Mapping[str, torch.Tensor], path: str | os.PathLike = "checkpoint") -> ModuleType:
    """The format whose layout ``state`` has, or one line naming the known formats."""
    for layout in LAYOUTS:
        refusal = getattr(layout, "refusal", None)
        if refusal and refusal(state):
            raise WeightsError(f"{path}: {refusal(state)}")
    found = [layout for layout in LAYOUTS if layout.matches(state)]
    if not found:
        example = ", ".join(repr(k) for k in list(state)[:3])
        raise WeightsError(f"{path}: unknown checkpoint layout ({len(state)} tensors: {example}, ...); known formats: "
                           f"{known_formats()}; name one with --format")
    return found[0]


def convert(checkpoint: str | os.PathLike, out: str | os.PathLike, *, format: str | None = None,
            force: bool = False) -> Converted:
    """Convert ``checkpoint`` into the ganzoo weights file ``out`` (never over an existing file
    unless ``force``); ``format`` names the peer format instead of detecting it."""
    if format is not None and format not in FORMATS:
        raise UnknownNameError(f"unknown format {format!r}; known formats: {known_formats()}")
    out = check_new_file(out, force)
    state = read_checkpoint(checkpoint)
    layout = FORMATS[format] if format is not None else detect(state, checkpoint)
    try:
        conversion = layout.read(state)
    except LayoutError as exc:
        raise WeightsError(f"{checkpoint} is not a {layout.NAME} checkpoint that ganzoo can convert: {exc}") from None
    net, card = _ganzoo_net(conversion, checkpoint, layout.NAME)
    meta = card.metadata(conversion.role, num_params=count_parameters(net), converted_from=layout.NAME)
    publish(out, force, lambda: weights.save_module(net, out, meta, exclusive=not force))
    return Converted(out, layout.NAME, conversion.role, card, count_parameters(net), conversion.summary, conversion.notes)


def _ganzoo_net(conversion: Conversion, checkpoint: Any, name: str) -> tuple[torch.nn.Module, ModelCard]:
    """ganzoo's net for ``conversion``, holding its tensors, and the card that rebuilds it."""
    registry = get_registry()
    arch = registry.architecture(conversion.architecture)
    config = {**arch.defaults, **conversion.config}
    try:
        generator, discriminator = build_nets(registry, arch.name, config)
    except ConfigError as exc:
        raise WeightsError(f"{checkpoint} ({name}: {conversion.summary}) has settings ganzoo cannot build: {exc}") from None
    net = generator if conversion.role == "generator" else discriminator
    problem = weights.mismatch(weights.shapes_of(net), {k: tuple(v.shape) for k, v in conversion.tensors.items()})
    if problem:
        raise WeightsError(f"{checkpoint} ({name}: {conversion.summary}) does not fit ganzoo's {arch.name} "
                           f"{conversion.role}: {problem}")
    try:
        net.load_state_dict(conversion.tensors)
    except RuntimeError as exc:  # a dtype that cannot be copied into a parameter
        raise WeightsError(f"{checkpoint}: {weights.first_line(exc)}") from None
    card = ModelCard(model=conversion.model, architecture=arch.name, task=arch.task, config=config,
                     loss=registry.model(conversion.model).loss, source=arch.source.distribution if arch.source else "")
    return net.eval(), card
