"""The VGG19 content loss of SRGAN (Ledig et al., arXiv 1609.04802, eq. 5).

``VGGContent(layer)`` is the mean squared error between the feature maps of a frozen VGG19
(ImageNet weights) for the generated and the real images. ``phi_{i,j}`` in the paper is the
feature map of the j-th convolution, after its ReLU, before the i-th max pooling: the layer
``"conv{i}_{j}"`` here, ``conv5_4`` for SRGAN's VGG54 loss and ``conv2_2`` for VGG22.

ESRGAN (Wang et al., arXiv 1809.00219, section 3.3) takes the same features *before* the
activation (``before_activation=True``: the extractor stops at the convolution), which are
denser and keep the brightness the ReLU discards, and compares them with an L1 distance
(``distance="l1"``, the official code's ``feature_criterion``).

The feature extractor is torchvision's ``vgg19().features`` truncated right after the ReLU of
the named convolution; it is built here with the same layers at the same indices (so
torchvision's parameter names ``features.N.weight`` load into it) without building the
classifier's 120 million parameters first.

Weights are never downloaded. They come from a path the user gives (``.safetensors``, or a
torchvision ``.pth`` read with ``torch.load(weights_only=True)``, never unpickled otherwise),
or from torchvision's own file in the torch hub cache when ``weights`` is None.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.errors import ConfigError

#: torchvision's VGG19 layout ("E"): output channels of each 3x3 conv, "M" a 2x2 max pooling.
VGG19_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
#: The file torchvision writes for ``vgg19(weights="IMAGENET1K_V1")`` under ``torch.hub.get_dir()/checkpoints``.
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
#: The paper rescales the VGG feature maps by 1/12.75 (the loss by ~0.006); pass it as ``feature_scale``.
PAPER_FEATURE_SCALE = 1.0 / 12.75

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

HOW_TO_GET = (
    "run python -c \"import torchvision; torchvision.models.vgg19(weights='IMAGENET1K_V1')\" once with internet "
    "access to cache them, or pass --set vgg_weights=PATH (a .safetensors or torchvision .pth file), "
    "or add --content mse to train without the VGG loss"
)


def _layer_indices() -> dict[str, int]:
    """``conv{i}_{j}`` -> index in ``vgg19().features`` of the ReLU after that convolution."""
    names: dict[str, int] = {}
    index, block, conv = 0, 1, 0
    for item in VGG19_LAYOUT:
        if item == "M":
            index += 1
            block, conv = block + 1, 0
        else:
            conv += 1
            names[f"conv{block}_{conv}"] = index + 1
            index += 2
    return names


#: Every supported layer name, ``conv1_1`` .. ``conv5_4``, with the index of its ReLU.
LAYERS: dict[str, int] = _layer_indices()


def layer_index(name: str) -> int:
    """The index in torchvision's ``vgg19().features`` of the ReLU that follows convolution
    ``name`` (``"conv5_4"`` -> 35): the last module the truncated extractor keeps, which is
    ``features[: layer_index(name) + 1]``. Unknown names raise ConfigError with a did-you-mean.
    """
    if name in LAYERS:
        return LAYERS[name]
    close = difflib.get_close_matches(str(name), list(LAYERS), n=3, cutoff=0.5)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    raise ConfigError(f"unknown VGG19 layer {name!r}{hint}; use one of conv1_1, conv1_2, conv2_1, ..., conv5_4")


#: How :class:`VGGContent` compares the two feature maps.
DISTANCES = {"mse": F.mse_loss, "l1": F.l1_loss}


def vgg19_features(layer: str = "conv5_4", before_activation: bool = False) -> nn.Sequential:
    """Random-weight VGG19 features up to and including the ReLU after ``layer`` (or, with
    ``before_activation``, up to the convolution ``layer`` itself), laid out (and indexed)
    exactly as torchvision's ``vgg19().features``."""
    last = layer_index(layer) - (1 if before_activation else 0)
    modules: list[nn.Module] = []
    channels = 3
    for item in VGG19_LAYOUT:
        if item == "M":
            modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            modules += [nn.Conv2d(channels, int(item), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = int(item)
        if len(modules) > last:
            break
    return nn.Sequential(*modules[: last + 1])


def default_weights_path() -> Path:
    """Where torchvision caches the ImageNet VGG19 weights: ``torch.hub.get_dir()/checkpoints``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILE


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    from ganzoo.io.weights import read_foreign_state_dict

    return read_foreign_state_dict(path, "VGG19 weights", "give a torchvision .pth state dict or a .safetensors file")


def load_vgg_weights(features: nn.Sequential, path: str | os.PathLike) -> None:
    """Load the weights of ``features`` (a truncated extractor) from ``path``.

    Accepts torchvision's whole-model keys (``features.0.weight``, the classifier's are
    ignored) and bare feature keys (``0.weight``, what ``vgg19().features.state_dict()`` saves).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"VGG19 weights file {str(path)!r} does not exist; {HOW_TO_GET}")
    state = _read_state_dict(path)
    if any(key.startswith("features.") for key in state):
        state = {key[len("features."):]: value for key, value in state.items() if key.startswith("features.")}
    wanted = features.state_dict()
    missing = [key for key in wanted if key not in state]
    if missing:
        raise ConfigError(
            f"VGG19 weights {str(path)!r} lack {len(missing)} tensors of the extractor (first: {missing[0]!r}); "
            f"give torchvision's vgg19 state dict or its features' state dict"
        )
    for key, tensor in wanted.items():
        if state[key].shape != tensor.shape:
            raise ConfigError(
                f"VGG19 weights {str(path)!r}: {key!r} has shape {tuple(state[key].shape)}, expected {tuple(tensor.shape)}"
            )
    features.load_state_dict({key: state[key].to(torch.float32) for key in wanted})


class VGGContent(nn.Module):
    """SRGAN's content loss: ``MSE(phi(fake), phi(real))`` for VGG19 features ``phi``.

    - ``layer``: ``"conv1_1"`` .. ``"conv5_4"``; the extractor stops after that convolution's
      ReLU (``conv5_4``: the paper's phi_{5,4}, VGG54).
    - ``weights``: a ``.safetensors`` file or a torchvision ``.pth`` (whole-model or
      ``features`` keys); None: torchvision's cached ``vgg19-dcbb9e9d.pth`` under
      ``torch.hub.get_dir()/checkpoints``. Missing weights raise :class:`ganzoo.ConfigError`
      saying how to get them; nothing is downloaded.
    - ``feature_scale``: multiplies both feature maps before the MSE (the paper uses
      ``PAPER_FEATURE_SCALE`` = 1/12.75); default 1, the plain MSE.
    - ``before_activation``: compare the convolution's output, before its ReLU (ESRGAN).
    - ``distance``: ``"mse"`` (SRGAN) or ``"l1"`` (ESRGAN).

    ``forward(fake, real)`` takes images in [-1, 1], shape ``(N, 3 or 1, H, W)`` (grayscale
    is repeated to 3 channels), maps them to [0, 1] and normalises them with the ImageNet
    mean and std, and returns a scalar. Gradients flow into ``fake`` only. The VGG is frozen
    and stays in eval mode whatever ``train()`` is called with; move it with ``.to(device)``
    like any module.
    """

    def __init__(self, layer: str = "conv5_4", weights: str | os.PathLike | None = None, feature_scale: float = 1.0,
                 before_activation: bool = False, distance: str = "mse") -> None:
        super().__init__()
        if distance not in DISTANCES:
            raise ConfigError(f"VGG content distance must be one of {', '.join(DISTANCES)}, got {distance!r}")
        self.layer, self.before_activation, self.distance = layer, bool(before_activation), distance
        self.features = vgg19_features(layer, self.before_activation)
        if weights is None:
            path = default_weights_path()
            if not path.is_file():
                raise ConfigError(f"VGG19 weights for the content loss are not in the torch hub cache ({path}); {HOW_TO_GET}")
        else:
            path = Path(weights)
        load_vgg_weights(self.features, path)
        self.weights_path = str(path)
        self.feature_scale = float(feature_scale)
        self.features.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        super().train(False)

    def train(self, mode: bool = True) -> VGGContent:
        """Stays in eval mode: the extractor is a fixed function."""
        return super().train(False)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images (1 or 3 channels) -> ImageNet-normalised RGB."""
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"VGGContent expects (N, 1 or 3, H, W) images, got {tuple(images.shape)}")
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        return ((images + 1) * 0.5 - self.mean) / self.std

    def extract(self, images: torch.Tensor) -> torch.Tensor:
        """The (scaled) feature map of ``images`` in [-1, 1]."""
        features = self.features(self.normalize(images))
        return features * self.feature_scale if self.feature_scale != 1.0 else features

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        if fake.shape != real.shape:
            raise ValueError(f"VGGContent: fake {tuple(fake.shape)} and real {tuple(real.shape)} differ in shape")
        with torch.no_grad():
            target = self.extract(real)
        return DISTANCES[self.distance](self.extract(fake), target)

    def extra_repr(self) -> str:
        return (f"layer={self.layer!r}, before_activation={self.before_activation}, distance={self.distance!r}, "
                f"weights={self.weights_path!r}, feature_scale={self.feature_scale}")
