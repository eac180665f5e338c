"""The model card ``ganzoo push`` uploads: a Hub ``README.md`` written from what the weights say.

A ganzoo weights file describes itself (model, architecture, task, dataset, step, config and,
for ``generator.best``/zoo files, metrics and the command that made it); a run folder adds its
evaluations (``metrics.jsonl``) and sample grids. :func:`describe` gathers those facts, checks
that the file is a ganzoo generator before anything leaves the machine, and :func:`render`
writes the card: YAML front matter the Hub indexes (``library_name: ganzoo``, tags, license,
pipeline tag), then the model, its paper, its data, how it was trained, its metrics, how to
load it and the sample grid. No network and no Hub library here, so a card can be checked offline.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ganzoo.errors import GanzooError
from ganzoo.io import run_folder
from ganzoo.io.zoo_entry import recorded_command as _command, recorded_metrics as _metrics

#: Hub pipeline tags by ganzoo task (the Hub's filters); a task not listed gets none.
PIPELINE_TAGS = {"noise": "unconditional-image-generation", "class": "unconditional-image-generation",
                 "paired": "image-to-image", "superres": "image-to-image",
                 "unpaired": "image-to-image"}
#: The license a card claims when neither the file nor the caller names one (the Hub's "other").
DEFAULT_LICENSE = "other"
#: The sample grid's name in the repository (the card shows it).
SAMPLE_FILE = "sample.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_LICENSE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,63}")


@dataclass(frozen=True)
class Card:
    """What :func:`ganzoo.io.hub.push` uploads: the weights, the card's text, the sample grid."""

    weights: Path
    text: str
    model: str
    sample: Path | None = None


@dataclass(frozen=True)
class Facts:
    """Everything a card says, gathered once (:func:`describe`) so :func:`render` is pure."""

    repo_id: str
    meta: Mapping[str, Any]
    #: The branch the weights are pushed to (None: main), so the card's load line names it.
    revision: str | None = None
    summary: str = ""
    paper: str = ""
    command: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    license: str = DEFAULT_LICENSE
    sample: str = ""
    reconstructed: bool = False


def describe(source: str | os.PathLike, repo_id: str, *, revision: str | None = None, license: str | None = None,
             sample: str | os.PathLike | None = None) -> Card:
    """The card of a run folder (its generator: the averaged one when kept) or of a generator file."""
    from ganzoo.io.weights import read_metadata  # torch: only when a card is really made

    path = Path(source).expanduser()
    if path.is_dir():
        run_dir: Path | None = path
        weights = run_folder.generator_file(path)
        if not os.path.lexists(weights):
            raise GanzooError(f"{path} holds no {run_folder.GENERATOR_FILE}: push a finished run folder or a weights file")
        weights = regular_inside(path, weights)
    elif path.is_file():
        weights = path
        run_dir = path.parent if (path.parent / run_folder.CONFIG_FILE).is_file() else None
    else:
        raise GanzooError(f"{str(path)!r} does not exist: give a run folder or a generator .safetensors file")
    meta = read_metadata(weights)
    if "model" not in meta or "task" not in meta:
        raise GanzooError(f"{weights} has no ganzoo metadata: only weights saved by ganzoo can be pushed")
    if meta.get("role", "generator") != "generator":
        raise GanzooError(f"{weights} holds the {meta['role']}, not a generator: push the generator (or the run folder)")
    picture = _sample_of(run_dir, sample)
    facts = Facts(repo_id=repo_id, meta=meta, revision=revision, license=_license(license or meta.get("license")),
                  metrics=_metrics(meta, run_dir), sample=SAMPLE_FILE if picture else "",
                  **_registered(str(meta["model"])), **_command(meta))
    return Card(weights, render(facts), str(meta["model"]), picture)


def _license(value: Any) -> str:
    text = str(value or DEFAULT_LICENSE).strip().lower()
    if not _LICENSE.fullmatch(text):
        raise GanzooError(f"license {value!r} is not a Hub license identifier such as mit, apache-2.0, cc-by-4.0 or other")
    return text


def _registered(model: str) -> dict[str, str]:
    """The registered model's summary and arXiv paper ("" when no installed plugin knows it)."""
    from ganzoo.plugin.discovery import get_registry

    models = get_registry().models
    if model not in models:
        return {}
    spec = models.get(model)
    return {"summary": spec.summary, "paper": spec.paper}


def _sample_of(run_dir: Path | None, explicit: str | os.PathLike | None) -> Path | None:
    """The sample grid to show: the one given, else the run's last ``samples/step-*.png``."""
    if explicit is not None:
        picture = Path(explicit).expanduser()
        if not picture.is_file() or picture.suffix.lower() != ".png" or not _is_png(picture):
            raise GanzooError(f"--sample {str(picture)!r} is not a PNG file")
        return picture
    if run_dir is None:
        return None
    grids = sorted((run_dir / run_folder.SAMPLES_DIR).glob("step-*.png"))
    if not grids:
        return None
    picture = regular_inside(run_dir, grids[-1])
    if not _is_png(picture):
        raise GanzooError(f"{picture} is not a PNG file (its first bytes say otherwise); remove it or give --sample PNG")
    return picture


def regular_inside(run_dir: Path, path: Path) -> Path:
    """``path`` when it is a regular file inside ``run_dir`` (no symlink on the way out): what a
    push may upload from a run folder, so a link there never publishes a file from elsewhere."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        raise GanzooError(f"cannot read {path}: {exc.strerror or exc}") from None
    inside = run_dir.resolve() in path.resolve().parents
    if not stat.S_ISREG(mode) or not inside:
        what = "a symlink" if stat.S_ISLNK(mode) else "not a regular file" if not stat.S_ISREG(mode) else "outside the run folder"
        raise GanzooError(f"{path} is {what}: push uploads only regular files inside the run folder {run_dir}; "
                          "replace it with the file itself (or push a weights file with --sample PNG)")
    return path


def _is_png(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE


# ---------------------------------------------------------------- the text
def _cell(value: Any) -> str:
    """Text from a file, made safe for one Markdown table cell or line."""
    return " ".join(str(value).split()).replace("|", "\\|").replace("<", "&lt;")


def _yaml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def render(facts: Facts) -> str:
    """The ``README.md`` of the repository: front matter, then the card."""
    meta = facts.meta
    model, task = str(meta["model"]), str(meta["task"])
    front = ["---", "library_name: ganzoo", f"tags: {_yaml_list(['gan', 'ganzoo', task, model])}", f"license: {facts.license}"]
    if task in PIPELINE_TAGS:
        front.append(f"pipeline_tag: {PIPELINE_TAGS[task]}")
    front.append("---")
    address = f"hf://{facts.repo_id}" + ("" if facts.revision in (None, "main") else f"@{facts.revision}")
    lines = [*front, "", f"# {_cell(model)} · {_cell(facts.repo_id.split('/')[1])}", ""]
    if facts.summary:
        lines += [_cell(facts.summary), ""]
    rows = [("model", f"`{_cell(model)}`"), ("architecture", f"`{_cell(meta.get('architecture', ''))}`"),
            ("loss", f"`{_cell(meta['loss'])}`" if meta.get("loss") else ""), ("task", task),
            ("paper", f"[arXiv:{_cell(facts.paper)}](https://arxiv.org/abs/{_cell(facts.paper)})" if facts.paper else ""),
            ("dataset", f"`{_cell(meta['dataset'])}`" if meta.get("dataset") else ""),
            ("training steps", f"{int(meta['step']):,}" if str(meta.get("step", "")).isdigit() else ""),
            ("parameters", f"{int(meta['num_params']):,}" if str(meta.get("num_params", "")).isdigit() else ""),
            ("precision", _cell(meta.get("precision", ""))), ("averaged weights (EMA)", _cell(meta.get("ema", ""))),
            ("classes", ", ".join(_cell(c) for c in meta.get("classes", []))),
            ("ganzoo", _cell(meta.get("version", ""))), ("plugin", f"`{_cell(meta['source'])}`" if meta.get("source") not in (None, "", "ganzoo") else "")]
    lines += ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows if value), ""]
    if facts.sample:
        lines += [f"![samples drawn by this generator]({facts.sample})", ""]
    lines += ["## Use it", "", "```bash", "pip install 'ganzoo[hub]'"]
    if meta.get("source") and meta["source"] != "ganzoo":
        lines.append(f"pip install {meta['source']}  # the plugin that provides {model}")
    lines += [f"ganzoo sample {address} -o samples.png", "```", "", "```python", "import ganzoo", "",
              f'model = ganzoo.load("{address}")', "images = model.sample(16, seed=0)  # a tensor of images in [-1, 1]", "```", ""]
    lines += ["## Training", "", "```bash", facts.command, "```", ""]
    if facts.reconstructed:
        lines += ["(rebuilt from the run's configuration: model, dataset, steps and seed; the whole configuration is below)", ""]
    if facts.metrics:
        lines += ["## Metrics", "", "| metric | value |", "|---|---|",
                  *(f"| {_cell(name)} | {value:.4g} |" for name, value in sorted(facts.metrics.items())), ""]
    config = {"architecture_config": meta.get("config", {}), **({"training": meta["training"]} if meta.get("training") else {})}
    lines += ["<details><summary>Configuration</summary>", "", "```json", json.dumps(config, indent=2, sort_keys=True)
              .replace("```", "` ` `"), "```", "", "</details>", "",
              "Pushed with [ganzoo](https://pypi.org/project/ganzoo/) `ganzoo push`; the weights are `generator.safetensors`, "
              "a self-describing safetensors file (no pickle).", ""]
    return "\n".join(lines)
