"""A ``ganzoo run`` killed at any moment leaves a folder that resumes to the very same weights.

What is promised:

- A run killed (SIGKILL: nothing of ganzoo's runs after it) while a checkpoint's temporary file
  is half written, or once it is whole but not yet renamed, keeps its previous checkpoint
  unchanged; ``ganzoo run --resume`` removes the temporary and ends with weights bitwise equal to
  those of an uninterrupted run with the same seed.
- A run killed between its last checkpoint and its final weights is finished by ``--resume``
  (it writes the weights, the same ones).
- A run killed before its settings were saved leaves a folder that a new run with the same
  ``--out`` takes; ``--resume`` on it says so in one line.
- A run killed at random moments (seeded) resumes to completion, to the same weights.
- ``GANZOO_FAULT_INJECTION`` (for tests only) takes ``MOMENT:NAME:N`` items; anything else is one
  line, not a traceback.

The kills are real: ``GANZOO_FAULT_INJECTION`` makes ganzoo's atomic writer send SIGKILL to its
own process at the chosen write (``ganzoo/io/atomic.py``), or the test sends SIGKILL itself.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ganzoo.errors import ConfigError
from ganzoo.io import atomic, checkpoint, run_folder
from ganzoo.io.weights import read_metadata

from tests.helpers import run_cli
from tests.hostile.test_os_errors import ENV, RUN_ARGS, assert_no_temporaries, assert_one_line, metric_steps

STEPS = 6
#: Checkpoints at steps 2, 4 and 6; the final weights after the last.
ARGS = ["--steps", str(STEPS), "--checkpoint-every", "2", *RUN_ARGS]
#: The random kills: a longer run, a checkpoint every 5 steps.
LONG_STEPS = 60
LONG_ARGS = ["--steps", str(LONG_STEPS), "--checkpoint-every", "4", *RUN_ARGS]
WEIGHTS = (run_folder.GENERATOR_FILE, run_folder.DISCRIMINATOR_FILE)


def train(run: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**ENV, atomic.FAULT_VARIABLE: fault} if fault else ENV
    return run_cli("run", "dcgan", "--out", str(run), *ARGS, env=env)


def assert_same_weights(run: Path, reference: Path) -> None:
    for name in WEIGHTS:
        ours, theirs = load_file(str(run / name)), load_file(str(reference / name))
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours), name


def resume(run: Path) -> subprocess.CompletedProcess:
    proc = run_cli("run", "--resume", str(run), "--no-progress", env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_no_temporaries(run)
    return proc


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted run every killed one must end up equal to."""
    run = tmp_path_factory.mktemp("reference") / "run"
    proc = train(run)
    assert proc.returncode == 0, proc.stderr
    return run


# ---------------------------------------------------------------- killed by the writer itself
@pytest.mark.parametrize("moment", ["kill-half-written", "kill-before-publish"])
def test_a_run_killed_while_writing_its_second_checkpoint_resumes_to_the_same_weights(tmp_path, reference, moment):
    run = tmp_path / "run"
    proc = train(run, fault=f"{moment}:{run_folder.CHECKPOINT_FILE}:2")
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    (tmp,) = run.glob(f".{run_folder.CHECKPOINT_FILE}.*.tmp")  # the cut write, as the kill left it
    full = (reference / run_folder.CHECKPOINT_FILE).stat().st_size
    assert tmp.stat().st_size < full * 0.6 if moment == "kill-half-written" else abs(tmp.stat().st_size - full) < 64
    assert checkpoint.read_checkpoint(run)["step"] == 2  # the previous checkpoint, whole
    assert not any((run / name).exists() for name in WEIGHTS)
    resume(run)
    assert_same_weights(run, reference)
    assert metric_steps(run) == list(range(1, STEPS + 1))


def test_a_run_killed_before_its_weights_were_published_is_finished_by_resume(tmp_path, reference):
    run = tmp_path / "run"
    proc = train(run, fault=f"kill-before-publish:{run_folder.GENERATOR_FILE}:1")
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert checkpoint.read_checkpoint(run)["step"] == STEPS and not (run / run_folder.GENERATOR_FILE).exists()
    proc = resume(run)
    assert "weights were not all written: writing them now" in proc.stderr
    assert_same_weights(run, reference)


def test_a_run_killed_before_its_settings_were_saved_can_be_started_again(tmp_path, reference):
    run = tmp_path / "run"
    proc = train(run, fault=f"kill-before-publish:{run_folder.CONFIG_FILE}:1")
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert run_folder.never_started(run)
    proc = run_cli("run", "--resume", str(run), "--no-progress", env=ENV)
    assert_one_line(proc, f"{run} holds no run: it was stopped before its settings were saved", code=2)
    assert train(run).returncode == 0  # the same --out again
    assert_no_temporaries(run)
    assert_same_weights(run, reference)


def test_a_malformed_fault_injection_is_one_line(tmp_path):
    proc = run_cli("run", "dcgan", "--out", str(tmp_path / "run"), *ARGS,
                   env={**ENV, atomic.FAULT_VARIABLE: "explode:checkpoint.safetensors:x"})
    assert_one_line(proc, f"{atomic.FAULT_VARIABLE}='explode:checkpoint.safetensors:x'", code=2, alone=False)


def test_the_fault_grammar():
    assert atomic.parse_faults("") == []
    assert atomic.parse_faults("kill-half-written:checkpoint.safetensors:2, kill-before-publish:*:1") == [
        atomic.Fault("kill-half-written", "checkpoint.safetensors", 2), atomic.Fault("kill-before-publish", "*", 1)]
    assert atomic.parse_faults("kill-before-publish:a:b.png:3") == [atomic.Fault("kill-before-publish", "a:b.png", 3)]
    for bad in ("kill:x:1", "kill-half-written:x", "kill-half-written::1", "kill-half-written:x:0", "kill-half-written:x:-1"):
        with pytest.raises(ConfigError, match="MOMENT:NAME:N"):
            atomic.parse_faults(bad)


# ---------------------------------------------------------------- killed from outside, at random moments
def _kill_at(run: Path, delay: float) -> tuple[int, float]:
    """Start the long run, wait until it trains, SIGKILL it ``delay`` seconds later (unless it
    ended first). Its return code, and how long it took to write its weights (seconds)."""
    argv = [sys.executable, "-m", "ganzoo", "run", "dcgan", "--out", str(run), *LONG_ARGS]
    proc = subprocess.Popen(argv, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=run.parent)
    weights_after = float("inf")
    try:
        while not (run / run_folder.METRICS_FILE).exists() and proc.poll() is None:
            time.sleep(0.005)
        started = time.perf_counter()
        while proc.poll() is None and time.perf_counter() - started < delay:
            if weights_after == float("inf") and (run / run_folder.DISCRIMINATOR_FILE).exists():
                weights_after = time.perf_counter() - started
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    return proc.returncode, weights_after


def _finished(run: Path) -> bool:
    return all((run / name).is_file() and read_metadata(run / name)["step"] == str(LONG_STEPS) for name in WEIGHTS)


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory) -> tuple[Path, float]:
    """An uninterrupted long run, and how long it took from its first step to its weights (seconds)."""
    run = tmp_path_factory.mktemp("long-reference") / "run"
    code, seconds = _kill_at(run, 600)
    assert code == 0 and seconds < 600
    return run, seconds


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_run_killed_at_a_random_moment_resumes_to_the_same_weights(tmp_path, long_reference, seed):
    reference, seconds = long_reference
    run = tmp_path / "run"
    run.parent.mkdir(exist_ok=True)
    delay = random.Random(seed).uniform(0, seconds)  # from its first step to its last write
    code, _ = _kill_at(run, delay)
    if code == 0:
        pytest.skip(f"the run finished within {delay:.2f} s, before the kill")
    assert code == -signal.SIGKILL
    if not _finished(run):  # killed after its weights were written: nothing to resume
        resume(run)
    assert checkpoint.read_checkpoint(run)["step"] == LONG_STEPS
    assert metric_steps(run) == list(range(1, LONG_STEPS + 1))
    assert_same_weights(run, reference)
