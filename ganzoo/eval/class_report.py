"""The mode-collapse report: how generated samples spread over the real classes.

A GAN that drops a class (the classic Fashion-MNIST check) still shows healthy losses. Every
``class_report_every`` steps the trainer draws samples, the class judge of ``ganzoo eval``
(:class:`~ganzoo.eval.classes.ClassJudge`) sorts them, and classes whose share falls below
:data:`~ganzoo.eval.classes.COVERED_FRACTION` of the uniform share are named. For
class-conditional models it also gives the share of samples read as the label they were
asked for.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ganzoo.data.image_dataset import ImageDataset
from ganzoo.eval.classes import ClassJudge, ClassTally, conditional_accuracy

#: ``generate(n) -> (n images in [-1, 1], the labels asked for or None)``.
Generate = Callable[[int], "tuple[torch.Tensor, torch.Tensor | None]"]


class ClassReport:
    """``report(generate)`` -> one ``class_report`` line of ``metrics.jsonl``: ``counts`` per
    class, the ``missing`` classes, the judge's ``classifier_accuracy`` and, for class models,
    ``conditional_accuracy``.

    ``dataset_name`` (the run's ``--dataset``) lets the digits datasets be judged by the shipped
    digits network, as ``ganzoo eval`` judges them; without it a small classifier is trained.
    """

    def __init__(self, dataset: ImageDataset, device: torch.device, seed: int, samples: int = 1000,
                 dataset_name: str | None = None) -> None:
        self.classes = list(dataset.classes)
        self.samples = samples
        self.judge = ClassJudge(dataset, dataset_name, device, seed)

    def __call__(self, generate: Generate) -> dict[str, Any]:
        images, asked = generate(self.samples)
        predicted = self.judge.predict(images)
        tally = ClassTally.of(predicted, self.classes)
        report: dict[str, Any] = {
            "counts": tally.by_class(),
            "missing": tally.missing(),
            "classifier_accuracy": round(self.judge.accuracy, 4),
        }
        if asked is not None:
            report["conditional_accuracy"] = conditional_accuracy(predicted, asked)
        return report
