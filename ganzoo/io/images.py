"""Image grids, tensor <-> picture conversion, and the one reader of users' image files."""

from __future__ import annotations

import math
import os
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

import torch

from ganzoo.errors import DataError, OutputExists
from ganzoo.io.atomic import write_with


def picture_tensor(picture: Any) -> torch.Tensor:
    """A decoded PIL image (mode L or RGB) as a uint8 ``(C, H, W)`` tensor, C = 1 or 3."""
    data = torch.frombuffer(bytearray(picture.tobytes()), dtype=torch.uint8)
    return data.view(picture.height, picture.width, -1).permute(2, 0, 1)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats -> uint8 pixels."""
    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def save_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int | None = None, padding: int = 2,
              overwrite: bool = False) -> torch.Tensor:
    """Save images in [-1, 1] (N x C x H x W) as one PNG grid, atomically. Never over a file that
    exists, as ``ganzoo sample`` never is (:class:`~ganzoo.errors.OutputExists`, a one-line
    ``FileExistsError``), unless ``overwrite``. Returns the grid's pixels, uint8 ``(C, H, W)``,
    for whoever shows it too (TensorBoard)."""
    from PIL import Image
    from torchvision.utils import make_grid

    nrow = nrow or max(1, int(math.ceil(math.sqrt(len(images)))))
    grid = make_grid(to_uint8(images), nrow=nrow, padding=padding)
    array = grid.permute(1, 2, 0).numpy()
    picture = Image.fromarray(array[..., 0] if images.shape[1] == 1 else array)
    try:
        write_with(path, lambda tmp: picture.save(tmp, format="PNG"), exclusive=not overwrite)
    except FileExistsError:
        raise OutputExists(f"{path} exists already; choose another name or pass overwrite=True to replace it") from None
    return grid


def read_image(path: str | os.PathLike, mode: str | None = None) -> Any:
    """The picture in ``path``, decoded (and converted to ``mode``: ``"RGB"``, ``"L"``), or one
    :class:`DataError` line naming the file: not an image, truncated or corrupt, or more pixels
    than Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``; checked on the
    header's size, before a pixel is decoded). The one reader of user images, for datasets
    and ``ganzoo sample --input`` alike."""
    from PIL import Image

    with _reading(path):
        with Image.open(path) as picture:
            _check_pixels(path, picture)
            picture.load()
            return picture.convert(mode) if mode else picture.copy()


def image_header(path: str | os.PathLike) -> tuple[tuple[int, int], str]:
    """The size ``(width, height)`` and mode (``"L"``, ``"RGB"``, ...) the header of ``path``
    declares, checked like :func:`read_image` does; nothing is decoded."""
    from PIL import Image

    with _reading(path):
        with Image.open(path) as picture:
            _check_pixels(path, picture)
            return picture.size, picture.mode


def image_mode(path: str | os.PathLike) -> str:
    """The mode the header of ``path`` declares (see :func:`image_header`)."""
    return image_header(path)[1]


def _check_pixels(path: str | os.PathLike, picture: Any) -> None:
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    width, height = picture.size
    if limit and width * height > limit:
        raise DataError(f"image {str(path)!r} is {width}x{height} pixels, more than the {limit:,} Pillow decodes "
                        "(a decompression bomb?); shrink it, or raise PIL.Image.MAX_IMAGE_PIXELS if you trust it")


@contextmanager
def _reading(path: str | os.PathLike) -> Iterator[None]:
    """Any failure of Pillow on a user's file as one :class:`DataError` line naming it."""
    from PIL import Image

    # Images over the limit are refused above, in one line; Pillow's warning would be a second.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    try:
        yield
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, ValueError, SyntaxError, EOFError, ... on bad files
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"cannot read image {str(path)!r}: {text[:160]}") from None
