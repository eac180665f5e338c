"""``ganzoo plot`` reads any ``metrics.jsonl``: every field type-checked, absurd values skipped and counted.

What is promised: whatever a run folder's ``metrics.jsonl`` holds (values of ±1e308, NaN, a
400-digit step, a negative step, string or negative histogram counts, edges out of order, a
numeric or list ``eval`` field, lines nested beyond reason, non-objects), ``read_run`` returns
only finite values within ``MAX_VALUE`` at steps within ``MAX_STEP`` and counts what it left out
in ``skipped``; ``ganzoo plot`` writes the report with one ``ganzoo:`` line saying how many were
skipped, never a traceback. A Hypothesis property checks the reader on arbitrary JSON lines.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganzoo.cli.main import main
from ganzoo.errors import RunFolderError
from ganzoo.report.run_records import MAX_STEP, MAX_VALUE, read_run

GOOD = {"step": 1, "d_loss": 0.5, "g_loss": 1.5, "images_per_sec": 100.0}
HOSTILE_LINES = {
    "huge-loss": '{"step": 2, "d_loss": 1e308, "g_loss": -1e308}',
    "infinite-loss": '{"step": 2, "d_loss": Infinity, "g_loss": NaN}',
    "400-digit-step": '{"step": ' + "9" * 400 + ', "d_loss": 0.5}',
    "negative-step": '{"step": -5, "d_loss": 0.5}',
    "bool-step": '{"step": true, "d_loss": 0.5}',
    "string-counts": '{"step": 2, "d_histogram": {"edges": [0, 0.5, 1], "real": ["1", "2"], "fake": [1, 2]}}',
    "negative-counts": '{"step": 2, "d_histogram": {"edges": [0, 0.5, 1], "real": [-1, 2], "fake": [1, 2]}}',
    "edges-out-of-order": '{"step": 2, "d_histogram": {"edges": [1, 0.5, 0], "real": [1, 2], "fake": [1, 2]}}',
    "huge-edges": '{"step": 2, "d_histogram": {"edges": [-1e308, 0, 1e308], "real": [1, 2], "fake": [1, 2]}}',
    "numeric-eval": '{"step": 2, "eval": 5}',
    "list-eval": '{"step": 2, "eval": [1, 2]}',
    "string-eval-value": '{"step": 2, "eval": {"fd": "low"}}',
    "deeply-nested": '{"step": 2, "eval": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "not-an-object": "[1, 2, 3]",
}


def _run(folder: Path, lines: list[str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": "dcgan", "loss": "bce", "dataset": "digits"}))
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _finite_and_bounded(run) -> bool:
    return all(0 <= step <= MAX_STEP and math.isfinite(v) and abs(v) <= MAX_VALUE
               for series in run.scalars.values() for step, v in zip(series.steps, series.values))


@pytest.mark.parametrize("case", HOSTILE_LINES)
def test_hostile_metrics_are_skipped_and_counted(case: str, tmp_path: Path) -> None:
    run = read_run(_run(tmp_path / "run", [json.dumps(GOOD), HOSTILE_LINES[case]]))
    assert run.skipped >= 1
    assert _finite_and_bounded(run) and run.scalars["d_loss"].steps[0] == 1
    assert all(step == 1 for step, _ in run.histograms)


@pytest.mark.parametrize("case", ["huge-loss", "400-digit-step", "string-counts", "numeric-eval"])
def test_plot_draws_the_rest_and_says_how_many_were_skipped(case: str, tmp_path: Path,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    good_histogram = {"step": 1, "d_histogram": {"edges": [0, 0.5, 1], "real": [1, 2], "fake": [2, 1]}}
    run = _run(tmp_path / "run", [json.dumps(GOOD), json.dumps(good_histogram), HOSTILE_LINES[case]])
    out = tmp_path / "report.png"
    assert main(["plot", str(run), "-o", str(out)]) == 0
    err = capfd.readouterr().err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert err.count("\n") == 1 and re.search(r"skipped [12] line", err), err


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.text(max_size=5))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                       max_leaves=12)
_records = st.fixed_dictionaries({}, optional={
    "step": st.one_of(st.integers(), _scalars), "d_loss": _values, "g_loss": _values, "images_per_sec": _values,
    "eval": _values, "d_histogram": st.one_of(_values, st.fixed_dictionaries(
        {"edges": st.lists(st.floats(), max_size=4), "real": st.lists(_scalars, max_size=3), "fake": st.lists(_scalars, max_size=3)}))})


@given(lines=st.lists(st.one_of(_records.map(json.dumps), _values.map(json.dumps), st.text(max_size=20)), max_size=8))
def test_property_the_reader_returns_only_finite_bounded_values(lines: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = _run(tmp_path_factory.mktemp("prop") / "run", lines)
    try:
        run = read_run(folder)
    except RunFolderError as exc:  # nothing plottable at all: one line
        assert "\n" not in str(exc)
        return
    assert _finite_and_bounded(run)
    assert all(len(h["edges"]) == len(h["real"]) + 1 for _, h in run.histograms)
