"""The mode-collapse report: a classifier trained on the real data sorts generated samples."""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.io import weights
from ganzoo.eval.class_report import ClassReport
from ganzoo.data.datasets import load_dataset
from ganzoo.errors import ConfigError
from ganzoo.plugin.discovery import get_registry

from tests.training.test_trainer import TINY


@pytest.fixture(scope="module")
def digits():
    return load_dataset(get_registry(), "digits", 16)


@pytest.fixture(scope="module")
def report(digits):
    return ClassReport(digits, torch.device("cpu"), seed=0, samples=500)


def as_float(images):
    return images.float().div(127.5).sub(1)


def test_classifier_is_accurate_on_held_out_digits(report):
    assert report.classifier.accuracy >= 0.95


def test_real_digits_cover_every_class(report, digits):
    pick = torch.randperm(len(digits), generator=torch.Generator().manual_seed(1))[:500]
    result = report(lambda n: (as_float(digits.images[pick[:n]]), None))
    assert result["missing"] == []
    assert sum(result["counts"].values()) == 500
    assert min(result["counts"].values()) > 25


def test_a_collapsed_generator_is_flagged(report, digits):
    threes = digits.images[digits.labels == 3]
    asked = torch.full((500,), 3)
    result = report(lambda n: (as_float(threes[torch.arange(n) % len(threes)]), asked))
    assert set(result["missing"]) == {str(c) for c in range(10)} - {"3"}
    assert result["conditional_accuracy"] > 0.9


def test_run_with_report_logs_it_and_leaves_training_unchanged(tmp_path):
    common = dict(steps=4, log_every=2, **TINY)
    ganzoo.train("dcgan", out=tmp_path / "plain", **common)
    ganzoo.train("dcgan", out=tmp_path / "report", class_report_every=2, class_report_samples=200, **common)
    lines = [json.loads(x) for x in (tmp_path / "report" / "metrics.jsonl").read_text().splitlines()]
    reports = [m for m in lines if "class_report" in m]
    assert [m["step"] for m in reports] == [2, 4]
    assert sum(reports[0]["class_report"]["counts"].values()) == 200
    a = weights.read_tensors(tmp_path / "plain" / "generator.safetensors")
    b = weights.read_tensors(tmp_path / "report" / "generator.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_report_needs_labels(tmp_path):
    from PIL import Image

    data = tmp_path / "flat"
    data.mkdir()
    for i in range(20):
        Image.new("L", (16, 16), i * 10).save(data / f"{i}.png")
    with pytest.raises(ConfigError, match="needs a labelled dataset"):
        ganzoo.train("dcgan", dataset=f"folder:{data}", out=tmp_path / "r", steps=1, class_report_every=1, **TINY)
