"""Training switches: --precision, --compile, --[no-]channels-last, --ema (tiny nets, a few steps)."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch
from torch import nn

import ganzoo
from ganzoo.io import checkpoint
from ganzoo.io import weights
from ganzoo.core.config import TrainConfig, resolve_config
from ganzoo.training.ema import EMA
from ganzoo.errors import ConfigError
from ganzoo.plugin.discovery import get_registry
from ganzoo.core.memory_order import to_channels_last
from ganzoo.training.speed import Precision
from ganzoo.training.trainer import Trainer

from tests.helpers import run_cli

TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=8, num_samples=16, sample_every=100, log_every=1)
TINY_ARGS = ["--image-size", "16", "--batch-size", "8", "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16", "--no-progress"]


def _tensors(path):
    return weights.read_tensors(path)


def _assert_same(a_path, b_path):
    a, b = _tensors(a_path), _tensors(b_path)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{b_path.name}:{key} differs"


def _metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------- every switch, end to end
@pytest.mark.parametrize(
    "switches",
    [dict(precision="bf16"), dict(precision="fp16"), dict(channels_last=False), dict(ema=0.9)],
    ids=["bf16", "fp16", "no-channels-last", "ema"],
)
def test_each_switch_trains_and_records_itself(tmp_path, switches):
    run = tmp_path / "run"
    result = ganzoo.train("dcgan", out=run, steps=3, **TINY, **switches)
    training = weights.read_metadata(run / "generator.safetensors")["training"]
    for key, value in switches.items():
        assert training[key] == value
        assert json.loads((run / "config.json").read_text())[key] == value
    assert all(math.isfinite(m["d_loss"]) and math.isfinite(m["g_loss"]) for m in _metrics(run))
    assert all(torch.isfinite(t).all() for t in _tensors(result.generator).values() if t.is_floating_point())
    assert (result.ema_generator is not None) == ("ema" in switches)


def test_defaults_record_the_switches(tmp_path):
    """Off by default but channels-last (the same fp32 math, measured faster: see memory_order.channels_last_on)."""
    result = ganzoo.train("dcgan", out=tmp_path / "run", steps=1, **TINY)
    training = weights.read_metadata(result.generator)["training"]
    assert (training["precision"], training["compile"], training["channels_last"], training["ema"]) == ("fp32", False, True, 0.0)
    assert result.ema_generator is None and not (tmp_path / "run" / "generator.ema.safetensors").exists()


def test_an_old_config_without_the_switches_still_loads():
    data = TrainConfig(model="dcgan").to_dict()
    for key in ("precision", "compile", "channels_last", "ema"):
        del data[key]
    config = TrainConfig.from_dict(data)
    assert (config.precision, config.compile, config.channels_last, config.ema) == ("fp32", False, False, 0.0)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(precision="fp8"), "unknown precision 'fp8'"),
        (dict(ema=1.5), "ema must be 0 .off. or a decay strictly between 0 and 1"),
        (dict(ema=-0.1), "ema must be 0"),
        (dict(ema=True), "ema must be 0"),
        (dict(compile="yes"), "compile must be true or false"),
        (dict(channels_last=1), "channels-last must be true or false"),
    ],
)
def test_bad_values_are_config_errors(bad, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config(get_registry(), "dcgan", bad)


# ---------------------------------------------------------------- EMA
def test_ema_is_the_hand_computed_average():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    decay = 0.75
    ema = EMA(net, decay)
    expected = [p.detach().clone() for p in net.parameters()]  # the average starts at the live weights
    for n, value in enumerate((1.0, -2.0, 0.5, 4.0) * 8):
        used = min(decay, (1 + n) / (10 + n))  # warm-up: 0.1, 0.18, ..., then the decay itself
        assert ema.current_decay() == used
        with torch.no_grad():
            for i, p in enumerate(net.parameters()):
                p.fill_(value * (i + 1))
            net[1].running_mean.fill_(value)  # a buffer: copied, not averaged
        ema.update(net)
        expected = [used * e + (1 - used) * value * (i + 1) for i, e in enumerate(expected)]
        for got, want in zip(ema.module.parameters(), expected):
            torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
        assert torch.equal(ema.module[1].running_mean, net[1].running_mean)
    assert not any(p.requires_grad for p in ema.module.parameters())
    assert not ema.module.training
    # The EMA's state round-trips (checkpoints).
    other = EMA(net, decay)
    other.load_state_dict(ema.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(other.module.state_dict().values(), ema.module.state_dict().values()))
    assert other.updates == 32 and other.current_decay() == decay


def test_trainer_averages_after_every_generator_step_and_samples_from_the_average(tmp_path):
    config = resolve_config(get_registry(), "dcgan", dict(ema=0.5, steps=2, **TINY))
    trainer = Trainer(config, tmp_path / "run", progress=False)
    trainer._setup()
    for n in range(2):
        used = min(0.5, (1 + n) / (10 + n))
        before = [p.detach().clone() for p in trainer.ema.module.parameters()]
        trainer.train_step()
        for averaged, old, live in zip(trainer.ema.module.parameters(), before, trainer.generator.parameters()):
            torch.testing.assert_close(averaged, used * old + (1 - used) * live.detach(), rtol=1e-6, atol=1e-7)
    z = trainer.task.noise(4, trainer.device)
    shown = trainer.generate_eval(z, None)
    assert torch.equal(shown, trainer.task.generate_eval(trainer.ema.module, z, None))
    assert not torch.equal(shown, trainer.task.generate_eval(trainer.generator, z, None))


def test_ema_weights_are_saved_loaded_and_differ_from_the_raw_ones(tmp_path):
    run = tmp_path / "run"
    result = ganzoo.train("dcgan", out=run, steps=4, ema=0.9, **TINY)
    assert result.ema_generator == run / "generator.ema.safetensors"
    raw, averaged = _tensors(result.generator), _tensors(result.ema_generator)
    assert raw.keys() == averaged.keys()
    floats = [k for k in raw if raw[k].is_floating_point() and "running" not in k]
    assert any(not torch.equal(raw[k], averaged[k]) for k in floats)
    assert all(torch.equal(raw[k], averaged[k]) for k in raw if "running" in k)  # buffers are copied
    meta = weights.read_metadata(result.ema_generator)
    assert meta["ema"] == "0.9" and meta["training"]["ema"] == 0.9 and meta["role"] == "generator" and meta["step"] == "4"
    # A run folder loads the averaged generator; the raw one by its file name.
    from_folder = ganzoo.load(run, device="cpu").generator.state_dict()
    assert all(torch.equal(from_folder[k], averaged[k]) for k in averaged)
    from_file = ganzoo.load(result.generator, device="cpu").generator.state_dict()
    assert all(torch.equal(from_file[k], raw[k]) for k in raw)


# ---------------------------------------------------------------- exact resume
@pytest.mark.parametrize("model", ["dcgan", "wgan-gp"])
def test_resume_with_ema_and_fp16_scaler_is_exact(tmp_path, model):
    common = dict(precision="fp16", ema=0.8, checkpoint_every=2, **TINY)
    if model == "wgan-gp":
        common["n_critic"] = 2
    ganzoo.train(model, out=tmp_path / "straight", steps=4, **common)
    ganzoo.train(model, out=tmp_path / "split", steps=2, **common)
    assert "scaler_d" in checkpoint.read_checkpoint(tmp_path / "split") and "ema" in checkpoint.read_checkpoint(tmp_path / "split")
    ganzoo.train(resume=tmp_path / "split", steps=4)
    for name in ("generator.safetensors", "generator.ema.safetensors", "discriminator.safetensors"):
        _assert_same(tmp_path / "straight" / name, tmp_path / "split" / name)
    a, b = checkpoint.read_checkpoint(tmp_path / "straight"), checkpoint.read_checkpoint(tmp_path / "split")
    assert a["scaler_g"] == b["scaler_g"] and a["scaler_d"] == b["scaler_d"]


# ---------------------------------------------------------------- gradient penalty under autocast
def _penalty(precision: str, seed: int = 0):
    """WGAN-GP's penalty and its gradients as the trainer computes them under ``precision``."""
    from ganzoo_plugins.losses.wgan_gp import WGANGPLoss

    torch.manual_seed(0)
    model = ganzoo.create("wgan-gp", image_size=16, ngf=8, ndf=8, channels=1)
    critic_net = model.discriminator
    real = torch.rand(8, 1, 16, 16) * 2 - 1
    fake = model.generator(torch.randn(8, model.card.config["nz"])).detach()
    amp = Precision(precision, torch.device("cpu"))
    dtypes = []

    def critic(images):
        scores = critic_net(images)
        dtypes.append(scores.dtype)
        return scores

    torch.manual_seed(seed)  # the same interpolation weights for every precision
    with amp.autocast(), amp.penalty():
        penalty = WGANGPLoss().discriminator_penalty(critic, real, fake)
    grads = torch.autograd.grad(penalty, list(critic_net.parameters()))
    return penalty, torch.cat([g.flatten() for g in grads]), dtypes


def test_gradient_penalty_under_bf16_autocast_matches_fp32():
    full, full_grads, full_dtypes = _penalty("fp32")
    half, half_grads, half_dtypes = _penalty("bf16")
    assert full_dtypes == [torch.float32] and half_dtypes == [torch.bfloat16]  # bf16 really ran
    assert half.dtype == torch.float32 and torch.isfinite(half)
    torch.testing.assert_close(half, full, rtol=2e-2, atol=1e-3)  # bf16 keeps ~3 significant digits
    cosine = torch.nn.functional.cosine_similarity(half_grads, full_grads, dim=0)
    assert cosine > 0.99, cosine
    assert (half_grads.norm() / full_grads.norm() - 1).abs() < 0.05


def test_gradient_penalty_under_fp16_runs_in_fp32():
    full, full_grads, _ = _penalty("fp32")
    half, half_grads, dtypes = _penalty("fp16")
    assert dtypes == [torch.float32]
    assert torch.equal(half, full) and torch.equal(half_grads, full_grads)


def test_fp16_wgan_gp_takes_finite_steps(tmp_path):
    run = tmp_path / "run"
    ganzoo.train("wgan-gp", out=run, steps=4, precision="fp16", **TINY)
    assert all(math.isfinite(m["d_loss"]) and math.isfinite(m["g_loss"]) for m in _metrics(run))
    state = checkpoint.read_checkpoint(run)
    scale = state["scaler_d"]["scale"]
    assert 0 < scale <= 2.0**16 and math.isfinite(scale)
    # Loss scaling may skip the first steps (overflow at the initial scale), but most were taken.
    assert int(state["optimizer_d"]["state"]["0"]["step"]) >= 10
    assert int(state["optimizer_g"]["state"]["0"]["step"]) >= 1
    for name in ("generator.safetensors", "discriminator.safetensors"):
        assert all(torch.isfinite(t).all() for t in _tensors(run / name).values() if t.is_floating_point())


def test_reduced_precision_where_autocast_cannot_is_a_config_error():
    meta = torch.device("meta")  # a real device type without autocast
    for name in ("bf16", "fp16"):
        with pytest.raises(ConfigError, match=f"--precision {name} needs autocast.*use fp32"):
            Precision(name, meta)
    Precision("fp32", meta)  # fp32 needs no autocast


# ---------------------------------------------------------------- channels-last
def test_channels_last_puts_nets_and_batches_in_that_layout(tmp_path):
    config = resolve_config(get_registry(), "dcgan", dict(channels_last=True, steps=1, **TINY))
    trainer = Trainer(config, tmp_path / "run", progress=False)
    trainer._setup()
    convs = [m.weight for net in (trainer.generator, trainer.discriminator) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    assert any(not w.is_contiguous() for w in convs)  # (a weight with one channel is both at once)
    real, _ = trainer.next_batch()  # digits have one channel: check the layout on a batch with three
    assert real.is_contiguous(memory_format=torch.channels_last)
    rgb = to_channels_last(real.expand(-1, 3, -1, -1))
    assert rgb.is_contiguous(memory_format=torch.channels_last) and not rgb.is_contiguous()
    d_loss, g_loss = trainer.train_step()
    assert torch.isfinite(d_loss) and torch.isfinite(g_loss)


# ---------------------------------------------------------------- compile
def test_compile_without_a_cxx_compiler_is_a_one_line_error(tmp_path):
    run = tmp_path / "run"
    proc = run_cli("run", "dcgan", "--compile", "--steps", "1", "--out", str(run), "--device", "cpu", *TINY_ARGS,
                   env={"CXX": str(tmp_path / "no-such-compiler")})
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
    assert len(errors) == 1 and "drop --compile" in errors[0] and "Traceback" not in proc.stderr
    assert not run.exists()  # refused before the run folder was made


@pytest.mark.slow
def test_compile_trains_and_saves_plain_state_dicts(tmp_path):
    """Real torch.compile (inductor, C++ on CPU): WGAN-GP's penalty runs the critic eagerly."""
    if os.name == "nt":
        pytest.skip("inductor's CPU backend is not set up on Windows runners")
    run = tmp_path / "run"
    result = ganzoo.train("wgan-gp", out=run, steps=2, n_critic=2, compile=True, ema=0.9, device="cpu", **TINY)
    plain = ganzoo.create("wgan-gp", image_size=16, ngf=8, ndf=8, nz=16, channels=1)
    assert set(_tensors(result.generator)) == set(plain.generator.state_dict())
    assert set(_tensors(result.discriminator)) == set(plain.discriminator.state_dict())
    assert weights.read_metadata(result.generator)["training"]["compile"] is True
    assert all(math.isfinite(m["d_loss"]) for m in _metrics(run))
    ganzoo.load(run, device="cpu").sample(4, seed=0)


# ---------------------------------------------------------------- CLI
def test_cli_flags_reach_the_run(tmp_path):
    run = tmp_path / "run"
    proc = run_cli("run", "dcgan", "--steps", "2", "--out", str(run), "--precision", "bf16", "--no-channels-last",
                   "--ema", "0.99", *TINY_ARGS, check=True)
    assert "generator.ema.safetensors (EMA)" in proc.stdout
    config = json.loads((run / "config.json").read_text())
    assert (config["precision"], config["channels_last"], config["ema"], config["compile"]) == ("bf16", False, 0.99, False)
    run_cli("run", "dcgan", "--steps", "1", "--out", str(tmp_path / "on"), "--channels-last", *TINY_ARGS, check=True)
    assert json.loads((tmp_path / "on" / "config.json").read_text())["channels_last"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["--precision", "fp8"], "argument --precision: invalid choice: 'fp8'"),
        (["--ema", "1.5"], "argument --ema: expected 0 (off) or a decay strictly between 0 and 1"),
        (["--ema", "fast"], "argument --ema: expected a decay such as 0.999, got 'fast'"),
    ],
)
def test_cli_bad_values_are_one_line_errors(tmp_path, args, message):
    proc = run_cli("run", "dcgan", "--steps", "1", "--out", str(tmp_path / "run"), *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the frozen discriminator in the generator step
@pytest.mark.parametrize("model,extra", [("dcgan", {}), ("wgan-gp", {"n_critic": 2}), ("cgan", {}), ("infogan", {})])
def test_freezing_the_discriminator_in_the_generator_step_changes_no_number(tmp_path, monkeypatch, model, extra):
    """The generator step skips the discriminator's weight gradients (which the next
    discriminator step would clear unread): the same weights, bit for bit, as computing them."""
    import contextlib

    from ganzoo.training import speed

    fast = ganzoo.train(model, out=tmp_path / "fast", steps=4, **TINY, **extra)
    monkeypatch.setattr(speed, "frozen", lambda net, active=True: contextlib.nullcontext())
    plain = ganzoo.train(model, out=tmp_path / "plain", steps=4, **TINY, **extra)
    _assert_same(plain.generator, fast.generator)
    _assert_same(plain.discriminator, fast.discriminator)


def test_frozen_restores_the_flags_and_records_no_weight_gradients():
    from ganzoo.training.speed import frozen

    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    net[1].bias.requires_grad_(False)  # a parameter frozen by its owner stays frozen
    x = torch.randn(2, 3, requires_grad=True)
    with frozen(net):
        out = net(x).sum()
    assert [p.requires_grad for p in net.parameters()] == [True, True, True, False]
    out.backward()
    assert x.grad is not None and all(p.grad is None for p in net.parameters())


def test_channels_last_by_default_repeats_bit_for_bit_and_computes_what_contiguous_does(tmp_path):
    """The default layout is a speed choice only: a fixed seed gives the same weights run to run,
    and the contiguous run of the same seed agrees to float rounding (the same fp32 math)."""
    a = ganzoo.train("dcgan", out=tmp_path / "a", steps=3, **TINY)
    b = ganzoo.train("dcgan", out=tmp_path / "b", steps=3, **TINY)
    _assert_same(a.generator, b.generator)
    contiguous = ganzoo.train("dcgan", out=tmp_path / "c", steps=3, channels_last=False, **TINY)
    ours, theirs = _tensors(a.generator), _tensors(contiguous.generator)
    for key in ours:
        torch.testing.assert_close(ours[key], theirs[key], rtol=1e-3, atol=1e-4)
