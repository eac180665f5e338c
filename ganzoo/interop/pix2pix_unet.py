"""junyanz/pytorch-CycleGAN-and-pix2pix U-Net generators: ``latest_net_G.pth`` of
``--netG unet_128`` (7 levels) or ``unet_256`` (8 levels), batch or instance norm, with or
without dropout.

The reference nests one ``UnetSkipConnectionBlock`` in the next (``model.model.1.model.3...``);
ganzoo's ``UNetGenerator`` (``plugins/pix2pix/nets.py``) lists the same levels side by side,
``downs[i]`` and ``ups[i]``, and computes the same function (the reference's in-place
LeakyReLU at the start of a level is ganzoo's at the end of the one before). The tensors of
level ``i`` (``p`` its block's prefix, ``model.`` then ``model.1.`` or ``model.3.`` per level):

==========  ============  ===================  =========  ==========
level       down conv     down norm            up conv    up norm
==========  ============  ===================  =========  ==========
outermost   ``p.0``       --                   ``p.3``    --
middle      ``p.1``       ``p.2``              ``p.5``    ``p.6``
innermost   ``p.1``       --                   ``p.3``    ``p.4``
==========  ============  ===================  =========  ==========

Dropout has no tensors, so a file cannot say whether it was on: ganzoo records pix2pix's
default (on), which changes nothing in eval mode. Instance norm is the reference's (no affine
parameters); running statistics that files of old PyTorch versions carry for it are dropped,
as the reference drops them.
"""

from __future__ import annotations

from typing import Mapping

import torch

from ganzoo.interop.conversion import BUFFERS, Conversion, LayoutError, renamed, tensor

NAME = "pix2pix-unet"
SUMMARY = "junyanz/pytorch-CycleGAN-and-pix2pix latest_net_G.pth, --netG unet_128 or unet_256"


def matches(state: Mapping[str, torch.Tensor]) -> bool:
    return "model.model.0.weight" in state and "model.model.3.weight" in state and any(
        key.startswith("model.model.1.model.") for key in state)


def _levels(state: Mapping[str, torch.Tensor]) -> list[tuple[str, str]]:
    """Each level's block prefix and kind, outermost first."""
    levels = [("model.model.", "outermost")]
    prefix = "model.model.1.model."
    while f"{prefix}3.model.1.weight" in state:
        levels.append((prefix, "middle"))
        prefix = f"{prefix}3.model."
    tensor(state, f"{prefix}3.weight", 4)  # the innermost block's transposed convolution
    levels.append((prefix, "innermost"))
    return levels


def read(state: Mapping[str, torch.Tensor]) -> Conversion:
    levels = _levels(state)
    depth = len(levels)
    instance = f"{levels[1][0]}1.bias" in state  # the reference's convolutions carry a bias only with instance norm
    names: dict[str, str] = {}
    norms: list[str] = []
    for i, (p, kind) in enumerate(levels):
        down, up = {"outermost": ("0", "3"), "middle": ("1", "5"), "innermost": ("1", "3")}[kind]
        names[p + down] = f"downs.{i}.0"
        names[p + up] = f"ups.{i}.1"
        level_norms = {"outermost": {}, "middle": {"2": f"downs.{i}.1", "6": f"ups.{i}.2"}, "innermost": {"4": f"ups.{i}.2"}}[kind]
        norms += [p + n for n in level_norms]
        if not instance:
            names.update({p + n: g for n, g in level_norms.items()})
    ignored = tuple(f"{n}.{b}" for n in norms for b in BUFFERS) if instance else ()
    tensors = renamed(state, names, ignored)
    first, last = tensor(state, "model.model.0.weight", 4), tensor(state, "model.model.3.weight", 4)
    size = 2**depth
    if size not in (64, 128, 256):
        raise LayoutError(f"it is a U-Net of {depth} levels; ganzoo's pix2pix has 6, 7 or 8 (unet_64, unet_128, unet_256)")
    norm = "instance" if instance else "batch"
    config = {"image_size": size, "input_channels": int(first.shape[1]), "channels": int(last.shape[1]),
              "ngf": int(first.shape[0]), "norm": norm, "dropout": True}
    summary = (f"generator unet_{size}, ngf {config['ngf']}, {norm} norm, {config['input_channels']} -> "
               f"{config['channels']} channel(s), {size}x{size}")
    notes = ("dropout is recorded as on (pix2pix's default; a file cannot tell): it acts in train mode only",)
    return Conversion("pix2pix", "pix2pix", "generator", config, tensors, summary, notes)
