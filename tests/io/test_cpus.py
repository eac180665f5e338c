"""How many threads ganzoo starts: affinity, cgroup quota (v1 and v2 files, written here as the
kernel lays them out) and the load average; ``--threads`` and ``$OMP_NUM_THREADS`` win."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.cli.main import _default_threads, _set_wait_policy
from ganzoo.io import cpus


def cgroup_tree(root: Path, membership: str, files: dict[str, str]) -> tuple[Path, Path]:
    """A cgroup mount under ``root`` with ``files`` (relative path -> content) and a
    ``/proc/self/cgroup`` saying ``membership``; returns (mount root, membership file)."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    member = root / "proc-self-cgroup"
    member.write_text(membership)
    return root, member


@pytest.mark.parametrize(("membership", "files", "quota"), [
    # cgroup v2: "quota period", or "max" for none; a parent's limit applies to its children
    ("0::/user.slice/job\n", {"user.slice/job/cpu.max": "150000 100000\n"}, 1.5),
    ("0::/user.slice/job\n", {"user.slice/job/cpu.max": "max 100000\n"}, None),
    ("0::/a/b\n", {"a/b/cpu.max": "max 100000\n", "a/cpu.max": "50000 100000\n"}, 0.5),
    ("0::/a/b\n", {"a/b/cpu.max": "300000 100000\n", "a/cpu.max": "200000 100000\n"}, 2.0),
    # in a container the process's own cgroup is the mount's root
    ("0::/\n", {"cpu.max": "100000 100000\n"}, 1.0),
    # cgroup v1: the cpu controller's quota and period in microseconds, -1 for none
    ("4:cpu,cpuacct:/docker/abc\n2:memory:/docker/abc\n",
     {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "250000\n", "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n"}, 2.5),
    ("4:cpu,cpuacct:/docker/abc\n",
     {"cpu/docker/abc/cpu.cfs_quota_us": "-1\n", "cpu/docker/abc/cpu.cfs_period_us": "100000\n"}, None),
    # unreadable or garbled files say nothing rather than fail
    ("0::/x\n", {"x/cpu.max": "garbage\n"}, None),
    ("0::/x\n", {}, None),
])
def test_the_cgroup_quota_is_read_from_the_files_the_kernel_writes(tmp_path, membership, files, quota):
    root, member = cgroup_tree(tmp_path, membership, files)
    assert cpus.cgroup_quota(root, member) == quota


def test_usable_cpus_are_the_affinity_capped_by_the_quota_rounded_up(tmp_path):
    affinity = cpus.affinity_cpus()
    assert affinity == len(os.sched_getaffinity(0))
    root, member = cgroup_tree(tmp_path, "0::/job\n", {"job/cpu.max": "50000 100000\n"})
    assert cpus.usable_cpus(root, member) == 1  # half a CPU still runs one thread
    root, member = cgroup_tree(tmp_path / "big", "0::/job\n", {"job/cpu.max": f"{(affinity + 7) * 100000} 100000\n"})
    assert cpus.usable_cpus(root, member) == affinity  # a quota above the CPUs one may run on changes nothing
    root, member = cgroup_tree(tmp_path / "none", "0::/job\n", {})
    assert cpus.usable_cpus(root, member) == affinity


@pytest.mark.parametrize(("usable", "load", "threads"), [
    (2, 0.0, 2), (2, 0.4, 2), (2, 1.4, 1), (2, 2.6, 1), (2, 7.0, 1),
    (8, 3.2, 5), (8, 0.0, 8), (1, 0.0, 1), (4, None, 4),
])
def test_the_default_thread_count_leaves_the_cores_the_load_keeps_busy(usable, load, threads, monkeypatch):
    if load is None:  # a system without a load average
        monkeypatch.setattr(cpus, "load_average", lambda: None)
    assert cpus.default_threads(usable, load) == threads


def test_the_cli_leaves_a_thread_count_the_user_set_in_the_environment(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert _default_threads() is None
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= _default_threads() <= cpus.usable_cpus()


def test_run_nproc_shares_the_default_among_its_processes(monkeypatch):
    """``run --nproc N``'s processes inherit the count: N of them must not each take every core."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(cpus, "load_average", lambda: 0.0)  # an idle machine, whatever this one is doing
    usable = cpus.usable_cpus()
    assert _default_threads(1) == usable
    assert _default_threads(2) == max(1, usable // 2)
    assert _default_threads(usable + 5) == 1


def test_the_cli_starts_torch_with_the_default_thread_count():
    """A real process: torch reads the count once, when it is imported after ganzoo chose it."""
    script = (
        "from ganzoo.io.cpus import default_threads; before = default_threads(); "
        "from ganzoo.cli import main; main(['list']); after = default_threads(); "
        "import torch; assert torch.get_num_threads() in (before, after), (torch.get_num_threads(), before, after)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("threads", "usable", "load", "policy"), [
    (2, 2, 10.0, "PASSIVE"), (2, 2, 2.5, "PASSIVE"), (2, 2, 1.5, None), (1, 2, 10.0, None), (8, 8, 3.0, None),
])
def test_several_threads_on_an_overloaded_machine_sleep_instead_of_spinning(threads, usable, load, policy):
    assert cpus.wait_policy(threads, usable, load) == policy


def test_the_cli_sets_the_wait_policy_only_where_the_user_did_not(monkeypatch):
    monkeypatch.setattr(cpus, "load_average", lambda: 50.0)  # far more runnable tasks than any CPU count
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    _set_wait_policy(2)
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    monkeypatch.delenv("OMP_WAIT_POLICY")
    _set_wait_policy(1)
    assert "OMP_WAIT_POLICY" not in os.environ
    _set_wait_policy(2)
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
