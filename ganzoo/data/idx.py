"""The IDX file format of MNIST and Fashion-MNIST, read without torchvision.

An IDX file is two zero bytes, a type code (``0x08``: unsigned bytes), the number of
dimensions, each dimension as a big-endian 32-bit count, then the values. The published files
are gzip-compressed (``*-idx3-ubyte.gz``); users and distributions also keep them unpacked.
Everything is checked before a tensor is made: a foreign file, another value type, a declared
size past :data:`MOST_BYTES` or a file cut short is one :class:`~ganzoo.errors.DataError` line
naming the file, and a declared size is never allocated before the bytes are there.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from ganzoo.errors import DataError

#: The one value type MNIST-style files use (unsigned bytes).
UBYTE = 0x08
#: No real IDX file of this family is larger (MNIST's training images are 47 MB unpacked).
MOST_BYTES = 2**31
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | Path, ndim: int) -> torch.Tensor:
    """The uint8 array in the IDX file ``path`` (gzip-compressed or not), of ``ndim`` dimensions."""
    path = Path(path)
    try:
        with path.open("rb") as raw:
            packed = raw.read(2) == GZIP_MAGIC
        opener = gzip.open if packed else open
        with opener(path, "rb") as fh:
            header = fh.read(4)
            dims = _header(path, header, ndim, fh.read(4 * ndim) if len(header) == 4 else b"")
            expected = int(np.prod(dims, dtype=np.int64))
            body = fh.read(expected + 1)  # one byte more: a longer file is not this array either
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        damaged = isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile))  # not a permission or a disk
        raise DataError(f"{path} cannot be read as an IDX file ({_reason(exc)})"
                        + ("; the file is damaged, fetch it again" if damaged else "")) from None
    if len(body) != expected:
        what = "is cut short" if len(body) < expected else "holds more bytes than its header declares"
        raise DataError(f"{path} {what}: its header declares {expected:,} values, the file holds "
                        f"{'at least ' if len(body) > expected else ''}{len(body):,}; fetch the file again")
    return torch.from_numpy(np.frombuffer(body, dtype=np.uint8).reshape(dims).copy())


def _header(path: Path, magic: bytes, ndim: int, sizes: bytes) -> tuple[int, ...]:
    if len(magic) < 4 or magic[:2] != b"\0\0":
        raise DataError(f"{path} is not an IDX file (it does not start with the IDX magic number)")
    if magic[2] != UBYTE:
        raise DataError(f"{path} holds IDX values of type 0x{magic[2]:02x}; MNIST-style files hold unsigned bytes (0x08)")
    if magic[3] != ndim:
        raise DataError(f"{path} holds a {magic[3]}-dimensional IDX array; expected {ndim} dimensions "
                        f"({'images' if ndim == 3 else 'labels'})")
    if len(sizes) != 4 * ndim:
        raise DataError(f"{path} is cut short inside its IDX header")
    dims = struct.unpack(f">{ndim}I", sizes)
    if int(np.prod(dims, dtype=np.int64)) > MOST_BYTES:
        raise DataError(f"{path} declares {'x'.join(map(str, dims))} values, more than any MNIST-style file holds; "
                        "it is not one")
    return dims


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(text.split())
