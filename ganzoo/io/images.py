"""Image grids and tensor <-> picture conversion."""

from __future__ import annotations

import math
import os

import torch

from ganzoo.io.atomic import write_with


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats -> uint8 pixels."""
    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def save_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int | None = None, padding: int = 2,
              exclusive: bool = False) -> None:
    """Save images in [-1, 1] (N x C x H x W) as one PNG grid, atomically (``exclusive``: never
    over a file that exists, :class:`FileExistsError` instead)."""
    from PIL import Image
    from torchvision.utils import make_grid

    nrow = nrow or max(1, int(math.ceil(math.sqrt(len(images)))))
    grid = make_grid(to_uint8(images), nrow=nrow, padding=padding)
    array = grid.permute(1, 2, 0).numpy()
    picture = Image.fromarray(array[..., 0] if images.shape[1] == 1 else array)
    write_with(path, lambda tmp: picture.save(tmp, format="PNG"), exclusive=exclusive)
