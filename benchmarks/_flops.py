"""Model FLOPs and the machine's matmul peak, measured in the same process so that load cancels.

``counted(fn)`` runs ``fn`` once and returns the FLOPs that the formulas of
:class:`torch.utils.flop_counter.FlopCounterMode` give for the ops it ran (matmuls, convolutions and their backward
passes, attention: the work that scales with the model; element-wise ops and optimizer updates
are not counted, so the share below is of the compute-bound work). ``matmul_peak`` times an
``n`` x ``n`` matrix product in ``dtype`` on ``device`` (2 n^3 FLOPs), median of ``repeats``: the rate
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
    """``(fn(), its FLOPs)``, by the formulas of torch's FlopCounterMode (``flop_registry``).

    A bare dispatch mode rather than ``FlopCounterMode`` itself: the latter tracks modules with
    backward hooks, which ``autograd.grad`` (WGAN-GP's penalty) refuses."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    total = 0

    class Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            nonlocal total
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            formula = flop_registry.get(func._overloadpacket)
            if formula is not None:
                total += int(formula(*args, **kwargs, out_val=out))
            return out

    with Count():
        result = fn()
    return result, total


def matmul_peak(dtype: str = "fp32", device: str = "cpu", n: int = 2048, repeats: int = 5) -> Peak:
    """The FLOP/s of an ``n`` x ``n`` x ``n`` matrix product, the faster of the two GEMM paths
    torch has (``torch.mm``, i.e. MKL/OpenBLAS on CPU, and a 1x1 channels-last convolution,
    i.e. oneDNN, which the nets' convolutions use): median of ``repeats`` after one untimed call."""
    import torch

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    a = torch.randn(n, n, device=device).to(torch_dtype)
    b = torch.randn(n, n, device=device).to(torch_dtype)
    cl = torch.channels_last
    image = a.T.reshape(1, n, n // 64, 64).contiguous(memory_format=cl)  # n pixels of n channels
    kernel = b.reshape(n, n, 1, 1).contiguous(memory_format=cl)
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    best = Peak(0.0, 0.0)
    with torch.no_grad():
        for product in (lambda: a @ b, lambda: torch.nn.functional.conv2d(image, kernel)):
            product()
            sync()
            walls, cpus = [], []
            for _ in range(repeats):
                wall, cpu = time.perf_counter(), time.process_time()
                product()
                sync()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            flops = 2 * n**3
            reading = Peak(flops / sorted(walls)[len(walls) // 2], flops / max(sorted(cpus)[len(cpus) // 2], 1e-9))
            best = Peak(max(best.wall, reading.wall), max(best.cpu, reading.cpu))
    return best


def share(achieved: float, peak: float) -> float:
    """``achieved`` as a share of ``peak`` (nan without a peak)."""
    return achieved / peak if peak > 0 else float("nan")
