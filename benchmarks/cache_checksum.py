"""What verifying the decoded-image cache costs: the CRC-32 every open computes, against the decode.

Makes a folder of ``--images`` random ``--size`` px RGB PNGs, decodes it into the cache once
(``GANZOO_IN_MEMORY_MB=0``, ``--workers`` decode processes) and then measures, in this process,
medians of ``--repeats`` rounds:

- baseline: reading the cache file's pixel bytes with no check (``open`` + ``read``, what the
  checksum cannot do without), warm in the page cache;
- ganzoo: :func:`ganzoo.data.decoded_cache.data_checksum` on the same bytes (what every open
  adds), and a whole verified open (:func:`open_entry` with the source's description);
- the first decode of the same folder, measured in the same run, so the checksum's share of a
  first run and of a later run's start can be read off.

``GANZOO_VERIFY_IMAGES=1`` (the content key) is measured too: hashing every image file once.

    python benchmarks/cache_checksum.py [--images 4000] [--size 64] [--repeats 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402


def _timed(call: object, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1,000 images, 3 repeats")
    parser.add_argument("--json", help="write the figures as JSON here")
    args = parser.parse_args()
    if args.quick:
        args.images, args.repeats = 1000, 3
    import numpy as np
    from PIL import Image

    root = Path(tempfile.mkdtemp(prefix="ganzoo-bench-checksum-"))
    os.environ.update(GANZOO_HOME=str(root / "home"), GANZOO_IN_MEMORY_MB="0", GANZOO_DECODE_WORKERS=str(args.workers))
    folder = root / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(args.images):
        Image.fromarray(rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)).save(folder / f"{i:06d}.png")

    from ganzoo.data import decoded_cache as cache
    from ganzoo.data.datasets import read_image_folder

    print(_bench.machine_line())
    started = time.perf_counter()
    dataset = read_image_folder(folder, args.size)
    decode = time.perf_counter() - started
    path = dataset.cache_file
    info = cache.read_trailer(path)
    data_end = int(info["data_end"])
    expected = {key: info[key] for key in ("kind", "root", "settings", "items", "names", "fingerprint")}

    def plain_read() -> None:
        with open(path, "rb") as fh:
            while fh.read(16 * 2**20):
                pass

    plain = _timed(plain_read, args.repeats)
    checksum = _timed(lambda: cache.data_checksum(path, data_end), args.repeats)
    opened = _timed(lambda: cache.open_entry(path, expected), args.repeats)
    files = sorted(folder.glob("*.png"))
    content = _timed(lambda: cache.file_fingerprint(folder, files, content=True), args.repeats)
    mtime_key = _timed(lambda: cache.file_fingerprint(folder, files), args.repeats)
    mb = data_end / 1e6
    rows = [
        {"what": "read the pixel bytes, no check (baseline)", "seconds": _bench.median(plain)},
        {"what": "CRC-32 of the pixel bytes (every open)", "seconds": _bench.median(checksum)},
        {"what": "verified open_entry (trailer + CRC-32 + map)", "seconds": _bench.median(opened)},
        {"what": "default key: stat every file", "seconds": _bench.median(mtime_key)},
        {"what": "GANZOO_VERIFY_IMAGES=1 key: hash every file", "seconds": _bench.median(content)},
    ]
    print(f"{args.images:,} images of {args.size} px: {mb:.1f} MB decoded; first decode {decode:.2f} s "
          f"({args.workers} workers); medians of {args.repeats}")
    for row, runs in zip(rows, (plain, checksum, opened, mtime_key, content)):
        row["spread"] = _bench.spread([1000 * r for r in runs])
        rate = f"{mb / max(row['seconds'], 1e-9):6.0f} MB/s" if "key" not in row["what"] else " " * 11
        print(f"  {row['what']:<48} {row['seconds'] * 1000:8.1f} ms ({row['spread']} ms)  {rate}  "
              f"{row['seconds'] / decode:6.1%} of the decode")
    print(f"  the CRC-32 costs {_bench.median(checksum) / max(_bench.median(plain), 1e-9):.2f}x a plain read of the same bytes")
    print(_bench.busy_note())
    _bench.write_summary(args.json, "cache_checksum", rows, images=args.images, size=args.size, decode_seconds=decode, mb=mb)
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
