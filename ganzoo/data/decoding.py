"""How every image-folder source (``folder:``, ``paired:``, ``superres:``) is decoded: one path.

A dataset plugin describes its source (:class:`Source`: the items, the files they read, a
:class:`~ganzoo.data.parallel_decode.Decoder`) and :func:`decode_source` decides where the
pixels live, by size:

- up to ``$GANZOO_IN_MEMORY_MB`` (default :data:`DEFAULT_IN_MEMORY_MB`, 1024 MB, counted as
  RGB before decoding) the source is decoded by threads into memory, as it always was;
- above it, it is decoded once, by worker processes, into a file of the decoded-image cache
  (:mod:`ganzoo.data.decoded_cache`) that this and later runs map instead of reading: memory
  then holds the pages a run touches (the system's page cache, shared and reclaimable), not the
  dataset. ``GANZOO_IN_MEMORY_MB=0`` sends every source through the cache.

Both paths run the same decoder on the same items, so they give the same pixels, bit for bit.
Unusable images (corrupt, truncated, not images, too small) stop the run before training with
one line naming the first and the count, unless ``skip_bad`` (``--skip-bad-images``): then they
are left out and listed in ``Decoded.skipped``.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from ganzoo.data import decoded_cache as cache
from ganzoo.data.image_dataset import grey_from_rgb
from ganzoo.data.parallel_decode import Decoder, FileArrays, MemoryArrays, call_chunk, decode_workers, fill, run_chunks
from ganzoo.errors import ConfigError, DataError
from ganzoo.io.atomic import atomic_path

IN_MEMORY_VARIABLE = "GANZOO_IN_MEMORY_MB"
DEFAULT_IN_MEMORY_MB = 1024
#: Rows moved at a time when a cache file is compacted (unusable items dropped, RGB made grey).
_COMPACT_ROWS = 256


def in_memory_limit() -> int:
    """The largest decoded source (bytes) kept wholly in memory: ``$GANZOO_IN_MEMORY_MB`` MB."""
    text = os.environ.get(IN_MEMORY_VARIABLE, "").strip()
    if not text:
        return DEFAULT_IN_MEMORY_MB * 10**6
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(f"{IN_MEMORY_VARIABLE}={text!r}: expected a number of megabytes >= 0")
    return int(value * 10**6)


@dataclass
class Source:
    """What a dataset plugin decodes, described for :func:`decode_source`."""

    kind: str  # the source's name: folder, paired, superres (the cache file's first word)
    root: Path  # the folder (messages, the cache key, ``ganzoo cache list``)
    items: list[Any]  # one per decoded unit (a file, a pair of files); picklable
    names: list[str]  # how messages name each item (its file)
    files: list[Path]  # every file the items read: their paths, sizes and times key the cache
    settings: dict[str, Any]  # everything else the pixels depend on: image size, crop, resize, scale, seed
    #: An upper bound of one item's decoded bytes (RGB): what the memory-or-cache choice counts.
    item_bytes: int
    #: Given each item's scan result (None for an item the scan found unusable): the decoder.
    decoder: Callable[[list[Any]], Decoder]
    #: A cheap read of one item before decoding (its header: mode, size); picklable; None: no scan.
    scan: Callable[[Any], Any] | None = None
    #: What the pictures are called in messages ("images", "pairs").
    noun: str = "images"


@dataclass
class Decoded:
    """The decoded arrays (uint8 ``(examples, C, H, W)``), which items they hold, and why the rest are not there."""

    arrays: dict[str, torch.Tensor]
    kept: list[int]
    skipped: list[str] = field(default_factory=list)
    cache: Path | None = None  # the cache file the arrays map, None when in memory


def decode_source(source: Source, skip_bad: bool = False) -> Decoded:
    """The source's arrays: in memory when small, else mapped from the decoded-image cache
    (decoded now, in parallel, if no cache file matches the files as they are)."""
    if not source.items:
        raise DataError(f"{str(source.root)!r} holds no {source.noun}")
    if len(source.items) * source.item_bytes <= in_memory_limit():
        arrays, bad = _in_memory(source)
        return _result(source, arrays, bad, skip_bad, None)
    fingerprint = cache.file_fingerprint(source.root, source.files, content=cache.verify_images())
    slot = cache.slot_of(source.kind, source.root, source.settings)
    path = cache.entry_path(source.kind, source.root, slot, fingerprint)
    expected = cache.describe_source(source.kind, source.root, source.settings, source.names, fingerprint)
    with cache.slot_lock(slot):
        entry = cache.open_entry(path, expected)
        if entry is None:
            cache.remove_leftovers(slot)
            _build(source, path, expected)
            cache.remove_leftovers(slot, keep=path)
            entry = cache.open_entry(path, expected)
            if entry is None:  # pragma: no cover - just written whole
                raise DataError(f"the cache file {path} could not be read back")
    return _result(source, entry.arrays, entry.bad, skip_bad, path)


def _result(source: Source, arrays: dict[str, torch.Tensor], bad: list[tuple[int, str]], skip_bad: bool,
            path: Path | None) -> Decoded:
    if bad and not skip_bad:
        first = bad[0][1]
        raise DataError(f"{first} ({len(bad)} of {len(source.items)} {source.noun} under {str(source.root)!r} cannot "
                        f"be used); fix or remove them, or add --skip-bad-images to train without them")
    if len(bad) == len(source.items):
        raise DataError(f"none of the {len(source.items)} {source.noun} under {str(source.root)!r} can be used; "
                        f"the first: {bad[0][1]}")
    dropped = {index for index, _ in bad}
    kept = [i for i in range(len(source.items)) if i not in dropped]
    return Decoded(arrays, kept, [f"{source.names[i]}: {why}" for i, why in bad], path)


# ---------------------------------------------------------------- the two paths
def _scan(source: Source, processes: bool) -> tuple[list[Any], dict[int, str]]:
    """Each item's scan result, and the items the scan found unusable."""
    if source.scan is None:
        return [None] * len(source.items), {}
    found = run_chunks(functools.partial(call_chunk, source.scan), source.items, processes=processes,
                       label=f"reading {len(source.items):,} headers")
    bad = {i: result[0] for i, result in enumerate(found) if isinstance(result, tuple) and len(result) == 1
           and isinstance(result[0], str)}
    return [None if i in bad else result for i, result in enumerate(found)], bad


def _usable(notes: Sequence[Any], good: list[int], bad: dict[int, str]) -> list[int]:
    """Rows (positions in ``good``) whose item decoded; the others join ``bad``."""
    rows = []
    for row, note in enumerate(notes):
        if isinstance(note, str):
            bad[good[row]] = note
        else:
            rows.append(row)
    return rows


def _in_memory(source: Source) -> tuple[dict[str, torch.Tensor], list[tuple[int, str]]]:
    scanned, bad = _scan(source, processes=False)
    good = [i for i in range(len(source.items)) if i not in bad]
    if not good:
        return {}, sorted(bad.items())
    decoder = source.decoder(scanned)
    arrays = {name: np.empty((len(good), *shape), dtype=np.uint8) for name, shape in decoder.layout().items()}
    notes = fill(decoder, [source.items[i] for i in good], MemoryArrays(arrays), processes=False,
                 label=f"decoding {len(good):,} {source.noun}")
    rows = _usable(notes, good, bad)
    channels = decoder.channels([notes[r] for r in rows])
    out = {}
    for name, array in arrays.items():
        tensor = torch.from_numpy(array)
        if len(rows) != len(good):
            tensor = tensor[torch.tensor(rows, dtype=torch.int64)]
        tensor = tensor.reshape(-1, *tensor.shape[2:])
        out[name] = grey_from_rgb(tensor) if channels[name] != tensor.shape[1] else tensor.contiguous()
    return out, sorted(bad.items())


def _build(source: Source, path: Path, expected: dict[str, Any]) -> None:
    """Decode ``source`` into the cache file ``path``: worker processes write a temporary that is
    renamed when whole; a full disk is refused before a pixel is decoded."""
    what = repr(str(source.root))
    started = time.perf_counter()
    scanned, bad = _scan(source, processes=True)
    good = [i for i in range(len(source.items)) if i not in bad]
    if not good:
        cache.check_space(path.parent, 0, what)
        with atomic_path(path) as tmp:
            cache.write_trailer(tmp, 0, _info(expected, {}, 0, bad, 0, cache.data_checksum(tmp, 0)))
        return
    decoder = source.decoder(scanned)
    shapes = {name: (len(good), *shape) for name, shape in decoder.layout().items()}
    offsets, end = cache.layout(shapes)
    cache.check_space(path.parent, end, what)
    workers = min(decode_workers(), len(good))
    print(f"ganzoo: decoding {len(good):,} {source.noun} under {source.root} into the cache "
          f"({cache.human_size(end)}, {workers} process{'es' * (workers != 1)}); later runs reuse it",
          file=sys.stderr, flush=True)
    with atomic_path(path) as tmp:
        cache.allocate(tmp, end, what)
        target = FileArrays(str(tmp), tuple((name, offsets[name], shapes[name]) for name in shapes))
        notes = fill(decoder, [source.items[i] for i in good], target, processes=True,
                     label=f"decoding {len(good):,} {source.noun}")
        rows = _usable(notes, good, bad)
        channels = decoder.channels([notes[r] for r in rows])
        arrays, data_end = _compact(tmp, shapes, offsets, rows, channels)
        examples = len(rows) * next(iter(shapes.values()))[1]
        cache.write_trailer(tmp, data_end, _info(expected, arrays, examples, bad, data_end, cache.data_checksum(tmp, data_end)))
    print(f"ganzoo: decoded in {time.perf_counter() - started:.0f} s: {path}", file=sys.stderr, flush=True)


def _info(expected: dict[str, Any], arrays: dict[str, tuple[int, tuple[int, ...]]], examples: int, bad: dict[int, str],
          data_end: int, checksum: str) -> dict[str, Any]:
    """The trailer: what the source was (:func:`~ganzoo.data.decoded_cache.describe_source`), where
    each array lies, the unusable items, and the pixel data's checksum."""
    return {"format": cache.FORMAT, **expected, "examples": examples,
            "arrays": {k: [o, list(s)] for k, (o, s) in arrays.items()},
            "bad": [[i, why] for i, why in sorted(bad.items())], "data_end": data_end, "checksum": checksum,
            "created": time.time()}


def _compact(path: Path, shapes: dict[str, tuple[int, ...]], offsets: dict[str, int], rows: list[int],
             channels: dict[str, int]) -> tuple[dict[str, tuple[int, tuple[int, ...]]], int]:
    """Drop the unusable rows and make grey arrays one channel, in place, arrays moved down to
    stay back to back; returns each array's (offset, shape) and the end of the data.

    Safe in place: every row's new place is at or before its old one, and each chunk is read
    whole before it is written."""
    new_shapes = {name: (len(rows), shape[1], channels[name], *shape[3:]) for name, shape in shapes.items()}
    new_offsets, end = cache.layout(new_shapes)
    if new_shapes == shapes:
        return {name: (offsets[name], shapes[name]) for name in shapes}, end
    flat = np.memmap(path, dtype=np.uint8, mode="r+")
    index = np.asarray(rows, dtype=np.int64)
    for name, shape in shapes.items():
        source = flat[offsets[name] : offsets[name] + int(np.prod(shape))].reshape(shape)
        target = flat[new_offsets[name] : new_offsets[name] + int(np.prod(new_shapes[name]))].reshape(new_shapes[name])
        for start in range(0, len(index), _COMPACT_ROWS):
            chunk = torch.from_numpy(np.array(source[index[start : start + _COMPACT_ROWS]]))
            if channels[name] != shape[2]:
                items, per = chunk.shape[:2]
                chunk = grey_from_rgb(chunk.reshape(items * per, *chunk.shape[2:])).reshape(items, per, 1, *shape[3:])
            target[start : start + len(chunk)] = chunk.numpy()
    flat.flush()
    del flat
    return {name: (new_offsets[name], new_shapes[name]) for name in shapes}, end
