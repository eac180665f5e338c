"""Helpers the benchmark scripts share: memory readings, machine facts, the summary file.

Torch-free at import (``cli_startup.py`` imports it and must not pay for torch). Each
benchmark can write its headline figures as JSON (``--json PATH``) so that ``run_all.py`` can
print one summary; the figures a benchmark prints are the same numbers.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def rss_mib() -> float:
    """The current resident set size in MiB: ``/proc/self/status`` VmRSS on Linux, else psutil,
    else the peak (``ru_maxrss``), which is the best the standard library offers elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / MIB
    except OSError:
        pass
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process().memory_info().rss / MIB
    except ImportError:
        return peak_rss_mib()


def rss_source() -> str:
    """Which reading :func:`rss_mib` uses here."""
    if Path("/proc/self/status").is_file():
        return "VmRSS from /proc/self/status"
    try:
        import psutil  # type: ignore[import-not-found]  # noqa: F401

        return "psutil rss"
    except ImportError:
        return "ru_maxrss (peak, not current: no /proc and no psutil)"


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    import resource  # POSIX only; imported here so that cli_startup.py still runs elsewhere

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024


def _children() -> list[str]:
    """Pids of this process's live children (``/proc/self/task/*/children``; [] without /proc)."""
    pids: list[str] = []
    for path in Path("/proc/self/task").glob("*/children"):
        try:
            pids += path.read_text(encoding="ascii").split()
        except OSError:
            continue
    return pids


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) spent so far by this process's live children (DataLoader
    workers), from ``/proc/PID/stat``; 0 where there is no ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in _children():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def children_peak_rss_mib() -> float:
    """The summed peak RSS (VmHWM) of this process's live children (DataLoader workers), from
    ``/proc``; 0 where there is no ``/proc``. Forked workers share pages with their parent, so
    this counts the shared ones again: an upper bound of what they add."""
    total = 0.0
    for pid in _children():
        try:
            lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith("VmHWM:")) / 1024
    return total


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def machine_line() -> str:
    """Python, CPU count and the 1/5/15-minute load averages (the figures are only as quiet as the machine)."""
    return f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load_average()}"


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def busy_note() -> str:
    if not hasattr(os, "getloadavg"):
        return ""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    return f"note: 1-min load average {load:.2f} on {cpus} CPUs: the machine is busy, figures are noisy" if load > 0.75 * cpus else ""


def print_closing(errors: list[str] = ()) -> None:
    """The busy-machine note (when the load is high) and one line per error, after a table."""
    note = busy_note()
    if note:
        print(note)
    for error in errors:
        print(f"error: {error}")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> str:
    """``min-max`` of the repeats, to show how noisy a median is."""
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


#: The measurement files the README's figures come from (``--save``; tests/benchmarks/test_readme_figures.py
#: checks that the README states what the last one measured).
RESULTS = Path(__file__).resolve().parent / "results"


def save_result(name: str, record: dict[str, Any], readme: str) -> Path:
    """Write ``record`` as ``benchmarks/results/NAME.json``, the file the README's figures are
    checked against, and print ``readme``: the text the README must then hold."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"\nsaved {path}; put this in the README (tests/benchmarks/test_readme_figures.py checks it):\n{readme}")
    return path


def load_result(name: str) -> dict[str, Any]:
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def minutes(seconds: float) -> str:
    """``3.1 min`` (or ``48 s`` under a minute), as the README writes durations."""
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def write_summary(path: str | None, benchmark: str, rows: list[dict[str, Any]], **facts: Any) -> None:
    """Write the headline figures to ``path`` (JSON) when a runner asked for them."""
    if not path:
        return
    Path(path).write_text(json.dumps({"benchmark": benchmark, "rows": rows, **facts}, indent=1), encoding="utf-8")
