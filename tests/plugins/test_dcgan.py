"""DCGAN nets: the reference parameter counts, every supported size, and the config switches."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.errors import ConfigError
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
