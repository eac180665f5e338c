"""Image quality metrics for the image-conditioned tasks: PSNR and SSIM.

Torch only (no numpy, no Python loops over pixels), so they run where the images are, CPU or
CUDA. Images are float tensors ``(N, C, H, W)`` (or one ``(C, H, W)`` image); ganzoo's own
images are in [-1, 1], hence ``data_range=2.0`` by default.

- :func:`psnr` and :func:`ssim` give one value per image (``reduction="none"``) or their mean
  over the batch (``"mean"``, the default). The mean is over per-image values, the convention
  of super-resolution papers (mean PSNR, not the PSNR of the mean error).
- :func:`ssim` is Wang et al. 2004 (IEEE TIP 13(4)) as their reference implementation computes
  it: an 11x11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03, statistics without the
  sample-covariance correction, only windows that lie entirely inside the image ("valid"),
  averaged over the SSIM map and then over channels.
- :func:`sr_scores` follows the usual super-resolution evaluation: the luma (Y of ITU-R BT.601
  YCbCr, :func:`rgb_to_y`) of images mapped to [0, 1], ``scale`` pixels cropped from every
  border, data range 1 (that is, peak 255 on the 8-bit scale). Values are not rounded to
  8 bits first, which can move PSNR by a few hundredths of a dB against MATLAB-based tables.
- :func:`image_scores` is the plain version for image-to-image tasks: every channel, no crop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["gaussian_window", "image_scores", "psnr", "rgb_to_y", "sr_scores", "ssim"]

#: BT.601 luma for RGB in [0, 1]: Y (on the 0-255 scale) = 16 + 65.481 R + 128.553 G + 24.966 B.
Y_WEIGHTS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0


def _pair(a: torch.Tensor, b: torch.Tensor, what: str) -> tuple[torch.Tensor, torch.Tensor, bool]:
    if a.shape != b.shape:
        raise ValueError(f"{what}: images of different shapes {tuple(a.shape)} and {tuple(b.shape)}")
    single = a.ndim == 3
    if single:
        a, b = a.unsqueeze(0), b.unsqueeze(0)
    if a.ndim != 4:
        raise ValueError(f"{what}: expected (N, C, H, W) or (C, H, W) images, got shape {tuple(a.shape)}")
    dtype = torch.promote_types(torch.promote_types(a.dtype, b.dtype), torch.float32)
    return a.to(dtype), b.to(dtype), single


def _reduce(values: torch.Tensor, reduction: str, single: bool) -> torch.Tensor:
    if single:
        return values[0]
    if reduction == "mean":
        return values.mean()
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def psnr(a: torch.Tensor, b: torch.Tensor, data_range: float = 2.0, reduction: str = "mean") -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range^2 / MSE)`` per image.

    Identical images give ``inf``. ``reduction="none"`` returns shape ``(N,)``; a single
    ``(C, H, W)`` image gives a scalar.
    """
    a, b, single = _pair(a, b, "psnr")
    mse = (a - b).pow(2).flatten(1).mean(1)
    values = 10.0 * torch.log10(data_range**2 / mse)  # mse 0 -> inf
    return _reduce(values, reduction, single)


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    """The normalised 1-D Gaussian of SSIM; the 2-D window is its outer product."""
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(
    a: torch.Tensor,
    b: torch.Tensor,
    data_range: float = 2.0,
    reduction: str = "mean",
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004), mean over each image's SSIM map and channels.

    Identical images give 1. Images must be at least ``window_size`` pixels on each side.
    """
    a, b, single = _pair(a, b, "ssim")
    n, c, h, w = a.shape
    if h < window_size or w < window_size:
        raise ValueError(f"ssim needs images of at least {window_size}x{window_size} pixels, got {h}x{w}")
    g = gaussian_window(window_size, sigma, a.dtype, a.device)
    kernel_h = g.view(1, 1, window_size, 1).repeat(c, 1, 1, 1)
    kernel_w = g.view(1, 1, 1, window_size).repeat(c, 1, 1, 1)

    def blur(x: torch.Tensor) -> torch.Tensor:  # separable Gaussian, valid windows only, per channel
        return F.conv2d(F.conv2d(x, kernel_h, groups=c), kernel_w, groups=c)

    # One batched pass over the five maps the statistics need.
    stats = blur(torch.cat([a, b, a * a, b * b, a * b]))
    mu_a, mu_b, aa, bb, ab = stats.split(n)
    var_a = aa - mu_a**2
    var_b = bb - mu_b**2
    cov = ab - mu_a * mu_b
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    values = ssim_map.mean(dim=(2, 3)).mean(1)
    return _reduce(values, reduction, single)


def rgb_to_y(images: torch.Tensor) -> torch.Tensor:
    """ITU-R BT.601 luma of RGB images in [0, 1]: ``(..., 3, H, W)`` -> ``(..., 1, H, W)``.

    ``Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255``, in [16/255, 235/255] (MATLAB's
    ``rgb2ycbcr``, the Y channel super-resolution papers evaluate on).
    """
    if images.ndim < 3 or images.shape[-3] != 3:
        raise ValueError(f"rgb_to_y expects RGB images (..., 3, H, W), got shape {tuple(images.shape)}")
    weights = torch.tensor(Y_WEIGHTS, dtype=images.dtype, device=images.device).view(3, 1, 1)
    return ((images * weights).sum(dim=-3, keepdim=True) + Y_OFFSET) / 255.0


def _scores(a: torch.Tensor, b: torch.Tensor, data_range: float) -> dict[str, float]:
    return {
        "psnr": float(psnr(a, b, data_range=data_range)),
        "ssim": float(ssim(a, b, data_range=data_range)),
    }


@torch.no_grad()
def sr_scores(output: torch.Tensor, target: torch.Tensor, scale: int) -> dict[str, float]:
    """``{"psnr": dB, "ssim": ...}``, means over the batch, as super-resolution papers report them.

    ``output`` and ``target`` are high-resolution images in [-1, 1] (``(N, C, H, W)``): mapped
    to [0, 1] (``output`` clamped), reduced to luma Y when RGB (grayscale images are used as
    they are), ``scale`` pixels cropped from each border, then PSNR and SSIM with data range 1.
    """
    output, target, _ = _pair(output, target, "sr_scores")
    scale = int(scale)
    if scale < 0 or output.shape[-1] <= 2 * scale or output.shape[-2] <= 2 * scale:
        raise ValueError(f"sr_scores: cannot crop {scale} border pixels from {tuple(output.shape[-2:])} images")
    output = ((output + 1) * 0.5).clamp(0, 1)
    target = ((target + 1) * 0.5).clamp(0, 1)
    if output.shape[1] == 3:
        output, target = rgb_to_y(output), rgb_to_y(target)
    if scale:
        output = output[..., scale:-scale, scale:-scale]
        target = target[..., scale:-scale, scale:-scale]
    return _scores(output, target, 1.0)


@torch.no_grad()
def image_scores(output: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """``{"psnr": dB, "ssim": ...}`` over every channel of images in [-1, 1] (``output``
    clamped), means over the batch; for image-to-image tasks."""
    output, target, _ = _pair(output, target, "image_scores")
    return _scores(output.clamp(-1, 1), target, 2.0)
