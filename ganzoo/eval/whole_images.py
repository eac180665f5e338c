"""Image-to-image models measured on whole held-out photographs, one photograph at a time.

Crops say how a model does on pieces of the size it trained at; a user hands it a whole
photograph. A dataset cut from photographs keeps its held-out ones whole
(:class:`~ganzoo.data.WholeImage`); here each goes through ``model.transform`` at its own
size (tiled where the model needs it), and is scored beside the task's baseline (bicubic for
super-resolution, the input itself for translation) and, where the dataset names one, its
classical method (:mod:`ganzoo.eval.classical`: nl-means for a denoiser). The report gives the
mean over photographs and, per photograph, the model's, the baseline's and the classical
method's figures, so "better than bicubic (or nl-means) on every photograph" can be read off,
not only "better on average".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ganzoo.data import WholeImage, as_float
from ganzoo.eval.classical import ClassicalBaseline
from ganzoo.eval.metric_names import BASELINE_PREFIX, CLASSICAL_PREFIX, MARGIN_PREFIX


@dataclass
class WholeImageScores:
    """Means over photographs (model, baseline, classical method when there is one), and every
    photograph's own figures (``psnr``, ``baseline_psnr``, ``classical_psnr``, ...)."""

    scores: dict[str, float]
    baseline: dict[str, float]
    per_image: dict[str, dict[str, float]]
    #: The classical method's means (empty: the dataset names none).
    classical: dict[str, float] = field(default_factory=dict)

    def worst_margins(self, better_higher: dict[str, bool]) -> dict[str, float]:
        """For each metric, the smallest advantage of the model over the baseline on any one
        photograph (positive: better on every one), signed so that larger is better; and the
        same over the classical method (``worst_margin_classical_<metric>``) when it ran."""
        out = {}
        for prefix, kept in ((BASELINE_PREFIX, ""), (CLASSICAL_PREFIX, CLASSICAL_PREFIX)):
            for key, higher in better_higher.items():
                margins = [(p[key] - p[prefix + key]) * (1 if higher else -1) for p in self.per_image.values()
                           if key in p and prefix + key in p]
                if margins:
                    out[MARGIN_PREFIX + kept + key] = min(margins)
        return out


@torch.no_grad()
def score_whole_images(model, images: list[WholeImage], classical: ClassicalBaseline | None = None) -> WholeImageScores:
    """Each photograph through ``model.transform`` whole, scored against its target beside the
    task's baseline (and the ``classical`` method's output, when given); means over photographs."""
    per_image: dict[str, dict[str, float]] = {}
    for item in images:
        inputs = as_float(item.input[None], model.device)
        targets = as_float(item.target[None], model.device)
        outputs = model.transform(inputs)
        scores, baseline = model.task.held_out_scores(inputs, outputs, targets)
        figures = {**scores, **{BASELINE_PREFIX + k: v for k, v in baseline.items()}}
        if classical is not None:
            figures.update({CLASSICAL_PREFIX + k: v for k, v in classical.scores(model.task, inputs, targets).items()})
        per_image[item.name] = figures
    keys = [k for k in next(iter(per_image.values())) if not k.startswith((BASELINE_PREFIX, CLASSICAL_PREFIX))] if per_image else []
    mean = lambda key: sum(p[key] for p in per_image.values()) / len(per_image)  # noqa: E731
    return WholeImageScores({k: mean(k) for k in keys}, {k: mean(BASELINE_PREFIX + k) for k in keys}, per_image,
                            {k: mean(CLASSICAL_PREFIX + k) for k in keys} if classical is not None else {})
