"""One process trains in a run folder at a time; default names and sample files are claimed atomically.

What is promised, with real processes at the same moment: a second process that trains in a
folder (``ganzoo run --resume``) is refused in one line naming the pid of the one that holds it,
and ``metrics.jsonl`` has one writer; two runs started together without ``--out`` take two
folders; two ``ganzoo sample -o FILE`` to one file: one writes it whole, the other is refused in
one line. A killed holder never leaves a stale lock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.errors import RunFolderError
from ganzoo.io import atomic, run_folder
from ganzoo.io.images import save_grid

from tests.helpers import REPO, run_cli

TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, num_samples=16, sample_every=1000, log_every=1)
TINY_ARGS = ["--image-size", "16", "--batch-size", "16", "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16", "--no-progress"]


def _hold_lock(run) -> subprocess.Popen:
    """Another process holding the folder's lock (as a training run does), until it is killed."""
    code = ("import sys, time; from ganzoo.io.run_folder import locked\n"
            "with locked(sys.argv[1]):\n    print('held', flush=True); time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(run)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_naming_the_holder_and_a_killed_holder_frees_the_folder(tmp_path):
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=2, checkpoint_every=2, **TINY)
    holder = _hold_lock(run)
    try:
        with pytest.raises(RunFolderError, match=rf"in use by another ganzoo process \(pid {holder.pid}\)"):
            ganzoo.train(resume=run, steps=4)
        proc = run_cli("run", "--resume", str(run), "--steps", "4", "--no-progress")
        assert proc.returncode == 2 and f"pid {holder.pid}" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        holder.send_signal(signal.SIGKILL)  # however a holder dies, the kernel drops its lock
        holder.wait()
    assert ganzoo.train(resume=run, steps=4).step == 4


def test_the_lock_is_held_while_training_and_released_after(tmp_path):
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=2, checkpoint_every=2, **TINY)
    assert (run / run_folder.LOCK_FILE).is_file()
    with run_folder.locked(run):  # free again once the run returned
        assert (run / run_folder.LOCK_FILE).read_text().strip() == str(os.getpid())


def test_default_names_are_claimed_atomically(tmp_path):
    base = tmp_path / "runs" / "dcgan-digits"
    first = run_folder.create_run_dir(base, next_free=True)
    second = run_folder.create_run_dir(base, next_free=True)  # as if claimed by a process started at the same time
    assert (first, second) == (base, base.with_name("dcgan-digits-2"))
    (tmp_path / "empty").mkdir()
    assert run_folder.create_run_dir(tmp_path / "empty") == tmp_path / "empty"  # a folder the user made for the run
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="exists already"):  # a chosen --out is never renamed or reused
        run_folder.create_run_dir(tmp_path / "taken")


@pytest.mark.slow  # two real trainings started together in one folder
def test_two_runs_started_together_take_two_default_folders(tmp_path):
    argv = [sys.executable, "-m", "ganzoo", "run", "dcgan", "--steps", "2", *TINY_ARGS]
    procs = [subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert folders == ["dcgan-digits", "dcgan-digits-2"]
    assert all((tmp_path / "runs" / f / "generator.safetensors").is_file() for f in folders)


def test_a_default_name_taken_after_it_was_announced_is_said_in_one_line(tmp_path, monkeypatch, capfd):
    """Two runs started together both announce ``runs/dcgan-digits``; the one that finds it taken
    says where it trains instead (this plays the other run by taking the name between the two)."""
    monkeypatch.chdir(tmp_path)
    from ganzoo.api import plan_run

    plan = plan_run("dcgan", steps=1, **TINY)
    announced = plan.run_dir
    run_folder.create_run_dir(announced, next_free=True)  # the other run, first
    result = plan.fit(progress=False)
    assert result.run_dir == announced.with_name(announced.name + "-2")
    err = capfd.readouterr().err
    assert f"{announced} was taken meanwhile by another run: training into {result.run_dir}" in err


def test_exclusive_writes_never_replace_a_file(tmp_path):
    path = tmp_path / "grid.png"
    path.write_bytes(b"someone else's")
    with pytest.raises(FileExistsError):
        save_grid(torch.zeros(4, 1, 8, 8), path)
    raced = tmp_path / "raced.png"
    with pytest.raises(FileExistsError):
        with atomic.atomic_path(raced, exclusive=True) as tmp:
            tmp.write_bytes(b"ours")
            raced.write_bytes(b"theirs")  # another process finishes first
    assert path.read_bytes() == b"someone else's" and raced.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png", "raced.png"]  # no temporary left
    save_grid(torch.zeros(4, 1, 8, 8), tmp_path / "new.png")
    assert (tmp_path / "new.png").read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------- real processes at the same moment
def _start(*args: str, cwd) -> subprocess.Popen:
    env = {**os.environ, "GANZOO_LOAD_PLUGINS": "", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "ganzoo", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _winner_and_loser(procs: list[subprocess.Popen]) -> tuple[tuple, tuple]:
    """``(proc, stdout, stderr)`` of the one that succeeded and of the one refused (exit 2)."""
    done = [(p, *p.communicate(timeout=300)) for p in procs]
    codes = sorted(p.returncode for p, _, _ in done)
    assert codes == [0, 2], [(p.returncode, err[-1500:]) for p, _, err in done]
    winner, loser = sorted(done, key=lambda d: d[0].returncode)
    assert "Traceback" not in loser[2]
    errors = [line for line in loser[2].splitlines() if line.startswith("ganzoo: error:")]
    assert len(errors) == 1 and loser[2].rstrip().endswith(errors[0]), loser[2]
    return winner, loser


@pytest.mark.slow  # two real trainings at once
def test_two_resumes_at_once_one_trains_and_the_other_names_its_pid(tmp_path):
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=2, checkpoint_every=2, **TINY)
    procs = [_start("run", "--resume", str(run), "--steps", "150", "--no-progress", cwd=tmp_path) for _ in range(2)]
    winner, loser = _winner_and_loser(procs)
    assert f"{run} is in use by another ganzoo process (pid {winner[0].pid})" in loser[2]
    lines = [json.loads(line) for line in (run / run_folder.METRICS_FILE).read_text().splitlines()]
    assert [m["step"] for m in lines] == list(range(1, 151))  # one writer: whole lines, in order, none twice
    assert ganzoo.load(run).card.step == 150
    assert not list(run.glob(".*.tmp"))


def test_two_samples_to_one_file_at_once_one_wins_and_the_file_is_whole(tmp_path):
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=2, checkpoint_every=2, **TINY)
    out = tmp_path / "grids" / "same.png"
    procs = [_start("sample", str(run), "-n", "16", "--seed", str(seed), "-o", str(out), cwd=tmp_path) for seed in (1, 2)]
    winner, loser = _winner_and_loser(procs)
    assert str(out) in loser[2] and ("exists already" in loser[2] or "written by someone else meanwhile" in loser[2])
    with Image.open(out) as picture:
        picture.load()  # a whole PNG: the winner's, never a mix
        assert picture.size == (2 + 4 * 18, 2 + 4 * 18)
    assert [p.name for p in out.parent.iterdir()] == ["same.png"]  # no temporary left
