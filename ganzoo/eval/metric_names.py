"""Every quality metric ganzoo reports, by name: how it reads and which way is better.

Evaluation writes these names, the trainer picks ``generator.best.safetensors`` by them and
the CLI prints them; listing them once keeps the three in step when a metric is added.
"""

from __future__ import annotations

from typing import NamedTuple


class Metric(NamedTuple):  # a NamedTuple, not a dataclass: cheaper at CLI start-up
    name: str
    label: str  # how a table shows it
    higher_is_better: bool


#: In the order a table lists them.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("fd_digits", "FD-digits", False),
    Metric("kid_digits", "KID-digits", False),
    Metric("fd_fashion", "FD-fashion", False),
    Metric("kid_fashion", "KID-fashion", False),
    Metric("fid", "FID (Inception)", False),
    Metric("kid", "KID (Inception)", False),
    Metric("is", "Inception score", True),
    Metric("precision", "precision (k=3)", True),
    Metric("recall", "recall (k=3)", True),
    Metric("density", "density (k=5)", True),
    Metric("coverage", "coverage (k=5)", True),
    Metric("classes_covered", "classes covered", True),
    Metric("class_share_min", "smallest class share", True),
    Metric("class_share_max", "largest class share", False),
    Metric("cond_accuracy", "conditional accuracy", True),
    Metric("label_diversity", "per-label diversity", True),
    Metric("label_diversity_min", "least diverse label", True),
    Metric("code_class_accuracy", "code-class match (best 1:1)", True),
    # unpaired translation between two classes (sneakers2boots): read by the class judge
    Metric("translation_accuracy", "A to B: read as B", True),
    Metric("translation_accuracy_ba", "B to A: read as A", True),
    Metric("cycle_l1", "cycle L1 (A-B-A, B-A-B)", False),
    Metric("psnr", "PSNR (dB)", True),
    Metric("ssim", "SSIM", True),
    Metric("l1", "L1", False),
    # whole held-out photographs: the model's least advantage over the baseline on any one of them
    Metric("worst_margin_psnr", "worst photograph: PSNR over baseline (dB)", True),
    Metric("worst_margin_ssim", "worst photograph: SSIM over baseline", True),
    Metric("worst_margin_l1", "worst photograph: L1 below baseline", True),
    # the dataset's classical method (nl-means for a denoiser) on the same held-out inputs
    Metric("classical_psnr", "PSNR of the classical method (dB)", True),
    Metric("classical_ssim", "SSIM of the classical method", True),
    Metric("classical_l1", "L1 of the classical method", False),
    # whole held-out photographs: the model's least advantage over the classical method on any one of them
    Metric("worst_margin_classical_psnr", "worst photograph: PSNR over the classical method (dB)", True),
    Metric("worst_margin_classical_ssim", "worst photograph: SSIM over the classical method", True),
    Metric("worst_margin_classical_l1", "worst photograph: L1 below the classical method", True),
)}

#: (Fréchet distance, kernel distance) names of each feature space.
FEATURE_DISTANCES = {"digits": ("fd_digits", "kid_digits"), "fashion": ("fd_fashion", "kid_fashion"),
                     "inception": ("fid", "kid")}
#: ``<name>_std``: the spread of a metric measured over subsets (KID, Inception score).
STD_SUFFIX = "_std"
#: ``baseline_<name>``: the task's baseline (identity, bicubic) on the same held-out pairs.
BASELINE_PREFIX = "baseline_"
#: ``classical_<name>``: the dataset's classical method (:mod:`ganzoo.eval.classical`) on the same inputs.
CLASSICAL_PREFIX = "classical_"
#: ``worst_margin_<name>``: on whole photographs, the model's least advantage on any one of them.
MARGIN_PREFIX = "worst_margin_"

#: What "best" means for ``--eval-every``: the first of these that an evaluation gives.
BEST_BY = ("fd_digits", "fd_fashion", "fid", "psnr")
#: The few numbers a one-line summary shows, in this order: samples against real data ...
HEADLINE_FEATURES = ("fd_digits", "fd_fashion", "fid", "kid_digits", "kid_fashion", "kid", "precision", "recall", "cond_accuracy", "label_diversity")
#: ... and held-out pairs of image-to-image models.
HEADLINE_PAIRS = ("psnr", "ssim", "l1")
HEADLINE = HEADLINE_FEATURES + HEADLINE_PAIRS


def label(name: str) -> str:
    """How a table shows ``name`` (unknown names, say from a plugin, as themselves)."""
    return METRICS[name].label if name in METRICS else name


def higher_is_better(name: str) -> bool:
    """Which way ``name`` improves (unknown names: higher, like most scores)."""
    return METRICS[name].higher_is_better if name in METRICS else True


def best_by(scores: dict[str, float]) -> str | None:
    """The metric that decides whether ``scores`` beat an earlier evaluation (None: none can)."""
    return next((name for name in BEST_BY if name in scores), None)


def is_better(name: str, new: float, old: float | None) -> bool:
    """Whether ``new`` strictly improves on ``old`` (None: nothing yet) for metric ``name``."""
    if old is None:
        return True
    return new > old if higher_is_better(name) else new < old


def headline(scores: dict[str, float], names: tuple[str, ...] = HEADLINE) -> str:
    """``"fd_digits 12.3, kid_digits 0.0123, ..."``: the ``names`` that ``scores`` has, in order."""
    return ", ".join(f"{name} {scores[name]:.4g}" for name in names if name in scores)
