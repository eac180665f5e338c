"""Full training checkpoints in safetensors: no pickle, even for optimizer and RNG state.

Any nested structure of dicts, lists, numbers, strings and tensors is split into a JSON
skeleton (stored in the file's metadata) and a flat ``{key: tensor}`` map, and joined again
on load. One file, ``checkpoint.safetensors``, replaced atomically at every save.

Reading checks the header first (:func:`ganzoo.io.weights.read_header`) and the skeleton against
it: every tensor the skeleton names is in the file and the other way round, and the step is a
whole number, all before a byte of tensor data is read.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import RunFolderError, WeightsError
from ganzoo.io.run_folder import CHECKPOINT_FILE
from ganzoo.io.weights import first_line, read_header, read_tensors, save_tensors, shorten

FILE_NAME = CHECKPOINT_FILE
_SKELETON = "ganzoo.checkpoint"
_TENSOR = "__tensor__"


def flatten(obj: Any, tensors: dict[str, torch.Tensor], path: str = "") -> Any:
    """Replace every tensor in ``obj`` by ``{"__tensor__": key}``, collecting it in ``tensors``."""
    if isinstance(obj, torch.Tensor):
        key = path or "value"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {_TENSOR: key}
    if isinstance(obj, dict):
        return {str(k): flatten(v, tensors, f"{path}.{k}" if path else str(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [flatten(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot checkpoint a {type(obj).__name__} at {path!r}")


def tensors_in(obj: Any, path: str = "") -> dict[str, torch.Tensor]:
    """Every tensor in a nested state, by the key :func:`flatten` would give it (no copies)."""
    if isinstance(obj, torch.Tensor):
        return {path or "value": obj}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, (list, tuple)) else ()
    found: dict[str, torch.Tensor] = {}
    for k, v in items:
        found.update(tensors_in(v, f"{path}.{k}" if path else str(k)))
    return found


def tensor_keys(skeleton: Any) -> list[str]:
    """The tensor keys a skeleton refers to (what :func:`unflatten` will look up), in order."""
    if isinstance(skeleton, dict):
        if set(skeleton) == {_TENSOR}:
            return [skeleton[_TENSOR]] if isinstance(skeleton[_TENSOR], str) else [repr(skeleton[_TENSOR])]
        return [key for value in skeleton.values() for key in tensor_keys(value)]
    if isinstance(skeleton, list):
        return [key for value in skeleton for key in tensor_keys(value)]
    return []


def unflatten(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(skeleton, dict):
        if set(skeleton) == {_TENSOR}:
            return tensors[skeleton[_TENSOR]]
        return {k: unflatten(v, tensors) for k, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [unflatten(v, tensors) for v in skeleton]
    return skeleton


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    state = optimizer.state_dict()
    # JSON keys are strings: keep the integer parameter ids recoverable.
    return {"state": {str(k): v for k, v in state["state"].items()}, "param_groups": state["param_groups"]}


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Restore ``optimizer`` from a checkpoint's state; another optimizer's state (RMSprop's for
    Adam: no ``betas``) is a ValueError naming the settings that differ, not a KeyError at the
    first step."""
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else g for g in state["param_groups"]]
    wanted = {key for group in optimizer.param_groups for key in group} - {"params"}
    saved = {key for group in groups if isinstance(group, dict) for key in group} - {"params"}
    if wanted - saved:
        raise ValueError(f"its optimizer state lacks {', '.join(sorted(wanted - saved))} "
                         f"(another optimizer than {type(optimizer).__name__})")
    optimizer.load_state_dict({"state": {int(k): v for k, v in state["state"].items()}, "param_groups": groups})


def rng_state() -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": [version, list(internal), gauss]}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def write_checkpoint(run_dir: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``run_dir/checkpoint.safetensors`` atomically."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = flatten(state, tensors)
    path = Path(run_dir) / FILE_NAME
    save_tensors(tensors, path, {_SKELETON: json.dumps(skeleton)})
    return path


#: The largest step a checkpoint may record (a run of 2^62 steps never ends).
MAX_STEP = 2**62
#: How much more a checkpoint may hold than the state it is read into: the optimizers'
#: moments (Adam: two per parameter) are created at the first step, so a fresh trainer lacks them.
GROWTH = 4
#: Bytes a checkpoint may hold beyond ``GROWTH`` times that state (RNG states, small buffers).
SLACK_BYTES = 64 * 2**20


def read_checkpoint(run_dir: str | os.PathLike, like: Any = None) -> dict[str, Any]:
    """The training state in ``run_dir/checkpoint.safetensors`` (what :func:`write_checkpoint` wrote).

    ``like``: the state it will be loaded into (the trainer's, before its first step; nothing
    is copied). Every tensor in it must then be in the file with its shape, and the file may
    hold at most :data:`GROWTH` times its bytes (plus :data:`SLACK_BYTES`), checked on the
    header before any tensor data is read."""
    path = Path(run_dir) / FILE_NAME
    if not path.is_file():
        raise RunFolderError(f"{run_dir} has no {FILE_NAME} to resume from")
    unreadable = f"{path} is not a readable ganzoo checkpoint"
    try:
        header = read_header(path)
        skeleton = json.loads(header.metadata.get(_SKELETON, "null"))
        if skeleton is None:
            raise RunFolderError(f"{unreadable} (no training state in it)")
        _check_skeleton(skeleton, set(header.tensors))
        if like is not None:
            _check_like(header, tensors_in(like))
        return unflatten(skeleton, read_tensors(path))
    except RunFolderError:
        raise
    except WeightsError as exc:  # already one line naming the file: say why without repeating its path
        why = str(exc).removeprefix(f"{path} ").removeprefix("is not a readable safetensors file: ")
        raise RunFolderError(f"{unreadable} ({why}); "
                             f"delete it to restart the run from step 0 with `ganzoo run --resume {run_dir}`") from None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise RunFolderError(f"{unreadable} ({type(exc).__name__}: {first_line(exc)}); "
                             f"delete it to restart the run from step 0 with `ganzoo run --resume {run_dir}`") from None


def recorded_config(run_dir: str | os.PathLike) -> Any:
    """The run config a checkpoint records, or ``None`` when it cannot be read: for messages
    that say which settings differ, never for loading."""
    try:
        return json.loads(read_header(Path(run_dir) / FILE_NAME).metadata.get(_SKELETON, "null")).get("config")
    except (WeightsError, ValueError, AttributeError, RecursionError):
        return None


def _check_like(header: Any, own: dict[str, torch.Tensor]) -> None:
    """The file's tensors against the state they will be loaded into (shapes and total bytes)."""
    wrong = sorted(k for k, t in own.items() if k not in header.tensors or header.tensors[k].shape != tuple(t.shape))
    if wrong:
        stored = header.tensors.get(wrong[0])
        raise ValueError(f"tensor {shorten(wrong[0])} is {'missing' if stored is None else f'of shape {list(stored.shape)}'}"
                         f", the run's is of shape {list(own[wrong[0]].shape)} ({len(wrong)} such tensor(s))")
    allowed = GROWTH * sum(t.numel() * t.element_size() for t in own.values()) + SLACK_BYTES
    if header.data_bytes > allowed:
        raise ValueError(f"it declares {header.data_bytes:,} bytes of tensors, more than the {allowed:,} a checkpoint "
                         "of this run can hold")


def _check_skeleton(skeleton: Any, stored: set[str]) -> None:
    """The skeleton is a JSON object with a whole-number step, naming exactly the stored tensors."""
    if not isinstance(skeleton, dict):
        raise ValueError(f"its training state is a JSON {type(skeleton).__name__}, not an object")
    step = skeleton.get("step", 0)
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= MAX_STEP:
        raise ValueError(f"its step must be a whole number from 0 to {MAX_STEP}, got {shorten(step)}")
    named = tensor_keys(skeleton)
    missing, unused = sorted(set(named) - stored), sorted(stored - set(named))
    if missing or unused:
        problem = (f"tensor {shorten(missing[0])} is named but not stored" if missing
                   else f"tensor {shorten(unused[0])} is stored but not named")
        raise ValueError(f"{problem} ({len(missing)} missing, {len(unused)} unnamed)")
