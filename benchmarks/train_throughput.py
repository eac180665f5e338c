"""Training throughput of ganzoo's trainer next to a plain PyTorch loop on the same nets and data.

The baseline is written here the way pytorch/examples' ``dcgan/main.py`` writes its loop:
torchvision ``ImageFolder`` with ``Resize``/``CenterCrop``/``ToTensor``/``Normalize`` behind a
``DataLoader(shuffle=True, num_workers=W)``, ``Adam(2e-4, (0.5, 0.999))``, ``BCELoss`` on the
sigmoid of the discriminator, a discriminator step on real then fake, a generator step, and
the ``.item()`` calls its per-iteration log line makes. The WGAN-GP baseline is the usual
hand-written loop (Adam(1e-4, (0, 0.9)), 5 critic steps, the penalty through
``autograd.grad(create_graph=True)``). Both sides get the nets ``ganzoo.create`` builds, so the
parameter counts match (checked and printed).

Cases:

- ``dcgan-folder-64``: DCGAN 64x64 RGB, batch 64, on a folder of 2,048 PNG crops of
  scikit-learn's two sample photos (written once, cached); ganzoo reads it as ``folder:PATH``
  (decoded once into memory), the baseline through ``ImageFolder`` + ``DataLoader`` workers.
- ``digits-32``: DCGAN on ganzoo's ``digits`` (32x32 grey, batch 64); the baseline iterates a
  ``TensorDataset`` of the same 1,797 images through a ``DataLoader`` (no workers), since a
  1.8 MB dataset that scikit-learn hands over as an array is kept in memory by any plain
  loop; this case isolates the loop itself from image decoding.
- ``wgan-gp``: ganzoo's ``wgan-gp`` (half-width nets, layer-norm critic, batch 32, 5 critic
  steps) on the digits against the hand-written loop; images/s counts critic images
  (batch x 5 per generator step), on both sides.

Every measurement is a fresh subprocess (so peak memory is per run). ganzoo runs its real
loop, ``Trainer.fit`` (a subclass only reads the clocks when a generator step starts; samples
and checkpoints are pushed past the last window, as the baseline saves none); the baseline
reads the same clocks every ``window`` steps. Each window gives images per second by the wall
clock and per CPU second (the process's threads plus its DataLoader workers: steadier than
the wall clock on a shared machine). The first window is warm-up and dropped; a run's figure
is the median of its windows, the table shows the median over repeats. Runs alternate
ganzoo/plain, swapping the order every repeat, so a change in machine load hits both alike.

    python benchmarks/train_throughput.py [--quick] [--cases digits-32 wgan-gp] [--repeats 3]
        [--steps N] [--threads 1] [--device auto] [--workers 2]
        [--ganzoo-args channels_last=false precision=bf16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

RESULT_PREFIX = "RESULT "
FOLDER_IMAGES = 2048


@dataclass(frozen=True)
class Case:
    name: str
    model: str
    data: str  # "photos64" (the PNG folder) or "digits"
    image_size: int
    channels: int
    batch: int
    loop: str  # "dcgan" or "wgan-gp"
    n_critic: int
    window: int  # generator steps per timing window
    windows: int  # measured windows (one more runs first as warm-up)
    quick_window: int
    quick_windows: int
    baseline_data: str


CASES = {
    c.name: c
    for c in (
        Case("dcgan-folder-64", "dcgan", "photos64", 64, 3, 64, "dcgan", 1, 2, 3, 1, 2,
             "ImageFolder of PNGs + Resize/CenterCrop/ToTensor/Normalize, DataLoader(num_workers=W)"),
        Case("digits-32", "dcgan", "digits", 32, 1, 64, "dcgan", 1, 6, 4, 5, 3,
             "TensorDataset of the same uint8->[-1,1] images, DataLoader(num_workers=0, drop_last)"),
        Case("wgan-gp", "wgan-gp", "digits", 32, 1, 32, "wgan-gp", 5, 3, 4, 2, 3,
             "TensorDataset of the same images, DataLoader(num_workers=0, drop_last), fresh z per step"),
    )
}


# ---------------------------------------------------------------------------------- data
def photo_folder(root: Path, count: int = FOLDER_IMAGES, size: int = 64, seed: int = 0) -> Path:
    """``count`` random ``size`` x ``size`` crops of scikit-learn's two sample photos as PNGs
    under ``root/photos/`` (the class subfolder ``ImageFolder`` needs); written once."""
    folder = root / f"photos{size}-{count}"
    done = folder / "complete"
    if done.is_file():
        return folder
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    rng = np.random.default_rng(seed)
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        photo = photos[i % len(photos)]
        top = int(rng.integers(0, photo.shape[0] - size + 1))
        left = int(rng.integers(0, photo.shape[1] - size + 1))
        Image.fromarray(photo[top : top + size, left : left + size]).save(folder / "photos" / f"{i:05d}.png")
    done.write_text(str(count), encoding="ascii")
    return folder


# ---------------------------------------------------------------------------------- worker side
class Windows:
    """Images per second over consecutive windows of ``size`` steps, by the wall clock and by
    CPU time (this process's threads plus its live children, i.e. DataLoader workers)."""

    def __init__(self, size: int, sync: Any) -> None:
        self.size, self.sync = size, sync
        self.rates: list[float] = []
        self.cpu_rates: list[float] = []
        self.children_mib = 0.0  # DataLoader workers' peak RSS, read at each window's end
        self.steps = self.images = 0
        self.sync()
        self.start, self.cpu_start = time.perf_counter(), self.cpu()

    @staticmethod
    def cpu() -> float:
        return time.process_time() + _bench.children_cpu_seconds()

    def tick(self, images: int) -> None:
        """One step of ``images`` done (the baseline calls it after each step)."""
        self.steps += 1
        self.images += images
        if self.steps % self.size == 0:
            self.boundary(self.images)

    def boundary(self, images: int) -> None:
        """A window of ``images`` ends here."""
        self.sync()
        now, cpu = time.perf_counter(), self.cpu()
        self.rates.append(images / (now - self.start))
        self.cpu_rates.append(images / max(cpu - self.cpu_start, 1e-9))
        self.children_mib = max(self.children_mib, _bench.children_peak_rss_mib())
        self.images, self.start, self.cpu_start = 0, time.perf_counter(), self.cpu()  # /proc reads stay outside


def _plain_dcgan(G: Any, D: Any, loader: Any, total: int, window: int, device: Any, nz: int, sync: Any) -> Windows:
    import torch
    from torch import nn, optim

    criterion = nn.BCELoss()
    optimizerD = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_label, fake_label = 1.0, 0.0
    clock, step, epoch = Windows(window, sync), 0, 0
    while step < total:
        for i, data in enumerate(loader):
            # (1) discriminator: maximise log(D(x)) + log(1 - D(G(z)))
            D.zero_grad()
            real = data[0].to(device)
            batch_size = real.size(0)
            label = torch.full((batch_size,), real_label, dtype=real.dtype, device=device)
            output = torch.sigmoid(D(real))  # ganzoo's D returns logits; the example's ends in Sigmoid
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.randn(batch_size, nz, 1, 1, device=device)
            fake = G(noise)
            label.fill_(fake_label)
            output = torch.sigmoid(D(fake.detach()))
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()
            # (2) generator: maximise log(D(G(z)))
            G.zero_grad()
            label.fill_(real_label)
            output = torch.sigmoid(D(fake))
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()
            # the example prints this line every iteration; formatting it keeps its .item() syncs
            _ = "[%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f" % (
                epoch, i, len(loader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)
            step += 1
            clock.tick(batch_size)
            if step >= total:
                break
        epoch += 1
    return clock


def _plain_wgan_gp(G: Any, D: Any, loader: Any, total: int, window: int, device: Any, nz: int, n_critic: int,
                   sync: Any) -> Windows:
    import torch
    from torch import optim

    optimizerD = optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
    optimizerG = optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
    gp_weight = 10.0

    def batches() -> Any:
        while True:
            for data in loader:
                yield data[0]

    stream = batches()
    clock = Windows(window, sync)
    for _ in range(total):
        for p in D.parameters():  # the critic learns again after the generator step froze it
            p.requires_grad_(True)
        images = 0
        for _ in range(n_critic):
            real = next(stream).to(device)
            batch_size = real.size(0)
            D.zero_grad()
            with torch.no_grad():
                fake = G(torch.randn(batch_size, nz, device=device))
            d_real = D(real).mean()
            d_fake = D(fake).mean()
            alpha = torch.rand(batch_size, 1, 1, 1, device=device)
            interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            scores = D(interpolates)
            (gradients,) = torch.autograd.grad(scores, interpolates, grad_outputs=torch.ones_like(scores), create_graph=True)
            penalty = gp_weight * ((gradients.view(batch_size, -1).norm(2, dim=1) - 1) ** 2).mean()
            d_cost = d_fake - d_real + penalty
            d_cost.backward()
            optimizerD.step()
            images += batch_size
        wasserstein = d_real - d_fake
        for p in D.parameters():  # no critic weight gradients in the generator step
            p.requires_grad_(False)
        G.zero_grad()
        g_cost = -D(G(torch.randn(batch_size, nz, device=device))).mean()
        g_cost.backward()
        optimizerG.step()
        _ = f"D {d_cost.item():.4f}  G {g_cost.item():.4f}  W {wasserstein.item():.4f}"  # the usual log line
        clock.tick(images)
    return clock


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(spec["threads"])
    case = CASES[spec["case"]]
    device = torch.device(spec["device"])
    total = spec["window"] * (spec["windows"] + 1)
    result: dict[str, Any] = {"impl": spec["impl"], "case": case.name, "threads": torch.get_num_threads(), "torch": torch.__version__}
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    if spec["impl"] == "ganzoo":
        from ganzoo.core.config import resolve_config
        from ganzoo.errors import GanzooError
        from ganzoo.core.model import count_parameters
        from ganzoo.plugin.discovery import get_registry
        from ganzoo.training.trainer import Trainer

        per_step = case.batch * case.n_critic
        clocks: list[Windows] = []

        class Timed(Trainer):
            """The real trainer and loop (``fit``); a window ends where a generator step starts."""

            def train_step(self):  # type: ignore[no-untyped-def]
                if not clocks:
                    clocks.append(Windows(spec["window"], sync))
                elif self.step % spec["window"] == 0:
                    clocks[0].boundary(spec["window"] * per_step)
                return super().train_step()

        dataset = f"folder:{spec['folder']}" if case.data == "photos64" else "digits"
        settings = {"dataset": dataset, "image_size": case.image_size, "batch_size": case.batch, "device": spec["device"],
                    "seed": spec["seed"], "steps": total + 1,  # the extra step closes the last window
                    "sample_every": 10**9, "checkpoint_every": 10**9,  # samples and checkpoints only after the last window
                    **spec["ganzoo_args"]}
        with tempfile.TemporaryDirectory(prefix="ganzoo-bench-") as tmp:
            try:
                trainer = Timed(resolve_config(get_registry(), case.model, settings), Path(tmp) / "run", progress=False)
                trainer.fit()
            except GanzooError as exc:
                return {**result, "error": str(exc)}
        clock = clocks[0]
        result["params"] = [count_parameters(trainer.generator), count_parameters(trainer.discriminator)]
    else:
        import ganzoo
        from ganzoo.core.model import count_parameters

        torch.manual_seed(spec["seed"])
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # as the example sets it
        model = ganzoo.create(case.model, image_size=case.image_size, channels=case.channels)
        G, D = model.generator.to(device), model.discriminator.to(device)
        result["params"] = [count_parameters(G), count_parameters(D)]
        if case.data == "photos64":
            import torchvision.datasets as dset
            import torchvision.transforms as transforms

            data = dset.ImageFolder(root=spec["folder"], transform=transforms.Compose([
                transforms.Resize(case.image_size),
                transforms.CenterCrop(case.image_size),
                transforms.ToTensor(),
                transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
            ]))
            loader = torch.utils.data.DataLoader(data, batch_size=case.batch, shuffle=True, num_workers=spec["workers"])
        else:
            from ganzoo.data.datasets import as_float, load_dataset
            from ganzoo.plugin.discovery import get_registry

            digits = load_dataset(get_registry(), "digits", case.image_size)
            data = torch.utils.data.TensorDataset(as_float(digits.images), digits.labels)
            loader = torch.utils.data.DataLoader(data, batch_size=case.batch, shuffle=True, num_workers=0, drop_last=True)
        nz = int(model.card.config["nz"])
        if case.loop == "dcgan":
            clock = _plain_dcgan(G, D, loader, total, spec["window"], device, nz, sync)
        else:
            clock = _plain_wgan_gp(G, D, loader, total, spec["window"], device, nz, case.n_critic, sync)
    result["rates"], result["cpu_rates"] = clock.rates[1:], clock.cpu_rates[1:]  # the first window is warm-up
    result["children_peak_rss_mib"] = clock.children_mib
    result["images_per_sec"] = _bench.median(result["rates"])
    result["images_per_cpu_sec"] = _bench.median(result["cpu_rates"])
    result["peak_rss_mib"] = _bench.peak_rss_mib()
    if device.type == "cuda":
        result["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / _bench.MIB
    return result


# ---------------------------------------------------------------------------------- parent side
def parse_value(text: str) -> Any:
    """``true`` -> True, ``3`` -> 3, ``1e-4`` -> 0.0001, JSON lists; anything else stays text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def ganzoo_overrides(pairs: list[str]) -> dict[str, Any] | None:
    """``["channels_last=false", "precision=bf16"]`` -> settings for ``ganzoo.train``; None if malformed."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            print(f"train_throughput: error: --ganzoo-args takes KEY=VALUE pairs, got {pair!r}", file=sys.stderr)
            return None
        overrides[key.strip().replace("-", "_")] = parse_value(value.strip())
    return overrides


def run_worker(spec: dict[str, Any], threads: int) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
    return {"impl": spec["impl"], "case": spec["case"], "error": f"worker exited {proc.returncode}:\n    " + "\n    ".join(tail)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short run per side (about 2 minutes on 2 busy CPU cores)")
    parser.add_argument("--cases", nargs="+", default=None, metavar="CASE", help=f"cases to run (default all: {', '.join(CASES)})")
    parser.add_argument("--repeats", type=int, default=None, help="runs of each side per case (default 3; --quick 1)")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="measured generator steps per run, split into the case's windows (default per case)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads in every run (default 1)")
    parser.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu, as ganzoo picks), cpu, cuda, ...")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the folder baseline (default 2, the example's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ganzoo-args", nargs="+", default=[], action="extend", metavar="KEY=VALUE",
                        help="extra ganzoo settings for the ganzoo side only, e.g. channels_last=false precision=bf16")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "ganzoo-bench"),
                        help="where the PNG folder is written once (default: $TMPDIR/ganzoo-bench)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (run_all.py reads it)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(RESULT_PREFIX + json.dumps(_worker(json.loads(args.worker))), flush=True)
        return 0

    names = [n for item in (args.cases or list(CASES)) for n in item.split(",") if n]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"train_throughput: error: unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    cases = [CASES[n] for n in names]
    repeats = args.repeats or (1 if args.quick else 3)
    overrides = ganzoo_overrides(args.ganzoo_args)
    if overrides is None:
        return 2

    import torch

    from ganzoo.core.config import resolve_config
    from ganzoo.core.device import select_device
    from ganzoo.errors import GanzooError
    from ganzoo.plugin.discovery import get_registry

    try:
        device = select_device(args.device)
        for case in cases:  # unknown or invalid --ganzoo-args fail here, before any run
            resolve_config(get_registry(), case.model, {"dataset": "digits", "image_size": case.image_size, **overrides})
    except GanzooError as exc:
        print(f"train_throughput: error: {exc}", file=sys.stderr)
        return 2
    folder = photo_folder(Path(args.data_dir)) if any(c.data == "photos64" for c in cases) else None

    load_before = _bench.load_average()
    started = time.perf_counter()
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    errors: list[str] = []
    sizes = {}  # case -> (steps per window, measured windows)
    for case in cases:
        windows = case.quick_windows if args.quick else case.windows
        sizes[case.name] = (max(1, args.steps // windows) if args.steps else (case.quick_window if args.quick else case.window), windows)
    for repeat in range(repeats):
        for case in cases:
            window, windows = sizes[case.name]
            order = ("ganzoo", "plain") if repeat % 2 == 0 else ("plain", "ganzoo")
            for impl in order:
                spec = {"impl": impl, "case": case.name, "device": str(device), "threads": args.threads, "window": window,
                        "windows": windows, "workers": args.workers, "folder": str(folder) if folder else "",
                        "seed": args.seed, "ganzoo_args": overrides if impl == "ganzoo" else {}}
                begun = time.perf_counter()
                result = run_worker(spec, args.threads)
                result["wall_s"] = time.perf_counter() - begun
                if "error" in result:
                    errors.append(f"{case.name} {impl}: {result['error']}")
                    if impl == "ganzoo" and not result["error"].startswith("worker exited"):
                        print(f"train_throughput: error: ganzoo refused the settings: {result['error']}", file=sys.stderr)
                        return 2
                else:
                    results.setdefault((case.name, impl), []).append(result)
                print(f"  [{time.perf_counter() - started:6.0f} s] repeat {repeat + 1}/{repeats} {case.name:<16} {impl:<6} "
                      + (f"{result['images_per_sec']:8.1f} img/s, {result['images_per_cpu_sec']:8.1f} img/CPU-s"
                         if "error" not in result else "ERROR") + f"  ({result['wall_s']:.0f} s)", file=sys.stderr, flush=True)

    print()
    print(f"ganzoo training throughput vs a plain PyTorch loop: torch {torch.__version__}, device {device}, "
          f"{args.threads} thread(s), {repeats} repeat(s) per side, {args.workers} DataLoader worker(s) for folders")
    print(f"{_bench.machine_line()} (before: {load_before}); {time.perf_counter() - started:.0f} s in all")
    if overrides:
        print(f"ganzoo side also runs with: {', '.join(f'{k}={v!r}' for k, v in overrides.items())}")
    cuda = device.type == "cuda"
    header = (f"{'case':<16} {'ganzoo img/s':>12} {'plain img/s':>11} {'ganzoo/plain':>12} {'spread g | p':>19} "
              f"{'per CPU-s g/p':>13} {'peak RSS MiB g | p(+workers)':>29}")
    if cuda:
        header += f" {'CUDA peak MiB g | p':>20}"
    print("\n" + header)
    print("-" * len(header))
    rows = []
    for case in cases:
        g, p = results.get((case.name, "ganzoo"), []), results.get((case.name, "plain"), [])
        if not g or not p:
            print(f"{case.name:<16} {'(failed: see errors below)':>40}")
            continue
        g_rate, p_rate = _bench.median([r["images_per_sec"] for r in g]), _bench.median([r["images_per_sec"] for r in p])
        g_rss, p_rss = max(r["peak_rss_mib"] for r in g), max(r["peak_rss_mib"] for r in p)
        p_children = max(r["children_peak_rss_mib"] for r in p)
        ratio = g_rate / p_rate
        cpu_ratio = _bench.median([r["images_per_cpu_sec"] for r in g]) / _bench.median([r["images_per_cpu_sec"] for r in p])
        spread = f"{_bench.spread([r['images_per_sec'] for r in g])} | {_bench.spread([r['images_per_sec'] for r in p])}"
        mem = f"{g_rss:.0f} | {p_rss:.0f}" + (f" (+{p_children:.0f})" if p_children > 1 else "")
        line = f"{case.name:<16} {g_rate:>12.1f} {p_rate:>11.1f} {ratio:>11.2f}x {spread:>19} {cpu_ratio:>12.2f}x {mem:>29}"
        row = {"name": f"train {case.name}", "unit": "img/s", "value": g_rate, "baseline": p_rate, "ratio": ratio, "cpu_ratio": cpu_ratio,
               "peak_rss_mib": g_rss, "baseline_peak_rss_mib": p_rss}
        if cuda:
            gc, pc = max(r.get("cuda_peak_mib", 0) for r in g), max(r.get("cuda_peak_mib", 0) for r in p)
            line += f" {f'{gc:.0f} | {pc:.0f}':>20}"
            row.update(cuda_peak_mib=gc, baseline_cuda_peak_mib=pc)
        print(line)
        rows.append(row)
    print()
    for case in cases:
        g, p = results.get((case.name, "ganzoo"), []), results.get((case.name, "plain"), [])
        if g and p:
            same = "same" if g[0]["params"] == p[0]["params"] else f"DIFFERENT (ganzoo {g[0]['params']}, plain {p[0]['params']})"
            print(f"{case.name}: {case.model} {case.image_size}x{case.image_size}x{case.channels}, batch {case.batch}"
                  f"{f' x {case.n_critic} critic steps' if case.n_critic > 1 else ''}; G/D parameters {g[0]['params'][0]:,}/"
                  f"{g[0]['params'][1]:,} ({same}); {sizes[case.name][1]} measured windows of {sizes[case.name][0]} "
                  f"generator steps after one warm-up window; baseline data: {case.baseline_data}")
    print("ganzoo/plain: ratio of the median img/s (wall clock), > 1: ganzoo trains faster; per CPU-s g/p: the same ratio"
          " of images per CPU second (each run's threads + DataLoader workers), steadier than the wall clock on a loaded"
          " machine but blind to parallel workers' benefit")
    print("peak RSS is ru_maxrss of each run's process"
          "; (+N): the baseline's DataLoader workers' summed peak RSS (shared pages counted again).")
    if any(c.loop == "wgan-gp" for c in cases):
        print("wgan-gp baseline: fresh noise for the generator step and a frozen critic during it (the usual way);"
              " ganzoo reuses the last critic step's fakes and freezes the critic's weights during the generator step too.")
    _bench.print_closing(errors)
    _bench.write_summary(args.json, "train_throughput", rows, torch=torch.__version__, device=str(device), threads=args.threads,
                         repeats=repeats, load=_bench.load_average(), errors=errors)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
