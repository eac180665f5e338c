"""Hostile image files, read by the one reader (``ganzoo.io.images.read_image``).

What is promised, for every case below: a file that is no image, is empty, truncated or
corrupt, or whose header claims more pixels than Pillow's decompression-bomb limit (checked on
the header, before a pixel is decoded) is one ``DataError`` line naming the file, whether it
sits in a ``folder:`` dataset or is given to ``ganzoo sample --input``; through the CLI it is
one ``ganzoo: error:`` line, exit 2, and no run folder and no output folder is created.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

import ganzoo
from ganzoo.api import get_registry
from ganzoo.cli.main import main
from ganzoo.data.datasets import read_image_folder
from ganzoo.errors import DataError
from ganzoo.io.images import image_mode, read_image


def png_bytes(size: tuple[int, int] = (8, 8), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format="JPEG")
    return out.getvalue()


def claiming(width: int, height: int) -> bytes:
    """A small PNG whose header (IHDR, with a valid CRC) claims ``width`` x ``height`` pixels."""
    blob = bytearray(png_bytes())
    blob[16:24] = struct.pack(">II", width, height)
    blob[29:33] = struct.pack(">I", zlib.crc32(bytes(blob[12:29])))
    return bytes(blob)


BAD = {
    "30000x30000 bomb": ("bomb.png", claiming(30_000, 30_000), "exceeds limit"),
    "10000x10000 over the limit": ("big.png", claiming(10_000, 10_000), "is 10000x10000 pixels, more than the"),
    "truncated PNG": ("cut.png", png_bytes((64, 64))[:60], "cannot read image"),
    "truncated JPEG": ("cut.jpg", jpeg_bytes((64, 64))[:300], "cannot read image"),
    "empty file": ("empty.png", b"", "cannot read image"),
    "text named .png": ("notes.png", b"these are my notes, not a picture\n", "cannot identify image file"),
    "corrupt PNG data": ("noise.png", png_bytes()[:40] + b"\x00" * 60 + png_bytes()[-12:], "cannot read image"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_image_is_one_line_naming_the_file(tmp_path, case):
    name, blob, message = BAD[case]
    path = tmp_path / name
    path.write_bytes(blob)
    with pytest.raises(DataError) as caught:
        read_image(path, "RGB")
        image_mode(path)  # a header that opens must still fail on decoding
    text = str(caught.value)
    assert "\n" not in text and str(path) in text and message in text, text


def test_good_images_are_read_and_converted(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes((5, 7), "L"))
    (tmp_path / "b.jpg").write_bytes(jpeg_bytes())
    assert image_mode(tmp_path / "a.png") == "L"
    assert read_image(tmp_path / "a.png", "RGB").mode == "RGB" and read_image(tmp_path / "a.png").size == (5, 7)
    assert read_image(tmp_path / "b.jpg").mode == "RGB"


@pytest.mark.parametrize("case", ["30000x30000 bomb", "truncated PNG", "text named .png"])
def test_a_bad_image_in_a_folder_dataset_names_it(tmp_path, case):
    name, blob, message = BAD[case]
    for i in range(3):
        (tmp_path / f"good-{i}.png").write_bytes(png_bytes())
    (tmp_path / name).write_bytes(blob)
    with pytest.raises(DataError) as caught:
        read_image_folder(tmp_path, 16)
    assert str(tmp_path / name) in str(caught.value) and message in str(caught.value)


def test_ganzoo_run_on_a_folder_with_a_truncated_image_leaves_no_run_folder(tmp_path, capsys):
    data = tmp_path / "pictures"
    data.mkdir()
    for i in range(4):
        (data / f"{i}.png").write_bytes(png_bytes((16, 16)))
    (data / "cut.png").write_bytes(png_bytes((64, 64))[:60])
    run = tmp_path / "run"
    code = main(["run", "dcgan", "--dataset", f"folder:{data}", "--image-size", "16", "--steps", "1",
                 "--out", str(run), "--no-progress", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("ganzoo: error:") == 1 and str(data / "cut.png") in err, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("ganzoo: error: cannot read image")
    assert not run.exists()


@pytest.fixture(scope="module")
def translator(tmp_path_factory) -> Path:
    """A tiny untrained pix2pix generator file (image-to-image: it takes --input)."""
    get_registry()
    return ganzoo.create("pix2pix", image_size=64, ngf=2, ndf=2).save(tmp_path_factory.mktemp("p2p"))["generator"]


@pytest.mark.parametrize("case", ["truncated PNG", "10000x10000 over the limit", "text named .png"])
def test_sample_input_refuses_a_bad_image_before_making_its_output_folder(tmp_path, capsys, translator, case):
    name, blob, message = BAD[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "fine.png").write_bytes(png_bytes((64, 64)))
    (inputs / name).write_bytes(blob)
    out = tmp_path / "outputs"
    code = main(["sample", str(translator), "--input", str(inputs), "-o", str(out), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(inputs / name) in err and message in err, err
    assert not out.exists()


def test_sample_input_still_translates_good_images(tmp_path, capsys, translator):
    (tmp_path / "in.png").write_bytes(png_bytes((64, 64)))
    out = tmp_path / "outputs"
    assert main(["sample", str(translator), "--input", str(tmp_path / "in.png"), "-o", str(out), "--device", "cpu"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["in.compare.png", "in.png"]
