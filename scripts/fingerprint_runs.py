"""Fixed-seed short runs of every model, fingerprinted tensor by tensor.

A refactoring that claims "nothing changes" runs this before and after and compares the
tables: every weights file a run leaves (generator, discriminator, EMA, best, checkpoint)
is hashed over its tensors' names, dtypes, shapes and bytes (file bytes would differ:
safetensors orders metadata at random). Each run is the real CLI in a subprocess.

    python scripts/fingerprint_runs.py --out before.json
    python scripts/fingerprint_runs.py --out after.json --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (case, ganzoo run arguments): every model, plus the switches that must not perturb training.
CASES = [
    ("dcgan", ["dcgan", "--steps", "12", "--sample-every", "6", "--checkpoint-every", "6"]),
    ("dcgan+eval+report", ["dcgan", "--steps", "12", "--sample-every", "6", "--checkpoint-every", "6",
                           "--eval-every", "6", "--class-report-every", "6"]),
    ("wgan", ["wgan", "--steps", "4"]),
    ("wgan-gp", ["wgan-gp", "--steps", "4"]),
    ("gan", ["gan", "--steps", "12"]),
    ("cgan+ema+eval", ["cgan", "--steps", "12", "--ema", "0.99", "--eval-every", "6", "--class-report-every", "6"]),
    ("pix2pix", ["pix2pix", "--steps", "6", "--sample-every", "3", "--eval-every", "3", "--set", "ngf=16", "--set", "ndf=16"]),
    ("srgan", ["srgan", "--steps", "6", "--content", "mse", "--pretrain-steps", "3", "--sample-every", "3", "--eval-every", "3"]),
]


def tensor_digest(path: Path) -> str:
    from safetensors import safe_open

    digest = hashlib.sha256()
    with safe_open(str(path), framework="pt") as f:
        for key in sorted(f.keys()):
            t = f.get_tensor(key)
            digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
            digest.update(t.contiguous().view(-1).view(dtype=__import__("torch").uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def run_case(args: list[str], folder: Path) -> dict[str, str]:
    cmd = [sys.executable, "-m", "ganzoo", "--threads", "1", "run", *args, "--seed", "0", "--out", str(folder), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return {p.name: tensor_digest(p) for p in sorted(folder.glob("*.safetensors"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON file for the table")
    parser.add_argument("--compare", help="an earlier table to compare with")
    parser.add_argument("--only", nargs="*", help="case names to run")
    args = parser.parse_args()
    table: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, run_args in CASES:
            if args.only and name not in args.only:
                continue
            start = time.perf_counter()
            table[name] = run_case(run_args, Path(tmp) / name.replace("+", "_"))
            print(f"{name:20s} {time.perf_counter() - start:6.1f} s  " + "  ".join(f"{k.split('.safetensors')[0]}={v}" for k, v in table[name].items()), flush=True)
    Path(args.out).write_text(json.dumps(table, indent=2) + "\n")
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        same = True
        for name, files in table.items():
            for file, digest in files.items():
                old = before.get(name, {}).get(file)
                mark = "identical" if old == digest else f"DIFFERENT (before {old})"
                same &= old == digest
                print(f"{name:20s} {file:36s} {digest}  {mark}")
        print("all identical" if same else "SOME DIFFER")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
