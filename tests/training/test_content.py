"""Content terms and the generator-only pre-training phase, through the shared trainer."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.io import checkpoint
from ganzoo.training.content import build_content
from ganzoo.errors import ConfigError

from tests.training.test_trainer import TINY


def test_l1_and_mse_values():
    fake, real = torch.tensor([0.0, 1.0, -1.0]), torch.tensor([1.0, 1.0, 1.0])
    assert build_content("l1")(fake, real).item() == pytest.approx((1 + 0 + 2) / 3)
    assert build_content("mse")(fake, real).item() == pytest.approx((1 + 0 + 4) / 3)


def test_unknown_term_and_settings():
    with pytest.raises(ConfigError, match="did you mean 'l1'"):
        build_content("l2")
    with pytest.raises(ConfigError, match="takes no settings"):
        build_content("mse", {"vgg_layer": "conv1_1"})
    with pytest.raises(ConfigError, match="pretrain-steps"):
        ganzoo.train("dcgan", pretrain_steps=2, steps=3, **TINY)


def test_pretrain_steps_leave_the_discriminator_untouched(tmp_path):
    """During pre-training only the generator learns; the critic's optimizer never steps."""
    ganzoo.train("dcgan", out=tmp_path / "run", content="mse", pretrain_steps=3, steps=3, **TINY)
    state = checkpoint.read_checkpoint(tmp_path / "run")
    assert state["optimizer_d"]["state"] == {}
    assert all(float(s["step"]) == 3 for s in state["optimizer_g"]["state"].values())
    ganzoo.train(resume=tmp_path / "run", steps=5)
    state = checkpoint.read_checkpoint(tmp_path / "run")
    assert all(float(s["step"]) == 2 for s in state["optimizer_d"]["state"].values())
    assert all(float(s["step"]) == 5 for s in state["optimizer_g"]["state"].values())
