"""Pix2Pix and SRGAN through the shared trainer: held-out quality, comparison grids, weights."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.io import weights
from ganzoo.core.tasks import PairedTask, SuperresTask

from tests.helpers import run_cli

TINY_P2P = dict(image_size=64, ngf=8, ndf=8, batch_size=4, num_samples=4, sample_every=2, checkpoint_every=2)
TINY_SR = dict(image_size=32, n_blocks=2, width=16, ndf=8, batch_size=4, num_samples=4, sample_every=2, checkpoint_every=2)


def _evals(run):
    return [json.loads(x)["eval"] for x in (run / "metrics.jsonl").read_text().splitlines() if '"eval"' in x]


def test_pix2pix_trains_on_the_builtin_pairs(tmp_path):
    run = tmp_path / "p2p"
    result = ganzoo.train("pix2pix", out=run, steps=2, **TINY_P2P)
    evals = _evals(run)
    assert len(evals) == 1 and set(evals[0]) == {"psnr", "ssim", "l1", "baseline_psnr", "baseline_ssim", "baseline_l1"}
    assert result.metrics["l1"] == evals[0]["l1"]
    meta = weights.read_metadata(run / "generator.safetensors")
    assert meta["task"] == "paired" and meta["config"]["input_channels"] == 1 and meta["config"]["channels"] == 3
    with Image.open(run / "samples" / "step-000002.png") as grid:  # 4 rows of (input, output, target)
        assert grid.size == (3 * 64 + 4 * 2, 4 * 64 + 5 * 2)
    model = ganzoo.load(run, device="cpu")
    assert model.generator(torch.zeros(1, 1, 64, 64)).shape == (1, 3, 64, 64)


def test_srgan_pretrains_then_trains_and_reports_against_bicubic(tmp_path):
    run = tmp_path / "sr"
    ganzoo.train("srgan", out=run, steps=4, pretrain_steps=2, content="mse", **TINY_SR)
    evals = _evals(run)
    assert len(evals) == 2 and all(e["baseline_psnr"] > 15 for e in evals)
    meta = weights.read_metadata(run / "generator.safetensors")
    assert meta["training"]["pretrain_steps"] == 2 and meta["config"]["scale"] == 4
    with Image.open(run / "samples" / "step-000004.png") as grid:  # input, bicubic, output, target
        assert grid.size == (4 * 32 + 5 * 2, 4 * 32 + 5 * 2)
    model = ganzoo.load(run / "generator.safetensors", device="cpu")
    assert model.generator(torch.zeros(2, 3, 8, 8)).shape == (2, 3, 32, 32)


def test_srgan_without_vgg_weights_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    proc = run_cli("run", "srgan", "--steps", "1", "--out", str(tmp_path / "sr"), "--set", "n_blocks=1", "--set", "width=8",
                   "--image-size", "32", "--batch-size", "2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "VGG19 weights" in proc.stderr and "--content mse" in proc.stderr


def test_superres_adapter_baseline_is_bicubic_and_scores_on_y():
    task = SuperresTask(scale=2)
    hr = torch.rand(2, 3, 16, 16) * 2 - 1
    lr = torch.nn.functional.interpolate(hr, scale_factor=0.5, mode="bicubic", antialias=True)
    up = task.baseline(lr, hr)
    assert up.shape == hr.shape
    assert torch.allclose(up, torch.nn.functional.interpolate(lr, size=(16, 16), mode="bicubic").clamp(-1, 1))
    assert task.scores(hr, hr)["psnr"] == float("inf")
    assert task.comparison(lr, hr, hr).shape == (8, 3, 16, 16)


def test_paired_adapter_baseline_is_the_input_with_target_channels():
    task = PairedTask(0)
    edges, photo = torch.rand(2, 1, 8, 8), torch.rand(2, 3, 8, 8)
    base = task.baseline(edges, photo)
    assert base.shape == photo.shape and torch.equal(base[:, 0], base[:, 2])
    assert task.noise(2, torch.device("cpu")) is None
    with pytest.raises(ganzoo.ConfigError, match="needs an input image"):
        task.generate(torch.nn.Identity(), None, None)


@pytest.fixture(scope="module")
def sr_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("sr-weights") / "run"
    ganzoo.train("srgan", out=run, steps=1, content="mse", **TINY_SR)
    return run


def test_transform_on_tensors_and_pil_images(sr_run):
    model = ganzoo.load(sr_run, device="cpu")
    assert model.upscale(torch.zeros(3, 10, 12)).shape == (3, 40, 48)
    picture = model.transform(Image.new("L", (9, 7), 128))
    assert picture.size == (36, 28) and picture.mode == "RGB"
    assert [p.size for p in model.translate([Image.new("RGB", (5, 5))] * 2)] == [(20, 20)] * 2
    with pytest.raises(ganzoo.ConfigError, match="takes 3-channel inputs"):
        model.transform(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ganzoo.ConfigError, match="use model.transform"):
        model.sample(4)


def test_cli_sample_input_comparisons_are_labelled_and_of_a_sane_size(sr_run, tmp_path):
    """A 4x upscaled photograph's comparison is a picture to look at, with each panel named."""
    photo = tmp_path / "photo.png"
    Image.effect_noise((400, 300), 60).convert("RGB").save(photo)  # -> 1600 x 1200 out; 3 panels were 5760 x 1200
    out = tmp_path / "out"
    run_cli("sample", str(sr_run), "--input", str(photo), "-o", str(out), "--device", "cpu", check=True)
    with Image.open(out / "photo.png") as upscaled:
        assert upscaled.size == (1600, 1200)  # the output itself keeps every pixel
    with Image.open(out / "photo.compare.png") as compare:
        assert compare.size == (3 * 512 + 4 * 2, 16 + 384 + 2) and compare.text["panels"] == "input | bicubic | output"
        strip = compare.convert("L").crop((0, 0, compare.width, 16))
        for i in range(3):  # a dark label over each panel, on white
            left = 2 + i * 514
            assert strip.crop((left, 0, left + 512, 16)).getextrema()[0] < 100
    assert (out / "photo.compare.png").stat().st_size < 1_500_000


def test_cli_sample_input_writes_outputs_and_comparisons(sr_run, tmp_path):
    images = tmp_path / "in"
    images.mkdir()
    Image.new("RGB", (10, 6), (250, 0, 0)).save(images / "red.png")
    Image.new("RGB", (8, 8), (0, 0, 250)).save(images / "blue.jpg")
    out = tmp_path / "out"
    proc = run_cli("sample", str(sr_run), "--input", str(images), "-o", str(out), check=True)
    assert "upscaled 2 image(s)" in proc.stdout
    with Image.open(out / "red.png") as red, Image.open(out / "red.compare.png") as compare:
        assert red.size == (40, 24)
        # input, bicubic, output side by side, each enlarged 4x (nearest) to be seen, under a 16-px label strip
        assert compare.size == (3 * 160 + 4 * 2, 16 + 96 + 2) and compare.text["panels"] == "input | bicubic | output"
    again = run_cli("sample", str(sr_run), "--input", str(images), "-o", str(out))
    assert again.returncode == 2 and "exists already" in again.stderr
    noise = run_cli("sample", str(sr_run), "-o", str(tmp_path / "grid.png"))
    assert noise.returncode == 2 and "--input" in noise.stderr
