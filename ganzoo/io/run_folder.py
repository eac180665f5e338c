"""Run folders: every file name a run leaves, created fresh, never silently reused.

The one place that knows the layout of a run folder::

    config.json                  the resolved TrainConfig (``ganzoo run --resume`` reads it)
    metrics.jsonl                one JSON object per logged step (its losses and the discriminator's
                                 binned outputs, ``d_histogram``), evaluation or class report
    checkpoint.safetensors       the full training state, replaced atomically
    generator.safetensors        the final weights, self-describing (``ganzoo.load``)
    discriminator.safetensors
    generator.ema.safetensors    the averaged generator (``--ema``)
    generator.best.safetensors   the best generator by ``--eval-every``
    samples/step-NNNNNN.png      sample grids
    tensorboard/                 TensorBoard event files (``--logger tensorboard``)
    skipped_images.txt           the unusable image files left out (``--skip-bad-images``), one per line
    .lock                        locked (``flock``) while a process trains in the folder; holds its pid
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

from typing import Any, Iterator

from ganzoo.errors import RunFolderError, StorageError
from ganzoo.io.atomic import check_writable, remove_stale_temporaries, write_text

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.safetensors"
GENERATOR_FILE = "generator.safetensors"
DISCRIMINATOR_FILE = "discriminator.safetensors"
EMA_GENERATOR_FILE = "generator.ema.safetensors"
BEST_GENERATOR_FILE = "generator.best.safetensors"
SAMPLES_DIR = "samples"
TENSORBOARD_DIR = "tensorboard"
SKIPPED_IMAGES_FILE = "skipped_images.txt"
#: The key, in a log step's line of ``metrics.jsonl``, of the discriminator's binned outputs
#: (:func:`ganzoo.core.score_histogram.score_histogram`).
HISTOGRAM_RECORD = "d_histogram"
LOCK_FILE = ".lock"
#: The final weights by role, as :meth:`ganzoo.core.model.GanModel.save` writes them.
WEIGHT_FILES = {"generator": GENERATOR_FILE, "discriminator": DISCRIMINATOR_FILE}


def sample_grid_path(run_dir: str | os.PathLike, step: int) -> Path:
    return Path(run_dir) / SAMPLES_DIR / f"step-{step:06d}.png"


def generator_file(run_dir: str | os.PathLike) -> Path:
    """The generator ``ganzoo.load(RUN_DIR)`` picks: the averaged one when the run kept it
    (``--ema``; usually the better samples), else the live one."""
    run_dir = Path(run_dir)
    return run_dir / EMA_GENERATOR_FILE if (run_dir / EMA_GENERATOR_FILE).is_file() else run_dir / GENERATOR_FILE


def default_run_dir(model: str, dataset: str, root: str | os.PathLike = "runs") -> Path:
    """``runs/<model>-<dataset>``, or the first free ``-2``, ``-3``, ... after it."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{model}-{Path(dataset).name if ':' in dataset else dataset}").strip("-")
    base = Path(root) / slug
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def check_new_run_dir(path: str | os.PathLike) -> Path:
    """Refuse, before any work is done, a run folder that exists and is not empty, or one that
    could not be made (under a file, a name too long, a read-only place: see
    :func:`ganzoo.io.atomic.check_writable`)."""
    path = Path(path)
    if _exists(path) and (not path.is_dir() or (any(path.iterdir()) and not never_started(path))):
        raise RunFolderError(
            f"run folder {str(path)!r} exists already; continue it with `ganzoo run --resume {path}` "
            "or choose another --out"
        )
    return check_writable(path, folder=True)


def never_started(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a run folder killed while it was being made: no settings yet, only an
    empty ``samples/``, the lock and temporary files. A new run may take it (it holds nothing)."""
    entries = list(Path(path).iterdir())
    return bool(entries) and all(_left_by_a_start(entry) for entry in entries)


def _left_by_a_start(entry: Path) -> bool:
    if entry.name == SAMPLES_DIR:
        return entry.is_dir() and not any(entry.iterdir())
    return entry.name == LOCK_FILE or (entry.name.startswith(".") and entry.name.endswith(".tmp"))


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long: check_writable says so
        return False


def create_run_dir(path: str | os.PathLike, next_free: bool = False, config: dict[str, Any] | None = None) -> Path:
    """Create a new run folder and return it, with its ``config`` written when given (if that
    fails, what was made is removed again: no half-made run folder is left). ``mkdir`` claims it
    atomically: with ``next_free`` (a default name) a folder another process made meanwhile makes
    this one take the next free ``-2``, ``-3``, ...; without, an existing empty folder is used
    and a non-empty one refused."""
    path, made = _claim(Path(path), next_free)
    try:
        (path / SAMPLES_DIR).mkdir(exist_ok=True)
        if config is not None:
            write_config(path, config)
    except BaseException as exc:
        _unmake(path, made)
        if isinstance(exc, OSError) and not isinstance(exc, StorageError):
            raise StorageError.of(exc, path, "create") from None
        raise
    return path


def _claim(path: Path, next_free: bool) -> tuple[Path, bool]:
    """The run folder, and whether this call made it (see :func:`create_run_dir`)."""
    base, n = path, 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                path.mkdir()
                return path, True
            except FileExistsError:
                if not next_free:
                    check_new_run_dir(path)
                    remove_stale_temporaries(path)  # of a start that was killed
                    return path, False
                n += 1
                path = base.with_name(f"{base.name}-{n}")
    except StorageError:
        raise
    except OSError as exc:
        raise StorageError.of(exc, path, "create") from None


def _unmake(path: Path, made: bool) -> None:
    """Remove what :func:`create_run_dir` made in ``path`` (the folder itself if it made it)."""
    with contextlib.suppress(OSError):
        (path / SAMPLES_DIR).rmdir()
        if made:
            path.rmdir()


@contextlib.contextmanager
def locked(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold the run folder's lock while the block runs: a second process that trains in the same
    folder is refused in one line naming the holder. The kernel drops the lock when its process
    ends, however it ends, so a killed run never leaves a stale lock. (Without ``fcntl``, on
    Windows, there is no lock.)"""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield Path(run_dir)
        return
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only place, a folder gone
        raise StorageError.of(exc, run_dir, "train in") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunFolderError(f"{run_dir} is in use by another ganzoo process (pid {_holder(fd)}); wait for it to "
                                 "finish, or stop it, then resume") from None
        with contextlib.suppress(OSError):  # the pid only informs; a full disk is reported by the run's writes
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield Path(run_dir)
    finally:
        os.close(fd)  # closing releases the lock


def _holder(fd: int) -> str:
    """The pid in a lock file another process holds (it writes it just after locking: wait a moment for it)."""
    import time

    for _ in range(20):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "unknown"


def config_path(run_dir: str | os.PathLike) -> Path:
    return Path(run_dir) / CONFIG_FILE


def write_config(path: str | os.PathLike, config: dict[str, Any]) -> None:
    write_text(Path(path) / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True) + "\n")


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The run's ``config.json`` as a dict (``TrainConfig.from_run_dir`` builds the config)."""
    file = Path(path) / CONFIG_FILE
    if not file.is_file():
        if Path(path).is_dir() and never_started(path):
            raise RunFolderError(f"{path} holds no run: it was stopped before its settings were saved; "
                                 f"start it again with `ganzoo run MODEL --out {path}`")
        raise RunFolderError(f"{path} is not a ganzoo run folder (no {CONFIG_FILE})")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RunFolderError(f"{file} is not a readable run config: {exc}") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{file} is not a readable run config: expected a JSON object")
    return data


def truncate_metrics(run_dir: str | os.PathLike, step: int) -> None:
    """Drop the metric lines logged after the checkpoint a run resumes from."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if _logged_by(line, step)]
    write_text(path, "".join(line + "\n" for line in kept))


def _logged_by(line: str, step: int) -> bool:
    """Whether a metrics line is whole and was logged at or before ``step`` (a crash may cut the
    last line mid-way: it is dropped, like the lines after the checkpoint)."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and isinstance(record.get("step"), int) and record["step"] <= step
