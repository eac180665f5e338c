"""The one training loop every model runs through.

Read it top to bottom: set up (device, seed, data, nets, loss, optimizers), maybe restore a
checkpoint, then per generator step run ``n_critic`` discriminator steps and one generator
step, and do the periodic jobs that are due. Everything that differs between models lives in
the task adapter (fakes, critic calls, held-out data, grids, baselines), the loss and the nets:
the loop has no per-model branches. The loop itself, :meth:`Trainer.fit`, reads like
pytorch/examples' dcgan and nanoGPT's train.py::

    while step < steps:
        losses.add(*train_step())
        if due(log_every): log(losses)
        if due(sample_every): save_samples()
        if due(eval_every): evaluate_and_keep_best()
        if due(checkpoint_every) or stopping: save_checkpoint()
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import nn

from ganzoo.core import memory_order
from ganzoo.core.config import TrainConfig, check_dataset_channels, check_image_size, resumed_config
from ganzoo.core.losses import Loss, score_kind
from ganzoo.core.model import GanModel, ModelCard, build_nets, count_parameters
from ganzoo.core.score_histogram import score_histogram
from ganzoo.core.tasks import adapter_for
from ganzoo.data import load_dataset
from ganzoo.errors import ConfigError, RunFolderError, StorageError, TrainingDiverged, TrainingInterrupted, WeightsError
from ganzoo.eval import metric_names
from ganzoo.eval.during_training import ClassCoverage, evaluator_for_run
from ganzoo.io import atomic, checkpoint, run_folder
from ganzoo.io.images import save_grid
from ganzoo.io.weights import describe_non_finite, non_finite, read_metadata, save_module
from ganzoo.plugin.discovery import get_registry
from ganzoo.plugin.registry import Registry
from ganzoo.plugin.calls import plugin_function
from ganzoo.training import distributed, speed
from ganzoo.training.content import build_content, takes_settings
from ganzoo.training.ema import EMA
from ganzoo.training.metrics_log import MetricsLog
from ganzoo.training.net_failures import net_failures
from ganzoo.training.progress import progress_for
from ganzoo.training.stop_signal import stop_requested
from ganzoo.training.tensorboard_log import TensorBoardLog


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


class RunningLosses:
    """Sums of (d_loss, g_loss) since the last log line, kept on the device: no host sync per step."""

    def __init__(self, device: torch.device) -> None:
        self.sums = torch.zeros(2, device=device)
        self.count, self.since_time = 0, time.perf_counter()

    def add(self, d_loss: torch.Tensor, g_loss: torch.Tensor) -> None:
        self.sums += torch.stack((d_loss, g_loss))
        self.count += 1

    def mean(self, dist: distributed.Context) -> tuple[float, float]:
        """The means over the steps since the last log line and over every rank (a collective)."""
        d, g = (dist.mean(self.sums) / max(self.count, 1)).tolist()
        return d, g

    def reset(self, now: float) -> None:
        self.sums.zero_()
        self.count, self.since_time = 0, now


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
        next_free_name: bool = False,
    ) -> None:
        self.config = config
        #: ``run_dir`` is a default name: if another process claims it first, take the next free one.
        self.next_free_name = next_free_name
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.registry = registry or get_registry()
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.dist: distributed.Context = distributed.SINGLE  # the processes of this run (fit() sets it)
        self.opened = False  # whether the run folder was made or its checkpoint read (then _kept() can say what is kept)
        self.board = TensorBoardLog(None, {})  # --logger tensorboard: the writer, while fit() runs

    @classmethod
    def from_run_dir(cls, run_dir: str | Path, steps: int | None = None, device: str | None = None, **kwargs: Any) -> Trainer:
        """A trainer that continues the run in ``run_dir`` (optionally to more ``steps``)."""
        return cls(resumed_config(run_dir, steps=steps, device=device), run_dir, resume=True, **kwargs)

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        """Every check of data, nets and settings happens here, before the run folder exists."""
        cfg, registry = self.config, self.registry
        check_image_size(registry, cfg)
        self.device = self.dist.select_device(cfg.device)
        if self.device.type == "cuda":  # fixed batch shapes (drop-last): let cuDNN pick the fastest kernels once
            torch.backends.cudnn.benchmark = True
        self.speed = speed.Precision(cfg.precision, self.device, compiled=cfg.compile)
        if cfg.compile:
            speed.check_compile(self.device)
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)

        arch = self.arch_spec = registry.architecture(cfg.architecture)
        dataset = load_dataset(
            registry, cfg.dataset, cfg.architecture_config["image_size"], cfg.data_root, cfg.download, cfg.architecture_config,
            skip_bad_images=cfg.skip_bad_images,
        )
        self.skipped = dataset.skipped
        check_dataset_channels(registry, cfg, dataset.channels)  # --set channels=2 on 1-channel images: refused
        self.net_config = {**cfg.architecture_config, "channels": dataset.channels, "num_classes": dataset.num_classes}
        if dataset.inputs is not None:  # image-conditioned: the generator's input channels
            self.net_config["input_channels"] = dataset.inputs.shape[1]
        from_data = {k: v for k, v in self.net_config.items() if k in cfg.architecture_config and cfg.architecture_config[k] != v}
        if from_data:  # config.json says what ran: the data's channels and classes, not the architecture's defaults
            self.config = replace(cfg, architecture_config={**cfg.architecture_config, **from_data})
        self.task = adapter_for(arch.task, self.net_config)
        self.dataset, self.held_out = self.task.split(dataset, cfg.seed)  # held-out pairs, or None
        if self.task.needs_labels and self.dataset.labels is None:
            raise ConfigError(f"model {cfg.model!r} needs class labels, but dataset {cfg.dataset!r} has none")

        self.generator, self.discriminator = (net.to(self.device) for net in build_nets(registry, arch.name, self.net_config))
        self.channels_last = memory_order.channels_last_on(cfg.channels_last, self.device)
        if self.channels_last:
            self.generator, self.discriminator = (memory_order.set_order(net, True) for net in (self.generator, self.discriminator))
        self.ema = EMA(self.generator, cfg.ema) if cfg.ema else None  # an uncompiled copy, for samples and saving
        if cfg.compile:  # in place: the state dicts keep their plain keys
            self.generator, self.discriminator = (speed.compile_net(net) for net in (self.generator, self.discriminator))
        loss_spec = registry.loss(cfg.loss)
        try:
            self.loss: Loss = plugin_function(loss_spec, passes=(TypeError, ValueError))(**cfg.loss_config)
        except (TypeError, ValueError) as exc:  # a setting the loss does not take, or rejects
            raise ConfigError(f"loss {cfg.loss!r}: {exc}") from exc
        self.loss.prepare(self.task)
        self.score_kind = score_kind(loss_spec, self.loss)  # how runs record and plot D's outputs
        self.opt_g = make_optimizer(cfg, self.generator.parameters(), cfg.lr)
        self.opt_d = make_optimizer(cfg, self.discriminator.parameters(), cfg.lr_d or cfg.lr)
        self.scaler_g, self.scaler_d = self.speed.grad_scaler(), self.speed.grad_scaler()  # fp16 only
        self.content = build_content(cfg.content, cfg.content_config).to(self.device) if cfg.content else None
        self.pretrain_content = self.content
        if cfg.pretrain_content and cfg.pretrain_steps:  # ESRGAN: L1 first, whatever the later content term
            settings = cfg.content_config if takes_settings(cfg.pretrain_content) else {}
            self.pretrain_content = build_content(cfg.pretrain_content, settings).to(self.device)
        self.batches = self.task.batches(self.dataset, cfg.batch_size, self.device, cfg.seed, **self.dist.shard())
        self.class_coverage = (
            ClassCoverage(self.task, self.dataset, cfg.dataset, self.device, cfg.seed, cfg.class_report_samples)
            if cfg.class_report_every else None
        )
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
        self.showcase = self.task.showcase(cfg.num_samples, cfg.seed, self.device, self.held_out, self.dataset)
        # Held-out pairs are scored at every sample grid (cheap); samples against the real data
        # (costly) only when --eval-every asks.
        self.evaluator = evaluator_for_run(self.task, self.dataset, self.held_out, cfg.dataset, self.device, cfg.seed,
                                           wanted=bool(cfg.eval_every),
                                           judge=self.class_coverage.judge if self.class_coverage is not None else None)
        self.eval_every = cfg.eval_every or (cfg.sample_every if self.evaluator is not None else 0)
        self.last_eval: dict[str, float] = {}
        self.best: float | None = None
        self.step = 0
        self.elapsed = 0.0
        self.checkpoint_step: int | None = None  # the step of the checkpoint on disk (None: none yet)
        #: Set for a step that ends at a log step: its last critic step keeps D's outputs
        #: (references to tensors made anyway: no copy, no wait) for the histogram of the log.
        self.keep_scores = False
        self.kept_scores: tuple[torch.Tensor, torch.Tensor] | None = None

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
        task_state = self.task.state_dict()
        if task_state:  # e.g. CycleGAN's pools of past fakes
            state["task"] = task_state
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
        self.task.load_state_dict(state.get("task", {}))
        if self.scaler_g.is_enabled():
            self.scaler_g.load_state_dict(state["scaler_g"])
            self.scaler_d.load_state_dict(state["scaler_d"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.checkpoint_step = self.step

    # ------------------------------------------------------------------ steps
    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next ``(images, condition)`` batch, channels-last when the run asks for it."""
        real, condition = next(self.batches)
        if self.channels_last:
            real, condition = memory_order.to_channels_last(real), memory_order.to_channels_last(condition)
        return real, condition

    def optimize(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> None:
        """One optimizer step on ``loss`` (loss-scaled under fp16; the scaler is a pass-through otherwise)."""
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def loss_inputs(self, latent: torch.Tensor | None, condition: torch.Tensor | None) -> dict[str, Any]:
        """What the fakes were made from, for a loss that asks (:attr:`Loss.uses_inputs`)."""
        return {"latent": latent, "condition": condition} if self.loss.uses_inputs else {}

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor, condition: torch.Tensor | None,
                           latent: torch.Tensor | None = None) -> torch.Tensor:
        def critic(images: torch.Tensor) -> torch.Tensor:
            return self.task.score(self.discriminator, images, condition)

        with self.speed.autocast():
            real_scores, fake_scores = critic(real), critic(fake)
            loss = self.loss.discriminator_loss(real_scores, fake_scores, **self.loss_inputs(latent, condition))
            if self.keep_scores:
                self.kept_scores = tuple(self.loss.adversarial_scores(s).detach() for s in (real_scores, fake_scores))
            with self.speed.penalty():  # eager, and fp32 under fp16: see ganzoo.training.speed
                penalty = self.loss.discriminator_penalty(critic, real.float(), fake.float())
            if penalty is not None:
                loss = loss + penalty
        self.optimize(loss, self.opt_d, self.scaler_d)
        self.loss.after_discriminator_step(self.discriminator)
        return loss.detach().float()

    def generator_step(self, real: torch.Tensor, fake: torch.Tensor, condition: torch.Tensor | None,
                       latent: torch.Tensor | None = None) -> torch.Tensor:
        with self.speed.autocast(), speed.frozen(self.discriminator, active=self.dist.world_size == 1):
            real_scores = None
            if self.loss.generator_uses_real_scores:
                with torch.no_grad():
                    real_scores = self.task.score(self.discriminator, real, condition)
            adversarial = self.loss.generator_loss(self.task.score(self.discriminator, fake, condition), real_scores,
                                                   **self.loss_inputs(latent, condition))
            loss = self.config.adversarial_weight * adversarial
            penalty = self.loss.generator_penalty(lambda images: self.task.fakes(self.generator, None, images), real, fake)
            if penalty is not None:
                loss = loss + penalty
            if self.content is not None:
                loss = loss + self.config.content_weight * self.content(fake, real)
        self.optimize(loss, self.opt_g, self.scaler_g)
        if self.ema is not None:
            self.ema.update(self.generator)
        return loss.detach().float()

    def pretrain_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A generator-only step on the content term (SRResNet-style pre-training)."""
        real, condition = self.next_batch()
        with self.speed.autocast():
            fake = self.task.fakes(self.generator, self.task.noise(len(real), self.device), condition)
            loss = self.pretrain_content(fake, real)
        self.optimize(loss, self.opt_g, self.scaler_g)
        if self.ema is not None:
            self.ema.update(self.generator)
        self.step += 1
        return torch.zeros((), device=self.device), loss.detach().float()

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``n_critic`` discriminator steps, then one generator step on the last fakes."""
        if self.config.lr_decay:
            self.decay_learning_rates()
        if self.step < self.config.pretrain_steps:
            return self.pretrain_step()
        n_critic = self.config.n_critic
        for i in range(n_critic):
            real, condition = self.next_batch()
            z = self.task.noise(len(real), self.device)
            with torch.set_grad_enabled(i == n_critic - 1), self.speed.autocast():  # only the last fakes feed the generator step
                fake = self.task.fakes(self.generator, z, condition)
            d_loss = self.discriminator_step(real, self.task.discriminator_fakes(fake.detach()), condition, z)
        g_loss = self.generator_step(real, fake, condition, z)
        self.step += 1
        return d_loss, g_loss

    def decay_learning_rates(self) -> None:
        """``--set lr_decay=F``: over the last ``F * steps`` steps both learning rates fall
        linearly, to ``1 / (F * steps)`` of their value at the last step (CycleGAN's schedule)."""
        cfg = self.config
        factor = decay_factor(self.step, cfg.steps, cfg.lr_decay)
        for optimizer, lr in ((self.opt_g, cfg.lr), (self.opt_d, cfg.lr_d or cfg.lr)):
            for group in optimizer.param_groups:
                group["lr"] = lr * factor

    def generate_eval(self, z: torch.Tensor | None, condition: torch.Tensor | None) -> torch.Tensor:
        """Fakes from the generator (its EMA when the run keeps one) in eval mode, in fp32 and
        eagerly (no batch-norm statistics change)."""
        net = self.ema.module if self.ema is not None else self.generator
        with self.speed.eager():
            return self.task.generate_eval(net, z, condition, batch_size=250)

    # ------------------------------------------------------------------ periodic jobs
    def log_losses(self, log: MetricsLog, losses: RunningLosses, d: float, g: float) -> dict[str, float]:
        now = time.perf_counter()
        rate = self.config.batch_size * self.config.n_critic * losses.count / max(now - losses.since_time, 1e-9)
        line = {"d_loss": d, "g_loss": g, "images_per_sec": rate, "elapsed": self.elapsed}
        if self.step == self.config.steps:  # several processes: world_size, ranks_in_sync (or RanksOutOfSync)
            line.update(self.dist.verify((self.generator, self.discriminator), self.step, self._kept()))
        log.write(self.step, **line, **self.score_histogram())
        losses.reset(now)
        return line

    def score_histogram(self) -> dict[str, Any]:
        """How the discriminator scored the real and generated images of this step's last
        critic step, binned (see :mod:`ganzoo.core.score_histogram`), for the log line; nothing
        in a pre-training step (no discriminator ran) or on a data-parallel rank other than 0."""
        if self.kept_scores is None:
            return {}
        histogram = score_histogram(*self.kept_scores, probabilities=self.score_kind == "probability_logit")
        self.kept_scores = None
        return {run_folder.HISTOGRAM_RECORD: histogram}

    def save_samples(self) -> Path:
        """A grid from the run's fixed inputs, drawn as the task shows its outputs."""
        path = run_folder.sample_grid_path(self.run_dir, self.step)
        images = self.generate_eval(self.showcase.noise, self.showcase.condition)
        grid, nrow = self.task.grid(self.showcase, images)
        self.board.image(self.step, save_grid(grid, path, nrow=nrow, overwrite=True))  # a resumed run redraws its step
        return path

    def report_classes(self, log: MetricsLog, bar: Any) -> None:
        """How fresh samples spread over the real classes; warns when one (nearly) vanishes."""
        assert self.class_coverage is not None
        report = self.class_coverage(self.generate_eval, self.step)
        log.write(self.step, class_report=report)
        if report["missing"]:
            bar.warn(f"step {self.step}: class(es) {', '.join(report['missing'])} (nearly) vanished from "
                     f"{self.config.class_report_samples} samples: possible mode collapse")

    def evaluate_and_keep_best(self, log: MetricsLog, bar: Any) -> dict[str, float]:
        """The task's quality measure now (own RNG); with ``--eval-every``, keep the best generator."""
        assert self.evaluator is not None
        self.last_eval = self.evaluator.score(self.generate_eval, self.step)
        log.write(self.step, eval=self.last_eval)
        if self.config.eval_every and self.keep_if_best(self.last_eval):
            bar.note(f"step {self.step}: best so far ({run_folder.BEST_GENERATOR_FILE}): {metric_names.headline(self.last_eval)}")
        return self.last_eval

    def keep_if_best(self, scores: dict[str, float]) -> bool:
        """Write the generator (its EMA when kept) as ``generator.best.safetensors`` if ``scores``
        beat every earlier evaluation of this run (resumed runs included)."""
        key = metric_names.best_by(scores)
        if key is None:
            return False
        path = self.run_dir / run_folder.BEST_GENERATOR_FILE
        if self.best is None and path.is_file():  # a resumed run: the best so far is in the file
            self.best = read_metadata(path).get("metrics", {}).get(key)
        if not metric_names.is_better(key, scores[key], self.best):
            return False
        self.best = scores[key]
        net = self.ema.module if self.ema is not None else self.generator
        meta = replace(self.card, step=self.step).metadata(
            "generator", num_params=count_parameters(net), training=self.config.to_dict(), metrics={**scores, "best_by": key},
            **threads_record())
        save_module(net, path, meta)
        return True

    def save_checkpoint(self) -> Path:
        """The full training state (every rank takes part: each one's RNG is gathered). Weights or
        optimizer state holding NaN or inf stop the run instead: the last checkpoint stays good."""
        state = self.state_dict()
        self._check_finite_state(state)
        state = self.dist.gather_rng(state, (self.generator, self.discriminator), self.step, self._kept())
        path = checkpoint.write_checkpoint(self.run_dir, state) if self.dist.is_main else self.run_dir / run_folder.CHECKPOINT_FILE
        self.checkpoint_step = self.step
        return path

    def save_weights(self) -> RunResult:
        """The final, self-describing weights (and the averaged generator when kept)."""
        cfg = self.config
        self._check_finite_state({"generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
                                  **({"ema": self.ema.state_dict()} if self.ema is not None else {})})
        model = GanModel(self.generator, self.discriminator, replace(self.card, step=self.step))
        if not self.dist.is_main:
            written, ema_path = {role: self.run_dir / name for role, name in run_folder.WEIGHT_FILES.items()}, None
        else:
            written = model.save(self.run_dir, training=cfg.to_dict(), **threads_record())
            ema_path = None
            if self.ema is not None:  # described like the live generator, plus its decay
                meta = model.card.metadata("generator", num_params=count_parameters(self.ema.module), training=cfg.to_dict(), ema=cfg.ema,
                                           **threads_record())
                ema_path = save_module(self.ema.module, self.run_dir / run_folder.EMA_GENERATOR_FILE, meta)
        return RunResult(self.run_dir, self.step, written["generator"], written["discriminator"], {**self.last_logged, **self.last_eval},
                         self.elapsed, ema_path)

    # ------------------------------------------------------------------ loop
    def fit(self) -> RunResult:
        """Train to ``config.steps`` generator steps and save the weights (in each process of a
        torchrun launch: data-parallel, see :mod:`ganzoo.training.distributed`)."""
        with distributed.session(self.config) as self.dist:
            self.config = self.dist.record(self.config)
            return self._fit()

    def _fit(self) -> RunResult:
        with contextlib.ExitStack() as self._held:  # the run folder's lock, held to the end
            try:
                return self._train()
            except OSError as exc:  # a write that failed: one line, saying what is kept and how to go on
                failed = exc if isinstance(exc, StorageError) else StorageError.of(exc, doing="use")
                raise failed.adding(self._after_failed_write()) from None

    def _after_failed_write(self) -> str:
        if not self.opened:  # no run folder was made, or the one to resume was not opened
            return ""
        return f"; {self._kept()}; once that is fixed, continue with: ganzoo run --resume {self.run_dir}"

    def _train(self) -> RunResult:
        cfg = self.config
        if self.resume:
            TrainConfig.from_run_dir(self.run_dir)
            if self.dist.is_main:  # a second process on this folder is refused before any work
                self._held.enter_context(run_folder.locked(self.run_dir))
        else:
            run_folder.check_new_run_dir(self.run_dir)
        self._setup()
        self.generator, self.discriminator = self.dist.wrap(self.generator, self.discriminator, sync_bn=cfg.sync_bn)
        self.dist.seed_rank(cfg.seed)  # each rank draws its own noise (a no-op in one process)
        self._open_run_dir()
        if self.skipped and self.dist.is_main:
            self._list_skipped()

        def due(every: int, step: int | None = None) -> bool:
            step = self.step if step is None else step
            return bool(every) and (step % every == 0 or step == cfg.steps)

        main = self.dist.is_main  # rank 0 alone writes, samples and evaluates
        losses = RunningLosses(self.device)
        finite_through = self.step  # the last step whose losses were checked finite
        clock, started = time.perf_counter(), self.elapsed
        self.last_logged: dict[str, float] = {}
        board_dir = self.run_dir / run_folder.TENSORBOARD_DIR if main and cfg.logger == "tensorboard" else None
        with (
            TensorBoardLog(board_dir, cfg.to_dict(), self.step) as self.board,
            MetricsLog(self.run_dir / run_folder.METRICS_FILE if main else None, mirror=self.board.write) as log,
            progress_for(cfg.steps, self.step, self.progress, main) as bar,
            self.dist.agree(stop_requested(), lambda: self.step) as stop_agreed,  # the same stop step on every rank
            speed.compile_failures(cfg.compile),  # a compiler that fails at the first step: one line
            net_failures(self.arch_spec, self.channels_last),  # a plugin's forward that fails: one line naming it
        ):
            while self.step < cfg.steps:
                self.keep_scores = main and due(cfg.log_every, self.step + 1)
                losses.add(*self.train_step())
                bar.advance()
                stopping = stop_agreed()  # once per step: a collective under DDP
                checkpoint_due = due(cfg.checkpoint_every) or stopping
                if not (checkpoint_due or any(map(due, (cfg.log_every, cfg.sample_every, self.eval_every, cfg.class_report_every)))):
                    continue
                d, g = losses.mean(self.dist)  # nothing non-finite is logged, sampled or checkpointed
                self._check_finite(d, g, finite_through)
                finite_through = self.step
                self.elapsed = started + time.perf_counter() - clock
                if due(cfg.log_every):
                    self.last_logged = {"step": self.step, **self.log_losses(log, losses, d, g)}
                    bar.show(d, g)
                if main and due(cfg.class_report_every):
                    self.report_classes(log, bar)
                if main and due(cfg.sample_every):
                    self.save_samples()
                if main and due(self.eval_every):
                    self.evaluate_and_keep_best(log, bar)
                if checkpoint_due:
                    self.save_checkpoint()
                if stopping:
                    raise TrainingInterrupted(
                        f"interrupted at step {self.step}; checkpoint saved in {self.run_dir}. "
                        f"Continue with: ganzoo run --resume {self.run_dir}"
                    )
        self.elapsed = started + time.perf_counter() - clock
        return self.save_weights()

    def _open_run_dir(self) -> None:
        """A new run creates its folder; a resumed one restores its checkpoint and drops the
        metric lines logged after it."""
        cfg, main = self.config, self.dist.is_main
        if not self.resume and main:
            asked = self.run_dir
            self.run_dir = run_folder.create_run_dir(self.run_dir, next_free=self.next_free_name and self.dist.world_size == 1,
                                                     config=cfg.to_dict())
            if self.run_dir != asked:  # another run claimed the default name since it was announced
                print(f"ganzoo: {asked} was taken meanwhile by another run: training into {self.run_dir}",
                      file=sys.stderr, flush=True)
            self._held.enter_context(run_folder.locked(self.run_dir))
        self.opened = not self.resume  # a resumed run: once it knows its checkpoint
        if self.resume and main:
            for folder in (self.run_dir, self.run_dir / run_folder.SAMPLES_DIR):  # left by a process killed mid-write
                atomic.remove_stale_temporaries(folder)
        if self.resume and not (self.run_dir / run_folder.CHECKPOINT_FILE).is_file():
            # Stopped before its first checkpoint: nothing was trained for good, so the run starts
            # again from step 0 with its saved settings (the same run a fresh start would give).
            self.opened = True
            if main:
                print(f"ganzoo: {self.run_dir} has no checkpoint yet: starting it again from step 0 with its saved settings",
                      file=sys.stderr, flush=True)
                run_folder.truncate_metrics(self.run_dir, 0)
        elif self.resume:
            try:  # checked against this run's own state (names, shapes, size) before a tensor is read
                state = checkpoint.read_checkpoint(self.run_dir, like=self.state_dict())
            except RunFolderError:
                differs = _mismatch(checkpoint.recorded_config(self.run_dir), cfg.to_dict(), quiet=True)
                if differs:
                    raise self._foreign_checkpoint(differs) from None
                raise
            try:
                self.load_state_dict(state)
            except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
                raise self._foreign_checkpoint(
                    _mismatch(state.get('config'), cfg.to_dict()) or ' '.join(str(exc).split())[:160]) from None
            self.opened = True
            self.dist.restore_rng(state, cfg.seed, self.step)
            if self.step == cfg.steps and not self._weights_written():  # stopped between its last checkpoint and its weights
                if main:
                    print(f"ganzoo: {self.run_dir} was trained to step {self.step} but its weights were not all written: "
                          "writing them now", file=sys.stderr, flush=True)
            elif self.step >= cfg.steps:
                raise ConfigError(f"{self.run_dir} finished at step {self.step}; pass --steps N with N > {self.step} to train on")
            if main:
                run_folder.truncate_metrics(self.run_dir, self.step)
        if main and self.resume:
            cfg.save(self.run_dir)  # its steps or device may have changed
            (self.run_dir / run_folder.SAMPLES_DIR).mkdir(exist_ok=True)

    def _list_skipped(self) -> None:
        """--skip-bad-images: the files left out, in the run folder, and how many on stderr."""
        path = self.run_dir / run_folder.SKIPPED_IMAGES_FILE
        atomic.write_text(path, "".join(f"{line}\n" for line in self.skipped))
        print(f"ganzoo: left out {len(self.skipped)} unusable image file(s) (--skip-bad-images); listed in {path}",
              file=sys.stderr, flush=True)

    def _foreign_checkpoint(self, differs: str) -> RunFolderError:
        return RunFolderError(
            f"{self.run_dir / run_folder.CHECKPOINT_FILE} does not fit the run in {self.run_dir} ({differs}): it was "
            "written by another model or configuration; put the run's own checkpoint back, or delete it to restart from step 0")

    def _weights_written(self) -> bool:
        """Whether every final weights file is there and was written at this step."""
        names = [*run_folder.WEIGHT_FILES.values(), *([run_folder.EMA_GENERATOR_FILE] if self.ema is not None else [])]
        try:
            return all(read_metadata(self.run_dir / name).get("step") == str(self.step) for name in names)
        except WeightsError:  # missing or unreadable
            return False

    def _kept(self) -> str:
        """What survives a failure now, for error messages."""
        if self.checkpoint_step is None:
            return "no checkpoint had been written yet"
        return f"the last good checkpoint (step {self.checkpoint_step}) is kept in {self.run_dir}"

    def _check_finite_state(self, state: dict[str, Any]) -> None:
        """Stop the run (every rank alike: the weights are equal) if ``state`` holds NaN or inf."""
        bad = non_finite(checkpoint.tensors_in(state))
        if bad:
            raise TrainingDiverged(
                f"the weights became non-finite by step {self.step} ({describe_non_finite(bad)}); nothing was written; "
                f"{self._kept()}. Try a lower --lr or another --seed"
            )

    def _check_finite(self, d: float, g: float, since_step: int) -> None:
        bad = [name for name, v in (("discriminator", d), ("generator", g)) if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(
                f"the {' and '.join(bad)} loss became non-finite between steps {since_step} and {self.step}; {self._kept()}. "
                "Try a lower --lr or another --seed"
            )


#: Set by ``ganzoo --threads N`` (beside ``OMP_NUM_THREADS``), for :func:`threads_record`.
THREADS_ENV = "GANZOO_THREADS"


def threads_record() -> dict[str, int]:
    """``{"threads": N}`` for the weights' metadata when ``ganzoo --threads N`` started the run: a
    fixed-seed run repeats bit for bit only with as many threads, so ``ganzoo zoo add`` puts
    ``--threads N`` in the command it rebuilds."""
    threads = os.environ.get(THREADS_ENV, "").strip()
    return {"threads": int(threads)} if threads.isdigit() and int(threads) > 0 else {}


def decay_factor(step: int, steps: int, fraction: float) -> float:
    """The learning-rate factor of generator step ``step`` (0-based) of ``steps``: 1, then over the
    last ``round(fraction * steps)`` steps ``(steps - step) / decay_steps``, down to
    ``1 / decay_steps`` (never 0: no step is wasted)."""
    decay_steps = round(fraction * steps)
    if decay_steps < 1 or step < steps - decay_steps:
        return 1.0
    return max(steps - step, 1) / decay_steps


def _mismatch(saved: Any, wanted: dict[str, Any], quiet: bool = False) -> str:
    """The settings in which a checkpoint's recorded config differs from the run's (``""``: none,
    or, with ``quiet``, no config recorded)."""
    if not isinstance(saved, dict):
        return "" if quiet else "it records no run config"
    pairs = [(k, saved.get(k), wanted.get(k)) for k in ("model", "architecture", "loss")]
    arch_saved, arch_wanted = saved.get("architecture_config") or {}, wanted.get("architecture_config") or {}
    pairs += [(k, arch_saved.get(k), arch_wanted.get(k)) for k in sorted(set(arch_saved) | set(arch_wanted))]
    differ = [f"its {k} is {a!r}, the run's {b!r}" for k, a, b in pairs if a != b]
    return "; ".join(differ[:3])
