"""Property-based fuzzing (Hypothesis, the deterministic ``ganzoo`` profile of tests/conftest.py).

What is promised, whatever the bytes or text:

* the weights reader (``read_metadata``, ``read_tensors``) on random bytes, on mutations of a real
  ganzoo weights file (flipped, inserted, cut bytes; header JSON rewritten with random values;
  random ``ganzoo.*`` metadata) either succeeds or raises ``WeightsError`` with a one-line
  message, never another exception and never ``MemoryError``; ``ganzoo.load`` on such a file
  succeeds or raises a ``GanzooError`` of one line;
* every typed ``ganzoo run`` flag and every ``--set KEY=VALUE`` given random text is either
  accepted (the run is planned; training never starts here) or refused in one
  ``ganzoo: error:`` line with exit code 2, no traceback, no run folder;
* the image reader on random bytes and on mutated real PNG and JPEG files returns a picture or
  raises a one-line ``DataError`` naming the file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import ganzoo
from ganzoo.cli.main import main
from ganzoo.cli.run import FLAGGED, SET_ONLY
from ganzoo.errors import DataError, GanzooError, WeightsError
from ganzoo.io import weights
from ganzoo.io.images import read_image

from tests.hostile.test_weights_files import raw_file, small_model_file, split


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def real(workdir) -> bytes:
    """The bytes of a real ganzoo generator file (also left at ``workdir/real/generator.safetensors``)."""
    (workdir / "real").mkdir()
    return small_model_file(workdir / "real").read_bytes()


def one_line(exc: BaseException) -> bool:
    text = str(exc)
    return bool(text) and "\n" not in text and "\r" not in text


def read_all(path: Path) -> None:
    """The weights readers on ``path``: success or one-line WeightsError, nothing else."""
    for read in (weights.read_metadata, weights.read_tensors):
        try:
            read(path)
        except WeightsError as exc:
            assert one_line(exc), str(exc)


def load(path: Path) -> None:
    try:
        ganzoo.load(path, device="cpu")
    except GanzooError as exc:
        assert one_line(exc), str(exc)


# ---------------------------------------------------------------- (a) the safetensors/metadata reader
@settings(max_examples=80)
@given(st.binary(max_size=256))
def test_random_bytes_are_a_file_or_one_weights_error(workdir, blob):
    path = workdir / "random.safetensors"
    path.write_bytes(blob)
    read_all(path)


MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]), st.integers(0, 10**6), st.integers(0, 255)),
    min_size=1, max_size=4,
)


def mutate(blob: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(blob)
    for kind, where, byte in edits:
        at = where % (len(data) + 1)
        if kind == "flip" and at < len(data):
            data[at] ^= byte or 1
        elif kind == "insert":
            data[at:at] = bytes([byte])
        elif kind == "delete":
            del data[at : at + 1 + byte % 8]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


@settings(max_examples=60)
@given(MUTATIONS)
def test_mutated_weights_files_load_or_fail_in_one_line(workdir, real, edits):
    path = workdir / "mutated.safetensors"
    path.write_bytes(mutate(real, edits))
    read_all(path)
    load(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60)
@given(st.data())
def test_header_entries_rewritten_with_random_values(workdir, real, data):
    path = workdir / "real" / "generator.safetensors"
    header, body = split(path)
    name = data.draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
    field = data.draw(st.sampled_from(["dtype", "shape", "data_offsets", None]))
    value = data.draw(JSON)
    if field is None:
        header[name] = value
    else:
        header[name][field] = value
    out = raw_file(workdir / "rewritten.safetensors", header, body)
    read_all(out)
    load(out)


META_KEYS = ["model", "architecture", "task", "config", "step", "role", "classes", "training", "metrics", "source"]


@settings(max_examples=60)
@given(st.data())
def test_random_metadata_loads_or_fails_in_one_line(workdir, real, data):
    header, body = split(workdir / "real" / "generator.safetensors")
    meta = header["__metadata__"]
    for key in data.draw(st.lists(st.sampled_from(META_KEYS), min_size=1, max_size=3, unique=True)):
        if key == "config" and data.draw(st.booleans()):  # one setting of a real config
            config = json.loads(meta["ganzoo.config"])
            config[data.draw(st.sampled_from(sorted(config) + ["extra"]))] = data.draw(JSON)
            meta["ganzoo.config"] = json.dumps(config)
        else:
            meta[f"ganzoo.{key}"] = data.draw(st.text(max_size=12) | JSON.map(json.dumps))
    out = raw_file(workdir / "meta.safetensors", header, body)
    read_all(out)
    load(out)


# ---------------------------------------------------------------- (b) CLI values and --set
class Planned(Exception):
    """Raised instead of training: the values passed every check."""


@pytest.fixture
def no_training(monkeypatch, tmp_path):
    from ganzoo.api import RunPlan

    def fit(self, **kwargs):
        raise Planned()

    monkeypatch.setattr(RunPlan, "fit", fit)
    monkeypatch.chdir(tmp_path)


TYPED = [d.flag_name for d in FLAGGED if d.kind != "switch" and not d.choices] + ["--image-size", "--nproc"]
KEYS = sorted({d.name for d in FLAGGED + SET_ONLY} | {"ngf", "ndf", "nz", "image_size", "channels", "d_norm", "real_label"})
TEXT = st.text(max_size=12) | st.integers(-(2**70), 2**70).map(str) | st.floats().map(str) | JSON.map(json.dumps)


def check_cli(argv: list[str], capsys, run: Path) -> None:
    try:
        code = main(argv)
    except SystemExit as exited:
        code = exited.code
    except Planned:
        code = None  # accepted: training would start now
    err = capsys.readouterr().err
    if code is not None:
        assert code == 2, (argv, code, err)
        assert err.count("\n") == 1 and "ganzoo" in err and "error" in err and "Traceback" not in err, (argv, err)
    assert not run.exists()


@settings(max_examples=100)
@given(flag=st.sampled_from(TYPED), text=TEXT)
def test_typed_flags_accept_or_refuse_in_one_line(tmp_path, capsys, no_training, flag, text):
    run = tmp_path / "run"
    if flag == "--nproc":  # --nproc N > 1 starts torchrun: only its parsing is fuzzed
        argv = ["run", "dcgan", "--nproc", text, "--nproc", "1"]
    else:
        argv = ["run", "dcgan", f"{flag}={text}", "--out", str(run), "--no-progress"]
    check_cli(argv, capsys, run)


@settings(max_examples=100)
@given(key=st.sampled_from(KEYS), text=TEXT)
def test_set_values_accept_or_refuse_in_one_line(tmp_path, capsys, no_training, key, text):
    run = tmp_path / "run"
    check_cli(["run", "dcgan", "--set", f"{key}={text}", "--out", str(run), "--no-progress"], capsys, run)


# ---------------------------------------------------------------- (c) the image reader
def picture(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 9), (200, 40, 90)).save(out, format=kind)
    return out.getvalue()


REAL_IMAGES = {"png": picture("PNG"), "jpg": picture("JPEG")}


def read_or_data_error(path: Path) -> None:
    try:
        read_image(path, "RGB")
    except DataError as exc:
        assert one_line(exc) and str(path) in str(exc), str(exc)


@settings(max_examples=60)
@given(suffix=st.sampled_from(["png", "jpg", "gif", "bmp", "tif"]), blob=st.binary(max_size=200))
def test_random_bytes_are_an_image_or_one_data_error(workdir, suffix, blob):
    path = workdir / f"random.{suffix}"
    path.write_bytes(blob)
    read_or_data_error(path)


@settings(max_examples=80)
@given(kind=st.sampled_from(sorted(REAL_IMAGES)), edits=MUTATIONS)
def test_mutated_images_are_an_image_or_one_data_error(workdir, kind, edits):
    path = workdir / f"mutated.{kind}"
    path.write_bytes(mutate(REAL_IMAGES[kind], edits))
    read_or_data_error(path)
