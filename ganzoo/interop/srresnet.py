"""SRResNet generators from leftthomas/SRGAN (``netG_epoch_S_N.pth``: ``torch.save`` of its
``Generator(scale_factor).state_dict()``).

Its layout is the paper's SRResNet, which ganzoo's ``srgan`` generator also is
(``plugins/srgan/nets.py``): ``block1`` (9x9 conv, PReLU) -> ``head``; ``block2`` .. ``blockB+1``
residual blocks (``conv1 bn1 prelu conv2 bn2``) -> ``body``; the next block (conv, BN) ->
``body_end``; the last (``UpsampleBLock`` stages of conv, PixelShuffle, PReLU, then the 9x9
conv) -> ``upsample`` and ``tail``. Two conventions differ, and neither moves a weight:

- it reads images in [0, 1]: the converted model records ``unit_input`` (an ``srgan``
  setting), so ganzoo's [-1, 1] inputs reach its first convolution as the [0, 1] ones it saw;
- it returns ``(tanh + 1) / 2`` in [0, 1]; ganzoo's generator returns the ``tanh``, the same
  image in [-1, 1].

Its discriminator (global pooling and 1x1 convolutions) is not ganzoo's (a 6x6 grid and dense
layers), so only generators convert. twtygqyy/pytorch-SRResNet's ``_NetG`` is recognised and
refused: LeakyReLU where ganzoo has PReLU, instance norm where it has batch norm, no biases, no
``tanh``; no renaming maps it.
"""

from __future__ import annotations

import re
from typing import Mapping

import torch

from ganzoo.interop.conversion import Conversion, LayoutError, renamed, tensor

NAME = "srresnet-leftthomas"
SUMMARY = "leftthomas/SRGAN netG_epoch_*.pth (SRResNet generator, x2/x4/x8)"
#: The crop leftthomas/SRGAN trains on (its ``--crop_size``), recorded as ganzoo's ``image_size``
#: (8 divides it: every scale fits).
CROP_SIZE = 88

_BLOCK = re.compile(r"block(\d+)\.")


def matches(state: Mapping[str, torch.Tensor]) -> bool:
    return "block1.0.weight" in state and "block2.conv1.weight" in state


def refusal(state: Mapping[str, torch.Tensor]) -> str:
    """Why a recognised SRResNet layout cannot be converted, or ""."""
    if "conv_input.weight" in state and "residual.0.conv1.weight" in state:
        return ("twtygqyy/pytorch-SRResNet's _NetG does not map onto ganzoo's SRResNet (LeakyReLU and instance norm "
                "where ganzoo has PReLU and batch norm, no biases, no tanh), so it cannot be converted")
    return ""


def read(state: Mapping[str, torch.Tensor]) -> Conversion:
    blocks = sorted({int(m[1]) for key in state if (m := _BLOCK.match(key))})
    if blocks != list(range(1, len(blocks) + 1)) or len(blocks) < 4:
        raise LayoutError(f"its blocks are {', '.join(f'block{b}' for b in blocks)}, not block1 .. blockN (N >= 4)")
    *residual, end, last = blocks[1:]
    names = {"block1.0": "head.0", "block1.1": "head.1", f"block{end}.0": "body_end.0", f"block{end}.1": "body_end.1"}
    for i, b in enumerate(residual):
        names.update({f"block{b}.{peer}": f"body.{i}.body.{own}"
                      for peer, own in (("conv1", 0), ("bn1", 1), ("prelu", 2), ("conv2", 3), ("bn2", 4))})
    stages = sorted({int(k.split(".")[1]) for k in state if k.startswith(f"block{last}.") and ".conv." in k})
    for j in stages:
        names.update({f"block{last}.{j}.conv": f"upsample.{3 * j}", f"block{last}.{j}.prelu": f"upsample.{3 * j + 2}"})
    names[f"block{last}.{len(stages)}"] = "tail"
    tensors = renamed(state, names)
    head, tail = tensor(state, "block1.0.weight", 4), tensor(state, f"block{last}.{len(stages)}.weight", 4)
    scale = 2 ** len(stages)
    if stages != list(range(len(stages))) or scale not in (2, 4, 8):
        raise LayoutError(f"it upsamples in {len(stages)} stage(s); ganzoo's SRResNet takes 1, 2 or 3 (x2, x4, x8)")
    config = {"scale": scale, "channels": int(head.shape[1]), "width": int(head.shape[0]), "n_blocks": len(residual),
              "image_size": CROP_SIZE,
              "norm": "batch", "residual": "none", "icnr": False, "unit_input": True}
    if int(tail.shape[0]) != config["channels"]:
        raise LayoutError(f"it reads {config['channels']} channel(s) but writes {int(tail.shape[0])}")
    summary = (f"SRResNet generator x{scale}, {len(residual)} residual blocks, width {config['width']}, "
               f"{config['channels']} channel(s)")
    notes = ("it saw [0, 1] images; the converted model takes and returns ganzoo's [-1, 1] (setting unit_input)",)
    return Conversion("srgan", "srgan", "generator", config, tensors, summary, notes)
