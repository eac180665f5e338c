"""Run every benchmark, one after the other, and print one summary of their ratios and memory.

Each benchmark runs as its own subprocess with this interpreter (its full output is shown as
it goes) and hands its headline figures back through ``--json``; the summary repeats them:
every ratio to its in-run baseline, the peak memory, and the verdicts.

    python benchmarks/run_all.py [--quick] [--only train_throughput sample_throughput]
        [--threads 1] [--device auto]

``--quick`` takes a few minutes on 2 busy CPU cores; the full run about a quarter of an hour.
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
BENCHMARKS = {"cli_startup": False, "sample_throughput": True, "train_throughput": True, "memory_growth": True}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the short version of every benchmark")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--device", default="auto", help="auto (as ganzoo picks), cpu, cuda, ...")
    args = parser.parse_args()

    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    summaries, failures = [], []
    started = time.perf_counter()
    print(f"ganzoo benchmarks{' (--quick)' if args.quick else ''}: {_bench.machine_line()}\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-summary-") as tmp:
        for name in args.only or list(BENCHMARKS):
            out = Path(tmp) / f"{name}.json"
            argv = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out)] + ["--quick"] * args.quick
            if BENCHMARKS[name]:
                argv += ["--threads", str(args.threads), "--device", args.device]
            print(f"=== {name} " + "=" * max(0, 70 - len(name)), flush=True)
            begun = time.perf_counter()
            code = subprocess.run(argv, env=env).returncode
            print(f"=== {name}: exit code {code}, {time.perf_counter() - begun:.0f} s\n", flush=True)
            if out.is_file():
                summaries.append(json.loads(out.read_text(encoding="utf-8")))
            if code != 0 or not out.is_file():
                failures.append(f"{name} (exit code {code})")

    print("=" * 80)
    print(f"summary ({time.perf_counter() - started:.0f} s; load average now {_bench.load_average()}): "
          "ratio = ganzoo / baseline, both measured in the same run")
    print(f"{'figure':<46} {'ganzoo':>10} {'baseline':>10} {'ratio':>7} {'CPU ratio':>9}  {'peak RSS MiB':>14}  verdict")
    print("-" * 110)
    for summary in summaries:
        for row in summary["rows"]:
            unit = row["unit"]
            fmt = (lambda v: f"{v:.3f} s") if unit == "s" else (lambda v: f"{v:+.1f} MiB") if unit == "MiB" else (lambda v: f"{v:.1f}")
            value = fmt(row["value"])
            baseline = f"{row['baseline']:.1f} MiB" if unit == "MiB" else fmt(row["baseline"])
            memory = ""
            if "peak_rss_mib" in row:
                memory = f"{row['peak_rss_mib']:.0f}"
                if "baseline_peak_rss_mib" in row:
                    memory += f" | {row['baseline_peak_rss_mib']:.0f}"
            ratio = f"{row['ratio']:.2f}x" if unit != "s" else f"{row['ratio']:.0%}"
            label = row["name"] + (f" ({unit})" if unit == "img/s" else "")
            cpu = f"{row['cpu_ratio']:.2f}x" if "cpu_ratio" in row else ""
            print(f"{label:<46} {value:>10} {baseline:>10} {ratio:>7} {cpu:>9}  {memory:>14}  {row.get('verdict', '')}")
            if "cuda_peak_mib" in row:
                print(f"{'':<46} CUDA peak MiB ganzoo {row['cuda_peak_mib']:.0f} | plain {row['baseline_cuda_peak_mib']:.0f}")
    print("\nimg/s: higher is better, ratio > 1: ganzoo faster (CPU ratio: the same per CPU second, steadier on a busy"
          " machine);\nstartup: share of the `import torch` time; memory growth: warm-up RSS as baseline, ratio end/warm-up;"
          " peak RSS: ganzoo | baseline process.")
    if failures:
        print("failed: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
