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
MEASURED = {"utilisation": "utilisation.json", "inference_layout": "inference_layout.json", "quickstart": "quickstart.json"}
#: Files not measured yet (the quick start takes about 6 minutes on an idle machine, longer than a
#: busy shared one should spend): their README figures predate the files.
PENDING = {"quickstart": "run `python benchmarks/quickstart.py --save` on an idle machine and put its sentence in the README"}


def normalised(text: str) -> str:
    """Whitespace folded, so that the README may wrap a sentence anywhere."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("script", sorted(MEASURED))
def test_the_readme_states_what_the_last_measurement_file_holds(script):
    path = REPO / "benchmarks" / "results" / MEASURED[script]
    if script in PENDING and not path.is_file():
        pytest.skip(PENDING[script])
    record = json.loads(path.read_text(encoding="utf-8"))
    expected = importlib.import_module(script).readme_text(record)
    readme = REPO / "README.md"
    if "\n|" in expected:  # a table: its lines verbatim
        assert expected in readme.read_text(encoding="utf-8"), f"README.md lacks, verbatim:\n{expected}"
    else:
        assert normalised(expected) in normalised(readme.read_text(encoding="utf-8")), f"README.md lacks:\n{expected}"


def test_the_quickstart_sentence_comes_from_its_record():
    module = importlib.import_module("quickstart")
    record = {"steps": 1000, "threads": "default", "wall_s": 186.0, "cpu_s": 366.0, "cpus": 2, "date": "2026-12-08",
              "load_before": 0.4, "load_after": 1.9}
    assert module.readme_text(record) == (
        "1,000 steps at 32x32, 3.1 min wall and 6.1 min of CPU on 2 cores (ganzoo's default threads), measured by "
        "`python benchmarks/quickstart.py` on 2026-12-08 at load 0.4 to 1.9")


def test_a_figure_that_drifts_from_its_file_is_caught(tmp_path):
    """The check compares numbers, not only that a file exists: one second more is another sentence."""
    module = importlib.import_module("inference_layout")
    record = json.loads((REPO / "benchmarks" / "results" / "inference_layout.json").read_text(encoding="utf-8"))
    before = module.readme_text(record)
    for row in record["rows"]:
        row["value"] += 1.0
    assert module.readme_text(record) != before
