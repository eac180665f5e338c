"""``--config FILE`` and the names a user types: bounded, one line, never echoed whole.

What is promised: a config file nested 100,000 levels deep (JSON or TOML), nested more than
``MAX_DEPTH``, larger than ``MAX_BYTES``, that is a FIFO (which would block a read) or not
UTF-8, is refused in one :class:`~ganzoo.errors.ConfigError` line naming the file, from
``read_run_file`` and from ``ganzoo run --config``; a key, a model name or a weights name of
megabytes is echoed cut to a readable length (``errors.SHOWN_LENGTH``). A Hypothesis property
feeds the reader arbitrary JSON and TOML text: a :class:`RunFile` or one ConfigError line, never
another exception. ``--resume`` of a run folder whose checkpoint another model wrote is refused
in one line naming what differs (not a ``KeyError: 'betas'``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ganzoo
from ganzoo.cli.main import main
from ganzoo.core.config_file import MAX_BYTES, MAX_DEPTH, RunFile, read_run_file
from ganzoo.errors import SHOWN_LENGTH, ConfigError, GanzooError

LONG = "x" * 5_000_000


def _deep_json(levels: int) -> str:
    return '{"set": {"a": ' + "[" * levels + "]" * levels + "}}"


CASES = {
    "deep.json": lambda p: p.write_text(_deep_json(100_000)),
    "deep.toml": lambda p: p.write_text("[set]\na = " + "[" * 100_000 + "]" * 100_000 + "\n"),
    "just-too-deep.json": lambda p: p.write_text(_deep_json(MAX_DEPTH)),
    "huge.json": lambda p: p.write_text('{"steps": 1, "set": {"pad": "' + "x" * (MAX_BYTES + 10) + '"}}'),
    "fifo.json": lambda p: os.mkfifo(p),
    "latin1.json": lambda p: p.write_bytes(b'{"model": "caf\xe9"}'),
    "long-key.json": lambda p: p.write_text(json.dumps({LONG: 1})),
    "long-model.toml": lambda p: p.write_text(f'model = "{LONG}"\nsteps = 1\n'),
}


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_config_file_is_one_short_config_error(name: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    CASES[name](path)
    with pytest.raises(GanzooError) as caught:
        ganzoo.train(config=path, out=tmp_path / "run", steps=1)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 2 * SHOWN_LENGTH + len(str(path)) + 200, message[:500]
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "run2")]) != 0
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ganzoo: error: ") and len(err) < 2000, err[:500]
    assert not (tmp_path / "run").exists() and not (tmp_path / "run2").exists()


def test_nesting_up_to_the_limit_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text(_deep_json(MAX_DEPTH - 3))
    assert isinstance(read_run_file(path), RunFile)


def test_long_names_are_cut_in_the_message() -> None:
    with pytest.raises(GanzooError) as caught:
        ganzoo.train(LONG, steps=1)
    assert len(str(caught.value)) < 3 * SHOWN_LENGTH + 200
    for path in (LONG, "a/" * 100_000):  # a path: shown up to PATH_MAX
        with pytest.raises(GanzooError, match="longer than the filesystem allows") as caught:
            ganzoo.load(path)
        assert len(str(caught.value)) < 4096 + 200


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                     max_leaves=20)
_keys = st.sampled_from(["steps", "lr", "batch-size", "model", "out", "set", "architecture_config", "betas", "seed", "x"])


@given(data=st.one_of(st.dictionaries(_keys, _json, max_size=5), _json), as_toml=st.booleans(), junk=st.text(max_size=30))
def test_property_the_reader_gives_a_run_file_or_one_config_error(data: object, as_toml: bool, junk: str,
                                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("cfg")
    path = folder / ("c.toml" if as_toml else "c.json")
    if as_toml:
        text = junk if not isinstance(data, dict) else "\n".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in data.items())
    else:
        text = json.dumps(data) + (junk if isinstance(data, list) else "")
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        found = read_run_file(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(found, RunFile)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    ganzoo.train("dcgan", out=root / "dcgan", steps=2, batch_size=8, progress=False, ngf=8, ndf=8)
    ganzoo.train("wgan", out=root / "wgan", steps=2, batch_size=8, progress=False, ngf=8, ndf=8)
    return root / "dcgan", root / "wgan"


def test_resume_with_another_models_checkpoint_is_one_line_naming_the_difference(
        two_runs: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    mine, theirs = two_runs
    run = tmp_path / "run"
    shutil.copytree(mine, run)
    shutil.copyfile(theirs / "checkpoint.safetensors", run / "checkpoint.safetensors")
    assert main(["run", "--resume", str(run), "--steps", "4"]) == 2
    err = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ganzoo: error:")]
    assert len(err) == 1 and "'wgan'" in err[0] and "'dcgan'" in err[0], err
