"""Hostile weights and checkpoint files.

What is promised, for every case below:

* the safetensors header is parsed and checked by ganzoo before a byte of tensor data is read:
  a header length beyond the file or beyond 100 MiB, a header that is not a JSON object, an
  unknown dtype, a shape that is not whole numbers >= 0, data offsets outside the data section
  or of the wrong size, tensors that overlap, leave gaps or do not cover the data: each is one
  ``WeightsError`` line naming the file and what is wrong, never ``MemoryError``;
* a file loaded into a model is checked against the model's names and shapes before its data
  is read, so a header declaring a 10 GB tensor is refused, not allocated;
* the ``ganzoo.*`` metadata is checked by kind and range before anything is built (a config
  that is no object, negative or list-valued or absurd sizes, a step that is no whole number,
  an unknown task or role): one ``WeightsError`` line naming the file and the setting;
* a hostile ``checkpoint.safetensors`` is one ``RunFolderError`` line naming the file;
* through the CLI each is one ``ganzoo: error:`` line, exit 2, and no output file is written.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import ganzoo
from ganzoo.cli.main import main
from ganzoo.errors import RunFolderError, WeightsError
from ganzoo.io import checkpoint, weights


# ---------------------------------------------------------------- helpers (also used by test_fuzz.py)
def small_model_file(folder: Path) -> Path:
    """A real, valid ganzoo generator file of a tiny DCGAN (a few kilobytes)."""
    model = ganzoo.create("dcgan", image_size=16, ngf=4, ndf=4, nz=4, channels=1)
    return model.save(folder)["generator"]


def raw_file(path: Path, header: object, data: bytes = b"", length: int | None = None) -> Path:
    """A file of an 8-byte header length (``length``, default the header's), a JSON header and data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


def split(path: Path) -> tuple[dict, bytes]:
    """A safetensors file's header (as JSON) and data section."""
    blob = path.read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def assert_one_line(exc: BaseException, *parts: str) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text, text
    for part in parts:
        assert part in text, text


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return small_model_file(tmp_path_factory.mktemp("good"))


# ---------------------------------------------------------------- the header, byte by byte
F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
HEADERS = {
    "empty file": (b"", None, b"", "shorter than the 8-byte length"),
    "five bytes": (b"", 5, b"", "declares a 5-byte header"),  # (written as 8 bytes of length, no header)
    "length beyond the file": ({"w": F32}, 10**12, b"\0" * 8, "declares a 1,000,000,000,000-byte header"),
    "not JSON": (b"{not json", None, b"", "its header is not JSON"),
    "not UTF-8": (b"{\xff\xfe}", None, b"", "its header is not JSON"),
    "a JSON list": (b"[1, 2]", None, b"", "its header is a JSON list, not an object"),
    "nested 100000 deep": (b"[" * 100_000, None, b"", "its header is not JSON"),
    "a key twice": (b'{"w": 1, "w": 2}', None, b"", "appears twice"),
    "metadata not an object": ({"__metadata__": [1]}, None, b"", "__metadata__ is not an object of strings"),
    "metadata of numbers": ({"__metadata__": {"ganzoo.step": 5}}, None, b"", "__metadata__ is not an object of strings"),
    "entry not an object": ({"w": [1, 2]}, None, b"", "tensor 'w' is not an object"),
    "unknown dtype": ({"w": {**F32, "dtype": "Q7"}}, None, b"\0" * 8, "tensor 'w' has dtype 'Q7'"),
    "complex dtype": ({"w": {**F32, "dtype": "C64"}}, None, b"\0" * 8, "has dtype 'C64'"),
    "negative shape": ({"w": {**F32, "shape": [-2]}}, None, b"\0" * 8, "has shape [-2]"),
    "float shape": ({"w": {**F32, "shape": [2.0]}}, None, b"\0" * 8, "has shape [2.0]"),
    "string shape": ({"w": {**F32, "shape": "2"}}, None, b"\0" * 8, "has shape '2'"),
    "65 dimensions": ({"w": {**F32, "shape": [1] * 65, "data_offsets": [0, 4]}}, None, b"\0" * 4, "at most 64"),
    "10 GB tensor in a small file": ({"w": {"dtype": "F32", "shape": [50_000, 50_000], "data_offsets": [0, 10**10]}},
                                     None, b"\0" * 16, "not [begin, end] within its 16-byte data section"),
    "offsets reversed": ({"w": {**F32, "data_offsets": [8, 0]}}, None, b"\0" * 8, "has data_offsets [8, 0]"),
    "negative offset": ({"w": {**F32, "data_offsets": [-8, 0]}}, None, b"\0" * 8, "has data_offsets [-8, 0]"),
    "size of another shape": ({"w": {**F32, "shape": [3]}}, None, b"\0" * 8, "needs 12 bytes, but its data_offsets hold 8"),
    "overlapping tensors": ({"a": F32, "b": F32}, None, b"\0" * 8, "overlap or leave a gap"),
    "trailing bytes": ({"w": F32}, None, b"\0" * 12, "cover 8 of the 12 bytes"),
}


@pytest.mark.parametrize("case", HEADERS, ids=list(HEADERS))
def test_a_bad_header_is_one_line_naming_the_file(tmp_path, case):
    header, length, data, message = HEADERS[case]
    path = tmp_path / "bad.safetensors"
    if case == "empty file":
        path.write_bytes(b"")
    elif case == "five bytes":
        path.write_bytes(struct.pack("<Q", 5))
    else:
        raw_file(path, header, data, length)
    for read in (weights.read_metadata, weights.read_tensors):
        with pytest.raises(WeightsError) as caught:
            read(path)
        assert_one_line(caught.value, str(path), "is not a readable safetensors file", message)


def test_a_header_over_the_cap_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge-header.safetensors"
    raw_file(path, b"{", length=weights.HEADER_LIMIT + 1)
    with open(path, "r+b") as fh:  # sparse: the file is as long as the header says, nothing is on disk
        fh.truncate(weights.HEADER_LIMIT + 100)
    with pytest.raises(WeightsError) as caught:
        weights.read_metadata(path)
    assert_one_line(caught.value, str(path), f"more than the {weights.HEADER_LIMIT:,} bytes ganzoo reads")


def test_a_declared_10_gb_tensor_is_refused_by_the_model_before_any_data_is_read(tmp_path, good):
    """The MemoryError of ``safetensors.load_file``: a consistent header, a sparse 10 GB file."""
    header, _ = split(good)
    header["main.0.weight"] = {"dtype": "F32", "shape": [50_000, 50_000], "data_offsets": [0, 10**10]}
    header = {k: v for k, v in header.items() if k in ("__metadata__", "main.0.weight")}
    path = raw_file(tmp_path / "10gb.safetensors", header)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size + 10**10)
    with pytest.raises(WeightsError) as caught:
        ganzoo.load(path, device="cpu")
    assert_one_line(caught.value, str(path), "does not fit Generator", "keys of another shape: main.0.weight")


def test_tensors_beyond_this_machines_memory_are_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    save_file({"w": torch.zeros(1024)}, str(path))
    monkeypatch.setattr(weights, "physical_memory", lambda: 1000)
    with pytest.raises(WeightsError) as caught:
        weights.read_tensors(path)
    assert_one_line(caught.value, str(path), "GiB of tensors, more than this machine's")


# ---------------------------------------------------------------- the ganzoo.* metadata
METADATA = {
    "config not JSON": ({"ganzoo.config": "{"}, "metadata ganzoo.config is not JSON"),
    "config a list": ({"ganzoo.config": "[1, 2]"}, "metadata ganzoo.config must be a JSON object"),
    "config a number": ({"ganzoo.config": "5"}, "metadata ganzoo.config must be a JSON object"),
    "negative width": ({"ngf": -4}, "ngf must be a whole number >= 1 (its default is 64), got -4"),
    "list width": ({"ngf": [4]}, "ngf must be a whole number (its default is 64), got [4]"),
    "float width": ({"ngf": 2.5}, "ngf must be a whole number"),
    "true width": ({"nz": True}, "nz must be a whole number"),
    "2^30 latent": ({"nz": 2**30}, "nz must be a whole number from 1 to 1048576"),
    "2^30 image size": ({"image_size": 2**30}, "image_size must be a whole number from 1 to 4096"),
    "unsupported image size": ({"image_size": 24}, "supports image sizes 16, 32, 64, 128, not 24"),
    "negative classes": ({"num_classes": -1}, "num_classes must be a whole number from 0 to 1048576"),
    "text norm a number": ({"d_norm": 5}, "d_norm must be text"),
    "negative step": ({"ganzoo.step": "-1"}, "metadata ganzoo.step must be a whole number from 0 to"),
    "text step": ({"ganzoo.step": "abc"}, "metadata ganzoo.step must be a whole number"),
    "huge step": ({"ganzoo.step": "9" * 5000}, "metadata ganzoo.step must be a whole number"),
    "classes an object": ({"ganzoo.classes": '{"a": 1}'}, "metadata ganzoo.classes must be a JSON list"),
    "classes of numbers": ({"ganzoo.classes": "[1, 2]"}, "metadata ganzoo.classes must be a JSON list of at most"),
    "unknown task": ({"ganzoo.task": "teleport"}, "metadata ganzoo.task must be one of"),
    "task of another architecture": ({"ganzoo.task": "class"}, "ganzoo.task is 'class', but architecture 'dcgan'"),
    "unknown role": ({"ganzoo.role": "optimizer"}, "holds a 'optimizer', which ganzoo cannot load"),
    "training a list": ({"ganzoo.training": "[]"}, "metadata ganzoo.training must be a JSON object"),
}


@pytest.mark.parametrize("case", METADATA, ids=list(METADATA))
def test_bad_metadata_is_one_line_before_anything_is_built(tmp_path, good, case, monkeypatch):
    change, message = METADATA[case]
    header, data = split(good)
    meta = header["__metadata__"]
    if all(key.startswith("ganzoo.") for key in change):
        meta.update(change)
    else:  # a value inside ganzoo.config
        meta["ganzoo.config"] = json.dumps({**json.loads(meta["ganzoo.config"]), **change})
    path = raw_file(tmp_path / "bad.safetensors", header, data)
    import ganzoo.core.model as model_module

    monkeypatch.setattr(model_module, "build_nets", lambda *a: pytest.fail("built nets for a hostile file"))
    with pytest.raises(WeightsError) as caught:
        ganzoo.load(path, device="cpu")
    assert_one_line(caught.value, str(path), message)


def test_the_good_file_loads(good):
    model = ganzoo.load(good, device="cpu")
    assert model.sample(2, seed=0).shape == (2, 1, 16, 16)


@pytest.mark.parametrize("case", ["10 GB tensor in a small file", "unknown dtype"])
def test_the_cli_says_it_in_one_line_and_writes_nothing(tmp_path, capsys, case):
    header, length, data, message = HEADERS[case]
    path = raw_file(tmp_path / "bad.safetensors", {"__metadata__": {}, **header}, data, length)
    out = tmp_path / "grid.png"
    assert main(["sample", str(path), "-o", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ganzoo: error: ") and message in err and str(path) in err
    assert not out.exists()


# ---------------------------------------------------------------- checkpoints
def _checkpoint(run: Path, state: dict, skeleton: object = None) -> Path:
    run.mkdir(exist_ok=True)
    path = checkpoint.write_checkpoint(run, state)
    if skeleton is not None:
        header, data = split(path)
        header["__metadata__"]["ganzoo.checkpoint"] = skeleton if isinstance(skeleton, str) else json.dumps(skeleton)
        raw_file(path, header, data)
    return path


STATE = {"step": 3, "generator": {"w": torch.ones(2)}, "rng": [1, 2]}
CHECKPOINTS = {
    "skeleton not JSON": ("{", "JSONDecodeError"),
    "skeleton a list": ([1, 2], "its training state is a JSON list, not an object"),
    "step as text": ({"step": "3", "generator": {"w": {"__tensor__": "generator.w"}}}, "its step must be a whole number"),
    "negative step": ({"step": -1, "generator": {"w": {"__tensor__": "generator.w"}}}, "its step must be a whole number"),
    "a tensor named but not stored": ({"step": 1, "g": {"__tensor__": "nope"}, "w": {"__tensor__": "generator.w"}},
                                      "tensor 'nope' is named but not stored"),
    "a tensor stored but not named": ({"step": 1}, "tensor 'generator.w' is stored but not named"),
}


@pytest.mark.parametrize("case", CHECKPOINTS, ids=list(CHECKPOINTS))
def test_a_hostile_checkpoint_is_one_line(tmp_path, case):
    skeleton, message = CHECKPOINTS[case]
    path = _checkpoint(tmp_path / "run", STATE, skeleton)
    with pytest.raises(RunFolderError) as caught:
        checkpoint.read_checkpoint(tmp_path / "run")
    assert_one_line(caught.value, str(path), "is not a readable ganzoo checkpoint", message)


def test_a_checkpoint_with_a_bad_header_is_one_line(tmp_path):
    (tmp_path / "run").mkdir()
    path = raw_file(tmp_path / "run" / checkpoint.FILE_NAME, {"w": {**F32, "dtype": "Q7"}}, b"\0" * 8)
    with pytest.raises(RunFolderError) as caught:
        checkpoint.read_checkpoint(tmp_path / "run")
    assert_one_line(caught.value, str(path), "has dtype 'Q7'", "delete it to restart")


@pytest.mark.parametrize(
    "like, message",
    [
        ({"step": 0, "generator": {"w": torch.ones(3)}, "rng": [1, 2]}, "tensor 'generator.w' is of shape [2], the run's is of shape [3]"),
        ({"step": 0, "generator": {"v": torch.ones(2)}}, "tensor 'generator.v' is missing"),
    ],
    ids=["another shape", "missing"],
)
def test_a_checkpoint_is_checked_against_the_run_before_reading(tmp_path, like, message):
    path = _checkpoint(tmp_path / "run", STATE)
    with pytest.raises(RunFolderError) as caught:
        checkpoint.read_checkpoint(tmp_path / "run", like=like)
    assert_one_line(caught.value, str(path), message)


def test_a_checkpoint_far_larger_than_its_run_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "SLACK_BYTES", 0)
    path = _checkpoint(tmp_path / "run", {"step": 1, "generator": {"w": torch.ones(2)}, "extra": torch.zeros(1000)})
    with pytest.raises(RunFolderError) as caught:
        checkpoint.read_checkpoint(tmp_path / "run", like={"generator": {"w": torch.ones(2)}})
    assert_one_line(caught.value, str(path), "more than the 32 a checkpoint of this run can hold")
    assert checkpoint.read_checkpoint(tmp_path / "run", like={"generator": {"w": torch.zeros(2)}, "extra": torch.ones(1000)})["step"] == 1


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_a_complex_tensor_is_refused_by_convert_not_cut_to_its_real_part(tmp_path, suffix, capfd):
    """A peer checkpoint with a complex tensor: one line naming it, nothing written (torch would
    drop the imaginary part with a warning)."""
    from tests.interop import peers

    state = peers.ExamplesGenerator(nz=12, ngf=4, nc=3).state_dict()
    state["main.0.weight"] = state["main.0.weight"].to(torch.complex64) * (1 + 1j)
    path = tmp_path / f"netG{suffix}"
    if suffix == ".pth":
        torch.save(state, path)
    else:
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    out = tmp_path / "g.safetensors"
    assert main(["convert", str(path), "-o", str(out)]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "main.0.weight" in err and "complex" in err, err
    assert not out.exists()
