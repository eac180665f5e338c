"""DCGAN nets: the reference parameter counts, every supported size, and the config switches."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.errors import ConfigError
from ganzoo.core.dcgan_layers import MinibatchStdDev
from ganzoo.core.model import count_parameters


def test_64x64_rgb_matches_pytorch_examples_parameter_counts():
    # pytorch/examples dcgan/main.py with nz=100, ngf=ndf=64, nc=3.
    model = ganzoo.create("dcgan", image_size=64, channels=3)
    assert count_parameters(model.generator) == 3_576_704
    assert count_parameters(model.discriminator) == 2_765_568


@pytest.mark.parametrize("size", [16, 32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_follow_image_size_and_channels(size, channels):
    model = ganzoo.create("dcgan", image_size=size, channels=channels, ngf=8, ndf=8)
    z = torch.randn(2, 100)
    images = model.generator(z)
    assert images.shape == (2, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert model.discriminator(images).shape == (2,)


def test_unsupported_image_size_is_refused_before_building():
    with pytest.raises(ConfigError, match="supports image sizes 16, 32, 64, 128"):
        ganzoo.create("dcgan", image_size=48)


def test_dcgan_init_is_n_0_002():
    torch.manual_seed(0)
    model = ganzoo.create("dcgan", image_size=64, channels=3)
    conv = model.generator.main[0].weight
    assert abs(conv.mean().item()) < 1e-3
    assert conv.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("norm, layer", [("batch", torch.nn.BatchNorm2d), ("layer", torch.nn.GroupNorm), ("none", None)])
def test_discriminator_norm_switch(norm, layer):
    model = ganzoo.create("dcgan", image_size=32, channels=1, d_norm=norm)
    kinds = {type(m) for m in model.discriminator.modules()}
    assert (torch.nn.BatchNorm2d in kinds) == (norm == "batch")
    assert (torch.nn.GroupNorm in kinds) == (norm == "layer")


def test_unknown_setting_gets_did_you_mean():
    with pytest.raises(ConfigError, match="did you mean 'ngf'"):
        ganzoo.create("dcgan", ngff=32)


def test_bad_norm_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown d_norm 'group'"):
        ganzoo.create("dcgan", d_norm="group")


# ---------------------------------------------------------------- minibatch standard deviation (mbstd)
def test_mbstd_adds_one_feature_map_and_only_the_logit_weights_it_needs():
    plain = ganzoo.create("dcgan", image_size=32, channels=1, mbstd=0)
    with_std = ganzoo.create("dcgan", image_size=32, channels=1, mbstd=4)
    assert not any(isinstance(m, MinibatchStdDev) for m in plain.discriminator.modules())
    assert any(isinstance(m, MinibatchStdDev) for m in with_std.discriminator.modules())
    # one more 4x4 input map of the last convolution: 16 weights (ndf * 4 + 1 channels)
    assert count_parameters(with_std.discriminator) == count_parameters(plain.discriminator) + 16
    assert count_parameters(with_std.generator) == count_parameters(plain.generator)
    for n in (1, 3, 8):  # a batch the group divides, one it does not (one group), a single image
        assert with_std.discriminator(torch.randn(n, 1, 32, 32)).shape == (n,)


def test_mbstd_feature_is_the_spread_of_each_group():
    layer = MinibatchStdDev(2)
    x = torch.zeros(4, 3, 2, 2)
    x[2] = 2.0  # groups are samples {0, 2} and {1, 3}, as in ProGAN: only the first group varies
    out = layer(x)
    assert out.shape == (4, 4, 2, 2)
    assert torch.equal(out[:, :3], x)
    spread = out[:, 3, 0, 0]
    assert spread[0] == pytest.approx(1.0, abs=1e-3) and spread[2] == pytest.approx(1.0, abs=1e-3)
    assert spread[1] == pytest.approx(0.0, abs=1e-3) and spread[3] == pytest.approx(0.0, abs=1e-3)
    assert torch.equal(layer(torch.ones(1, 3, 2, 2))[:, 3], torch.zeros(1, 2, 2))  # one image: no spread


@pytest.mark.parametrize("bad", [1, -2, 2.5, "4", True])
def test_bad_mbstd_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="mbstd must be"):
        ganzoo.create("dcgan", mbstd=bad)
