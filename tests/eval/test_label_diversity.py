"""Per-label diversity (ganzoo.eval.label_diversity): a class model that draws each label one
way scores 0, real held-out digits score about 1, and ganzoo eval reports it beside its floor."""

from __future__ import annotations

import pytest
import torch

from ganzoo.data import as_float, load_dataset
from ganzoo.eval import metric_names
from ganzoo.eval.digits_features import digits_split
from ganzoo.eval.evaluation import SampleEvaluator
from ganzoo.eval.label_diversity import LabelDiversity, spread_per_label
from ganzoo.plugin.discovery import get_registry


def test_spread_is_the_mean_distance_between_two_different_rows_of_a_label():
    features = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0], [1.0, 0.0], [7.0, 7.0]])
    labels = torch.tensor([0, 0, 1, 1, 2])
    assert spread_per_label(features, labels, 4) == pytest.approx({0: 5.0, 1: 1.0})  # one row of 2, none of 3
    doubled = LabelDiversity.of(2 * features, labels, {0: 5.0, 1: 1.0, 2: 1.0})
    assert doubled.ratios == pytest.approx({0: 2.0, 1: 2.0}) and doubled.mean == pytest.approx(2.0)
    mixed = LabelDiversity.of(features, labels, {0: 10.0, 1: 1.0})
    assert mixed.mean == pytest.approx(0.75) and mixed.smallest == pytest.approx(0.5)


def test_labels_without_pairs_or_reference_are_left_out():
    features, labels = torch.randn(4, 3), torch.tensor([0, 0, 1, 1])
    assert set(LabelDiversity.of(features, labels, {0: 1.0, 1: 0.0}).ratios) == {0}
    assert LabelDiversity.of(features, labels, {}).ratios == {}


@pytest.fixture(scope="module")
def evaluator_and_held():
    digits = load_dataset(get_registry(), "digits", 32)
    _, held = digits_split(len(digits))
    return SampleEvaluator(digits, "digits", device=torch.device("cpu")), as_float(digits.images[held]), digits.labels[held]


def test_real_held_out_digits_are_as_diverse_as_the_real_training_digits(evaluator_and_held):
    evaluator, real, labels = evaluator_and_held
    metrics, _ = evaluator.score(lambda n: (real[:n], labels[:n]))
    assert 0.85 < metrics["label_diversity"] < 1.15 and 0.7 < metrics["label_diversity_min"] <= metrics["label_diversity"]
    assert metrics["label_diversity"] == pytest.approx(evaluator.floor["label_diversity"])


def test_one_image_per_label_scores_zero_though_every_label_is_right(evaluator_and_held):
    evaluator, real, labels = evaluator_and_held
    first = {int(y): real[labels == y][0] for y in labels.unique()}

    def one_way(n):
        asked = torch.arange(n) % 10
        return torch.stack([first[int(y)] for y in asked]), asked

    metrics, _ = evaluator.score(one_way)
    assert metrics["cond_accuracy"] >= 0.9  # each label drawn right ...
    assert metrics["label_diversity"] == pytest.approx(0.0, abs=1e-6) and metrics["label_diversity_min"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["label_diversity"] < evaluator.floor["label_diversity"] - 0.8  # ... and far below the floor
    noisy = one_way(len(real))[0] + 0.3 * torch.randn(len(real), *real.shape[1:], generator=torch.Generator().manual_seed(0))
    assert 0.0 < evaluator.score(lambda n: (noisy[:n].clamp(-1, 1), torch.arange(n) % 10))[0]["label_diversity"]


def test_the_figure_is_named_with_its_direction():
    for name in ("label_diversity", "label_diversity_min"):
        assert name in metric_names.METRICS and metric_names.higher_is_better(name)
    assert "label_diversity" in metric_names.HEADLINE_FEATURES
