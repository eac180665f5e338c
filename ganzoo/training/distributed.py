"""Data-parallel training over several processes (``torchrun``, or ``ganzoo run --nproc N``).

Every process (rank) runs the same :class:`~ganzoo.training.trainer.Trainer` loop on its own slice of
each batch; DistributedDataParallel averages the gradients, so every rank takes the same
optimizer steps and holds the same weights. How the pieces fit:

- **Processes.** ``torchrun`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; :func:`session`
  reads them, joins the process group (gloo on CPU, nccl on CUDA with device
  ``cuda:LOCAL_RANK``) and leaves it at the end, also on errors. Without them (or with one
  process) every method of :data:`SINGLE` is a no-op, so a one-process run is bit-for-bit the
  run it was before this module existed.
- **Data.** Every rank walks the *same* seeded shuffle and takes its ``batch_size / world_size``
  slice of each batch (:class:`~ganzoo.data.BatchStream`'s ``rank``/``world_size``): the global
  batch of an N-process run is exactly the batch a one-process run with the same seed draws, and
  the stream's state is identical on every rank, so a checkpoint needs it once.
- **Noise.** After the nets are built (from the same seed, so identical everywhere; DDP also
  broadcasts rank 0's weights) each rank reseeds torch and Python from ``(seed, rank)``: the
  ranks draw different noise (and gradient-penalty mixing weights), as one big batch would.
- **Nets.** :class:`DataParallelNet` wraps each net for training. Forward passes in eval mode or
  without gradients (sample grids, the relativistic losses' extra critic pass, the critic-step
  fakes) go straight to the plain module: no collective, so rank 0 alone can draw samples.
  ``state_dict``/``load_state_dict`` are the plain module's, so saved keys carry no ``module.``.
  Batch-norm buffers are rank 0's (DDP broadcasts them at each forward); ``--sync-bn`` makes
  batch norm use the statistics of the whole global batch (CUDA only: torch refuses CPU).
- **Gradient penalty.** WGAN-GP's ``autograd.grad(create_graph=True)`` differentiates the critic
  with respect to its *inputs* only: it runs no parameter hooks, so DDP's reducer sees one
  backward per step (the loss's), whose parameter gradients include the penalty's second-order
  terms and are averaged as usual. Checked against one process on the whole batch in
  ``tests/test_distributed.py``.
- **Output.** Rank 0 alone writes the run folder, metrics, samples, class reports, checkpoints
  and weights; the others show no progress. Logged losses are means over all ranks (one
  all-reduce per logged line, none per step).
- **Checkpoints.** Nets, optimizers and the data position are rank 0's (equal everywhere);
  every rank's RNG state is gathered into the same file (``ranks``), and each rank restores its
  own, so a resumed run continues exactly as the uninterrupted one. Resuming on another number
  of processes works too: the data order continues exactly, the noise is reseeded from
  ``(seed, rank, step)``. Every process reads the run folder, so multi-node resumes need it on
  a shared filesystem.
- **Safety.** At every checkpoint and at the end the ranks compare a SHA-256 of their
  parameters and stop with :class:`RanksOutOfSync` if they differ; the last metrics line says
  ``"ranks_in_sync": true`` and the ``world_size``.
- **Ctrl-C.** Each rank's first Ctrl-C is agreed on over a side gloo group (an all-reduce per
  step, waited for one step later, so it costs no stall); all ranks then checkpoint at the same
  step and stop with exit code 130.

The torch-free part (which process this is, what a launch must satisfy) is
:mod:`ganzoo.training.world`, which the ``ganzoo run --nproc N`` launcher
(:mod:`ganzoo.cli.launch`) uses before re-executing itself under ``torch.distributed.run``.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import sys
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Sequence

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ganzoo.core.device import select_device
from ganzoo.errors import ConfigError
from ganzoo.io import checkpoint
from ganzoo.training.world import (  # noqa: F401 (re-exported: the runtime's checks, in one place)
    SYNC_BN_NEEDS_CUDA,
    RanksOutOfSync,
    check_device_name,
    check_world,
    env_world,
    is_main_process,
)

if TYPE_CHECKING:
    from ganzoo.core.config import TrainConfig


# ---------------------------------------------------------------- the single-process context
class Context:
    """What the trainer asks about its processes. This base class is the one-process run:
    every method leaves the trainer exactly as it was."""

    world_size = 1
    rank = 0
    is_main = True

    def select_device(self, name: str) -> torch.device:
        return select_device(name)

    def shard(self) -> dict[str, int]:
        """Keyword arguments of :class:`~ganzoo.data.BatchStream` for this rank's slice."""
        return {}

    def record(self, config: TrainConfig) -> TrainConfig:
        """The config with this launch's world size (saved in config.json and the weights)."""
        return config if config.world_size == self.world_size else replace(config, world_size=self.world_size)

    def wrap(self, generator: Any, discriminator: Any, sync_bn: bool = False) -> tuple[Any, Any]:
        """The nets to train: DDP-wrapped under several processes, the same nets here."""
        return generator, discriminator

    def seed_rank(self, seed: int) -> None:
        """Reseed this rank's RNG so that the ranks draw different noise (nothing in one process)."""

    def restore_rng(self, state: dict[str, Any], seed: int, step: int) -> None:
        """After the trainer loaded ``state``: this rank's own RNG state."""
        saved = int((state.get("ranks") or {}).get("world_size", 1))
        if saved != self.world_size and self.is_main:
            _warn_world_change(saved, self.world_size)

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` averaged over the ranks."""
        return values

    def agree(self, flag: ContextManager[Callable[[], bool]], step: Callable[[], int]) -> ContextManager[Callable[[], bool]]:
        """A stop flag (Ctrl-C) that every rank reads the same at the same step."""
        return flag

    def gather_rng(self, state: dict[str, Any], nets: Sequence[Any], step: int, kept: str) -> dict[str, Any]:
        """``state`` plus every rank's RNG state (after checking the ranks agree)."""
        return state

    def verify(self, nets: Sequence[Any], step: int, kept: str) -> dict[str, Any]:
        """Check every rank holds the same parameters; what to add to the final metrics line.
        ``kept`` says what survives if they do not."""
        return {}


SINGLE = Context()


def rank_seed(seed: int, *parts: Any) -> int:
    """A 63-bit seed for one rank (and step), derived from the run's seed."""
    text = ":".join(str(p) for p in ("ganzoo", seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def _reseed(seed: int) -> None:
    torch.manual_seed(seed)
    random.seed(seed)


def _warn_world_change(saved: int, now: int) -> None:
    print(f"ganzoo: warning: the checkpoint was written by {saved} process(es), this run has {now}: "
          "the data order continues exactly, the noise is drawn afresh", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- several processes
class DataParallelNet(DistributedDataParallel):
    """DDP for training forwards; the plain module for eval or no-grad forwards and for state
    dicts (no ``module.`` prefix, no collective when one rank samples)."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.training and torch.is_grad_enabled():
            return super().forward(*args, **kwargs)
        return self.module(*args, **kwargs)

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)


def data_parallel(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``net`` wrapped in :class:`DataParallelNet`."""
    ids = [device.index] if device.type == "cuda" else None
    return DataParallelNet(net, device_ids=ids, output_device=ids[0] if ids else None)


def unwrap(net: Any) -> Any:
    """The plain module inside a data-parallel wrapper (``net`` itself otherwise)."""
    return net.module if isinstance(net, DataParallelNet) else net


def parameter_digest(nets: Sequence[torch.nn.Module]) -> str:
    """SHA-256 of every parameter's name and bytes: equal on every rank when the ranks agree."""
    digest = hashlib.sha256()
    for net in nets:
        for name, param in unwrap(net).named_parameters():
            digest.update(name.encode())
            data = param.detach().reshape(-1).cpu().contiguous().view(torch.uint8)
            digest.update(data.numpy().tobytes())
    return digest.hexdigest()


class Distributed(Context):
    """One rank of a data-parallel run, inside an initialised process group."""

    def __init__(self, world_size: int, rank: int, local_rank: int, device: torch.device) -> None:
        self.world_size, self.rank, self.local_rank, self.device = world_size, rank, local_rank, device
        self.is_main = rank == 0
        self.dist = dist
        # CPU-side collectives (stop flag, RNG states, checksums) go over gloo, also on nccl runs.
        self.control = dist.new_group(backend="gloo")
        self._verified: tuple[int, dict[str, Any]] | None = None

    def select_device(self, name: str) -> torch.device:
        return self.device

    def shard(self) -> dict[str, int]:
        return {"rank": self.rank, "world_size": self.world_size}

    def wrap(self, generator: Any, discriminator: Any, sync_bn: bool = False) -> tuple[Any, Any]:
        if sync_bn:
            if self.device.type != "cuda":
                raise ConfigError(SYNC_BN_NEEDS_CUDA)
            generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(generator)
            discriminator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(discriminator)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is not needed when a module doesn't have any parameter")
            wrapped = data_parallel(generator, self.device), data_parallel(discriminator, self.device)
        # A 1-channel first conv gets gradients whose strides differ from DDP's buckets after the
        # penalty's double backward: harmless (DDP copies), but torch warns on every rank.
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        return wrapped

    def seed_rank(self, seed: int) -> None:
        _reseed(rank_seed(seed, self.rank))

    def restore_rng(self, state: dict[str, Any], seed: int, step: int) -> None:
        ranks = state.get("ranks") or {}
        if int(ranks.get("world_size", 1)) == self.world_size and len(ranks.get("rng", [])) == self.world_size:
            checkpoint.set_rng_state(ranks["rng"][self.rank])
            return
        if self.is_main:
            _warn_world_change(int(ranks.get("world_size", 1)), self.world_size)
        _reseed(rank_seed(seed, self.rank, "step", step))

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        total = values.clone()
        self.dist.all_reduce(total)
        return total / self.world_size

    @contextlib.contextmanager
    def agree(self, flag: ContextManager[Callable[[], bool]], step: Callable[[], int]) -> Iterator[Callable[[], bool]]:
        with flag as local:
            seen = {"step": None, "stop": False, "work": None, "buffer": None}

            def agreed() -> bool:
                # At the first call of each step: collect the previous step's vote (every rank's
                # flag, max-reduced) and cast this step's. All ranks call this at the same steps.
                if seen["step"] != step():
                    seen["step"] = step()
                    if seen["work"] is not None:
                        seen["work"].wait()
                        seen["stop"] = seen["stop"] or bool(seen["buffer"].item())
                    seen["buffer"] = torch.tensor([int(local())], dtype=torch.int32)
                    seen["work"] = self.dist.all_reduce(seen["buffer"], op=self.dist.ReduceOp.MAX, group=self.control, async_op=True)
                return bool(seen["stop"])

            yield agreed
            if seen["work"] is not None:  # a clean finish: collect the last vote before leaving
                seen["work"].wait()

    def verify(self, nets: Sequence[Any], step: int, kept: str) -> dict[str, Any]:
        if self._verified is not None and self._verified[0] == step:
            return self._verified[1]
        digests: list[Any] = [None] * self.world_size
        self.dist.all_gather_object(digests, parameter_digest(nets), group=self.control)
        differ = [r for r, d in enumerate(digests) if d != digests[0]]
        if differ:
            raise RanksOutOfSync(
                f"at step {step} rank(s) {', '.join(map(str, differ))} hold other weights than rank 0 "
                f"(a bug in data-parallel training; please report it); {kept}"
            )
        result = {"world_size": self.world_size, "ranks_in_sync": True}
        self._verified = (step, result)
        return result

    def gather_rng(self, state: dict[str, Any], nets: Sequence[Any], step: int, kept: str) -> dict[str, Any]:
        self.verify(nets, step, kept)
        states: list[Any] = [None] * self.world_size
        self.dist.all_gather_object(states, checkpoint.rng_state(), group=self.control)
        return {**state, "ranks": {"world_size": self.world_size, "rng": states}}


def _device_for(name: str, local_rank: int) -> tuple[str, torch.device]:
    """The process group backend and this rank's device for the run's ``--device``."""
    name = str(name or "auto")
    check_device_name(name)
    kind = ("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else select_device(name).type
    if kind == "cpu":
        return "gloo", torch.device("cpu")
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise ConfigError(f"local rank {local_rank} has no CUDA device: this node has {count}; "
                          f"start at most {count} processes per node (--nproc-per-node)")
    return "nccl", torch.device("cuda", local_rank)


_STORE: Any = None
_SESSIONS = 0


def _session_store() -> Any:
    """torchrun's rendezvous store under a fresh prefix for each session of this process.

    One process may train several times (the Python API in a torchrun script): the store is
    joined once, and every process group gets keys of its own (the ranks count sessions alike),
    so a new group never reads the addresses of the one destroyed before it.
    """
    global _STORE, _SESSIONS
    if _STORE is None:
        _STORE, _, _ = next(dist.rendezvous("env://"))
    _SESSIONS += 1
    return dist.PrefixStore(f"ganzoo/session-{_SESSIONS}", _STORE)


@contextlib.contextmanager
def session(config: TrainConfig) -> Iterator[Context]:
    """The processes of this run: :data:`SINGLE`, or an initialised process group that is
    destroyed again at the end (also after errors). A group the caller initialised is used and
    left alone."""
    world = env_world()
    if world is None:
        yield SINGLE
        return

    world_size, rank, local_rank = world
    check_world(config.batch_size, world_size)
    backend, device = _device_for(config.device, local_rank)
    owned = not dist.is_initialized()
    if owned:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend, store=_session_store(), rank=rank, world_size=world_size,
                                device_id=device if device.type == "cuda" else None)
    elif dist.get_world_size() != world_size or dist.get_rank() != rank:
        raise ConfigError(f"the initialised process group has {dist.get_world_size()} ranks (this is {dist.get_rank()}), "
                          f"but WORLD_SIZE={world_size} and RANK={rank}")
    context = Distributed(world_size, rank, local_rank, device)
    ok = False
    try:
        yield context
        ok = True
    finally:
        try:
            if ok:  # let rank 0 finish writing before any process returns
                dist.barrier(group=context.control)
        finally:
            dist.destroy_process_group(context.control)
            if owned:
                dist.destroy_process_group()
