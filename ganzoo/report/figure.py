"""``ganzoo plot``: one PNG that shows how runs went, drawn from what they recorded.

Top: every scalar over steps, one panel each (discriminator and generator loss, raw and
smoothed; images/s; each evaluation metric), the runs overlaid in one colour each. Below, per
run: a strip of its sample grids over time, and the discriminator's outputs on real vs
generated images at a few log steps. matplotlib is imported here only (``ganzoo[plot]``), and
without pyplot: a bare ``Figure`` renders with Agg, whatever backend the user has set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Sequence

from ganzoo.errors import GanzooError, MissingExtra
from ganzoo.io.atomic import write_with
from ganzoo.io import run_folder
from ganzoo.io.output_file import check_new_file, publish
from ganzoo.report.run_records import RunRecords, Series, read_run

#: Histograms shown per run (evenly spaced over the run, the first and last included).
STRIP = 6
#: Sample grids shown per run, and the height (inches, at 100 dpi) of their row: three grids of
#: 64 digits at 32 px show each digit at about 50 px, large enough to read (six showed 26 px).
GRID_STRIP, GRID_HEIGHT = 3, 5.2
#: Panel titles of the loss line's scalars (evaluation metrics are titled by name).
TITLES = {"d_loss": "discriminator loss", "g_loss": "generator loss", "images_per_sec": "images / s"}
#: Scalars drawn raw and smoothed (the others are drawn as logged).
SMOOTHED = ("d_loss", "g_loss")
#: How an evaluation names the baseline's score of a metric (``ganzoo.eval.metric_names.BASELINE_PREFIX``,
#: a layer above this one): drawn dashed in the metric's own panel, not in a panel of its own.
BASELINE = "eval/baseline_"
#: Colours of the histogram sides.
SIDES = {"real": "tab:green", "fake": "tab:red"}


def plot_runs(run_dirs: Sequence[str | os.PathLike], output: str | os.PathLike = "report.png", *, smoothing: float = 0.8,
              force: bool = False) -> Path:
    """Draw the runs in ``run_dirs`` into the PNG ``output`` and return its path. ``smoothing``:
    how far the loss curves' smoothing reaches, the weight of a neighbour one log line away (0: none). ``output`` is
    written atomically, and never over a file that exists unless ``force``."""
    output = Path(output)
    if not run_dirs:
        raise GanzooError("name at least one run folder to plot")
    if not 0 <= smoothing < 1:
        raise GanzooError(f"smoothing must be a number in [0, 1), got {smoothing}")
    if output.suffix.lower() != ".png":
        raise GanzooError(f"-o names the PNG file to write, e.g. report.png; got {str(output)!r}")
    check_new_file(output, force)
    MissingExtra.require("matplotlib", "plot", "ganzoo plot")
    runs = [read_run(d) for d in run_dirs]
    for run in runs:
        if run.skipped:
            print(f"ganzoo: {run.run_dir}: skipped {run.skipped} line(s) or value(s) of {run_folder.METRICS_FILE} that are "
                  "not finite numbers in range (or not of the shape ganzoo writes)", file=sys.stderr, flush=True)
    figure = draw(runs, smoothing)
    publish(output, force, lambda: write_with(output, lambda tmp: figure.savefig(tmp, format="png", dpi=100), exclusive=not force))
    return output


def draw(runs: list[RunRecords], smoothing: float) -> Any:
    """The report as a matplotlib ``Figure``."""
    from matplotlib.figure import Figure

    names = _scalar_names(runs)
    scalar_rows = -(-len(names) // 3)
    sections = [("scalars", None, 3.0 * scalar_rows)] if names else []
    for run in runs:
        if run.grids:
            sections.append(("grids", run, GRID_HEIGHT))
        if run.histograms:
            sections.append(("histograms", run, 2.4))
    figure = Figure(figsize=(15, 0.6 + sum(height for *_, height in sections)), layout="constrained")
    subfigures = figure.subfigures(len(sections), 1, height_ratios=[height for *_, height in sections], squeeze=False)[:, 0]
    labels = _labels(runs)
    for (kind, run, _), sub in zip(sections, subfigures):  # run: None for the scalars
        if kind == "scalars":
            _scalars(sub, runs, labels, names, smoothing)
        elif kind == "grids":
            _grids(sub, run, labels[runs.index(run)])
        else:
            _histograms(sub, run, labels[runs.index(run)])
    return figure


def _scalar_names(runs: list[RunRecords]) -> list[str]:
    """Every scalar any run logged: the loss line's first, then evaluation metrics by name."""
    seen = {name for run in runs for name in run.scalars}
    return [n for n in TITLES if n in seen] + sorted(n for n in seen - set(TITLES) if not n.startswith(BASELINE))


def _labels(runs: list[RunRecords]) -> list[str]:
    """One legend label per run; folders of the same name are told apart by their parent."""
    names = [run.run_dir.name for run in runs]
    return [run.title if names.count(run.run_dir.name) == 1 else f"{run.run_dir.parent.name}/{run.title}" for run in runs]


def _scalars(sub: Any, runs: list[RunRecords], labels: list[str], names: list[str], smoothing: float) -> None:
    axes = sub.subplots(-(-len(names) // 3), 3, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        for i, run in enumerate(runs):
            series = run.scalars.get(name)
            if series is None:
                continue
            colour = f"C{i % 10}"
            if name in SMOOTHED and smoothing:
                ax.plot(series.steps, series.values, color=colour, alpha=0.3, linewidth=1)
                ax.plot(series.steps, smoothed(series, smoothing), color=colour, linewidth=2, label=labels[i],
                        marker="o" if len(series.steps) == 1 else None, markersize=3)  # one log line: a dot, not nothing
            else:
                ax.plot(series.steps, series.values, color=colour, linewidth=1.5, label=labels[i],
                        marker="o" if len(series.steps) < 30 else None, markersize=3)
            baseline = run.scalars.get(name.replace("eval/", BASELINE, 1)) if name.startswith("eval/") else None
            if baseline is not None:
                ax.plot(baseline.steps, baseline.values, color=colour, linewidth=1, linestyle="--")
        note = f" (faint: raw, bold: smoothed {smoothing:g})" if name in SMOOTHED and smoothing else ""
        if any(name.replace("eval/", BASELINE, 1) in run.scalars for run in runs if name.startswith("eval/")):
            note = " (dashed: baseline)"
        ax.set_title(TITLES.get(name, name) + note, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    handles, shown = axes[0].get_legend_handles_labels()
    sub.legend(handles, shown, loc="outside upper center", ncol=min(len(runs), 4), frameon=False)


def smoothed(series: Series, weight: float) -> list[float]:
    """Each point replaced by a line fitted through its neighbours on both sides, weighted
    ``weight ** distance``: a trend is followed without lag (a one-sided moving average trails
    it by ``weight / (1 - weight)`` log lines, most of a short run), to the last point included.
    Linear time: the weighted sums are carried forward and backward (``u``: distance in log lines)."""
    x, n = series.values, len(series.values)
    after = [(0.0,) * 5] * n  # sums over j > i of w^(j-i) * (1, u, u^2, x, u x), u = j - i
    for i in range(n - 2, -1, -1):
        b0, b1, b2, bx, bux = after[i + 1]
        after[i] = (weight * (1 + b0), weight * (1 + b1 + b0), weight * (1 + b2 + 2 * b1 + b0),
                    weight * (x[i + 1] + bx), weight * (x[i + 1] + bux + bx))
    out, f0, f1, f2, fx, fux = [], 0.0, 0.0, 0.0, 0.0, 0.0  # the same over j <= i, u = j - i <= 0
    for i in range(n):
        f0, f1, f2, fx, fux = (weight * f0 + 1, weight * (f1 - f0), weight * (f2 - 2 * f1 + f0),
                               weight * fx + x[i], weight * (fux - fx))
        s0, s1, s2, sx, sux = (f + b for f, b in zip((f0, f1, f2, fx, fux), after[i]))
        det = s0 * s2 - s1 * s1
        out.append((s2 * sx - s1 * sux) / det if det > 1e-9 * s0 * s0 else sx / s0)
    return out


def evenly(items: list[Any], count: int = STRIP) -> list[Any]:
    """Up to ``count`` of ``items``, evenly spaced, the first and last included."""
    if len(items) <= count:
        return items
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def _grids(sub: Any, run: RunRecords, label: str) -> None:
    import numpy as np

    from ganzoo.io.images import read_image

    shown = evenly(run.grids, GRID_STRIP)
    sub.suptitle(f"{label}: samples over training", fontsize=11)
    axes = sub.subplots(1, GRID_STRIP, squeeze=False)[0]
    for ax in axes:
        ax.set_axis_off()
    for ax, (step, path) in zip(axes, shown):
        ax.imshow(np.asarray(read_image(path, "RGB")), interpolation="nearest")
        ax.set_title(f"step {step}", fontsize=9)


def _histograms(sub: Any, run: RunRecords, label: str) -> None:
    shown = evenly(run.histograms)
    probability = shown[-1][1].get("values") == "probability"
    what = "D(x) = P(real)" if probability else "critic score"
    sub.suptitle(f"{label}: discriminator outputs on real vs generated images ({what})", fontsize=11)
    axes = sub.subplots(1, STRIP, squeeze=False, sharey=True)[0]
    for ax, (step, record) in zip(axes, shown):
        for side, colour in SIDES.items():
            counts = record[side]
            total = sum(counts) or 1
            ax.stairs([c / total for c in counts], record["edges"], color=colour, fill=True, alpha=0.35,
                      label="real" if side == "real" else "generated")
        ax.set_title(f"step {step}", fontsize=9)
        ax.set_xlabel(what, fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("fraction")
    axes[0].legend(fontsize=8, frameon=False)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
