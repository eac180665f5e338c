"""SNGAN (arXiv 1802.05957) and ``d_norm=spectral``: the nets' layout and counts, spectral norm on
every discriminator layer, real CLI and trainer runs, and weights that load back with their
spectral-norm state."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import ganzoo
from ganzoo.core.config import resolve_config
from ganzoo.core.model import count_parameters
from ganzoo.core.spectral import apply_spectral_norm, is_spectral, raw_weight
from ganzoo.errors import ConfigError
from ganzoo.io import checkpoint, weights
from ganzoo.plugin import discovery as plugins
from tests.helpers import run_cli

#: Nets that build and train in milliseconds.
TINY = dict(ngf=8, ndf=8, nz=16)
QUIET = dict(log_every=1, sample_every=1000, checkpoint_every=1000, progress=False)


def sigma(layer: nn.Module) -> float:
    """The largest singular value of the weight a layer really uses (as a matrix: rows are outputs)."""
    weight = layer.weight.detach()
    matrix = weight.transpose(0, 1) if isinstance(layer, nn.ConvTranspose2d) else weight
    return torch.linalg.matrix_norm(matrix.reshape(matrix.shape[0], -1), ord=2).item()


def weighted_layers(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]


# ---------------------------------------------------------------- the specs
def test_model_follows_the_paper():
    registry = plugins.get_registry()
    config = resolve_config(registry, "sngan")
    assert (config.architecture, config.loss) == ("sngan", "hinge")
    assert (config.optimizer, config.lr, tuple(config.betas), config.n_critic) == ("adam", 2e-4, (0.0, 0.9), 5)
    assert registry.model("sngan").paper == registry.architecture("sngan").paper == "1802.05957"
    assert registry.model("sngan").source.plugin == "sngan"


def test_paper_cifar_nets_match_mimicry_parameter_counts():
    # Mimicry's SNGANGenerator32 / SNGANDiscriminator32 (nz 128, ngf 256, ndf 128, RGB): the architecture's defaults.
    model = ganzoo.create("sngan", ngf=256, ndf=128, image_size=32, channels=3)
    assert count_parameters(model.generator) == 4_276_739
    assert count_parameters(model.discriminator) == 1_053_825
    assert dict(plugins.get_registry().architecture("sngan").defaults)["ngf"] == 256


@pytest.mark.parametrize("size, ups, downs", [(16, 2, 1), (32, 3, 2), (64, 4, 3)])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_follow_image_size(size, ups, downs, channels):
    model = ganzoo.create("sngan", image_size=size, channels=channels, **TINY)
    assert len(model.generator.blocks) == ups
    # the optimised block and the down-sampling blocks reach 8x8; two more blocks keep it
    assert len(model.discriminator.blocks) == downs + 2
    images = model.generator(torch.randn(3, 16))
    assert images.shape == (3, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert model.discriminator(images).shape == (3,)  # one score per image, as the hinge loss takes


def test_unsupported_image_size_is_refused():
    with pytest.raises(ConfigError, match="supports image sizes 16, 32, 64, 128"):
        ganzoo.create("sngan", image_size=48)


# ---------------------------------------------------------------- spectral norm
def test_every_discriminator_layer_is_spectrally_normalised_to_sigma_one():
    torch.manual_seed(0)
    model = ganzoo.create("sngan", image_size=32, channels=1, **TINY)
    layers = weighted_layers(model.discriminator)
    assert len(layers) == 3 + 3 + 2 + 2 + 1 and all(is_spectral(layer) for layer in layers)  # shortcuts too
    assert not any(is_spectral(layer) for layer in weighted_layers(model.generator))
    discriminator = model.discriminator.train()
    with torch.no_grad():
        for _ in range(20):  # each training-mode forward runs one more power iteration
            discriminator(torch.randn(2, 1, 32, 32))
    discriminator.eval()  # reading .weight in eval mode iterates no further
    for layer in layers:
        assert sigma(layer) == pytest.approx(1.0, abs=0.01)


def test_dcgan_d_norm_spectral_wraps_every_conv_and_drops_the_norm_layers():
    model = ganzoo.create("dcgan", image_size=32, channels=1, d_norm="spectral", ngf=8, ndf=8)
    convs = weighted_layers(model.discriminator)
    assert len(convs) == 4 and all(is_spectral(conv) for conv in convs)  # the last (logit) convolution too
    assert not {nn.BatchNorm2d, nn.GroupNorm} & {type(m) for m in model.discriminator.modules()}
    # DCGAN's N(0, 0.02) init lands on the raw weights (not on a recomputed normalised copy) ...
    raw = torch.cat([raw_weight(conv).detach().flatten() for conv in convs])
    assert raw.std().item() == pytest.approx(0.02, rel=0.1)
    # ... and the power iteration was restarted for them: sigma is near 1 from the first forward (15 torch
    # iterations; with the vectors of the weights drawn before the init it measured 3 to 230)
    for conv in convs:
        assert sigma(conv.eval()) == pytest.approx(1.0, abs=0.15)
    assert model.discriminator(torch.randn(2, 1, 32, 32)).shape == (2,)


def test_unknown_d_norm_is_one_line_listing_spectral(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown d_norm 'group'; use one of batch, layer, none, spectral$"):
        ganzoo.create("dcgan", d_norm="group")
    proc = run_cli("run", "dcgan", "--steps", "1", "--set", "d_norm=sepctral", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == ("ganzoo: error: architecture 'dcgan': unknown d_norm 'sepctral'; "
                                                    "use one of batch, layer, none, spectral")


def test_apply_spectral_norm_wraps_once():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(2, 2), nn.Embedding(3, 2))
    apply_spectral_norm(net)
    apply_spectral_norm(net)  # a second call leaves the wrapped layers as they are
    assert [is_spectral(m) for m in net] == [True, True, False]
    assert len(net[0].parametrizations.weight) == 1


# ---------------------------------------------------------------- real runs and round trips
@pytest.mark.slow
def test_cli_run_then_load_and_sample(tmp_path):
    run = tmp_path / "sngan"
    proc = run_cli("--threads", "1", "run", "sngan", "--steps", "3", "--image-size", "16", "--batch-size", "8",
                   "--num-samples", "4", "--set", "ngf=8", "--set", "ndf=8", "--no-progress", "--out", str(run))
    assert proc.returncode == 0, proc.stderr
    # five discriminator steps per generator step
    state = checkpoint.read_checkpoint(run)
    assert {int(s["step"]) for s in state["optimizer_d"]["state"].values()} == {15}
    assert {int(s["step"]) for s in state["optimizer_g"]["state"].values()} == {3}
    model = ganzoo.load(run, device="cpu")
    assert (model.card.model, model.card.loss) == ("sngan", "hinge")
    images = model.sample(4, seed=0)
    assert images.shape == (4, 1, 16, 16) and torch.isfinite(images).all()
    assert torch.equal(images, ganzoo.load(run / "generator.safetensors", device="cpu").sample(4, seed=0))
    # the discriminator's file holds the raw weights and the power-iteration vectors, and loads back
    names = weights.read_header(run / "discriminator.safetensors").tensors
    assert "l_out.parametrizations.weight.original" in names and "l_out.parametrizations.weight.0._u" in names
    critic = ganzoo.load(run / "discriminator.safetensors", device="cpu").discriminator.eval()
    assert all(is_spectral(layer) for layer in weighted_layers(critic))
    assert critic(images).shape == (4,)


def test_dcgan_with_spectral_norm_trains_and_round_trips(tmp_path):
    run = tmp_path / "dcgan-sn"
    ganzoo.train("dcgan", out=run, steps=2, d_norm="spectral", image_size=16, batch_size=8, num_samples=4, **TINY, **QUIET)
    model = ganzoo.load(run, device="cpu")
    critic = ganzoo.load(run / "discriminator.safetensors", device="cpu").discriminator.eval()
    assert model.card.config["d_norm"] == "spectral" and all(is_spectral(c) for c in weighted_layers(critic))
    images = model.sample(4, seed=1)
    scores = critic(images)
    # save again and load: the same samples and the same scores (u and v travel with the weights)
    model.discriminator = critic
    model.save(tmp_path / "again")
    again = ganzoo.load(tmp_path / "again" / "generator.safetensors", device="cpu")
    assert torch.equal(again.sample(4, seed=1), images)
    critic2 = ganzoo.load(tmp_path / "again" / "discriminator.safetensors", device="cpu").discriminator.eval()
    assert torch.equal(critic2(images), scores)


def test_info_names_the_paper():
    proc = run_cli("info", "sngan", check=True)
    assert "1802.05957" in proc.stdout and "hinge" in proc.stdout


def test_top_level_module_is_import_cheap():
    code = "import ganzoo_plugins.sngan, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_generator_exports_to_onnx(tmp_path):
    pytest.importorskip("onnxscript")
    pytest.importorskip("onnxruntime")
    model = ganzoo.create("sngan", image_size=16, channels=1, **TINY)
    done = ganzoo.export_onnx(model, tmp_path / "g.onnx")  # nearest up-sampling, batch norm in eval mode
    assert done.max_difference is not None and done.max_difference < 1e-4
    assert done.output == ["batch", 1, 16, 16]
