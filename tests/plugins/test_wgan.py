"""The wgan plugin (wgan, wgan-gp) and the losses inside the real trainer and CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

import ganzoo
from ganzoo.io import checkpoint
from ganzoo.plugin import discovery as plugins
from ganzoo.io import weights
from ganzoo.core.config import resolve_config
from ganzoo.core.losses import Loss

from tests.helpers import run_cli

# Tiny DCGAN settings (as in test_trainer.py): each step takes milliseconds on a CPU.
TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, num_samples=16)
QUIET = dict(log_every=1, sample_every=1000, checkpoint_every=1000, progress=False)


# ---------------------------------------------------------------- the model specs
def test_wgan_models_follow_their_papers():
    registry = plugins.get_registry()
    wgan = resolve_config(registry, "wgan")
    assert (wgan.architecture, wgan.loss, wgan.loss_config) == ("dcgan", "wasserstein", {"clip": 0.01})
    assert (wgan.optimizer, wgan.n_critic) == ("rmsprop", 5)
    assert wgan.lr == 1e-4  # the paper's 5e-5 converges too slowly for a CPU-sized run (see the plugin's docstring)
    assert registry.model("wgan").paper == "1701.07875"

    gp = resolve_config(registry, "wgan-gp")
    assert (gp.architecture, gp.loss, gp.loss_config) == ("dcgan", "wgan-gp", {"gp_weight": 10.0})
    assert (gp.optimizer, gp.lr, tuple(gp.betas), gp.n_critic) == ("adam", 1e-4, (0.0, 0.9), 5)
    assert gp.architecture_config["d_norm"] == "layer"
    assert registry.model("wgan-gp").paper == "1704.00028"
    for name in ("wgan", "wgan-gp"):
        assert registry.model(name).source.plugin == "wgan"


def test_wgan_gp_critic_has_no_batch_norm_and_no_sigmoid():
    model = ganzoo.create("wgan-gp", image_size=16, channels=1, ngf=8, ndf=8)
    kinds = {type(m) for m in model.discriminator.modules()}
    assert torch.nn.BatchNorm2d not in kinds and torch.nn.GroupNorm in kinds
    assert torch.nn.Sigmoid not in kinds
    scores = model.discriminator(torch.randn(3, 1, 16, 16))
    assert scores.shape == (3,)


def test_top_level_module_is_import_cheap():
    code = "import ganzoo_plugins.wgan, ganzoo_plugins.losses, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------- real trainer runs
def _optimizer_steps(state: dict) -> set[int]:
    return {int(s["step"]) for s in state["state"].values()}


def test_wgan_trains_clips_and_counts_critic_steps(tmp_path):
    run = tmp_path / "wgan"
    result = ganzoo.train("wgan", out=run, steps=3, **QUIET, **TINY)
    assert result.step == 3
    # n_critic = 5 critic steps per generator step: RMSprop's own step counters say so
    state = checkpoint.read_checkpoint(run)
    assert _optimizer_steps(state["optimizer_d"]) == {15}
    assert _optimizer_steps(state["optimizer_g"]) == {3}
    # every critic parameter ends inside [-c, c], and clipping really bit (init is N(0, 0.02))
    critic = ganzoo.load(run / "discriminator.safetensors", device="cpu").discriminator
    clip = torch.tensor(0.01)
    params = dict(critic.named_parameters())
    assert params and all(bool((p.abs() <= clip).all()) for p in params.values())
    assert any(bool((p.abs() == clip).any()) for p in params.values())
    # the saved weights load and sample
    model = ganzoo.load(run, device="cpu")
    assert model.card.model == "wgan" and model.card.loss == "wasserstein"
    images = model.sample(4, seed=0)
    assert images.shape == (4, 1, 16, 16) and torch.isfinite(images).all()
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == [1, 2, 3]


def test_wgan_gp_trains_and_saves_loadable_weights(tmp_path):
    run = tmp_path / "wgan-gp"
    result = ganzoo.train("wgan-gp", out=run, steps=2, **QUIET, **TINY)
    assert result.step == 2
    state = checkpoint.read_checkpoint(run)
    assert _optimizer_steps(state["optimizer_d"]) == {10}
    assert _optimizer_steps(state["optimizer_g"]) == {2}
    meta = weights.read_metadata(run / "generator.safetensors")
    assert meta["loss"] == "wgan-gp" and meta["config"]["d_norm"] == "layer"
    assert meta["training"]["loss_config"] == {"gp_weight": 10.0}
    model = ganzoo.load(run / "generator.safetensors", device="cpu")
    images = model.sample(4, seed=0)
    assert images.shape == (4, 1, 16, 16) and torch.isfinite(images).all()


def test_gradient_penalty_through_the_trainer_with_a_conditional_critic(tmp_path):
    """The trainer's critic closure binds the batch's labels; the penalty needs nothing more."""
    if "cgan" not in plugins.get_registry().models:
        pytest.skip("no class-conditional model registered")
    run = tmp_path / "cgan-gp"
    ganzoo.train("cgan", loss="wgan-gp", d_norm="layer", n_critic=2, out=run, steps=2, **QUIET, **TINY)
    assert _optimizer_steps(checkpoint.read_checkpoint(run)["optimizer_d"]) == {4}
    assert weights.read_metadata(run / "generator.safetensors")["loss"] == "wgan-gp"


class CountingLoss(Loss):
    """Wasserstein losses that record how the trainer calls them."""

    calls: list[str] = []

    def discriminator_loss(self, real, fake):
        CountingLoss.calls.append("d")
        return fake.mean() - real.mean()

    def discriminator_penalty(self, critic, real, fake):
        CountingLoss.calls.append("p")
        return None

    def after_discriminator_step(self, discriminator):
        CountingLoss.calls.append("clip")

    def generator_loss(self, fake, real=None):
        CountingLoss.calls.append("g")
        return -fake.mean()


class CountingPlugin:
    @ganzoo.hookimpl
    def register_losses(self, register):
        register(ganzoo.LossSpec(name="counting", builder=f"{__name__}:CountingLoss"))


@pytest.mark.parametrize("n_critic", [1, 3])
def test_n_critic_discriminator_steps_per_generator_step(tmp_path, register_plugin, n_critic):
    register_plugin(CountingPlugin(), "counting-plugin")
    CountingLoss.calls = []
    ganzoo.train("wgan", loss="counting", n_critic=n_critic, out=tmp_path / "run", steps=2, **QUIET, **TINY)
    one_step = ["d", "p", "clip"] * n_critic + ["g"]
    assert CountingLoss.calls == one_step * 2


# ---------------------------------------------------------------- the CLI
@pytest.mark.parametrize("loss, loss_config", [("hinge", {}), ("lsgan", {"a": 0.0, "b": 1.0, "c": 1.0})])
def test_cli_runs_dcgan_with_another_loss(tmp_path, loss, loss_config):
    run = tmp_path / loss
    proc = run_cli("run", "dcgan", "--loss", loss, "--steps", "2", "--out", str(run), "--image-size", "16",
                   "--batch-size", "16", "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16", "--no-progress", cwd=tmp_path, check=True)
    assert "finished 2 steps" in proc.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["loss"] == loss and config["loss_config"] == loss_config
    assert weights.read_metadata(run / "generator.safetensors")["loss"] == loss
    assert (run / "samples" / "step-000002.png").is_file()


def test_cli_refuses_a_loss_setting_of_another_loss(tmp_path):
    proc = run_cli("run", "wgan", "--set", "gp_weight=5", "--steps", "1", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode == 2 and "unknown setting 'gp_weight'" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- a real (short) run
@pytest.mark.slow
def test_wgan_gp_on_digits_learns(tmp_path):
    """A real short run: the samples' mean image takes the digits' shape (an untrained one has none).

    Shape, not brightness: after 150 steps the background is still grey, but the mean image
    correlates with the digits' mean image (about 0.93 here; an untrained generator about 0).
    """
    settings = dict(ngf=16, ndf=16, batch_size=32, sample_every=1000, checkpoint_every=1000, progress=False)
    result = ganzoo.train("wgan-gp", out=tmp_path / "run", steps=150, **settings)
    model = ganzoo.load(result.generator, device="cpu")
    untrained = ganzoo.create("wgan-gp", image_size=32, channels=1, ngf=16, ndf=16)
    untrained.generator.eval()
    from ganzoo.data.datasets import load_dataset

    real = load_dataset(plugins.get_registry(), "digits", 32).images.float().div(127.5).sub(1)
    target = real.mean(0).flatten()

    def shape_correlation(images: torch.Tensor) -> float:
        return torch.corrcoef(torch.stack([images.mean(0).flatten(), target]))[0, 1].item()

    with torch.no_grad():
        before = untrained.generator(torch.randn(256, 100)).clamp(-1, 1)
    trained = model.sample(256, seed=0)
    assert shape_correlation(before) < 0.5
    assert shape_correlation(trained) > 0.8
    assert trained.std(0).mean() > 0.05  # the samples differ from one another
