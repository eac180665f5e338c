"""Quality bars: what a shipped model must still beat, written down beside its weights.

A zoo entry records its bars in ``zoo.json`` (``"bars": [...]``); ``scripts/build_zoo.py``
refuses to ship a model that misses one, and the test suite re-evaluates every entry against
them, so a regression in a weights file or in the code fails CI. A bar is one of:

- ``{"metric": "psnr", "over": "baseline", "at_least": 0.5}``: the model beats its baseline
  (or ``"floor"``) by at least that much, in the metric's better direction;
- ``{"metric": "fd_fashion", "over": "floor", "times_at_most": 3}``: the model's figure is at
  most that multiple of the floor's (a distance whose floor is not zero);
- ``{"metric": "recall", "at_least": 0.3}`` or ``{"metric": "fd_digits", "at_most": 2.4}``:
  a plain bound on the model's figure.
"""

from __future__ import annotations

from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.eval.metric_names import higher_is_better

_KEYS = {"metric", "over", "at_least", "at_most", "times_at_most"}


def describe(bar: dict[str, Any]) -> str:
    """``"psnr >= baseline + 0.5"``, ``"recall >= 0.3"``."""
    metric, over = bar["metric"], bar.get("over")
    if "times_at_most" in bar:
        return f"{metric} <= {bar['times_at_most']:g} x {over}"
    if over:
        sign = "+" if higher_is_better(metric) else "-"
        return f"{metric} {'>=' if higher_is_better(metric) else '<='} {over} {sign} {bar['at_least']:g}"
    return f"{metric} >= {bar['at_least']:g}" if "at_least" in bar else f"{metric} <= {bar['at_most']:g}"


def missed(bars: list[dict[str, Any]], metrics: dict[str, float], floor: dict[str, float]) -> list[str]:
    """One line per bar the figures miss (empty: every bar is met). ``floor`` holds the floor
    or baseline figures, measured the same way."""
    out = []
    for bar in bars:
        unknown = set(bar) - _KEYS
        bounds = sum(key in bar for key in ("at_least", "at_most", "times_at_most"))
        if (unknown or "metric" not in bar or bounds != 1 or (bar.get("over") and "at_most" in bar)
                or ("times_at_most" in bar and not bar.get("over"))):
            raise ConfigError(f"malformed quality bar {bar!r}: give metric and one of at_least or at_most (optionally "
                              "with over), or over and times_at_most")
        metric = bar["metric"]
        if metric not in metrics or (bar.get("over") and metric not in floor):
            out.append(f"{describe(bar)}: the evaluation gave no {metric}")
            continue
        value = metrics[metric]
        if "times_at_most" in bar:
            if value > bar["times_at_most"] * floor[metric]:
                out.append(f"{describe(bar)}: {metric} {value:.4g}, {bar['over']} {floor[metric]:.4g} "
                           f"({value / floor[metric] if floor[metric] else float('inf'):.3g}x)")
        elif bar.get("over"):
            margin = (value - floor[metric]) * (1 if higher_is_better(metric) else -1)
            if margin < bar["at_least"]:
                out.append(f"{describe(bar)}: {metric} {value:.4g}, {bar['over']} {floor[metric]:.4g} (margin {margin:.4g})")
        elif "at_least" in bar and value < bar["at_least"] or "at_most" in bar and value > bar["at_most"]:
            out.append(f"{describe(bar)}: {metric} {value:.4g}")
    return out
