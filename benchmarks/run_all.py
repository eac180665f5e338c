"""Run every benchmark, one after the other, and print one summary of their ratios and memory.

Each benchmark runs as its own subprocess with this interpreter (its full output is shown as
it goes) and hands its headline figures back through ``--json``; the summary repeats them:
every ratio to its in-run baseline, the peak memory, and the verdicts.

    python benchmarks/run_all.py [--quick] [--only train_throughput utilisation ...]
        [--threads 1] [--device auto] [--dry-run]

``--quick`` takes a few minutes on 2 busy CPU cores; the full run about half an hour.

``--device cuda`` runs the GPU table: every benchmark on the card, and the training ones twice,
once with ganzoo's defaults (fp32, channels-last) and once with everything that speeds a GPU
up (``precision=bf16`` autocast, channels-last, ``compile=true`` with inductor's CUDA graphs,
``TORCHINDUCTOR_CUDAGRAPHS=1``, which apply wherever a compiled graph has static shapes and
no CPU work), each against the pytorch/examples-style peer loop on the same card
(``train_throughput.py``'s baseline, fp32 eager as the example runs). ``--dry-run`` prints
the commands without running them (and needs no GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

HERE = Path(__file__).resolve().parent
#: name -> whether it takes --threads/--device (cli_startup measures process start-up only)
BENCHMARKS = {"cli_startup": False, "sample_throughput": True, "inference_layout": True, "train_throughput": True,
              "utilisation": True, "memory_growth": True}
#: The GPU variants of the training benchmarks: label -> (extra arguments, extra environment).
FAST, GRAPHS = "bf16+compile+graphs", {"TORCHINDUCTOR_CUDAGRAPHS": "1"}
GPU_VARIANTS = {
    "train_throughput": [("defaults", [], {}), (FAST, ["--ganzoo-args", "precision=bf16", "compile=true"], GRAPHS)],
    "utilisation": [("defaults", [], {}), (FAST, ["--precision", "bf16", "--ganzoo-args", "compile=true"], GRAPHS)],
}


def plan(args: argparse.Namespace, out_dir: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    """(label, argv, extra environment) of every benchmark run this invocation makes, in order."""
    runs = []
    cuda = args.device.startswith("cuda")
    for name in args.only or list(BENCHMARKS):
        variants = GPU_VARIANTS.get(name, [("", [], {})]) if cuda else [("", [], {})]
        for label, extra, env in variants:
            tag = f"{name}-{label}" if label else name
            argv = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out_dir / f"{tag}.json")] + ["--quick"] * args.quick
            if BENCHMARKS[name]:
                argv += ["--threads", str(args.threads), "--device", args.device]
            runs.append((tag, argv + extra, env))
    return runs


def cuda_problem(device: str) -> str | None:
    """Why ``device`` cannot run here (a CUDA device on a machine without one), or None."""
    if not device.startswith("cuda"):
        return None
    import torch

    return None if torch.cuda.is_available() else f"--device {device}: CUDA is not available here (--dry-run shows the plan)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the short version of every benchmark")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--device", default="auto", help="auto (as ganzoo picks), cpu, cuda, ...; cuda: the GPU table")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args(argv)

    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    summaries, failures = [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-summary-") as tmp:
        runs = plan(args, Path(tmp))
        if args.dry_run:
            for tag, command, extra in runs:
                print(f"{tag}: " + " ".join(f"{k}={v}" for k, v in extra.items()) + (" " if extra else "") + " ".join(command))
            return 0
        problem = cuda_problem(args.device)
        if problem:
            print(f"run_all: error: {problem}", file=sys.stderr)
            return 2
        print(f"ganzoo benchmarks{' (--quick)' if args.quick else ''}: {_bench.machine_line()}\n", flush=True)
        for tag, command, extra in runs:
            out = Path(command[command.index("--json") + 1])
            print(f"=== {tag} " + "=" * max(0, 70 - len(tag)), flush=True)
            begun = time.perf_counter()
            code = subprocess.run(command, env={**env, **extra}).returncode
            print(f"=== {tag}: exit code {code}, {time.perf_counter() - begun:.0f} s\n", flush=True)
            if out.is_file():
                summary = json.loads(out.read_text(encoding="utf-8"))
                if tag != summary["benchmark"]:  # a GPU variant: its rows say which
                    for row in summary["rows"]:
                        row["name"] += f" [{tag.split('-', 1)[1] if '-' in tag else tag}]"
                summaries.append(summary)
            if code != 0 or not out.is_file():
                failures.append(f"{tag} (exit code {code})")

    print("=" * 80)
    print(f"summary ({time.perf_counter() - started:.0f} s; load average now {_bench.load_average()}): "
          "ratio = ganzoo / baseline, both measured in the same run")
    print(f"{'figure':<46} {'ganzoo':>10} {'baseline':>10} {'ratio':>7} {'CPU ratio':>9}  {'peak RSS MiB':>14}  verdict")
    print("-" * 110)
    for summary in summaries:
        for row in summary["rows"]:
            print(summary_line(row))
    print("\nimg/s: higher is better, ratio > 1: ganzoo faster (CPU ratio: the same per CPU second, steadier on a busy"
          " machine);\nFLOP/s: achieved, baseline the matmul peak in the same process, ratio the share of it (utilisation);"
          "\nstartup: share of the `import torch` time; inference: share of the time before (contiguous, 512-px tiles);"
          "\nmemory growth: warm-up RSS as baseline, ratio end/warm-up; peak RSS: ganzoo | baseline process.")
    if failures:
        print("failed: " + ", ".join(failures))
    return 1 if failures else 0


def summary_line(row: dict) -> str:
    """One row of the summary (two lines with a CUDA peak): figure, ganzoo, baseline, ratio, CPU ratio, memory, verdict."""
    unit = row["unit"]
    fmt = ((lambda v: f"{v:.3f} s") if unit == "s" else (lambda v: f"{v:+.1f} MiB") if unit == "MiB"
           else (lambda v: f"{v / 1e9:.1f} G") if unit == "FLOP/s" else (lambda v: f"{v:.1f}"))
    value = fmt(row["value"])
    baseline = f"{row['baseline']:.1f} MiB" if unit == "MiB" else fmt(row["baseline"])
    memory = ""
    if "peak_rss_mib" in row:
        memory = f"{row['peak_rss_mib']:.0f}"
        if "baseline_peak_rss_mib" in row:
            memory += f" | {row['baseline_peak_rss_mib']:.0f}"
    share = unit in ("s", "FLOP/s")  # a share of the baseline's time, or of the matmul peak
    ratio = f"{row['ratio']:.0%}" if share else f"{row['ratio']:.2f}x"
    label = row["name"] + (f" ({unit})" if unit in ("img/s", "FLOP/s") else "")
    cpu = (f"{row['cpu_ratio']:.0%}" if share else f"{row['cpu_ratio']:.2f}x") if "cpu_ratio" in row else ""
    line = f"{label:<46} {value:>10} {baseline:>10} {ratio:>7} {cpu:>9}  {memory:>14}  {row.get('verdict', '')}"
    if "cuda_peak_mib" in row:
        line += f"\n{'':<46} CUDA peak MiB ganzoo {row['cuda_peak_mib']:.0f} | plain {row['baseline_cuda_peak_mib']:.0f}"
    return line


if __name__ == "__main__":
    sys.exit(main())
