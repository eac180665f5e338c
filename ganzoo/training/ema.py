"""An exponential moving average (EMA) of the generator's weights.

GAN generators oscillate around a good solution; averaging their parameters over the last
~``1 / (1 - decay)`` steps gives smoother, usually better samples (Yazici et al., arXiv
1806.04498; used by ProGAN, StyleGAN, BigGAN). After every generator step each parameter
becomes ``ema = decay * ema + (1 - decay) * param`` (one fused ``lerp`` over all of them, on
the device, with no host sync); buffers such as batch-norm running statistics are not
averaged but copied from the live generator. The averaged copy is only used for evaluation
and saving: it is never trained.

The decay warms up: update ``n`` (from 0) uses ``min(decay, (1 + n) / (10 + n))``, as
TensorFlow's ``ExponentialMovingAverage(num_updates=...)`` does. Without it an average with
decay 0.999 still holds about half of the *random initial* weights after 700 steps, so a
short run's EMA samples are noise (measured: FD-digits 100 against 5.4 for the raw cGAN
after 600 steps).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from ganzoo.io.run_folder import EMA_GENERATOR_FILE

#: Where a run writes the averaged generator, beside ``generator.safetensors``.
FILE_NAME = EMA_GENERATOR_FILE


class EMA:
    """An averaged copy of ``net`` (``module``, in eval mode, without gradients)."""

    def __init__(self, net: nn.Module, decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must lie strictly between 0 and 1, got {decay!r}")
        self.decay = float(decay)
        self.updates = 0
        self.module = copy.deepcopy(net).eval().requires_grad_(False)

    def current_decay(self) -> float:
        """The decay the next update uses (warmed up over the first updates)."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, net: nn.Module) -> None:
        """Move the average towards ``net``'s current parameters; copy its buffers."""
        averaged = [p for p in self.module.parameters()]
        live = [p.detach() for p in net.parameters()]
        if len(averaged) != len(live):
            raise ValueError(f"the EMA holds {len(averaged)} parameters, the net {len(live)}")
        if averaged:
            torch._foreach_lerp_(averaged, live, 1.0 - self.current_decay())
        self.updates += 1
        for mine, theirs in zip(self.module.buffers(), net.buffers()):
            mine.copy_(theirs)

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self.module.state_dict(), "updates": torch.tensor(self.updates, dtype=torch.int64)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["weights"])
        self.updates = int(state["updates"])
