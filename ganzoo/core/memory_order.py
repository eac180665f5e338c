"""Memory order of nets and image batches: channels-last wherever it is measured faster.

Channels-last (NHWC) is the same fp32 math in another memory order: oneDNN's CPU convolutions
and cuDNN's tensor-core kernels work in it natively, so a net and its inputs in that order skip
a reorder around every convolution. Training uses it by default (``channels_last``), and so does
inference (:class:`ganzoo.core.model.GanModel` sets ``channels_last = True``), measured by
``benchmarks/inference_layout.py`` in one run: SRResNet upscaling a 600x512 photograph 1.32x
faster than contiguous (load 7.6 on 2 cores), DCGAN sampling 0.95-1.31x in three runs (median
1.16x). Not on Apple's MPS, whose channels-last convolutions are partial.
"""

from __future__ import annotations

import torch
from torch import nn


def channels_last_on(asked: bool, device: torch.device) -> bool:
    """Whether nets on ``device`` go channels-last: as asked, except on Apple's MPS. For training
    the default is measured (``benchmarks/train_throughput.py``, 2 CPU cores, 1 thread: 1.40x
    the plain loop on the digits and 1.32x on 64 px RGB images with the frozen discriminator,
    against 1.07x and 1.03x without channels-last); fixed-seed runs still repeat bit for bit."""
    return bool(asked) and device.type != "mps"


def to_channels_last(tensor: torch.Tensor | None) -> torch.Tensor | None:
    """An image batch (N x C x H x W) in channels-last memory format; anything else unchanged."""
    if tensor is None or tensor.dim() != 4 or not tensor.is_floating_point():
        return tensor
    return tensor.contiguous(memory_format=torch.channels_last)


def set_order(net: nn.Module, channels_last: bool) -> nn.Module:
    """``net`` with its 4-D weights (convolutions) in channels-last order, or back to contiguous;
    in place, and cheap when they already are (each weight is then returned as it is)."""
    return net.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
