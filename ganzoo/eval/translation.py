"""Unpaired translation between two classes of one dataset (``sneakers2boots``), read by that
dataset's class judge.

No true pairs exist (a sneaker has no "right" ankle boot), so PSNR against a target means
nothing here. A translation is judged instead by what it became and what it kept:

- **read as the target class**: the share of translated test images that the shipped network
  (:mod:`ganzoo.eval.fashion_features` for Fashion-MNIST) reads as the other domain's class,
  both ways. Its floor is the network's own reading of the real test images of that class: no
  translation can be read as an ankle boot more reliably than real ankle boots are.
- **distance to the target class in feature space**: FD, precision and recall of the A -> B
  translations against the real training images of B, beside the same figures for the real
  test images of B.
- **cycle L1**: ``|G_BA(G_AB(a)) - a|`` (and the other way), on the [-1, 1] scale: what the
  translation kept of its input (0 would be a perfect round trip).

Beside them the untranslated test images read as the target class: the do-nothing baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganzoo.data.image_dataset import ImageDataset
from ganzoo.data.datasets import as_float
from ganzoo.errors import ConfigError
from ganzoo.eval import metric_names as names
from ganzoo.eval.feature_space import SHIPPED, FeatureExtractor, choose_features
from ganzoo.metrics import feature_distances as fm

#: Real training images of the target class kept as the reference set.
MOST_REFERENCE = 10_000
#: Images through the generator at once.
BATCH = 250


@dataclass
class TranslationScores:
    metrics: dict[str, float]
    floor: dict[str, float]
    #: The do-nothing baseline and the two domains' class names.
    details: dict[str, object]
    samples: int
    reference: int
    space: str


@torch.no_grad()
def score_class_translation(model, data: ImageDataset, dataset_name: str, features: str = "auto") -> TranslationScores:
    """The figures above for an unpaired ``model`` on ``data`` (with ``domain_classes`` and a
    ``test`` split)."""
    assert data.domain_classes is not None and data.test is not None, "a class pair with a test split"
    space = choose_features(features, dataset_name)
    if space not in SHIPPED:
        raise ConfigError(f"translations between the classes of {dataset_name!r} are read by a shipped network; "
                          f"use --features auto or one of {', '.join(SHIPPED)}")
    extract = FeatureExtractor(space, model.device)
    fd_name, _ = names.FEATURE_DISTANCES[space]
    (name_a, class_a), (name_b, class_b) = data.domain_classes
    test_a, test_b = as_float(data.test.inputs, model.device), as_float(data.test.images, model.device)

    def translate(images: torch.Tensor, direction: str) -> torch.Tensor:
        return torch.cat([model.transform(images[i : i + BATCH], direction=direction) for i in range(0, len(images), BATCH)])

    def read_as(images: torch.Tensor, index: int) -> tuple[torch.Tensor, float]:
        feats, logits = extract(images)
        return feats, float((logits.argmax(1) == index).float().mean())

    reference, _ = extract(as_float(data.images[:MOST_REFERENCE], model.device))
    to_b, to_a = translate(test_a, "AtoB"), translate(test_b, "BtoA")
    feats_to_b, read_b = read_as(to_b, class_b)
    _, read_a = read_as(to_a, class_a)
    feats_real_b, real_read_b = read_as(test_b, class_b)
    _, real_read_a = read_as(test_a, class_a)
    _, untranslated_b = read_as(test_a, class_b)
    _, untranslated_a = read_as(test_b, class_a)
    cycle = 0.5 * (float((translate(to_b, "BtoA") - test_a).abs().mean()) + float((translate(to_a, "AtoB") - test_b).abs().mean()))

    def closeness(feats: torch.Tensor) -> dict[str, float]:
        precision, recall = fm.precision_recall(reference, feats, k=3)
        return {fd_name: fm.frechet_distance(reference, feats), "precision": precision, "recall": recall}

    metrics = {"translation_accuracy": read_b, "translation_accuracy_ba": read_a, **closeness(feats_to_b), "cycle_l1": cycle}
    floor = {"translation_accuracy": real_read_b, "translation_accuracy_ba": real_read_a, **closeness(feats_real_b)}
    details = {"domain_a": name_a, "domain_b": name_b,
               "untranslated_read_as_target": {"translation_accuracy": untranslated_b, "translation_accuracy_ba": untranslated_a}}
    return TranslationScores(metrics, floor, details, len(test_a), len(reference), space)
