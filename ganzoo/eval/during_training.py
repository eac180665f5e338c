"""Quality measured while a run trains: ``--eval-every`` and ``--class-report-every``.

The trainer hands over one function, ``generate(z, condition) -> images`` (its generator, or
the EMA one, in eval mode), and gets back plain numbers. Everything drawn here comes from its
own random generator (seeded by the run's seed and the step), so a run's weights are the same
with or without these reports.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ganzoo.core.tasks import TaskAdapter
from ganzoo.data import ImageDataset, as_float
from ganzoo.errors import ConfigError
from ganzoo.eval.class_report import ClassReport
from ganzoo.eval.classes import ClassJudge
from ganzoo.eval.evaluation import SampleEvaluator

#: ``generate(z, condition) -> images in [-1, 1]`` with the generator in eval mode.
Generate = Callable[[Any, Any], torch.Tensor]


def fresh_samples(task: TaskAdapter, generate: Generate, device: torch.device, seed: int) -> Callable[[int], tuple[torch.Tensor, Any]]:
    """``draw(n) -> (images, labels asked for)`` with noise from a generator of its own."""
    rng = torch.Generator().manual_seed(seed)

    def draw(n: int) -> tuple[torch.Tensor, Any]:
        z = task.noise(n, torch.device("cpu"), rng).to(device)
        labels = task.sample_labels(n, device)
        return generate(z, labels), labels

    return draw


def _stream_seed(run_seed: int, step: int, offset: int) -> int:
    return run_seed * 1_000_003 + step + offset


class HeldOutPairs:
    """Image-to-image runs: PSNR/SSIM(/L1) on the pairs the run holds out, beside the task's
    baseline (identity, bicubic). A few forward passes: cheap enough for every sample grid."""

    def __init__(self, task: TaskAdapter, held_out: ImageDataset, device: torch.device) -> None:
        self.task = task
        self.inputs, self.targets = as_float(held_out.inputs, device), as_float(held_out.images, device)

    def score(self, generate: Generate, step: int) -> dict[str, float]:
        outputs = generate(None, self.inputs)
        scores, baseline = self.task.held_out_scores(self.inputs, outputs, self.targets)
        return {**scores, **{f"baseline_{k}": v for k, v in baseline.items()}}


class SamplesVersusReal:
    """Noise and class runs: ``ganzoo eval``'s metrics of fresh samples against the real data."""

    def __init__(self, task: TaskAdapter, dataset: ImageDataset, dataset_name: str, device: torch.device, seed: int,
                 judge: ClassJudge | None = None) -> None:
        self.task, self.device, self.seed = task, device, seed
        with torch.random.fork_rng(devices=[]):  # real-side statistics once; training's random stream untouched
            self.evaluator = SampleEvaluator(dataset, dataset_name, device=device, seed=seed, judge=judge)

    def score(self, generate: Generate, step: int) -> dict[str, float]:
        draw = fresh_samples(self.task, generate, self.device, _stream_seed(self.seed, step, 1))
        return self.evaluator.score(draw)[0]


def evaluator_for_run(task: TaskAdapter, dataset: ImageDataset, held_out: ImageDataset | None, dataset_name: str,
                      device: torch.device, seed: int, wanted: bool,
                      judge: ClassJudge | None = None) -> HeldOutPairs | SamplesVersusReal | None:
    """What a run measures: its held-out pairs always (cheap), fresh samples when ``wanted``
    (with the class report's ``judge`` when the run has one: one classifier per run, not two)."""
    if held_out is not None:
        return HeldOutPairs(task, held_out, device)
    if task.image_to_image:  # image-to-image data without known pairs (unpaired:PATH): nothing to measure against
        if wanted:
            raise ConfigError(f"--eval-every measures translations against known pairs, and dataset {dataset_name!r} "
                              "has none; leave it out (or train on a dataset that holds out pairs)")
        return None
    return SamplesVersusReal(task, dataset, dataset_name, device, seed, judge) if wanted else None


class ClassCoverage:
    """``--class-report-every``: how fresh samples spread over the real classes."""

    def __init__(self, task: TaskAdapter, dataset: ImageDataset, dataset_name: str, device: torch.device, seed: int,
                 samples: int) -> None:
        if dataset.labels is None:
            raise ConfigError(f"--class-report-every needs a labelled dataset; {dataset_name!r} has no labels")
        self.task, self.device, self.seed = task, device, seed
        self.report = ClassReport(dataset, device, seed, samples, dataset_name=dataset_name)

    @property
    def judge(self) -> ClassJudge:
        return self.report.judge

    def __call__(self, generate: Generate, step: int) -> dict[str, Any]:
        return self.report(fresh_samples(self.task, generate, self.device, _stream_seed(self.seed, step, 0)))
