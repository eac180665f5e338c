"""The example third-party plugin in examples/ganzoo-example-plugin.

Unit tests import it from the source tree (no install); the slow end-to-end test really
``pip install``s a copy of it into a throwaway folder (``--target``; never into the environment
the tests run in) and drives the real CLI in subprocesses with that folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Iterator

import pytest
import torch

from ganzoo.plugin import discovery as plugins
from ganzoo.core.config import resolve_config
from ganzoo.io.weights import read_metadata

from tests.helpers import REPO, run_cli

EXAMPLE = REPO / "examples" / "ganzoo-example-plugin"
DIST = "ganzoo-example-plugin"
PACKAGE = "ganzoo_example"
#: What building a distribution in place leaves behind; none of it may stay in examples/.
BUILD_JUNK = ("build", "dist", "*.egg-info", "__pycache__")


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """The example package imported from its source folder (not installed), forgotten after."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no __pycache__ inside examples/
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def ragan(example):
    return importlib.import_module(f"{PACKAGE}.ragan").RaGANLoss()


def scores(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# ---------------------------------------------------------------- the ragan loss
def test_ragan_discriminator_loss_by_hand(ragan) -> None:
    # real logits 1, 3 (mean 2); fake logits 0, -2 (mean -1)
    # real relative to the mean fake: 2, 4; fake relative to the mean real: -2, -4
    # L_D = mean(-log sigmoid(2, 4)) + mean(-log(1 - sigmoid(-2, -4))) = 2 * mean(softplus(-2), softplus(-4))
    expected = (softplus(-2) + softplus(-4)) / 2 * 2
    assert ragan.discriminator_loss(scores(1, 3), scores(0, -2)).item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.145078, abs=1e-6)


def test_ragan_generator_loss_by_hand(ragan) -> None:
    # same scores: L_G = mean(-log sigmoid(-2, -4)) + mean(-log(1 - sigmoid(2, 4))) = 2 * mean(softplus(2), softplus(4))
    expected = (softplus(2) + softplus(4)) / 2 * 2
    assert ragan.generator_loss(scores(0, -2), real_scores=scores(1, 3)).item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(6.145078, abs=1e-6)


def test_ragan_indistinguishable_scores_cost_two_log_two(ragan) -> None:
    same = scores(0.7, 0.7, 0.7)
    assert ragan.discriminator_loss(same, same).item() == pytest.approx(2 * math.log(2))
    assert ragan.generator_loss(same, real_scores=same).item() == pytest.approx(2 * math.log(2))


def test_ragan_generator_loss_is_discriminator_loss_with_roles_swapped(ragan) -> None:
    real, fake = torch.randn(7, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    assert ragan.generator_loss(fake, real_scores=real).item() == pytest.approx(ragan.discriminator_loss(fake, real).item())


def test_ragan_generator_gradient_by_hand(ragan) -> None:
    # all logits 0, n = 2: dL_G/df_k = -(1/n) sigmoid(0) - (1/n) sigmoid(0) = -0.5; nothing flows to the real scores
    fake = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    real = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    ragan.generator_loss(fake, real_scores=real).backward()
    assert fake.grad.tolist() == pytest.approx([-0.5, -0.5])
    assert real.grad is None


def test_ragan_asks_the_trainer_for_real_scores(ragan) -> None:
    """The trainer passes the current real scores to generator_loss when the loss asks for them."""
    assert ragan.generator_uses_real_scores
    with pytest.raises(ValueError, match="needs the real scores"):
        ragan.generator_loss(scores(0, -2))
    real = scores(1, 3).requires_grad_()
    fake = scores(0, -2).requires_grad_()
    ragan.generator_loss(fake, real_scores=real).backward()
    assert real.grad is None and fake.grad is not None


# ---------------------------------------------------------------- the mlp architecture
@pytest.mark.parametrize("size, channels", [(8, 1), (16, 1), (28, 3)])
def test_mlp_builds_for_any_size(example, size: int, channels: int) -> None:
    build = importlib.import_module(f"{PACKAGE}.nets").build
    config = {"nz": 10, "hidden": 32, "layers": 2, "image_size": size, "channels": channels}
    generator, discriminator = build(config)
    images = generator(torch.randn(4, 10))
    assert images.shape == (4, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert discriminator(images).shape == (4,)
    hidden_layers = [m for m in generator.modules() if isinstance(m, torch.nn.Linear)][:-1]
    assert [m.out_features for m in hidden_layers] == [32, 32]


def test_mlp_refuses_a_bad_config_with_a_user_error(example) -> None:
    from ganzoo.errors import ConfigError

    build = importlib.import_module(f"{PACKAGE}.nets").build
    with pytest.raises(ConfigError, match="layers"):
        build({"nz": 10, "hidden": 32, "layers": 0, "image_size": 16, "channels": 1})


# ---------------------------------------------------------------- registration
def test_top_level_module_does_not_import_torch() -> None:
    code = f"import sys, {PACKAGE}; print('torch' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-B", "-c", code], capture_output=True, text=True, check=True, cwd=EXAMPLE, timeout=60
    )
    assert proc.stdout.strip() == "False"


def test_registers_loss_architecture_and_model(example, register_plugin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")  # any problem with the plugin is an error
    register_plugin(example, "example")
    registry = plugins.get_registry()
    info = next(i for i in plugins.plugin_infos() if i.name == "example")
    assert info.status == "ok" and not info.warnings
    assert sorted(info.registered) == ["architecture:mlp", "loss:ragan", "model:mlp-ragan"]
    assert registry.loss("ragan").paper == "1807.00734"
    assert registry.architecture("mlp").task == "noise"

    config = resolve_config(registry, "mlp-ragan")
    assert (config.architecture, config.loss, config.dataset) == ("mlp", "ragan", "digits")
    assert (config.optimizer, config.lr, config.betas, config.batch_size) == ("adam", 2e-4, (0.5, 0.999), 64)
    assert config.architecture_config["image_size"] == 16
    assert resolve_config(registry, "mlp-ragan", {"image_size": 24, "hidden": 64}).architecture_config["hidden"] == 64


# ---------------------------------------------------------------- the real install
def pip_install_target(source: Path, target: Path) -> subprocess.CompletedProcess:
    """A real, non-editable ``pip install`` of ``source`` into the folder ``target``, not into this environment."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--target", str(target),
         str(source), "--disable-pip-version-check", "--no-input"],
        capture_output=True, text=True, timeout=300,
    )


def table_rows(text: str) -> list[list[str]]:
    """The cells of each line of a rich table (wrapped cells continue on lines of their own)."""
    lines = [line for line in text.splitlines() if line[:1] in ("│", "|")]  # rich draws ASCII where UTF-8 is unavailable
    return [[cell.strip() for cell in re.split("[│|]", line)[1:-1]] for line in lines]


def _junk(folder: Path) -> set[Path]:
    return {p for pattern in BUILD_JUNK for p in folder.rglob(pattern)}


def _installed_here() -> bool:
    try:
        metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.slow
def test_pip_installed_example_plugin_end_to_end(tmp_path: Path) -> None:
    """pip installs the example into a folder of its own; the real CLI finds it there on PYTHONPATH."""
    assert not _installed_here(), f"{DIST} is installed in the test environment: uninstall it"
    junk_before = _junk(EXAMPLE)
    # Build from a copy: an in-tree build leaves build/ and *.egg-info beside the sources.
    source = tmp_path / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns(*BUILD_JUNK))
    site = tmp_path / "site"
    started = time.perf_counter()
    pip = pip_install_target(source, site)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    print(f"pip install took {time.perf_counter() - started:.1f} s")
    assert (site / PACKAGE / "__init__.py").is_file()
    assert [p.name for p in site.glob("*.dist-info")] == ["ganzoo_example_plugin-0.1.0.dist-info"]
    assert not _installed_here() and _junk(EXAMPLE) == junk_before

    # importlib.metadata finds the dist-info on PYTHONPATH exactly as in site-packages.
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    installed = {"PYTHONPATH": os.pathsep.join(paths)}
    env = {**installed, "GANZOO_LOAD_PLUGINS": DIST, "GANZOO_STRICT_PLUGINS": "1"}

    # Discovery: installed, but only loaded when the allow-list names it.
    out = json.loads(run_cli("plugins", "--json", env=installed, check=True).stdout)
    assert [(p["name"], p["status"]) for p in out if p["distribution"] == DIST] == [("example", "skipped")]
    assert "mlp-ragan" not in run_cli("list", env=installed, check=True).stdout

    out = json.loads(run_cli("plugins", "--json", env=env, check=True).stdout)
    ours = [p for p in out if p["distribution"] == DIST]
    assert len(ours) == 1, out
    assert ours[0]["status"] == "ok" and ours[0]["version"] == "0.1.0" and ours[0]["module"] == PACKAGE
    assert not ours[0]["warnings"] and not ours[0]["error"]
    assert sorted(ours[0]["registered"]) == ["architecture:mlp", "loss:ragan", "model:mlp-ragan"]

    models = run_cli("list", env=env, check=True).stdout
    assert ["mlp-ragan", "noise", "mlp", "ragan"] in [row[:4] for row in table_rows(models)], models
    assert any(row[0] == "mlp-ragan" and row[-1].startswith(DIST) for row in table_rows(models)), models
    assert "dcgan" in [row[0] for row in table_rows(models)], models  # first-party models stay
    losses = run_cli("list", "--losses", env=env, check=True).stdout
    assert any(row[0] == "ragan" and row[-1].startswith(DIST) for row in table_rows(losses)), losses
    architectures = json.loads(run_cli("list", "--architectures", "--json", env=env, check=True).stdout)
    assert {"name": "mlp", "source": DIST} in [
        {"name": a["name"], "source": a["source"]["distribution"]} for a in architectures
    ]
    info = json.loads(run_cli("info", "mlp-ragan", "--json", env=env, check=True).stdout)
    assert info["loss_builder"] == "ganzoo_example.ragan:RaGANLoss"
    assert info["architecture_config"]["image_size"] == 16

    # Train a few steps with the real CLI, then sample from the saved weights.
    run_dir = tmp_path / "run"
    proc = run_cli("run", "mlp-ragan", "--steps", "3", "--out", str(run_dir), "--no-progress", env=env, check=True)
    assert "finished 3 steps" in proc.stdout
    generator = run_dir / "generator.safetensors"
    assert generator.is_file() and (run_dir / "discriminator.safetensors").is_file()
    meta = read_metadata(generator)
    assert (meta["architecture"], meta["loss"], meta["source"]) == ("mlp", "ragan", DIST)
    assert meta["config"]["image_size"] == 16
    png = tmp_path / "samples.png"
    run_cli("sample", str(generator), "-n", "16", "-o", str(png), env=env, check=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Not installed (the folder off the path): not listed, not discovered, and its weights say
    # which distribution to install.
    shutil.rmtree(site)
    assert "mlp-ragan" not in run_cli("list", env=env, check=True).stdout
    assert not [p for p in json.loads(run_cli("plugins", "--json", env=env, check=True).stdout) if p["distribution"] == DIST]
    proc = run_cli("sample", str(generator), "-o", str(tmp_path / "again.png"), env=env)
    assert proc.returncode == 2 and DIST in proc.stderr and "Traceback" not in proc.stderr
    assert not _installed_here()
