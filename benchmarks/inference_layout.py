"""Inference memory order and tile size: contiguous vs channels-last, tile sizes, same input, same run.

``model.transform`` (``ganzoo sample WEIGHTS --input``, ``upscale``) of the shipped
``srresnet.photos-sr`` (4x) on one photograph (scikit-learn's ``china.jpg`` resized to
``--size``, 600x512 by default: the size a user measured at 5 min 28 s before) under each
setting: channels-last at every tile size of ``--tiles``, and contiguous at the default tile
(256 for 4x) and at 512 (ganzoo's setting before this benchmark: contiguous, 512-pixel tiles: the
baseline). Then ``model.sample`` of DCGAN (64 px RGB, 32 px grey) contiguous vs
channels-last. One process, the same nets; an untimed call first, then rounds in which every
setting runs once, the order rotated every round; the figure is the median over
rounds and every ratio is to the baseline measured in the same rounds.

    python benchmarks/inference_layout.py [--quick] [--repeats 2] [--size 600x512] [--tiles 192 256 384 512]
        [--threads 1] [--json PATH] [--save]

About 3 minutes on 2 busy CPU cores; ``--quick`` (tiles 256 and 512, one round) about one at
load 2 (3.5 at load 8). ``--save`` writes ``benchmarks/results/inference_layout.json`` and prints
the README's sentence for it (:func:`readme_text`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

BASELINE = ("contiguous", 512)


def photograph(width: int, height: int) -> "object":
    """scikit-learn's china.jpg at ``width`` x ``height`` as a PIL image (installed offline)."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    return Image.fromarray(load_sample_image("china.jpg")).resize((width, height), Image.BICUBIC)


def rounds(settings: dict, repeats: int, warm_up: bool = True) -> dict:
    """Seconds per call of each setting: one untimed call each (``warm_up``), then ``repeats``
    rounds in rotated order."""
    for run in settings.values() if warm_up else ():
        run()
    times: dict = {name: [] for name in settings}
    names = list(settings)
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            settings[name]()
            times[name].append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiles 256 and 512 only, one round")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 2; --quick 1)")
    parser.add_argument("--size", default="600x512", help="input WIDTHxHEIGHT (default 600x512)")
    parser.add_argument("--tiles", type=int, nargs="+", default=None,
                        help="tile sides to try, in input pixels (default 192 256 384 512; --quick 256 512)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, ...")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (run_all.py reads it)")
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/inference_layout.json for the README")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 2)
    tiles = args.tiles or ([256, 512] if args.quick else [192, 256, 384, 512])
    width, height = (int(v) for v in args.size.split("x"))

    import torch

    import ganzoo

    torch.set_num_threads(args.threads)
    model = ganzoo.load("srresnet.photos-sr", device=args.device)
    image = model.input_tensor(photograph(width, height))
    default_tile = model.default_tile()
    print(f"model.transform (srresnet.photos-sr, 4x) on a {width}x{height} photograph, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), device {args.device}, median of {repeats} rotated round(s); "
          f"ganzoo's default tile here: {default_tile}")
    print(_bench.machine_line() + "\n")

    def transform(order: str, tile: int):
        def run() -> None:
            model.channels_last = order == "channels-last"
            model.transform(image, tile=tile)
        return run

    settings = {("channels-last", t): transform("channels-last", t) for t in tiles}
    settings.update({("contiguous", t): transform("contiguous", t) for t in sorted({default_tile, BASELINE[1]})})
    model.transform(image[:, :64, :64])  # one small untimed call: the calls below take seconds each
    load_before = os.getloadavg()[0]
    times = rounds(settings, repeats, warm_up=False)
    base = _bench.median(times[BASELINE]) if BASELINE in times else float("nan")
    header = f"{'order':<14} {'tile':>5} {'seconds':>8} {'spread':>11} {'vs contiguous 512':>18}"
    print(header + "\n" + "-" * len(header))
    rows = []
    for (order, tile), values in sorted(times.items(), key=lambda item: _bench.median(item[1])):
        seconds = _bench.median(values)
        mark = "  <- default" if (order, tile) == ("channels-last", default_tile) else ""
        print(f"{order:<14} {tile:>5} {seconds:>8.2f} {_bench.spread(values):>11} {base / seconds:>17.2f}x{mark}")
        rows.append({"name": f"upscale {width}x{height} {order} tile {tile}", "unit": "s", "value": seconds,
                     "baseline": base, "ratio": seconds / base, "order": order, "tile": tile})

    print(f"\nmodel.sample, channels-last vs contiguous (same nets, same seed), load average {_bench.load_average()}")
    for name, size, channels, n in (("dcgan-64", 64, 3, 128), ("digits-32", 32, 1, 512)):
        torch.manual_seed(0)
        net = ganzoo.create("dcgan", image_size=size, channels=channels).to(args.device).eval()

        def sample(order: str, net=net, n=n):
            def run() -> None:
                net.channels_last = order == "channels-last"
                net.sample(n, seed=0, batch_size=64)
            return run

        times = rounds({order: sample(order) for order in ("contiguous", "channels-last")}, max(repeats, 3))
        fast, slow = _bench.median(times["channels-last"]), _bench.median(times["contiguous"])
        print(f"  {name:<10} channels-last {n / fast:7.1f} img/s, contiguous {n / slow:7.1f} img/s: {slow / fast:.2f}x")
        rows.append({"name": f"sample {name} channels-last", "unit": "img/s", "value": n / fast, "baseline": n / slow,
                     "ratio": slow / fast})
    note = _bench.busy_note()
    if note:
        print(note)
    facts = {"torch": torch.__version__, "load": _bench.load_average(), "loads": [load_before, os.getloadavg()[0]],
             "threads": torch.get_num_threads(), "size": [width, height], "default_tile": default_tile,
             "repeats": repeats, "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()}
    _bench.write_summary(args.json, "inference_layout", rows, **facts)
    if args.save:
        _bench.save_result("inference_layout", {"rows": rows, **facts}, readme_text({"rows": rows, **facts}))
    return 0


def readme_text(record: dict[str, Any]) -> str:
    """The README's sentence for a saved measurement: the default against the settings before."""
    (width, height), tile = record["size"], record["default_tile"]
    by_setting = {(row["order"], row["tile"]): row for row in record["rows"] if "order" in row}
    new, old = by_setting[("channels-last", tile)], by_setting[BASELINE]
    return (f"upscaling a {width}x{height} photograph 4x with `srresnet.photos-sr` took {new['value']:.0f} s "
            f"channels-last in {tile}-pixel tiles against {old['value']:.0f} s contiguous in {BASELINE[1]}-pixel tiles "
            f"(the settings before: {old['value'] / new['value']:.2f}x; {record['threads']} thread, load "
            f"{min(record['loads']):.1f}-{max(record['loads']):.1f} on {record['cpus']} cores, {record['date']})")


if __name__ == "__main__":
    sys.exit(main())
