"""How many CPUs this process may really use, and so how many threads torch should start.

torch starts one thread per core it sees, which on a shared or limited machine is more than
the process gets: threads then wait on each other at every parallel op (measured on 2 busy
cores: 21-24 images/s with two threads, 107-163 with one). What limits a process:

- its CPU affinity (``os.sched_getaffinity``: taskset, a container's cpuset);
- a cgroup CPU quota (``cpu.max`` in cgroup v2, ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``
  in v1: Docker's ``--cpus``, Kubernetes limits), rounded up to whole CPUs;
- the load of the others: the 1-minute load average counts the runnable tasks, so the CPUs
  left free are ``usable - load`` (at least one).

Torch-free and cheap (a few small files): the CLI asks before torch is imported, since torch
reads ``OMP_NUM_THREADS`` once, when it starts.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

#: Where the cgroup file systems are mounted, and where the kernel says which cgroup we are in.
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_MEMBERSHIP = Path("/proc/self/cgroup")


def affinity_cpus() -> int:
    """The CPUs the scheduler may run this process on (all of them where there is no affinity call)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def cgroup_quota(root: Path = CGROUP_ROOT, membership: Path = CGROUP_MEMBERSHIP) -> float | None:
    """The CPU quota (in CPUs, e.g. 1.5) of this process's cgroup and its parents, the smallest
    one that applies; None when there is none ("max", -1) or no cgroup file can be read."""
    quotas = [q for folder in _cgroup_folders(root, membership) for q in (_quota_in(folder),) if q is not None]
    return min(quotas) if quotas else None


def _cgroup_folders(root: Path, membership: Path) -> list[Path]:
    """The folders of this process's CPU cgroup (v2 unified, v1 ``cpu`` controller) and their
    parents up to the root: a limit set on a parent applies to its children too."""
    relative: list[tuple[Path, str]] = []
    try:
        lines = membership.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:  # "0::/user.slice/..." (v2) or "4:cpu,cpuacct:/docker/..." (v1)
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":
            relative.append((root, path))
        elif "cpu" in controllers.split(","):
            relative += [(root / name, path) for name in ("cpu", "cpu,cpuacct", controllers)]
    relative += [(root, "/"), (root / "cpu", "/")]  # in a container the files sit at the root
    folders: list[Path] = []
    for base, path in relative:
        folder = base / path.strip("/") if path.strip("/") else base
        while True:
            if folder not in folders:
                folders.append(folder)
            if folder == base or base not in folder.parents:
                break
            folder = folder.parent
    return folders


def _quota_in(folder: Path) -> float | None:
    """The quota one cgroup folder sets, in CPUs, or None."""
    try:
        quota, period = (folder / "cpu.max").read_text(encoding="ascii").split()[:2]
    except (OSError, ValueError, UnicodeDecodeError):
        try:
            quota = (folder / "cpu.cfs_quota_us").read_text(encoding="ascii").strip()
            period = (folder / "cpu.cfs_period_us").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max": no limit
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def usable_cpus(root: Path = CGROUP_ROOT, membership: Path = CGROUP_MEMBERSHIP) -> int:
    """The CPUs this process may use: its affinity, capped by its cgroup's quota (rounded up)."""
    cpus = affinity_cpus()
    quota = cgroup_quota(root, membership)
    return max(1, min(cpus, math.ceil(quota)) if quota is not None else cpus)


def load_average() -> float | None:
    """The 1-minute load average, or None where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return None


def default_threads(usable: int | None = None, load: float | None = None) -> int:
    """The torch threads to start with when the user named none: the usable CPUs (affinity and
    quota) less those the load average says others keep busy, at least one. On an idle
    2-CPU machine that is 2; at load 1.4 it is 1 (half a free core is not worth a thread that
    makes the other wait); at load 3 it is 1."""
    usable = usable_cpus() if usable is None else usable
    load = load_average() if load is None else load
    if load is None:
        return usable
    return max(1, min(usable, math.floor(usable - load + 0.5)))


def wait_policy(threads: int, usable: int | None = None, load: float | None = None) -> str | None:
    """``"PASSIVE"`` (OpenMP threads sleep, not spin, between parallel regions) when several
    threads start on a machine whose load already exceeds the CPUs: spinning threads then burn
    the time slices the working one needs. Measured on 2 cores at load 10-11, DCGAN 64 px with
    two threads, alternating: 1.8 and 1.8 img/s spinning (the OpenMP default), 4.0 and 6.0
    passive. None (OpenMP's default) otherwise: on a quiet machine spinning is not measured worse."""
    if threads <= 1:
        return None
    usable = usable_cpus() if usable is None else usable
    load = load_average() if load is None else load
    return "PASSIVE" if load is not None and load > usable else None
