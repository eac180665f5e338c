"""``ganzoo push`` and its model card read only regular files inside the run folder.

What is promised: a run folder whose generator, last sample grid or ``samples/`` folder is a
symlink to a file elsewhere (a private file, say) is refused in one line naming it, before any
request (no token or endpoint is needed to see the refusal), so nothing from outside the run
folder is published; a sample grid (found, or given with ``--sample``) must start with the PNG
signature, not only end in ``.png``. An honest run folder still makes its card with its grid.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ganzoo.cli.main import main
from ganzoo.errors import GanzooError
from ganzoo.io.model_card import describe

REPO_ID = "someone/dcgan-tiny"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import ganzoo

    out = tmp_path_factory.mktemp("runs") / "dcgan-digits"
    ganzoo.train("dcgan", out=out, steps=2, batch_size=8, sample_every=2, num_samples=4, progress=False, ngf=8, ndf=8)
    return out


@pytest.fixture
def run_dir(trained: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    (tmp_path / "private.png").write_bytes((copy / "samples" / _last(copy).name).read_bytes())
    (tmp_path / "private.safetensors").write_bytes((copy / "generator.safetensors").read_bytes())
    return copy


def _last(run: Path) -> Path:
    return sorted((run / "samples").glob("step-*.png"))[-1]


def _link_sample(run: Path) -> None:
    grid = _last(run)
    grid.unlink()
    grid.symlink_to(run.parent / "private.png")


def _link_generator(run: Path) -> None:
    (run / "generator.safetensors").unlink()
    (run / "generator.safetensors").symlink_to(run.parent / "private.safetensors")


def _link_samples_folder(run: Path) -> None:
    outside = run.parent / "elsewhere"
    shutil.move(str(run / "samples"), outside)
    (run / "samples").symlink_to(outside, target_is_directory=True)


def _not_png(run: Path) -> None:
    _last(run).write_bytes(b"#!/bin/sh\necho this is no picture\n")


HOSTILE = {"sample-symlink": _link_sample, "generator-symlink": _link_generator,
           "samples-folder-symlink": _link_samples_folder, "sample-not-png": _not_png}


@pytest.mark.parametrize("case", HOSTILE)
def test_push_refuses_what_is_not_a_regular_file_of_the_run(case: str, run_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    HOSTILE[case](run_dir)
    with pytest.raises(GanzooError) as caught:
        describe(run_dir, REPO_ID)
    assert "\n" not in str(caught.value)
    assert main(["push", str(run_dir), REPO_ID]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ganzoo: error: "), err


def test_an_explicit_sample_must_be_a_png_by_its_bytes(run_dir: Path, tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_text("not a picture")
    with pytest.raises(GanzooError, match="not a PNG"):
        describe(run_dir, REPO_ID, sample=fake)


def test_an_honest_run_folder_makes_its_card_with_its_grid(run_dir: Path) -> None:
    card = describe(run_dir, REPO_ID)
    assert card.sample == _last(run_dir) and card.weights == run_dir / "generator.safetensors"
    assert "![samples" in card.text
