"""Helpers shared by the test modules: the real CLI in a subprocess, throwaway distributions,
the first-party specs read straight from the installed entry points.

``tests.helpers.ddp_worker`` is the torchrun worker of ``tests/training/test_distributed.py``
(run as ``-m tests.helpers.ddp_worker`` with the repository root on ``PYTHONPATH``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from functools import lru_cache
from importlib.metadata import distribution
from pathlib import Path

from ganzoo.plugin import discovery as plugins

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | str | None = None, timeout: float = 600,
            check: bool = False) -> subprocess.CompletedProcess:
    """Run the real ``ganzoo`` CLI (``python -m ganzoo``) in a subprocess."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **(env or {})}
    # Default to a neutral folder: a stale ``ganzoo.egg-info`` in the checkout would shadow the
    # installed metadata (entry points) for a process started there.
    proc = subprocess.run(
        [sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=full_env,
        cwd=cwd or tempfile.gettempdir(), timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"ganzoo {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_distribution(site: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str], version: str = "0.1") -> Path:
    """Write a throwaway installed distribution (modules + ``.dist-info``) into ``site``.

    ``site`` goes on PYTHONPATH of a subprocess, where ``importlib.metadata`` finds it exactly
    as it finds a pip-installed plugin.
    """
    site.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[ganzoo]\n{lines}", encoding="utf-8")
    return site


# ---------------------------------------------------------------- ganzoo's own plugins
@lru_cache(maxsize=None)
def first_party() -> dict[str, tuple]:
    """ganzoo's own plugins: entry-point name -> the specs it registers, in hook order.

    Read straight from the installed ``ganzoo`` distribution's entry points, each module's hooks
    called with a collecting ``register``: no discovery and no registry, so the expectations follow
    new first-party plugins without trusting the code under test.
    """
    found: dict[str, tuple] = {}
    for ep in distribution("ganzoo").entry_points.select(group=plugins.ENTRY_POINT_GROUP):
        module, specs = ep.load(), []
        for hook in plugins.HOOKS:
            if hasattr(module, hook):
                getattr(module, hook)(specs.append)
        found[ep.name] = tuple(specs)
    assert {"dcgan", "losses", "datasets"} <= set(found), found  # the metadata really is there
    return found


def first_party_names(spec_type: type) -> list[str]:
    """Sorted names of the first-party specs of one kind."""
    return sorted(s.name for specs in first_party().values() for s in specs if isinstance(s, spec_type))


def first_party_spec(spec_type: type, name: str):
    return next(s for specs in first_party().values() for s in specs if isinstance(s, spec_type) and s.name == name)


def did_you_mean(first: str) -> str:
    """Regex for a suggestion list whose closest (first) entry is ``first``; others may follow."""
    return rf" \(did you mean '{re.escape(first)}'(?: or '[^']+')*\?\)"
