"""Full training checkpoints in safetensors: no pickle, even for optimizer and RNG state.

Any nested structure of dicts, lists, numbers, strings and tensors is split into a JSON
skeleton (stored in the file's metadata) and a flat ``{key: tensor}`` map, and joined again
on load. One file, ``checkpoint.safetensors``, replaced atomically at every save.
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
from ganzoo.io.weights import read_tensors, save_tensors

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
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else g for g in state["param_groups"]]
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


def read_checkpoint(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The training state in ``run_dir/checkpoint.safetensors`` (what :func:`write_checkpoint` wrote)."""
    path = Path(run_dir) / FILE_NAME
    if not path.is_file():
        raise RunFolderError(f"{run_dir} has no {FILE_NAME} to resume from")
    from safetensors import SafetensorError, safe_open

    unreadable = f"{path} is not a readable ganzoo checkpoint"
    try:
        with safe_open(str(path), framework="pt") as fh:
            skeleton = json.loads((fh.metadata() or {}).get(_SKELETON, "null"))
        if skeleton is None:
            raise RunFolderError(f"{unreadable} (no training state in it)")
        return unflatten(skeleton, read_tensors(path))
    except RunFolderError:
        raise
    except (SafetensorError, OSError, ValueError, KeyError, TypeError, WeightsError) as exc:
        raise RunFolderError(f"{unreadable} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                             f"delete it to restart the run from step 0 with `ganzoo run --resume {run_dir}`") from None
