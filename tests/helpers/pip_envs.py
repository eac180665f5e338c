"""Real pip installs without touching this environment: a throwaway virtual environment layered
over it, tiny distributions built from a ``pyproject.toml``, and local wheels made from them.

:func:`layered_venv` is made with ``--without-pip`` (a fraction of a second); its site folder
holds a ``.pth`` that adds this environment's site folder (torch, pip, setuptools, the editable
ganzoo). ``ganzoo install`` runs pip in *its* interpreter, so what pip installs lands there and
vanishes with the folder, and pip cannot remove anything of this environment ("outside
environment").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path


def layered_venv(root: Path) -> Path:
    """A throwaway environment at ``root`` over this one; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "_ganzoo_dev.pth").write_text(f"import site; site.addsitedir({ours!r})\n", encoding="utf-8")
    return python


def gz(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real CLI in the throwaway environment (GANZOO_LOAD_PLUGINS unset there: every plugin loads)."""
    env = {k: v for k, v in os.environ.items() if k != "GANZOO_LOAD_PLUGINS"}
    return subprocess.run([str(python), "-m", "ganzoo", *args], capture_output=True, text=True, cwd=cwd,
                          env={**env, "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"}, timeout=600)


def pip_list(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    return {d["name"]: d["version"] for d in json.loads(out)}


def make_dist(folder: Path, dist: str, requires: list[str], entry_point: str | None, version: str = "0.1") -> Path:
    """A tiny source distribution: one empty package, maybe one ``ganzoo`` entry point."""
    package = dist.replace("-", "_")
    (folder / package).mkdir(parents=True)
    (folder / package / "__init__.py").write_text("", encoding="utf-8")
    entry = f'[project.entry-points.ganzoo]\n{entry_point} = "{package}"\n' if entry_point else ""
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{dist}"\nversion = "{version}"\ndependencies = {json.dumps(requires)}\n{entry}'
        f'[tool.setuptools]\npackages = ["{package}"]\n', encoding="utf-8")
    return folder


def build_wheel(source: Path, wheels: Path) -> Path:
    """``pip wheel`` of ``source`` into ``wheels`` (offline, no build isolation); the wheel's path."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
                    "--disable-pip-version-check", "-q", "-w", str(wheels), str(source)], check=True, timeout=300,
                   capture_output=True)
    return max(wheels.glob("*.whl"), key=lambda p: p.stat().st_mtime)
