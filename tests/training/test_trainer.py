"""The shared trainer: a real short run, exact resume, NaN stop, Ctrl-C, run-folder safety."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import torch

import ganzoo
from ganzoo.io import checkpoint
from ganzoo.io import weights
from ganzoo.errors import ConfigError, RunFolderError, TrainingDiverged
from ganzoo.core.losses import Loss

from tests.helpers import run_cli

# Tiny DCGAN settings: each step takes milliseconds on a CPU.
TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, num_samples=16)


def test_short_run_writes_everything(tmp_path):
    result = ganzoo.train("dcgan", out=tmp_path / "run", steps=6, log_every=2, sample_every=3, checkpoint_every=3, **TINY)
    run = tmp_path / "run"
    assert result.step == 6
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-000003.png", "step-000006.png"]
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == [2, 4, 6]
    assert all(set(m) >= {"d_loss", "g_loss", "images_per_sec"} for m in lines)
    meta = weights.read_metadata(run / "generator.safetensors")
    assert meta["step"] == "6" and meta["dataset"] == "digits" and meta["training"]["steps"] == 6
    assert meta["config"]["channels"] == 1 and meta["classes"] == [str(i) for i in range(10)]
    assert checkpoint.read_checkpoint(run)["step"] == 6
    assert json.loads((run / "config.json").read_text())["steps"] == 6


def _tensors(path):
    return weights.read_tensors(path)


def test_resume_gives_identical_weights(tmp_path):
    common = dict(log_every=1, sample_every=100, checkpoint_every=3, **TINY)
    ganzoo.train("dcgan", out=tmp_path / "straight", steps=6, **common)
    ganzoo.train("dcgan", out=tmp_path / "split", steps=3, **common)
    ganzoo.train(resume=tmp_path / "split", steps=6)
    for name in ("generator.safetensors", "discriminator.safetensors"):
        a, b = _tensors(tmp_path / "straight" / name), _tensors(tmp_path / "split" / name)
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), f"{name}:{key} differs after resume"
    straight = [json.loads(x) for x in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    split = [json.loads(x) for x in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [(m["step"], m["d_loss"], m["g_loss"]) for m in straight] == [(m["step"], m["d_loss"], m["g_loss"]) for m in split]


def test_resume_of_a_finished_run_needs_more_steps(tmp_path):
    ganzoo.train("dcgan", out=tmp_path / "run", steps=2, **TINY)
    with pytest.raises(ConfigError, match="finished at step 2"):
        ganzoo.train(resume=tmp_path / "run")
    with pytest.raises(ConfigError, match="only steps and device"):
        ganzoo.train(resume=tmp_path / "run", steps=4, lr=1.0)


def test_existing_run_folder_is_never_overwritten(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("precious")
    with pytest.raises(RunFolderError, match="exists already"):
        ganzoo.train("dcgan", out=run, steps=1, **TINY)
    assert (run / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in run.iterdir()) == ["notes.txt"]


class NanAfter(Loss):
    """A real BCE-like loss that turns NaN after ``after`` discriminator calls."""

    def __init__(self, after: int = 5) -> None:
        self.after, self.calls = after, 0

    def discriminator_loss(self, real, fake):
        self.calls += 1
        loss = torch.nn.functional.softplus(-real).mean() + torch.nn.functional.softplus(fake).mean()
        return loss * float("nan") if self.calls > self.after else loss

    def generator_loss(self, fake, real=None):
        return torch.nn.functional.softplus(-fake).mean()


class NanPlugin:
    @ganzoo.hookimpl
    def register_losses(self, register):
        register(ganzoo.LossSpec(name="nan-after", builder=f"{__name__}:NanAfter", defaults={"after": 5}))


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, register_plugin):
    register_plugin(NanPlugin(), "nan-plugin")
    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match=r"discriminator and generator loss became non-finite between steps 5 and 6.*checkpoint \(step 4\)"):
        ganzoo.train("dcgan", loss="nan-after", out=run, steps=20, log_every=1, checkpoint_every=2, **TINY)
    state = checkpoint.read_checkpoint(run)
    assert state["step"] == 4
    assert all(torch.isfinite(t).all() for t in state["generator"].values() if t.is_floating_point())
    assert not (run / "generator.safetensors").exists()


@pytest.mark.slow  # a real run polled until it has logged 3 steps, interrupted, then resumed
def test_ctrl_c_saves_a_checkpoint_and_resumes(tmp_path):
    run = tmp_path / "run"
    args = ["run", "dcgan", "--steps", "100000", "--out", str(run), "--log-every", "1", "--checkpoint-every", "100000",
            "--image-size", "16", "--batch-size", "16", "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16"]
    proc = subprocess.Popen([sys.executable, "-m", "ganzoo", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not ((run / "metrics.jsonl").exists() and (run / "metrics.jsonl").read_text().count("\n") >= 3):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert f"ganzoo run --resume {run}" in err
    step = checkpoint.read_checkpoint(run)["step"]
    assert step >= 3
    done = run_cli("run", "--resume", str(run), "--steps", str(step + 2), check=True)
    assert f"finished {step + 2} steps" in done.stdout
    assert weights.read_metadata(run / "generator.safetensors")["step"] == str(step + 2)


def test_cli_run_and_sample_end_to_end(tmp_path):
    run = tmp_path / "run"
    proc = run_cli("run", "dcgan", "--steps", "4", "--out", str(run), "--image-size", "16", "--batch-size", "16",
                   "--set", "ngf=8", "--set", "ndf=8", "--seed", "3", check=True)
    assert "finished 4 steps" in proc.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["seed"] == 3 and config["architecture_config"]["ngf"] == 8
    grid = tmp_path / "grid.png"
    run_cli("sample", str(run / "generator.safetensors"), "-n", "9", "-o", str(grid), check=True)
    from PIL import Image

    with Image.open(grid) as img:
        assert img.size == (3 * 16 + 4 * 2, 3 * 16 + 4 * 2)
    again = run_cli("run", "dcgan", "--steps", "1", "--out", str(run))
    assert again.returncode == 2 and "exists already" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.slow
def test_dcgan_on_digits_learns(tmp_path):
    """A real (short) run: the generator's samples move towards the digits' statistics."""
    result = ganzoo.train("dcgan", out=tmp_path / "run", steps=200, sample_every=200, progress=False)
    model = ganzoo.load(result.generator, device="cpu")
    untrained = ganzoo.create("dcgan", image_size=32, channels=1)
    untrained.generator.eval()
    from ganzoo.data.datasets import load_dataset
    from ganzoo.plugin.discovery import get_registry

    real = load_dataset(get_registry(), "digits", 32).images.float().div(127.5).sub(1)
    trained = model.sample(256, seed=0)
    with torch.no_grad():
        before = untrained.generator(torch.randn(256, 100)).clamp(-1, 1)
    # Mean image distance to the real mean image: training must shrink it substantially.
    target = real.mean(0)
    assert (trained.mean(0) - target).abs().mean() < 0.5 * (before.mean(0) - target).abs().mean()


def test_config_json_records_the_channels_the_dataset_gave(tmp_path):
    """dcgan's default is 3 channels; on the 1-channel digits the nets get 1, and config.json
    (which --config re-runs and --resume reads) says 1 too, like the weights' metadata."""
    result = ganzoo.train("dcgan", out=tmp_path / "run", steps=1, progress=False, **TINY)
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["architecture_config"]["channels"] == 1
    assert ganzoo.load(result.run_dir).card.config["channels"] == 1
