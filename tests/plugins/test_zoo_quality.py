"""Every shipped zoo entry, evaluated afresh, still meets the quality bars ``zoo.json`` records.

The figures are recomputed here (``ganzoo.evaluate``: samples against the real held-out
digits, or whole held-out photographs against bicubic / the input, and against the classical
method the dataset names, which a denoiser must beat on every photograph), not read from the
manifest: a regression in a weights file, a metric or the code fails this test.
"""

from __future__ import annotations

import json

import pytest

import ganzoo
from ganzoo.eval.bars import missed

from tests.helpers import REPO

MANIFEST = json.loads((REPO / "plugins" / "zoo" / "zoo.json").read_text())
#: Entries measured on Fashion-MNIST's real test split, which is installed (CI: .ci/run) rather than shipped.
FASHION_DATASETS = ("fashion-mnist", "edges2fashion", "sneakers2boots")


def skip_unless_data_is_here(entry: dict) -> None:
    """Say clearly, in the test report, when an entry's real data is not on this machine."""
    from ganzoo_plugins.datasets.mnist_family import FASHION_MNIST, locate

    if entry["dataset"] in FASHION_DATASETS and locate(FASHION_MNIST, None) is None:
        pytest.skip(f"Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist, or put its IDX files in "
                    f"$GANZOO_HOME/datasets/fashion-mnist): {entry['name']}'s bars were NOT re-checked")


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["name"] for e in MANIFEST])
def test_entry_still_beats_its_floor_or_baseline_by_the_recorded_margin(entry: dict) -> None:
    assert entry.get("bars"), f"{entry['name']} records no quality bars"
    skip_unless_data_is_here(entry)
    report = ganzoo.evaluate(entry["name"], device="cpu")
    assert missed(entry["bars"], report.metrics, report.floor) == []
    # where the dataset names a classical method (a denoiser: nl-means), the entry beats it on every held-out photograph
    assert report.metrics.get("worst_margin_classical_psnr", 0.0) >= 0.0
    for key, recorded in entry["metrics"].items():  # and the recorded figures are what it measures now
        measured = report.floor[key.partition("_")[2]] if key.startswith(("floor_", "baseline_")) else report.metrics[key]
        assert measured == pytest.approx(recorded, rel=2e-3, abs=2e-3), key
