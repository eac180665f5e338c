"""The ``ganzoo`` command: parses, calls the Python API, prints with rich.

``list``, ``info``, ``plugins`` and ``--help`` never import torch; ``run`` and ``sample``
import it inside their functions. User mistakes print one line and exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Any, Sequence

from ganzoo._version import __version__
from ganzoo.errors import GanzooError

ARXIV = "https://arxiv.org/abs/"


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _table(title: str | None, columns: Sequence[str], rows: list[Sequence[Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_text(v) for v in row))
    return table


def _text(value: Any) -> Any:
    """Plugin-provided text as literal text (``E[relu(...)]`` is not rich markup)."""
    from rich.text import Text

    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value))


def spec_dict(spec: Any) -> dict[str, Any]:
    """A spec as plain JSON-able data (mappings unfrozen, the source spelled out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.name == "source":
            value = dataclasses.asdict(value) if value else None
        elif hasattr(value, "items"):
            value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


# ---------------------------------------------------------------- list / info / plugins
def cmd_list(args: argparse.Namespace) -> int:
    from ganzoo.plugin.discovery import get_registry

    registry = get_registry()
    kind = "losses" if args.losses else "architectures" if args.architectures else "datasets" if args.datasets else "models"
    kind = "weights" if args.pretrained else kind
    specs = getattr(registry, kind).match(args.pattern)
    if args.json:
        if kind == "models":  # the task lives on the architecture; JSON shows it as the table does
            _print_json([{**spec_dict(s), "task": registry.architecture(s.architecture).task} for s in specs])
        elif kind == "weights":
            from ganzoo.io.pretrained import where

            _print_json([{**spec_dict(s), "where": where(s)} for s in specs])
        else:
            _print_json([spec_dict(s) for s in specs])
        return 0
    if kind == "models":
        rows = [(s.name, registry.architecture(s.architecture).task, s.architecture, s.loss, s.paper, s.source) for s in specs]
        columns = ["name", "task", "architecture", "loss", "arXiv", "source"]
    elif kind == "architectures":
        rows = [(s.name, s.task, ", ".join(map(str, s.image_sizes)) or "any", s.summary, s.source) for s in specs]
        columns = ["name", "task", "image sizes", "summary", "source"]
    elif kind == "losses":
        rows = [(s.name, ", ".join(s.tasks) or "any", s.summary, s.source) for s in specs]
        columns = ["name", "tasks", "summary", "source"]
    elif kind == "weights":
        from ganzoo.io.pretrained import format_size

        rows = [(s.name, s.model, s.dataset or "-", _count(s.num_params), format_size(s.size), s.precision or "-",
                 _metrics_text(s.metrics, most=3), s.source) for s in specs]
        columns = ["name", "model", "dataset", "params", "size", "precision", "metrics", "source"]
        kind = "pretrained weights"
    else:
        rows = [(s.name + (f":{s.argument}" if s.argument else ""), "yes" if s.labelled else "no", s.summary, s.source) for s in specs]
        columns = ["name", "labelled", "summary", "source"]
    console = _console()
    if not specs:
        console.print(f"no {kind} match {args.pattern!r}" if args.pattern else f"no {kind} are registered")
        return 0
    console.print(_table(None, columns, rows))
    return 0


def _mapping_lines(mapping: Any) -> str:
    return ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in mapping.items()) or "-"


def _count(n: int | None) -> str:
    """``3576704`` -> ``"3.58M"``; unknown -> ``"-"``."""
    if n is None:
        return "-"
    return f"{n / 1e6:.3g}M" if n >= 999_500 else f"{n / 1e3:.3g}k" if n >= 1000 else str(n)


def _metrics_text(metrics: Any, most: int | None = None) -> str:
    """``fd_digits 4.84 (floor 0.958), ...``: a metric's ``floor_``/``baseline_`` twin goes beside
    it; the ``list`` table shows the first ``most`` metrics without them."""
    keys = [k for k in metrics if not k.startswith(("floor_", "baseline_"))][:most]

    def twin(k: str) -> str:
        found = [(name, metrics[f"{name}_{k}"]) for name in ("floor", "baseline") if f"{name}_{k}" in metrics]
        return f" ({found[0][0]} {found[0][1]:.4g})" if found and most is None else ""

    return ", ".join(f"{k} {metrics[k]:.4g}{twin(k)}" for k in keys) or "-"


def _weights_card(spec: Any, as_json: bool) -> int:
    """``ganzoo info NAME`` of pretrained weights: the card, and where the file resolves now."""
    from ganzoo.io.home import offline
    from ganzoo.io.pretrained import cached_path, format_size, package_file, where

    data = spec_dict(spec)
    shipped = package_file(spec.file) if spec.file else None
    sample = package_file(spec.sample) if spec.sample else None
    data.update(where=where(spec), cache_path=str(cached_path(spec)),
                package_path=str(shipped) if shipped is not None else None, sample_path=str(sample) if sample is not None else None)
    if as_json:
        _print_json({"kind": "weights", **data})
        return 0
    later = " (not now: GANZOO_OFFLINE is set)" if offline() else ""
    resolves = {
        "cache": f"cached: {data['cache_path']}",
        "package": f"shipped in package {spec.file.partition(':')[0]!r}: {shipped}",
        "url": f"not cached yet; loading it downloads {spec.url} into {data['cache_path']}{later}",
        "missing": f"nowhere: {spec.file!r} is not installed and no URL is registered",
    }[data["where"]]
    shown = {"size": f"{spec.size:,} bytes ({format_size(spec.size)})", "metrics": _metrics_text(spec.metrics),
             "num_params": f"{spec.num_params:,}" if spec.num_params is not None else "-",
             "sample": f"{spec.sample}  {sample}" if sample is not None else spec.sample,
             "source": f"{spec.source} (plugin {spec.source.plugin!r})" if spec.source else "-"}
    rows = [(key, shown.get(key, data[key]) or "-") for key in spec_dict(spec)] + [("resolves to", resolves)]
    _print_card(f"pretrained weights {spec.name}", rows)
    return 0


def _print_card(title: str, rows: list[tuple[str, Any]]) -> None:
    """A two-column key/value table (``ganzoo info``)."""
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for row in rows:
        table.add_row(*map(_text, row))
    _console().print(table)


def cmd_info(args: argparse.Namespace) -> int:
    from ganzoo.core.config import TrainConfig
    from ganzoo.plugin.discovery import get_registry
    from ganzoo.plugin.specs import ModelSpec, WeightsSpec

    registry = get_registry()
    spec = registry.find(args.name)
    if isinstance(spec, WeightsSpec):
        return _weights_card(spec, args.json)
    kind = type(spec).__name__.removesuffix("Spec").lower()
    data = spec_dict(spec)
    if isinstance(spec, ModelSpec):
        arch, loss = registry.architecture(spec.architecture), registry.loss(spec.loss)
        training = TrainConfig(model=spec.name, **{k: v for k, v in spec.training.items()})
        data["task"] = arch.task
        data["training"] = {k: v for k, v in training.to_dict().items() if k not in ("model", "architecture", "loss", "dataset", "architecture_config", "loss_config")}
        data["architecture_config"] = {**arch.defaults, **spec.architecture_config}
        data["loss_config"] = {**loss.defaults, **spec.loss_config}
        data["architecture_builder"] = arch.builder
        data["loss_builder"] = loss.builder
    if args.json:
        _print_json({"kind": kind, **data})
        return 0
    rows = []
    for key, value in data.items():
        if key == "source":
            value = f"{spec.source} (plugin {spec.source.plugin!r})" if spec.source else "-"
        elif key == "paper":
            value = f"arXiv {value}  {ARXIV}{value}" if value else "-"
        elif isinstance(value, dict):
            value = _mapping_lines(value)
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "any"
        rows.append((key, value))
    _print_card(f"{kind} {spec.name}", rows)
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from ganzoo.plugin.discovery import plugin_infos

    infos = plugin_infos()
    if args.json:
        _print_json([i.as_dict() for i in infos])
        return 0
    style = {"ok": "green", "broken": "red", "skipped": "yellow"}
    rows = []
    for i in infos:
        from rich.text import Text

        status = Text(i.status, style=style.get(i.status, "")) + (" (warnings)" if i.warnings and i.status == "ok" else "")
        notes = "; ".join([i.error] * bool(i.error) + i.warnings)
        rows.append((i.name, i.distribution, i.version, status, ", ".join(i.registered), notes))
    _console().print(_table(None, ["plugin", "distribution", "version", "status", "registers", "problems"], rows))
    return 0


# ---------------------------------------------------------------- run / sample
def _parse_set(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GanzooError(f"--set takes KEY=VALUE, got {item!r}")
        try:
            out[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            out[key.replace("-", "_")] = value
    return out


RUN_OPTIONS = ("dataset", "loss", "steps", "batch_size", "lr", "lr_d", "n_critic", "image_size", "seed", "device",
               "log_every", "sample_every", "checkpoint_every", "num_samples", "class_report_every", "eval_every", "content", "pretrain_steps", "data_root",
               "precision", "compile", "channels_last", "ema")


def cmd_run(args: argparse.Namespace) -> int:
    from ganzoo.api import train

    overrides = {k: getattr(args, k) for k in RUN_OPTIONS if getattr(args, k) is not None}
    if args.download:
        overrides["download"] = True
    if args.sync_bn:
        overrides["sync_bn"] = True
    overrides.update(_parse_set(args.set))
    from ganzoo.training.distributed import is_main_process, launch_cli

    if args.nproc and args.nproc > 1:  # re-run this command in N processes under torchrun
        return launch_cli(args, overrides)
    console = _console(stderr=True)
    console.quiet = not is_main_process()  # torchrun ranks other than 0 print nothing
    if args.resume:
        if args.model:
            raise GanzooError("give either a model or --resume RUN_DIR, not both")
        console.print(f"resuming [bold]{args.resume}[/]")
        result = train(resume=args.resume, progress=args.progress, **overrides)
    else:
        if not args.model:
            raise GanzooError("name a model to train (`ganzoo list` shows them), or --resume RUN_DIR")
        from ganzoo.core.config import resolve_config
        from ganzoo.plugin.discovery import get_registry
        from ganzoo.io.run_folder import default_run_dir

        config = resolve_config(get_registry(), args.model, overrides)
        out = args.out or str(default_run_dir(config.model, config.dataset))
        console.print(f"training [bold]{config.model}[/] on [bold]{config.dataset}[/] for {config.steps} steps -> {out}")
        result = train(args.model, out=out, progress=args.progress, **overrides)
    if not is_main_process():
        return 0
    metrics = "  ".join(f"{k} {v:.3f}" for k, v in result.metrics.items() if k in ("d_loss", "g_loss"))
    quality = _quality_line(result.metrics)
    _console().print(
        f"finished {result.step} steps in {result.seconds:.1f} s  {metrics}\n{quality}"
        f"weights: {result.generator}\n" + (f"         {result.ema_generator} (EMA)\n" if result.ema_generator else "")
        + f"         {result.discriminator}\n"
        f"samples: {result.run_dir / 'samples'}"
    )
    return 0


def _label_tokens(text: str, names: list[str]) -> list[int | str]:
    """``--labels`` text -> class indices and names: ``0-9``, ``1,3,7``, ``cat,dog``, or a mix.

    A whole item that is a class name stays a name (so names with ``-`` or ``,`` work); ``A-B``
    with whole numbers is a range (either direction); anything else is checked by the model.
    """
    import re

    folded = {name.casefold() for name in names}
    if text.strip().casefold() in folded:
        return [text.strip()]
    tokens: list[int | str] = []
    for item in (part.strip() for part in text.split(",")):
        span = re.fullmatch(r"(\d+)\s*-\s*(\d+)", item)
        if item.casefold() in folded or not span:
            tokens.append(item)
        else:
            a, b = int(span[1]), int(span[2])
            tokens.extend(range(a, b + 1) if a <= b else range(a, b - 1, -1))
    return tokens


def _quality_line(metrics: dict[str, float]) -> str:
    """Held-out quality next to its baseline (image-to-image runs), or nothing."""
    features = [k for k in ("fd_digits", "fid", "kid_digits", "kid", "precision", "recall", "cond_accuracy") if k in metrics]
    if features:
        return "quality at the last evaluation: " + ", ".join(f"{k} {metrics[k]:.4g}" for k in features) + "\n"
    names = [k for k in ("psnr", "ssim", "l1") if k in metrics]
    if not names:
        return ""
    ours = ", ".join(f"{k.upper()} {metrics[k]:.4g}" for k in names)
    base = ", ".join(f"{k.upper()} {metrics['baseline_' + k]:.4g}" for k in names if "baseline_" + k in metrics)
    return f"held-out: {ours}  (baseline: {base})\n"


def _refuse_overwrite(paths: list[Any], force: bool) -> None:
    taken = [str(p) for p in paths if os.path.exists(p)]
    if taken and not force:
        raise GanzooError(f"{taken[0]} exists already{f' (and {len(taken) - 1} more)' if len(taken) > 1 else ''}; "
                          "choose another -o or pass --force to overwrite")


def cmd_sample(args: argparse.Namespace) -> int:
    from ganzoo.api import load
    from ganzoo.io.images import save_grid

    model = load(args.weights, device=args.device)
    card = model.card
    if args.input is not None:
        return _transform_images(model, args)
    if model.is_image_to_image:
        raise GanzooError(f"model {card.model!r} turns images into images; give them with --input IMAGE_OR_FOLDER")
    args.output = args.output or "samples.png"
    _refuse_overwrite([args.output], args.force)
    if args.labels is not None:
        # One row per requested class, n images each; every row uses the same noise (the same
        # seed), so a column shows one style drawn in every class.
        classes = model.class_indices(_label_tokens(args.labels, model.class_names))
        if args.nrow is not None and args.nrow != args.n:
            raise GanzooError(f"with --labels each row holds one class and -n images; leave out --nrow (got {args.nrow}, -n {args.n})")
        import torch

        images = torch.cat([model.sample(args.n, seed=args.seed, labels=index) for index in classes])
        save_grid(images, args.output, nrow=args.n)
        names = ", ".join(model.class_names[i] for i in classes)
        what = f"{len(classes)} row{'s' * (len(classes) != 1)} of {args.n} samples (classes {names})"
    else:
        images = model.sample(args.n, seed=args.seed)
        nrow = args.nrow
        what = f"{args.n} samples"
        if model.num_classes:  # the images cycle through the classes: one column per class
            nrow = nrow or min(model.num_classes, args.n)
            shown = model.class_names[: min(model.num_classes, args.n)]
            what += f" cycling through classes {', '.join(shown)}" + (", ..." if len(shown) < model.num_classes else "")
        save_grid(images, args.output, nrow=nrow)
    _console().print(f"wrote {what} of {card.model} (step {card.step}) to {args.output}")
    return 0


def _transform_images(model: Any, args: argparse.Namespace) -> int:
    """Write each translated/upscaled image and a side-by-side comparison into a folder."""
    from pathlib import Path

    import torch
    from PIL import Image, UnidentifiedImageError

    from ganzoo.data.datasets import IMAGE_SUFFIXES, as_float
    from ganzoo.io.images import save_grid

    if not model.is_image_to_image:
        raise GanzooError(f"model {model.card.model!r} draws images from noise; --input is for image-to-image models")
    source = Path(args.input).expanduser()
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    elif source.is_file():
        files = [source]
    else:
        raise GanzooError(f"--input {str(source)!r} does not exist")
    if not files:
        raise GanzooError(f"--input folder {str(source)!r} holds no images")
    out = Path(args.output or "outputs")
    if out.suffix.lower() == ".png":
        raise GanzooError("with --input, -o names a folder (one output and one comparison image per input)")
    targets = [(out / f"{f.stem}.png", out / f"{f.stem}.compare.png") for f in files]
    _refuse_overwrite([p for pair in targets for p in pair], args.force)
    out.mkdir(parents=True, exist_ok=True)
    for file, (output_path, compare_path) in zip(files, targets):
        try:
            with Image.open(file) as picture:
                picture.load()
                tensor = model.input_tensor(picture)
        except (OSError, UnidentifiedImageError) as exc:
            raise GanzooError(f"cannot read image {str(file)!r}: {exc}") from None
        output = model.transform(tensor)
        save_grid(output[None], output_path, nrow=1, padding=0)
        row = model.task.comparison(tensor[None].to(output.device), output[None], output[None])[:-1]  # input, (bicubic,) output
        save_grid(row, compare_path, nrow=len(row))
    kind = model.task.verb
    _console().print(f"{kind} {len(files)} image(s) with {model.card.model} into {out} (each with a .compare.png beside it)")
    return 0


# ---------------------------------------------------------------- eval
#: How each metric reads in the table: (label, higher is better?).
METRIC_LABELS = {
    "fd_digits": ("FD-digits", False), "kid_digits": ("KID-digits", False), "fid": ("FID (Inception)", False),
    "kid": ("KID (Inception)", False), "is": ("Inception score", True), "precision": ("precision (k=3)", True),
    "recall": ("recall (k=3)", True), "density": ("density (k=5)", True), "coverage": ("coverage (k=5)", True),
    "classes_covered": ("classes covered", True), "class_share_min": ("smallest class share", True),
    "cond_accuracy": ("conditional accuracy", True), "psnr": ("PSNR (dB)", True), "ssim": ("SSIM", True), "l1": ("L1", False),
}


def cmd_eval(args: argparse.Namespace) -> int:
    from ganzoo.eval.evaluation import evaluate

    console = _console(stderr=True)
    console.print(f"evaluating [bold]{args.target}[/] ...")
    report = evaluate(args.target, dataset=args.dataset, samples=args.n, features=args.features,
                      inception_weights=args.inception_weights, device=args.device, seed=args.seed,
                      data_root=args.data_root, download=args.download)
    if args.json:
        _print_json(report.to_dict())
        return 0
    rows = []
    for key, value in report.metrics.items():
        if key.endswith("_std"):
            continue
        label, _ = METRIC_LABELS.get(key, (key, True))
        std = report.metrics.get(f"{key}_std")
        floor, floor_std = report.floor.get(key), report.floor.get(f"{key}_std")
        rows.append((label, _number(value, std), "-" if floor is None else _number(floor, floor_std)))
    if report.features:
        what = f"{report.samples} samples vs {report.reference} real training images of {report.dataset}"
    else:
        what = f"{report.samples} held-out pairs of {report.dataset}"
    _console().print(f"[bold]{report.model}[/] (step {report.step}, {report.task} task): {what}")
    _console().print(_table(None, ["metric", "model", report.floor_label], rows))
    shares = report.classes.get("shares")
    if shares:
        _console().print("class shares: " + "  ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    per_label = report.classes.get("accuracy_per_label")
    if per_label:
        _console().print("accuracy per label: " + "  ".join(f"{k} {v:.0%}" for k, v in per_label.items()))
    if report.features == "digits":
        _console().print("FD-digits/KID-digits use ganzoo's digits feature network: compare them with each other, "
                         "never with Inception FID.")
    return 0


def _number(value: float, std: float | None = None) -> str:
    text = f"{value:.4g}"
    return f"{text} ± {std:.2g}" if std is not None else text


# ---------------------------------------------------------------- parser
def _decay(text: str) -> float:
    """``--ema DECAY``: 0 (off) or a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a decay such as 0.999, got {text!r}") from None
    if not (value == 0 or 0 < value < 1):
        raise argparse.ArgumentTypeError(f"expected 0 (off) or a decay strictly between 0 and 1 such as 0.999, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ganzoo", description="A plugin-based GAN model zoo for PyTorch.")
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    parser.add_argument("--threads", type=_positive_int, metavar="N",
                        help="CPU threads torch may use (default: torch's choice; 1 is often fastest on a busy machine)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list models (or losses, architectures, datasets, pretrained weights)")
    p.add_argument("pattern", nargs="?", help="wildcard or substring to filter names, e.g. '*gan*'")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--losses", action="store_true", help="list losses")
    group.add_argument("--architectures", action="store_true", help="list architectures")
    group.add_argument("--datasets", action="store_true", help="list datasets")
    group.add_argument("--pretrained", action="store_true", help="list pretrained weights (`ganzoo.load(NAME)` loads them)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="describe a model, architecture, loss, dataset or pretrained weights")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("plugins", help="list discovered plugins and their status")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("run", help="train a model", description="Train MODEL, or continue a run with --resume RUN_DIR.")
    p.add_argument("model", nargs="?", help="model name (see `ganzoo list`)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint")
    p.add_argument("--dataset", help="digits (default), folder:PATH, mnist, fashion-mnist, cifar10")
    p.add_argument("--loss", help="use another registered loss (see `ganzoo list --losses`)")
    p.add_argument("--steps", type=_positive_int, help="generator steps to train to")
    p.add_argument("--batch-size", type=_positive_int)
    p.add_argument("--lr", type=float, help="learning rate (both nets unless --lr-d)")
    p.add_argument("--lr-d", type=float, help="discriminator learning rate")
    p.add_argument("--n-critic", type=_positive_int, help="discriminator steps per generator step")
    p.add_argument("--image-size", type=_positive_int)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto (default: cuda, then mps, then cpu), cpu, cuda, cuda:N, mps")
    p.add_argument("--out", metavar="DIR", help="run folder (default: runs/MODEL-DATASET[-N]); must not exist")
    p.add_argument("--log-every", type=_positive_int, help="steps between metrics.jsonl lines")
    p.add_argument("--sample-every", type=_positive_int, help="steps between sample grids")
    p.add_argument("--checkpoint-every", type=_positive_int, help="steps between checkpoints")
    p.add_argument("--num-samples", type=_positive_int, help="images in each sample grid")
    p.add_argument("--content", help="content term added to the generator loss: l1, mse or vgg (image-to-image models)")
    p.add_argument("--pretrain-steps", type=int, metavar="N", help="generator-only steps on the content term first")
    p.add_argument("--eval-every", type=_positive_int, metavar="N",
                   help="every N steps, measure quality as `ganzoo eval` does (FD-digits/FID, or held-out PSNR) into "
                        "metrics.jsonl and keep the best generator as generator.best.safetensors")
    p.add_argument("--class-report-every", type=_positive_int, metavar="N",
                   help="every N steps, sort 1,000 samples into the real classes with a classifier trained on the data "
                        "and warn when a class vanishes (mode collapse); labelled datasets only")
    p.add_argument("--data-root", metavar="DIR", help="where torchvision datasets live")
    from ganzoo.core.config import PRECISIONS  # torch-free

    p.add_argument("--precision", choices=PRECISIONS,
                   help="number format of the forward passes: fp32 (default), bf16 or fp16 (autocast; fp16 adds loss scaling)")
    p.add_argument("--compile", action="store_true", default=None, help="torch.compile both nets (slow start, faster steps)")
    p.add_argument("--channels-last", action="store_true", default=None, help="nets and image batches in channels-last memory format")
    p.add_argument("--ema", type=_decay, metavar="DECAY",
                   help="keep an exponential moving average of the generator (e.g. 0.999); samples, evaluation and "
                        "generator.ema.safetensors use it")
    p.add_argument("--download", action="store_true", help="download a torchvision dataset if absent")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any other setting, e.g. --set ngf=32")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no live progress bar")
    p.add_argument("--nproc", type=_positive_int, metavar="N",
                   help="train data-parallel in N processes on this machine (re-runs itself under torchrun); "
                        "--batch-size stays the global batch, split over them")
    p.add_argument("--sync-bn", action="store_true",
                   help="data-parallel runs on CUDA: batch norm over the global batch (SyncBatchNorm)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sample", help="draw samples from saved weights into a PNG grid, or translate/upscale images")
    p.add_argument("weights", help="a generator .safetensors file or a run folder")
    p.add_argument("-n", type=_positive_int, default=64, help="number of images (default 64); with --labels, per class")
    p.add_argument("-o", "--output", help="PNG file to write (default samples.png); with --input, a folder (default outputs)")
    p.add_argument("--input", metavar="IMAGE_OR_FOLDER",
                   help="image-to-image models: translate/upscale this image or every image in this folder")
    p.add_argument("--force", action="store_true", help="overwrite output files that exist already")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nrow", type=_positive_int, help="images per row (default: square; a class model's default is one column per class)")
    p.add_argument("--labels", metavar="CLASSES",
                   help="class-conditional models: one row of -n images per class, e.g. 0-9, 1,3,7 or class names")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("eval", help="measure a model's quality next to the real-vs-real floor or the baseline",
                       description="Evaluate a run folder, weights file or pretrained name (ganzoo list --pretrained).")
    p.add_argument("target", help="a run folder, a generator .safetensors file, or pretrained weights by name")
    p.add_argument("--dataset", help="real data to compare with (default: the dataset the weights were trained on)")
    p.add_argument("-n", type=_positive_int, help="generated samples (default: as many as the real held-out split)")
    p.add_argument("--features", default="auto", choices=("auto", "digits", "inception"),
                   help="feature space: digits (ganzoo's digits network, offline), inception (FID; needs the weights "
                        "file), auto (digits for digits/mnist, else inception)")
    p.add_argument("--inception-weights", metavar="PATH", help="pt_inception-2015-12-05-6726825d.pth (or .safetensors)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated samples")
    p.add_argument("--device", default="auto")
    p.add_argument("--data-root", metavar="DIR", help="where torchvision datasets live")
    p.add_argument("--download", action="store_true", help="download a torchvision dataset if absent")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `run --nproc N` re-runs the same command
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read by torch when it is first imported
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(args.threads)
    try:
        return args.func(args)
    except GanzooError as exc:
        if args.debug:
            raise
        print(f"ganzoo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ganzoo: interrupted", file=sys.stderr)
        return 130
