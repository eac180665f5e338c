"""Metric math on tensors, no I/O: image quality (PSNR, SSIM) and feature-space distances (FD, KID, precision/recall)."""

from ganzoo.metrics.feature_distances import (
    density_coverage,
    feature_stats,
    frechet_distance,
    frechet_distance_from_stats,
    inception_score,
    kernel_distance,
    precision_recall,
)
from ganzoo.metrics.image_quality import gaussian_window, image_scores, psnr, rgb_to_y, sr_scores, ssim

__all__ = [
    "density_coverage", "feature_stats", "frechet_distance", "frechet_distance_from_stats", "inception_score",
    "kernel_distance", "precision_recall", "gaussian_window", "image_scores", "psnr", "rgb_to_y", "sr_scores", "ssim",
]
