"""MNIST and Fashion-MNIST from their four IDX files, and the verified downloader behind ``--download``.

Every test makes its own small IDX files (30 training and 12 test images of 28x28) and never
depends on the real datasets being installed: ``--data-root`` is searched first, the Debian
folder (``/usr/share/datasets/fashion-mnist``) is pointed elsewhere where a test needs it to be
absent, and each test has a GANZOO_HOME of its own. ``--download`` runs against a real
``http.server`` on 127.0.0.1 serving those small files, with the dataset's mirrors and published
sizes and MD5s swapped for theirs.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import os
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import torch

from ganzoo.cli.main import main
from ganzoo.data.datasets import load_dataset, resize_images
from ganzoo.errors import DataError, WeightsError
from ganzoo.io.download import RemoteFile, download, verify
from ganzoo.plugin.discovery import get_registry
from ganzoo_plugins.datasets import mnist_family
from tests.helpers import REPO

from tests.helpers.idx_files import FASHION_CLASSES, TEST, TRAIN, file_bytes, idx_bytes, small_arrays, write_set


def load(name: str, size: int = 32, **kwargs: object):
    return load_dataset(get_registry(), name, size, **kwargs)


def contents(folder: Path) -> list[str]:
    """Everything in ``folder``, temporary files included ([] when it does not exist)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A GANZOO_HOME of each test's own (the session's is shared), online, no proxy to 127.0.0.1,
    a wide terminal."""
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GANZOO_OFFLINE", raising=False)
    monkeypatch.delenv("GANZOO_DOWNLOAD_TIMEOUT", raising=False)
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("COLUMNS", "400")  # the CLI's console lines do not wrap
    return tmp_path / "home"


@pytest.fixture
def no_system_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fashion-MNIST as on a machine without Debian's dataset-fashion-mnist."""
    absent = str(tmp_path / "no-such-system-folder")
    monkeypatch.setattr(mnist_family, "FASHION_MNIST", dataclasses.replace(mnist_family.FASHION_MNIST, system_folders=(absent,)))


def error_line(err: str) -> str:
    """The one ``ganzoo: error:`` line of a failed ``ganzoo run``: the last on stderr, no traceback
    (``run`` says what it trains before it loads the data; nothing else is said)."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert [line for line in lines if line.startswith("ganzoo: error:")] == lines[-1:], err
    assert all(line.startswith("training ") for line in lines[:-1]), err
    return lines[-1]


def closed_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- loading
@pytest.mark.parametrize("packed", [True, False], ids=["gz", "unpacked"])
def test_fashion_mnist_loads_both_splits_with_labels_and_class_names(tmp_path: Path, packed: bool) -> None:
    arrays = small_arrays()
    ds = load("fashion-mnist", 32, data_root=write_set(tmp_path / "data", packed))
    assert ds.images.shape == (TRAIN, 1, 32, 32) and ds.images.dtype == torch.uint8
    assert torch.equal(ds.images, resize_images(torch.from_numpy(arrays["train_images"]).unsqueeze(1), 32))
    assert torch.equal(ds.labels, torch.from_numpy(arrays["train_labels"]).long())
    assert ds.classes == FASHION_CLASSES
    assert ds.test is not None and ds.test.images.shape == (TEST, 1, 32, 32) and ds.test.images.dtype == torch.uint8
    assert torch.equal(ds.test.images, resize_images(torch.from_numpy(arrays["test_images"]).unsqueeze(1), 32))
    assert torch.equal(ds.test.labels, torch.from_numpy(arrays["test_labels"]).long())
    assert ds.test.classes == FASHION_CLASSES


def test_at_28_pixels_the_images_are_the_files_bytes(tmp_path: Path) -> None:
    arrays = small_arrays()
    ds = load("mnist", 28, data_root=write_set(tmp_path / "data"))
    assert np.array_equal(ds.images[:, 0].numpy(), arrays["train_images"])
    assert np.array_equal(ds.test.images[:, 0].numpy(), arrays["test_images"])
    assert ds.classes == [str(i) for i in range(10)]


@pytest.mark.parametrize("layout", ["fashion-mnist", "FashionMNIST/raw"])
def test_data_root_layouts_are_found(tmp_path: Path, layout: str) -> None:
    root = tmp_path / "data"
    write_set(root / layout, seed=1)
    ds = load("fashion-mnist", 28, data_root=root)
    assert np.array_equal(ds.images[:, 0].numpy(), small_arrays(1)["train_images"])


def test_lecun_unpacked_spelling_is_found(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    for name, data in file_bytes(packed=False).items():
        (root / name.replace("-idx", ".idx")).write_bytes(data)  # train-images.idx3-ubyte
    assert len(load("mnist", 28, data_root=root)) == TRAIN


def test_ganzoo_home_is_found_without_data_root(home: Path, no_system_folder: None) -> None:
    write_set(home / "datasets" / "fashion-mnist", seed=2)
    write_set(home / "datasets" / "mnist", seed=3)
    assert np.array_equal(load("fashion-mnist", 28).images[:, 0].numpy(), small_arrays(2)["train_images"])
    assert np.array_equal(load("mnist", 28).images[:, 0].numpy(), small_arrays(3)["train_images"])


def test_data_root_comes_before_ganzoo_home(tmp_path: Path, home: Path) -> None:
    write_set(home / "datasets" / "mnist", seed=3)
    ds = load("mnist", 28, data_root=write_set(tmp_path / "data", seed=4))
    assert np.array_equal(ds.images[:, 0].numpy(), small_arrays(4)["train_images"])


def test_system_folder_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = write_set(tmp_path / "usr-share-datasets-fashion-mnist", seed=5)
    monkeypatch.setattr(mnist_family, "FASHION_MNIST", dataclasses.replace(mnist_family.FASHION_MNIST, system_folders=(str(system),)))
    assert np.array_equal(load("fashion-mnist", 28).images[:, 0].numpy(), small_arrays(5)["train_images"])


def test_a_folder_missing_one_file_is_passed_over(tmp_path: Path, home: Path) -> None:
    root = write_set(tmp_path / "data", seed=6)
    (root / "t10k-labels-idx1-ubyte.gz").unlink()
    write_set(home / "datasets" / "mnist", seed=7)
    assert np.array_equal(load("mnist", 28, data_root=root).images[:, 0].numpy(), small_arrays(7)["train_images"])


# ---------------------------------------------------------------- missing files
def test_missing_files_are_one_line_naming_the_ways_to_get_them(tmp_path: Path, home: Path, no_system_folder: None) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError) as caught:
        load("fashion-mnist", data_root=empty)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("FashionMNIST is not installed (looked in ")
    assert str(empty) in message and str(home / "datasets" / "fashion-mnist") in message
    assert "apt-get install dataset-fashion-mnist" in message and "add --download" in message
    assert "train-images-idx3-ubyte.gz" in message and "--data-root" in message
    with pytest.raises(DataError) as caught:
        load("mnist", data_root=empty)
    assert "MNIST is not installed" in str(caught.value) and "apt-get" not in str(caught.value)  # no Debian package


def test_cli_missing_files_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run = tmp_path / "run"
    code = main(["run", "dcgan", "--dataset", "mnist", "--data-root", str(empty), "--steps", "1", "--out", str(run),
                 "--no-progress", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (out, err)
    line = error_line(err)
    assert line.startswith("ganzoo: error: MNIST is not installed") and "add --download" in line and str(empty) in line
    assert not run.exists()


# ---------------------------------------------------------------- broken files
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(40)


def _damage(root: Path, case: str) -> tuple[Path, str]:
    """Break one file of the set in ``root``; the file and what the message must say."""
    images, labels = root / "train-images-idx3-ubyte.gz", root / "train-labels-idx1-ubyte.gz"
    raw_images = gzip.decompress(images.read_bytes())
    if case == "truncated gz":
        images.write_bytes(images.read_bytes()[:-100])
        return images, "cannot be read as an IDX file (Compressed file ended before the end-of-stream marker was reached); " \
            "the file is damaged, fetch it again"
    if case == "truncated unpacked":
        images.unlink()
        images = root / "train-images-idx3-ubyte"
        images.write_bytes(raw_images[:-28])
        return images, f"is cut short: its header declares {TRAIN * 28 * 28:,} values, the file holds {TRAIN * 28 * 28 - 28:,}"
    if case == "header cut short":
        images.write_bytes(gzip.compress(raw_images[:10]))
        return images, "is cut short inside its IDX header"
    if case == "longer than declared":
        images.write_bytes(gzip.compress(raw_images + b"\0"))
        return images, "holds more bytes than its header declares"
    if case == "PNG renamed":
        images.write_bytes(PNG)
        return images, "is not an IDX file"
    if case == "text renamed":
        labels.write_bytes(b"these are not the labels\n")
        return labels, "is not an IDX file"
    if case == "wrong dimension count":
        labels.write_bytes(gzip.compress(idx_bytes(np.zeros((TRAIN, 2, 2), np.uint8))))
        return labels, "holds a 3-dimensional IDX array; expected 1 dimensions (labels)"
    if case == "wrong value type":
        images.write_bytes(gzip.compress(raw_images[:2] + b"\x0d" + raw_images[3:]))
        return images, "holds IDX values of type 0x0d"
    if case == "absurd declared size":
        labels.write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))[:4] + struct.pack(">I", 2**32 - 1)))
        return labels, "more than any MNIST-style file holds"
    if case == "no images":
        images.write_bytes(gzip.compress(idx_bytes(np.zeros((0, 28, 28), np.uint8))))
        return images, "holds no images; FashionMNIST's files hold 28x28 images, fetch the file again"
    if case == "images of no pixels":
        images.write_bytes(gzip.compress(idx_bytes(np.zeros((TRAIN, 0, 28), np.uint8))))
        return images, "holds images of 0x28 pixels"
    if case == "mismatched counts":
        labels.write_bytes(gzip.compress(idx_bytes((np.arange(TRAIN - 1) % 10).astype(np.uint8))))
        return labels, f"holds {TRAIN} images but {labels} holds {TRAIN - 1} labels; the files are not one set"
    if case == "label out of range":
        labels.write_bytes(gzip.compress(idx_bytes(np.full(TRAIN, 10, np.uint8))))
        return labels, "holds label 10; FashionMNIST has 10 classes (0-9)"
    raise AssertionError(case)


BROKEN = ["truncated gz", "truncated unpacked", "header cut short", "longer than declared", "PNG renamed", "text renamed",
          "wrong dimension count", "wrong value type", "absurd declared size", "no images", "images of no pixels", "mismatched counts",
          "label out of range"]


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_is_one_line_naming_it(tmp_path: Path, case: str) -> None:
    root = write_set(tmp_path / "data")
    broken, says = _damage(root, case)
    with pytest.raises(DataError) as caught:
        load("fashion-mnist", data_root=root)
    message = str(caught.value)
    assert "\n" not in message and str(broken) in message and says in message, message


@pytest.mark.parametrize("case", ["truncated gz", "label out of range"])
def test_cli_broken_file_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture, case: str) -> None:
    root = write_set(tmp_path / "data")
    broken, says = _damage(root, case)
    run = tmp_path / "run"
    code = main(["run", "dcgan", "--dataset", "fashion-mnist", "--data-root", str(root), "--steps", "1", "--out", str(run),
                 "--no-progress", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (out, err)
    line = error_line(err)
    assert line.startswith("ganzoo: error: ") and str(broken) in line and says in line
    assert not run.exists()


# ---------------------------------------------------------------- class names on the command line
def test_cgan_on_fashion_mnist_samples_classes_by_name(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = write_set(tmp_path / "data")
    run = tmp_path / "run"
    assert main(["run", "cgan", "--dataset", "fashion-mnist", "--data-root", str(root), "--steps", "2", "--batch-size", "8",
                 "--out", str(run), "--no-progress", "--device", "cpu"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    grid = tmp_path / "grid.png"
    assert main(["sample", str(run), "--labels", "T-shirt/top,Ankle boot", "-n", "3", "-o", str(grid), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "2 rows of 3 samples (classes T-shirt/top, Ankle boot)" in " ".join(out.split())
    from PIL import Image

    width, height = Image.open(grid).size
    assert height < width  # two rows of three
    assert main(["sample", str(run), "--labels", "Trainers", "-o", str(tmp_path / "no.png"), "--device", "cpu"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("ganzoo: error: ") and "Trainers" in line and not (tmp_path / "no.png").exists()


# ---------------------------------------------------------------- --download from a local server
class _Files(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (path -> bytes) with a Content-Length; logs every request."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        data = self.server.files.get(self.path)  # type: ignore[attr-defined]
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[_Server]:
    """``/good/NAME`` the four small files, ``/bad/NAME`` the same with the training images corrupted."""
    httpd = _Server(("127.0.0.1", 0), _Files)
    good = file_bytes(packed=True)
    corrupt = bytearray(good["train-images-idx3-ubyte.gz"])
    corrupt[len(corrupt) // 2] ^= 0xFF  # same size, another MD5
    bad = {**good, "train-images-idx3-ubyte.gz": bytes(corrupt)}
    httpd.files = {**{f"/good/{n}": d for n, d in good.items()}, **{f"/bad/{n}": d for n, d in bad.items()}}  # type: ignore[attr-defined]
    httpd.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def published() -> dict[str, tuple[int, str]]:
    """The small files' sizes and MD5s, as the publisher's list gives the real ones."""
    return {name: (len(data), hashlib.md5(data).hexdigest()) for name, data in file_bytes(packed=True).items()}


@pytest.fixture
def mirrors(monkeypatch: pytest.MonkeyPatch) -> object:
    """``mirrors(*urls)``: MNIST's download served from ``urls`` with the small files' sizes and MD5s."""

    def use(*urls: str) -> None:
        monkeypatch.setattr(mnist_family, "MNIST", dataclasses.replace(mnist_family.MNIST, mirrors=urls, published=published()))

    return use


def test_download_lands_in_ganzoo_home_and_loads(tmp_path: Path, home: Path, server: _Server, mirrors, capsys) -> None:
    mirrors(server.url("/good/"))
    empty = tmp_path / "empty"
    empty.mkdir()
    ds = load("mnist", 28, data_root=empty, download=True)
    assert np.array_equal(ds.images[:, 0].numpy(), small_arrays()["train_images"])
    assert np.array_equal(ds.test.labels.numpy(), small_arrays()["test_labels"])
    folder = home / "datasets" / "mnist"
    assert contents(folder) == sorted(published())  # the four files, no temporary file beside them
    for name, data in file_bytes(packed=True).items():
        assert (folder / name).read_bytes() == data
    assert sorted(server.requests) == sorted(f"/good/{n}" for n in published())
    err = capsys.readouterr().err
    assert "ganzoo: downloading mnist train-images-idx3-ubyte.gz (" in err and server.url("/good/train-images-idx3-ubyte.gz") in err

    # the second load finds them: no request reaches the server, with --download or without
    load("mnist", 28, data_root=empty, download=True)
    load("mnist", 28)
    assert len(server.requests) == 4


def test_download_of_a_corrupted_file_is_one_line_and_keeps_nothing(home: Path, server: _Server, mirrors) -> None:
    mirrors(server.url("/bad/"))
    with pytest.raises(DataError) as caught:
        load("mnist", download=True)
    message = str(caught.value)
    url = server.url("/bad/train-images-idx3-ubyte.gz")
    assert "\n" not in message and message.startswith(f"md5 mismatch for mnist train-images-idx3-ubyte.gz from {url}: "), message
    assert message.endswith("; the file was deleted")
    assert contents(home / "datasets" / "mnist") == []


def test_dead_first_mirror_falls_over_to_the_second(home: Path, server: _Server, mirrors, capsys) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/mnist/"
    mirrors(dead, server.url("/good/"))
    assert len(load("mnist", download=True)) == TRAIN
    assert contents(home / "datasets" / "mnist") == sorted(published())
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 4 and all(dead in w and "connection refused" in w and "trying mirror 2 of 2" in w for w in warnings)


def test_all_mirrors_failing_is_one_line_naming_the_last(home: Path, server: _Server, mirrors) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/mnist/"
    mirrors(dead, server.url("/missing/"))
    with pytest.raises(DataError) as caught:
        load("mnist", download=True)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (f"cannot download mnist train-images-idx3-ubyte.gz from {server.url('/missing/train-images-idx3-ubyte.gz')}: "
                       "HTTP 404 Not Found (2 mirrors tried, all failed; this was the last)")
    assert contents(home / "datasets" / "mnist") == []


def test_offline_refuses_to_download_in_one_line(home: Path, server: _Server, mirrors, monkeypatch: pytest.MonkeyPatch) -> None:
    mirrors(server.url("/good/"))
    monkeypatch.setenv("GANZOO_OFFLINE", "1")
    with pytest.raises(DataError) as caught:
        load("mnist", download=True)
    message = str(caught.value)
    assert "\n" not in message and "GANZOO_OFFLINE is set" in message and server.url("/good/") in message
    assert server.requests == [] and contents(home / "datasets" / "mnist") == []


def test_cli_download(tmp_path: Path, home: Path, server: _Server, mirrors, capsys) -> None:
    mirrors(server.url("/bad/"))
    run = tmp_path / "run"
    argv = ["run", "dcgan", "--dataset", "mnist", "--download", "--steps", "1", "--batch-size", "8", "--out", str(run),
            "--no-progress", "--device", "cpu"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    downloading = [line for line in err.splitlines() if line.startswith("ganzoo: downloading ")]
    assert len(downloading) == 1  # the corrupt first file ends it
    assert error_line("\n".join(l for l in err.splitlines() if l not in downloading)).startswith(
        "ganzoo: error: md5 mismatch for mnist train-images")
    assert not run.exists() and contents(home / "datasets" / "mnist") == []


# ---------------------------------------------------------------- ganzoo.io.download itself
DATA = b"ganzoo download test\n" * 100


def remote_for(*urls: str, data: bytes = DATA, **kwargs: object) -> RemoteFile:
    return RemoteFile("the test file", urls, len(data), **{"sha256": hashlib.sha256(data).hexdigest(), **kwargs})


@pytest.fixture
def data_server(server: _Server) -> _Server:
    server.files["/f"] = DATA  # type: ignore[attr-defined]
    return server


def test_download_verifies_and_names_the_url_in_its_plain_line(tmp_path: Path, data_server: _Server, capsys) -> None:
    target = tmp_path / "deep" / "folder" / "f.bin"
    assert download(remote_for(data_server.url("/f")), target, progress=False) == target
    assert target.read_bytes() == DATA and contents(target.parent) == ["f.bin"]
    assert capsys.readouterr().err == f"ganzoo: downloading the test file (2.1 kB) from {data_server.url('/f')}\n"


def test_a_verified_target_is_returned_without_the_network(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(DATA)
    assert download(remote_for(f"http://127.0.0.1:{closed_port()}/f"), target) == target


def test_a_wrong_target_is_fetched_again(tmp_path: Path, data_server: _Server, capsys) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(DATA[:-1] + b"?")
    download(remote_for(data_server.url("/f")), target, progress=False)
    assert target.read_bytes() == DATA and data_server.requests == ["/f"]
    assert f"ganzoo: warning: {target} is not the test file (sha256 " in capsys.readouterr().err


def test_every_given_hash_is_checked(tmp_path: Path, data_server: _Server) -> None:
    good_md5, target = hashlib.md5(DATA).hexdigest(), tmp_path / "f.bin"
    download(remote_for(data_server.url("/f"), sha256=None, md5=good_md5), target, progress=False)
    assert verify(target, remote_for(data_server.url("/f"), md5=good_md5)) is None
    target.unlink()
    wrong_sha = remote_for(data_server.url("/f"), sha256="0" * 64, md5=good_md5)
    with pytest.raises(DataError, match=f"sha256 mismatch for the test file from {data_server.url('/f')}: expected 0{{64}}"):
        download(wrong_sha, target, progress=False, error=DataError)
    with pytest.raises(WeightsError, match="md5 mismatch"):  # WeightsError unless told otherwise
        download(remote_for(data_server.url("/f"), md5="0" * 32), target, progress=False)
    assert contents(tmp_path) == []
    with pytest.raises(ValueError, match="neither a sha256 nor an md5"):
        RemoteFile("unchecked", ("http://127.0.0.1/f",), 10)


def test_a_body_larger_than_stated_is_refused(tmp_path: Path, data_server: _Server) -> None:
    with pytest.raises(DataError) as caught:
        download(remote_for(data_server.url("/f"), data=DATA[:100]), tmp_path / "f.bin", progress=False, error=DataError)
    assert str(caught.value) == (f"{data_server.url('/f')} announces {len(DATA)} bytes, but the test file is published with 100: "
                                 "the server holds another file; nothing was downloaded")
    assert contents(tmp_path) == []


def test_offline_and_bad_timeout_refuse_before_any_connection(tmp_path: Path, data_server: _Server, monkeypatch) -> None:
    target = tmp_path / "f.bin"
    monkeypatch.setenv("GANZOO_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(DataError, match="GANZOO_DOWNLOAD_TIMEOUT must be a number of seconds above 0"):
        download(remote_for(data_server.url("/f")), target, error=DataError)
    monkeypatch.setenv("GANZOO_OFFLINE", "1")
    with pytest.raises(DataError) as caught:
        download(remote_for(data_server.url("/f")), target, error=DataError)
    assert str(caught.value) == (f"the test file is not at {target} and GANZOO_OFFLINE is set, so it is not downloaded from "
                                 f"{data_server.url('/f')}; unset GANZOO_OFFLINE, or put the file at {target}")
    assert data_server.requests == [] and contents(tmp_path) == []


def test_download_module_is_torch_free() -> None:
    code = "import sys, ganzoo.io.download, ganzoo.io.pretrained; print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr
