"""One write rule for every output path: never over what is not a regular file, never through a link.

What is promised: ``ganzoo sample``, ``export``, ``convert`` and ``plot`` ``-o PATH`` refuse, in
one ``ganzoo: error:`` line and before any work, a PATH that exists and is a FIFO, a socket, a
character device or a folder, with or without ``--force``, and leave it as it was (the same
inode, the same kind). A symlink at PATH is replaced by the file with ``--force`` (its target
untouched), refused without. The rule lives in one helper
(:func:`ganzoo.io.output_file.check_new_file`) and the atomic write checks it again before it
renames (something that appeared meanwhile is not replaced either).
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path
from typing import Callable

import pytest

from ganzoo.cli.main import main
from ganzoo.errors import GanzooError
from ganzoo.io.atomic import write_text


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def _device(path: Path) -> None:
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # as /dev/null
    except PermissionError:
        pytest.skip("making a device node needs privileges")


def _folder(path: Path) -> None:
    path.mkdir()


MAKERS: dict[str, Callable[[Path], None]] = {"fifo": _fifo, "socket": _socket, "device": _device, "folder": _folder}
#: command -> the arguments before ``-o``, and the output's suffix.
COMMANDS = {
    "sample": (["sample", "dcgan"], ".png"),
    "convert": (["convert", "missing-checkpoint.pth"], ".safetensors"),
    "plot": (["plot", "missing-run-folder"], ".png"),
    "export": (["export", "dcgan"], ".onnx"),
}


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_that_is_not_a_regular_file_is_refused(command: str, kind: str, force: bool, tmp_path: Path,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    if command == "export":
        pytest.importorskip("onnx")
        pytest.importorskip("onnxscript")
    args, suffix = COMMANDS[command]
    target = tmp_path / f"out{suffix}"
    MAKERS[kind](target)
    before = os.lstat(target)
    code = main([*args, "-o", str(target), *(["--force"] if force else [])])
    err = capfd.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and err.startswith("ganzoo: error: "), err
    if kind != "folder":
        assert "not a regular file" in err
    after = os.lstat(target)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))


def test_the_atomic_write_refuses_a_fifo_that_appeared_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "late.txt"
    os.mkfifo(target)
    with pytest.raises(GanzooError, match="not a regular file"):
        write_text(target, "text")
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["late.txt"]  # no temporary left


def test_a_symlink_is_replaced_with_force_never_followed(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from ganzoo.io.output_file import check_new_file, publish

    private = tmp_path / "private.txt"
    private.write_text("secret")
    link = tmp_path / "out.txt"
    link.symlink_to(private)
    with pytest.raises(GanzooError, match="exists already"):
        check_new_file(link, force=False)
    publish(check_new_file(link, force=True), True, lambda: write_text(link, "new"))
    assert not link.is_symlink() and link.read_text() == "new"
    assert private.read_text() == "secret"
