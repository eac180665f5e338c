"""Per-label diversity: does a class model draw each label in as many ways as the real data?

Recall says that part of the real data is missed, but not why; a conditional generator that
draws every label right yet draws it the same way each time (it ignores its noise) has a high
conditional accuracy and precision, and a recall near zero. This figure names that failure.

For each label ``y``, the *spread* is the mean Euclidean distance between two different
samples drawn for ``y`` (all pairs, in the evaluation's feature space). The score of a set of
samples is its spread divided by the spread of the real reference images of the same label,
averaged over the labels (:attr:`LabelDiversity.mean`) and at its smallest
(:attr:`LabelDiversity.smallest`). About 1 when each label varies as the real digits do; 0
when every sample of a label is one image. The mean pairwise distance is an unbiased estimate
of the expected distance between two draws, so it does not drift with the number of samples
(unlike a nearest-neighbour radius), and real held-out images score about 1 against the real
training images: that is the floor :mod:`ganzoo.eval.evaluation` prints beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def spread_per_label(features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> dict[int, float]:
    """``{label: mean pairwise distance of its rows}`` for each label with at least two rows."""
    features, labels = features.detach().to("cpu", torch.float64), labels.detach().to("cpu")
    out = {}
    for label in range(num_classes):
        rows = features[labels == label]
        if len(rows) >= 2:
            out[label] = torch.pdist(rows).mean().item()
    return out


@dataclass(frozen=True)
class LabelDiversity:
    """Spread of samples per label over the reference spread of that label."""

    ratios: dict[int, float]

    @classmethod
    def of(cls, features: torch.Tensor, labels: torch.Tensor, reference: dict[int, float]) -> LabelDiversity:
        """Score ``features`` (drawn for ``labels``) against ``reference`` (:func:`spread_per_label`
        of the real images); labels absent from either side, or whose real images are all one
        image, are left out."""
        spread = spread_per_label(features, labels, max(reference, default=-1) + 1)
        return cls({k: v / reference[k] for k, v in spread.items() if reference.get(k, 0.0) > 0})

    @property
    def mean(self) -> float:
        return sum(self.ratios.values()) / len(self.ratios) if self.ratios else float("nan")

    @property
    def smallest(self) -> float:
        return min(self.ratios.values()) if self.ratios else float("nan")
