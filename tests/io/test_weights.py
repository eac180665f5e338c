"""safetensors weights: self-describing round trip and clear refusals."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import ganzoo
from ganzoo.io import weights
from ganzoo.errors import WeightsError
from ganzoo.core.model import ModelCard


@pytest.fixture
def saved(tmp_path):
    model = ganzoo.create("dcgan", image_size=32, channels=1, ngf=8, ndf=8)
    model.card = ModelCard(**{**model.card.__dict__, "dataset": "digits", "step": 7, "classes": [str(i) for i in range(10)]})
    paths = model.save(tmp_path)
    return model, paths


def test_metadata_describes_the_model(saved):
    _, paths = saved
    with safe_open(str(paths["generator"]), framework="pt") as fh:
        meta = fh.metadata()
    assert meta["ganzoo.model"] == "dcgan"
    assert meta["ganzoo.architecture"] == "dcgan"
    assert meta["ganzoo.task"] == "noise"
    assert meta["ganzoo.role"] == "generator"
    assert meta["ganzoo.step"] == "7"
    assert meta["ganzoo.dataset"] == "digits"
    assert meta["ganzoo.version"] == ganzoo.__version__
    assert json.loads(meta["ganzoo.config"])["ngf"] == 8
    assert all(isinstance(v, str) for v in meta.values())


def test_load_rebuilds_identical_generator(saved, tmp_path):
    model, paths = saved
    loaded = ganzoo.load(paths["generator"], device="cpu")
    for key, value in model.generator.state_dict().items():
        assert torch.equal(loaded.generator.state_dict()[key], value), key
    assert loaded.card.step == 7 and loaded.card.classes[3] == "3"
    # A run folder works too, and samples are reproducible and in range.
    from_dir = ganzoo.load(tmp_path, device="cpu")
    a, b = from_dir.sample(5, seed=3), loaded.sample(5, seed=3)
    assert torch.equal(a, b)
    assert a.shape == (5, 1, 32, 32) and a.min() >= -1 and a.max() <= 1
    assert not torch.equal(a, loaded.sample(5, seed=4))


def test_sample_does_not_depend_on_batch_size(saved):
    _, paths = saved
    model = ganzoo.load(paths["generator"], device="cpu")
    assert torch.allclose(model.sample(10, seed=1, batch_size=3), model.sample(10, seed=1), atol=1e-6)


def test_discriminator_file_loads_as_discriminator(saved):
    _, paths = saved
    model = ganzoo.load(paths["discriminator"], device="cpu")
    assert model.generator is None and model.discriminator is not None
    with pytest.raises(WeightsError, match="only a discriminator"):
        model.sample(1)


def test_pickled_checkpoint_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(WeightsError, match="never unpickles"):
        ganzoo.load(path)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(WeightsError, match="never unpickles"):
        ganzoo.load(raw)


def test_file_of_another_architecture_names_the_keys(saved, tmp_path):
    _, paths = saved
    tensors = weights.read_tensors(paths["generator"])
    tensors["extra.weight"] = torch.zeros(1)
    del tensors["main.0.weight"]
    with safe_open(str(paths["generator"]), framework="pt") as fh:
        meta = fh.metadata()
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    with pytest.raises(WeightsError, match=r"bad.safetensors.*missing keys: main.0.weight.*unexpected keys: extra.weight"):
        ganzoo.load(bad)


def test_wrong_shapes_are_named(saved, tmp_path):
    _, paths = saved
    with safe_open(str(paths["generator"]), framework="pt") as fh:
        meta = fh.metadata()
    config = json.loads(meta["ganzoo.config"])
    meta["ganzoo.config"] = json.dumps({**config, "ngf": 16})
    other = tmp_path / "other.safetensors"
    save_file(weights.read_tensors(paths["generator"]), str(other), metadata=meta)
    with pytest.raises(WeightsError, match="keys of another shape: main.0.weight"):
        ganzoo.load(other)


def test_foreign_safetensors_and_garbage_are_refused(tmp_path):
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(WeightsError, match="no ganzoo.model metadata"):
        ganzoo.load(plain)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"hello world, not a tensor file")
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        ganzoo.load(junk)
    with pytest.raises(WeightsError, match="does not exist"):
        ganzoo.load(tmp_path / "missing.safetensors")


def test_safetensors_whose_header_length_starts_with_0x80_is_not_taken_for_a_pickle(tmp_path):
    """A pickle starts with 0x80; so does a safetensors file whose header is 128 bytes long mod 256."""
    from safetensors.torch import save_file

    from ganzoo.io.weights import read_metadata, read_tensors

    path = tmp_path / "w.safetensors"
    for pad in range(300):
        save_file({"x": torch.zeros(2)}, str(path), metadata={"ganzoo.model": "m" * pad})
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    assert read_metadata(path)["model"].startswith("m")
    assert torch.equal(read_tensors(path)["x"], torch.zeros(2))


def test_saved_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    import os

    from ganzoo.io.atomic import write_text

    mask = os.umask(0o022)
    try:
        write_text(tmp_path / "config.json", "{}")
    finally:
        os.umask(mask)
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o644
