"""Weights as safetensors files that describe themselves.

The metadata (strings; JSON for structures) names the model, architecture, task and the
resolved architecture config, so :func:`ganzoo.load` rebuilds the right modules from the
file alone. Nothing is ever unpickled: a pickled ``.pt`` file is refused with a clear message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from ganzoo.io.atomic import write_with
from ganzoo.errors import NonFiniteWeights, WeightsError

PREFIX = "ganzoo."
#: Metadata values stored as JSON (everything else is a plain string).
JSON_KEYS = {"config", "training", "classes", "metrics"}


def encode_metadata(meta: Mapping[str, Any]) -> dict[str, str]:
    """``{"model": "dcgan", "config": {...}}`` -> ``{"ganzoo.model": "dcgan", "ganzoo.config": "{...}"}``."""
    out = {}
    for key, value in meta.items():
        if value is None:
            continue
        out[PREFIX + key] = json.dumps(value, sort_keys=True) if key in JSON_KEYS else str(value)
    return out


def decode_metadata(raw: Mapping[str, str] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if key.startswith(PREFIX):
            name = key[len(PREFIX) :]
            meta[name] = json.loads(value) if name in JSON_KEYS else value
    return meta


def save_module(module: nn.Module, path: str | os.PathLike, meta: Mapping[str, Any]) -> Path:
    """Write ``module``'s state dict with ``meta`` to ``path`` atomically."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    save_tensors(tensors, path, encode_metadata(meta))
    return Path(path)


def non_finite(tensors: Mapping[str, torch.Tensor]) -> list[str]:
    """The names of the floating-point tensors that hold NaN or inf."""
    return [name for name, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]


def describe_non_finite(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{len(names)} tensor(s) hold NaN or inf ({shown})"


def save_tensors(tensors: Mapping[str, torch.Tensor], path: str | os.PathLike, metadata: Mapping[str, str]) -> None:
    """Write ``tensors`` atomically; a tensor holding NaN or inf is refused (nothing is written):
    a file of diverged weights would pass for a good one."""
    bad = non_finite(tensors)
    if bad:
        raise NonFiniteWeights(f"{path} was not written: {describe_non_finite(bad)}")
    write_with(path, lambda tmp: save_file(dict(tensors), str(tmp), metadata=dict(metadata)))


def _refuse_non_safetensors(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(9)
    if len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < path.stat().st_size:
        return  # safetensors: an 8-byte little-endian header length, then the JSON header
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        raise WeightsError(
            f"{path} is a pickled PyTorch checkpoint, not safetensors; ganzoo never unpickles files. "
            "Convert it yourself, if you trust it, with safetensors.torch.save_file(torch.load(f), 'out.safetensors')"
        )


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The decoded ``ganzoo.*`` metadata of a safetensors file."""
    path = _existing(path)
    try:
        with safe_open(str(path), framework="pt") as fh:
            return decode_metadata(fh.metadata())
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file: {exc}") from None


def read_tensors(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    path = _existing(path)
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file: {exc}") from None


def _existing(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {str(path)!r} does not exist")
    _refuse_non_safetensors(path)
    return path


def load_into(module: nn.Module, tensors: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Load ``tensors`` into ``module``, naming the file and the keys on any mismatch."""
    own = module.state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(tensors) if own[k].shape != tensors[k].shape)
    if missing or unexpected or wrong_shape:
        parts = []
        for label, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("keys of another shape", wrong_shape)):
            if keys:
                shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
                parts.append(f"{label}: {shown}")
        raise WeightsError(f"{path} does not fit {type(module).__name__}: " + "; ".join(parts))
    module.load_state_dict(dict(tensors))


def read_foreign_state_dict(path: str | os.PathLike, what: str, hint: str) -> dict[str, torch.Tensor]:
    """A plain state dict of tensors from a file ganzoo did not write (VGG19, InceptionV3):
    ``.safetensors``, or a ``.pth`` read with ``torch.load(weights_only=True)`` -- torch's
    restricted unpickler, which builds tensors and containers only, never arbitrary objects.
    ``what`` names the weights and ``hint`` says what to give instead, in the error."""
    path = Path(path)
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise WeightsError(f"cannot read {what} {str(path)!r} as safetensors: {exc}") from None
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:  # legacy (non-zip) files cannot be memory-mapped
            if "mmap" not in str(exc):
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - an unreadable or unsafe file is the user's to fix
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise WeightsError(
            f"cannot read {what} {str(path)!r} with torch.load(weights_only=True) ({type(exc).__name__}: {first}); {hint}"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{what} {str(path)!r} are not a plain state dict of tensors")
    return state
