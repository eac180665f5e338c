"""Seeded train / held-out splits: the one rule every split in ganzoo follows.

A permutation of the indices drawn from a generator of its own (``torch.Generator`` seeded
with ``seed``), so a split never touches, and never depends on, the global random stream; the
first ``max(1, min(most, int(count * fraction)))`` indices of it are held out. Three splits
use it and must keep their exact index sets: the pairs an image-to-image run holds out
(:func:`split_holdout`; the run's weights depend on them), the evaluation split that the
shipped digits network trained on (:func:`ganzoo.eval.digits_features.digits_split`) and the
split a class judge is trained and checked on.
"""

from __future__ import annotations

import torch

from ganzoo.data.image_dataset import ImageDataset, ImageRows
from ganzoo.errors import DataError

#: Image-to-image runs hold out this fraction of their pairs, at most :data:`HOLDOUT_MOST` of them.
HOLDOUT_FRACTION = 0.1
HOLDOUT_MOST = 64


def held_out_count(count: int, fraction: float, most: int | None = None) -> int:
    """How many of ``count`` examples a split holds out: at least one, at most ``most``."""
    held = int(count * fraction)
    if most is not None:
        held = min(most, held)
    return max(1, held)


def split_indices(count: int, seed: int, fraction: float, most: int | None = None, *,
                  ordered: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(train indices, held-out indices)`` of ``count`` examples.

    In permutation order by default (a run trains on its examples in that order); ``ordered``
    sorts each part, for callers that only need the sets.
    """
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    held = held_out_count(count, fraction, most)
    train, held_out = order[held:], order[:held]
    if ordered:
        return train.sort().values, held_out.sort().values
    return train, held_out


def split_holdout(dataset: ImageDataset, seed: int, fraction: float = HOLDOUT_FRACTION,
                  most: int = HOLDOUT_MOST) -> tuple[ImageDataset, ImageDataset]:
    """Split off a fixed, seeded tenth (at most ``most``, at least one) of the examples.

    Image-to-image runs measure PSNR/SSIM on these pairs, which they never train on. A dataset
    with an official held-out split (``dataset.test``) trains on all its examples and holds out
    the first ``most`` of that split instead. A dataset
    cut from whole photographs (``dataset.held_out`` set) is split by photograph instead: every
    example of a held-out photograph is kept out of training, and ``most`` of them (in seeded
    order) are measured.
    """
    if len(dataset) < 2:
        raise DataError(f"the dataset holds {len(dataset)} example(s); image-to-image training needs at least 2")
    if dataset.test is not None:  # an official held-out split (edges2fashion): the first ``most`` of it
        return dataset, subset(dataset.test, torch.arange(min(most, len(dataset.test))))
    if dataset.held_out is not None:
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
        marked = dataset.held_out[order]
        return subset(dataset, order[~marked]), subset(dataset, order[marked][:most])
    train, held = split_indices(len(dataset), seed, fraction, most)
    return subset(dataset, train), subset(dataset, held)


def subset(dataset: ImageDataset, index: torch.Tensor) -> ImageDataset:
    """The examples of ``dataset`` at ``index`` (images, labels and inputs alike), in that order.

    The part keeps the whole held-out photographs; it no longer marks examples as held out
    (it is one side of a split). A part of a mapped dataset stays mapped: rows of the same map
    (:class:`ImageRows`), nothing copied."""
    if isinstance(dataset, ImageRows):
        return ImageRows(dataset.base, dataset.rows[index])
    if dataset.mapped:
        return ImageRows(dataset, index)
    pick = lambda t: None if t is None else t[index]  # noqa: E731
    return ImageDataset(dataset.images[index], pick(dataset.labels), dataset.classes, pick(dataset.inputs),
                        whole=dataset.whole, skipped=dataset.skipped, test=dataset.test)
