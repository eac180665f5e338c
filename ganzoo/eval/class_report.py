"""The mode-collapse report: how generated samples spread over the real classes.

A GAN that drops a class (the classic Fashion-MNIST check) still shows healthy losses. Every
``class_report_every`` steps the trainer draws samples, a classifier trained on the real
labelled data sorts them, and classes whose share falls far below the uniform share are
named. For class-conditional models it also gives the share of samples classified as the
label they were asked for.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ganzoo.eval.classifier import train_classifier
from ganzoo.data.datasets import ImageDataset

#: A class is reported missing when its share is below this fraction of 1 / num_classes.
MISSING_FRACTION = 0.2


class ClassReport:
    def __init__(self, dataset: ImageDataset, device: torch.device, seed: int, samples: int = 1000) -> None:
        assert dataset.labels is not None
        self.classes = dataset.classes
        self.samples = samples
        self.classifier = train_classifier(dataset.images, dataset.labels, len(self.classes), device, seed)

    def __call__(self, generate: Callable[[int], tuple[torch.Tensor, torch.Tensor | None]]) -> dict[str, Any]:
        """``generate(n)`` returns n images in [-1, 1] and the labels asked for (or None)."""
        images, asked = generate(self.samples)
        predicted = self.classifier.predict(images)
        counts = torch.bincount(predicted.cpu(), minlength=len(self.classes)).tolist()
        floor = MISSING_FRACTION * self.samples / len(self.classes)
        report: dict[str, Any] = {
            "counts": dict(zip(self.classes, counts)),
            "missing": [c for c, n in zip(self.classes, counts) if n < floor],
            "classifier_accuracy": round(self.classifier.accuracy, 4),
        }
        if asked is not None:
            report["conditional_accuracy"] = (predicted == asked).float().mean().item()
        return report
