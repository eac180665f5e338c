"""Retrain a zoo entry from its recorded command and compare with what the zoo recorded.

    python scripts/reproduce_zoo.py dcgan.digits [--workdir DIR] [--tolerance 0.25]

Runs the entry's ``command`` (``ganzoo ... run ... --out DIR/NAME``) as a real subprocess,
stores the result in fp16 exactly as ``scripts/build_zoo.py`` does, evaluates it as ``ganzoo
eval`` does and prints recorded vs reproduced metrics. On the same machine, torch build and
thread count the weights are normally bit-identical (the script compares the tensors; an entry that
recorded ``channels_last`` false is retrained with ``--no-channels-last``, its memory layout); elsewhere floating
point differs, so each metric must land within ``--tolerance`` (relative) of the record.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import ganzoo
from ganzoo.io import weights
from ganzoo.io.pretrained import resolve_weights
from build_zoo import ENTRIES, headline, write_fp16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=[e["name"] for e in ENTRIES])
    parser.add_argument("--workdir", type=Path, default=None, help="where the run goes (default: a temp folder)")
    parser.add_argument("--tolerance", type=float, default=0.25, help="allowed relative difference per metric")
    args = parser.parse_args()
    from ganzoo.plugin.discovery import get_registry

    spec = get_registry().pretrained(args.name)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ganzoo-reproduce-"))
    run = workdir / args.name
    command = shlex.split(spec.command)
    assert command[0] == "ganzoo"
    # Entries trained before channels-last became the default (0.2) record channels_last false:
    # the same memory layout is what makes the weights bit-identical (the math is the same).
    layout = ["--no-channels-last"] if weights.read_metadata(resolve_weights(args.name))["training"].get(
        "channels_last") is False else []
    full = [sys.executable, "-m", "ganzoo", *command[1:], *layout, "--out", str(run), "--no-progress"]
    print("running:", spec.command, *layout, "--out", run, flush=True)
    start = time.perf_counter()
    subprocess.run(full, check=True)
    minutes = (time.perf_counter() - start) / 60
    rebuilt = workdir / f"{args.name}.safetensors"
    write_fp16(run, rebuilt, spec.command)
    report = ganzoo.evaluate(rebuilt, device="cpu")
    now = headline(report)
    # Not the file's sha256: safetensors writes the metadata entries in a random order per process.
    original = resolve_weights(args.name)
    shipped, new = weights.read_tensors(original), weights.read_tensors(rebuilt)
    same = shipped.keys() == new.keys() and all(torch.equal(shipped[k], new[k]) for k in shipped)
    changed = sorted(k for k, v in weights.read_metadata(original).items() if weights.read_metadata(rebuilt).get(k) != v)
    print(f"\n{args.name}: retrained in {minutes:.1f} min; weights {'bit-identical to' if same else 'differ from'} the shipped ones; "
          f"metadata {'identical' if not changed else 'differs in ' + ', '.join(changed)}")
    print(f"{'metric':<22}{'recorded':>12}{'reproduced':>12}{'rel. diff':>11}")
    worst = 0.0
    for key, recorded in spec.metrics.items():
        if key.startswith(("floor_", "baseline_")):
            continue
        value = now.get(key, float("nan"))
        diff = abs(value - recorded) / max(abs(recorded), 1e-8)
        worst = max(worst, diff)
        print(f"{key:<22}{recorded:>12.4g}{value:>12.4g}{diff:>10.1%}")
    ok = same or worst <= args.tolerance
    print(f"{'PASS' if ok else 'FAIL'}: largest relative difference {worst:.1%} (tolerance {args.tolerance:.0%})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
