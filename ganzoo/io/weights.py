"""Weights as safetensors files that describe themselves.

The metadata (strings; JSON for structures) names the model, architecture, task and the
resolved architecture config, so :func:`ganzoo.load` rebuilds the right modules from the
file alone. Nothing is ever unpickled: a pickled ``.pt`` file is refused with a clear message.

A file is hostile until its header says otherwise: :func:`read_header` parses the header
itself, within bounds, and checks every tensor's dtype, shape and place in the data section
before safetensors reads a byte of tensor data, so a header that declares a 10 GB tensor is
one :class:`WeightsError` line, not a ``MemoryError``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ganzoo.io.atomic import write_with
from ganzoo.errors import NonFiniteWeights, WeightsError

PREFIX = "ganzoo."
#: Metadata values stored as JSON (everything else is a plain string), and what each must be.
JSON_KEYS: dict[str, type] = {"config": dict, "training": dict, "classes": list, "metrics": dict}
#: The largest header read: ganzoo's own are kilobytes (a checkpoint's skeleton, with the optimizer
#: state, some hundred); the cap keeps a hostile 8-byte length from becoming a giant read.
HEADER_LIMIT = 100 * 2**20
#: Bytes per element of every safetensors dtype that torch holds.
ITEM_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
              "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
#: A tensor of more dimensions than this is no weight (torch's own limit is 64 too).
MAX_DIMENSIONS = 64


def encode_metadata(meta: Mapping[str, Any]) -> dict[str, str]:
    """``{"model": "dcgan", "config": {...}}`` -> ``{"ganzoo.model": "dcgan", "ganzoo.config": "{...}"}``."""
    out = {}
    for key, value in meta.items():
        if value is None:
            continue
        out[PREFIX + key] = json.dumps(value, sort_keys=True) if key in JSON_KEYS else str(value)
    return out


def decode_metadata(raw: Mapping[str, str] | None, path: str | os.PathLike = "metadata") -> dict[str, Any]:
    """The ``ganzoo.*`` entries, JSON ones decoded and of their kind (``config`` a JSON object, ...)."""
    meta: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :]
        if name not in JSON_KEYS:
            meta[name] = value
            continue
        try:
            meta[name] = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise WeightsError(f"{path}: metadata {key} is not JSON ({first_line(exc)})") from None
        kind = JSON_KEYS[name]
        if not isinstance(meta[name], kind):
            raise WeightsError(f"{path}: metadata {key} must be a JSON {'object' if kind is dict else 'list'}, "
                               f"got {shorten(value)}")
    return meta


def first_line(exc: BaseException) -> str:
    """An exception as one short line, for messages."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 160 else line[:157] + "..."


def shorten(text: Any, limit: int = 60) -> str:
    """``repr`` of text from a file, cut to ``limit`` characters: it is shown, never trusted."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def save_module(module: nn.Module, path: str | os.PathLike, meta: Mapping[str, Any], exclusive: bool = False) -> Path:
    """Write ``module``'s state dict with ``meta`` to ``path`` atomically (``exclusive``: never
    over an existing file, see :func:`ganzoo.io.atomic.atomic_path`)."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    save_tensors(tensors, path, encode_metadata(meta), exclusive)
    return Path(path)


def non_finite(tensors: Mapping[str, torch.Tensor]) -> list[str]:
    """The names of the floating-point tensors that hold NaN or inf."""
    return [name for name, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]


def describe_non_finite(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{len(names)} tensor(s) hold NaN or inf ({shown})"


def save_tensors(tensors: Mapping[str, torch.Tensor], path: str | os.PathLike, metadata: Mapping[str, str],
                 exclusive: bool = False) -> None:
    """Write ``tensors`` atomically; a tensor holding NaN or inf is refused (nothing is written):
    a file of diverged weights would pass for a good one."""
    bad = non_finite(tensors)
    if bad:
        raise NonFiniteWeights(f"{path} was not written: {describe_non_finite(bad)}")
    dense = {k: v.contiguous() for k, v in tensors.items()}  # channels-last nets' weights are strided
    write_with(path, lambda tmp: save_file(dense, str(tmp), metadata=dict(metadata)), exclusive)


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


class TensorEntry(NamedTuple):
    """One tensor as a header declares it (offsets into the data section)."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


class Header(NamedTuple):
    """A checked safetensors header: every tensor's entry, and the raw string metadata."""

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str]

    @property
    def data_bytes(self) -> int:
        return sum(entry.end - entry.begin for entry in self.tensors.values())


def read_header(path: str | os.PathLike) -> Header:
    """Parse and check a safetensors header without reading tensor data: the 8-byte length
    within the file and :data:`HEADER_LIMIT`, a JSON object, string metadata, and for every
    tensor a known dtype, a shape of whole numbers >= 0 and offsets inside the data section
    that hold exactly ``prod(shape) * itemsize`` bytes and, together, cover it."""
    path = _existing(path)

    def bad(what: str) -> WeightsError:
        return WeightsError(f"{path} is not a readable safetensors file: {what}")

    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            length = int.from_bytes(head, "little")
            if len(head) < 8 or length > size - 8:
                raise bad(f"it declares a {length:,}-byte header, but the file has only {max(size - 8, 0):,} bytes after "
                          "the 8-byte length" if len(head) == 8 else f"it is {size} bytes long, shorter than the 8-byte length")
            if length > HEADER_LIMIT:
                raise bad(f"it declares a {length:,}-byte header, more than the {HEADER_LIMIT:,} bytes ganzoo reads")
            raw = fh.read(length)
    except OSError as exc:
        raise bad(first_line(exc)) from None
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise bad(f"its header is not JSON ({first_line(exc)})") from None
    if not isinstance(header, dict):
        raise bad(f"its header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("its __metadata__ is not an object of strings")
    data_size = size - 8 - length
    tensors = {name: _entry(name, value, data_size, bad) for name, value in header.items()}
    position = 0
    for name, entry in sorted(tensors.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin != position:
            raise bad(f"tensor {shorten(name)} starts at byte {entry.begin:,} of the data section, not at {position:,} "
                      "(tensors overlap or leave a gap)")
        position = entry.end
    if position != data_size:
        raise bad(f"its tensors cover {position:,} of the {data_size:,} bytes of its data section")
    return Header(tensors, metadata)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"key {shorten(next(k for k in keys if keys.count(k) > 1))} appears twice")
    return dict(pairs)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(name: str, value: Any, data_size: int, bad: Any) -> TensorEntry:
    """One header entry, checked (``bad(what)`` makes the error naming the file)."""
    what = f"tensor {shorten(name)}"
    if not isinstance(value, dict) or not {"dtype", "shape", "data_offsets"} <= set(value):
        raise bad(f"{what} is not an object with dtype, shape and data_offsets")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(dtype, str) or dtype not in ITEM_BYTES:
        raise bad(f"{what} has dtype {shorten(dtype)}, not one of {', '.join(ITEM_BYTES)}")
    if not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS or not all(_is_whole(n) for n in shape):
        raise bad(f"{what} has shape {shorten(shape)}, not a list of at most {MAX_DIMENSIONS} whole numbers >= 0")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_whole(n) for n in offsets)
            and offsets[0] <= offsets[1] <= data_size):
        raise bad(f"{what} has data_offsets {shorten(offsets)}, not [begin, end] within its {data_size:,}-byte data section")
    begin, end = offsets
    if math.prod(shape) * ITEM_BYTES[dtype] != end - begin:
        raise bad(f"{what} of shape {shape} and dtype {dtype} needs {math.prod(shape) * ITEM_BYTES[dtype]:,} bytes, "
                  f"but its data_offsets hold {end - begin:,}")
    return TensorEntry(dtype, tuple(shape), begin, end)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The decoded ``ganzoo.*`` metadata of a safetensors file (its header checked first)."""
    path = Path(path)
    return decode_metadata(read_header(path).metadata, path)


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def read_tensors(path: str | os.PathLike, device: str | torch.device = "cpu", *,
                 expected: Mapping[str, tuple[int, ...]] | None = None, expected_name: str = "") -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file, read only after its header is checked: against
    ``expected`` names and shapes when the caller knows them (``expected_name`` names what
    they belong to, for the message), and against this machine's memory."""
    path = Path(path)
    header = read_header(path)
    if expected is not None:
        problem = mismatch(expected, {name: entry.shape for name, entry in header.tensors.items()})
        if problem:
            raise WeightsError(f"{path} does not fit {expected_name or 'what it is loaded into'}: {problem}")
    memory = physical_memory()
    if memory and header.data_bytes > memory:
        raise WeightsError(f"{path} declares {header.data_bytes / 2**30:,.1f} GiB of tensors, more than this machine's "
                           f"{memory / 2**30:,.1f} GiB")
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file: {first_line(exc)}") from None


def shapes_of(module: nn.Module) -> dict[str, tuple[int, ...]]:
    """The names and shapes a file must hold to load into ``module`` (no tensor is copied)."""
    return {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}


def mismatch(own: Mapping[str, tuple[int, ...]], theirs: Mapping[str, tuple[int, ...]]) -> str:
    """Missing, unexpected and wrongly shaped keys as one line, or "" when they fit."""
    missing = sorted(set(own) - set(theirs))
    unexpected = sorted(set(theirs) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(theirs) if tuple(own[k]) != tuple(theirs[k]))
    parts = []
    for label, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("keys of another shape", wrong_shape)):
        if keys:
            shown = ", ".join(k if k.isprintable() and len(k) <= 80 else shorten(k, 80) for k in keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
            parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def _existing(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {str(path)!r} does not exist")
    try:
        _refuse_non_safetensors(path)
    except OSError as exc:
        raise WeightsError(f"cannot read weights file {str(path)!r}: {first_line(exc)}") from None
    return path


def load_into(module: nn.Module, tensors: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Load ``tensors`` into ``module``, naming the file and the keys on any mismatch."""
    problem = mismatch(shapes_of(module), {name: tuple(t.shape) for name, t in tensors.items()})
    if problem:
        raise WeightsError(f"{path} does not fit {type(module).__name__}: {problem}")
    try:
        module.load_state_dict(dict(tensors))
    except RuntimeError as exc:  # a dtype that cannot be copied into the parameter (complex, ...)
        raise WeightsError(f"{path} does not fit {type(module).__name__}: {first_line(exc)}") from None


def read_foreign_state_dict(path: str | os.PathLike, what: str, hint: str) -> dict[str, torch.Tensor]:
    """A plain state dict of tensors from a file ganzoo did not write (VGG19, InceptionV3):
    ``.safetensors``, or a ``.pth`` read with ``torch.load(weights_only=True)`` -- torch's
    restricted unpickler, which builds tensors and containers only, never arbitrary objects.
    ``what`` names the weights and ``hint`` says what to give instead, in the error."""
    path = Path(path)
    if path.suffix == ".safetensors":
        try:
            return read_tensors(path)
        except WeightsError as exc:
            raise WeightsError(f"cannot read {what} as safetensors: {exc}") from None
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
