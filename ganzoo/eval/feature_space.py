"""The feature spaces samples and real images are compared in.

``digits`` is ganzoo's small digits network and ``fashion`` the same network trained on
Fashion-MNIST (both shipped, offline; FD-digits and FD-fashion are not comparable with Inception
FID or with each other); ``inception`` is pytorch-fid's InceptionV3 for standard FID and
Inception Score (it needs the user's weights file). ``auto`` picks the digits network for the
digits datasets, the Fashion-MNIST one for Fashion-MNIST and Inception otherwise.
"""

from __future__ import annotations

import torch

from ganzoo.errors import ConfigError
from ganzoo.eval.digits_features import load_digits_features, reads_digits
from ganzoo.eval.fashion_features import load_fashion_features, reads_fashion

FEATURE_SPACES = ("auto", "digits", "fashion", "inception")
#: The shipped networks, by feature space.
SHIPPED = {"digits": load_digits_features, "fashion": load_fashion_features}


def choose_features(features: str, dataset: str) -> str:
    """The space ``features`` (``auto``, ``digits``, ``fashion``, ``inception``) means for ``dataset``."""
    if features not in FEATURE_SPACES:
        raise ConfigError(f"unknown feature space {features!r}; choose one of {', '.join(FEATURE_SPACES)}")
    if features == "auto":
        return "digits" if reads_digits(dataset) else "fashion" if reads_fashion(dataset) else "inception"
    return features


class FeatureExtractor:
    """``extract(images)`` -> (features, class logits) of float images in [-1, 1], a batch at a time."""

    def __init__(self, space: str, device: torch.device, inception_weights: str | None = None) -> None:
        self.space, self.device = space, device
        if space in SHIPPED:
            self._extract = SHIPPED[space](device)
            self.batch = 500
        else:
            from ganzoo.eval.inception import load_inception

            inception = load_inception(inception_weights, device)

            def extract(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                features = inception(images)[0]
                return features, inception.unbiased_logits(features)

            self._extract = extract
            self.batch = 50

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, logits = [], []
        for i in range(0, len(images), self.batch):
            f, l = self._extract(images[i : i + self.batch].to(self.device))
            features.append(f.float())
            logits.append(l.float())
        return torch.cat(features), torch.cat(logits)
