"""Does a long run leak? Resident memory of one process over 2,000 real training steps.

Trains ganzoo's ``dcgan`` on the built-in ``digits`` (32x32 grey) with batch 16 (small, so
2,000 steps take a few CPU minutes) through the real loop, ``Trainer.fit``, with its
default logging (every 10 steps), sample grids and checkpoints (every 250 steps), so those
paths are exercised too. A subclass of the trainer reads the resident set size when the
loop has finished a step (samples and checkpoints included): at the warm-up step (300, just
after the first sample grid and checkpoint, so first-use costs are not counted as growth),
every 250 steps and at the end; a background thread reads it every second as well, for the
peak. Growth is measured from the warm-up reading to the end, and a least-squares trend
over the readings after warm-up is shown beside it.

PASS when the growth is below 20 MiB or below 5 % of the warm-up reading (whichever is
larger): allocator caches settle in the first hundred steps; a leak of even one batch per
step (16 x 1 x 32 x 32 floats, 64 KiB) would add 125 MiB over 2,000 steps. The baseline
is this process's own warm-up reading. The script exits 0 either way; the verdict is printed.

    python benchmarks/memory_growth.py [--quick] [--steps 2000] [--warmup 300] [--every 250] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

LIMIT_MIB = 20.0
LIMIT_FRACTION = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 steps, samples and checkpoints every 100, warm-up 150")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 2000; --quick 500)")
    parser.add_argument("--every", type=int, default=None,
                        help="steps between sample grids, checkpoints and readings (default 250, the trainer's; --quick 100)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="the step whose reading is the baseline (default: --every + 50)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--device", default="auto", help="auto (as ganzoo picks), cpu, cuda, ...")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (run_all.py reads it)")
    args = parser.parse_args()
    steps = args.steps or (500 if args.quick else 2000)
    every = args.every or (100 if args.quick else 250)
    warmup = args.warmup or every + 50
    if not 0 < warmup < steps:
        print(f"memory_growth: error: --warmup must be between 1 and --steps - 1 ({steps - 1})", file=sys.stderr)
        return 2

    import torch

    from ganzoo.core.config import resolve_config
    from ganzoo.errors import GanzooError
    from ganzoo.plugin.discovery import get_registry
    from ganzoo.training.trainer import Trainer

    torch.set_num_threads(args.threads)
    marks: list[tuple[int, float]] = []

    class ProbedTrainer(Trainer):
        """The real trainer; it only reads the RSS after the steps of interest."""

        def train_step(self):  # type: ignore[no-untyped-def]
            # read before the next step: the loop has finished the last one, its sample grid and checkpoint too
            if self.step == warmup or (self.step and self.step % every == 0):
                marks.append((self.step, _bench.rss_mib()))
            return super().train_step()

    samples: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(1.0):
            samples.append(_bench.rss_mib())

    try:
        config = resolve_config(get_registry(), "dcgan", {"dataset": "digits", "batch_size": args.batch_size, "steps": steps,
                                                          "device": args.device, "sample_every": every,
                                                          "checkpoint_every": every})
        with tempfile.TemporaryDirectory(prefix="ganzoo-memory-") as tmp:
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            started = time.perf_counter()
            trainer = ProbedTrainer(config, Path(tmp) / "run", progress=False)
            trainer.fit()
            marks.append((steps, _bench.rss_mib()))  # trainer still alive: after the last step, checkpoint and weights
            seconds = time.perf_counter() - started
            stop.set()
            watcher.join()
    except GanzooError as exc:
        print(f"memory_growth: error: {exc}", file=sys.stderr)
        return 2

    base = dict(marks)[warmup]
    end = marks[-1][1]
    growth = end - base
    limit = max(LIMIT_MIB, LIMIT_FRACTION * base)
    after = [(s, m) for s, m in marks if s >= warmup]
    slope = 0.0
    if len(after) > 1:  # least-squares MiB per 1,000 steps over the readings after warm-up
        xs, ys = [s for s, _ in after], [m for _, m in after]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = 1000 * sum((x - mx) * (y - my) for x, y in after) / max(sum((x - mx) ** 2 for x in xs), 1e-9)
    verdict = "PASS" if growth < limit else "FAIL"

    print(f"memory growth over {steps} training steps: dcgan on digits 32x32x1, batch {args.batch_size}, "
          f"Trainer.fit (log every 10, samples and checkpoints every {every} steps)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {_bench.machine_line()}; {seconds:.0f} s; "
          f"RSS = {_bench.rss_source()}\n")
    print(f"{'step':>6} {'RSS MiB':>8} {'vs warm-up':>10}")
    for step, mib in marks:
        print(f"{step:>6} {mib:>8.1f} {mib - base:>+10.1f}" + ("   <- baseline (warm-up)" if step == warmup else ""))
    peak = max(samples + [m for _, m in marks])
    print(f"\ngrowth from step {warmup} to {steps}: {growth:+.1f} MiB ({growth / base:+.1%}); trend {slope:+.2f} MiB "
          f"per 1,000 steps; peak {peak:.1f} MiB (read every second), ru_maxrss {_bench.peak_rss_mib():.1f} MiB")
    print(f"{verdict}: growth {'<' if verdict == 'PASS' else '>='} {limit:.1f} MiB "
          f"(the larger of {LIMIT_MIB:.0f} MiB and {LIMIT_FRACTION:.0%} of the warm-up reading)")
    _bench.write_summary(args.json, "memory_growth", [{
        "name": f"memory growth {steps} steps", "unit": "MiB", "value": growth, "baseline": base, "ratio": end / base,
        "peak_rss_mib": peak, "verdict": verdict, "limit_mib": limit}])
    return 0


if __name__ == "__main__":
    sys.exit(main())
