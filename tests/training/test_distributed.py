"""Data-parallel training (``ganzoo run --nproc N`` / torchrun): real gloo processes on the CPU.

Three multi-process launches in all: the CLI trains and resumes in 2 processes, and one torchrun
launch of ``tests/helpers/ddp_worker.py`` checks from inside each rank what the CLI cannot see:
every rank's own weights, a resumed run against an uninterrupted one, WGAN-GP, and the gradient
of the penalty under DDP against one process on the whole batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from ganzoo.cli import launch
from ganzoo.io import checkpoint
from ganzoo.training import distributed
from ganzoo.io import weights
from ganzoo.data.datasets import BatchStream, ImageDataset
from ganzoo.errors import ConfigError

from tests.helpers import REPO, run_cli

# Tiny DCGAN settings: every step takes milliseconds; 8 images = 4 per process.
TINY = ["--image-size", "16", "--batch-size", "8", "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16", "--no-progress"]
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
NO_WORLD = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@pytest.fixture(autouse=True)
def single_process(monkeypatch):
    """Tests run outside any torchrun launch, whatever started pytest."""
    for name in NO_WORLD:
        monkeypatch.delenv(name, raising=False)


def _metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------- no processes needed
def test_strip_nproc_and_the_torchrun_command():
    argv = ["--threads", "1", "run", "dcgan", "--nproc", "2", "--steps", "5", "--npro=3", "--np", "4", "--n-critic", "2"]
    assert launch.strip_nproc(argv) == ["--threads", "1", "run", "dcgan", "--steps", "5", "--n-critic", "2"]
    command = launch.launch_command(2, ["run", "dcgan", "--nproc", "2"])
    assert command == [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "ganzoo", "run", "dcgan"]


def test_environment_and_seeds(monkeypatch):
    assert distributed.env_world() is None and distributed.is_main_process()
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed.env_world() is None  # torchrun with one process: a plain run
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert distributed.env_world() == (4, 3, 1) and not distributed.is_main_process()
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(ConfigError, match="outside WORLD_SIZE 4"):
        distributed.env_world()
    seeds = {distributed.rank_seed(0, r) for r in range(8)} | {distributed.rank_seed(1, r) for r in range(8)}
    assert len(seeds) == 16 and all(0 <= s < 2**63 for s in seeds)
    assert distributed.rank_seed(5, 2) == distributed.rank_seed(5, 2)


def test_rank_slices_make_up_the_one_process_batches():
    dataset = ImageDataset(torch.arange(20 * 4, dtype=torch.uint8).view(20, 1, 2, 2), torch.arange(20) % 3)
    whole = BatchStream(dataset, 6, torch.device("cpu"), seed=7)
    parts = [BatchStream(dataset, 6, torch.device("cpu"), seed=7, rank=r, world_size=3) for r in range(3)]
    for _ in range(8):  # past an epoch boundary (20 images, drop-last batches of 6)
        images, labels = next(whole)
        slices = [next(p) for p in parts]
        assert all(len(s[0]) == 2 for s in slices)
        assert torch.equal(torch.cat([s[0] for s in slices]), images)
        assert torch.equal(torch.cat([s[1] for s in slices]), labels)
    states = [p.state_dict() for p in parts]  # the same on every rank: a checkpoint needs it once
    assert all(s["position"] == states[0]["position"] and torch.equal(s["order"], states[0]["order"]) for s in states)


def test_batch_that_does_not_split_is_refused_before_any_process_starts(tmp_path):
    proc = run_cli("run", "--nproc", "3", "dcgan", *TINY, "--steps", "2", "--out", str(tmp_path / "run"), env=ONE_THREAD)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "ganzoo: error: --batch-size 8 does not split evenly over 3 processes; use a multiple of 3 "
        "(it is the global batch: each process draws batch-size / 3)"
    ]
    assert not (tmp_path / "run").exists()
    # Under torchrun (its environment), each rank refuses it the same way before joining the group.
    env = {**ONE_THREAD, "WORLD_SIZE": "3", "RANK": "0", "LOCAL_RANK": "0"}
    proc = run_cli("run", "dcgan", *TINY, "--steps", "2", "--out", str(tmp_path / "run"), env=env)
    assert proc.returncode == 2 and "does not split evenly over 3 processes" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()


def test_nproc_refuses_what_processes_cannot_share(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    proc = run_cli("run", "--nproc", "2", "dcgan", *TINY, "--out", str(tmp_path / "taken"))
    assert proc.returncode == 2 and "exists already" in proc.stderr
    proc = run_cli("run", "--nproc", "2", "dcgan", *TINY, "--device", "cuda:1", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "pass --device cuda, not 'cuda:1'" in proc.stderr
    proc = run_cli("run", "--nproc", "2", "dcgan", *TINY, "--device", "cpu", "--sync-bn", "--out", str(tmp_path / "run"))
    assert proc.returncode == 2 and "--sync-bn needs CUDA devices" in proc.stderr
    env = {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"}
    proc = run_cli("run", "--nproc", "2", "dcgan", *TINY, "--out", str(tmp_path / "run"), env=env)
    assert proc.returncode == 2 and "leave it out when torchrun starts them" in proc.stderr
    assert not (tmp_path / "run").exists()


def test_one_process_context_changes_nothing():
    single = distributed.SINGLE
    sums = torch.tensor([1.0, 2.0])
    assert single.mean(sums) is sums and single.shard() == {} and single.is_main
    g, d = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    assert single.wrap(g, d, sync_bn=True) == (g, d)
    state = torch.random.get_rng_state()
    single.seed_rank(123)  # one process keeps the run's own random stream
    assert torch.equal(torch.random.get_rng_state(), state)
    assert single.gather_rng({"step": 1}, (g, d), 1, "kept") == {"step": 1}
    assert single.verify((g, d), 1, "kept") == {}
    flag = object()
    assert single.agree(flag, lambda: 0) is flag


def test_data_parallel_wrapper_in_a_one_process_group(tmp_path):
    """The wrapper keeps plain state-dict keys and sends eval / no-grad forwards to the module."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        wrapped = distributed.data_parallel(net, torch.device("cpu"))
        assert distributed.unwrap(wrapped) is net
        assert list(wrapped.state_dict()) == list(net.state_dict())  # no "module." prefix
        wrapped.load_state_dict(net.state_dict())
        x = torch.randn(5, 3)
        wrapped(x).sum().backward()  # a training forward through DDP
        assert net[0].weight.grad is not None
        wrapped.eval()
        with torch.no_grad():
            assert torch.equal(wrapped(x), net(x))
        assert distributed.parameter_digest([wrapped]) == distributed.parameter_digest([net])

        context = distributed.Distributed(1, 0, 0, torch.device("cpu"))
        trainer = SimpleNamespace(step=3)
        with pytest.raises(ConfigError, match="--sync-bn needs CUDA devices"):
            context.wrap(net, net, sync_bn=True)
        g, d = context.wrap(net, torch.nn.Linear(3, 1))  # handed back wrapped; the inputs are untouched
        assert distributed.unwrap(g) is net and g is not net
        assert context.verify((g, d), 3, "kept") == {"world_size": 1, "ranks_in_sync": True}
        state = context.gather_rng({"step": 3}, (g, d), 3, "kept")
        assert state["step"] == 3 and state["ranks"]["world_size"] == 1 and len(state["ranks"]["rng"]) == 1
        assert torch.equal(context.mean(torch.tensor([2.0, 4.0])), torch.tensor([2.0, 4.0]))
        # Ctrl-C: the vote cast at one step is read at the next, the same step on every rank.
        pressed = {"now": False}
        seen = []
        with context.agree(contextlib.nullcontext(lambda: pressed["now"]), lambda: trainer.step) as stop:
            for step in (4, 5, 6):
                trainer.step = step
                seen.append(stop())
                pressed["now"] = step >= 4  # Ctrl-C during step 4, after its vote
                seen.append(stop())  # a second call in the same step casts no new vote
        assert seen == [False, False, False, False, True, True]  # voted at step 5, everyone stops at 6
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------- real processes
@pytest.mark.slow  # two 2-process launches: about 40 s on 2 busy cores
def test_nproc_2_trains_resumes_and_keeps_ranks_in_sync(tmp_path):
    run = tmp_path / "run"
    common = [*TINY, "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "2"]
    first = run_cli("run", "--nproc", "2", "dcgan", *common, "--steps", "2", "--out", str(run), env=ONE_THREAD)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("finished 2 steps") == 1  # rank 0 alone reports
    assert first.stderr.count("training dcgan on digits") == 1
    lines = _metrics(run)
    assert [m["step"] for m in lines] == [1, 2]
    assert lines[-1]["ranks_in_sync"] is True and lines[-1]["world_size"] == 2
    assert json.loads((run / "config.json").read_text())["world_size"] == 2
    meta = weights.read_metadata(run / "generator.safetensors")
    assert meta["training"]["world_size"] == 2 and meta["training"]["batch_size"] == 8
    saved = weights.read_tensors(run / "generator.safetensors")
    assert saved and not any(k.startswith("module.") for k in saved)
    state = checkpoint.read_checkpoint(run)
    assert state["step"] == 2 and state["ranks"]["world_size"] == 2 and len(state["ranks"]["rng"]) == 2
    assert not torch.equal(state["ranks"]["rng"][0]["torch"], state["ranks"]["rng"][1]["torch"])  # own noise per rank
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step-000002.png"]

    resumed = run_cli("run", "--nproc", "2", "--resume", str(run), "--steps", "4", "--no-progress", env=ONE_THREAD)
    assert resumed.returncode == 0, resumed.stderr
    assert "finished 4 steps" in resumed.stdout
    lines = _metrics(run)
    assert [m["step"] for m in lines] == [1, 2, 3, 4]
    assert lines[-1]["ranks_in_sync"] is True and lines[-1]["world_size"] == 2
    assert all(torch.isfinite(torch.tensor([m["d_loss"], m["g_loss"]])).all() for m in lines)
    assert weights.read_metadata(run / "generator.safetensors")["step"] == "4"


@pytest.mark.slow  # one 2-process torchrun launch training four tiny runs: about 30 s on 2 busy cores
def test_ranks_hold_identical_weights_resume_exactly_and_wgan_gp_gradients_match(tmp_path):
    # The worker is a module of the tests package: the repository root goes on the path (the
    # folder it runs in stays the test's own).
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, **ONE_THREAD, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
               "-m", "tests.helpers.ddp_worker", str(tmp_path)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]

    def params(tag: str, rank: int) -> dict[str, torch.Tensor]:
        return weights.read_tensors(tmp_path / f"{tag}.rank{rank}.safetensors")

    for tag in ("straight", "split-2", "split-4", "wgan-gp"):
        zero, one = params(tag, 0), params(tag, 1)
        assert zero.keys() == one.keys() and zero
        for key in zero:
            assert torch.equal(zero[key], one[key]), f"{tag}: {key} differs between the ranks"
            assert torch.isfinite(zero[key]).all(), f"{tag}: {key} is not finite"
    # A resumed 2-process run equals the uninterrupted one, weights and logged losses.
    straight, split = params("straight", 0), params("split-4", 0)
    assert all(torch.equal(straight[k], split[k]) for k in straight)
    for name in ("generator.safetensors", "discriminator.safetensors"):
        a, b = weights.read_tensors(tmp_path / "straight" / name), weights.read_tensors(tmp_path / "split" / name)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    losses = lambda run: [(m["step"], m["d_loss"], m["g_loss"]) for m in _metrics(tmp_path / run)]  # noqa: E731
    assert losses("straight") == losses("split") and len(losses("straight")) == 4
    # WGAN-GP trained in sync, with finite losses, and its DDP gradients are the one-process ones.
    last = _metrics(tmp_path / "wgan-gp")[-1]
    assert last["ranks_in_sync"] is True and last["world_size"] == 2
    assert all(torch.isfinite(torch.tensor([m["d_loss"], m["g_loss"]])).all() for m in _metrics(tmp_path / "wgan-gp"))
    for rank in (0, 1):
        grad = json.loads((tmp_path / f"grad.rank{rank}.json").read_text())
        assert grad["scale"] > 0 and grad["worst"] <= 1e-5 * grad["scale"], grad

