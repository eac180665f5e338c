"""How good is a trained model? One report per task, always next to its floor.

- **noise and class models**: generated samples against the real training split in a feature
  space (:mod:`ganzoo.eval.feature_space`): Fréchet distance, KID (mean and std over subsets),
  precision/recall, density/coverage, the share of each class among the samples and, for class
  models, how often the class judge (:mod:`ganzoo.eval.classes`) reads the label that was asked
  for. The *floor* is the same numbers for the real held-out split against the real training
  split, measured the same way at the same sample size: no model can be expected to beat it.
- **paired and superres models**: PSNR, SSIM (and L1 for paired) on held-out pairs the run
  never trained on, beside the identity / bicubic baseline and, where the dataset names one, its
  classical method (:mod:`ganzoo.eval.classical`: nl-means for a denoiser; for super-resolution
  the bicubic baseline is the classical method).

Metric names, labels and which way is better: :mod:`ganzoo.eval.metric_names`.
:class:`SampleEvaluator` holds the real-side statistics, so the trainer can score its
generator every N steps without recomputing them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch

from ganzoo.core.model import GanModel
from ganzoo.core.model import load_model
from ganzoo.data.datasets import ImageDataset, as_float, load_dataset
from ganzoo.data.splits import subset
from ganzoo.errors import ConfigError
from ganzoo.eval import metric_names as names
from ganzoo.eval.classical import ClassicalBaseline, classical_for
from ganzoo.eval.code_classes import code_class_match
from ganzoo.eval.classes import ClassJudge, ClassTally, accuracy_per_label, conditional_accuracy
from ganzoo.eval.digits_features import held_out_part
from ganzoo.eval.translation import score_class_translation
from ganzoo.eval.whole_images import score_whole_images
from ganzoo.eval.feature_space import FEATURE_SPACES, FeatureExtractor, choose_features
from ganzoo.eval.inception import find_inception_weights
from ganzoo.eval.label_diversity import LabelDiversity, spread_per_label
from ganzoo.io import weights
from ganzoo.io.pretrained import resolve_weights
from ganzoo.io.run_folder import generator_file
from ganzoo.metrics import feature_distances as fm
from ganzoo.plugin.discovery import get_registry

__all__ = ["FEATURE_SPACES", "EvalReport", "SampleEvaluator", "choose_features", "evaluate"]

#: Real training images kept as the reference set (Inception on CPU is slow).
MOST_REFERENCE = 10_000

Generate = Callable[[int], "tuple[torch.Tensor, torch.Tensor | None]"]


@dataclass
class EvalReport:
    """Metrics of a model, the floor (or baseline) measured the same way, and per-class shares."""

    model: str
    task: str
    dataset: str
    features: str
    samples: int
    reference: int
    metrics: dict[str, float]
    floor: dict[str, float]
    floor_label: str
    classes: dict[str, Any] = field(default_factory=dict)
    step: int = 0
    #: Image-to-image models on whole photographs: each photograph's figures, the baseline's and
    #: the classical method's.
    per_image: dict[str, dict[str, float]] = field(default_factory=dict)
    #: The dataset's classical method when it names one, ``{"method": "nl-means", "settings": {...},
    #: "label": ...}`` (``metrics`` then hold its ``classical_*`` figures and, on whole photographs,
    #: the model's ``worst_margin_classical_*`` over it); empty: none.
    classical: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SampleEvaluator:
    """Scores noise/class generators against a dataset's real training split.

    A dataset with an official held-out split (``dataset.test``: Fashion-MNIST's and MNIST's
    10,000 test images, which no run trains on) is measured against it. Any other dataset is
    split once with :func:`~ganzoo.eval.digits_features.digits_split` (seed 0, a fifth held out;
    for the digits it is the split the digits network trained on, so its held-out images are
    new to it, and the class judge is checked on the same images).
    ``samples`` defaults to the held-out count, so the model's numbers and the floor come from
    equally many images.
    """

    def __init__(self, dataset: ImageDataset, dataset_name: str, *, features: str = "auto", device: torch.device,
                 samples: int | None = None, inception_weights: str | None = None, seed: int = 0,
                 judge: ClassJudge | None = None) -> None:
        self.space = choose_features(features, dataset_name)
        train_index, held_from, held_index = held_out_part(dataset)
        if len(train_index) > MOST_REFERENCE:
            train_index = train_index[torch.randperm(len(train_index), generator=torch.Generator().manual_seed(seed))[:MOST_REFERENCE]]
        held_index = held_index[:MOST_REFERENCE]
        train, held = subset(dataset, train_index), subset(held_from, held_index)
        self.classes = list(dataset.classes)
        self.samples = samples or len(held)
        if self.samples < 10:
            raise ConfigError(f"evaluation needs at least 10 samples, got {self.samples}")
        self.device = device
        self.extract = FeatureExtractor(self.space, device, inception_weights)
        if judge is None and dataset.labels is not None:  # a judge built for this data may be passed in
            judge = ClassJudge(dataset, dataset_name, device, seed)
        self.judge = judge
        self.reference = len(train)
        self.real, _ = self.extract(as_float(train.images))
        # How far apart two real training images of one label are: what per-label diversity divides by.
        self.real_spread = spread_per_label(self.real, train.labels, len(self.classes)) if train.labels is not None else {}
        held_images = as_float(held.images)
        held_predicted = self._predict(held_images)
        labels = held.labels.to(device) if held.labels is not None else None
        self.floor = self._compare(*self.extract(held_images), held_predicted, labels)
        self.floor_classes = self._shares(held_predicted)

    def _predict(self, images: torch.Tensor) -> torch.Tensor | None:
        return self.judge.predict(images) if self.judge is not None else None

    def _shares(self, predicted: torch.Tensor | None) -> dict[str, float]:
        return ClassTally.of(predicted, self.classes).shares() if predicted is not None else {}

    def _compare(self, feats: torch.Tensor, logits: torch.Tensor, predicted: torch.Tensor | None,
                 asked: torch.Tensor | None) -> dict[str, float]:
        fd_name, kid_name = names.FEATURE_DISTANCES[self.space]
        kid, kid_std = fm.kernel_distance(self.real, feats, subsets=100, subset_size=min(1000, len(feats)))
        precision, recall = fm.precision_recall(self.real, feats, k=3)
        density, coverage = fm.density_coverage(self.real, feats, k=5)
        out = {fd_name: fm.frechet_distance(self.real, feats), kid_name: kid, kid_name + names.STD_SUFFIX: kid_std,
               "precision": precision, "recall": recall, "density": density, "coverage": coverage}
        if self.space == "inception":
            out["is"], out["is" + names.STD_SUFFIX] = fm.inception_score(logits, splits=min(10, len(logits) // 2))
        if predicted is not None:
            tally = ClassTally.of(predicted, self.classes)
            out["classes_covered"] = float(tally.covered())
            out["class_share_min"] = tally.smallest_share()
            out["class_share_max"] = tally.largest_share()
            if asked is not None:
                out["cond_accuracy"] = conditional_accuracy(predicted, asked)
                diversity = LabelDiversity.of(feats, asked, self.real_spread)
                if diversity.ratios:
                    out["label_diversity"], out["label_diversity_min"] = diversity.mean, diversity.smallest
        return out

    def score(self, generate: Generate) -> tuple[dict[str, float], dict[str, Any]]:
        """Metrics of ``generate(n) -> (images in [-1, 1], labels asked for or None)``, and the
        per-class shares (plus per-label accuracy for class models)."""
        images, asked = generate(self.samples)
        feats, logits = self.extract(images)
        predicted = self._predict(images)
        asked = asked if predicted is not None else None
        metrics = self._compare(feats, logits, predicted, asked)
        classes: dict[str, Any] = {"shares": self._shares(predicted), "floor_shares": self.floor_classes}
        if asked is not None and predicted is not None:
            classes["accuracy_per_label"] = accuracy_per_label(predicted, asked, self.classes)
        return metrics, classes


def check_feature_network(features: str, dataset: str, image_to_image: bool, inception_weights: str | None = None) -> None:
    """Before any work: the Inception weights file that ``features`` means for ``dataset`` is
    there, else one line naming where to put it and the offline ``--features digits``."""
    if not image_to_image and choose_features(features, dataset) == "inception":
        find_inception_weights(inception_weights)


def evaluate(target: Any, *, dataset: str | None = None, samples: int | None = None, features: str = "auto",
             inception_weights: str | None = None, device: str = "auto", seed: int = 0,
             data_root: str | None = None, download: bool = False) -> EvalReport:
    """Evaluate a run folder, weights file, pretrained name (``"cgan.digits"``) or loaded model.

    ``dataset`` defaults to the one the weights were trained on; ``samples`` (noise/class) to
    the size of the real held-out split. ``seed`` draws the samples. The held-out pairs of an
    image-to-image model are those its run held out: the training seed in the metadata of the
    very file evaluated (a run folder's EMA generator when it kept one).
    """
    registry = get_registry()
    training: dict[str, Any] = {}
    if isinstance(target, GanModel):
        model = target
    else:
        path = resolve_weights(target, registry=registry)
        path = generator_file(path) if path.is_dir() else path
        model = load_model(registry, path, device)
        training = weights.read_metadata(path).get("training") or {}
    card = model.card
    name = dataset or card.dataset
    if not name:
        raise ConfigError(f"the weights of {card.model!r} name no dataset; pass --dataset")
    check_feature_network(features, name, model.is_image_to_image, inception_weights)
    data = load_dataset(registry, name, int(card.config["image_size"]), data_root, download, card.config)
    if model.is_image_to_image and data.domain_classes is not None and data.test is not None:
        return _evaluate_translation(model, data, name, features)
    if model.is_image_to_image:
        return _evaluate_pairs(model, data, name, int(training.get("seed", 0)), classical_for(registry.dataset(name)))
    if model.task.needs_labels and data.labels is None:
        raise ConfigError(f"model {card.model!r} is class-conditional; dataset {name!r} has no labels to check it against")
    evaluator = SampleEvaluator(data, name, features=features, device=model.device, samples=samples,
                                inception_weights=inception_weights, seed=seed)

    def generate(n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        labels = model.task.sample_labels(n, model.device)
        images = model.sample(n, seed=seed, labels=labels) if labels is not None else model.sample(n, seed=seed)
        return images, labels

    metrics, classes = evaluator.score(generate)
    floor = evaluator.floor
    if model.codes is not None and model.codes.categories and evaluator.judge is not None:
        # A categorical latent code learnt without labels (InfoGAN): does each value draw one class? Beside it, the
        # judge's accuracy on real held-out images, i.e. the same figure for the true labels.
        match = code_class_match(model, evaluator.judge, seed=seed)
        metrics["code_class_accuracy"] = match.accuracy
        floor = {**floor, "code_class_accuracy": evaluator.judge.accuracy}
        classes["codes"] = match.to_dict()
    return EvalReport(card.model, card.task, name, evaluator.space, evaluator.samples, evaluator.reference, metrics,
                      floor, "real held-out vs real train", classes, card.step)


@torch.no_grad()
def _evaluate_pairs(model: GanModel, data: ImageDataset, name: str, seed: int,
                    classical: ClassicalBaseline | None = None) -> EvalReport:
    """PSNR/SSIM(/L1) on the run's held-out pairs (its training seed picks them), beside the
    baseline and the dataset's ``classical`` method (``classical_*`` in the metrics); on whole
    held-out photographs when the dataset keeps them (photo demos); on the whole official test
    split when the dataset has one (``edges2fashion``: 10,000 pairs; a run's ``--eval-every``
    measures the first 64 of them)."""
    if data.whole:
        return _evaluate_whole(model, data, name, classical)
    _, held = (None, data.test) if data.test is not None else model.task.split(data, seed)
    if held is None:
        raise ConfigError(f"dataset {name!r} holds no known pairs to measure {model.card.model!r}'s translations against")
    inputs, targets = as_float(held.inputs, model.device), as_float(held.images, model.device)
    scores, baseline = model.task.held_out_scores(inputs, model.transform(inputs), targets)
    if classical is not None:
        scores.update({names.CLASSICAL_PREFIX + k: v for k, v in classical.scores(model.task, inputs, targets).items()})
    label = model.task.baseline_label
    return EvalReport(model.card.model, model.card.task, name, "", len(held), len(held), scores, baseline, label, {},
                      model.card.step, classical=_described(classical))


def _evaluate_translation(model: GanModel, data: ImageDataset, name: str, features: str) -> EvalReport:
    """An unpaired model between two classes of one dataset (``sneakers2boots``): each held-out
    test image translated to the other class and read by the class judge
    (:mod:`ganzoo.eval.translation`), beside the real test images of the target class."""
    result = score_class_translation(model, data, name, features)
    return EvalReport(model.card.model, model.card.task, name, result.space, result.samples, result.reference,
                      result.metrics, result.floor, "real test images of the target class", result.details, model.card.step)


def _evaluate_whole(model: GanModel, data: ImageDataset, name: str, classical: ClassicalBaseline | None = None) -> EvalReport:
    """Means over the whole held-out photographs, each photograph's figures, and the worst
    margin over the baseline on any one of them (the baseline's own margin is 0); with a
    ``classical`` method, its means (``classical_*``) and the model's worst margin over it
    (``worst_margin_classical_*``: model minus classical on the photograph where that is least)."""
    result = score_whole_images(model, data.whole, classical)
    margins = result.worst_margins({key: names.higher_is_better(key) for key in result.scores})
    over_baseline = {k: v for k, v in margins.items() if not k.startswith(names.MARGIN_PREFIX + names.CLASSICAL_PREFIX)}
    label = f"{model.task.baseline_label}, on {len(data.whole)} whole held-out photographs"
    metrics = {**result.scores, **{names.CLASSICAL_PREFIX + k: v for k, v in result.classical.items()}, **margins}
    return EvalReport(model.card.model, model.card.task, name, "", len(data.whole), len(data.whole), metrics,
                      {**result.baseline, **{k: 0.0 for k in over_baseline}}, label, {}, model.card.step,
                      result.per_image, _described(classical))


def _described(classical: ClassicalBaseline | None) -> dict[str, Any]:
    """What a report records of the classical method (empty: none)."""
    if classical is None:
        return {}
    return {"method": classical.method, "settings": dict(classical.settings), "label": classical.label}
