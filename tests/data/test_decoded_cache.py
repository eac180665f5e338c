"""The decoded-image cache: small generated folders decoded by real worker processes into real
cache files, checked bit for bit against the in-memory path (the size threshold forced to 0 with
``GANZOO_IN_MEMORY_MB``), re-decoded when a file changes, corrupt files, a really full disk (a
small tmpfs in a user namespace), and decodes killed or interrupted half-way."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from ganzoo.data import BatchStream, split_holdout
from ganzoo.data.datasets import DatasetRequest, read_image_folder
from ganzoo.data.decoded_cache import SUFFIX, cache_dir, list_cache
from ganzoo.data.image_dataset import ImageRows
from ganzoo.errors import DataError
from ganzoo_plugins.datasets.paired import paired
from ganzoo_plugins.datasets.superres import superres

from tests.helpers import run_cli


def _pictures(folder: Path, count: int, size: tuple[int, int] = (40, 48), grey: bool = False, seed: int = 0,
              classes: tuple[str, ...] = ()) -> list[Path]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        where = folder / classes[i % len(classes)] if classes else folder
        where.mkdir(parents=True, exist_ok=True)
        shape = (size[1], size[0]) if grey else (size[1], size[0], 3)
        path = where / f"{i:04d}.png"
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
        out.append(path)
    return out


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GANZOO_DECODE_WORKERS", "2")
    return tmp_path / "home"


def _cached(monkeypatch, build):
    monkeypatch.setenv("GANZOO_IN_MEMORY_MB", "0")
    try:
        return build()
    finally:
        monkeypatch.delenv("GANZOO_IN_MEMORY_MB")


def _cache_files() -> list[Path]:
    return sorted(cache_dir().glob(f"*{SUFFIX}")) if cache_dir().is_dir() else []


def test_folder_cached_is_bit_identical_reused_and_listed(home, tmp_path, monkeypatch, capfd):
    root = tmp_path / "faces"
    _pictures(root, 120, classes=("cat", "dog", "owl"))
    in_memory = read_image_folder(root, 32)
    assert not in_memory.mapped and not _cache_files()

    mapped = _cached(monkeypatch, lambda: read_image_folder(root, 32))
    assert mapped.mapped and mapped.cache_file == _cache_files()[0]
    assert torch.equal(mapped.images, in_memory.images) and torch.equal(mapped.labels, in_memory.labels)
    assert mapped.classes == ["cat", "dog", "owl"]
    assert "decoding 120 images" in capfd.readouterr().err

    stamp = mapped.cache_file.stat().st_ino
    again = _cached(monkeypatch, lambda: read_image_folder(root, 32))
    assert "decoding" not in capfd.readouterr().err  # reused, not decoded again
    assert again.cache_file.stat().st_ino == stamp and torch.equal(again.images, in_memory.images)
    [listed] = list_cache()
    assert listed.source == str(root.resolve()) and listed.images == 120 and listed.complete

    # another image size is another cache file; both stay
    _cached(monkeypatch, lambda: read_image_folder(root, 16))
    assert len(_cache_files()) == 2


def test_a_changed_file_is_decoded_again_and_replaces_the_old_file(home, tmp_path, monkeypatch):
    root = tmp_path / "pics"
    files = _pictures(root, 40)
    first = _cached(monkeypatch, lambda: read_image_folder(root, 16))
    Image.fromarray(np.zeros((48, 40, 3), dtype=np.uint8)).save(files[3])  # new content, size and mtime
    os.utime(files[3], ns=(time.time_ns(), time.time_ns() + 10**9))
    second = _cached(monkeypatch, lambda: read_image_folder(root, 16))
    assert second.cache_file != first.cache_file and _cache_files() == [second.cache_file]
    assert int(second.images[3].max()) == 0 and torch.equal(second.images[4], first.images[4])
    assert torch.equal(second.images, read_image_folder(root, 16).images)


def test_grey_pairs_and_superres_crops_match_the_in_memory_path(home, tmp_path, monkeypatch):
    pairs = tmp_path / "pairs"
    _pictures(pairs / "A", 30, grey=True, seed=1)
    _pictures(pairs / "B", 30, seed=2)
    request = DatasetRequest("paired", str(pairs), 32, tmp_path)
    in_memory = paired(request)
    mapped = _cached(monkeypatch, lambda: paired(request))
    assert mapped.mapped and in_memory.inputs.shape[1] == 1 and in_memory.images.shape[1] == 3
    assert torch.equal(mapped.inputs, in_memory.inputs) and torch.equal(mapped.images, in_memory.images)

    photos = tmp_path / "photos"
    _pictures(photos, 6, size=(70, 64), seed=3)
    request = DatasetRequest("superres", str(photos), 32, tmp_path, settings={"scale": 4})
    in_memory = superres(request)
    mapped = _cached(monkeypatch, lambda: superres(request))
    assert mapped.mapped and len(mapped) == len(in_memory) == 6 * 86
    assert torch.equal(mapped.images, in_memory.images) and torch.equal(mapped.inputs, in_memory.inputs)


def test_split_and_batches_of_a_mapped_dataset_are_those_of_the_in_memory_one(home, tmp_path, monkeypatch):
    pairs = tmp_path / "pairs"
    _pictures(pairs / "A", 50, seed=4)
    _pictures(pairs / "B", 50, seed=5)
    request = DatasetRequest("paired", str(pairs), 16, tmp_path)
    in_memory, mapped = paired(request), _cached(monkeypatch, lambda: paired(request))
    (train_m, held_m), (train, held) = split_holdout(mapped, seed=7), split_holdout(in_memory, seed=7)
    assert isinstance(train_m, ImageRows) and train_m.mapped and len(train_m) == len(train) == 45
    assert torch.equal(held_m.images, held.images) and torch.equal(held_m.inputs, held.inputs)
    a = BatchStream(train_m, 8, torch.device("cpu"), seed=3)
    b = BatchStream(train, 8, torch.device("cpu"), seed=3)
    for _ in range(12):  # past an epoch: the reshuffle too
        (x1, c1), (x2, c2) = next(a), next(b)
        assert torch.equal(x1, x2) and torch.equal(c1, c2)


def test_unusable_images_stop_with_one_line_or_are_skipped(home, tmp_path, monkeypatch):
    root = tmp_path / "mixed"
    _pictures(root, 30, classes=("a", "b"))
    (root / "a" / "0000.png").write_bytes(b"not a picture at all")
    good = (root / "b" / "0001.png").read_bytes()
    (root / "b" / "0003.png").write_bytes(good[: len(good) // 2])  # truncated
    for build in (lambda: read_image_folder(root, 16), lambda: _cached(monkeypatch, lambda: read_image_folder(root, 16))):
        with pytest.raises(DataError) as caught:
            build()
        message = str(caught.value)
        assert "\n" not in message and "0000.png" in message and "(2 of 30 images" in message
        assert "--skip-bad-images" in message
    skipping = read_image_folder(root, 16, skip_bad=True)
    mapped = _cached(monkeypatch, lambda: read_image_folder(root, 16, skip_bad=True))
    assert len(skipping) == len(mapped) == 28 and torch.equal(skipping.images, mapped.images)
    assert torch.equal(skipping.labels, mapped.labels) and int((mapped.labels == 0).sum()) == 14
    assert [line.split(": ")[0] for line in mapped.skipped] == [str(root / "a" / "0000.png"), str(root / "b" / "0003.png")]


def test_run_with_skip_bad_images_lists_them_and_equals_the_in_memory_run(tmp_path):
    root = tmp_path / "imgs"
    _pictures(root, 40, size=(36, 36))
    (root / "bad.png").write_bytes(b"\x89PNG broken")
    env = {"GANZOO_HOME": str(tmp_path / "home"), "GANZOO_DECODE_WORKERS": "2"}
    common = ["--threads", "1", "run", "dcgan", "--dataset", f"folder:{root}", "--image-size", "32", "--steps", "2",
              "--batch-size", "8", "--no-progress"]
    refused = run_cli(*common, "--out", str(tmp_path / "r0"), env=env)
    assert refused.returncode == 2 and "bad.png" in refused.stderr and "Traceback" not in refused.stderr
    runs = {}
    for name, limit in (("memory", "1024"), ("cache", "0")):
        proc = run_cli(*common, "--skip-bad-images", "--out", str(tmp_path / name),
                       env={**env, "GANZOO_IN_MEMORY_MB": limit}, check=True)
        assert "left out 1 unusable image file" in proc.stderr
        assert (tmp_path / name / "skipped_images.txt").read_text().startswith(f"{root / 'bad.png'}: cannot read image")
        runs[name] = load_file(tmp_path / name / "generator.safetensors")
    assert runs["memory"].keys() == runs["cache"].keys()
    for key, value in runs["memory"].items():  # same seed, same batches: the same weights, bit for bit
        assert torch.equal(value, runs["cache"][key]), key
    listing = run_cli("cache", "list", env=env, check=True)
    assert str(root) in listing.stdout and "40" in listing.stdout
    kept = run_cli("cache", "clear", "--older-than", "1", env=env, check=True)
    assert "removed 0 file(s)" in kept.stdout
    cleared = run_cli("cache", "clear", env=env, check=True)
    assert "removed 1 file(s)" in cleared.stdout and not list((tmp_path / "home" / "cache").glob(f"*{SUFFIX}"))


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="no user namespaces here to mount a small tmpfs in")
def test_a_full_disk_is_refused_in_one_line_and_nothing_is_left(tmp_path):
    root = tmp_path / "imgs"
    _pictures(root, 60, size=(64, 64))
    home = tmp_path / "small"
    home.mkdir()
    script = (f"mount -t tmpfs -o size=256k tmpfs {home} && {sys.executable} -m ganzoo --threads 1 run dcgan "
              f"--dataset folder:{root} --image-size 64 --steps 1 --no-progress --out {tmp_path / 'run'}; "
              f"code=$?; ls -a {home}/cache; exit $code")
    env = {**os.environ, "GANZOO_HOME": str(home), "GANZOO_IN_MEMORY_MB": "0", "GANZOO_DECODE_WORKERS": "2"}
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.startswith("ganzoo")]
    assert "needs 737.3 KB" in line and "free" in line and "GANZOO_HOME" in line
    assert not [name for name in proc.stdout.split() if name.endswith((SUFFIX, ".tmp"))]  # nothing half-written
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("moment", ["kill-half-written", "kill-before-publish"])
def test_a_decode_killed_half_way_leaves_nothing_usable_and_the_next_run_rebuilds(tmp_path, moment):
    root = tmp_path / "imgs"
    _pictures(root, 50)
    env = {"GANZOO_HOME": str(tmp_path / "home"), "GANZOO_IN_MEMORY_MB": "0", "GANZOO_DECODE_WORKERS": "2"}
    args = ["--threads", "1", "run", "dcgan", "--dataset", f"folder:{root}", "--image-size", "16", "--steps", "1",
            "--batch-size", "8", "--no-progress"]
    killed = run_cli(*args, "--out", str(tmp_path / "r1"), env={**env, "GANZOO_FAULT_INJECTION": f"{moment}:*:1"})
    assert killed.returncode == -signal.SIGKILL
    cache = tmp_path / "home" / "cache"
    assert not list(cache.glob(f"*{SUFFIX}")) and list(cache.glob(".*.tmp"))  # a temporary, never a cache file
    run_cli(*args, "--out", str(tmp_path / "r2"), env=env, check=True)
    assert len(list(cache.glob(f"*{SUFFIX}"))) == 1 and not list(cache.glob(".*.tmp"))


def test_ctrl_c_during_a_decode_removes_its_temporary(tmp_path):
    root = tmp_path / "imgs"
    _pictures(root, 400, size=(256, 256))
    cache = tmp_path / "home" / "cache"
    env = {**os.environ, "GANZOO_HOME": str(tmp_path / "home"), "GANZOO_IN_MEMORY_MB": "0", "GANZOO_DECODE_WORKERS": "1"}
    code = f"from ganzoo.data import read_image_folder; read_image_folder({str(root)!r}, 64)"
    # SIGINT as a terminal's Ctrl-C delivers it (a shell may start background jobs with it ignored)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list(cache.glob(".*.tmp")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the decode ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err
    assert not list(cache.glob(f"*{SUFFIX}")) and not list(cache.glob(".*.tmp"))


def _mapped_rss(path: Path) -> int:
    """Bytes of ``path``'s mapping resident in this process (``/proc/self/smaps``)."""
    total, current = 0, ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:
            current = fields[-1] if len(fields) >= 6 else ""
        elif line.startswith("Rss:") and current == str(path):
            total += int(fields[1]) * 1024
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs /proc/self/smaps")
def test_batches_from_the_map_hand_their_pages_back(home, tmp_path, monkeypatch):
    import ganzoo.data.datasets as datasets

    root = tmp_path / "pics"
    _pictures(root, 200, size=(64, 64))
    data = _cached(monkeypatch, lambda: read_image_folder(root, 64))
    file_bytes = data.images.numel()
    kept = BatchStream(data, 50, torch.device("cpu"), seed=0)
    for _ in range(8):  # two epochs: every page read
        next(kept)
    assert _mapped_rss(data.cache_file) > file_bytes // 2
    monkeypatch.setattr(datasets, "RELEASE_BYTES", 1)
    released = BatchStream(data, 50, torch.device("cpu"), seed=0)
    for _ in range(8):
        next(released)
    assert _mapped_rss(data.cache_file) == 0  # released after every batch: none stays counted here
