"""``ganzoo install`` keeps ganzoo's whole stack: a plugin never replaces what ganzoo runs on.

What is promised: every installed distribution of ganzoo's requirement closure (ganzoo, torch,
torchvision and everything they require, pluggy, numpy, rich, ... transitively) is pinned at its
installed version while pip installs a plugin, so a plugin that requires another version of one
of them (``pluggy==1.0.0``, with such a wheel at hand) is refused in one ``ganzoo: error:``
line naming the requirement and the installed version, and nothing changes; a plugin whose own
dependency conflicts with nothing installs, dependency included.

Real wheels are built in the test (``pip wheel``) and installed with the real CLI into a
throwaway environment layered over this one (:mod:`tests.helpers.pip_envs`), offline.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from tests.helpers.pip_envs import build_wheel, gz, layered_venv, make_dist, pip_list

pytestmark = pytest.mark.slow

OFFLINE = ("--no-index", "--no-build-isolation")


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    """Local wheels: an old ``pluggy`` (an empty package), a plugin that wants it, a plugin with a free dependency."""
    folder = tmp_path / "wheels"
    build_wheel(make_dist(tmp_path / "src" / "pluggy", "pluggy", [], None, version="1.0.0"), folder)
    build_wheel(make_dist(tmp_path / "src" / "old", "gz-wants-old-pluggy", ["pluggy==1.0.0"], "wants_old"), folder)
    build_wheel(make_dist(tmp_path / "src" / "dep", "gz-free-dep", [], None), folder)
    build_wheel(make_dist(tmp_path / "src" / "free", "gz-free", ["gz-free-dep"], "free"), folder)
    return folder


def test_a_plugin_cannot_downgrade_a_dependency_of_ganzoo(wheels: Path, tmp_path: Path) -> None:
    venv = layered_venv(tmp_path / "venv")
    before = pip_list(venv)
    proc = gz(venv, "install", *OFFLINE, "--find-links", str(wheels), "gz-wants-old-pluggy", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
    assert len(errors) == 1 and "pluggy==1.0.0" in errors[0] and f"pluggy {version('pluggy')}" in errors[0], proc.stderr
    assert "nothing was installed" in errors[0] and "Traceback" not in proc.stderr
    assert pip_list(venv) == before


def test_a_free_dependency_installs(wheels: Path, tmp_path: Path) -> None:
    venv = layered_venv(tmp_path / "venv")
    before = pip_list(venv)
    proc = gz(venv, "install", *OFFLINE, "--find-links", str(wheels), "gz-free", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = pip_list(venv)
    assert {k: v for k, v in after.items() if k not in before} == {"gz-free": "0.1", "gz-free-dep": "0.1"}
    assert all(after[k] == v for k, v in before.items())
