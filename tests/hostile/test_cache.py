"""A decoded-image cache that verifies what it serves, and a listing that tolerates any file.

What is promised: a cache file serves a run only when it is a regular file (a symlink at its
name is never followed), its trailer describes this very source (kind, folder, settings, item
list, files' fingerprint) and its pixel data matches the checksum written with it; otherwise
the folder is decoded again, and the pixels are always those the in-memory path decodes, bit
for bit. With ``GANZOO_VERIFY_IMAGES=1`` an image edited in place at the same size and
modification time is noticed (without it, it is not: the README says so); a bad value is one
line. ``ganzoo cache list`` and ``cache clear`` work whatever sits in the cache folder (a
trailer with a non-number count, a symlink, a file that is no cache file) and clear removes it;
a ``GANZOO_HOME`` with rich markup in its name (``[/]``) prints as it is.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.cli.main import main
from ganzoo.data.datasets import read_image_folder
from ganzoo.data.decoded_cache import MAGIC, SUFFIX, cache_dir, read_trailer
from ganzoo.errors import ConfigError


def _pictures(folder: Path, count: int, seed: int, suffix: str = ".png") -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    out = []
    for i in range(count):
        path = folder / f"{i:03d}{suffix}"
        Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(path)
        out.append(path)
    return out


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GANZOO_DECODE_WORKERS", "1")
    monkeypatch.delenv("GANZOO_VERIFY_IMAGES", raising=False)
    return tmp_path / "home"


def _read(root: Path, monkeypatch: pytest.MonkeyPatch, cached: bool = True) -> torch.Tensor:
    monkeypatch.setenv("GANZOO_IN_MEMORY_MB", "0" if cached else "1024")
    return read_image_folder(root, 16).images.clone()


def _only_entry() -> Path:
    [entry] = sorted(cache_dir().glob(f"*{SUFFIX}"))
    return entry


def test_a_flipped_pixel_byte_is_noticed_and_decoded_again(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "pics"
    _pictures(root, 12, seed=1)
    honest = _read(root, monkeypatch)
    entry = _only_entry()
    data_end = read_trailer(entry)["data_end"]
    with open(entry, "r+b") as fh:  # every pixel byte flipped, the trailer intact
        pixels = bytearray(fh.read(data_end))
        fh.seek(0)
        fh.write(bytes(255 - b for b in pixels))
    capfd.readouterr()
    again = _read(root, monkeypatch)
    assert torch.equal(again, honest) and torch.equal(again, _read(root, monkeypatch, cached=False))
    assert "checksum" in capfd.readouterr().err


def test_a_symlink_to_another_folders_cache_is_not_followed(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    _pictures(mine, 12, seed=1)
    _pictures(other, 12, seed=2)  # the same names, sizes and settings, other pixels
    honest = _read(mine, monkeypatch)
    entry = _only_entry()
    _read(other, monkeypatch)
    theirs = next(p for p in cache_dir().glob(f"*{SUFFIX}") if p != entry)
    entry.unlink()
    entry.symlink_to(theirs)
    assert torch.equal(_read(mine, monkeypatch), honest)
    assert not entry.is_symlink() and theirs.is_file()


def test_a_copy_of_another_folders_cache_is_refused_by_its_trailer(home: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    _pictures(mine, 12, seed=1)
    _pictures(other, 12, seed=2)
    honest = _read(mine, monkeypatch)
    entry = _only_entry()
    _read(other, monkeypatch)
    theirs = next(p for p in cache_dir().glob(f"*{SUFFIX}") if p != entry)
    shutil.copyfile(theirs, entry)
    assert torch.equal(_read(mine, monkeypatch), honest)


def _same_size_same_time_edit(path: Path) -> None:
    before = path.stat()
    Image.fromarray(np.zeros((20, 20, 3), dtype=np.uint8)).save(path)  # BMP: the same size for the same shape
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


@pytest.mark.parametrize("verify", ["0", "1"])
def test_an_in_place_edit_is_noticed_only_with_verify_images(verify: str, home: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANZOO_VERIFY_IMAGES", verify)
    root = tmp_path / "pics"
    files = _pictures(root, 6, seed=1, suffix=".bmp")
    first = _read(root, monkeypatch)
    _same_size_same_time_edit(files[2])
    second = _read(root, monkeypatch)
    if verify == "1":
        assert int(second[2].max()) == 0 and torch.equal(second, _read(root, monkeypatch, cached=False))
    else:  # the documented limit of the default key: path, size and modification time
        assert torch.equal(second, first)


def test_a_bad_verify_images_value_is_one_line(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "pics"
    _pictures(root, 3, seed=1)
    monkeypatch.setenv("GANZOO_VERIFY_IMAGES", "maybe" * 100)
    with pytest.raises(ConfigError, match="GANZOO_VERIFY_IMAGES") as caught:
        _read(root, monkeypatch)
    assert len(str(caught.value)) < 300


def _hostile_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    blob = json.dumps({"format": 1, "kind": "folder", "root": "/x", "examples": "many", "data_end": 0}).encode()
    (folder / f"folder-x-0123456789ab-0123456789abcdef{SUFFIX}").write_bytes(blob + len(blob).to_bytes(8, "little") + MAGIC)
    blob = json.dumps({"format": 1, "data_end": 0}).encode()  # no root, no kind, no count
    (folder / f"bare{SUFFIX}").write_bytes(blob + len(blob).to_bytes(8, "little") + MAGIC)
    (folder / f"junk{SUFFIX}").write_bytes(b"\x00" * 100)
    (folder / f"dangling{SUFFIX}").symlink_to(folder / "nowhere")


def test_cache_list_and_clear_tolerate_any_file(home: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _hostile_files(cache_dir())
    assert main(["cache", "list"]) == 0
    assert "4 file(s)" in capfd.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert "removed 4 file(s)" in capfd.readouterr().out
    assert not any(p.name.endswith(SUFFIX) for p in cache_dir().iterdir())


def test_a_home_with_markup_in_its_name_prints_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "odd[/]home[bold]"
    monkeypatch.setenv("GANZOO_HOME", str(home))
    assert main(["cache", "list"]) == 0
    _hostile_files(cache_dir())
    assert main(["cache", "list"]) == 0
    assert main(["cache", "clear"]) == 0
    out = capfd.readouterr().out
    assert "odd[/]home[bold]" in out.replace("\n", "")
