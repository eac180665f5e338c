"""Which real class each generated sample looks like: one judge, one threshold, one tally.

The mode-collapse report (``--class-report-every``) and ``ganzoo eval`` / ``--eval-every`` both
ask these, so they never disagree on what "a class went missing" means. A GAN that drops a
class still shows healthy losses; the share of samples the judge reads as each class shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganzoo.data.image_dataset import ImageDataset
from ganzoo.errors import ConfigError
from ganzoo.eval.classifier import held_out_accuracy, train_classifier
from ganzoo.eval.digits_features import digits_split, held_out_part, load_digits_features, reads_digits
from ganzoo.eval.fashion_features import load_fashion_features, reads_fashion

#: A class is covered when its share of the samples is at least this fraction of the uniform
#: share 1 / num_classes, and missing (possible mode collapse) below it.
COVERED_FRACTION = 0.2


class ClassJudge:
    """A classifier over a labelled dataset's classes, and its accuracy on images it never saw.

    For the digits datasets (10 classes) it is the head of the shipped digits network, which
    trained on the training part of the evaluation split (:func:`digits_split`); for
    Fashion-MNIST the head of the shipped Fashion-MNIST network, checked on the official test
    split (``dataset.test``), which it never trained on; for any other
    labelled data a :class:`~ganzoo.eval.classifier.SmallClassifier` trained for a few seconds
    on the training part of the same split. Either way :attr:`accuracy` is measured on the
    held-out part. Building it leaves the global random stream as it was.
    """

    def __init__(self, dataset: ImageDataset, dataset_name: str | None, device: torch.device, seed: int,
                 batch_size: int = 500) -> None:
        if dataset.labels is None or not dataset.classes:
            raise ConfigError(f"judging classes needs a labelled dataset; {dataset_name or 'this dataset'!r} has no labels")
        self.classes = list(dataset.classes)
        self.device, self.batch_size = device, batch_size
        train, held = digits_split(len(dataset))
        shipped = (("digits network", load_digits_features) if reads_digits(dataset_name) else
                   ("Fashion-MNIST network", load_fashion_features) if reads_fashion(dataset_name) else None)
        if shipped is not None and len(self.classes) == 10:
            self.kind, net = shipped[0], shipped[1](device)
            self._classify = lambda images: net(images)[1].argmax(1)
            _, checked, index = held_out_part(dataset)  # the official test split, else the evaluation split
            self.accuracy = held_out_accuracy(self.predict, checked.images, checked.labels, index, device)
        else:
            trained = train_classifier(dataset.images, dataset.labels, len(self.classes), device, seed, split=(train, held))
            self.kind = "small classifier"
            self._classify = trained.predict
            self.accuracy = trained.accuracy

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """The class index of each image (floats in [-1, 1]), on the judge's device."""
        step = self.batch_size
        return torch.cat([self._classify(images[i : i + step].to(self.device)) for i in range(0, len(images), step)])


@dataclass(frozen=True)
class ClassTally:
    """How many samples a judge read as each class."""

    classes: list[str]
    counts: list[int]

    @classmethod
    def of(cls, predicted: torch.Tensor, classes: list[str]) -> ClassTally:
        return cls(list(classes), torch.bincount(predicted.cpu(), minlength=len(classes)).tolist())

    @property
    def total(self) -> int:
        return sum(self.counts)

    def by_class(self) -> dict[str, int]:
        return dict(zip(self.classes, self.counts))

    def shares(self) -> dict[str, float]:
        return {name: count / self.total for name, count in zip(self.classes, self.counts)}

    def missing(self) -> list[str]:
        """Classes whose share is below :data:`COVERED_FRACTION` of the uniform share."""
        k = len(self.classes)
        return [name for name, count in zip(self.classes, self.counts) if count * k < COVERED_FRACTION * self.total]

    def covered(self) -> int:
        return len(self.classes) - len(self.missing())

    def smallest_share(self) -> float:
        return min(self.counts) / self.total

    def largest_share(self) -> float:
        return max(self.counts) / self.total


def conditional_accuracy(predicted: torch.Tensor, asked: torch.Tensor) -> float:
    """Share of samples read as the label they were generated for."""
    return (predicted == asked.to(predicted.device)).float().mean().item()


def accuracy_per_label(predicted: torch.Tensor, asked: torch.Tensor, classes: list[str]) -> dict[str, float]:
    """:func:`conditional_accuracy` of each label that was asked for."""
    asked = asked.to(predicted.device)
    return {name: (predicted[asked == i] == i).float().mean().item() for i, name in enumerate(classes) if (asked == i).any()}
