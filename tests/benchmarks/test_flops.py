"""``benchmarks/_flops.py``: the FLOP counts and the matmul peak the utilisation table divides."""

from __future__ import annotations

import sys

import torch
from torch import nn

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import _flops  # noqa: E402


def test_a_matmul_counts_two_flops_a_multiply_add():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    out, flops = _flops.counted(lambda: a @ b)
    assert flops == 2 * 8 * 16 * 4 and out.shape == (8, 4)


def test_a_convolution_counts_forward_and_backward():
    conv = nn.Conv2d(3, 5, 3, padding=1)
    x = torch.randn(2, 3, 6, 6, requires_grad=True)
    forward = 2 * (2 * 6 * 6) * 5 * (3 * 3 * 3)  # output pixels x out channels x (in channels x kernel)
    assert _flops.counted(lambda: conv(x))[1] == forward
    assert _flops.counted(lambda: conv(x).sum().backward())[1] == 3 * forward  # + input and weight gradients


def test_counting_works_through_a_gradient_penalty():
    """WGAN-GP takes ``autograd.grad(create_graph=True)``, which FlopCounterMode's module hooks refuse."""
    critic = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 1))
    x = torch.randn(3, 1, 8, 8, requires_grad=True)

    def penalty() -> torch.Tensor:
        (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        loss = (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
        loss.backward()
        return loss

    _, flops = _flops.counted(penalty)
    assert flops > 3 * _flops.counted(lambda: critic(x))[1]


def test_the_peak_is_a_positive_rate_by_wall_clock_and_cpu_time():
    peak = _flops.matmul_peak("fp32", "cpu", n=128, repeats=1)
    assert peak.wall > 0 and peak.cpu > 0
    assert _flops.share(5.0, 10.0) == 0.5 and _flops.share(1.0, 0.0) != _flops.share(1.0, 0.0)  # nan without a peak
