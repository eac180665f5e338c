"""The digits feature network: its split, the shared small-CNN loop that trained it, its script."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from ganzoo.data import load_dataset
from ganzoo.eval.digits_features import IMAGE_SIZE, DigitsFeatureNet, accuracy, calibrate, digits_split, train_digits_features
from ganzoo.io import weights
from ganzoo.plugin.discovery import get_registry

from tests.helpers import REPO


@pytest.fixture(scope="module")
def digits():
    return load_dataset(get_registry(), "digits", IMAGE_SIZE)


def loop_that_made_the_asset(images, labels, steps, batch_size=64, seed=0):
    """train_digits_features as it was when the shipped asset was trained (its own loop)."""
    torch.manual_seed(seed)
    train, held = digits_split(len(images))
    x, y = images.float().div(127.5).sub(1.0), labels
    net = DigitsFeatureNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
    net.train()
    for _ in range(steps):
        batch = train[torch.randint(len(train), (batch_size,))]
        dx, dy = torch.randint(0, 5, (2,)).tolist()
        loss = F.cross_entropy(net(padded[batch, :, dy : dy + IMAGE_SIZE, dx : dx + IMAGE_SIZE])[1], y[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    calibrate(net, x[train])
    return net, accuracy(net, x[held], y[held])


def test_the_shared_loop_trains_exactly_as_the_loop_that_made_the_asset(digits):
    old_net, old_accuracy = loop_that_made_the_asset(digits.images, digits.labels, steps=12)
    old_stream = torch.rand(2)
    result = train_digits_features(digits.images, digits.labels, steps=12)
    assert torch.equal(torch.rand(2), old_stream)  # the same draws from the global stream, in the same order
    new = result.net.state_dict()
    assert all(torch.equal(value, new[key]) for key, value in old_net.state_dict().items())
    assert result.accuracy == old_accuracy and result.steps == 12


def test_the_script_writes_a_network_that_loads(tmp_path):
    out = tmp_path / "digits-features.safetensors"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "train_digits_features.py"), "--steps", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "after 2 steps" in proc.stdout
    meta = weights.read_metadata(out)
    assert meta["role"] == "digits-features" and meta["steps"] == "2" and "seed 0, held-out fraction 0.2" in meta["split"]
    net = DigitsFeatureNet()
    weights.load_into(net, weights.read_tensors(out), out)
    assert float(net.scale) > 0

