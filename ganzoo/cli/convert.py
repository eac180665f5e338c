"""``ganzoo convert``: another project's checkpoint -> a ganzoo weights file
(:mod:`ganzoo.interop.convert`). torch loads inside the command, so that ``--help`` stays quick."""

from __future__ import annotations

import argparse
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console

#: The formats ``--format`` accepts, spelled here so that building the parser imports no torch
#: (a test checks them against :data:`ganzoo.interop.convert.FORMATS`).
FORMAT_NAMES = ("dcgan-examples", "pix2pix-unet", "srresnet-leftthomas")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("convert", help=help_of("convert"),
                       description="Convert a checkpoint of pytorch/examples' dcgan (netG/netD_epoch_*.pth), "
                                   "pytorch-CycleGAN-and-pix2pix (latest_net_G.pth, unet_128/unet_256) or "
                                   "leftthomas/SRGAN (netG_epoch_*.pth) into a ganzoo weights file. Only "
                                   "torch.load(weights_only=True) reads it: a pickle carrying code is refused.")
    p.add_argument("checkpoint", help="the .pth (or .safetensors) state dict to convert")
    p.add_argument("-o", "--output", required=True, metavar="OUT.safetensors", help="the ganzoo weights file to write")
    p.add_argument("--format", choices=FORMAT_NAMES, help="the checkpoint's format (default: told from its keys and shapes)")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.set_defaults(func=cmd_convert)


def cmd_convert(args: argparse.Namespace) -> int:
    from ganzoo.core.tasks import adapter_for
    from ganzoo.interop.convert import convert

    done = convert(args.checkpoint, args.output, format=args.format, force=args.force)
    lines = [f"converted {args.checkpoint} ({done.format}: {done.summary}; {done.num_params:,} parameters) to {done.path}",
             *(f"  note: {note}" for note in done.notes)]
    if done.role == "generator":
        lines.append(f"  use it: ganzoo sample {done.path}" + (" --input IMAGES" if adapter_for(done.card.task, done.card.config).image_to_image else ""))
    console().print("\n".join(lines), markup=False, soft_wrap=True)
    return 0
