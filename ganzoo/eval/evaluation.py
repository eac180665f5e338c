"""How good is a trained model? One report per task, always next to its floor.

- **noise and class models**: generated samples against the real training split in a feature
  space: Fréchet distance, KID (mean and std over subsets), precision/recall, density/coverage,
  the share of each class among the samples and, for class models, how often a classifier
  reads the label that was asked for. The *floor* is the same numbers for the real held-out
  split against the real training split, measured the same way at the same sample size: no
  model can be expected to beat it.
- **paired and superres models**: PSNR, SSIM (and L1 for paired) on held-out pairs the run
  never trained on, beside the identity / bicubic baseline.

Feature spaces: ``digits`` (ganzoo's small digits network, shipped, offline; FD-digits is not
comparable with Inception FID) and ``inception`` (pytorch-fid's InceptionV3 for standard FID
and Inception Score; needs the user's weights file). ``auto`` picks digits for the digits
datasets and Inception otherwise.

:class:`SampleEvaluator` holds the real-side statistics, so the trainer can score its
generator every N steps without recomputing them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch

from ganzoo.metrics import feature_distances as fm
from ganzoo.data.datasets import ImageDataset, as_float, load_dataset, split_holdout
from ganzoo.eval.digits_features import digits_split
from ganzoo.errors import ConfigError

#: Datasets whose images the digits feature network understands.
DIGIT_DATASETS = ("digits", "mnist")
FEATURE_SPACES = ("auto", "digits", "inception")
#: Real training images kept as the reference set (Inception on CPU is slow).
MOST_REFERENCE = 10_000
#: A class counts as covered when its share of the samples is at least this fraction of uniform.
COVERED_FRACTION = 0.2

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def choose_features(features: str, dataset: str) -> str:
    if features not in FEATURE_SPACES:
        raise ConfigError(f"unknown feature space {features!r}; choose one of {', '.join(FEATURE_SPACES)}")
    if features == "auto":
        return "digits" if dataset.partition(":")[0] in DIGIT_DATASETS else "inception"
    return features


class _Judge:
    """A feature extractor plus a classifier over the real classes (when the data has labels)."""

    def __init__(self, space: str, train: ImageDataset, device: torch.device, inception_weights: str | None, seed: int) -> None:
        self.space, self.device = space, device
        self.classify: Callable[[torch.Tensor], torch.Tensor] | None = None
        self.judge_accuracy: float | None = None
        if space == "digits":
            from ganzoo.eval.digits_features import load_digits_features

            net = load_digits_features(device)
            self.extract = lambda x: net(x)
            self.batch = 500
            if train.classes and len(train.classes) == 10:
                self.classify = lambda x: net(x)[1].argmax(1)
        else:
            from ganzoo.eval.inception import load_inception

            inception = load_inception(inception_weights, device)
            self.extract = lambda x: (lambda f: (f, inception.unbiased_logits(f)))(inception(x)[0])
            self.batch = 50
        if self.classify is None and train.labels is not None and train.classes:
            from ganzoo.eval.classifier import train_classifier

            trained = train_classifier(train.images, train.labels, len(train.classes), device, seed)
            self.classify = trained.predict

    @torch.no_grad()
    def features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(features, logits, predicted classes) of float images in [-1, 1], a batch at a time."""
        feats, logits, preds = [], [], []
        for i in range(0, len(images), self.batch):
            chunk = images[i : i + self.batch].to(self.device)
            f, l = self.extract(chunk)
            feats.append(f.float())
            logits.append(l.float())
            if self.classify is not None:
                preds.append(self.classify(chunk))
        return torch.cat(feats), torch.cat(logits), torch.cat(preds) if preds else None


class SampleEvaluator:
    """Scores noise/class generators against a dataset's real training split.

    The dataset is split once with :func:`ganzoo.digits_features.digits_split` (seed 0, a fifth
    held out; for the digits it is the split the digits network trained on, so its held-out
    images are new to it). ``samples`` defaults to the held-out count, so the model's numbers
    and the floor come from equally many images.
    """

    def __init__(self, dataset: ImageDataset, dataset_name: str, *, features: str = "auto", device: torch.device,
                 samples: int | None = None, inception_weights: str | None = None, seed: int = 0) -> None:
        self.space = choose_features(features, dataset_name)
        train_index, held_index = digits_split(len(dataset))
        if len(train_index) > MOST_REFERENCE:
            train_index = train_index[torch.randperm(len(train_index), generator=torch.Generator().manual_seed(seed))[:MOST_REFERENCE]]
        held_index = held_index[:MOST_REFERENCE]
        take = lambda index: ImageDataset(dataset.images[index], None if dataset.labels is None else dataset.labels[index], dataset.classes)  # noqa: E731
        train, held = take(train_index), take(held_index)
        self.classes = list(dataset.classes)
        self.samples = samples or len(held)
        if self.samples < 10:
            raise ConfigError(f"evaluation needs at least 10 samples, got {self.samples}")
        self.device = device
        self.judge = _Judge(self.space, train, device, inception_weights, seed)
        self.reference = len(train)
        self.real, _, _ = self.judge.features(as_float(train.images))
        held_features, held_logits, held_pred = self.judge.features(as_float(held.images))
        labels = held.labels.to(device) if held.labels is not None else None
        self.floor = self._compare(held_features, held_logits, held_pred, labels)
        self.floor_classes = self._class_shares(held_pred)

    @property
    def prefix(self) -> str:
        return "digits" if self.space == "digits" else "inception"

    def _compare(self, feats: torch.Tensor, logits: torch.Tensor, predicted: torch.Tensor | None,
                 asked: torch.Tensor | None) -> dict[str, float]:
        fd_name, kid_name = ("fd_digits", "kid_digits") if self.space == "digits" else ("fid", "kid")
        kid, kid_std = fm.kernel_distance(self.real, feats, subsets=100, subset_size=min(1000, len(feats)))
        precision, recall = fm.precision_recall(self.real, feats, k=3)
        density, coverage = fm.density_coverage(self.real, feats, k=5)
        out = {fd_name: fm.frechet_distance(self.real, feats), kid_name: kid, f"{kid_name}_std": kid_std,
               "precision": precision, "recall": recall, "density": density, "coverage": coverage}
        if self.space == "inception":
            out["is"], out["is_std"] = fm.inception_score(logits, splits=min(10, len(logits) // 2))
        if predicted is not None:
            shares = self._class_shares(predicted)
            k = len(shares)
            out["classes_covered"] = float(sum(s >= COVERED_FRACTION / k for s in shares.values()))
            out["class_share_min"] = min(shares.values())
            if asked is not None:
                out["cond_accuracy"] = (predicted == asked).float().mean().item()
        return out

    def _class_shares(self, predicted: torch.Tensor | None) -> dict[str, float]:
        if predicted is None or not self.classes:
            return {}
        counts = torch.bincount(predicted.cpu(), minlength=len(self.classes)).tolist()
        return {name: count / len(predicted) for name, count in zip(self.classes, counts)}

    def score(self, generate: Generate) -> tuple[dict[str, float], dict[str, Any]]:
        """Metrics of ``generate(n) -> (images in [-1, 1], labels asked for or None)``, and the
        per-class shares (plus per-label accuracy for class models)."""
        images, asked = generate(self.samples)
        feats, logits, predicted = self.judge.features(images)
        metrics = self._compare(feats, logits, predicted, asked if asked is not None and predicted is not None else None)
        classes: dict[str, Any] = {"shares": self._class_shares(predicted), "floor_shares": self.floor_classes}
        if asked is not None and predicted is not None:
            classes["accuracy_per_label"] = {
                name: (predicted[asked == i] == i).float().mean().item() for i, name in enumerate(self.classes) if (asked == i).any()
            }
        return metrics, classes


def evaluate(target: Any, *, dataset: str | None = None, samples: int | None = None, features: str = "auto",
             inception_weights: str | None = None, device: str = "auto", seed: int = 0,
             data_root: str | None = None, download: bool = False) -> EvalReport:
    """Evaluate a run folder, weights file, pretrained name (``"cgan.digits"``) or loaded model.

    ``dataset`` defaults to the one the weights were trained on; ``samples`` (noise/class) to
    the size of the real held-out split. ``seed`` draws the samples.
    """
    from ganzoo.api import load
    from ganzoo.core.model import GanModel
    from ganzoo.plugin.discovery import get_registry

    training: dict[str, Any] = {}
    if isinstance(target, GanModel):
        model = target
    else:
        from ganzoo.io import weights
        from ganzoo.io.pretrained import resolve_weights

        path = resolve_weights(target)
        model = load(path, device=device)
        training = weights.read_metadata(path if path.is_file() else path / "generator.safetensors").get("training") or {}
    card = model.card
    name = dataset or card.dataset
    if not name:
        raise ConfigError(f"the weights of {card.model!r} name no dataset; pass --dataset")
    registry = get_registry()
    data = load_dataset(registry, name, int(card.config["image_size"]), data_root, download, card.config)
    if model.is_image_to_image:
        return _evaluate_pairs(model, data, name, int(training.get("seed", 0)))
    if model.task.needs_labels and data.labels is None:
        raise ConfigError(f"model {card.model!r} is class-conditional; dataset {name!r} has no labels to check it against")
    evaluator = SampleEvaluator(data, name, features=features, device=model.device, samples=samples,
                                inception_weights=inception_weights, seed=seed)

    def generate(n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        labels = model.task.sample_labels(n, model.device)
        images = model.sample(n, seed=seed, labels=labels) if labels is not None else model.sample(n, seed=seed)
        return images, labels

    metrics, classes = evaluator.score(generate)
    return EvalReport(card.model, card.task, name, evaluator.space, evaluator.samples, evaluator.reference, metrics,
                      evaluator.floor, "real held-out vs real train", classes, card.step)


@torch.no_grad()
def _evaluate_pairs(model: Any, data: ImageDataset, name: str, seed: int) -> EvalReport:
    """PSNR/SSIM(/L1) on the run's held-out pairs (its training seed picks them), beside the baseline."""
    _, held = split_holdout(data, seed)
    inputs, targets = as_float(held.inputs, model.device), as_float(held.images, model.device)
    scores, baseline = model.task.held_out_scores(inputs, model.transform(inputs), targets)
    label = model.task.baseline_label
    return EvalReport(model.card.model, model.card.task, name, "", len(held), len(held), scores, baseline, label, {}, model.card.step)
