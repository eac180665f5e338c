"""Run an image function of bounded input size over images of any size, in overlapping tiles.

One concept, two ways to join the tiles (:func:`tiled`):

- ``blend=True``, for nets that need one input size (Pix2Pix's U-Net): every tile is exactly
  ``tile`` x ``tile``; an image smaller than a tile is reflect-padded up to it (and the output
  cropped back); overlapping outputs are averaged under a raised-cosine ramp that spans each
  overlap and is never zero inside the image, so one tile fades into the next without a seam.
- ``blend=False``, for fully convolutional nets (SRResNet): tiles of at most ``tile`` x
  ``tile``; each output pixel is taken from the one tile in which it lies at least
  ``overlap // 2`` input pixels away from every inner tile edge. When that margin is at least
  the net's receptive radius (:func:`receptive_margin`), the result is the untiled one.

Tile coordinates are input pixels; an output tile is ``scale`` times larger (super-resolution).
Tiles go through ``fn`` ``batch_size`` at a time, on the images' device, so memory is bounded
by the tile, not by the image.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.errors import ConfigError

#: Modules whose output at one pixel depends on the whole input (so no tile reproduces it):
#: pooling to a fixed grid, dense layers, attention, and norms over each image's own pixels.
GLOBAL_MODULES = (nn.Linear, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.MultiheadAttention,
                  nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)


def spans(length: int, tile: int, overlap: int) -> list[int]:
    """The starts of the fewest ``tile``-long windows that cover ``[0, length)`` with every two
    neighbours overlapping by at least ``overlap`` (one window when ``length <= tile``)."""
    if length <= tile:
        return [0]
    if not 0 <= overlap < tile:
        raise ConfigError(f"a tile overlap must be from 0 to the tile size - 1 ({tile - 1}), got {overlap}")
    n = 1 + math.ceil((length - tile) / (tile - overlap))
    # integer division keeps every step at most ceil((length - tile) / (n - 1)) <= tile - overlap
    return [k * (length - tile) // (n - 1) for k in range(n)]


def tiled(fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, tile: int, overlap: int, *,
          scale: int = 1, batch_size: int = 16, blend: bool = True) -> torch.Tensor:
    """``fn`` applied to ``images`` (N x C x H x W) tile by tile: N x C' x sH x sW, s = ``scale``.

    ``fn`` maps a batch of tiles B x C x h x w to B x C' x sh x sw; it never sees more than
    ``batch_size`` tiles nor a tile larger than ``tile`` x ``tile`` (with ``blend``, exactly
    that size). ``overlap``: the least overlap of neighbouring tiles, in input pixels.
    """
    if images.ndim != 4:
        raise ConfigError(f"tiling takes N x C x H x W images, got shape {tuple(images.shape)}")
    if tile < 1 or batch_size < 1 or scale < 1:
        raise ConfigError(f"tile, batch size and scale must be at least 1, got {tile}, {batch_size}, {scale}")
    n, _, height, width = images.shape
    if height < 1 or width < 1 or n < 1:
        raise ConfigError(f"cannot transform an empty image (shape {tuple(images.shape)})")
    if height <= tile and width <= tile and (not blend or height == width == tile):
        return _batched(fn, images, batch_size)  # one tile an image: the plain call, bit for bit
    pad = (0, 0, 0, 0)
    if blend and (height < tile or width < tile):  # every tile must be exactly tile x tile
        extra_h, extra_w = max(0, tile - height), max(0, tile - width)
        pad = (extra_w // 2, extra_w - extra_w // 2, extra_h // 2, extra_h - extra_h // 2)
        images = reflect_pad(images, *pad)
    big_h, big_w = images.shape[-2:]
    rows, cols = spans(big_h, tile, overlap), spans(big_w, tile, overlap)
    th, tw = min(tile, big_h), min(tile, big_w)
    weight_rows = _windows(rows, th, big_h, scale, blend, images.device)
    weight_cols = _windows(cols, tw, big_w, scale, blend, images.device)
    jobs = [(i, a, b) for i in range(n) for a in range(len(rows)) for b in range(len(cols))]
    out = total = None
    for first in range(0, len(jobs), batch_size):
        part = jobs[first : first + batch_size]
        crops = torch.stack([images[i, :, rows[a] : rows[a] + th, cols[b] : cols[b] + tw] for i, a, b in part])
        results = fn(crops)
        if results.shape[-2:] != (th * scale, tw * scale) or len(results) != len(part):
            raise ConfigError(f"the net turned {len(part)} tiles of {th}x{tw} into shape {tuple(results.shape)}, "
                              f"not {len(part)} x C x {th * scale} x {tw * scale}")
        if out is None:
            out = results.new_zeros(n, results.shape[1], big_h * scale, big_w * scale)
            total = results.new_zeros(1, 1, big_h * scale, big_w * scale)
        for result, (i, a, b) in zip(results, part):
            weight = weight_rows[a][:, None] * weight_cols[b][None, :]
            y, x = rows[a] * scale, cols[b] * scale
            out[i, :, y : y + th * scale, x : x + tw * scale] += result * weight
            if i == 0:
                total[0, 0, y : y + th * scale, x : x + tw * scale] += weight
    out.div_(total)
    left, right, top, bottom = (p * scale for p in pad)
    return out[..., top : out.shape[-2] - bottom, left : out.shape[-1] - right]


def _batched(fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([fn(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def _windows(starts: list[int], size: int, length: int, scale: int, blend: bool, device: torch.device) -> list[torch.Tensor]:
    """Each tile's weight along one axis, in output pixels.

    Blending: 1 inside, a raised-cosine ramp over the overlap with each neighbour (rising from
    its first pixel, never 0), so the weights of two neighbours sum to 1 across their overlap.
    Cutting: 1 from the middle of the overlap with the previous tile to the middle of the one
    with the next, 0 elsewhere: each output pixel comes from exactly one tile."""
    windows = []
    pixels = torch.arange(size * scale, device=device, dtype=torch.float32) + 0.5
    for k, start in enumerate(starts):
        before = starts[k - 1] + size - start if k > 0 else 0  # overlap with the previous tile
        after = start + size - starts[k + 1] if k + 1 < len(starts) else 0
        if blend:
            weight = torch.ones_like(pixels)
            if before > 0:
                weight = weight * _ramp(pixels / (before * scale))
            if after > 0:
                weight = weight * _ramp((size * scale - pixels) / (after * scale))
        else:
            lo = (before // 2) * scale if k > 0 else 0  # from the middle of each overlap
            hi = (size - after + after // 2) * scale if k + 1 < len(starts) else size * scale
            weight = ((pixels >= lo) & (pixels < hi)).float()
        windows.append(weight)
    return windows


def _ramp(t: torch.Tensor) -> torch.Tensor:
    """0 -> 1 over t in [0, 1] as a raised cosine; 1 beyond."""
    return 0.5 - 0.5 * torch.cos(math.pi * t.clamp(0, 1))


def reflect_pad(images: torch.Tensor, left: int, right: int, top: int, bottom: int) -> torch.Tensor:
    """Mirror the borders outwards by any amount: reflect padding repeated while the image is
    smaller than the pad, replicate where it is one pixel wide."""
    pads = [left, right, top, bottom]
    while any(pads):
        h, w = images.shape[-2:]
        step = [min(p, w - 1) for p in pads[:2]] + [min(p, h - 1) for p in pads[2:]]
        if not any(step):  # a 1-pixel side has no mirror image
            return F.pad(images, pads, mode="replicate")
        images = F.pad(images, step, mode="reflect")
        pads = [p - s for p, s in zip(pads, step)]
    return images


def receptive_margin(net: nn.Module) -> int | None:
    """How far (in input pixels) the output at one pixel can see, for a plain stack of
    convolutions, poolings and up/down-sampling layers: the sum of the kernels' radii, each at
    its layer's resolution (an upper bound; residual branches add nothing). None when the net
    holds a module that sees the whole image (:data:`GLOBAL_MODULES`) or a kind unknown here
    that changes resolution."""
    radius, factor = 0.0, 1.0  # factor: the current resolution / the input's
    for module in net.modules():
        if isinstance(module, GLOBAL_MODULES):
            return None
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d)):
            kernel, stride = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
            dilation = _pair(getattr(module, "dilation", 1))
            reach = max((k - 1) * d for k, d in zip(kernel, dilation))
            if isinstance(module, nn.ConvTranspose2d):
                factor *= max(stride)
                radius += reach / 2 / factor
            else:
                radius += reach / 2 / factor
                factor /= max(stride)
        elif isinstance(module, nn.PixelShuffle):
            factor *= module.upscale_factor
        elif isinstance(module, nn.PixelUnshuffle):
            factor /= module.downscale_factor
            radius += 1 / factor
        elif isinstance(module, nn.Upsample):
            factor *= max(_pair(module.scale_factor or 1))
            radius += 1 / factor  # bilinear/bicubic reach a neighbour or two
    return math.ceil(radius) + 1


def _pair(value: object) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)
