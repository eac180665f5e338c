"""``ganzoo list``, ``info`` and ``plugins``: what is registered, read from specs alone.

Nothing here imports torch (tests hold every command of this module to that): specs, the
registry, the run config and the pretrained-weights cards are all torch-free. The one import
inside functions is :mod:`ganzoo.io.pretrained`: it brings the network stack (ssl,
http.client; about 30 ms of every start-up), which only pretrained weights need.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console, flag_type, literal, print_card, print_json, table
from ganzoo.core.options import Option
from ganzoo.io.home import offline
from ganzoo.plugin.discovery import get_registry, plugin_infos
from ganzoo.plugin.specs import ModelSpec, WeightsSpec

ARXIV = "https://arxiv.org/abs/"

#: ``plugins --check --timeout``: seconds, above 0.
positive_float = flag_type(Option(help="", kind="number", positive=True))


def add_parser(sub: Any) -> None:
    """The ``list``, ``info`` and ``plugins`` sub-commands."""
    p = sub.add_parser("list", help=help_of("list"))
    p.add_argument("pattern", nargs="?", help="wildcard or substring to filter names, e.g. '*gan*'")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--losses", action="store_true", help="list losses")
    group.add_argument("--architectures", action="store_true", help="list architectures")
    group.add_argument("--datasets", action="store_true", help="list datasets")
    group.add_argument("--pretrained", action="store_true", help="list pretrained weights (`ganzoo.load(NAME)` loads them)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help=help_of("info"))
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("plugins", help=help_of("plugins"))
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--check", action="store_true",
                   help="load each third-party distribution in a subprocess of its own and report how it fared "
                        "(finds a plugin that kills or freezes ganzoo; exit 1 when any is not ok)")
    p.add_argument("--deep", action="store_true",
                   help="also import every builder each plugin names (a mistyped 'pkg.netz:build' shows now, not at "
                        "`ganzoo run`; imports torch); exit 1 when any is not ok")
    p.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                   help="with --check: how long one distribution may take to load (default: 60)")
    p.set_defaults(func=cmd_plugins)


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


# ---------------------------------------------------------------- list
def cmd_list(args: argparse.Namespace) -> int:
    registry = get_registry()
    kind = "losses" if args.losses else "architectures" if args.architectures else "datasets" if args.datasets else "models"
    kind = "weights" if args.pretrained else kind
    specs = getattr(registry, kind).match(args.pattern)
    if args.json:
        if kind == "models":  # the task lives on the architecture; JSON shows it as the table does
            print_json([{**spec_dict(s), "task": registry.architecture(s.architecture).task, "trains_with": s.trains_with}
                        for s in specs])
        elif kind == "weights":
            from ganzoo.io.pretrained import where  # the network stack (see the module docstring)

            print_json([{**spec_dict(s), "where": where(s)} for s in specs])
        else:
            print_json([spec_dict(s) for s in specs])
        return 0
    if kind == "models":
        rows = [(s.name, registry.architecture(s.architecture).task, s.architecture, s.trains_with, s.paper, s.source) for s in specs]
        columns = ["name", "task", "architecture", "loss", "arXiv", "source"]
    elif kind == "architectures":
        rows = [(s.name, s.task, ", ".join(map(str, s.image_sizes)) or "any", s.summary, s.source) for s in specs]
        columns = ["name", "task", "image sizes", "summary", "source"]
    elif kind == "losses":
        rows = [(s.name, ", ".join(s.tasks) or "any", s.summary, s.source) for s in specs]
        columns = ["name", "tasks", "summary", "source"]
    elif kind == "weights":
        from ganzoo.io.pretrained import format_size  # the network stack (see the module docstring)

        rows = [(s.name, s.model, s.dataset or "-", _count(s.num_params), format_size(s.size), s.precision or "-",
                 _metrics_text(s.metrics, most=3), s.source) for s in specs]
        columns = ["name", "model", "dataset", "params", "size", "precision", "metrics", "source"]
        kind = "pretrained weights"
    else:
        rows = [(s.name + (f":{s.argument}" if s.argument else ""), "yes" if s.labelled else "no", s.summary, s.source) for s in specs]
        columns = ["name", "labelled", "summary", "source"]
    out = console()
    if not specs:
        out.print(f"no {kind} match {args.pattern!r}" if args.pattern else f"no {kind} are registered")
        return 0
    out.print(table(None, columns, rows))
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


# ---------------------------------------------------------------- info
#: Architecture settings a run takes from its data, whatever the defaults say (see the trainer).
SET_BY_DATA = ("channels", "num_classes", "input_channels")


def cmd_info(args: argparse.Namespace) -> int:
    registry = get_registry()
    spec = registry.find(args.name)
    if isinstance(spec, WeightsSpec):
        return _weights_card(spec, args.json)
    kind = type(spec).__name__.removesuffix("Spec").lower()
    data = spec_dict(spec)
    if isinstance(spec, ModelSpec):
        arch, loss = registry.architecture(spec.architecture), registry.loss(spec.loss)
        from ganzoo.core.config import resolve_config  # the run configuration: only `info MODEL` needs it (start-up)

        training = resolve_config(registry, spec.name)  # what a default run uses (the dataset's image size included)
        data["task"] = arch.task
        data["trains_with"] = spec.trains_with  # srresnet: `mse (content only)`, never its adversarial loss
        data["training"] = {k: v for k, v in training.to_dict().items() if k not in ("model", "architecture", "loss", "dataset", "architecture_config", "loss_config")}
        data["architecture_config"] = dict(training.architecture_config)
        data["loss_config"] = dict(training.loss_config)
        data["set_by_data"] = [k for k in SET_BY_DATA if k in training.architecture_config]
        data["architecture_builder"] = arch.builder
        data["loss_builder"] = loss.builder
    if args.json:
        print_json({"kind": kind, **data})
        return 0
    rows = []
    for key, value in data.items():
        if key == "source":
            value = f"{spec.source} (plugin {spec.source.plugin!r})" if spec.source else "-"
        elif key == "paper":
            value = f"arXiv {value}  {ARXIV}{value}" if value else "-"
        elif key == "set_by_data":
            value = (f"{', '.join(value)}: the dataset's at training time (the values above are the architecture's "
                     "defaults)") if value else "-"
        elif isinstance(value, dict):
            value = _mapping_lines(value)
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or ("any" if key in ("tasks", "image_sizes") else "none")
        rows.append((key, value))
    print_card(f"{kind} {spec.name}", rows)
    return 0


def _weights_card(spec: WeightsSpec, as_json: bool) -> int:
    """``ganzoo info NAME`` of pretrained weights: the card, and where the file resolves now."""
    from ganzoo.io.pretrained import cached_path, format_size, package_file, where  # the network stack (see above)

    data = spec_dict(spec)
    shipped = package_file(spec.file) if spec.file else None
    sample = package_file(spec.sample) if spec.sample else None
    data.update(where=where(spec), cache_path=str(cached_path(spec)),
                package_path=str(shipped) if shipped is not None else None, sample_path=str(sample) if sample is not None else None)
    if as_json:
        print_json({"kind": "weights", **data})
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
    print_card(f"pretrained weights {spec.name}", rows)
    return 0


# ---------------------------------------------------------------- plugins
def cmd_plugins(args: argparse.Namespace) -> int:
    if args.check:
        return _check_plugins(args)
    infos = plugin_infos()
    failed = 0
    if args.deep:
        from ganzoo.plugin.builders_check import check_builders

        check_builders(get_registry(), infos)
        failed = int(any(i.status == "broken" for i in infos))
    if args.json:
        print_json([i.as_dict() for i in infos])
        return failed
    console().print(plugins_table(infos))
    return failed


def plugins_table(infos: list[Any]) -> Any:
    """The table ``ganzoo plugins`` prints (``ganzoo install`` shows the new plugins' rows)."""
    style = {"ok": "green", "broken": "red", "skipped": "yellow"}
    rows = []
    for i in infos:
        status = literal(i.status, style.get(i.status, "")) + (" (warnings)" if i.warnings and i.status == "ok" else "")
        notes = "; ".join([i.error] * bool(i.error) + i.warnings)
        rows.append((i.name, i.distribution, i.version, status, ", ".join(i.registered), notes))
    return table(None, ["plugin", "distribution", "version", "status", "registers", "problems"], rows)


def _check_plugins(args: argparse.Namespace) -> int:
    """``ganzoo plugins --check``: never imports a third-party plugin here (see :mod:`ganzoo.plugin.check`)."""
    from ganzoo.plugin.check import DEFAULT_TIMEOUT_S, check_plugins

    checked = check_plugins(args.timeout or DEFAULT_TIMEOUT_S, deep=args.deep)
    failed = int(any(c.status != "ok" for c in checked))
    if args.json:
        print_json([c.as_dict() for c in checked])
        return failed
    if not checked:
        console().print("no third-party plugins are installed")
        return 0
    style = {"ok": "green", "broken": "red", "crashed": "red", "hangs": "red"}
    rows = [(c.name, c.distribution, c.version, literal(c.status, style.get(c.status, "")), "; ".join([c.error] * bool(c.error) + c.warnings))
            for c in checked]
    console().print(table(None, ["plugin", "distribution", "version", "status", "problems"], rows))
    return failed
