"""The one training loop every model runs through.

Read it top to bottom: set up (device, seed, data, nets, loss, optimizers), maybe restore
a checkpoint, then per generator step run ``n_critic`` discriminator steps and one
generator step. Everything that differs between models lives in the task adapter, the loss
and the nets; the loop has no per-model branches.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn

from ganzoo.io import checkpoint
from ganzoo.training import distributed
from ganzoo.training import speed as precision
from ganzoo.io import run_folder as runs
from ganzoo.core.config import TrainConfig, check_image_size
from ganzoo.eval.class_report import ClassReport
from ganzoo.training.content import build_content
from ganzoo.data.datasets import BatchStream, ImageDataset, as_float, load_dataset, split_holdout
from ganzoo.training.ema import EMA
from ganzoo.errors import ConfigError, TrainingDiverged, TrainingInterrupted
from ganzoo.io.images import save_grid
from ganzoo.core.losses import Loss
from ganzoo.core.model import GanModel, ModelCard, build_nets, count_parameters
from ganzoo.plugin.discovery import get_registry
from ganzoo.plugin.registry import Registry
from ganzoo.plugin.specs import resolve
from ganzoo.core.tasks import adapter_for
from ganzoo.io.weights import save_module

METRICS_FILE = runs.METRICS_FILE
BEST_FILE = runs.BEST_GENERATOR_FILE
#: What "best" means for ``--eval-every``: the first of these metrics the evaluation gives.
BEST_BY = (("fd_digits", min), ("fid", min), ("psnr", max))


@dataclass
class RunResult:
    """What a finished run left behind."""

    run_dir: Path
    step: int
    generator: Path
    discriminator: Path
    metrics: dict[str, float]
    seconds: float
    #: The averaged generator (``generator.ema.safetensors``); None without ``ema``.
    ema_generator: Path | None = None


def make_optimizer(config: TrainConfig, params: Iterator[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(config.betas), foreach=True)
    return torch.optim.RMSprop(params, lr=lr, foreach=True)


class Trainer:
    """Trains one model from a resolved :class:`TrainConfig` into ``run_dir``.

    ``resume=True`` continues the run in ``run_dir`` from its checkpoint.
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: str | Path,
        *,
        resume: bool = False,
        registry: Registry | None = None,
        progress: bool | None = None,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.registry = registry or get_registry()
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.dist: distributed.Context = distributed.SINGLE  # the processes of this run (fit() sets it)

    @classmethod
    def from_run_dir(cls, run_dir: str | Path, steps: int | None = None, device: str | None = None, **kwargs: Any) -> Trainer:
        """A trainer that continues the run in ``run_dir`` (optionally to more ``steps``)."""
        config = TrainConfig.from_run_dir(run_dir)
        config = replace(config, steps=steps or config.steps, device=device or config.device)
        config.validate()
        return cls(config, run_dir, resume=True, **kwargs)

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        cfg, registry = self.config, self.registry
        check_image_size(registry, cfg)
        self.device = self.dist.select_device(cfg.device)
        if self.device.type == "cuda":  # fixed batch shapes (drop-last): let cuDNN pick the fastest kernels once
            torch.backends.cudnn.benchmark = True
        self.precision = precision.Precision(cfg.precision, self.device, compiled=cfg.compile)
        if cfg.compile:
            precision.check_compile(self.device)
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)

        arch = registry.architecture(cfg.architecture)
        self.dataset = load_dataset(
            registry, cfg.dataset, cfg.architecture_config["image_size"], cfg.data_root, cfg.download, cfg.architecture_config
        )
        self.net_config = {**cfg.architecture_config, "channels": self.dataset.channels, "num_classes": self.dataset.num_classes}
        self.holdout: ImageDataset | None = None
        if self.dataset.inputs is not None:  # image-conditioned: keep pairs aside to measure quality on
            self.dataset, self.holdout = split_holdout(self.dataset, cfg.seed)
            self.net_config["input_channels"] = self.dataset.inputs.shape[1]
        self.task = adapter_for(arch.task, self.net_config)
        if self.task.needs_labels and self.dataset.labels is None:
            raise ConfigError(f"model {cfg.model!r} needs class labels, but dataset {cfg.dataset!r} has none")

        self.generator, self.discriminator = (net.to(self.device) for net in build_nets(registry, arch.name, self.net_config))
        if cfg.channels_last:
            self.generator, self.discriminator = (net.to(memory_format=torch.channels_last) for net in (self.generator, self.discriminator))
        self.ema = EMA(self.generator, cfg.ema) if cfg.ema else None  # an uncompiled copy, for samples and saving
        if cfg.compile:  # in place: the state dicts keep their plain keys
            self.generator, self.discriminator = (precision.compile_net(net) for net in (self.generator, self.discriminator))
        loss_spec = registry.loss(cfg.loss)
        try:
            self.loss: Loss = resolve(loss_spec.builder, f"builder of loss {cfg.loss!r}")(**cfg.loss_config)
        except (TypeError, ValueError) as exc:  # a setting the loss does not take, or rejects
            raise ConfigError(f"loss {cfg.loss!r}: {exc}") from exc
        self.opt_g = make_optimizer(cfg, self.generator.parameters(), cfg.lr)
        self.opt_d = make_optimizer(cfg, self.discriminator.parameters(), cfg.lr_d or cfg.lr)
        self.scaler_g, self.scaler_d = self.precision.grad_scaler(), self.precision.grad_scaler()  # fp16 only
        self.content = build_content(cfg.content, cfg.content_config).to(self.device) if cfg.content else None
        self.batches = BatchStream(self.dataset, cfg.batch_size, self.device, cfg.seed, **self.dist.shard())
        self.class_report = None
        if cfg.class_report_every:
            if self.dataset.labels is None:
                raise ConfigError(f"--class-report-every needs a labelled dataset; {cfg.dataset!r} has no labels")
            self.class_report = ClassReport(self.dataset, self.device, cfg.seed, cfg.class_report_samples)
        self.card = ModelCard(
            model=cfg.model,
            architecture=arch.name,
            task=arch.task,
            config=self.net_config,
            loss=cfg.loss,
            dataset=cfg.dataset,
            classes=self.dataset.classes,
            source=arch.source.distribution if arch.source else "",
        )
        # What the sample grids show: fixed noise (made on the CPU so every device shows the
        # same grid) and labels, or fixed held-out inputs next to their targets.
        n = cfg.num_samples if self.holdout is None else min(cfg.num_samples, 8, len(self.holdout))
        noise = self.task.noise(n, torch.device("cpu"), torch.Generator().manual_seed(cfg.seed))
        self.fixed_noise = noise.to(self.device) if noise is not None else None
        self.fixed_condition = self.task.sample_labels(n, self.device)
        self.fixed_targets = None
        if self.holdout is not None:
            self.fixed_condition = as_float(self.holdout.inputs[:n], self.device)
            self.fixed_targets = as_float(self.holdout.images[:n], self.device)
        self.last_eval: dict[str, float] = {}
        self.sample_evaluator = None
        if cfg.eval_every and self.holdout is None:  # image-to-image runs score their held-out pairs instead
            from ganzoo.eval.evaluation import SampleEvaluator

            with torch.random.fork_rng(devices=[]):  # real-side statistics once; training's random stream untouched
                self.sample_evaluator = SampleEvaluator(self.dataset, cfg.dataset, device=self.device, seed=cfg.seed)
        self.best: float | None = None
        self.step = 0
        self.elapsed = 0.0
        self.checkpoint_step: int | None = None

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = {
            "step": self.step,
            "elapsed": self.elapsed,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "optimizer_g": checkpoint.optimizer_state(self.opt_g),
            "optimizer_d": checkpoint.optimizer_state(self.opt_d),
            "data": self.batches.state_dict(),
            "rng": checkpoint.rng_state(),
            "config": self.config.to_dict(),
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        if self.scaler_g.is_enabled():
            state["scaler_g"], state["scaler_d"] = self.scaler_g.state_dict(), self.scaler_d.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        checkpoint.load_optimizer_state(self.opt_g, state["optimizer_g"])
        checkpoint.load_optimizer_state(self.opt_d, state["optimizer_d"])
        self.batches.load_state_dict(state["data"])
        checkpoint.set_rng_state(state["rng"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        if self.scaler_g.is_enabled():
            self.scaler_g.load_state_dict(state["scaler_g"])
            self.scaler_d.load_state_dict(state["scaler_d"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.checkpoint_step = self.step

    def save_checkpoint(self) -> Path:
        state = self.dist.checkpoint_state(self.state_dict(), self)  # + every rank's RNG (all ranks take part)
        path = checkpoint.save(self.run_dir, state) if self.dist.is_main else self.run_dir / checkpoint.FILE_NAME
        self.checkpoint_step = self.step
        return path

    # ------------------------------------------------------------------ steps
    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next ``(images, condition)`` batch, channels-last when the run asks for it."""
        real, condition = next(self.batches)
        if self.config.channels_last:
            real, condition = precision.to_channels_last(real), precision.to_channels_last(condition)
        return real, condition

    def optimize(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> None:
        """One optimizer step on ``loss`` (loss-scaled under fp16; the scaler is a pass-through otherwise)."""
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        def critic(images: torch.Tensor) -> torch.Tensor:
            return self.task.score(self.discriminator, images, condition)

        with self.precision.autocast():
            loss = self.loss.discriminator_loss(critic(real), critic(fake))
            with self.precision.penalty():  # eager, and fp32 under fp16: see ganzoo.precision
                penalty = self.loss.discriminator_penalty(critic, real.float(), fake.float())
            if penalty is not None:
                loss = loss + penalty
        self.optimize(loss, self.opt_d, self.scaler_d)
        self.loss.after_discriminator_step(self.discriminator)
        return loss.detach().float()

    def generator_step(self, real: torch.Tensor, fake: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        with self.precision.autocast():
            real_scores = None
            if self.loss.generator_uses_real_scores:
                with torch.no_grad():
                    real_scores = self.task.score(self.discriminator, real, condition)
            adversarial = self.loss.generator_loss(self.task.score(self.discriminator, fake, condition), real_scores)
            loss = self.config.adversarial_weight * adversarial
            if self.content is not None:
                loss = loss + self.config.content_weight * self.content(fake, real)
        self.optimize(loss, self.opt_g, self.scaler_g)
        if self.ema is not None:
            self.ema.update(self.generator)
        return loss.detach().float()

    def pretrain_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A generator-only step on the content term (SRResNet-style pre-training)."""
        real, condition = self.next_batch()
        with self.precision.autocast():
            fake = self.task.generate(self.generator, self.task.noise(len(real), self.device), condition)
            loss = self.content(fake, real)
        self.optimize(loss, self.opt_g, self.scaler_g)
        if self.ema is not None:
            self.ema.update(self.generator)
        self.step += 1
        return torch.zeros((), device=self.device), loss.detach().float()

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``n_critic`` discriminator steps, then one generator step on the last fakes."""
        if self.step < self.config.pretrain_steps:
            return self.pretrain_step()
        n_critic = self.config.n_critic
        for i in range(n_critic):
            real, condition = self.next_batch()
            z = self.task.noise(len(real), self.device)
            with torch.set_grad_enabled(i == n_critic - 1), self.precision.autocast():  # only the last fakes feed the generator step
                fake = self.task.generate(self.generator, z, condition)
            d_loss = self.discriminator_step(real, fake.detach(), condition)
        g_loss = self.generator_step(real, fake, condition)
        self.step += 1
        return d_loss, g_loss

    def generate_eval(self, z: torch.Tensor | None, condition: torch.Tensor | None) -> torch.Tensor:
        """Fakes from the generator (its EMA when the run keeps one) in eval mode, in fp32 and
        eagerly (no batch-norm statistics change)."""
        net = self.ema.module if self.ema is not None else self.generator
        with self.precision.eager():
            return self.task.generate_eval(net, z, condition, batch_size=250)

    def save_samples(self) -> Path:
        path = self.run_dir / "samples" / f"step-{self.step:06d}.png"
        images = self.generate_eval(self.fixed_noise, self.fixed_condition)
        if self.fixed_targets is None:  # class models: one column per class
            save_grid(images, path, nrow=self.task.num_classes if self.task.needs_labels else None)
        else:  # one row per example: input, baseline, output, target
            rows = self.task.comparison(self.fixed_condition, images, self.fixed_targets)
            save_grid(rows, path, nrow=len(rows) // len(images))
        return path

    def evaluate(self) -> dict[str, float]:
        """Held-out quality of the generator next to the task's baseline (identity, bicubic)."""
        assert self.holdout is not None
        inputs, targets = as_float(self.holdout.inputs, self.device), as_float(self.holdout.images, self.device)
        outputs = self.generate_eval(self.task.noise(len(inputs), self.device), inputs)
        scores, baseline = self.task.held_out_scores(inputs, outputs, targets)
        return {**scores, **{f"baseline_{k}": v for k, v in baseline.items()}}

    def report_classes(self) -> dict[str, Any]:
        """Classify fresh samples (own RNG, so training is unaffected) into the real classes."""
        assert self.class_report is not None
        return self.class_report(self._fresh_samples(offset=0))

    def score_generator(self) -> dict[str, float]:
        """``--eval-every``: the metrics of ``ganzoo eval`` for the generator now (own RNG)."""
        if self.sample_evaluator is None:
            return self.evaluate()
        return self.sample_evaluator.score(self._fresh_samples(offset=1))[0]

    def _fresh_samples(self, offset: int) -> Callable[[int], tuple[torch.Tensor, torch.Tensor | None]]:
        """``generate(n) -> (images, labels asked for)`` drawing noise from its own RNG (seeded by
        the run's seed, the step and ``offset``), so reports leave training's random stream alone."""
        rng = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step + offset)

        def generate(n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
            z = self.task.noise(n, torch.device("cpu"), rng).to(self.device)
            labels = self.task.sample_labels(n, self.device)
            return self.generate_eval(z, labels), labels

        return generate

    def keep_if_best(self, scores: dict[str, float]) -> bool:
        """Write the generator (its EMA when kept) as ``generator.best.safetensors`` if ``scores``
        beat every earlier evaluation of this run (resumed runs included)."""
        key, better = next(((k, f) for k, f in BEST_BY if k in scores), (None, None))
        if key is None:
            return False
        path = self.run_dir / BEST_FILE
        if self.best is None and path.is_file():  # a resumed run: the best so far is in the file
            from ganzoo.io.weights import read_metadata

            self.best = read_metadata(path).get("metrics", {}).get(key)
        if self.best is not None and better(self.best, scores[key]) == self.best:
            return False
        self.best = scores[key]
        net = self.ema.module if self.ema is not None else self.generator
        card = replace(self.card, step=self.step)
        meta = card.metadata("generator", num_params=count_parameters(net), training=self.config.to_dict(),
                             metrics={**scores, "best_by": key})
        save_module(net, path, meta)
        return True

    # ------------------------------------------------------------------ loop
    def fit(self) -> RunResult:
        """Train to ``config.steps`` generator steps and save the weights (in each process of a
        torchrun launch: data-parallel, see :mod:`ganzoo.distributed`)."""
        with distributed.session(self.config) as self.dist:
            self.config = self.dist.record(self.config)
            return self._fit()

    def _fit(self) -> RunResult:
        cfg = self.config
        if self.resume:
            TrainConfig.from_run_dir(self.run_dir)
        else:
            runs.check_new_run_dir(self.run_dir)
        self._setup()  # every check of data, nets and settings happens here, before the folder exists
        self.dist.prepare(self)  # several processes: DDP-wrapped nets, this rank's own noise
        if not self.resume and self.dist.is_main:
            runs.create_run_dir(self.run_dir)
        if self.resume:
            state = checkpoint.load(self.run_dir)
            self.load_state_dict(state)
            self.dist.restore(state, self)
            if self.step >= cfg.steps:
                raise ConfigError(f"{self.run_dir} finished at step {self.step}; pass --steps N with N > {self.step} to train on")
            if self.dist.is_main:
                runs.truncate_metrics(self.run_dir, self.step)
        if self.dist.is_main:  # rank 0 alone writes the run folder
            cfg.save(self.run_dir)
            (self.run_dir / "samples").mkdir(exist_ok=True)

        images_per_step = cfg.batch_size * cfg.n_critic
        sums = torch.zeros(2, device=self.device)  # running (d_loss, g_loss): no host sync per step
        since, last_log_step = 0, self.step
        clock = last_log_time = time.perf_counter()
        started = self.elapsed
        logged: dict[str, float] = {}
        with (
            open(self.dist.writable(self.run_dir / METRICS_FILE), "a", encoding="utf-8") as metrics,
            _Progress(cfg.steps, self.step, self.progress) if self.dist.is_main else distributed.Silent() as bar,
            self.dist.agree(_sigint_flag(), lambda: self.step) as interrupted,  # the same stop step on every rank
            precision.compile_failures(cfg.compile),  # a compiler that fails at the first step: one line
        ):
            while self.step < cfg.steps:
                d_loss, g_loss = self.train_step()
                sums += torch.stack((d_loss, g_loss))
                since += 1
                bar.advance()
                due = {
                    "log": self.step % cfg.log_every == 0 or self.step == cfg.steps,
                    "sample": self.step % cfg.sample_every == 0 or self.step == cfg.steps,
                    "checkpoint": self.step % cfg.checkpoint_every == 0 or self.step == cfg.steps or interrupted(),
                    "report": self.class_report is not None and (self.step % cfg.class_report_every == 0 or self.step == cfg.steps),
                    "eval": bool(cfg.eval_every) and (self.step % cfg.eval_every == 0 or self.step == cfg.steps),
                }
                if any(due.values()):
                    d, g = (self.dist.mean(sums) / since).tolist()  # the mean over every rank
                    self._check_finite(d, g, last_log_step)
                    now = time.perf_counter()
                    self.elapsed = started + now - clock
                    if due["log"]:
                        rate = images_per_step * since / max(now - last_log_time, 1e-9)
                        logged = {"step": self.step, "d_loss": d, "g_loss": g, "images_per_sec": rate, "elapsed": self.elapsed}
                        if self.step == cfg.steps:  # several processes: world_size, ranks_in_sync (or RanksOutOfSync)
                            logged.update(self.dist.verify(self))
                        metrics.write(json.dumps(logged) + "\n")
                        metrics.flush()
                        bar.show(d, g)
                        sums.zero_()
                        since, last_log_step, last_log_time = 0, self.step, now
                    if due["report"] and self.dist.is_main:
                        report = self.report_classes()
                        metrics.write(json.dumps({"step": self.step, "class_report": report}) + "\n")
                        metrics.flush()
                        if report["missing"]:
                            bar.warn(
                                f"step {self.step}: class(es) {', '.join(report['missing'])} (nearly) vanished from "
                                f"{cfg.class_report_samples} samples: possible mode collapse"
                            )
                    if due["sample"] and self.dist.is_main:
                        self.save_samples()
                        if self.holdout is not None:
                            self.last_eval = self.evaluate()
                            metrics.write(json.dumps({"step": self.step, "eval": self.last_eval}) + "\n")
                            metrics.flush()
                    if due["eval"] and self.dist.is_main:
                        scores = self.last_eval if due["sample"] and self.holdout is not None else self.score_generator()
                        if not (due["sample"] and self.holdout is not None):
                            metrics.write(json.dumps({"step": self.step, "eval": scores}) + "\n")
                            metrics.flush()
                        self.last_eval = scores
                        if self.keep_if_best(scores):
                            bar.note(f"step {self.step}: best so far ({BEST_FILE}): {_headline(scores)}")
                    if due["checkpoint"]:
                        self.save_checkpoint()
                if interrupted():
                    raise TrainingInterrupted(
                        f"interrupted at step {self.step}; checkpoint saved in {self.run_dir}. "
                        f"Continue with: ganzoo run --resume {self.run_dir}"
                    )
        self.elapsed = started + time.perf_counter() - clock
        model = GanModel(self.generator, self.discriminator, replace(self.card, step=self.step))
        written = model.save(self.run_dir, training=cfg.to_dict()) if self.dist.is_main else self.dist.weight_paths(self.run_dir)
        ema_path = None
        if self.ema is not None and self.dist.is_main:  # the averaged generator, described like the live one plus its decay
            meta = model.card.metadata("generator", num_params=count_parameters(self.ema.module), training=cfg.to_dict(), ema=cfg.ema)
            ema_path = save_module(self.ema.module, self.run_dir / runs.EMA_GENERATOR_FILE, meta)
        return RunResult(self.run_dir, self.step, written["generator"], written["discriminator"], {**logged, **self.last_eval},
                         self.elapsed, ema_path)

    def _check_finite(self, d: float, g: float, since_step: int) -> None:
        bad = [name for name, v in (("discriminator", d), ("generator", g)) if not math.isfinite(v)]
        if not bad:
            return
        where = (
            f"the last good checkpoint (step {self.checkpoint_step}) is kept in {self.run_dir}"
            if self.checkpoint_step is not None
            else "no checkpoint had been written yet"
        )
        raise TrainingDiverged(
            f"the {' and '.join(bad)} loss became non-finite between steps {since_step} and {self.step}; {where}. "
            "Try a lower --lr or another --seed"
        )


def _headline(scores: dict[str, float]) -> str:
    keys = [k for k in ("fd_digits", "fid", "kid_digits", "kid", "precision", "recall", "cond_accuracy", "psnr", "ssim", "l1") if k in scores]
    return ", ".join(f"{k} {scores[k]:.4g}" for k in keys)


@contextlib.contextmanager
def _sigint_flag() -> Iterator[Callable[[], bool]]:
    """First Ctrl-C asks the loop to checkpoint and stop at the next step; a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    pressed = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield pressed.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


class _Progress:
    """A rich progress bar with live losses and ETA on a terminal; plain lines elsewhere."""

    def __init__(self, total: int, done: int, live: bool) -> None:
        self.total, self.live = total, live
        self.step = done
        self.last_line = time.perf_counter()
        if live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("[bold]training"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[losses]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                transient=False,
            )
            self.task = self.bar.add_task("train", total=total, completed=done, losses="")

    def __enter__(self) -> _Progress:
        if self.live:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live:
            self.bar.__exit__(*exc)

    def advance(self) -> None:
        self.step += 1
        if self.live:
            self.bar.advance(self.task)

    def note(self, message: str) -> None:
        if self.live:
            self.bar.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        if self.live:
            self.bar.console.print(f"[yellow]warning:[/] {message}")
        else:
            print(f"ganzoo: warning: {message}", file=sys.stderr, flush=True)

    def show(self, d: float, g: float) -> None:
        text = f"d_loss {d:.3f}  g_loss {g:.3f}"
        if self.live:
            self.bar.update(self.task, losses=text)
        elif time.perf_counter() - self.last_line > 10 or self.step == self.total:
            self.last_line = time.perf_counter()
            print(f"step {self.step}/{self.total}  {text}", file=sys.stderr, flush=True)
