"""ESRGAN: the RRDB generator, the relativistic average loss, the perceptual loss before
activation, L1 pre-training, and short real runs through the Python API and the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import ganzoo
from ganzoo.core.config import resolve_config
from ganzoo.core.superres_nets import VGGStyleDiscriminator
from ganzoo.errors import ConfigError
from ganzoo.plugin.discovery import get_registry
from ganzoo.training.content import L1Content, WeightedSum, build_content
from ganzoo.training.perceptual import VGGContent, layer_index
from ganzoo.training.trainer import Trainer
from ganzoo_plugins.esrgan import CPU_DESIGN
from ganzoo_plugins.esrgan.nets import RRDB, ResidualDenseBlock, build
from ganzoo_plugins.losses.ragan import RaGANLoss

from tests.helpers import run_cli

PAPER = {"scale": 4, "channels": 3, "image_size": 128, "num_blocks": 23, "nf": 64, "gc": 32, "ndf": 64, "residual": "none"}
TINY_NET = {"image_size": 32, "num_blocks": 1, "nf": 8, "gc": 4, "ndf": 4}
TINY_RUN = dict(**TINY_NET, batch_size=4, num_samples=4, sample_every=2, checkpoint_every=2)


def config(**overrides):
    return {**PAPER, **overrides}


def count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# --- generator -------------------------------------------------------------------------


def test_paper_size_rrdbnet_has_the_reference_parameter_count():
    """xinntao's RRDBNet_arch at x4, 23 blocks, nf 64, gc 32: 16,697,987 parameters ("16.7 M")."""
    nf, gc = 64, 32
    dense = sum(9 * (nf + k * gc) * gc + gc for k in range(4)) + 9 * (nf + 4 * gc) * nf + nf
    conv = 9 * nf * nf + nf
    by_hand = (9 * 3 * nf + nf) + 23 * 3 * dense + 4 * conv + (9 * nf * 3 + 3)
    assert by_hand == 16_697_987
    generator, discriminator = build(config())
    assert count(generator) == 16_697_987
    assert isinstance(discriminator, VGGStyleDiscriminator)
    # the reference implementation's parameter names, so its released weights map one to one
    names = set(generator.state_dict())
    assert {"conv_first.weight", "RRDB_trunk.22.RDB3.conv5.bias", "trunk_conv.weight", "upconv1.weight",
            "upconv2.weight", "HRconv.weight", "conv_last.bias"} <= names
    assert not any(isinstance(m, nn.BatchNorm2d) for m in generator.modules())


def test_dense_block_connectivity_and_residual_scaling():
    block = ResidualDenseBlock(nf=8, gc=4)
    assert [getattr(block, f"conv{k}").in_channels for k in range(1, 6)] == [8, 12, 16, 20, 24]
    assert [getattr(block, f"conv{k}").out_channels for k in range(1, 6)] == [4, 4, 4, 4, 8]
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        block.conv5.weight.zero_()
        block.conv5.bias.fill_(1.0)
        assert torch.allclose(block(x), x + 0.2)  # input + 0.2 * conv5
        rrdb = RRDB(nf=8, gc=4)
        for dense in (rrdb.RDB1, rrdb.RDB2, rrdb.RDB3):
            dense.conv5.weight.zero_()
            dense.conv5.bias.zero_()
        assert torch.equal(rrdb(x), x + 0.2 * x)  # three identities, scaled by 0.2, plus the input


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("channels", [1, 3])
def test_rrdbnet_upscales_by_scale(scale, channels):
    torch.manual_seed(0)
    generator, _ = build(config(scale=scale, channels=channels, **TINY_NET))
    assert sum(isinstance(m, nn.Upsample) and m.mode == "nearest" for m in generator.modules()) == {2: 1, 4: 2}[scale]
    assert sum(name.startswith("upconv") and name.endswith(".weight") for name in generator.state_dict()) == int(math.log2(scale))
    assert generator.input_size == 32 // scale
    low = torch.rand(2, channels, 32 // scale, 32 // scale) * 2 - 1
    high = generator(low)
    assert high.shape == (2, channels, 32, 32) and high.min() >= -1 and high.max() <= 1
    assert generator(torch.rand(1, channels, 5, 7)).shape == (1, channels, 5 * scale, 7 * scale)  # fully convolutional
    with pytest.raises(ValueError, match=rf"\(N, {channels}, H, W\)"):
        generator(torch.zeros(1, 4 - channels, 8, 8))


def test_residual_bicubic_starts_as_bicubic_and_learns():
    torch.manual_seed(0)
    generator, _ = build(config(residual="bicubic", **TINY_NET))
    low = torch.rand(2, 3, 6, 9) * 2 - 1
    bicubic = F.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(generator.eval()(low), bicubic.clamp(-1, 1))
    generator.train()(low).square().mean().backward()
    assert generator.conv_last.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"scale": 3}, "esrgan: scale must be one of 2, 4, 8"),
        ({"image_size": 30}, "divisible by scale 4"),
        ({"gc": 0}, "esrgan: gc must be at least 1"),
        ({"num_blocks": 2.5}, "esrgan: num_blocks must be an integer"),
        ({"residual": "nearest"}, "residual must be one of none, bicubic"),
    ],
)
def test_bad_settings_are_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        build(config(**overrides))


# --- relativistic average loss ---------------------------------------------------------


def test_ragan_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.5, 1.0]), torch.tensor([-1.0, 0.0, 0.4])
    mr, mf = real.mean().item(), fake.mean().item()
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    d_real = [sig(r - mf) for r in real.tolist()]  # D_Ra(x_r, x_f)
    d_fake = [sig(f - mr) for f in fake.tolist()]  # D_Ra(x_f, x_r)
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    loss_d = -mean([math.log(p) for p in d_real]) - mean([math.log(1 - p) for p in d_fake])
    loss_g = -mean([math.log(1 - p) for p in d_real]) - mean([math.log(p) for p in d_fake])
    loss = RaGANLoss()
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(loss_d, rel=1e-6)
    assert loss.generator_loss(fake, real).item() == pytest.approx(loss_g, rel=1e-6)
    assert loss.generator_uses_real_scores and not loss.scores_are_logits
    with pytest.raises(ValueError, match="needs real_scores"):
        loss.generator_loss(fake)


def test_ragan_generator_gradient_flows_through_both_terms():
    """The real term depends on the fakes through E[C(x_f)], so the generator learns from it too."""
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-1.0, 0.0], requires_grad=True)
    from ganzoo_plugins.losses.ragan import _bce

    _bce(real - fake.mean(), 0.0).backward()
    assert fake.grad.abs().sum() > 0
    assert "ragan-bce" in get_registry().losses


# --- perceptual loss before activation and the content sum ------------------------------


def test_vgg_before_activation_is_the_conv_output_with_l1(vgg_features, vgg_file):
    loss = VGGContent("conv5_4", vgg_file, before_activation=True, distance="l1")
    assert len(loss.features) == layer_index("conv5_4") == 35 and isinstance(loss.features[-1], nn.Conv2d)
    torch.manual_seed(1)
    fake, real = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        phi = lambda x: vgg_features[:35]((((x + 1) / 2) - mean) / std)  # noqa: E731
        expected = (phi(fake) - phi(real)).abs().mean()
        assert (phi(fake) < 0).any()  # the features the ReLU would have cut
    assert loss(fake, real).item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ConfigError, match="distance must be one of mse, l1"):
        VGGContent("conv1_1", vgg_file, distance="l2")


def test_content_sum_is_the_weighted_terms(vgg_file):
    torch.manual_seed(2)
    fake, real = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    term = build_content("vgg-pre+0.01*l1", {"vgg_weights": str(vgg_file)})
    assert isinstance(term, WeightedSum) and term.weights == [1.0, 0.01]
    perceptual = VGGContent("conv5_4", vgg_file, before_activation=True, distance="l1")
    assert term(fake, real).item() == pytest.approx(perceptual(fake, real).item() + 0.01 * F.l1_loss(fake, real).item(), rel=1e-5)
    assert isinstance(build_content("l1"), L1Content)
    with pytest.raises(ConfigError, match="did you mean 'vgg-pre'"):
        build_content("vgg-pr+l1")
    with pytest.raises(ConfigError, match="must be a number >= 0"):
        build_content("x*l1")
    with pytest.raises(ConfigError, match="takes no settings"):
        build_content("l1+0.5*mse", {"vgg_layer": "conv1_1"})


# --- training ------------------------------------------------------------------------


def test_esrgan_pretrains_on_l1_then_trains_adversarially(tmp_path, vgg_file):
    settings = dict(steps=4, pretrain_steps=2, vgg_weights=str(vgg_file), **TINY_RUN)
    trainer = Trainer(resolve_config(get_registry(), "esrgan", settings), tmp_path / "probe", progress=False)
    trainer._setup()
    assert isinstance(trainer.pretrain_content, L1Content)  # the paper's L1 pre-training
    assert isinstance(trainer.content, WeightedSum) and trainer.content.terms[0].before_activation
    assert trainer.config.adversarial_weight == 5e-3 and isinstance(trainer.loss, RaGANLoss)
    del trainer
    run = tmp_path / "run"
    ganzoo.train("esrgan", out=run, **settings)
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [x["eval"] for x in lines if "eval" in x]
    assert len(evals) == 2 and all(math.isfinite(e["psnr"]) and e["baseline_psnr"] > 15 for e in evals)
    model = ganzoo.load(run, device="cpu")
    assert model.card.model == "esrgan" and model.card.config["num_blocks"] == 1
    assert model.upscale(torch.zeros(3, 10, 12)).shape == (3, 40, 48)


def test_esrgan_psnr_is_l1_only_and_upscales_whole_images(tmp_path):
    run = tmp_path / "psnr"
    ganzoo.train("esrgan-psnr", out=run, steps=2, **TINY_RUN)
    model = ganzoo.load(run / "generator.safetensors", device="cpu")
    from PIL import Image

    assert model.upscale(Image.new("RGB", (9, 7), (40, 90, 200))).size == (36, 28)
    spec = get_registry().model("esrgan-psnr")
    assert spec.training["pretrain_steps"] == spec.training["steps"] and spec.training["content"] == "l1"
    assert spec.architecture_config == CPU_DESIGN


def test_cpu_design_size():
    generator, _ = build(config(**CPU_DESIGN))
    assert count(generator) == 578_755


def test_missing_vgg_weights_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(ConfigError, match="VGG19 weights .* --set vgg_weights=PATH"):
        ganzoo.train("esrgan", out=tmp_path / "run", steps=1, **TINY_RUN)


@pytest.mark.slow
def test_cli_run_eval_and_info(tmp_path):
    run = tmp_path / "cli"
    proc = run_cli("--threads", "1", "run", "esrgan-psnr", "--steps", "2", "--pretrain-steps", "2", "--out", str(run),
                   *(a for k, v in TINY_RUN.items() for a in ("--set", f"{k}={v}")), check=True)
    assert "held-out: PSNR" in proc.stdout
    proc = run_cli("eval", str(run), "--json", check=True)
    scores = json.loads(proc.stdout)
    assert "psnr" in json.dumps(scores)
    info = run_cli("info", "esrgan", check=True).stdout
    assert "1809.00219" in info and "ragan-bce" in info and "vgg-pre+0.01*l1" in info and "num_blocks=23" not in info
