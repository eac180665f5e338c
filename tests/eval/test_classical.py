"""Classical baselines: a denoiser is measured beside scikit-image's nl-means, super-resolution's
baseline is labelled as the classical method it is (bicubic)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio
from skimage.restoration import denoise_nl_means

import ganzoo
from ganzoo import DatasetSpec
from ganzoo.data import as_float, load_dataset
from ganzoo.eval import metric_names
from ganzoo.eval.classical import METHODS, ClassicalBaseline, classical_for, nl_means
from ganzoo.eval.evaluation import _evaluate_pairs, evaluate
from ganzoo.plugin.discovery import get_registry
from ganzoo.plugin.specs import CLASSICAL_METHODS
from ganzoo_plugins.datasets.paired import NOISE_SIGMA
from ganzoo_plugins.datasets import photos

from tests.eval.test_evaluation import paired_folder
from tests.helpers import run_cli

SIGMA = NOISE_SIGMA / 255
#: A pix2pix small enough to train 2 steps in seconds (tests/core/test_tasks.py's TINY_P2P).
TINY_P2P = dict(image_size=64, ngf=8, ndf=8, batch_size=4, num_samples=4, sample_every=2, checkpoint_every=2)


def held_out_names() -> list[str]:
    return [f.stem for name in photos.HELD_OUT for f in photos.photo_files(name)]


def skimage_nl_means(noisy: np.ndarray) -> np.ndarray:
    """The call a user would make (the issue's), on H x W x C pictures in [0, 1]."""
    return denoise_nl_means(noisy, h=0.8 * SIGMA, sigma=SIGMA, fast_mode=True, patch_size=5, patch_distance=6,
                            channel_axis=-1)


def test_every_classical_method_a_dataset_may_name_is_implemented_and_noisy2photos_names_nl_means() -> None:
    assert set(METHODS) == set(CLASSICAL_METHODS)
    spec = get_registry().dataset("noisy2photos")
    assert spec.classical == "nl-means" and spec.classical_settings["sigma"] == NOISE_SIGMA  # the noise it adds
    assert classical_for(spec).label.startswith("nl-means") and "25/255" in classical_for(spec).label
    assert classical_for(get_registry().dataset("photos-sr")) is None  # SR: the bicubic baseline is the classical method
    assert classical_for(get_registry().dataset("edges2photos")) is None


def test_dataset_specs_refuse_a_classical_method_they_cannot_run() -> None:
    with pytest.raises(ValueError, match="unknown classical method 'bm3d'"):
        DatasetSpec(name="x", builder="m:f", classical="bm3d")
    for settings in ({}, {"sigma": 0}, {"sigma": "25"}, {"sigma": True}):
        with pytest.raises(ValueError, match="needs classical_settings\\['sigma'\\]"):
            DatasetSpec(name="x", builder="m:f", classical="nl-means", classical_settings=settings)
    with pytest.raises(ValueError, match="without a classical method"):
        DatasetSpec(name="x", builder="m:f", classical_settings={"sigma": 25.0})
    spec = DatasetSpec(name="x", builder="m:f", classical="nl-means", classical_settings={"sigma": 10})
    with pytest.raises(TypeError):  # frozen, like every setting of a spec
        spec.classical_settings["sigma"] = 5  # type: ignore[index]


def test_nl_means_is_scikit_images_call_on_pixels_in_0_1_rgb_and_grey() -> None:
    gen = torch.Generator().manual_seed(0)
    clean = torch.linspace(0, 255, 48)[None, None].expand(3, 40, 48).round().to(torch.uint8)
    noisy = (clean.float() + torch.randn(clean.shape, generator=gen) * NOISE_SIGMA).round().clamp(0, 255).to(torch.uint8)
    ours = nl_means(as_float(noisy[None]), NOISE_SIGMA)
    theirs = skimage_nl_means(noisy.permute(1, 2, 0).double().numpy() / 255)
    assert ours.shape == (1, 3, 40, 48)
    assert np.abs((ours[0].permute(1, 2, 0).numpy() + 1) / 2 - theirs).max() < 1e-5
    truth = clean.permute(1, 2, 0).numpy() / 255
    assert peak_signal_noise_ratio(truth, theirs, data_range=1) > peak_signal_noise_ratio(truth, noisy.permute(1, 2, 0).numpy() / 255, data_range=1) + 5
    grey = nl_means(as_float(noisy[:1][None]), NOISE_SIGMA)  # one channel: channel_axis=None
    theirs_grey = denoise_nl_means(noisy[0].double().numpy() / 255, h=0.8 * SIGMA, sigma=SIGMA, fast_mode=True,
                                   patch_size=5, patch_distance=6, channel_axis=None)
    assert grey.shape == (1, 1, 40, 48) and np.abs((grey[0, 0].numpy() + 1) / 2 - theirs_grey).max() < 1e-5


@pytest.fixture(scope="module")
def denoiser(tmp_path_factory) -> object:
    """A pix2pix trained 2 steps on noisy2photos: a run folder."""
    run = tmp_path_factory.mktemp("denoiser") / "run"
    ganzoo.train("pix2pix", dataset="noisy2photos", out=run, steps=2, **TINY_P2P)
    return run


def test_a_denoiser_is_reported_beside_nl_means_on_every_whole_photograph(denoiser) -> None:
    report = evaluate(denoiser)
    assert report.dataset == "noisy2photos" and report.classical["method"] == "nl-means"
    assert report.classical["settings"] == {"sigma": NOISE_SIGMA} and "nl-means" in report.classical["label"]
    assert report.floor_label.startswith("input as output (identity)")
    assert list(report.per_image) == held_out_names()
    data = load_dataset(get_registry(), "noisy2photos", 64)
    for whole in data.whole:  # nl-means's figures are scikit-image's own call, scored with scikit-image's PSNR
        figures = report.per_image[whole.name]
        noisy, truth = (t.permute(1, 2, 0).double().numpy() / 255 for t in (whole.input, whole.target))
        expected = peak_signal_noise_ratio(truth, skimage_nl_means(noisy), data_range=1)
        assert figures["classical_psnr"] == pytest.approx(expected, abs=0.01)
        assert figures["classical_psnr"] > figures["baseline_psnr"] + 1  # it denoises: far above the noisy input
        assert figures["classical_ssim"] > figures["baseline_ssim"] and figures["classical_l1"] < figures["baseline_l1"]
    per = report.per_image.values()
    for key in ("psnr", "ssim", "l1"):
        assert report.metrics[f"classical_{key}"] == pytest.approx(sum(p[f"classical_{key}"] for p in per) / len(per))
        sign = 1 if metric_names.higher_is_better(key) else -1
        worst = min(sign * (p[key] - p[f"classical_{key}"]) for p in per)
        assert report.metrics[f"worst_margin_classical_{key}"] == pytest.approx(worst)
        assert report.metrics[f"worst_margin_{key}"] == pytest.approx(min(sign * (p[key] - p[f"baseline_{key}"]) for p in per))
    assert report.metrics["classical_psnr"] > report.floor["psnr"] + 5  # sigma 25: nl-means gains about 9 dB
    # the floor column stays the identity's: no classical figure hides there as a baseline
    assert not any(k.startswith("classical_") or "_classical_" in k for k in report.floor)
    assert all(metric_names.label(k) != k for k in report.metrics)  # every name is registered, with its label


def test_ganzoo_eval_prints_nl_means_beside_the_model_and_the_identity(denoiser) -> None:
    out = run_cli("--threads", "1", "eval", str(denoiser), check=True).stdout
    flat = " ".join(out.split())
    assert "classical: nl-means" in flat and "input as output" in flat
    assert "(baseline; nl-means)" in flat and all(name in out for name in held_out_names())
    assert "PSNR above nl-means on" in flat and f"of {len(held_out_names())} photographs" in flat
    data = json.loads(run_cli("--threads", "1", "eval", str(denoiser), "--json", check=True).stdout)
    assert data["classical"]["method"] == "nl-means"
    assert {"classical_psnr", "classical_ssim", "worst_margin_classical_psnr"} <= set(data["metrics"])
    assert all("classical_psnr" in figures for figures in data["per_image"].values())


def test_held_out_crops_are_scored_beside_a_classical_method_shaped_like_the_targets(tmp_path) -> None:
    """Data without whole photographs: the method runs on the held-out crops (grey inputs here,
    colour targets: its outputs are brought to the targets' channels as the identity's are)."""
    model = ganzoo.create("pix2pix", image_size=64, input_channels=1, ngf=8, ndf=8)
    name = paired_folder(tmp_path / "pairs")
    data = load_dataset(get_registry(), name, 64)
    report = _evaluate_pairs(model, data, name, 0, ClassicalBaseline("nl-means", {"sigma": 25.0}))
    assert report.classical["method"] == "nl-means" and not report.per_image
    assert {"classical_psnr", "classical_ssim", "classical_l1"} <= set(report.metrics)
    assert report.metrics["classical_psnr"] != pytest.approx(report.floor["psnr"], abs=1e-3)


def test_super_resolution_says_its_baseline_is_the_classical_method_bicubic(tmp_path) -> None:
    model = ganzoo.create("srresnet", width=8, n_blocks=1)
    model.save(tmp_path)
    report = evaluate(tmp_path, dataset="photos-sr")
    assert report.floor_label.startswith("classical: bicubic") and not report.classical
    assert "baseline_psnr" not in report.metrics and {"psnr", "ssim", "worst_margin_psnr"} <= set(report.metrics)
    assert not any(k.startswith("classical_") for k in report.metrics)  # stored names unchanged: baseline_* only
    out = " ".join(run_cli("--threads", "1", "eval", str(tmp_path), "--dataset", "photos-sr", check=True).stdout.split())
    assert "classical: bicubic upscaling" in out and "nl-means" not in out
