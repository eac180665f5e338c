"""The README's measured figures are the last measurement files' (``benchmarks/results/*.json``).

Each benchmark that feeds the README writes its file with ``--save`` and says, through its
``readme_text(record)``, what the README must then hold; this test fails when the README and
the file disagree (a figure edited by hand, or a new measurement not carried over).
"""

from __future__ import annotations

import importlib
import json
import re
import sys

import pytest

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

#: benchmark script -> its measurement file under benchmarks/results/
MEASURED = {"utilisation": "utilisation.json", "inference_layout": "inference_layout.json"}


def normalised(text: str) -> str:
    """Whitespace folded, so that the README may wrap a sentence anywhere."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("script", sorted(MEASURED))
def test_the_readme_states_what_the_last_measurement_file_holds(script):
    record = json.loads((REPO / "benchmarks" / "results" / MEASURED[script]).read_text(encoding="utf-8"))
    expected = importlib.import_module(script).readme_text(record)
    readme = REPO / "README.md"
    if "\n|" in expected:  # a table: its lines verbatim
        assert expected in readme.read_text(encoding="utf-8"), f"README.md lacks, verbatim:\n{expected}"
    else:
        assert normalised(expected) in normalised(readme.read_text(encoding="utf-8")), f"README.md lacks:\n{expected}"


def test_a_figure_that_drifts_from_its_file_is_caught(tmp_path):
    """The check compares numbers, not only that a file exists: one second more is another sentence."""
    module = importlib.import_module("inference_layout")
    record = json.loads((REPO / "benchmarks" / "results" / "inference_layout.json").read_text(encoding="utf-8"))
    before = module.readme_text(record)
    for row in record["rows"]:
        row["value"] += 1.0
    assert module.readme_text(record) != before
