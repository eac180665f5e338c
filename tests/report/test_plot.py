"""``ganzoo plot``: what real short runs record (discriminator histograms), the report drawn
from them (a real PNG, several runs overlaid), and one clear line for every user mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.core.score_histogram import BINS, score_histogram
from ganzoo.errors import GanzooError, RunFolderError
from ganzoo.io import weights
from ganzoo.io.images import read_image
from ganzoo.plugin import discovery
from ganzoo.report.figure import draw, evenly, plot_runs, smoothed
from ganzoo.report.run_records import Series, read_run

from tests.cli.test_cli import one_error_line
from tests.helpers import run_cli

# Tiny nets: each step takes milliseconds on a CPU.
TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, num_samples=16, checkpoint_every=100, progress=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real runs on the digits: a BCE model (logits) and a Wasserstein critic (raw scores)."""
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:  # as the autouse fixture does, for this module-wide set-up
        mp.setenv("GANZOO_LOAD_PLUGINS", "")
        mp.setenv("GANZOO_HOME", str(root / "home"))
        discovery.reset()
        ganzoo.train("dcgan", out=root / "dcgan", steps=6, log_every=2, sample_every=3, **TINY)
        ganzoo.train("wgan-gp", out=root / "wgan-gp", steps=4, log_every=2, sample_every=2, n_critic=2, **TINY)
        discovery.reset()
    return {"dcgan": root / "dcgan", "wgan-gp": root / "wgan-gp"}


def _histograms(run: Path) -> dict[int, dict]:
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {line["step"]: line["d_histogram"] for line in lines if "d_histogram" in line}


# ---------------------------------------------------------------- what a run records
def test_runs_record_the_discriminators_outputs_at_each_log_step(runs) -> None:
    bce = _histograms(runs["dcgan"])
    assert sorted(bce) == [2, 4, 6]
    for record in bce.values():  # logits: probabilities on fixed edges over [0, 1], one batch per side
        assert record["values"] == "probability"
        assert record["edges"][0] == 0 and record["edges"][-1] == 1 and len(record["edges"]) == BINS + 1
        assert sum(record["real"]) == sum(record["fake"]) == 16
    critic = _histograms(runs["wgan-gp"])
    assert sorted(critic) == [2, 4]
    for record in critic.values():  # a Wasserstein critic: raw scores, the edges spanning them
        assert record["values"] == "score"
        assert record["edges"] == sorted(record["edges"]) and record["edges"][0] < record["edges"][-1]
        assert sum(record["real"]) == sum(record["fake"]) == 16


def test_recording_histograms_leaves_training_bit_identical(tmp_path) -> None:
    """Histograms at every step (log_every=1) or at the last only: the same weights, bit for bit."""
    for name, every in (("every", 1), ("last", 100)):
        ganzoo.train("wgan-gp", out=tmp_path / name, steps=3, log_every=every, sample_every=100, n_critic=2, **TINY)
    assert sorted(_histograms(tmp_path / "every")) == [1, 2, 3] and sorted(_histograms(tmp_path / "last")) == [3]
    for file in ("generator.safetensors", "discriminator.safetensors"):
        a, b = weights.read_tensors(tmp_path / "every" / file), weights.read_tensors(tmp_path / "last" / file)
        assert all(torch.equal(a[k], b[k]) for k in a), file


def test_score_histogram_bins_probabilities_raw_scores_and_patch_maps() -> None:
    logits = torch.tensor([-30.0, 0.0, 30.0])
    record = score_histogram(logits, logits, probabilities=True, bins=4)
    assert record["edges"] == [0, 0.25, 0.5, 0.75, 1.0] and record["real"] == [1, 0, 1, 1]
    raw = score_histogram(torch.tensor([-2.0, 2.0]), torch.tensor([0.0]), probabilities=False, bins=4)
    assert raw["edges"] == [-2, -1, 0, 1, 2] and raw["real"] == [1, 0, 0, 1] and raw["fake"] == [0, 0, 1, 0]
    alike = score_histogram(torch.full((3,), 5.0), torch.full((3,), 5.0), probabilities=False, bins=2)
    assert alike["edges"] == [4.5, 5, 5.5] and sum(alike["real"]) == 3
    patches = score_histogram(torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4), probabilities=True)  # pix2pix-style maps
    assert sum(patches["real"]) == sum(patches["fake"]) == 32


# ---------------------------------------------------------------- the report
def test_plot_overlays_runs_into_a_real_png(runs, tmp_path) -> None:
    out = plot_runs([runs["dcgan"], runs["wgan-gp"]], tmp_path / "report.png")
    picture = read_image(out, "RGB")
    assert picture.width == 1500 and picture.height > 800
    assert len(picture.getcolors(1 << 20)) > 50  # curves, grids and histograms, not a blank page

    figure = draw([read_run(runs["dcgan"]), read_run(runs["wgan-gp"])], smoothing=0.8)
    scalars, *sections = figure.subfigs
    legend = [t.get_text() for t in scalars.legends[0].get_texts()]
    assert legend == ["dcgan (bce, digits)", "wgan-gp (digits)"]  # what the folder name does not say
    titles = [ax.get_title() for ax in scalars.axes if ax.get_visible()]
    assert titles[0].startswith("discriminator loss") and titles[1].startswith("generator loss") and titles[2] == "images / s"
    loss_panel = scalars.axes[0]
    assert len(loss_panel.lines) == 4  # each run: raw and smoothed
    headings = [section._suptitle.get_text() for section in sections]
    assert headings == ["dcgan (bce, digits): samples over training",
                        "dcgan (bce, digits): discriminator outputs on real vs generated images (D(x) = P(real))",
                        "wgan-gp (digits): samples over training",
                        "wgan-gp (digits): discriminator outputs on real vs generated images (critic score)"]
    steps_shown = [ax.get_title() for ax in sections[0].axes if ax.images]
    assert steps_shown == ["step 3", "step 6"]


def test_evaluation_metrics_get_a_panel_each_beside_their_baseline(runs, tmp_path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text((runs["dcgan"] / "config.json").read_text())
    (run / "metrics.jsonl").write_text(
        '{"step": 2, "d_loss": 1.0, "g_loss": 2.0, "images_per_sec": 10}\n{"step": 2, "eval": {"psnr": 3.5, "baseline_psnr": 1.0}}\n'
        '{"step": 4, "d_loss": 0.5, "g_loss": 1.5, "images_per_sec": 12}\n{"step": 4, "eval": {"psnr": 2.5, "baseline_psnr": 1.0}}\n'
        '{"step": 6, "d_lo')  # a line cut short by a crash is skipped
    records = read_run(run)
    assert records.scalars["eval/psnr"].values == [3.5, 2.5] and records.scalars["d_loss"].steps == [2, 4]
    scalars = draw([records], smoothing=0).subfigs[0]
    panels = [ax for ax in scalars.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels][-1] == "eval/psnr (dashed: baseline)" and len(panels) == 4
    assert [line.get_linestyle() for line in panels[-1].lines] == ["-", "--"]  # the baseline beside the metric


def test_smoothing_and_spacing() -> None:
    assert smoothed(Series([1, 2, 3], [4.0, 4.0, 4.0]), 0.9) == pytest.approx([4.0, 4.0, 4.0])
    assert smoothed(Series([1, 2], [0.0, 10.0]), 0.5) == pytest.approx([0.0, 10.0])
    assert smoothed(Series([1], [3.0]), 0.8) == [3.0] and smoothed(Series([1, 2, 3], [1.0, 5.0, 2.0]), 0) == [1.0, 5.0, 2.0]
    assert evenly(list(range(11)), 6) == [0, 2, 4, 6, 8, 10] and evenly([1, 2], 6) == [1, 2]


def test_smoothing_follows_a_short_runs_trend_without_lag() -> None:
    """A loss falling steadily over 20 log lines: the smoothed curve is on it, its ends included
    (a moving average trailed by 4 lines, 40 % of the fall at the end), while noise is damped."""
    steps = list(range(10, 210, 10))
    trend = [3.0 - 0.1 * i for i in range(20)]
    assert smoothed(Series(steps, trend), 0.8) == pytest.approx(trend, abs=1e-9)
    noise = [(-1.0) ** i for i in range(20)]
    calm = smoothed(Series(steps, [t + e for t, e in zip(trend, noise)]), 0.8)
    assert max(abs(c - t) for c, t in zip(calm[3:-3], trend[3:-3])) < 0.15


def test_sample_thumbnails_are_large_enough_to_read(runs, tmp_path) -> None:
    """The default grid (64 samples of 32 px) is drawn with each sample at least 45 px high."""
    import io

    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    for name in ("config.json", "metrics.jsonl"):
        (run / name).write_text((runs["dcgan"] / name).read_text())
    for step in (250, 500, 750, 1000):
        ganzoo.save_grid(torch.rand(64, 1, 32, 32) * 2 - 1, run / "samples" / f"step-{step:06d}.png")
    figure = draw([read_run(run)], smoothing=0.8)
    figure.savefig(io.BytesIO(), format="png", dpi=100)  # lays the figure out, as plot_runs does
    shown = [ax for section in figure.subfigs for ax in section.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["step 250", "step 750", "step 1000"]
    for ax in shown:
        box, (height, width) = ax.get_window_extent(), ax.images[0].get_array().shape[:2]
        assert 32 * min(box.width / width, box.height / height) >= 45


def test_python_mistakes_are_one_clear_error(runs, tmp_path) -> None:
    with pytest.raises(RunFolderError, match="does not exist"):
        plot_runs([tmp_path / "nowhere"], tmp_path / "a.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match="not a ganzoo run folder"):
        plot_runs([tmp_path / "empty"], tmp_path / "a.png")
    with pytest.raises(GanzooError, match="names the PNG file"):
        plot_runs([runs["dcgan"]], tmp_path / "report.pdf")
    started = tmp_path / "started"
    started.mkdir()
    (started / "config.json").write_text((runs["dcgan"] / "config.json").read_text())
    with pytest.raises(RunFolderError, match="recorded nothing to plot yet"):
        plot_runs([started], tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()


# ---------------------------------------------------------------- the command
def test_cli_plot_writes_and_never_overwrites(runs, tmp_path) -> None:
    out = tmp_path / "report.png"
    done = run_cli("plot", str(runs["dcgan"]), str(runs["wgan-gp"]), "-o", str(out), check=True)
    assert f"wrote {out} (2 runs)" in " ".join(done.stdout.split())
    assert read_image(out).width == 1500
    out.write_bytes(b"precious")
    line = one_error_line(run_cli("plot", str(runs["dcgan"]), "-o", str(out)))
    assert "exists already" in line and "--force" in line
    assert out.read_bytes() == b"precious"


def test_cli_plot_user_mistakes(runs, tmp_path) -> None:
    line = one_error_line(run_cli("plot", str(tmp_path), "-o", str(tmp_path / "r.png")))
    assert line == f"ganzoo: error: {tmp_path} is not a ganzoo run folder (no config.json)"
    (tmp_path / "file").write_text("")
    proc = run_cli("plot", str(runs["dcgan"]), "-o", str(tmp_path / "file" / "r.png"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert "cannot write" in proc.stderr and "not a folder" in proc.stderr


def test_without_matplotlib_one_line_names_the_extra(runs, tmp_path) -> None:
    code = ("import sys; sys.modules['matplotlib'] = None; from ganzoo.cli.main import main; "
            f"raise SystemExit(main(['plot', {str(runs['dcgan'])!r}, '-o', {str(tmp_path / 'r.png')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    line = one_error_line(proc)
    assert "ganzoo plot needs the optional package matplotlib" in line and "pip install 'ganzoo[plot]'" in line
    assert not (tmp_path / "r.png").exists()


def test_a_run_with_one_log_line_still_shows_its_losses(runs, tmp_path) -> None:
    """A line through one point draws nothing: the single loss value gets a marker."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text((runs["dcgan"] / "config.json").read_text())
    (run / "metrics.jsonl").write_text('{"step": 10, "d_loss": 1.0, "g_loss": 2.0, "images_per_sec": 10}\n')
    scalars = draw([read_run(run)], smoothing=0.8).subfigs[0]
    loss_panel = scalars.axes[0]
    assert any(line.get_marker() == "o" and len(line.get_xdata()) == 1 for line in loss_panel.lines)
