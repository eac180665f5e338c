"""Image-to-image models measured on whole held-out photographs (the photo demos)."""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.data import WholeImage
from ganzoo.eval.evaluation import evaluate
from ganzoo.eval.whole_images import score_whole_images
from ganzoo_plugins.datasets import photos

from tests.helpers import run_cli


def held_out_names() -> list[str]:
    return [f.stem for name in photos.HELD_OUT for f in photos.photo_files(name)]


def test_an_untrained_residual_srresnet_is_exactly_bicubic_on_every_whole_photograph(tmp_path) -> None:
    """The residual design starts at bicubic: same figures as the baseline, margin 0 everywhere."""
    model = ganzoo.create("srresnet", width=8, n_blocks=1)
    model.save(tmp_path)
    report = evaluate(tmp_path, dataset="photos-sr")
    assert report.samples == len(held_out_names())
    assert list(report.per_image) == held_out_names()
    assert "whole held-out photographs" in report.floor_label
    for key in ("psnr", "ssim"):
        assert report.metrics[key] == pytest.approx(report.floor[key], abs=1e-4)
        assert report.metrics[f"worst_margin_{key}"] == pytest.approx(0, abs=1e-4)
    for figures in report.per_image.values():  # real photographs: bicubic x4 lands between 15 and 45 dB
        assert 15 < figures["baseline_psnr"] < 45 and figures["psnr"] == pytest.approx(figures["baseline_psnr"], abs=1e-3)


def test_worst_margin_is_the_photograph_where_the_model_does_least_well() -> None:
    """A model that is perfect on one photograph and returns the input on another: the worst
    margin is the second's (0 against the identity baseline), the mean is between."""

    class Half:  # the two attributes score_whole_images uses, over a real task adapter
        device = torch.device("cpu")
        task = ganzoo.create("pix2pix", image_size=64, input_channels=3, ngf=8, ndf=8).task

        @staticmethod
        def transform(x):
            return target_a if x.shape[-1] == 40 else x

    gen = torch.Generator().manual_seed(0)
    a, b = (torch.randint(0, 256, (3, 24, w), dtype=torch.uint8, generator=gen) for w in (40, 50))
    target_a = a.float().div(127.5).sub(1)[None].flip(-1)
    images = [WholeImage("a", a, a.flip(-1)), WholeImage("b", b, b.flip(-1))]
    result = score_whole_images(Half, images)
    assert list(result.per_image) == ["a", "b"] and result.per_image["a"]["l1"] == 0
    margins = result.worst_margins({"l1": False, "psnr": True})
    assert margins["worst_margin_l1"] == pytest.approx(0, abs=1e-6) and margins["worst_margin_psnr"] == pytest.approx(0, abs=1e-4)
    assert result.scores["l1"] == pytest.approx(result.per_image["b"]["l1"] / 2)


def test_ganzoo_eval_json_lists_each_photograph(tmp_path) -> None:
    model = ganzoo.create("pix2pix", image_size=64, input_channels=1, ngf=8, ndf=8)
    model.save(tmp_path)
    data = json.loads(run_cli("eval", str(tmp_path), "--dataset", "edges2photos", "--json", check=True).stdout)
    assert list(data["per_image"]) == held_out_names() and data["samples"] == len(held_out_names())
    assert {"psnr", "ssim", "l1", "worst_margin_l1"} <= set(data["metrics"])
    out = run_cli("eval", str(tmp_path), "--dataset", "edges2photos", check=True).stdout
    assert all(name in out for name in held_out_names())
