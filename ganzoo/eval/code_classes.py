"""How well a categorical latent code matches the real classes, learnt without labels (InfoGAN).

An InfoGAN's categorical code is never told which digit is which, so code value 3 may well draw
sevens. The question is whether each value draws *one* class: generate ``per_code`` samples for
every value (fresh noise and continuous codes), read them with the class judge
(:class:`~ganzoo.eval.classes.ClassJudge`: the digits network on the digits), count a
code-by-class table and pick the one-to-one assignment of values to classes that agrees with
most samples (the Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``, as clustering
accuracy is scored). The share of samples their value's class accounts for is the accuracy:
about ``1 / K`` for a code the generator ignores, 1 for a code that is a perfect class label.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from ganzoo.core.model import GanModel
from ganzoo.errors import ConfigError
from ganzoo.eval.classes import ClassJudge

#: Samples drawn for each value of the categorical code.
SAMPLES_PER_CODE = 200


@dataclass(frozen=True)
class CodeClassMatch:
    """The best one-to-one assignment of code values to classes and how well it holds."""

    accuracy: float
    #: Code value -> the class it is assigned (values left over when there are more values than classes: absent).
    assignment: dict[int, str]
    #: Code value -> the share of its samples read as its assigned class.
    per_code: dict[int, float]
    #: ``confusion[k][c]``: samples of code value ``k`` read as class ``c``.
    confusion: list[list[int]]
    #: The accuracy of a code the generator ignores (samples read independently of the value).
    chance: float

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "assignment": {str(k): v for k, v in self.assignment.items()},
                "per_code": {str(k): v for k, v in self.per_code.items()}}


def best_assignment(confusion: torch.Tensor) -> tuple[list[int], list[int]]:
    """Rows and columns of the one-to-one pairing with the largest total count."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(confusion.cpu().numpy(), maximize=True)
    return rows.tolist(), cols.tolist()


def match_from_confusion(confusion: torch.Tensor, classes: list[str]) -> CodeClassMatch:
    """The :class:`CodeClassMatch` of a code-by-class count table (rows: code values)."""
    k, c = confusion.shape
    rows, cols = best_assignment(confusion)
    totals = confusion.sum(1)
    return CodeClassMatch(
        accuracy=float(sum(confusion[r, col] for r, col in zip(rows, cols)) / confusion.sum()),
        assignment={r: classes[col] for r, col in zip(rows, cols)},
        per_code={r: float(confusion[r, col] / max(int(totals[r]), 1)) for r, col in zip(rows, cols)},
        confusion=confusion.tolist(),
        chance=min(k, c) / (k * c),
    )


@torch.no_grad()
def code_class_match(model: GanModel, judge: ClassJudge, per_code: int = SAMPLES_PER_CODE, seed: int = 0) -> CodeClassMatch:
    """Generate ``per_code`` samples for each categorical value, read them with ``judge`` and
    score the best one-to-one assignment of values to the judge's classes."""
    codes = model.codes
    if codes is None or not codes.categories:
        raise ConfigError(f"model {model.card.model!r} has no categorical latent code to match with classes")
    if model.generator is None:
        raise ConfigError("matching codes with classes needs generator weights")
    if per_code < 1:
        raise ConfigError(f"samples per code value must be at least 1, got {per_code}")
    device = model.device
    rng = torch.Generator(device=device).manual_seed(seed)
    counts = []
    for value in range(codes.categories):
        latent = codes.with_category(model.task.noise(per_code, device, rng), value)
        images = model.task.generate_eval(model.inference_generator(), latent, None).clamp_(-1, 1)
        counts.append(torch.bincount(judge.predict(images).cpu(), minlength=len(judge.classes)))
    return match_from_confusion(torch.stack(counts), judge.classes)
