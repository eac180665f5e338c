"""Speed switches of a run: number format (autocast, loss scaling), compilation,
and the one free saving every run takes (:func:`frozen`).

``precision`` picks the dtype of the forward passes and losses: ``fp32`` (no autocast),
``bf16`` or ``fp16`` under :func:`torch.autocast`. Weights, optimizer state and the backward
passes' parameter gradients stay fp32. fp16's narrow range needs loss scaling: each optimizer
gets its own :class:`torch.amp.GradScaler` (disabled, i.e. a pass-through, for fp32 and bf16),
whose state goes into checkpoints so that a resumed run is exact.

Gradient penalties (WGAN-GP) take the gradient of the critic's scores with respect to its
inputs (``autograd.grad(create_graph=True)``) inside the loss plugin, which knows nothing of
loss scaling. Under bf16 the penalty runs under the run's autocast like the rest of the step:
bf16 has fp32's exponent range, so that inner gradient can neither overflow nor underflow and
only loses precision (the tests check it matches fp32 within bf16 tolerance). Under fp16 the
inner gradient would be unscaled fp16 and may underflow, so the penalty is computed in fp32
instead (autocast off, inputs cast to fp32) rather than by PyTorch's "scale the output, unscale
the gradients" recipe: it costs one full-precision critic pass, but needs no loss-scale inside
the plugin, so the loss contract is unchanged and every plugin's penalty stays correct.

Under fp16 the scalers look for inf/NaN gradients on the host once per optimizer step (torch's
non-fused optimizers need it); fp32 and bf16 steps stay free of host syncs.

``torch.compile`` cannot differentiate twice (no double backward), so penalties always run
the compiled nets eagerly (:func:`torch.compiler.set_stance`), and so do the rare evaluation
passes (sample grids, held-out scores), which would otherwise compile extra graphs.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, ContextManager, Iterator

import torch
from torch import nn

from ganzoo.errors import ConfigError

#: ``precision`` setting -> autocast dtype (None: no autocast).
DTYPES: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """The autocast context, penalty context and loss scalers of one run on ``device``."""

    def __init__(self, name: str, device: torch.device, compiled: bool = False) -> None:
        if name not in DTYPES:
            raise ConfigError(f"unknown precision {name!r}; use fp32, bf16 or fp16")
        self.name, self.dtype, self.device_type, self.compiled = name, DTYPES[name], device.type, compiled
        if self.dtype is not None and not torch.amp.autocast_mode.is_autocast_available(self.device_type):
            raise ConfigError(f"--precision {name} needs autocast, which torch {torch.__version__} lacks on {device}; use fp32")
        if self.dtype is not None and not _autocast_supports(self.device_type, self.dtype):
            raise ConfigError(f"torch {torch.__version__} cannot autocast to {name} on {device}; use --precision fp32 or bf16")

    def autocast(self) -> ContextManager[Any]:
        """Where forward passes and losses run: reduced precision unless fp32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    @contextlib.contextmanager
    def penalty(self) -> Iterator[None]:
        """Where gradient penalties run (see the module docstring): eager, and fp32 under fp16."""
        with contextlib.ExitStack() as stack:
            if self.compiled:
                stack.enter_context(torch.compiler.set_stance("force_eager"))
            if self.name == "fp16":
                stack.enter_context(torch.autocast(self.device_type, enabled=False))
            yield

    def eager(self) -> ContextManager[Any]:
        """Run compiled nets eagerly (rare evaluation passes)."""
        return torch.compiler.set_stance("force_eager") if self.compiled else contextlib.nullcontext()

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A loss scaler for one optimizer: active for fp16, a pass-through otherwise."""
        return torch.amp.GradScaler(self.device_type, enabled=self.name == "fp16")


def _autocast_supports(device_type: str, dtype: torch.dtype) -> bool:
    """Whether ``torch.autocast(device_type, dtype)`` really casts (torch warns and disables it otherwise)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with torch.autocast(device_type, dtype=dtype):
                return torch.is_autocast_enabled(device_type)
        except (RuntimeError, TypeError):
            return False


def check_compile(device: torch.device) -> None:
    """Refuse ``--compile`` where ``torch.compile`` cannot work, before anything is trained."""
    import torch._dynamo.eval_frame as eval_frame

    try:
        eval_frame.check_if_dynamo_supported()
    except RuntimeError as exc:
        raise ConfigError(f"--compile cannot work with Python {sys.version.split()[0]} and torch {torch.__version__} ({exc}); drop --compile") from None
    if device.type == "cpu":
        from torch._inductor import cpp_builder

        try:
            cpp_builder.get_cpp_compiler()
        except Exception:  # inductor raises its own InvalidCxxCompiler (or a platform error)
            raise ConfigError("--compile needs a C++ compiler for torch's CPU backend and none was found "
                              "(install g++ or clang++, or set CXX); drop --compile") from None
    elif device.type == "cuda":
        from torch.utils._triton import has_triton

        if not has_triton():
            raise ConfigError("--compile needs triton for torch's CUDA backend (pip install triton); drop --compile")


def compile_net(net: nn.Module) -> nn.Module:
    """Compile ``net`` in place: its ``state_dict`` keeps the plain keys (no ``_orig_mod.``)."""
    net.compile()
    return net


@contextlib.contextmanager
def compile_failures(compiled: bool) -> Iterator[None]:
    """Turn a failure of ``torch.compile`` at the first step into a one-line error (a backstop:
    :func:`check_compile` catches the known causes before training)."""
    if not compiled:
        yield
        return
    from torch._dynamo.exc import BackendCompilerFailed

    try:
        yield
    except BackendCompilerFailed as exc:
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise ConfigError(f"torch.compile failed ({first}); drop --compile") from exc


@contextlib.contextmanager
def frozen(net: nn.Module, active: bool = True) -> Iterator[None]:
    """Forward passes of ``net`` inside record no gradient for ``net``'s own parameters.

    The generator step runs the discriminator forward and backward to reach the generator, and
    a plain loop (pytorch/examples' DCGAN) also computes the discriminator's weight gradients
    there, only for its next step to clear them before its own backward. Skipping them changes
    no number the run computes and saves their share of the backward pass. The autograd graph
    remembers what required grad when it was recorded, so the flags are restored on exit,
    before the backward. ``active=False`` (several processes: DistributedDataParallel expects
    every parameter's gradient hook) leaves ``net`` as it is.
    """
    params = [p for p in net.parameters() if p.requires_grad] if active else []
    for param in params:
        param.requires_grad_(False)
    try:
        yield
    finally:
        for param in params:
            param.requires_grad_(True)
