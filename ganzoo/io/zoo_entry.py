"""A finished run as a zoo entry: its generator as an fp16 file that describes itself, and the
``WeightsSpec`` fields a plugin's ``register_weights`` needs (sha256, size, metrics, command).

One code path for ``ganzoo zoo add`` (a plugin author shipping weights) and
``scripts/build_zoo.py`` (ganzoo's own zoo), so both write the same kind of file. Torch is
imported only when a file is written: ``ganzoo push`` reads the recorded command and metrics
from here without it.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Mapping

from ganzoo.errors import GanzooError
from ganzoo.io import run_folder
from ganzoo.io.atomic import write_text

#: Metrics an entry records (and ``ganzoo list --pretrained`` shows), per task: the headline of
#: ``ganzoo eval``'s report; the rest stays in the report.
RECORDED = {
    "noise": ("fd_digits", "kid_digits", "fd_fashion", "kid_fashion", "precision", "recall", "classes_covered",
              "class_share_min", "class_share_max", "code_class_accuracy"),
    "class": ("fd_digits", "kid_digits", "fd_fashion", "kid_fashion", "precision", "recall", "classes_covered",
              "class_share_min", "class_share_max", "cond_accuracy", "label_diversity"),
    # with the dataset's classical method where it names one (nl-means for a denoiser: ganzoo.eval.classical)
    "paired": ("psnr", "ssim", "l1", "worst_margin_psnr", "worst_margin_ssim", "worst_margin_l1", "classical_psnr",
               "classical_ssim", "classical_l1", "worst_margin_classical_psnr", "worst_margin_classical_ssim"),
    "superres": ("psnr", "ssim", "worst_margin_psnr", "worst_margin_ssim"),
    # held-out pairs where the data knows them (edges2photos-unpaired), else two classes read by the class judge
    "unpaired": ("translation_accuracy", "translation_accuracy_ba", "fd_fashion", "precision", "recall", "cycle_l1",
                 "psnr", "ssim", "l1"),
}
_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def generator_of(source: str | os.PathLike) -> tuple[Path, Path | None]:
    """The generator file of a run folder (the averaged one when the run kept it) or a file given
    directly, and the run folder when there is one (for its ``metrics.jsonl``)."""
    path = Path(source).expanduser()
    if path.is_dir():
        weights = run_folder.generator_file(path)
        if not weights.is_file():
            raise GanzooError(f"{path} holds no {run_folder.GENERATOR_FILE}: give a finished run folder or a weights file")
        return weights, path
    if path.is_file():
        return path, path.parent if (path.parent / run_folder.CONFIG_FILE).is_file() else None
    raise GanzooError(f"{str(path)!r} does not exist: give a run folder or a generator .safetensors file")


def recorded_command(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The command that made the weights: recorded (zoo files), else rebuilt from the run's
    configuration (model, dataset, steps, seed), marked ``reconstructed``."""
    if meta.get("command"):
        return {"command": str(meta["command"])}
    training = meta.get("training") or {}
    words = ["ganzoo", "run", str(meta["model"])]
    for key in ("dataset", "steps", "seed"):
        if training.get(key) not in (None, ""):
            words += [f"--{key}", str(training[key])]
    return {"command": " ".join(words), "reconstructed": True}


def recorded_metrics(meta: Mapping[str, Any], run_dir: Path | None) -> dict[str, float]:
    """The file's own metrics, else the run's last evaluation in ``metrics.jsonl`` (``--eval-every``)."""
    found: Any = meta.get("metrics") or {}
    if not found and run_dir is not None and (run_dir / run_folder.METRICS_FILE).is_file():
        for line in (run_dir / run_folder.METRICS_FILE).read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("eval"), dict) and record["eval"]:
                found = record["eval"]
    return {str(k): float(v) for k, v in found.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def headline(report: Any) -> dict[str, float]:
    """The :data:`RECORDED` metrics of a ``ganzoo eval`` report (:class:`ganzoo.EvalReport`),
    beside the real-vs-real floor (``floor_*``) or the identity/bicubic baseline (``baseline_*``)."""
    keys = [k for k in RECORDED.get(report.task, ()) if k in report.metrics]
    out = {k: round(report.metrics[k], 4) for k in keys}
    twin = "floor" if report.features else "baseline"
    out.update({f"{twin}_{k}": round(report.floor[k], 4) for k in keys if k in report.floor})
    return out


def write_fp16(source: Path, target: Path, *, exclusive: bool = False, **card: Any) -> dict[str, Any]:
    """``source``'s tensors in fp16 (floating ones; the rest as they are) with its metadata plus
    ``precision="fp16"`` and ``card`` (``command``, ``metrics``, ...), written atomically to
    ``target`` (``exclusive``: never over an existing file); returns the metadata written. A weight
    beyond fp16's range is refused (nothing is written)."""
    from ganzoo.io import weights  # torch: only when a file is really written

    meta = weights.read_metadata(source)
    if "model" not in meta or meta.get("role", "generator") != "generator":
        raise GanzooError(f"{source} is not a ganzoo generator file (its metadata names no model, or another role)")
    tensors = weights.read_tensors(source)
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    meta.update(precision="fp16", **{k: v for k, v in card.items() if v not in (None, "", {})})
    target.parent.mkdir(parents=True, exist_ok=True)
    weights.save_tensors(half, target, weights.encode_metadata(meta), exclusive=exclusive)
    return meta


def check_entry_name(name: str, model: str) -> None:
    """``MODEL.TAG`` for the weights' own model, as :class:`~ganzoo.plugin.specs.WeightsSpec` requires."""
    tag = name[len(model) + 1:] if name.startswith(model + ".") else ""
    if not _TAG.match(tag):
        raise GanzooError(f"entry name {name!r} must be the model's name {model!r}, a dot and a tag of lowercase "
                          f"letters, digits, '-' or '_' (e.g. {model + '.digits'!r})")


def spec_fields(name: str, target: Path, meta: Mapping[str, Any], *, package: str = "", sha256: str,
                sample: Path | None = None, license: str = "") -> dict[str, Any]:
    """The keyword arguments of ``WeightsSpec`` for the file at ``target`` (and its ``sample``
    grid beside it): ``file`` is ``"PACKAGE:weights/NAME.safetensors"`` when the plugin's
    ``package`` is given."""
    where = f"{package or 'PACKAGE'}:weights/"
    fields: dict[str, Any] = {"name": name}
    if str(meta.get("model", "")) != name.partition(".")[0]:
        fields["model"] = str(meta.get("model", ""))
    fields.update(
        summary=f"{meta.get('model')} trained on {meta.get('dataset', '?')}, {meta.get('step', '?')} steps",
        dataset=str(meta.get("dataset", "")),
        file=where + target.name,
        sha256=sha256,
        size=target.stat().st_size,
        num_params=int(meta["num_params"]) if str(meta.get("num_params", "")).isdigit() else None,
        precision=str(meta.get("precision", "")),
        command=str(meta.get("command", "")),
        metrics=dict(meta.get("metrics") or {}),
        license=license,
        sample=where + sample.name if sample is not None else "",
    )
    return fields


def unstated_license(meta: Mapping[str, Any]) -> str:
    """The ``license`` of an entry whose author stated none (``zoo add --license``)."""
    return f"not stated by the author; trained on {meta.get('dataset') or 'unknown data'} (see its licence)"


def paste_note(package: str, license_defaulted: bool) -> str:
    """What ``zoo add`` says before the spec: where it goes and what else the wheel needs."""
    pkg = package or "PACKAGE"
    note = (f"paste into register_weights (from ganzoo import WeightsSpec), and ship the files: in pyproject.toml, "
            f'[tool.setuptools.package-data] {pkg} = ["weights/*.safetensors", "weights/*.png"]')
    return note + ("; state the licence with --license TEXT" if license_defaulted else "")


def spec_source(fields: Mapping[str, Any]) -> str:
    """``WeightsSpec(...)`` as Python source, ready to paste into a ``register_weights`` hook."""
    lines = ["WeightsSpec("]
    for key, value in fields.items():
        if value is None:
            continue
        shown = f"{value:_}" if isinstance(value, int) and not isinstance(value, bool) and value >= 10_000 else repr(value)
        lines.append(f"    {key}={shown},")
    return "\n".join(lines + [")"])


def write_spec(path: Path, fields: Mapping[str, Any]) -> None:
    """The fields as JSON (``WeightsSpec(**json.load(...))`` rebuilds the spec), written atomically."""
    write_text(path, json.dumps(dict(fields), indent=2) + "\n")
