"""``ganzoo install`` / ``uninstall`` and ``ganzoo new-plugin``.

The slow tests run real pip installs of small distributions built in ``tmp_path``, through the
real CLI, in a throwaway virtual environment layered over this one
(:mod:`tests.helpers.pip_envs`): whatever pip installs lands there and vanishes with
``tmp_path``, and pip cannot remove anything of this environment ("outside environment"). Unlike
the example plugin's ``pip install --target`` this keeps pip's view of what is installed (the
pins must meet the installed torch), which is the point of these tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from ganzoo.cli.new_plugin import write_plugin
from ganzoo.plugin import discovery
from ganzoo.plugin.build_leftovers import build_leftovers_removed
from ganzoo.plugin.builders_check import builder_problems
from ganzoo.errors import ConfigError, InstallError
from ganzoo.plugin.install import failure_line, installed, pins, pip_uninstall
from ganzoo.plugin.template import PluginNames, render

from tests.helpers import did_you_mean
from tests.helpers.pip_envs import gz, layered_venv, make_dist, pip_list

CONFLICT_REPORT = """\
Processing ./conf
INFO: pip is looking at multiple versions of gz-conflict to determine which version is compatible.

The conflict is caused by:
    gz-conflict 0.1 depends on torch<2
    The user requested (constraint) torch==2.14.1

ERROR: Cannot install gz-conflict==0.1 because these package versions have conflicting dependencies.
ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/
"""


# ---------------------------------------------------------------- fast: the rules
def test_pins_name_the_installed_versions() -> None:
    dists = installed()
    found = pins(dists)
    assert found[:3] == [f"{name}=={dists[name].version}" for name in ("ganzoo", "torch", "torchvision")]
    assert f"pluggy=={dists['pluggy'].version}" in found and f"numpy=={dists['numpy'].version}" in found


def test_conflict_with_a_pin_is_one_line_naming_the_requirement() -> None:
    line = failure_line(CONFLICT_REPORT, installed())
    assert "\n" not in line
    assert line.startswith("gz-conflict 0.1 requires torch<2, but torch ") and "pinned" in line


def test_other_pip_failures_are_one_line() -> None:
    missing = "ERROR: Could not find a version that satisfies the requirement gz-nothing (from versions: none)\n" \
              "ERROR: No matching distribution found for gz-nothing\n"
    assert failure_line(missing, installed()) == "pip found no distribution that satisfies gz-nothing"
    assert failure_line("ERROR: Directory './x' is not installable.\n  more\n", {}) == \
        "pip failed: Directory './x' is not installable."


@pytest.mark.parametrize("name", ["torch", "TorchVision", "ganzoo"])
def test_uninstall_never_removes_ganzoo_or_torch(name: str) -> None:
    with pytest.raises(InstallError, match="never removes"):
        pip_uninstall([name])


def test_uninstall_refuses_what_is_no_plugin_or_not_installed() -> None:
    with pytest.raises(InstallError, match="holds no ganzoo plugin"):
        pip_uninstall(["numpy"])
    with pytest.raises(InstallError, match="gz-never-installed is not installed"):
        pip_uninstall(["gz-never-installed"])


@pytest.mark.parametrize("name, problem", [("-acme", "no distribution name"), ("a b", "no distribution name"),
                                           ("9lives", "cannot import"), ("class", "cannot import"),
                                           ("torch", "importable already"), ("ganzoo", "importable already")])
def test_new_plugin_name_is_checked(name: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        PluginNames.of(name)


def test_new_plugin_files_and_names(tmp_path: Path) -> None:
    names = PluginNames.of("Acme.GAN")
    assert (names.dist, names.package, names.slug) == ("Acme.GAN", "acme_gan", "acme-gan")
    files = render(names)
    assert sorted(files) == ["README.md", "acme_gan/__init__.py", "acme_gan/nets.py", "pyproject.toml", "tests/test_plugin.py"]
    assert not [path for path, text in files.items() if "{{" in text]
    assert 'acme-gan = "acme_gan"' in files["pyproject.toml"] and "import torch" not in files["acme_gan/__init__.py"]
    for path, text in files.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
    folder = write_plugin("acme-gan", tmp_path / "acme")
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == \
        ["README.md", "acme_gan/__init__.py", "acme_gan/nets.py", "pyproject.toml", "tests/test_plugin.py"]
    assert [p.name for p in tmp_path.iterdir()] == ["acme"]  # no staging folder left
    with pytest.raises(ConfigError, match="exists already"):
        write_plugin("acme-gan", folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="exists already"):
        write_plugin("acme-gan", tmp_path / "empty")


def test_new_plugin_template_carries_package_data_weights_stub_and_builder_check(tmp_path: Path, monkeypatch) -> None:
    """Issue 27: the package-data and register_weights lines ready to uncomment, and a test that
    imports every builder (a typo in the builder string fails the plugin's own tests)."""
    folder = write_plugin("gz-tpl", tmp_path / "gz-tpl")
    pyproject, init = (folder / "pyproject.toml").read_text(), (folder / "gz_tpl" / "__init__.py").read_text()
    assert '# [tool.setuptools.package-data]\n# gz_tpl = ["weights/*.safetensors", "weights/*.png"]' in pyproject
    assert "# def register_weights(register):" in init and "ganzoo zoo add RUN_DIR gz-tpl.digits" in init
    test = (folder / "tests" / "test_plugin.py").read_text()
    assert 'builder_problems(registry, "gz-tpl-in-test") == []' in test
    monkeypatch.syspath_prepend(str(folder))
    import gz_tpl

    discovery.register(gz_tpl, "gz-tpl-in-test")  # as the template's test does
    try:
        assert builder_problems(discovery.get_registry(), "gz-tpl-in-test") == []
    finally:
        discovery.unregister("gz-tpl-in-test")


def test_install_removes_only_the_build_leftovers_it_made(tmp_path: Path) -> None:
    folder = tmp_path / "plugin"
    (folder / "src" / "old.egg-info").mkdir(parents=True)  # the author's own: kept
    with build_leftovers_removed([str(folder), "some-dist-name"]):
        (folder / "build" / "lib").mkdir(parents=True)  # what setuptools' in-place build writes
        (folder / "plugin.egg-info").mkdir()
        (folder / "plugin.egg-info" / "PKG-INFO").write_text("x")
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == ["src", "src/old.egg-info"]


# ---------------------------------------------------------------- slow: real pip installs
@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A throwaway environment over this one (see the module docstring); its python."""
    return layered_venv(tmp_path / "venv")


OFFLINE = ("--no-index", "--no-build-isolation")


@pytest.mark.slow
def test_install_pins_ganzoo_and_torch_and_uninstalls(venv: Path, tmp_path: Path) -> None:
    good = make_dist(tmp_path / "good", "gz-good", ["ganzoo", "torch>=2"], "good")
    before = pip_list(venv)
    for dist, requirement in (("gz-old-torch", "torch<2"), ("gz-old-ganzoo", "ganzoo<0.1")):
        bad = make_dist(tmp_path / dist, dist, [requirement], "bad")
        proc = gz(venv, "install", *OFFLINE, str(bad), cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        error = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
        assert len(error) == 1 and f"{dist} 0.1 requires {requirement}" in error[0] and "nothing was installed" in error[0]
        assert "Traceback" not in proc.stderr and "The conflict is caused by" not in proc.stderr + proc.stdout
        assert pip_list(venv) == before  # nothing changed

    proc = gz(venv, "install", *OFFLINE, str(good), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in good.iterdir()) == ["gz_good", "pyproject.toml"]  # no build/, no *.egg-info left
    assert "installed gz-good 0.1" in proc.stdout and "pinned" in proc.stderr
    assert ["good", "gz-good", "0.1", "ok"] in [[c.strip() for c in line.split("│")[1:5]] for line in proc.stdout.splitlines()], proc.stdout
    after = pip_list(venv)
    assert {k: v for k, v in after.items() if k not in before} == {"gz-good": "0.1"}
    assert all(after[k] == v for k, v in before.items())  # torch, torchvision, ganzoo untouched

    proc = gz(venv, "uninstall", "gz-goo", cwd=tmp_path)
    assert proc.returncode == 2 and re.search("gz-goo is not installed" + did_you_mean("gz-good"), proc.stderr), proc.stderr
    proc = gz(venv, "uninstall", "torch", cwd=tmp_path)
    assert proc.returncode == 2 and "never removes torch" in proc.stderr
    proc = gz(venv, "uninstall", "gz-good", cwd=tmp_path)
    assert proc.returncode == 0 and "uninstalled gz-good 0.1" in proc.stdout, proc.stdout + proc.stderr
    assert pip_list(venv) == before


@pytest.mark.slow
def test_new_plugin_installs_and_passes_its_own_test(venv: Path, tmp_path: Path) -> None:
    proc = gz(venv, "new-plugin", "gz-fresh", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "gz-fresh"
    proc = gz(venv, "install", *OFFLINE, "-e", str(folder), cwd=tmp_path)  # the README's steps: an editable install
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the table printed by the same process that ran pip shows it working (pip's new .pth processed)
    assert ["gz-fresh", "gz-fresh", "0.1.0", "ok"] in [[c.strip() for c in line.split("│")[1:5]]
                                                       for line in proc.stdout.splitlines()], proc.stdout + proc.stderr
    plugins = json.loads(gz(venv, "plugins", "--json", cwd=tmp_path).stdout)
    ours = [p for p in plugins if p["distribution"] == "gz-fresh"]
    assert [(p["name"], p["status"], sorted(p["registered"])) for p in ours] == \
        [("gz-fresh", "ok", ["architecture:gz-fresh-mlp", "model:gz-fresh"])]
    # its own tests, as written, against the installed plugin (run from elsewhere: not the sources)
    tests = subprocess.run([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests")],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600,
                           env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "6 passed" in tests.stdout
    proc = gz(venv, "uninstall", "gz-fresh", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "gz-fresh" not in pip_list(venv)
