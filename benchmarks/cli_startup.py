"""How long the read-only ganzoo commands take to start, next to ``import torch``.

Each command runs as a fresh subprocess with this interpreter (``python -m ganzoo ...``, and
the ``ganzoo`` console script beside the interpreter when there is one); the baseline,
``python -c "import torch"``, is measured the same way in the same run. Commands are run
round-robin (one of each per round) so that a change in machine load hits all of them alike.

Targets: a median of at most 0.35 s, and under a quarter of the torch import.
Timings are reported, not asserted: the script always exits 0.

    python benchmarks/cli_startup.py [--quick] [--repeat 15] [--json PATH]

``--against DIR`` instead compares this checkout with another one (a ``git worktree`` of an
earlier commit, say): both run from their source trees by ``PYTHONPATH`` (the same import
mechanism, bytecode cached), alternating, and the CPU time each command takes is compared as
medians (CPU time is steadier than wall time on a shared machine).

    git worktree add /tmp/before <commit> && python benchmarks/cli_startup.py --against /tmp/before
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402  (torch-free)

TARGET_SECONDS = 0.35
TARGET_RATIO = 0.25
COMMANDS = (["list"], ["info", "dcgan"], ["plugins"], ["--help"])


def time_once(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


REPO = Path(__file__).resolve().parent.parent


def source_path(checkout: Path, folder: Path) -> str:
    """A ``PYTHONPATH`` entry that imports ``ganzoo`` and ``ganzoo_plugins`` from ``checkout``."""
    folder.mkdir()
    (folder / "ganzoo").symlink_to(checkout / "ganzoo")
    (folder / "ganzoo_plugins").symlink_to(checkout / "plugins")
    return str(folder)


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare_against(other: Path, repeat: int) -> int:
    """CPU time of each read-only command in this checkout and in ``other``, alternating."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: bytecode cached
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"before": source_path(other.resolve(), Path(tmp) / "before"), "after": source_path(REPO, Path(tmp) / "after")}
        print(f"CPU time of `python -m ganzoo COMMAND`: {other} (before) vs {REPO} (after), median of {repeat} alternating runs")
        for command in COMMANDS:
            argv = [sys.executable, "-m", "ganzoo", *command]
            times: dict[str, list[float]] = {"before": [], "after": []}
            for i in range(repeat + 1):
                for side in ("before", "after") if i % 2 else ("after", "before"):
                    seconds = cpu_seconds(argv, {**env, "PYTHONPATH": paths[side]})
                    if i:  # the first round warms caches and writes bytecode
                        times[side].append(seconds)
            before, after = statistics.median(times["before"]), statistics.median(times["after"])
            print(f"  {' '.join(command):<11} before {before * 1000:5.0f} ms   after {after * 1000:5.0f} ms   after/before {after / before:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="runs of each command (default 15; --quick 5)")
    parser.add_argument("--quick", action="store_true", help="5 runs of each command")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (run_all.py reads it)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first, to warm file caches (default 1)")
    parser.add_argument("--against", metavar="DIR", type=Path, help="compare with another ganzoo checkout instead")
    args = parser.parse_args()
    args.repeat = args.repeat or (5 if args.quick else 15)
    if args.against is not None:
        return compare_against(args.against, args.repeat)

    python = sys.executable
    script = Path(python).parent / ("ganzoo.exe" if os.name == "nt" else "ganzoo")
    cases: list[tuple[str, list[str]]] = [("python -c 'import torch'  (baseline)", [python, "-c", "import torch"])]
    for command in COMMANDS:
        cases.append((f"python -m ganzoo {' '.join(command)}", [python, "-m", "ganzoo", *command]))
    if script.exists():
        for command in COMMANDS:
            cases.append((f"ganzoo {' '.join(command)}  (console script)", [str(script), *command]))

    for _ in range(args.warmup):
        for _, argv in cases:
            time_once(argv)
    times: dict[str, list[float]] = {label: [] for label, _ in cases}
    failed: dict[str, int] = {}
    for _ in range(args.repeat):
        for label, argv in cases:
            seconds, code = time_once(argv)
            times[label].append(seconds)
            if code != 0:
                failed[label] = code

    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"
    print(f"ganzoo CLI start-up: median of {args.repeat} runs each, round-robin "
          f"(python {platform.python_version()}, {os.cpu_count()} CPUs, 1-min load average {load} at the end)")
    print(f"targets: median <= {TARGET_SECONDS:.2f} s and < {TARGET_RATIO:.0%} of the torch import\n")
    baseline_label = cases[0][0]
    baseline = statistics.median(times[baseline_label])
    width = max(len(label) for label, _ in cases)
    print(f"{'command':<{width}}  {'median s':>8}  {'min s':>6}  {'vs torch':>8}  result")
    print("-" * (width + 38))
    passed = 0
    rows = []
    for label, _ in cases:
        median, fastest = statistics.median(times[label]), min(times[label])
        ratio = median / baseline
        if label == baseline_label:
            verdict = "baseline"
        elif label in failed:
            verdict = f"FAIL (exit code {failed[label]})"
        elif median <= TARGET_SECONDS and ratio < TARGET_RATIO:
            verdict, passed = "PASS", passed + 1
        else:
            verdict = "FAIL (" + ", ".join(
                [f"> {TARGET_SECONDS} s"] * (median > TARGET_SECONDS) + [f">= {TARGET_RATIO:.0%} of torch"] * (ratio >= TARGET_RATIO)
            ) + ")"
        print(f"{label:<{width}}  {median:>8.3f}  {fastest:>6.3f}  {ratio:>7.1%}  {verdict}")
        if label != baseline_label:
            rows.append({"name": f"startup {label.split('  ')[0]}", "unit": "s", "value": median, "baseline": baseline,
                         "ratio": ratio, "verdict": verdict.split(" ")[0]})
    total = len(cases) - 1
    print(f"\n{passed}/{total} commands meet the targets" + ("" if script.exists() else f" (no console script at {script})"))
    if load != "n/a" and float(load) > (os.cpu_count() or 1):
        print("note: the machine was busy while measuring; figures are noisy")
    _bench.write_summary(args.json, "cli_startup", rows, baseline_label=baseline_label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
