"""Turn finished runs into the shipped zoo: fp16 generator files, sample grids, ``zoo.json``.

    python scripts/build_zoo.py RUNS_DIR [--only NAME ...]

``RUNS_DIR`` holds one run folder per entry, named like the entry (``RUNS_DIR/dcgan.digits``),
made with the entry's ``command`` below (``ganzoo run ... --out RUNS_DIR/NAME``). For each
entry the generator is stored in fp16 (the script prints the fp32 and fp16 metrics side by
side, so the precision choice is visible), evaluated with ``ganzoo.evaluate`` exactly as
``ganzoo eval NAME`` does, drawn into a sample grid, hashed, and recorded in the manifest.
``scripts/reproduce_zoo.py`` retrains an entry from the same command and compares.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch

import ganzoo
from ganzoo.io import weights
from ganzoo.io.images import save_grid
from ganzoo.core.model import WEIGHT_FILES, count_parameters

ZOO = Path(__file__).resolve().parent.parent / "plugins" / "zoo"
#: Metrics recorded in the manifest (and shown by ``ganzoo list --pretrained``), per task.
RECORDED = {
    "noise": ("fd_digits", "kid_digits", "precision", "recall", "classes_covered"),
    "class": ("fd_digits", "kid_digits", "precision", "recall", "classes_covered", "cond_accuracy"),
    "paired": ("psnr", "ssim", "l1"),
    "superres": ("psnr", "ssim"),
}
LICENSE = "MIT (weights, like ganzoo); the training images are scikit-learn's bundled data (BSD-3-Clause package)"

ENTRIES = [
    {
        "name": "dcgan.digits",
        "summary": "DCGAN, 32x32 handwritten digits (scikit-learn), 1,000 steps",
        "command": "ganzoo --threads 1 run dcgan --seed 0",
    },
    {
        "name": "cgan.digits",
        "summary": "Conditional GAN (projection discriminator), 32x32 digits by label, 600 steps, EMA 0.999 generator",
        "command": "ganzoo --threads 1 run cgan --ema 0.999 --seed 0",
    },
    {
        "name": "wgan-gp.digits",
        "summary": "WGAN-GP, 32x32 handwritten digits, 1,500 generator steps (5 critic steps each)",
        "command": "ganzoo --threads 1 run wgan-gp --steps 1500 --seed 0",
    },
    {
        "name": "pix2pix.edges2photos",
        "summary": "Pix2Pix U-Net (ngf 16), 64x64 edge map -> photo crops of scikit-learn's two photos, 1,000 steps",
        "command": "ganzoo --threads 1 run pix2pix --set ngf=16 --set ndf=32 --seed 0",
    },
    {
        "name": "srgan.photos-sr",
        "summary": "SRGAN-MSE x4 (SRResNet 1,000 steps + 200 adversarial), 32 px crops of scikit-learn's two photos",
        "command": "ganzoo --threads 1 run srgan --content mse --pretrain-steps 1000 --steps 1200 --seed 0",
    },
]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def headline(report: ganzoo.EvalReport) -> dict[str, float]:
    keys = [k for k in RECORDED[report.task] if k in report.metrics]
    out = {k: round(report.metrics[k], 4) for k in keys}
    twin = "floor" if report.features else "baseline"  # real-vs-real floor, or the identity/bicubic baseline
    out.update({f"{twin}_{k}": round(report.floor[k], 4) for k in keys if k in report.floor})
    return out


def write_fp16(run: Path, target: Path, command: str) -> int:
    """The run's generator (the EMA one when the run kept it) as an fp16 file with its card."""
    source = run / "generator.ema.safetensors"
    source = source if source.is_file() else run / WEIGHT_FILES["generator"]
    meta = weights.read_metadata(source)
    tensors = weights.read_tensors(source)
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    meta.update(precision="fp16", command=command)
    target.parent.mkdir(parents=True, exist_ok=True)
    weights.save_tensors(half, target, weights.encode_metadata(meta))
    model = ganzoo.load(target, device="cpu")
    return count_parameters(model.generator)


def draw_sample(model: ganzoo.GanModel, path: Path, dataset_images: torch.Tensor | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if model.is_image_to_image:
        assert dataset_images is not None
        inputs, targets = dataset_images
        outputs = model.transform(inputs)
        rows = model.task.comparison(inputs, outputs, targets)
        save_grid(rows, path, nrow=len(rows) // len(outputs))
    elif model.num_classes:
        images = torch.cat([model.sample(8, seed=0, labels=i) for i in range(model.num_classes)])
        save_grid(images, path, nrow=8)
    else:
        save_grid(model.sample(64, seed=0), path, nrow=8)


def held_out_examples(model: ganzoo.GanModel, run: Path, count: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    from ganzoo.data.datasets import as_float, load_dataset, split_holdout
    from ganzoo.plugin.discovery import get_registry

    config = json.loads((run / "config.json").read_text())
    data = load_dataset(get_registry(), config["dataset"], int(model.card.config["image_size"]), None, False, model.card.config)
    _, held = split_holdout(data, int(config["seed"]))
    return as_float(held.inputs[:count]), as_float(held.images[:count])


def readme_table(entries: list[dict]) -> str:
    """The README's zoo table (between the ``<!-- zoo-table -->`` markers)."""
    def figures(m: dict) -> str:
        if "fd_digits" in m:
            text = f"FD-digits {m['fd_digits']:.2f} (floor {m['floor_fd_digits']:.2f}), precision {m['precision']:.2f} / recall {m['recall']:.2f}"
            if "cond_accuracy" in m:
                text += f", label accuracy {m['cond_accuracy']:.0%}"
            return text
        text = f"PSNR {m['psnr']:.1f} dB, SSIM {m['ssim']:.3f}"
        base = "identity" if "l1" in m else "bicubic"
        text += f" ({base}: {m['baseline_psnr']:.1f} dB, {m['baseline_ssim']:.3f})"
        if "l1" in m:
            text += f", L1 {m['l1']:.3f} (identity {m['baseline_l1']:.3f})"
        return text

    rows = ["| name | params | size | `ganzoo eval` figures | command | sample |", "|---|---|---|---|---|---|"]
    for e in entries:
        rows.append(
            f"| `{e['name']}` | {e['num_params'] / 1e6:.2f} M | {e['size'] / 2**20:.1f} MiB ({e['precision']}) | "
            f"{figures(e['metrics'])} | `{e['command']}` | ![{e['name']}](plugins/zoo/{e['sample']}) |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--table-only", action="store_true", help="only rewrite the README table from zoo.json")
    args = parser.parse_args()
    manifest_path = ZOO / "zoo.json"
    manifest = {e["name"]: e for e in json.loads(manifest_path.read_text())}
    for entry in [] if args.table_only else ENTRIES:
        name = entry["name"]
        if args.only and name not in args.only:
            continue
        run = args.runs / name
        if not (run / WEIGHT_FILES["generator"]).is_file():
            print(f"{name}: no finished run in {run}; skipped", file=sys.stderr)
            continue
        full = ganzoo.evaluate(run, device="cpu")
        target = ZOO / "weights" / f"{name}.safetensors"
        num_params = write_fp16(run, target, entry["command"])
        shipped = ganzoo.evaluate(target, device="cpu")
        print(f"{name}: fp32 {headline(full)}\n{' ' * len(name)}  fp16 {headline(shipped)}")
        model = ganzoo.load(target, device="cpu")
        sample = ZOO / "samples" / f"{name}.png"
        draw_sample(model, sample, held_out_examples(model, run) if model.is_image_to_image else None)
        manifest[name] = {
            "name": name,
            "summary": entry["summary"],
            "dataset": model.card.dataset,
            "file": f"weights/{name}.safetensors",
            "sha256": sha256_of(target),
            "size": target.stat().st_size,
            "num_params": num_params,
            "precision": "fp16",
            "command": entry["command"],
            "metrics": headline(shipped),
            "license": LICENSE,
            "sample": f"samples/{name}.png",
        }
    ordered = [manifest[e["name"]] for e in ENTRIES if e["name"] in manifest]
    manifest_path.write_text(json.dumps(ordered, indent=2) + "\n")
    print(f"wrote {manifest_path} ({len(ordered)} entries)")
    readme = ZOO.parent.parent / "README.md"
    text = readme.read_text()
    start, end = "<!-- zoo-table -->", "<!-- /zoo-table -->"
    if start in text:
        head, _, rest = text.partition(start)
        tail = rest.partition(end)[2] if end in rest else rest
        readme.write_text(f"{head}{start}\n{readme_table(ordered)}\n{end}{tail}")
        print(f"updated the zoo table in {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
