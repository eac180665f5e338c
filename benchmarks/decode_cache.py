"""The decoded-image cache against a DataLoader + PIL loop, on a folder of generated PNGs.

Makes (once, reused with ``--folder``) a folder of ``--images`` 128x128 RGB PNGs (smooth random
colour fields with noise: PNGs that do not compress to nothing), then measures, each in a fresh
process so that one's memory never counts for the other:

- baseline: a ``torch.utils.data.DataLoader`` (``--workers`` processes, batch 64, shuffled) over
  a Dataset that opens each PNG with PIL; its first epoch (decode time), then its steady
  images/s (it decodes every epoch: the steady rate is the decode rate);
- ganzoo: ``read_image_folder`` exactly as ``--dataset folder:PATH`` calls it, with an empty
  ``$GANZOO_HOME`` (the first decode, into the cache, by the same number of worker processes),
  again in a new process (the reuse), then ``BatchStream`` (what the trainer draws batches from)
  for its steady images/s; its peak memory.

Memory of the ganzoo process is reported two ways: peak RSS (``VmHWM``), which counts the
mapped cache's pages the process touched (file-backed pages of the page cache: shared with
other processes and dropped by the kernel under pressure, not memory the run holds), and peak
anonymous memory (``RssAnon``, sampled every 20 ms): what the run really holds. The decode
workers are separate processes; their peak (``ru_maxrss`` of the children) is shown too.

Rates are medians of ``--repeats`` rounds, and the figure is printed beside the baseline
measured in the same run, with their ratio. ``--train-steps N`` also runs the real CLI
(``ganzoo run dcgan --dataset folder:PATH --image-size 128 --steps N``) and reports its peak RSS,
beside the same run on 512 of the same images held in memory: the model, its activations and
torch are in both, so the difference is what the dataset costs.

    python benchmarks/decode_cache.py [--images 50000] [--workers 2] [--repeats 3] [--in-memory-mb MB]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

SIZE = 128


def make_folder(folder: Path, count: int) -> None:
    """``count`` 128x128 RGB PNGs (made once: the folder is kept and reused if it has them)."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    have = len(list(folder.glob("*.png")))
    if have >= count:
        return
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 1, SIZE, dtype=np.float32)
    for i in range(have, count):
        a, b, c = rng.random((3, 3), dtype=np.float32)
        field = (a[:, None, None] * ramp[None, :, None] + b[:, None, None] * ramp[None, None, :] + c[:, None, None]) * 85
        noise = rng.integers(0, 24, (3, SIZE, SIZE))
        pixels = np.clip(field + noise, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        Image.fromarray(pixels).save(folder / f"{i:06d}.png")


# Each measurement runs in its own process: the code below is that process's script.
BASELINE = """
import json, statistics, sys, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
folder, workers, batches, repeats = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
files = sorted(folder.glob("*.png"))[: int(sys.argv[5])]
class Pngs(Dataset):
    def __len__(self): return len(files)
    def __getitem__(self, i):
        with Image.open(files[i]) as img:
            return torch.from_numpy(np.asarray(img.convert("RGB"))).permute(2, 0, 1)
torch.manual_seed(0)
loader = DataLoader(Pngs(), batch_size=64, shuffle=True, num_workers=workers, drop_last=True, persistent_workers=workers > 0)
start = time.perf_counter()
for batch in loader:
    x = batch.float().div_(127.5).sub_(1)
first = time.perf_counter() - start
rates = []
for _ in range(repeats):
    it, done, start = iter(loader), 0, time.perf_counter()
    for _, batch in zip(range(batches), it):
        x = batch.float().div_(127.5).sub_(1); done += len(batch)
    rates.append(done / (time.perf_counter() - start))
    del it
print(json.dumps({"first_epoch_s": first, "steady": statistics.median(rates)}))
"""

GANZOO = """
import json, resource, statistics, sys, threading, time
import torch
peak_anon = [0]
def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"): return int(line.split()[1]) * 1024
def sample():
    while True:
        peak_anon[0] = max(peak_anon[0], anon()); time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
from ganzoo.core.device import select_device
from ganzoo.data import BatchStream, read_image_folder
folder, batches, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
data = read_image_folder(folder, 128)
build = time.perf_counter() - start
device = select_device("auto")
stream = BatchStream(data, 64, device, seed=0)
rates = []
for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(batches):
        real, _ = next(stream)
    if device.type == "cuda": torch.cuda.synchronize()
    rates.append(batches * 64 / (time.perf_counter() - start))
status = {l.split(":")[0]: int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith(("VmHWM", "RssAnon", "RssFile", "VmRSS"))}
cache_rss, current = 0, ""
for line in open("/proc/self/smaps"):
    first = line.split()
    if first and "-" in first[0] and len(first) >= 5:
        current = first[-1] if len(first) >= 6 else ""
    elif line.startswith("Rss:") and current.endswith(".gzc"):
        cache_rss += int(first[1]) * 1024
print(json.dumps({"decode_s": build, "mapped": data.mapped, "examples": len(data), "decoded_bytes": data.images.numel(),
                  "steady": statistics.median(rates), "peak_rss": status["VmHWM"], "rss": status["VmRSS"],
                  "rss_file": status["RssFile"], "cache_rss": cache_rss, "rss_anon": status["RssAnon"], "peak_anon": max(peak_anon[0], anon()),
                  "workers_peak_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
                  "device": str(device)}))
"""


def measure(script: str, *args: object, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **env})
    if proc.returncode:
        raise SystemExit(f"measurement failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_peak_rss(source: Path, steps: int, out: Path, env: dict[str, str]) -> tuple[float, str, float, str]:
    """``ganzoo run dcgan`` on ``source`` at 128 px: its peak RSS in MiB, exit code, seconds, stderr.
    A wrapper process whose only child is the run: its children's ``ru_maxrss`` is the run's peak."""
    wrapper = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")
    cmd = [sys.executable, "-c", wrapper, sys.executable, "-m", "ganzoo", "--threads", "1", "run", "dcgan", "--dataset",
           f"folder:{source}", "--image-size", "128", "--steps", str(steps), "--no-progress", "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    took = time.perf_counter() - started
    peak_kib, code = proc.stdout.split()[-2:]
    return int(peak_kib) / 1024, code, took, proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=50_000, help="PNGs in the folder (default 50,000: 2.4 GB decoded)")
    parser.add_argument("--folder", default=None, help="where the PNGs are made or reused (default: a folder in the temp dir)")
    parser.add_argument("--workers", type=int, default=_bench.os.cpu_count() or 1,
                        help="decode processes, for both (default: the CPU count)")
    parser.add_argument("--batches", type=int, default=100, help="batches per steady-rate round (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="steady-rate rounds; the median is shown (default 3)")
    parser.add_argument("--in-memory-mb", type=float, default=None,
                        help="GANZOO_IN_MEMORY_MB for ganzoo (default: ganzoo's own, 1024; 0 forces the cache)")
    parser.add_argument("--train-steps", type=int, default=0, help="also `ganzoo run dcgan` for N steps; its peak RSS")
    parser.add_argument("--json", default=None, help="write the headline figures here (run_all.py's summary)")
    args = parser.parse_args()

    folder = Path(args.folder or Path(tempfile.gettempdir()) / f"ganzoo-bench-pngs-{args.images}")
    started = time.perf_counter()
    make_folder(folder, args.images)
    print(f"{_bench.machine_line()}\nfolder: {folder} ({args.images:,} PNGs of {SIZE}x{SIZE}, made or checked in "
          f"{time.perf_counter() - started:.0f} s); {args.workers} worker process(es) each side")
    print(_bench.busy_note())
    home = Path(tempfile.mkdtemp(prefix="ganzoo-bench-home-"))
    env = {"GANZOO_HOME": str(home), "GANZOO_DECODE_WORKERS": str(args.workers), "OMP_NUM_THREADS": "1"}
    if args.in_memory_mb is not None:
        env["GANZOO_IN_MEMORY_MB"] = str(args.in_memory_mb)

    base = measure(BASELINE, folder, args.workers, args.batches, args.repeats, args.images, env=env)
    first = measure(GANZOO, folder, args.batches, args.repeats, env=env)
    again = measure(GANZOO, folder, args.batches, args.repeats, env=env)
    mib, gb = _bench.MIB, 1e9
    path = "the disk cache, mapped" if first["mapped"] else "in memory (under GANZOO_IN_MEMORY_MB)"
    print(f"\nganzoo decoded {first['examples']:,} images ({first['decoded_bytes'] / gb:.2f} GB decoded) {path}; "
          f"device {first['device']}")
    print(f"{'':34}{'ganzoo':>12}{'DataLoader+PIL':>16}{'ratio':>9}")
    print(f"{'first decode / first epoch (s)':34}{first['decode_s']:12.1f}{base['first_epoch_s']:16.1f}"
          f"{base['first_epoch_s'] / first['decode_s']:8.2f}x")
    print(f"{'second run: ready in (s)':34}{again['decode_s']:12.2f}{base['first_epoch_s']:16.1f}"
          f"{base['first_epoch_s'] / again['decode_s']:8.0f}x")
    print(f"{'steady images/s (median)':34}{again['steady']:12,.0f}{base['steady']:16,.0f}"
          f"{again['steady'] / base['steady']:8.1f}x")
    for label, run in (("first run (decodes)", first), ("second run (reuses)", again)):
        print(f"ganzoo {label}: peak RSS {run['peak_rss'] / mib:,.0f} MiB; at the end {run['rss'] / mib:,.0f} MiB, of "
              f"which file-backed {run['rss_file'] / mib:,.0f} MiB (the cache file's pages {run['cache_rss'] / mib:,.0f} "
              f"MiB, the rest torch's libraries); peak anonymous {run['peak_anon'] / mib:,.0f} MiB")
    print(f"decode workers (first run): peak RSS of the largest {first['workers_peak_rss'] / mib:,.0f} MiB")
    target = 1.5 * 1024
    verdict = "PASS" if again["peak_rss"] / mib < target and first["peak_rss"] / mib < target else "FAIL"
    print(f"target: peak RSS under 1.5 GiB while the decoded data is {first['decoded_bytes'] / gb:.2f} GB: {verdict}")
    rows = [{"figure": "first decode s", "ganzoo": first["decode_s"], "baseline": base["first_epoch_s"]},
            {"figure": "steady images/s", "ganzoo": again["steady"], "baseline": base["steady"]},
            {"figure": "peak RSS MiB", "ganzoo": max(first["peak_rss"], again["peak_rss"]) / mib, "baseline": None}]
    if args.train_steps:
        # The baseline: the same run on 512 of the same images, which sit in memory. What the
        # model, its activations and torch take is in both; the difference is the data's.
        small = folder.parent / f"{folder.name}-first512"
        small.mkdir(exist_ok=True)
        for path in sorted(folder.glob("*.png"))[:512]:
            if not (small / path.name).exists():
                (small / path.name).symlink_to(path)
        peaks = {}
        for label, source in (("the 512-image folder, in memory", small), ("the whole folder, cache built", folder)):
            peaks[label], code, took, stderr = run_peak_rss(source, args.train_steps, home / f"run-{len(peaks)}", env)
            print(f"`ganzoo run dcgan --dataset folder:PATH --image-size 128 --steps {args.train_steps}` on {label}: "
                  f"exit {code} in {took:.0f} s; its peak RSS {peaks[label]:,.0f} MiB")
            if code != "0":
                print(stderr[-2000:])
        whole, few = peaks["the whole folder, cache built"], peaks["the 512-image folder, in memory"]
        print(f"the {first['decoded_bytes'] / gb:.2f} GB of decoded data add {whole - few:,.0f} MiB to the run's peak RSS")
        rows.append({"figure": "ganzoo run peak RSS MiB", "ganzoo": whole, "baseline": few})
    _bench.write_summary(args.json, "decode_cache", rows, images=args.images, workers=args.workers)
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
