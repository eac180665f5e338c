"""Fixtures the super-resolution plugins' tests share: a VGG19 feature stack with seeded random
weights and the same weights as a ``.safetensors`` file (the ImageNet weights are never
downloaded, and the content losses' arithmetic does not depend on which weights they hold)."""

from __future__ import annotations

import pytest
import torch
import torchvision


@pytest.fixture(scope="module")
def vgg_features():
    torch.manual_seed(0)
    return torchvision.models.vgg19(weights=None).features.eval()


@pytest.fixture(scope="module")
def vgg_file(vgg_features, tmp_path_factory):
    from safetensors.torch import save_file

    path = tmp_path_factory.mktemp("vgg") / "vgg19-features.safetensors"
    save_file({k: v.contiguous() for k, v in vgg_features.state_dict().items()}, str(path))
    return path
