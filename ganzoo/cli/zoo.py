"""``ganzoo zoo add RUN_DIR NAME``: a finished run as pretrained weights a plugin can ship.

It writes ``NAME.safetensors`` (the generator in fp16, its metadata extended with the command
that reproduces it and the metrics the run recorded, or measured with ``--evaluate``), checks
that ``ganzoo.load`` rebuilds it, and prints the ``WeightsSpec(...)`` with its sha256 and size,
ready to paste into ``register_weights``. The file and the spec come from
:mod:`ganzoo.io.zoo_entry`, the code path ``scripts/build_zoo.py`` builds ganzoo's own zoo with.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console, print_json


def add_parser(sub: Any) -> None:
    p = sub.add_parser("zoo", help=help_of("zoo"))
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="write RUN_DIR's generator as NAME.safetensors (fp16) and print its WeightsSpec",
                           description="Write a finished run's generator (the averaged one when the run kept it) as "
                           "OUT/NAME.safetensors in fp16, with the command and metrics in its metadata, and print the "
                           "WeightsSpec(...) (sha256, size, metrics, command) for the plugin's register_weights hook.")
    a.add_argument("run", metavar="RUN_DIR", help="a finished run folder (or a generator .safetensors file)")
    a.add_argument("name", metavar="NAME", help="the entry's name, MODEL.TAG (e.g. acme-gan.digits)")
    a.add_argument("--out", default=".", metavar="DIR",
                   help="where NAME.safetensors goes, e.g. your_package/weights (default: the current folder)")
    a.add_argument("--package", default="", metavar="PKG",
                   help="the plugin's package, for the spec's file='PKG:weights/NAME.safetensors' (default: a placeholder)")
    a.add_argument("--command", default=None, metavar="TEXT",
                   help="the command that reproduces the weights (default: rebuilt from the run's config.json, with "
                        "`ganzoo --threads N` when the run was limited to N threads)")
    a.add_argument("--license", default=None, metavar="TEXT",
                   help="the weights' licence, and the training data's (default: a line that says it was not stated)")
    a.add_argument("--evaluate", action="store_true",
                   help="measure the fp16 file as `ganzoo eval` does and record those metrics (default: the metrics "
                        "the run recorded, from --eval-every)")
    a.add_argument("--features", default="auto", choices=("auto", "digits", "fashion", "inception"),
                   help="with --evaluate: the feature space, as `ganzoo eval --features`")
    a.add_argument("--json", action="store_true", help="print the spec's fields as JSON instead of Python")
    p.set_defaults(func=cmd_zoo)


def cmd_zoo(args: argparse.Namespace) -> int:
    from ganzoo.api import load
    from ganzoo.core.entry_sample import draw_sample
    from ganzoo.errors import GanzooError
    from ganzoo.eval.evaluation import check_feature_network, evaluate
    from ganzoo.io import zoo_entry
    from ganzoo.io.pretrained import sha256_of
    from ganzoo.io.weights import read_metadata
    from ganzoo.plugin.specs import WeightsSpec

    source, run_dir = zoo_entry.generator_of(args.run)
    meta = read_metadata(source)
    if "model" not in meta:
        raise GanzooError(f"{source} has no ganzoo metadata: only weights saved by ganzoo can become a zoo entry")
    zoo_entry.check_entry_name(args.name, str(meta["model"]))
    if args.evaluate:  # a missing feature network: one line before anything is written
        check_feature_network(args.features, str(meta.get("dataset", "")), load(source, device="cpu").is_image_to_image)
    target = Path(args.out).expanduser() / f"{args.name}.safetensors"
    picture = target.with_suffix(".png")
    for path in (target, picture):
        if path.exists():
            raise GanzooError(f"{path} exists; remove it or pick another --out (ganzoo never overwrites it)")
    card = {"command": args.command or _command(run_dir, meta),
            "metrics": {} if args.evaluate else zoo_entry.recorded_metrics(meta, run_dir)}
    written = zoo_entry.write_fp16(source, target, exclusive=True, **card)
    if args.evaluate:  # the figures of the very file shipped (fp16), as build_zoo.py records them
        report = evaluate(target, features=args.features)
        written = zoo_entry.write_fp16(source, target, **{**card, "metrics": zoo_entry.headline(report)})
    model = load(target, device="cpu")  # it rebuilds from its own metadata, as users will load it
    drawn = None if model.is_image_to_image else draw_sample(model, picture, exclusive=True)
    license = args.license if args.license is not None else zoo_entry.unstated_license(meta)
    fields = zoo_entry.spec_fields(args.name, target, written, package=args.package, sha256=sha256_of(target),
                                   sample=drawn, license=license)
    WeightsSpec(**fields)  # the very checks register_weights applies
    if args.json:
        print_json(fields)
        return 0
    err = console(stderr=True)
    err.print(f"wrote {target} (fp16, {fields['size']:,} bytes)" + (f" and its sample grid {drawn}" if drawn else ""),
              markup=False, soft_wrap=True)
    if drawn is None:
        err.print(f"an image-to-image model gets no grid drawn here: draw outputs with `ganzoo sample {target} --input "
                  f"IMAGE_OR_FOLDER`, save one as {picture} and add sample=... to the spec", markup=False, soft_wrap=True)
    err.print(zoo_entry.paste_note(args.package, args.license is None), markup=False, soft_wrap=True)
    print(zoo_entry.spec_source(fields))
    return 0


def _command(run_dir: Path | None, meta: dict[str, Any]) -> str:
    """The command from the run's ``config.json`` (every setting that changes the weights), else
    what the weights record."""
    from ganzoo.core.config import TrainConfig
    from ganzoo.core.run_command import reproducing_command
    from ganzoo.io.zoo_entry import recorded_command
    from ganzoo.plugin.discovery import get_registry

    if run_dir is None or meta.get("command"):
        return recorded_command(meta)["command"]
    threads = str(meta.get("threads", ""))
    return reproducing_command(get_registry(), TrainConfig.from_run_dir(run_dir), threads=int(threads) if threads.isdigit() else None)
