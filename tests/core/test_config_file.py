"""``ganzoo run --config FILE`` / ``ganzoo.train(config=...)``: settings from TOML or JSON files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ganzoo.api import plan_run
from ganzoo.core.config_file import read_run_file
from ganzoo.errors import ConfigError

from tests.helpers import did_you_mean, run_cli

TOML = """\
model = "dcgan"
steps = 7
batch-size = 16
betas = [0.5, 0.9]

[set]
ngf = 8
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_keys_are_the_flags_names(tmp_path: Path) -> None:
    file = read_run_file(write(tmp_path, "run.toml", TOML))
    assert (file.model, file.out) == ("dcgan", None)
    assert file.settings == {"steps": 7, "batch_size": 16, "betas": (0.5, 0.9), "ngf": 8}
    plan = plan_run(config=write(tmp_path, "run.toml", TOML), out=tmp_path / "run")
    config = plan.config
    assert (config.model, config.steps, config.batch_size, config.betas) == ("dcgan", 7, 16, (0.5, 0.9))
    assert config.architecture_config["ngf"] == 8


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "run.json", json.dumps({"model": "dcgan", "steps": 7, "out": str(tmp_path / "a"), "set": {"ngf": 8}}))
    plan = plan_run(config=path, steps=3, ngf=16, out=tmp_path / "b")
    assert (plan.config.steps, plan.config.architecture_config["ngf"], plan.run_dir) == (3, 16, tmp_path / "b")
    assert plan_run(config=path).run_dir == tmp_path / "a"
    assert plan_run(config={"model": "dcgan", "steps": 5}, out=tmp_path / "c").config.steps == 5  # a mapping too


@pytest.mark.parametrize("text, message", [
    ('model = "dcgan"\nstpes = 3\n', "unknown key 'stpes'" + did_you_mean("steps")),
    ('model = "dcgan"\nngf = 3\n', "unknown key 'ngf'.*set table"),
    ('model = "dcgan"\n[set]\nngff = 3\n', "unknown setting 'ngff' for model 'dcgan'" + did_you_mean("ngf")),
    ('model = "dcgan"\nsteps = 0\n', "steps must be a whole number >= 1"),
    ('model = "dcgan"\nset = 3\n', "set must be a table"),
    ('model = "dcgan"\narchitecture = "mlp"\n', "architecture 'mlp' is not the model's"),
    ('steps = 3\n', "name a model to train"),
    ('model = "dcgan"\nsteps = \n', "is not valid TOML"),
])
def test_mistakes_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        plan_run(config=write(tmp_path, "run.toml", text), out=tmp_path / "run")
    assert "\n" not in str(caught.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_run_file(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="give a .toml or .json"):
        read_run_file(write(tmp_path, "run.yaml", "steps: 3"))
    with pytest.raises(ConfigError, match="expected an object"):
        read_run_file(write(tmp_path, "run.json", "[1, 2]"))
    with pytest.raises(ConfigError, match="both architecture_config and loss_config"):
        read_run_file({"architecture_config": {"x": 1}, "loss_config": {"x": 2}})
    with pytest.raises(ConfigError, match="resumed run keeps"):
        plan_run(resume=tmp_path, config={"model": "dcgan"})


@pytest.mark.slow
def test_a_runs_config_json_reruns_it_bit_for_bit(tmp_path: Path) -> None:
    """``ganzoo run --config RUN/config.json --out OTHER`` trains the very same weights."""
    first, again = tmp_path / "first", tmp_path / "again"
    settings = ("--steps", "3", "--batch-size", "16", "--seed", "5", "--set", "ngf=8", "--set", "ndf=8", "--no-progress")
    run_cli("run", "dcgan", *settings, "--out", str(first), check=True)
    proc = run_cli("run", "--config", str(first / "config.json"), "--out", str(again), "--no-progress", check=True)
    assert "finished 3 steps" in proc.stdout
    assert json.loads((first / "config.json").read_text()) == json.loads((again / "config.json").read_text())
    for name in ("generator", "discriminator"):
        a, b = load_file(first / f"{name}.safetensors"), load_file(again / f"{name}.safetensors")
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    proc = run_cli("run", "--config", str(first / "config.json"), "--stpes", "3")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    bad = write(tmp_path, "bad.toml", 'model = "dcgan"\nbatch_sise = 8\n')
    proc = run_cli("run", "--config", str(bad), "--out", str(tmp_path / "never"))
    assert proc.returncode == 2 and re.search("unknown key 'batch_sise'" + did_you_mean("batch_size"), proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "never").exists()
