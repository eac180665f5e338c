"""``--logger tensorboard``: a real short run, its event files read back with TensorBoard's
own reader; without the package, one line naming the extra and no run folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import ganzoo
from ganzoo.training.tensorboard_log import TensorBoardLog
from tests.cli.test_cli import one_error_line

EventAccumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator").EventAccumulator

TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, num_samples=16, checkpoint_every=100, progress=False)


def test_a_run_mirrors_its_records_into_tensorboard(tmp_path) -> None:
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=4, log_every=2, sample_every=2, logger="tensorboard", **TINY)
    board = _read(run / "tensorboard")
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [line for line in lines if "d_loss" in line]

    for tag, key in (("loss/d_loss", "d_loss"), ("loss/g_loss", "g_loss"), ("speed/images_per_sec", "images_per_sec")):
        events = board.Scalars(tag)
        assert [e.step for e in events] == [2, 4]
        assert [e.value for e in events] == pytest.approx([line[key] for line in losses], rel=1e-6)

    images = board.Images("samples")  # the grids of samples/, as PNGs of the same size
    assert [i.step for i in images] == [2, 4]
    assert (images[0].width, images[0].height) == (74, 74)

    for side in ("real", "fake"):  # the discriminator's outputs: 16 images a side at each log step
        histograms = board.Histograms(f"discriminator/probability_on_{side}")
        assert [h.step for h in histograms] == [2, 4] and histograms[0].histogram_value.num == 16

    (settings,) = board.Tensors("settings/text_summary")
    text = settings.tensor_proto.string_val[0].decode()
    assert '"model": "dcgan"' in text and '"logger": "tensorboard"' in text and '"steps": 4' in text


def test_evaluation_metrics_and_critic_scores(tmp_path) -> None:
    """An evaluation line's metrics become eval/NAME scalars; a critic's raw scores a histogram."""
    with TensorBoardLog(tmp_path, {"model": "wgan-gp"}) as board:
        board.write(4, {"eval": {"fd_digits": 3.25, "precision": 0.5}, "class_report": {"missing": ["3"]}})
        board.write(4, {"d_histogram": {"values": "score", "edges": [-1.0, 0.0, 1.0], "real": [0, 5], "fake": [4, 1]}})
    read = _read(tmp_path)
    assert sorted(read.Tags()["scalars"]) == ["eval/fd_digits", "eval/precision"]
    assert [(e.step, e.value) for e in read.Scalars("eval/fd_digits")] == [(4, 3.25)]
    (fake,) = read.Histograms("discriminator/score_on_fake")
    assert fake.histogram_value.num == 5 and list(fake.histogram_value.bucket) == [4, 1]
    assert (fake.histogram_value.min, fake.histogram_value.max) == (-1, 1)


def _read(folder):
    board = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    board.Reload()
    return board


def test_no_tensorboard_dir_without_the_logger(tmp_path) -> None:
    ganzoo.train("dcgan", out=tmp_path / "run", steps=2, **TINY)
    assert not (tmp_path / "run" / "tensorboard").exists()


def test_without_tensorboard_one_line_names_the_extra(tmp_path) -> None:
    run = tmp_path / "run"
    code = ("import sys; sys.modules['tensorboard'] = None; from ganzoo.cli.main import main; "
            f"raise SystemExit(main(['run', 'dcgan', '--steps', '2', '--logger', 'tensorboard', '--out', {str(run)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    line = one_error_line(proc)
    assert line == ("ganzoo: error: --logger tensorboard needs the optional package tensorboard, which is not installed: "
                    "pip install 'ganzoo[tensorboard]'")
    assert not run.exists()  # refused before the run folder was made
