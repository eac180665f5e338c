"""Image-to-image models measured on whole held-out photographs, one photograph at a time.

Crops say how a model does on pieces of the size it trained at; a user hands it a whole
photograph. A dataset cut from photographs keeps its held-out ones whole
(:class:`~ganzoo.data.WholeImage`); here each goes through ``model.transform`` at its own
size (tiled where the model needs it), and is scored beside the task's baseline (bicubic for
super-resolution, the input itself for translation). The report gives the mean over
photographs and, per photograph, the model's and the baseline's figures, so "better than
bicubic on every photograph" can be read off, not only "better on average".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganzoo.data import WholeImage, as_float

#: The per-photograph margin kept in the report: the model's score minus the baseline's.
MARGIN_PREFIX = "worst_margin_"


@dataclass
class WholeImageScores:
    """Means over photographs (model, baseline), and every photograph's own pair of figures."""

    scores: dict[str, float]
    baseline: dict[str, float]
    per_image: dict[str, dict[str, float]]

    def worst_margins(self, better_higher: dict[str, bool]) -> dict[str, float]:
        """For each metric, the smallest advantage of the model over the baseline on any one
        photograph (positive: better on every one), signed so that larger is better."""
        out = {}
        for key, higher in better_higher.items():
            margins = [(p[key] - p[f"baseline_{key}"]) * (1 if higher else -1) for p in self.per_image.values() if key in p]
            if margins:
                out[MARGIN_PREFIX + key] = min(margins)
        return out


@torch.no_grad()
def score_whole_images(model, images: list[WholeImage]) -> WholeImageScores:
    """Each photograph through ``model.transform`` whole, scored against its target beside the
    task's baseline; means over photographs."""
    per_image: dict[str, dict[str, float]] = {}
    for item in images:
        inputs = as_float(item.input[None], model.device)
        targets = as_float(item.target[None], model.device)
        outputs = model.transform(inputs)
        scores, baseline = model.task.held_out_scores(inputs, outputs, targets)
        per_image[item.name] = {**scores, **{f"baseline_{k}": v for k, v in baseline.items()}}
    keys = [k for k in next(iter(per_image.values())) if not k.startswith("baseline_")] if per_image else []
    mean = lambda key: sum(p[key] for p in per_image.values()) / len(per_image)  # noqa: E731
    return WholeImageScores({k: mean(k) for k in keys}, {k: mean(f"baseline_{k}") for k in keys}, per_image)
