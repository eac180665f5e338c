"""What a plugin author runs into, through the real CLI and API (issue 15, item 9): specs
checked when the plugin loads (strict mode fails there), int betas, unknown training keys with a
did-you-mean, ``--set channels`` the dataset contradicts, the image size to pass, ``--resume``
naming the distribution to reinstall, and ``ganzoo zoo add``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import ganzoo
from ganzoo import ArchitectureSpec, DatasetSpec, LossSpec, ModelSpec, PluginError, TrainConfig, WeightsSpec, hookimpl
from ganzoo.core.config import resolve_config
from ganzoo.io.pretrained import sha256_of
from ganzoo.io.weights import read_metadata, read_tensors
from ganzoo.plugin import discovery as plugins

from tests.helpers import did_you_mean, make_distribution, run_cli

SMALL = ("--steps", "2", "--batch-size", "8", "--image-size", "16", "--set", "ngf=8", "--set", "ndf=8")


def plugin_with(**training) -> object:
    class Plugin:
        @hookimpl
        def register_models(register):
            register(ModelSpec(name="gz-author", architecture="dcgan", loss="bce", training=training))
    return Plugin


# ---------------------------------------------------------------- (b) betas written as ints
def test_int_betas_become_floats_and_train(register_plugin, tmp_path: Path) -> None:
    register_plugin(plugin_with(betas=(0, 0.9)), "author")
    config = resolve_config(plugins.get_registry(), "gz-author")
    assert config.betas == (0.0, 0.9) and all(type(b) is float for b in config.betas)
    assert TrainConfig(model="x", betas=(0, 0.9)).betas == (0.0, 0.9)
    result = ganzoo.train("gz-author", out=tmp_path / "run", steps=2, batch_size=8, image_size=16, ngf=8, ndf=8,
                          progress=False)
    assert json.loads((result.run_dir / "config.json").read_text())["betas"] == [0.0, 0.9]


@pytest.mark.parametrize("betas", [(True, 0.9), (0.5, 1), ("0.5", 0.9), (0.5,)])
def test_bad_betas_fail_when_the_plugin_loads(register_plugin, monkeypatch, betas) -> None:
    register_plugin(plugin_with(betas=betas), "author")
    assert "gz-author" not in plugins.get_registry().models  # dropped, with a warning
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    plugins.reset()
    with pytest.raises(PluginError, match=r"model 'gz-author' skipped: training: betas must be two numbers in \[0, 1\)"):
        plugins.get_registry()


# ---------------------------------------------------------------- (h) unknown training keys
def test_unknown_training_key_is_named_with_a_did_you_mean_at_load_time(tmp_path: Path) -> None:
    site = make_distribution(tmp_path / "site", "gz-typo", {"gz_typo": """
        from ganzoo import ModelSpec, hookimpl

        @hookimpl
        def register_models(register):
            register(ModelSpec(name="gz-typo", architecture="dcgan", loss="bce", training={"stesp": 10}))
        """}, {"typo": "gz_typo"})
    env = {"PYTHONPATH": str(site), "GANZOO_LOAD_PLUGINS": "gz-typo"}
    proc = run_cli("list", env=env)  # not strict: one warning, the rest of the zoo works
    assert proc.returncode == 0 and "dcgan" in proc.stdout and "gz-typo" not in proc.stdout
    assert re.search("model 'gz-typo' skipped: sets unknown training key 'stesp'" + did_you_mean("steps"), proc.stderr)
    proc = run_cli("info", "gz-typo", env=env)  # once a traceback (TrainConfig(**training))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run_cli("plugins", env={**env, "GANZOO_STRICT_PLUGINS": "1"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert re.search("unknown training key 'stesp'" + did_you_mean("steps") + r" \(GANZOO_STRICT_PLUGINS is set\)", proc.stderr)


@pytest.mark.parametrize(("spec", "problem"), [
    (dict(architecture_config={"ngff": 8}), "architecture_config sets 'ngff', which architecture 'dcgan' does not have"
                                            + did_you_mean("ngf")),
    (dict(architecture_config={"ngf": "wide"}), "ngf must be a whole number"),
    (dict(loss_config={"real_lable": 0.9}), "loss_config sets 'real_lable', which loss 'bce' does not have"),
    (dict(dataset="digts"), "unknown dataset 'digts'" + did_you_mean("digits")),
    (dict(architecture_config={"image_size": 24}), "supports image sizes 16, 32, 64, 128, not 24; pass --image-size 32"),
])
def test_model_settings_are_checked_when_the_plugin_loads(register_plugin, monkeypatch, spec, problem) -> None:
    class Plugin:
        @hookimpl
        def register_models(register):
            register(ModelSpec(name="gz-author", architecture="dcgan", loss="bce", **spec))

    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    register_plugin(Plugin, "author")
    with pytest.raises(PluginError) as caught:
        plugins.get_registry()
    assert re.search(problem, str(caught.value)), str(caught.value)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ArchitectureSpec(name="a", task="noise", builder="m:b", image_sizes=("32",)), "image_sizes must be a tuple of whole numbers"),
    (lambda: ArchitectureSpec(name="a", task="noise", builder="m:b", summary=None), "summary must be text"),
    (lambda: ArchitectureSpec(name="a", task="noise", builder="m:b", defaults={"nz": object()}), r"defaults\['nz'\] must be"),
    (lambda: LossSpec(name="l", builder="m:b", tasks="noise"), "tasks must be a tuple of task names"),
    (lambda: DatasetSpec(name="d", builder="m:b", labelled="yes"), "labelled must be True or False"),
    (lambda: DatasetSpec(name="d", builder="m:b", image_size=0), "image_size must be a tuple of whole numbers >= 1"),
    (lambda: ModelSpec(name="m", architecture="a", loss="l", training=[("steps", 3)]), "training must be a mapping"),
    (lambda: WeightsSpec(name="m.t", sha256="0" * 64, size=1, url="https://x", precision="half"), "precision must be one of"),
    (lambda: WeightsSpec(name="m.t", sha256="0" * 64, size=1, url="https://x", metrics={"fd": True}), "metrics must map"),
])
def test_spec_fields_are_checked_when_constructed(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


# ---------------------------------------------------------------- (g), (j) through the CLI
def test_channels_the_dataset_contradicts_are_refused(tmp_path: Path) -> None:
    proc = run_cli("--threads", "1", "run", "dcgan", *SMALL, "--set", "channels=2", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "dataset 'digits' has 1-channel images, but channels is set to 2" in proc.stderr
    assert not (tmp_path / "run").exists()


def test_the_image_size_to_pass_is_named() -> None:
    proc = run_cli("run", "dcgan", "--image-size", "24", "--steps", "1")
    assert proc.returncode == 2
    assert "architecture 'dcgan' supports image sizes 16, 32, 64, 128, not 24; pass --image-size 32" in proc.stderr


# ---------------------------------------------------------------- (i) resume without the plugin
def test_resume_after_the_plugin_is_gone_names_the_distribution(tmp_path: Path) -> None:
    site = make_distribution(tmp_path / "site", "gz-gone", {"gz_gone": """
        from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

        @hookimpl
        def register_architectures(register):
            register(ArchitectureSpec(name="gz-gone-nets", task="noise", builder="ganzoo_plugins.dcgan.nets:build",
                                      defaults={"nz": 16, "ngf": 8, "ndf": 8, "image_size": 16, "channels": 1}))

        @hookimpl
        def register_models(register):
            register(ModelSpec(name="gz-gone", architecture="gz-gone-nets", loss="bce"))
        """}, {"gone": "gz_gone"})
    run = tmp_path / "run"
    env = {"PYTHONPATH": str(site), "GANZOO_LOAD_PLUGINS": "gz-gone"}
    run_cli("--threads", "1", "run", "gz-gone", "--steps", "2", "--batch-size", "8", "--out", str(run), env=env, check=True)
    proc = run_cli("run", "--resume", str(run), "--steps", "4")  # the plugin is not on the path any more
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (f"{run} was trained with architecture 'gz-gone-nets', which no installed plugin provides; it came from the "
            "plugin distribution 'gz-gone': pip install it") in proc.stderr
    assert read_metadata(run / "generator.safetensors")["step"] == "2"  # nothing touched


# ---------------------------------------------------------------- (e) ganzoo zoo add
def test_zoo_add_writes_fp16_weights_and_a_ready_spec(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_cli("--threads", "1", "run", "dcgan", *SMALL, "--set", "mbstd=2", "--ema", "0.9", "--eval-every", "2",
            "--out", str(run), check=True)
    out = tmp_path / "pkg" / "weights"
    proc = run_cli("zoo", "add", str(run), "dcgan.tiny", "--out", str(out), "--package", "pkg", check=True)
    target = out / "dcgan.tiny.safetensors"
    spec = eval(proc.stdout, {"WeightsSpec": WeightsSpec})  # the printed Python is the spec
    assert spec.sha256 == sha256_of(target) and spec.size == target.stat().st_size
    assert spec.file == "pkg:weights/dcgan.tiny.safetensors" and spec.precision == "fp16" and spec.dataset == "digits"
    # issue 27: the global --threads the run used is part of the command (bit-identical needs it)
    assert spec.command == ("ganzoo --threads 1 run dcgan --steps 2 --batch-size 8 --seed 0 --ema 0.9 --image-size 16 "
                            "--set mbstd=2 --set ndf=8 --set ngf=8")
    # ... and the spec is complete: a sample grid drawn for it, a licence line (defaulted here)
    assert spec.sample == "pkg:weights/dcgan.tiny.png" and (out / "dcgan.tiny.png").is_file()
    assert spec.license == "not stated by the author; trained on digits (see its licence)"
    assert "--license TEXT" in proc.stderr and '[tool.setuptools.package-data] pkg = ["weights/*.safetensors"' in proc.stderr
    recorded = [json.loads(line)["eval"] for line in (run / "metrics.jsonl").read_text().splitlines() if '"eval"' in line]
    assert spec.metrics["fd_digits"] == pytest.approx(recorded[-1]["fd_digits"])
    meta = read_metadata(target)
    assert meta["precision"] == "fp16" and meta["command"] == spec.command and meta["metrics"] == dict(spec.metrics)
    ema = read_tensors(run / "generator.ema.safetensors")
    half = read_tensors(target)
    assert all(half[k].dtype == v.half().dtype and (half[k] == v.half()).all() for k, v in ema.items() if v.is_floating_point())
    assert spec.num_params == sum(p.numel() for p in ganzoo.load(target, device="cpu").generator.parameters())
    again = run_cli("zoo", "add", str(run), "dcgan.tiny", "--out", str(out))
    assert again.returncode == 2 and "exists; remove it or pick another --out" in again.stderr
    assert sha256_of(target) == spec.sha256  # untouched
    wrong = run_cli("zoo", "add", str(run), "wgan.tiny", "--out", str(out))
    assert wrong.returncode == 2 and "must be the model's name 'dcgan'" in wrong.stderr
    fields = json.loads(run_cli("zoo", "add", str(run), "dcgan.v2", "--out", str(out), "--json", "--license", "MIT",
                                "--command", "ganzoo run dcgan", check=True).stdout)
    assert WeightsSpec(**fields).file == "PACKAGE:weights/dcgan.v2.safetensors"
    assert (fields["license"], fields["sample"], fields["command"]) == ("MIT", "PACKAGE:weights/dcgan.v2.png", "ganzoo run dcgan")
