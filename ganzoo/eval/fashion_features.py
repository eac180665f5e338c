"""The Fashion-MNIST feature network: ganzoo's offline stand-in for InceptionV3 on clothing images.

The same small CNN as the digits network (:class:`~ganzoo.eval.digits_features.DigitsFeatureNet`),
trained by ``scripts/train_fashion_features.py`` on Fashion-MNIST's official training split
(60,000 images, at 32x32 as ``--dataset fashion-mnist`` gives every model) and checked on the
official test split (10,000), which no zoo entry trains on. Shipped as
``ganzoo/eval/assets/fashion-features.safetensors`` with its test accuracy in the metadata. Its
128-d feature layer gives FD-fashion / KID-fashion / precision / recall, its head the class
shares and conditional accuracy. Figures from it compare with each other, never with
Inception FID or the digits network's.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganzoo.eval.digits_features import DigitsFeatureNet, load_feature_net

ASSET = Path(__file__).parent / "assets" / "fashion-features.safetensors"
#: Datasets whose images the network understands (its head reads their 10 classes).
FASHION_DATASETS = ("fashion-mnist", "sneakers2boots")
#: Channel width of the shipped network (the digits network's 32 costs 1.8x the training time on a CPU).
WIDTH = 24
#: Batch norm after every convolution: without it (and with +-2 px shifts) 3,000 steps of 128
#: reached 88.2 % test accuracy; with it, 3,500 steps reached 92.3 %.
NORM = True
#: Augmentation while training: random mirroring (clothes are left-right symmetric), no shifts
#: (with +-1 px shifts as well: 92.2 %, one run each).
SHIFT = 0
FLIP = True


def reads_fashion(dataset: str | None) -> bool:
    """Whether ``dataset`` (a ``--dataset`` name) holds Fashion-MNIST images this network reads."""
    return dataset is not None and dataset.partition(":")[0] in FASHION_DATASETS


def load_fashion_features(device: torch.device | str = "cpu") -> DigitsFeatureNet:
    """The shipped network, in eval mode, leaving the global random stream alone."""
    return load_feature_net(ASSET, device)
