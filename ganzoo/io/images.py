"""Image grids, tensor <-> picture conversion, and the one reader of users' image files."""

from __future__ import annotations

import math
import os
import warnings
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

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
    _write_png(Image.fromarray(array[..., 0] if images.shape[1] == 1 else array), path, overwrite)
    return grid


#: A comparison panel's longest side is brought into this range: a 4x upscaled photograph's three
#: panels stay a picture to look at (not 9.6 MB of PNG; the full output is its own file), and a
#: tiny input is enlarged (nearest pixels) to be seen at all.
PANEL_SIDE = (128, 512)
#: Pixels between panels and around them, and the height of the label strip above them.
PANEL_PADDING, CAPTION_HEIGHT = 2, 16


def save_comparison(panels: torch.Tensor, path: str | os.PathLike, labels: Sequence[str],
                    overwrite: bool = False) -> tuple[int, int]:
    """Save same-sized images in [-1, 1] (N x C x H x W) side by side, each under its label
    (``input``, ``bicubic``, ``output``), as one PNG (never over a file unless ``overwrite``);
    the labels are also its ``panels`` text chunk. Returns the picture's ``(width, height)``."""
    from PIL import Image, ImageDraw, PngImagePlugin

    if len(labels) != len(panels):
        raise ValueError(f"{len(panels)} panels but {len(labels)} labels")
    pictures = [Image.fromarray(p.permute(1, 2, 0).numpy()).convert("RGB") for p in to_uint8(panels)]
    width, height = pictures[0].size
    small, large = PANEL_SIDE
    longest = max(width, height)
    if longest > large:
        width, height = max(1, round(width * large / longest)), max(1, round(height * large / longest))
        pictures = [p.resize((width, height), Image.Resampling.LANCZOS) for p in pictures]
    elif longest < small:
        factor = -(-small // longest)
        width, height = width * factor, height * factor
        pictures = [p.resize((width, height), Image.Resampling.NEAREST) for p in pictures]
    pad = PANEL_PADDING
    sheet = Image.new("RGB", (len(pictures) * (width + pad) + pad, CAPTION_HEIGHT + height + pad), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (picture, label) in enumerate(zip(pictures, labels)):
        left = pad + i * (width + pad)
        sheet.paste(picture, (left, CAPTION_HEIGHT))
        draw.text((left + width / 2, CAPTION_HEIGHT / 2), label, fill="black", anchor="mm")
    info = PngImagePlugin.PngInfo()
    info.add_text("panels", " | ".join(labels))
    _write_png(sheet, path, overwrite, pnginfo=info)
    return sheet.size


def _write_png(picture: Any, path: str | os.PathLike, overwrite: bool, **options: Any) -> None:
    """Atomically, and never over an existing file unless ``overwrite`` (one line otherwise)."""
    try:
        write_with(path, lambda tmp: picture.save(tmp, format="PNG", **options), exclusive=not overwrite)
    except FileExistsError:
        raise OutputExists(f"{path} exists already; choose another name or pass overwrite=True to replace it") from None


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
