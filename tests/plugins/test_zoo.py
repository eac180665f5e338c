"""The shipped zoo: every entry is registered, verifies, loads, generates, and evaluates."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import torch

import ganzoo
from ganzoo.plugin.discovery import get_registry
from ganzoo.io.pretrained import where
from ganzoo.io.weights import read_metadata

from tests.helpers import REPO, run_cli

MANIFEST = json.loads((REPO / "plugins" / "zoo" / "zoo.json").read_text())
NAMES = [entry["name"] for entry in MANIFEST]


def test_the_zoo_ships_the_promised_entries() -> None:
    assert {"dcgan.digits", "wgan-gp.digits", "cgan.digits"} <= set(NAMES)
    # the textbook's data for every kind of model the zoo ships on it (issue 23)
    assert {"dcgan.fashion-mnist", "cgan.fashion-mnist", "acgan.fashion-mnist", "pix2pix.edges2fashion",
            "cyclegan.sneakers2boots"} <= set(NAMES)
    tasks = {get_registry().architecture(get_registry().model(get_registry().pretrained(n).model).architecture).task for n in NAMES}
    # the paired entry is edges2fashion: pix2pix.noisy2photos left the zoo (nl-means beat it on every held-out photograph)
    assert tasks == {"noise", "class", "paired", "superres", "unpaired"}
    assert "pix2pix.noisy2photos" not in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_entry_is_shipped_verified_and_small(name: str) -> None:
    spec = get_registry().pretrained(name)
    path = REPO / "plugins" / "zoo" / spec.file.partition(":")[2]
    assert where(spec) == "package"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256 and path.stat().st_size == spec.size
    assert spec.size < 8 * 2**20 and spec.precision == "fp16"
    assert spec.command.startswith("ganzoo ") and " run " in spec.command and spec.metrics and spec.license
    assert (REPO / "plugins" / "zoo" / spec.sample.partition(":")[2]).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_entry_summary_states_the_steps_its_weights_were_trained_for(name: str) -> None:
    """Issue 27: cgan.digits said 600 steps while its command (and its weights) meant 1,000."""
    spec = get_registry().pretrained(name)
    stated = re.findall(r"([\d,]+) steps", spec.summary)
    trained = read_metadata(REPO / "plugins" / "zoo" / spec.file.partition(":")[2])["step"]
    assert [s.replace(",", "") for s in stated] in ([], [str(trained)]), (spec.summary, trained)


@pytest.mark.parametrize("name", NAMES)
def test_entry_loads_and_generates(name: str) -> None:
    model = ganzoo.load(name)
    spec = get_registry().pretrained(name)
    assert sum(p.numel() for p in model.generator.parameters()) == spec.num_params
    assert model.card.dataset == spec.dataset
    if model.is_image_to_image:
        channels = int(model.card.config.get("input_channels", model.card.config["channels"]))
        size = int(model.card.config["image_size"]) // int(model.card.config.get("scale", 1))
        out = model.transform(torch.zeros(2, channels, size, size))
        assert out.shape[-1] == int(model.card.config["image_size"])
    else:
        images = model.sample(8, seed=0)
        assert images.shape[0] == 8 and torch.isfinite(images).all() and images.std() > 0.1
        assert torch.equal(images, model.sample(8, seed=0))


def test_list_pretrained_shows_every_entry() -> None:
    out = run_cli("list", "--pretrained", "--json", check=True).stdout
    assert [e["name"] for e in json.loads(out)] == sorted(NAMES)  # every manifest entry, once, sorted by name


@pytest.mark.slow
def test_eval_of_the_shipped_cgan_matches_its_recorded_metrics() -> None:
    data = json.loads(run_cli("eval", "cgan.digits", "--json", check=True).stdout)
    recorded = get_registry().pretrained("cgan.digits").metrics
    for key in ("fd_digits", "cond_accuracy"):
        assert data["metrics"][key] == pytest.approx(recorded[key], rel=1e-3, abs=1e-4)
        assert data["floor"][key] == pytest.approx(recorded[f"floor_{key}"], rel=1e-3, abs=1e-4)
