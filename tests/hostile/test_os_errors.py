"""Every OS error on a path is one line, and nothing on disk is lost or left half-written.

What is promised, for ``ganzoo run``, ``ganzoo sample``, ``ganzoo eval`` and the Python API:

- An output that cannot be written (under a file, in ``/proc`` or ``/sys``, a name longer than
  the filesystem allows, a folder where a file is meant, a read-only place) is refused before any
  model is built or loaded: one line ``ganzoo: error: cannot ... PATH: why``, exit 1, and no
  run folder or file is left behind.
- A disk that fills up (ENOSPC) or a file-size limit (EFBIG) while checkpointing, writing the
  weights, a sample grid or ``metrics.jsonl`` is one line naming the file and the reason; the
  last good checkpoint is kept unchanged and loadable, no ``.*.tmp`` is left, ``metrics.jsonl``
  holds whole lines only, and once there is room ``ganzoo run --resume`` finishes the run (also
  when only the final weights were missing).
- Any other OS error that reaches the command line is one line naming the path (exit 1).
- In Python the same failures raise ``ganzoo.errors.StorageError``: a ``GanzooError`` and an
  ``OSError`` with its ``errno``.

The faults are real. A full disk is a small tmpfs mounted for the test (we run as root; where
``mount`` is not allowed, those tests are skipped and say why). A size limit is
``RLIMIT_FSIZE`` set in the ``ganzoo`` subprocess with SIGXFSZ ignored, so the kernel fails the
write with EFBIG: that needs no privilege. Root ignores permission bits, so "permission denied"
is not tested; a read-only tmpfs stands in for a read-only place.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

import ganzoo
from ganzoo.errors import GanzooError, StorageError
from ganzoo.io import atomic, checkpoint, run_folder
from ganzoo.io.weights import read_metadata

from tests.helpers import run_cli
from tests.hostile.test_run_folder_locks import TINY_ARGS

PAGE = 4096
#: The runs of this module: tiny nets, a metrics line per step, a sample grid at the last step only.
RUN_ARGS = [*TINY_ARGS, "--log-every", "1", "--sample-every", "1000"]
ENV = {"GANZOO_LOAD_PLUGINS": "", "OMP_NUM_THREADS": "1"}
LONG_NAME = "n" * 300  # longer than any filesystem's 255


# ---------------------------------------------------------------- checks shared by every case
def assert_one_line(proc: subprocess.CompletedProcess, *needles: str, code: int = 1, alone: bool = True) -> str:
    """The command failed with ``code`` and said why in one line naming what it names, without a
    traceback. ``alone``: that line is all of stderr (a run that had started may have said so first)."""
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("ganzoo: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr
    assert len(lines) == 1 or not alone, proc.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def assert_no_temporaries(folder: Path) -> None:
    left = [p for p in folder.rglob(".*") if p.name.endswith(".tmp") or p.name.startswith(".ganzoo-check-")]
    assert not left, left


def pages(size: int) -> int:
    return math.ceil(size / PAGE)


def metric_steps(run: Path) -> list[int]:
    """The steps of ``metrics.jsonl``, every line whole JSON (else this fails)."""
    return [json.loads(line)["step"] for line in (run / run_folder.METRICS_FILE).read_text().splitlines()]


def resume_to_the_end(run: Path, steps: int) -> None:
    proc = run_cli("run", "--resume", str(run), "--no-progress", env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read_metadata(run / run_folder.GENERATOR_FILE)["step"] == str(steps)
    assert checkpoint.read_checkpoint(run)["step"] == steps
    assert metric_steps(run) == list(range(1, steps + 1))
    assert_no_temporaries(run)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """A finished run of this module's settings: weights to sample from, and the sizes of its files."""
    run = tmp_path_factory.mktemp("reference") / "run"
    run_cli("run", "dcgan", "--steps", "2", "--checkpoint-every", "2", *RUN_ARGS, "--out", str(run), env=ENV, check=True)
    return run


def size_of(reference: Path, name: str) -> int:
    return (reference / name).stat().st_size


# ---------------------------------------------------------------- real faults: a small disk, a size limit
class SmallDisk:
    """A tmpfs of its own; ``leave(n)`` fills it up to ``n`` free bytes, ``free_up()`` makes room again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def available(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize

    def leave(self, free: int) -> None:
        self.free_up()
        with open(self.filler, "wb") as fh:
            fh.write(b"\0" * (self.available() - free))
        assert self.available() == free

    def free_up(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.root)], check=True, capture_output=True)


def _mount(target: Path, options: str) -> None:
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no `mount` command here: a full disk is tested with a small tmpfs")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip()}; it needs CAP_SYS_ADMIN): "
                    "a full disk is tested with one")


@contextlib.contextmanager
def _tmpfs(root: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted on ``root`` (made here) for the test's duration."""
    root.mkdir()
    _mount(root, options)
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[SmallDisk]:
    with _tmpfs(tmp_path / "disk", "size=4m") as root:
        yield SmallDisk(root)


@pytest.fixture
def read_only(tmp_path) -> Iterator[Path]:
    with _tmpfs(tmp_path / "read-only", "size=1m,ro") as root:
        yield root


def run_limited(limit: int, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``ganzoo ARGS`` with every file it writes limited to ``limit`` bytes (RLIMIT_FSIZE): a write
    past it fails with EFBIG (SIGXFSZ, which would kill the process instead, is ignored)."""

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **ENV}
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=env,
                          cwd=cwd or tempfile.gettempdir(), preexec_fn=limit_file_size, timeout=600)


# ---------------------------------------------------------------- outputs refused up front
def _under_a_file(tmp: Path) -> Path:
    (tmp / "a-file").write_text("mine")
    return tmp / "a-file" / "run"


def _deep_under_a_file(tmp: Path) -> Path:
    (tmp / "a-file").write_text("mine")
    return tmp / "a-file" / "deeper" / "run"


BAD_RUN_FOLDERS = {
    "under-a-file": (_under_a_file, "a-file is a file, not a folder"),
    "deep-under-a-file": (_deep_under_a_file, "a-file is a file, not a folder"),
    "in-proc": (lambda tmp: Path("/proc/ganzoo-run"), "cannot create /proc/ganzoo-run: "),
    "in-sys": (lambda tmp: Path("/sys/ganzoo-run"), "cannot create /sys/ganzoo-run: "),
    "name-too-long": (lambda tmp: tmp / LONG_NAME, "longer than the filesystem allows"),
}


@pytest.mark.parametrize("case", BAD_RUN_FOLDERS)
def test_a_run_folder_that_cannot_be_made_is_refused_before_any_model_is_built(tmp_path, case):
    make, reason = BAD_RUN_FOLDERS[case]
    out = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    proc = run_cli("run", "dcgan", "--out", str(out), "--steps", "2", *RUN_ARGS, env=ENV)
    assert_one_line(proc, reason)
    assert "training dcgan" not in proc.stderr  # refused before the run started
    assert sorted(tmp_path.rglob("*")) == before  # nothing made, the file untouched
    if case.endswith("under-a-file"):
        assert (tmp_path / "a-file").read_text() == "mine"


def test_a_default_run_folder_under_a_file_named_runs_is_refused(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    proc = run_cli("run", "dcgan", "--steps", "2", *RUN_ARGS, env=ENV, cwd=tmp_path)
    assert_one_line(proc, "cannot create runs/dcgan-digits: runs is a file, not a folder")
    assert (tmp_path / "runs").read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_a_run_folder_in_a_read_only_place_is_refused(read_only):
    proc = run_cli("run", "dcgan", "--out", str(read_only / "run"), "--steps", "2", *RUN_ARGS, env=ENV)
    assert_one_line(proc, f"cannot create {read_only / 'run'}: read-only file system")
    assert list(read_only.iterdir()) == []


def test_the_python_api_raises_a_storage_error_that_is_also_an_os_error(tmp_path):
    out = _under_a_file(tmp_path)
    with pytest.raises(StorageError) as caught:
        ganzoo.train("dcgan", out=out, steps=2)
    assert isinstance(caught.value, GanzooError) and isinstance(caught.value, OSError)
    assert caught.value.errno == errno.ENOTDIR and caught.value.filename == str(out)
    assert str(caught.value) == f"cannot create {out}: {tmp_path / 'a-file'} is a file, not a folder"


def _existing_folder(tmp: Path) -> Path:
    (tmp / "grids").mkdir()
    return tmp / "grids"


BAD_SAMPLE_OUTPUTS = {
    "under-a-file": (lambda tmp: _under_a_file(tmp).with_suffix(".png"), [], "a-file is a file, not a folder"),
    "in-proc": (lambda tmp: Path("/proc/ganzoo-grid.png"), [], "cannot write /proc/ganzoo-grid.png: "),
    "in-sys": (lambda tmp: Path("/sys/ganzoo-grid.png"), [], "cannot write /sys/ganzoo-grid.png: "),
    "name-too-long": (lambda tmp: tmp / f"{LONG_NAME}.png", [], "longer than the filesystem allows"),
    "a-folder-with-force": (_existing_folder, ["--force"], "grids: it is a folder, not a file"),
    "a-folder": (_existing_folder, [], "grids: it is a folder, not a file"),
    "input-into-a-file": (lambda tmp: tmp / "a-file", ["--input", "x.png"], "a-file: it is a file, not a folder"),
}


@pytest.mark.parametrize("case", BAD_SAMPLE_OUTPUTS)
def test_a_sample_output_that_cannot_be_written_is_refused_before_the_model_is_loaded(tmp_path, case):
    make, extra, reason = BAD_SAMPLE_OUTPUTS[case]
    (tmp_path / "a-file").write_text("mine")
    out = make(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    proc = run_cli("sample", str(tmp_path / "no-weights-needed"), "-o", str(out), *extra, env=ENV)
    assert_one_line(proc, reason)  # the weights (missing) are not even looked at
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
    assert (tmp_path / "a-file").read_text() == "mine"


def test_a_sample_output_in_a_read_only_place_is_refused(read_only, tmp_path):
    proc = run_cli("sample", str(tmp_path / "weights"), "-o", str(read_only / "grid.png"), env=ENV)
    assert_one_line(proc, f"cannot write {read_only / 'grid.png'}: read-only file system")


def test_a_long_name_that_fits_is_written(reference, tmp_path):
    """The temporary file beside it repeats only a part of the name, so any name that fits works."""
    out = tmp_path / ("g" * 251 + ".png")
    proc = run_cli("sample", str(reference), "-n", "4", "-o", str(out), env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    assert_no_temporaries(tmp_path)


@pytest.mark.parametrize("command", ["sample", "eval"])
def test_reading_a_path_the_system_refuses_is_one_line(tmp_path, command):
    weights = tmp_path / LONG_NAME
    proc = run_cli(command, str(weights), env=ENV, cwd=tmp_path)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
    assert len(errors) == 1 and LONG_NAME in errors[0], proc.stderr
    assert proc.stderr.rstrip().endswith(errors[0].rstrip())  # the error is the last word


# ---------------------------------------------------------------- a size limit (EFBIG), any machine
@pytest.mark.slow
def test_a_checkpoint_past_the_file_size_limit_is_one_line_and_the_run_resumes(tmp_path, reference):
    run = tmp_path / "run"
    limit = size_of(reference, run_folder.CHECKPOINT_FILE) // 2  # every other file fits
    assert limit > size_of(reference, run_folder.GENERATOR_FILE)
    proc = run_limited(limit, "run", "dcgan", "--steps", "4", "--checkpoint-every", "2", *RUN_ARGS, "--out", str(run))
    assert_one_line(proc, f"cannot write {run / run_folder.CHECKPOINT_FILE}: file too large",
                    "no checkpoint had been written yet", f"ganzoo run --resume {run}", alone=False)
    assert not (run / run_folder.CHECKPOINT_FILE).exists()
    assert_no_temporaries(run)
    resume_to_the_end(run, 4)


@pytest.mark.slow
def test_a_sample_grid_past_the_file_size_limit_is_one_line_and_the_run_resumes(tmp_path, reference):
    run = tmp_path / "run"
    grid = run_folder.sample_grid_path(reference, 2).relative_to(reference)
    limit = (size_of(reference, run_folder.CONFIG_FILE) + size_of(reference, str(grid))) // 2
    assert limit < size_of(reference, str(grid))
    proc = run_limited(limit, "run", "dcgan", "--steps", "4", "--checkpoint-every", "2", *RUN_ARGS, "--sample-every", "2",
                       "--out", str(run))
    assert_one_line(proc, f"cannot write {run / grid}: file too large", alone=False)
    assert list((run / run_folder.SAMPLES_DIR).iterdir()) == []
    assert_no_temporaries(run)
    resume_to_the_end(run, 4)


@pytest.mark.slow
def test_metrics_past_the_file_size_limit_leave_whole_lines_only_and_the_run_resumes(tmp_path, reference):
    run = tmp_path / "run"
    limit = size_of(reference, run_folder.CONFIG_FILE) + 700  # five or so metrics lines
    proc = run_limited(limit, "run", "dcgan", "--steps", "20", "--checkpoint-every", "1000", *RUN_ARGS, "--out", str(run))
    assert_one_line(proc, f"cannot write {run / run_folder.METRICS_FILE}: file too large", alone=False)
    steps = metric_steps(run)  # whole lines only: the cut one was taken back
    assert steps == list(range(1, len(steps) + 1)) and 0 < len(steps) < 20
    assert (run / run_folder.METRICS_FILE).read_text().endswith("\n")
    resume_to_the_end(run, 20)


@pytest.mark.parametrize("force", [False, True], ids=["new-file", "over-a-file-with-force"])
def test_a_sample_grid_past_the_file_size_limit_is_one_line_and_keeps_what_was_there(tmp_path, reference, force):
    out = tmp_path / "grid.png"
    if force:
        out.write_bytes(b"the old grid")
    proc = run_limited(1024, "sample", str(reference), "-o", str(out), *(["--force"] if force else []))
    assert_one_line(proc, f"cannot write {out}: file too large")
    assert (out.read_bytes() == b"the old grid") if force else not out.exists()
    assert_no_temporaries(tmp_path)


# ---------------------------------------------------------------- a full disk (ENOSPC), where tmpfs can be mounted
@pytest.mark.slow
def test_a_full_disk_at_the_second_checkpoint_keeps_the_first_and_the_run_resumes(small_disk, reference):
    run = small_disk.root / "run"
    ckpt = pages(size_of(reference, run_folder.CHECKPOINT_FILE))
    small_disk.leave(PAGE * (3 + ckpt + ckpt // 2))  # config, lock, metrics, one checkpoint, half another
    proc = run_cli("run", "dcgan", "--steps", "6", "--checkpoint-every", "2", *RUN_ARGS, "--out", str(run), env=ENV)
    assert_one_line(proc, f"cannot write {run / run_folder.CHECKPOINT_FILE}: no space left on device",
                    "the last good checkpoint (step 2) is kept", f"ganzoo run --resume {run}", alone=False)
    assert checkpoint.read_checkpoint(run)["step"] == 2  # unchanged and loadable
    assert metric_steps(run) == [1, 2, 3, 4]
    assert_no_temporaries(run)
    small_disk.free_up()
    resume_to_the_end(run, 6)


@pytest.mark.slow
def test_a_full_disk_at_the_final_weights_is_one_line_and_resume_writes_them(small_disk, reference):
    run = small_disk.root / "run"
    grid = run_folder.sample_grid_path(reference, 2).relative_to(reference)
    used = 3 + pages(size_of(reference, str(grid))) + pages(size_of(reference, run_folder.CHECKPOINT_FILE))
    small_disk.leave(PAGE * (used + pages(size_of(reference, run_folder.GENERATOR_FILE)) // 2))
    proc = run_cli("run", "dcgan", "--steps", "2", "--checkpoint-every", "2", *RUN_ARGS, "--out", str(run), env=ENV)
    assert_one_line(proc, f"cannot write {run / run_folder.GENERATOR_FILE}: no space left on device",
                    "the last good checkpoint (step 2) is kept", alone=False)
    assert not (run / run_folder.GENERATOR_FILE).exists() and checkpoint.read_checkpoint(run)["step"] == 2
    assert_no_temporaries(run)
    small_disk.free_up()
    proc = run_cli("run", "--resume", str(run), "--no-progress", env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert "weights were not all written: writing them now" in proc.stderr
    assert ganzoo.load(run).card.step == 2
    proc = run_cli("run", "--resume", str(run), "--no-progress", env=ENV)  # now it is finished
    assert_one_line(proc, "finished at step 2", code=2, alone=False)


@pytest.mark.slow
def test_a_full_disk_while_logging_metrics_leaves_whole_lines_only(small_disk, reference):
    run = small_disk.root / "run"
    small_disk.leave(PAGE * 3)  # config, lock and one page of metrics: it fails by line 30 or so
    proc = run_cli("run", "dcgan", "--steps", "80", "--checkpoint-every", "1000", *RUN_ARGS, "--out", str(run), env=ENV)
    assert_one_line(proc, f"cannot write {run / run_folder.METRICS_FILE}: no space left on device", alone=False)
    steps = metric_steps(run)
    assert steps == list(range(1, len(steps) + 1)) and len(steps) < 80
    assert_no_temporaries(run)


def test_a_new_run_on_a_full_disk_leaves_no_folder_behind(small_disk):
    small_disk.leave(0)
    proc = run_cli("run", "dcgan", "--steps", "2", *RUN_ARGS, "--out", str(small_disk.root / "run"), env=ENV)
    assert_one_line(proc, f"cannot write {small_disk.root / 'run' / run_folder.CONFIG_FILE}: no space left on device", alone=False)
    assert sorted(p.name for p in small_disk.root.iterdir()) == ["filler"]


@pytest.mark.parametrize("force", [False, True], ids=["new-file", "over-a-file-with-force"])
def test_a_sample_grid_on_a_full_disk_is_one_line_and_keeps_what_was_there(small_disk, reference, force):
    out = small_disk.root / "grid.png"
    if force:
        out.write_bytes(b"the old grid")
    small_disk.leave(0)
    proc = run_cli("sample", str(reference), "-o", str(out), *(["--force"] if force else []), env=ENV)
    assert_one_line(proc, f"cannot write {out}: no space left on device")
    assert (out.read_bytes() == b"the old grid") if force else not out.exists()
    assert_no_temporaries(small_disk.root)


@pytest.mark.slow
def test_resuming_a_run_folder_that_became_read_only_is_one_line(small_disk, reference):
    run = small_disk.root / "run"
    shutil.copytree(reference, run)
    files = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    small_disk.remount("ro")
    proc = run_cli("run", "--resume", str(run), "--steps", "4", "--no-progress", env=ENV)
    assert_one_line(proc, f"cannot train in {run}: read-only file system", alone=False)
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == files


def test_an_atomic_write_on_a_full_disk_raises_a_storage_error_and_keeps_the_old_file(small_disk):
    target = small_disk.root / "config.json"
    atomic.write_text(target, "old")
    small_disk.leave(0)
    with pytest.raises(StorageError) as caught:
        atomic.write_text(target, "new" * 4096)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert str(caught.value) == f"cannot write {target}: no space left on device"
    assert target.read_text() == "old"
    assert_no_temporaries(small_disk.root)


def test_a_dataset_folder_name_too_long_is_one_error_line_after_one_status_line(tmp_path, capfd):
    """The status line is not wrapped at the console's width, and the failure is the one error line."""
    from ganzoo.cli.main import main

    long = tmp_path / ("d" * 300)
    assert main(["run", "dcgan", "--dataset", f"folder:{long}", "--steps", "1", "--out", str(tmp_path / "run")]) != 0
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("training dcgan on folder:") and lines[1].startswith("ganzoo: error: "), lines
    assert "longer than the filesystem allows" in lines[1]
