"""``ganzoo export``: a generator as an ONNX file (:mod:`ganzoo.interop.onnx_export`).

torch and the exporter load inside the command, so that ``--help`` stays quick."""

from __future__ import annotations

import argparse
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console


def add_parser(sub: Any) -> None:
    p = sub.add_parser("export", help=help_of("export"))
    p.add_argument("weights", help="a generator .safetensors file, a run folder, or pretrained weights by name (dcgan.digits)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.onnx", help="the ONNX file to write")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from ganzoo.errors import MissingExtra

    # the extras are found, not imported, before the exporter imports torch: a missing one is
    # a line at once, not after seconds of start-up
    MissingExtra.check("onnx", "onnx", "ONNX export")
    MissingExtra.check("onnxscript", "onnx", "ONNX export (torch's exporter)")
    from ganzoo.interop.onnx_export import export_onnx

    done = export_onnx(args.weights, args.output, force=args.force)
    inputs = ", ".join(f"{name} {_shape(shape)}" for name, shape in done.inputs.items())
    checked = (f"onnxruntime matches torch to {done.max_difference:.1g}" if done.max_difference is not None
               else "not checked: pip install onnxruntime to compare it with torch")
    console().print(f"wrote {done.path} (opset {done.opset}): {inputs} -> image {_shape(done.output)}; {checked}",
                    markup=False, soft_wrap=True)
    return 0


def _shape(shape: list[int | str]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"
