"""Quality bars: met, missed by a margin, missed as a bound, and malformed."""

from __future__ import annotations

import pytest

from ganzoo.errors import ConfigError
from ganzoo.eval.bars import describe, missed


def test_a_margin_over_the_baseline_is_read_in_the_metrics_better_direction():
    psnr = {"metric": "psnr", "over": "baseline", "at_least": 0.5}
    l1 = {"metric": "l1", "over": "baseline", "at_least": 0.1}
    assert missed([psnr, l1], {"psnr": 26.6, "l1": 0.3}, {"psnr": 26.0, "l1": 0.45}) == []
    lines = missed([psnr, l1], {"psnr": 26.3, "l1": 0.4}, {"psnr": 26.0, "l1": 0.45})
    assert len(lines) == 2 and lines[0].startswith("psnr >= baseline + 0.5: psnr 26.3") and "l1 <= baseline - 0.1" in lines[1]


def test_plain_bounds_and_missing_figures():
    bars = [{"metric": "recall", "at_least": 0.3}, {"metric": "fd_digits", "at_most": 2.4}]
    assert missed(bars, {"recall": 0.31, "fd_digits": 2.0}, {}) == []
    assert missed(bars, {"recall": 0.29, "fd_digits": 2.5}, {}) == ["recall >= 0.3: recall 0.29", "fd_digits <= 2.4: fd_digits 2.5"]
    assert missed(bars, {"recall": 0.5}, {}) == ["fd_digits <= 2.4: the evaluation gave no fd_digits"]
    assert describe(bars[0]) == "recall >= 0.3"


@pytest.mark.parametrize("bar", [{"metric": "psnr"}, {"metric": "psnr", "at_least": 1, "at_most": 2},
                                 {"metric": "psnr", "over": "baseline", "at_most": 1}, {"at_least": 1}, {"metric": "psnr", "at_least": 1, "by": 2}])
def test_a_malformed_bar_is_one_clear_error(bar):
    with pytest.raises(ConfigError, match="malformed quality bar"):
        missed([bar], {"psnr": 1.0}, {"psnr": 1.0})


def test_a_multiple_of_the_floor_bounds_a_distance_whose_floor_is_not_zero():
    bar = {"metric": "fd_fashion", "over": "floor", "times_at_most": 3}
    assert missed([bar], {"fd_fashion": 2.9}, {"fd_fashion": 1.0}) == []
    assert missed([bar], {"fd_fashion": 3.3}, {"fd_fashion": 1.1}) == []
    assert missed([bar], {"fd_fashion": 3.5}, {"fd_fashion": 1.0}) == ["fd_fashion <= 3 x floor: fd_fashion 3.5, floor 1 (3.5x)"]
    assert missed([bar], {"fd_fashion": 3.5}, {}) == ["fd_fashion <= 3 x floor: the evaluation gave no fd_fashion"]
    with pytest.raises(ConfigError, match="malformed quality bar"):
        missed([{"metric": "fd_fashion", "times_at_most": 3}], {"fd_fashion": 1.0}, {"fd_fashion": 1.0})
