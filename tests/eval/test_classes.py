"""Class coverage, one piece for ``ganzoo eval`` and the mode-collapse report: the judge, the
threshold, the tally, and ``--class-report-every`` in a real run."""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.data import as_float, load_dataset
from ganzoo.errors import ConfigError
from ganzoo.eval.class_report import ClassReport
from ganzoo.eval.classes import COVERED_FRACTION, ClassJudge, ClassTally, accuracy_per_label, conditional_accuracy
from ganzoo.eval.classifier import held_out_accuracy
from ganzoo.eval.digits_features import digits_split, load_digits_features
from ganzoo.io import weights
from ganzoo.plugin.discovery import get_registry

from tests.training.test_trainer import TINY


@pytest.fixture(scope="module")
def digits():
    return load_dataset(get_registry(), "digits", 16)


@pytest.fixture(scope="module")
def report(digits):
    """The report a run without a dataset name gets: a small classifier trained on the real digits."""
    return ClassReport(digits, torch.device("cpu"), seed=0, samples=500)


def test_small_classifier_judge_is_accurate_on_images_it_never_saw(report):
    assert report.judge.kind == "small classifier"
    assert report.judge.accuracy >= 0.95


def test_digits_are_judged_by_the_shipped_network_on_its_held_out_split(digits):
    torch.manual_seed(0)
    expected_stream = torch.rand(3)
    torch.manual_seed(0)
    judge = ClassJudge(digits, "digits", torch.device("cpu"), seed=0)
    assert torch.equal(torch.rand(3), expected_stream)  # building a judge leaves a run's random stream alone
    assert judge.kind == "digits network" and judge.accuracy >= 0.97
    _, held = digits_split(len(digits))
    net = load_digits_features()
    by_hand = (net(as_float(digits.images[held]))[1].argmax(1) == digits.labels[held]).float().mean().item()
    assert judge.accuracy == pytest.approx(by_hand)
    assert held_out_accuracy(judge.predict, digits.images, digits.labels, held, torch.device("cpu"), chunk=7) == pytest.approx(by_hand)


def test_a_judge_needs_labels(digits):
    with pytest.raises(ConfigError, match="needs a labelled dataset"):
        ClassJudge(type(digits)(digits.images), "folder:x", torch.device("cpu"), seed=0)


def test_the_one_threshold_names_missing_classes():
    classes = [str(i) for i in range(10)]
    floor = int(COVERED_FRACTION * 1000 / 10)  # 20 of 1,000 samples over 10 classes
    counts = [floor, floor - 1] + [(1000 - 2 * floor + 1) // 8] * 8
    counts[-1] += 1000 - sum(counts)
    predicted = torch.cat([torch.full((n,), i) for i, n in enumerate(counts)])
    tally = ClassTally.of(predicted[torch.randperm(1000)], classes)
    assert tally.counts == counts and tally.total == 1000
    assert tally.missing() == ["1"] and tally.covered() == 9
    assert tally.smallest_share() == pytest.approx((floor - 1) / 1000)
    assert sum(tally.shares().values()) == pytest.approx(1.0) and tally.by_class()["0"] == floor


def test_conditional_accuracy_overall_and_per_label():
    predicted, asked = torch.tensor([0, 1, 1, 2, 2, 2]), torch.tensor([0, 1, 2, 2, 2, 0])
    assert conditional_accuracy(predicted, asked) == pytest.approx(4 / 6)
    assert accuracy_per_label(predicted, asked, ["a", "b", "c", "d"]) == pytest.approx({"a": 0.5, "b": 1.0, "c": 2 / 3})


def test_real_digits_cover_every_class(report, digits):
    pick = torch.randperm(len(digits), generator=torch.Generator().manual_seed(1))[:500]
    result = report(lambda n: (as_float(digits.images[pick[:n]]), None))
    assert set(result) == {"counts", "missing", "classifier_accuracy"}
    assert result["missing"] == []
    assert sum(result["counts"].values()) == 500
    assert min(result["counts"].values()) > 25
    assert result["classifier_accuracy"] == round(report.judge.accuracy, 4)


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
    assert set(reports[0]["class_report"]) == {"counts", "missing", "classifier_accuracy"}
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
