"""Generation throughput of ``model.sample(n)`` next to a bare ``generator(z)`` loop.

The baseline is what a user would write without ganzoo: the same generator in eval mode,
``torch.no_grad()``, ``generator(torch.randn(batch, nz))`` batch by batch. ``model.sample``
adds its own noise generator, label handling, chunking and a final ``clamp_``; this shows
what that costs. Both run in this process on the same nets and the same batch size,
alternating (one of each per round, the order swapped every round), after one untimed call
each; the figure is the median over rounds.

    python benchmarks/sample_throughput.py [--quick] [--repeats 7] [--threads 1] [--device auto]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

#: name -> (model, image size, channels, images per call, batch size); batch = the chunk both sides use
CASES = {
    "dcgan-64": ("dcgan", 64, 3, 128, 64),
    "digits-32": ("dcgan", 32, 1, 512, 256),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 7; --quick 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--device", default="auto", help="auto (as ganzoo picks), cpu, cuda, ...")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (run_all.py reads it)")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)

    import torch

    import ganzoo
    from ganzoo.core.device import select_device
    from ganzoo.errors import GanzooError

    torch.set_num_threads(args.threads)
    try:
        device = select_device(args.device)
    except GanzooError as exc:
        print(f"sample_throughput: error: {exc}", file=sys.stderr)
        return 2
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    print(f"model.sample(n) vs a bare generator(z) loop: torch {torch.__version__}, device {device}, "
          f"{torch.get_num_threads()} thread(s), median of {repeats} alternating rounds")
    print(_bench.machine_line() + "\n")
    header = f"{'case':<10} {'n':>5} {'batch':>5} {'sample img/s':>12} {'bare img/s':>10} {'sample/bare':>11} {'spread s | b':>19}"
    print(header)
    print("-" * len(header))
    rows = []
    for name, (model_name, size, channels, n, batch) in CASES.items():
        torch.manual_seed(0)
        model = ganzoo.create(model_name, image_size=size, channels=channels).to(device).eval()
        generator, nz = model.generator, int(model.card.config["nz"])

        def with_sample() -> None:
            model.sample(n, seed=0, batch_size=batch)

        def bare() -> None:
            with torch.no_grad():
                for start in range(0, n, batch):
                    generator(torch.randn(min(batch, n - start), nz, device=device))

        def rate(fn) -> float:
            sync()
            start = time.perf_counter()
            fn()
            sync()
            return n / (time.perf_counter() - start)

        rates: dict[str, list[float]] = {"sample": [], "bare": []}
        rate(with_sample), rate(bare)  # warm-up
        for r in range(repeats):
            for side, fn in (("sample", with_sample), ("bare", bare))[:: 1 if r % 2 == 0 else -1]:
                rates[side].append(rate(fn))
        s, b = _bench.median(rates["sample"]), _bench.median(rates["bare"])
        spread = f"{_bench.spread(rates['sample'])} | {_bench.spread(rates['bare'])}"
        print(f"{name:<10} {n:>5} {batch:>5} {s:>12.1f} {b:>10.1f} {s / b:>10.2f}x {spread:>19}")
        rows.append({"name": f"sample {name}", "unit": "img/s", "value": s, "baseline": b, "ratio": s / b})
    print(f"\nsample/bare near 1.00x means model.sample adds nothing measurable; peak RSS of this process "
          f"{_bench.peak_rss_mib():.0f} MiB")
    note = _bench.busy_note()
    if note:
        print(note)
    _bench.write_summary(args.json, "sample_throughput", rows, torch=torch.__version__, device=str(device),
                         peak_rss_mib=_bench.peak_rss_mib())
    return 0


if __name__ == "__main__":
    sys.exit(main())
