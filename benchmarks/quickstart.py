"""How long the README's first command takes: ``ganzoo run dcgan --dataset fashion-mnist``.

    python benchmarks/quickstart.py [--threads 1] [--steps 1000] [--dataset fashion-mnist] [--save]

Runs the command in a real subprocess into a temporary run folder and prints its wall time,
its CPU time (user + system of the child) and the load average before and after, so the
figure the README quotes comes with the load it ran at. The baseline printed beside it is the
same command's first 100 steps' rate extrapolated, which shows how much of the time is
start-up (reading the data, building the nets). Needs the dataset installed (or pass
``--dataset digits``). ``--save`` writes ``benchmarks/results/quickstart.json`` and prints the
README's quick-start sentence for it (:func:`readme_text`; a test keeps the two in step).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402


def run(args: argparse.Namespace, steps: int, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one training run of ``steps`` steps."""
    command = [sys.executable, "-m", "ganzoo", *(["--threads", str(args.threads)] if args.threads else []),
               "run", "dcgan", "--dataset", args.dataset, "--steps", str(steps), "--no-progress", "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def readme_text(record: dict[str, Any]) -> str:
    """The README's quick-start figure for a saved measurement."""
    threads = "ganzoo's default threads" if record["threads"] == "default" else f"--threads {record['threads']}"
    return (f"{record['steps']:,} steps at 32x32, {_bench.minutes(record['wall_s'])} wall and "
            f"{_bench.minutes(record['cpu_s'])} of CPU on {record['cpus']} cores ({threads}), measured by "
            f"`python benchmarks/quickstart.py` on {record['date']} at load {record['load_before']:.1f} to "
            f"{record['load_after']:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="ganzoo --threads N (0: ganzoo's default)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/quickstart.json for the README")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        short_wall, short_cpu = run(args, 100, Path(tmp) / "short")
        wall, cpu = run(args, args.steps, Path(tmp) / "full")
    load_after = os.getloadavg()
    threads = args.threads or "default"
    print(f"ganzoo run dcgan --dataset {args.dataset} ({args.steps} steps, threads {threads}): "
          f"{wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU; load {load_before[0]:.1f} before, {load_after[0]:.1f} after "
          f"({os.cpu_count()} CPUs)")
    print(f"baseline, the same command for 100 steps: {short_wall:.0f} s wall, {short_cpu:.0f} s CPU "
          f"(start-up and data included; {args.steps} steps took {wall / short_wall:.1f}x as long)")
    record = {"steps": args.steps, "threads": threads, "dataset": args.dataset, "wall_s": wall, "cpu_s": cpu,
              "load_before": load_before[0], "load_after": load_after[0], "short_wall_s": short_wall,
              "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    if args.json:
        args.json.write_text(json.dumps(record) + "\n")
    if args.save:
        _bench.save_result("quickstart", record, readme_text(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
