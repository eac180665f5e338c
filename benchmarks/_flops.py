"""Model FLOPs and the machine's matmul peak, measured in the same process so that load cancels.

``counted(fn)`` runs ``fn`` once under :class:`torch.utils.flop_counter.FlopCounterMode` and
returns the FLOPs torch's kernels report for it (matmuls, convolutions and their backward
passes, attention: the work that scales with the model; element-wise ops and optimizer updates
are not counted, so the share below is of the compute-bound work). ``matmul_peak`` times an
``n`` x ``n`` matmul in ``dtype`` on ``device`` (2 n^3 FLOPs), median of ``repeats``: the rate
this process can reach right now, with its threads, at this load. Imports torch only when called.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Peak:
    """A matmul peak reading: FLOP/s by the wall clock and per CPU second of this process."""

    wall: float
    cpu: float


def counted(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``(fn(), its FLOPs)``, counted by torch's FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        result = fn()
    return result, int(counter.get_total_flops())


def matmul_peak(dtype: str = "fp32", device: str = "cpu", n: int = 2048, repeats: int = 5) -> Peak:
    """The ``n`` x ``n`` matmul's FLOP/s (median of ``repeats`` after one untimed call)."""
    import torch

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    a = torch.randn(n, n, device=device).to(torch_dtype)
    b = torch.randn(n, n, device=device).to(torch_dtype)
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    a @ b
    sync()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        a @ b
        sync()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    flops = 2 * n**3
    return Peak(flops / sorted(walls)[len(walls) // 2], flops / max(sorted(cpus)[len(cpus) // 2], 1e-9))


def share(achieved: float, peak: float) -> float:
    """``achieved`` as a share of ``peak`` (nan without a peak)."""
    return achieved / peak if peak > 0 else float("nan")
