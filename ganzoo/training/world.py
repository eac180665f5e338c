"""Which process of a run this is, and what a data-parallel launch must satisfy.

Torch-free, so the ``ganzoo run --nproc N`` launcher (:mod:`ganzoo.cli.launch`) and the CLI
can check a run before any process (or torch) starts; the runtime itself is
:mod:`ganzoo.training.distributed`.
"""

from __future__ import annotations

import os

from ganzoo.errors import ConfigError, GanzooError

SYNC_BN_NEEDS_CUDA = "--sync-bn needs CUDA devices (torch's SyncBatchNorm refuses CPU modules); leave it out on CPU"


class RanksOutOfSync(GanzooError):
    """The processes of a data-parallel run hold different weights (a bug, never expected)."""

    exit_code = 1


def env_world() -> tuple[int, int, int] | None:
    """``(world_size, rank, local_rank)`` from torchrun's environment; None for a single process."""
    raw = os.environ.get("WORLD_SIZE")
    if not raw:
        return None
    try:
        world = int(raw)
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise ConfigError(f"WORLD_SIZE, RANK and LOCAL_RANK must be whole numbers, got {raw!r}, "
                          f"{os.environ.get('RANK')!r}, {os.environ.get('LOCAL_RANK')!r}") from None
    if world <= 1:
        return None
    if not 0 <= rank < world:
        raise ConfigError(f"RANK {rank} is outside WORLD_SIZE {world}")
    return world, rank, local


def is_main_process() -> bool:
    """Whether this process prints and writes: always, unless it is a non-zero torchrun rank."""
    return os.environ.get("RANK", "0") == "0" or (os.environ.get("WORLD_SIZE") or "1") == "1"


def check_world(batch_size: int, world_size: int) -> None:
    """Refuse a global batch that does not split evenly over the processes."""
    if batch_size % world_size:
        raise ConfigError(
            f"--batch-size {batch_size} does not split evenly over {world_size} processes; "
            f"use a multiple of {world_size} (it is the global batch: each process draws batch-size / {world_size})"
        )


def check_device_name(name: str | None) -> None:
    """Refuse a ``--device`` that data-parallel runs cannot use (torch-free, for the launcher too)."""
    name = str(name or "auto")
    if name.startswith("cuda:"):
        raise ConfigError(f"with several processes each one uses cuda:LOCAL_RANK; pass --device cuda, not {name!r}")
    if name not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"data-parallel training runs on cpu or cuda devices, not {name!r}; pass --device auto, cpu or cuda")
