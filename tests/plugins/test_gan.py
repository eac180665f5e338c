"""The original fully connected GAN: nets, parameter counts, dropout, create, train, load."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import ganzoo
from ganzoo.io import weights
from ganzoo.core.config import resolve_config
from ganzoo.errors import ConfigError
from ganzoo.core.model import count_parameters
from ganzoo.plugin.discovery import get_registry

# Tiny nets: each training step takes about a millisecond on a CPU.
TINY = dict(nz=8, g_hidden=[16, 32], d_hidden=[32, 16], image_size=8, batch_size=16, num_samples=16)


def _linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def _linear_bn(n_in: int, n_out: int) -> int:
    """A bias-free Linear followed by BatchNorm1d (scale and shift per unit)."""
    return n_in * n_out + 2 * n_out


def test_default_layout_parameter_counts_match_a_hand_count():
    model = ganzoo.create("gan")
    config = model.card.config
    assert (config["image_size"], config["channels"], config["nz"]) == (16, 1, 100)
    assert list(config["g_hidden"]) == [256, 512, 1024] and list(config["d_hidden"]) == [512, 256]
    # G: 100 -> 256 -> 512 -> 1024 (each Linear without bias + batch norm) -> 16*16 (Linear + bias).
    g = _linear_bn(100, 256) + _linear_bn(256, 512) + _linear_bn(512, 1024) + _linear(1024, 256)
    # D: 16*16 -> 512 -> 256 -> 1, weights and biases (LeakyReLU and dropout have none).
    d = _linear(256, 512) + _linear(512, 256) + _linear(256, 1)
    assert (g, d) == (946_944, 263_169)
    assert count_parameters(model.generator) == g
    assert count_parameters(model.discriminator) == d
    # The paper's plain generator layers: a bias instead of the norm's scale and shift.
    plain = ganzoo.create("gan", g_norm="none").generator
    assert count_parameters(plain) == g - (256 + 512 + 1024) == 945_152
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in plain.modules())


def test_maxout_discriminator_has_pieces_per_unit():
    model = ganzoo.create("gan", d_activation="maxout", maxout_pieces=3, d_hidden=[40, 20], image_size=8)
    assert count_parameters(model.discriminator) == _linear(64, 40 * 3) + _linear(40, 20 * 3) + _linear(20, 1)
    assert model.discriminator(torch.randn(5, 1, 8, 8)).shape == (5,)


@pytest.mark.parametrize("size, channels", [(8, 1), (16, 3), (28, 1), (32, 3)])
@pytest.mark.parametrize("activation", ["leaky_relu", "maxout"])
def test_shapes_and_range_for_any_size_and_channels(size, channels, activation):
    model = ganzoo.create("gan", image_size=size, channels=channels, g_hidden=[32, 64], d_hidden=[32], d_activation=activation)
    images = model.generator(torch.randn(3, 100) * 10)  # large noise pushes tanh to its limits
    assert images.shape == (3, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert model.discriminator(images).shape == (3,)


def test_dropout_is_active_in_train_mode_and_off_in_eval():
    torch.manual_seed(0)
    model = ganzoo.create("gan")
    assert model.card.config["dropout"] == 0.5
    d, x = model.discriminator, torch.randn(8, 1, 16, 16)
    d.train()
    assert not torch.equal(d(x), d(x))
    d.eval()
    assert torch.equal(d(x), d(x))
    # The generator has no dropout: deterministic in eval mode, and in train mode too (batch
    # norm then uses the batch's statistics, the same batch both times).
    g, z = model.generator, torch.randn(4, 100)
    for mode in (True, False):
        g.train(mode)
        assert torch.equal(g(z), g(z))
    # Dropout 0 makes train mode deterministic too.
    d0 = ganzoo.create("gan", dropout=0.0).discriminator.train()
    assert torch.equal(d0(x), d0(x))


@pytest.mark.parametrize(
    "override, message",
    [
        ({"d_activation": "relu"}, "unknown d_activation 'relu'"),
        ({"g_norm": "layer"}, "unknown g_norm 'layer'"),
        ({"g_hidden": "big"}, "g_hidden must be a list of 1 to 1024 items"),
        ({"d_hidden": [64, 0]}, "each item of d_hidden must be a whole number >= 1"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"d_activation": "maxout", "maxout_pieces": 1}, "maxout_pieces must be at least 2"),
    ],
)
def test_bad_settings_are_config_errors(override, message):
    with pytest.raises(ConfigError, match=message):
        ganzoo.create("gan", **override)


def test_one_int_is_one_hidden_layer():
    model = ganzoo.create("gan", g_hidden=64, d_hidden=32, image_size=8)
    assert count_parameters(model.generator) == _linear_bn(100, 64) + _linear(64, 64)
    assert count_parameters(model.discriminator) == _linear(64, 32) + _linear(32, 1)


def test_model_spec_defaults():
    registry = get_registry()
    config = resolve_config(registry, "gan")
    assert (config.architecture, config.loss, config.dataset) == ("gan", "bce", "digits")
    assert (config.optimizer, config.lr, tuple(config.betas), config.n_critic) == ("adam", 2e-4, (0.5, 0.999), 1)
    assert registry.model("gan").paper == registry.architecture("gan").paper == "1406.2661"
    # The model's 16x16 wins over the dataset's preferred 32; the user's size wins over both.
    assert config.architecture_config["image_size"] == 16
    assert resolve_config(registry, "gan", {"image_size": 28}).architecture_config["image_size"] == 28


def test_top_level_module_does_not_import_torch():
    code = "import ganzoo_plugins.gan, sys; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_create_then_sample_is_seeded():
    model = ganzoo.create("gan")
    a, b = model.sample(5, seed=1), model.sample(5, seed=1)
    assert a.shape == (5, 1, 16, 16) and torch.equal(a, b)


def test_short_training_run_saves_weights_that_load_and_sample(tmp_path):
    result = ganzoo.train("gan", out=tmp_path / "run", steps=6, log_every=3, sample_every=6, progress=False, **TINY)
    assert result.step == 6
    assert [p.name for p in (tmp_path / "run" / "samples").iterdir()] == ["step-000006.png"]
    meta = weights.read_metadata(result.generator)
    assert meta["architecture"] == "gan" and meta["model"] == "gan" and meta["loss"] == "bce"
    assert meta["config"]["g_hidden"] == [16, 32] and meta["config"]["channels"] == 1

    model = ganzoo.load(tmp_path / "run", device="cpu")
    saved = weights.read_tensors(result.generator)
    for name, tensor in model.generator.state_dict().items():
        assert torch.equal(tensor, saved[name])
    images = model.sample(10, seed=0)
    assert images.shape == (10, 1, 8, 8) and images.min() >= -1 and images.max() <= 1
    assert torch.equal(images, model.sample(10, seed=0))
    disc = ganzoo.load(result.discriminator, device="cpu").discriminator.eval()
    assert disc(images).shape == (10,)
