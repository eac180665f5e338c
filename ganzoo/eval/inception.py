"""The InceptionV3 that FID, KID and IS numbers in papers are computed with.

FID is only comparable across papers when the features come from the same network: the
TensorFlow graph ``inception-2015-12-05`` of the original FID and IS code. pytorch-fid ported
its weights to PyTorch (``pt_inception-2015-12-05-6726825d.pth``, 1008 output classes) and
runs them in a torchvision Inception3 whose blocks are patched to match the graph:

- the pooling branch of the A, C and first E blocks (Mixed_5b-d, 6b-e, 7b) averages 3x3
  windows *without* the zero padding (``count_include_pad=False``), as TensorFlow does;
- the last E block (Mixed_7c) max-pools there instead of averaging (a quirk of that graph).

:class:`FIDInceptionV3` is that network, built from torchvision's blocks with the same
parameter names, so the pytorch-fid file loads into it unchanged. Its input convention is
ganzoo's: images in [-1, 1] (the range the graph expects), resized to 299 x 299 bilinearly
(``align_corners=False``, no antialiasing) exactly as pytorch-fid does.

Weights are never downloaded: :func:`find_inception_weights` looks in ganzoo's cache and in
torch's hub cache (where pytorch-fid keeps the file), and says where to get it otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.inception import BasicConv2d, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE

from ganzoo.errors import DataError, WeightsError
from ganzoo.io.home import ganzoo_home

__all__ = [
    "FID_WEIGHTS_FILE",
    "FID_WEIGHTS_URL",
    "FIDInceptionV3",
    "find_inception_weights",
    "load_inception",
]

FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
FID_WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
#: The input size of the network; other sizes are resized to it.
INPUT_SIZE = 299
FEATURE_DIM = 2048
NUM_CLASSES = 1008


def _avg_pool_no_pad(x: Tensor) -> Tensor:
    """TensorFlow's 3x3/1 'SAME' average pooling: border windows average their real pixels only."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _FIDInceptionA(InceptionA):
    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_no_pad(x)),
        ], 1)


class _FIDInceptionC(InceptionC):
    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d7 = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            d7 = layer(d7)
        return torch.cat([self.branch1x1(x), b7, d7, self.branch_pool(_avg_pool_no_pad(x))], 1)


class _FIDInceptionE(InceptionE):
    """Both E blocks; ``max_pool`` selects the pooling of the pool branch (True for Mixed_7c)."""

    def __init__(self, in_channels: int, max_pool: bool) -> None:
        super().__init__(in_channels)
        self.max_pool = max_pool

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d3 = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d3 = torch.cat([self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg_pool_no_pad(x)
        return torch.cat([self.branch1x1(x), b3, d3, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """InceptionV3 as pytorch-fid runs it for FID (random weights until loaded).

    ``forward(images)`` takes ``(N, 1 or 3, H, W)`` images in [-1, 1] (1 channel is repeated to
    3; other sizes are resized to 299 x 299) and returns ``(features, logits)``: the pool3
    features ``(N, 2048)`` that FID and KID use, and the ``(N, 1008)`` logits of the
    classifier, ``fc(features)`` with its bias, as pytorch-fid's network computes them. The
    original Inception-score code (and torch-fidelity, torchmetrics by default) drops that
    bias: for IS values comparable with papers, score :meth:`unbiased_logits` of the features.
    Use :func:`load_inception` to get the network with the FID weights, in eval mode.
    """

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = _FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = _FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = _FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = _FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = _FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = _FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = _FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = _FIDInceptionE(1280, max_pool=False)
        self.Mixed_7c = _FIDInceptionE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def prepare(self, images: Tensor) -> Tensor:
        """[-1, 1] images, 1 or 3 channels, any size -> (N, 3, 299, 299) in the weights' dtype."""
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise DataError(f"InceptionV3 takes (N, 1 or 3, H, W) images, got shape {tuple(images.shape)}")
        x = images.to(self.fc.weight.dtype)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if tuple(x.shape[2:]) != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        return x

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        x = self.prepare(images)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        features = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return features, self.fc(features)

    def unbiased_logits(self, features: Tensor) -> Tensor:
        """``features @ fc.weight.T`` without the bias: the logits the original Inception-score
        code took from the TensorFlow graph (torch-fidelity's ``logits_unbiased``)."""
        return features @ self.fc.weight.T


# ------------------------------------------------------------------------------------ weights


def _search_folders() -> list[Path]:
    return [ganzoo_home() / "weights", Path(torch.hub.get_dir()) / "checkpoints"]


def find_inception_weights(path: str | os.PathLike | None = None) -> Path:
    """The FID InceptionV3 weights file: ``path`` if given, else ``FID_WEIGHTS_FILE`` in
    ``ganzoo_home()/weights``, else in ``torch.hub.get_dir()/checkpoints`` (where pytorch-fid
    caches it). Never downloads; a missing file raises :class:`WeightsError` saying where to
    get it and where to put it."""
    if path is not None:
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise WeightsError(f"InceptionV3 weights file {str(explicit)!r} does not exist")
        return explicit
    folders = _search_folders()
    for folder in folders:
        candidate = folder / FID_WEIGHTS_FILE
        if candidate.is_file():
            return candidate
    raise WeightsError(
        f"the FID InceptionV3 weights {FID_WEIGHTS_FILE} are not here; download them yourself from {FID_WEIGHTS_URL} "
        f"and put the file in {folders[0]} or {folders[1]}, or pass --inception-weights PATH; offline, pass "
        "--features digits instead (ganzoo's digits network, no download; see 'Evaluating your own dataset offline' "
        "in docs/plugins.md)"
    )


def _read_state_dict(path: Path) -> dict[str, Tensor]:
    from ganzoo.io.weights import read_foreign_state_dict

    return read_foreign_state_dict(path, "InceptionV3 weights", f"give pytorch-fid's {FID_WEIGHTS_FILE} or a .safetensors file")


def load_inception(path: str | os.PathLike | None = None, device: str | torch.device | None = None) -> FIDInceptionV3:
    """:class:`FIDInceptionV3` with the FID weights from :func:`find_inception_weights`, frozen,
    in eval mode, on ``device`` (None: :func:`ganzoo.core.device.select_device`'s choice)."""
    from ganzoo.core.device import select_device
    from ganzoo.io.weights import load_into

    file = find_inception_weights(path)
    state = _read_state_dict(file)
    network = FIDInceptionV3()
    # Files saved before BatchNorm counted its batches lack these; they do not affect eval.
    for key, value in network.state_dict().items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = value
    load_into(network, state, file)
    network.requires_grad_(False)
    return network.eval().to(select_device(device if device is not None else "auto"))
