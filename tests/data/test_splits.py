"""The one seeded splitter: the exact index sets of the splits it replaced, on many sizes and seeds."""

from __future__ import annotations

import pytest
import torch

import ganzoo.data.datasets
from ganzoo.data import ImageDataset, split_holdout, split_indices
from ganzoo.data.splits import held_out_count
from ganzoo.errors import DataError

SIZES = (2, 3, 9, 10, 11, 19, 30, 64, 70, 99, 640, 641, 1797, 5000)
SEEDS = (0, 1, 7, 12345)


def old_split_holdout(count: int, seed: int, fraction: float = 0.1, most: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """ganzoo.data.datasets.split_holdout before the splitter (its indices, in permutation order)."""
    held = max(1, min(most, int(count * fraction)))
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    return order[held:], order[:held]


def old_digits_split(count: int, seed: int = 0, fraction: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
    """ganzoo.eval.digits_features.digits_split before the splitter (the shipped network trained on it)."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    held = max(1, int(count * fraction))
    return order[held:].sort().values, order[:held].sort().values


def old_classifier_split(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The 90/10 split train_classifier drew from the (forked) global generator."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        order = torch.randperm(count)
    held = max(1, count // 10)
    return order[held:], order[:held]


@pytest.mark.parametrize("seed", SEEDS)
def test_same_index_sets_as_the_three_old_splits(seed: int) -> None:
    for count in SIZES:
        for new, old in (
            (split_indices(count, seed, 0.1, 64), old_split_holdout(count, seed)),
            (split_indices(count, seed, 0.2, ordered=True), old_digits_split(count, seed)),
            (split_indices(count, seed, 0.1), old_classifier_split(count, seed)),
        ):
            assert all(torch.equal(a, b) for a, b in zip(new, old)), (count, seed)


def test_parts_are_disjoint_and_cover_every_index() -> None:
    train, held = split_indices(101, 3, 0.25)
    assert len(held) == 25 and torch.equal(torch.cat([train, held]).sort().values, torch.arange(101))
    assert held_out_count(5, 0.1) == 1 and held_out_count(10_000, 0.1, most=64) == 64 and held_out_count(50, 0.2) == 10


def test_the_global_random_stream_is_untouched() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    split_indices(1000, 5, 0.1)
    assert torch.equal(torch.rand(3), expected)


def test_split_holdout_keeps_images_labels_and_inputs_together() -> None:
    images = torch.arange(20, dtype=torch.uint8).view(20, 1, 1, 1).expand(20, 1, 2, 2).contiguous()
    data = ImageDataset(images, torch.arange(20) % 4, inputs=images.clone())
    train, held = split_holdout(data, seed=3)
    expected_train, expected_held = old_split_holdout(20, 3)
    assert torch.equal(held.images[:, 0, 0, 0].long(), expected_held) and torch.equal(train.labels, expected_train % 4)
    assert torch.equal(train.inputs, train.images) and train.classes == data.classes
    assert ganzoo.data.datasets.split_holdout is split_holdout  # its old home still serves it
    with pytest.raises(DataError, match="at least 2"):
        split_holdout(ImageDataset(images[:1]), seed=0)


def test_a_dataset_marked_by_photograph_is_split_by_photograph():
    """Examples of held-out photographs never reach training, and the split is seeded."""
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1).expand(40, 1, 2, 2).contiguous()
    marks = torch.zeros(40, dtype=torch.bool)
    marks[30:] = True  # the last photograph's ten crops
    data = ImageDataset(images, inputs=images.clone(), held_out=marks)
    train, held = split_holdout(data, seed=3, most=4)
    assert len(train) == 30 and len(held) == 4
    assert set(train.images[:, 0, 0, 0].tolist()) == set(range(30))
    assert set(held.images[:, 0, 0, 0].tolist()) <= set(range(30, 40))
    again_train, again_held = split_holdout(data, seed=3, most=4)
    assert torch.equal(train.images, again_train.images) and torch.equal(held.images, again_held.images)
    assert train.held_out is None and held.held_out is None


@pytest.mark.parametrize("marks", [torch.zeros(5, dtype=torch.bool), torch.ones(5, dtype=torch.bool), torch.zeros(4, dtype=torch.bool)])
def test_held_out_marks_must_leave_both_sides_and_match_the_images(marks):
    with pytest.raises(DataError, match="held_out must be one bool per image|must keep some examples for training and hold some out"):
        ImageDataset(torch.zeros(5, 1, 2, 2, dtype=torch.uint8), held_out=marks)
