"""Training utilisation: model FLOPs per step, achieved FLOP/s, and its share of the matmul peak.

For each model ganzoo's real trainer (``Trainer``, its defaults: channels-last, frozen
discriminator in the generator step) takes one untimed step, one step counted by
``torch.utils.flop_counter.FlopCounterMode`` (the FLOPs of its matmuls and convolutions,
forward and backward: n_critic discriminator steps and one generator step), then timed steps
for ``--seconds``. Around each model the process times a 2048 x 2048 matmul in the run's dtype
(fp32, or bf16 with ``--precision bf16``): the peak this process reaches at that moment with
its threads, so the share ``achieved / peak`` keeps its meaning on a loaded machine (both are
slowed alike). Shares are given by the wall clock and per CPU second of this process (the
steadier of the two under load).

    python benchmarks/utilisation.py [--quick] [--cases dcgan-32 dcgan-64 ...] [--seconds 12]
        [--threads 1] [--device auto] [--precision fp32] [--ganzoo-args compile=true ...] [--json PATH] [--save]

Cases: ``dcgan-32`` (digits, batch 64), ``dcgan-64`` (64 px RGB photo crops, batch 64),
``wgan-gp`` (its defaults: 5 critic steps), ``pix2pix-256`` (edges2photos, 256 px, batch 8),
``srresnet`` and ``esrgan-psnr`` (photos-sr, 4x), ``cyclegan`` (edges2photos-unpaired).
``--quick``: 4 s a model (about 3 minutes in all on 2 busy CPU cores). ``--save`` writes
``benchmarks/results/utilisation.json`` and prints the README's table for it (:func:`readme_text`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
import _flops  # noqa: E402
from train_throughput import ganzoo_overrides, photo_folder  # noqa: E402

#: case -> (model, settings beside the model's defaults); "photos64" is the folder of 64 px crops
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "dcgan-32": ("dcgan", {"dataset": "digits", "image_size": 32, "batch_size": 64}),
    "dcgan-64": ("dcgan", {"dataset": "photos64", "image_size": 64, "batch_size": 64}),
    "wgan-gp": ("wgan-gp", {}),
    "pix2pix-256": ("pix2pix", {"image_size": 256}),
    "srresnet": ("srresnet", {}),
    "esrgan-psnr": ("esrgan-psnr", {}),
    "cyclegan": ("cyclegan", {}),
}
QUIET = {"sample_every": 10**9, "checkpoint_every": 10**9, "log_every": 10**9, "eval_every": 0, "class_report_every": 0}


class Finished(Exception):
    """Raised from inside the loop once the timed steps are done (the run folder is thrown away)."""


def measure(model: str, settings: dict[str, Any], seconds: float, min_steps: int = 2) -> dict[str, Any]:
    """One model's FLOPs per step and its timed steps through ganzoo's trainer."""
    import torch

    from ganzoo.core.config import resolve_config
    from ganzoo.plugin.discovery import get_registry
    from ganzoo.training.trainer import Trainer

    found: dict[str, Any] = {}

    class Measured(Trainer):
        def train_step(self):  # type: ignore[no-untyped-def]
            calls = found.setdefault("calls", 0)
            found["calls"] = calls + 1
            # warm-up: first allocations, oneDNN's kernel choice; compiled nets: compilation and
            # the CUDA graphs' recording, which take a few calls
            warm_up = 3 if self.config.compile else 1
            if calls < warm_up:
                return super().train_step()
            if calls == warm_up:  # counted eagerly: the same math, and no dispatch mode inside a compiled graph
                with torch.compiler.set_stance("force_eager"):
                    losses, found["flops"] = _flops.counted(super().train_step)
                found["images"] = self.config.batch_size * self.config.n_critic
                found["batch"], found["n_critic"] = self.config.batch_size, self.config.n_critic
                self._sync()
                found["start"] = (time.perf_counter(), time.process_time())
                return losses
            result = super().train_step()
            self._sync()
            wall, cpu = time.perf_counter() - found["start"][0], time.process_time() - found["start"][1]
            found["steps"], found["wall"], found["cpu"] = calls - warm_up, wall, cpu
            if wall >= seconds and calls - warm_up >= min_steps:
                raise Finished
            return result

        def _sync(self) -> None:
            if self.device.type == "cuda":
                torch.cuda.synchronize()

    with tempfile.TemporaryDirectory(prefix="ganzoo-util-") as tmp:
        config = resolve_config(get_registry(), model, {**settings, **QUIET, "steps": 10**6})
        try:
            Measured(config, Path(tmp) / "run", progress=False).fit()
        except Finished:
            pass
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 s of timed steps a model")
    parser.add_argument("--cases", nargs="+", default=None, metavar="CASE", help=f"default all: {', '.join(CASES)}")
    parser.add_argument("--seconds", type=float, default=None, help="timed seconds a model (default 12; --quick 4)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--device", default="auto", help="auto (as ganzoo picks), cpu, cuda, ...")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="the runs' precision and the peak's dtype")
    parser.add_argument("--ganzoo-args", nargs="+", default=[], action="extend", metavar="KEY=VALUE",
                        help="more ganzoo settings for every run (compile=true, channels_last=false, ...)")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "ganzoo-bench"),
                        help="where the 64 px photo crops are written once")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (run_all.py reads it)")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/utilisation.json for the README")
    args = parser.parse_args()
    names = args.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"utilisation: error: unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    overrides = ganzoo_overrides(args.ganzoo_args)
    if overrides is None:
        return 2
    seconds = args.seconds or (4.0 if args.quick else 12.0)

    import torch

    from ganzoo.core.device import select_device
    from ganzoo.errors import GanzooError

    torch.set_num_threads(args.threads)
    try:
        device = str(select_device(args.device))
    except GanzooError as exc:
        print(f"utilisation: error: {exc}", file=sys.stderr)
        return 2
    run_settings = {"device": device, "precision": args.precision, **overrides}
    print(f"training utilisation: torch {torch.__version__}, device {device}, {torch.get_num_threads()} thread(s), "
          f"{args.precision}, {seconds:g} s of timed steps a model; {time.strftime('%Y-%m-%d %H:%M')}")
    print(_bench.machine_line() + "\n", flush=True)
    header = (f"{'case':<12} {'batch':>7} {'GFLOP/step':>10} {'img/s':>8} {'GFLOP/s':>8} {'peak':>7} {'share':>6} "
              f"{'CPU share':>9} {'load':>5}")
    print(header + "\n" + "-" * len(header), flush=True)
    rows, errors, loads = [], [], [os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")]
    for name in names:
        model, settings = CASES[name]
        if settings.get("dataset") == "photos64":
            settings = {**settings, "dataset": f"folder:{photo_folder(Path(args.data_dir))}"}
        try:
            before = _flops.matmul_peak(args.precision, device, repeats=3 if args.quick else 5)
            found = measure(model, {**settings, **run_settings}, seconds)
            after = _flops.matmul_peak(args.precision, device, repeats=3 if args.quick else 5)
        except GanzooError as exc:
            errors.append(f"{name}: {exc}")
            print(f"{name:<12} error: {exc}", flush=True)
            continue
        peak, cpu_peak = (before.wall + after.wall) / 2, (before.cpu + after.cpu) / 2
        achieved = found["flops"] * found["steps"] / found["wall"]
        per_cpu = found["flops"] * found["steps"] / max(found["cpu"], 1e-9)
        images = found["images"] * found["steps"] / found["wall"]
        batch = f"{found['batch']}" + (f"x{found['n_critic']}" if found["n_critic"] > 1 else "")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{name:<12} {batch:>7} {found['flops'] / 1e9:>10.2f} {images:>8.1f} {achieved / 1e9:>8.1f} "
              f"{peak / 1e9:>7.1f} {_flops.share(achieved, peak):>6.0%} {_flops.share(per_cpu, cpu_peak):>9.0%} {load:>5.1f}",
              flush=True)
        loads.append(load)
        rows.append({"name": f"utilisation {name}", "unit": "FLOP/s", "value": achieved, "baseline": peak,
                     "ratio": _flops.share(achieved, peak), "cpu_ratio": _flops.share(per_cpu, cpu_peak),
                     "flops_per_step": found["flops"], "images_per_sec": images, "steps": found["steps"], "load": load,
                     "batch": batch, "cpu_peak": cpu_peak})
    print(f"\nGFLOP/step: FlopCounterMode's count of one training step (n_critic discriminator steps + one generator "
          f"step; matmuls and convolutions, forward and backward); peak: a 2048x2048x2048 {args.precision} matrix product "
          "in this process before and after the model, the faster of torch.mm and a oneDNN 1x1 convolution (GFLOP/s); "
          "share: achieved / peak by the wall clock; CPU share: the same per CPU second of this process (steadier under load)")
    _bench.print_closing(errors)
    facts = {"torch": torch.__version__, "device": device, "threads": args.threads, "precision": args.precision,
             "load": _bench.load_average(), "loads": [min(loads), max(loads)], "date": time.strftime("%Y-%m-%d"),
             "machine": _machine(device), "seconds": seconds, "errors": errors}
    _bench.write_summary(args.json, "utilisation", rows, **facts)
    if args.save and not errors:
        _bench.save_result("utilisation", {"rows": rows, **facts}, readme_text({"rows": rows, **facts}))
    return 1 if errors else 0


def _machine(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{_bench.cpu_name()}, {os.cpu_count()} CPUs"


def readme_text(record: dict[str, Any]) -> str:
    """The README's utilisation table for a saved measurement (its caption line, then the table)."""
    low, high = record["loads"]
    lines = [f"Measured {record['date']} on {record['machine']} ({record['device']}, {record['threads']} thread(s), "
             f"{record['precision']}, torch {record['torch']}, {record['seconds']:g} s of steps a model) at load "
             f"{low:.1f}-{high:.1f} by `python benchmarks/utilisation.py`:",
             "",
             "| model | batch | GFLOP/step | img/s | GFLOP/s | matmul peak GFLOP/s | share (wall) | share (per CPU-s) |",
             "|---|---|---|---|---|---|---|---|"]
    for row in record["rows"]:
        lines.append(f"| {row['name'].removeprefix('utilisation ')} | {row['batch']} | {row['flops_per_step'] / 1e9:.1f} | "
                     f"{row['images_per_sec']:.1f} | {row['value'] / 1e9:.1f} | {row['baseline'] / 1e9:.1f} | "
                     f"{row['ratio']:.0%} | {row['cpu_ratio']:.0%} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
