"""Every shipped zoo entry, evaluated afresh, still meets the quality bars ``zoo.json`` records.

The figures are recomputed here (``ganzoo.evaluate``: samples against the real held-out
digits, or whole held-out photographs against bicubic / the input), not read from the
manifest: a regression in a weights file, a metric or the code fails this test.
"""

from __future__ import annotations

import json

import pytest

import ganzoo
from ganzoo.eval.bars import missed

from tests.helpers import REPO

MANIFEST = json.loads((REPO / "plugins" / "zoo" / "zoo.json").read_text())


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["name"] for e in MANIFEST])
def test_entry_still_beats_its_floor_or_baseline_by_the_recorded_margin(entry: dict) -> None:
    assert entry.get("bars"), f"{entry['name']} records no quality bars"
    report = ganzoo.evaluate(entry["name"], device="cpu")
    assert missed(entry["bars"], report.metrics, report.floor) == []
    for key, recorded in entry["metrics"].items():  # and the recorded figures are what it measures now
        measured = report.floor[key.partition("_")[2]] if key.startswith(("floor_", "baseline_")) else report.metrics[key]
        assert measured == pytest.approx(recorded, rel=2e-3, abs=2e-3), key
