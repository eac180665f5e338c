"""Classical baselines: the method a user would call instead of a model, measured beside it.

A zoo entry has to beat what a user would otherwise reach for, not only doing nothing. Where
that method is the task's own baseline there is nothing more to run: for super-resolution the
baseline *is* the classical method, bicubic upsampling (``SuperresTask.baseline``, labelled so).
Where the task's baseline is only the identity (a denoiser's noisy input), the dataset names
the classical method for its degradation: ``DatasetSpec.classical`` and ``classical_settings``
(torch-free, readable without building the data, so ``ganzoo info`` and the zoo's README table
know it too; the method names and the settings each needs are
:data:`ganzoo.plugin.specs.CLASSICAL_METHODS`). ``ganzoo eval`` then runs the method on each
held-out input here and scores its output against the target exactly as it scores the model's
(the task's ``scores``): ``classical_psnr``, ``classical_ssim``, ... beside the model and the
identity baseline, per whole photograph, and ``worst_margin_classical_*`` (the model minus the
classical method on the photograph where the model does least well).

The methods:

- ``nl-means``: scikit-image's non-local means with the settings its documentation gives for
  Gaussian noise of known standard deviation,
  ``denoise_nl_means(noisy, h=0.8 * sigma, sigma=sigma, fast_mode=True, patch_size=5,
  patch_distance=6, channel_axis=-1)`` on images in [0, 1], ``sigma`` being the
  ``classical_settings["sigma"]`` of the dataset (0-255 pixel values) divided by 255. About
  0.4 s for a 512 x 512 RGB photograph on one CPU core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch

from ganzoo.errors import PluginError
from ganzoo.plugin.specs import DatasetSpec


def nl_means(inputs: torch.Tensor, sigma: float) -> torch.Tensor:
    """scikit-image's non-local means of each image of ``inputs`` (``(N, C, H, W)`` in [-1, 1],
    C 1 or 3), for Gaussian noise of standard deviation ``sigma`` in 0-255 pixel values; the
    same shape, device and range back."""
    from skimage.restoration import denoise_nl_means  # scikit-image: only when a method runs

    s = float(sigma) / 255.0
    out = []
    for image in inputs.detach().float().cpu():
        picture = ((image + 1) / 2).clamp(0, 1).permute(1, 2, 0).double().numpy()  # H x W x C in [0, 1]
        grey = picture.shape[-1] == 1
        clean = denoise_nl_means(picture[..., 0] if grey else picture, h=0.8 * s, sigma=s, fast_mode=True,
                                 patch_size=5, patch_distance=6, channel_axis=None if grey else -1)
        clean = torch.from_numpy(clean).float()
        out.append((clean[None] if grey else clean.permute(2, 0, 1)) * 2 - 1)
    return torch.stack(out).to(inputs.device)


@dataclass(frozen=True)
class Method:
    """How to run a classical method and how reports name it."""

    run: Callable[[torch.Tensor, Mapping[str, Any]], torch.Tensor]
    describe: Callable[[Mapping[str, Any]], str]


#: The implementation of each name in :data:`~ganzoo.plugin.specs.CLASSICAL_METHODS`.
METHODS: dict[str, Method] = {
    "nl-means": Method(
        run=lambda inputs, settings: nl_means(inputs, settings["sigma"]),
        describe=lambda settings: f"nl-means (scikit-image non-local means, sigma {settings['sigma']:g}/255)",
    ),
}


@dataclass(frozen=True)
class ClassicalBaseline:
    """A dataset's classical method with its settings: ``baseline(inputs)`` gives its outputs."""

    method: str
    settings: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise PluginError(f"ganzoo has no classical method {self.method!r} (known: {', '.join(METHODS)})")

    @property
    def label(self) -> str:
        """``"nl-means (scikit-image non-local means, sigma 25/255)"``: the method, as reports name it."""
        return METHODS[self.method].describe(self.settings)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """The method's outputs for ``inputs`` (``(N, C, H, W)`` in [-1, 1]), same shape and range."""
        return METHODS[self.method].run(inputs, self.settings)

    def scores(self, task: Any, inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        """The method's figures against ``targets``, scored as ``task`` scores a model's outputs
        (``task.scores``); its outputs are first brought to the targets' size and channels the way
        the task's baseline brings the input (``task.baseline``; a no-op for a denoiser)."""
        return task.scores(task.baseline(self(inputs), targets), targets)


def classical_for(spec: DatasetSpec) -> ClassicalBaseline | None:
    """The classical method ``spec`` declares (None: the task's baseline is all there is)."""
    return ClassicalBaseline(spec.classical, dict(spec.classical_settings)) if spec.classical else None

