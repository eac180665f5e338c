"""The metric-name registry: labels, directions, the best-by order and the headline."""

from __future__ import annotations

from ganzoo.eval import metric_names as names


def test_every_headline_and_best_by_name_is_registered_with_its_direction():
    assert set(names.HEADLINE) | set(names.BEST_BY) <= set(names.METRICS)
    assert {n for pair in names.FEATURE_DISTANCES.values() for n in pair} <= set(names.METRICS)
    lower = {n for n, m in names.METRICS.items() if not m.higher_is_better}
    assert lower >= {"fd_digits", "kid_digits", "fd_fashion", "kid_fashion", "fid", "kid", "l1", "class_share_max"}
    assert {n for n in lower if not n.startswith("classical_")} == {
        "fd_digits", "kid_digits", "fd_fashion", "kid_fashion", "fid", "kid", "l1", "class_share_max", "cycle_l1"}
    assert names.label("fd_digits") == "FD-digits" and names.label("from_a_plugin") == "from_a_plugin"


def test_best_is_decided_by_the_first_metric_present_and_must_strictly_improve():
    assert names.best_by({"kid_digits": 0.1, "fd_digits": 3.0, "psnr": 20.0}) == "fd_digits"
    assert names.best_by({"psnr": 20.0, "ssim": 0.5}) == "psnr"
    assert names.best_by({"d_loss": 1.0}) is None
    assert names.is_better("fd_digits", 2.0, None) and names.is_better("fd_digits", 2.0, 3.0)
    assert not names.is_better("fd_digits", 3.0, 3.0) and not names.is_better("fd_digits", 4.0, 3.0)
    assert names.is_better("psnr", 21.0, 20.0) and not names.is_better("psnr", 20.0, 20.0)


def test_headline_keeps_its_order_and_skips_absent_names():
    scores = {"recall": 0.5, "fd_digits": 12.345678, "density": 1.0, "psnr": 20.0}
    assert names.headline(scores) == "fd_digits 12.35, recall 0.5, psnr 20"
    assert names.headline(scores, names.HEADLINE_PAIRS) == "psnr 20"
