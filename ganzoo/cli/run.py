"""``ganzoo run``: train a model or continue a run.

The training flags are not written here: each comes from its ``TrainConfig`` field's
declaration (:mod:`ganzoo.core.options`), with the same help, check and name that
``ganzoo.train(...)`` and ``config.json`` use. The few arguments that are no training option
(``--resume``, ``--out``, ``--image-size``, ``--set``, ``--no-progress``, ``--nproc``) are
declared once below, as :class:`RunArgument`. Both feed the parser and :func:`options_table`,
the option table in the README (``scripts/options_table.py``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Mapping, NamedTuple

from ganzoo.api import plan_run
from ganzoo.cli.commands import help_of
from ganzoo.cli.output import bold, console, flag_type, positive_int
from ganzoo.core.config import CONTENT_KEYS, OPTIONS, RESUMABLE_KEYS
from ganzoo.core.options import Option
from ganzoo.errors import GanzooError
from ganzoo.eval.metric_names import BASELINE_PREFIX, HEADLINE_FEATURES, HEADLINE_PAIRS, headline
from ganzoo.training.world import is_main_process


class RunArgument(NamedTuple):  # a NamedTuple, not a dataclass: cheaper at CLI start-up
    """A ``ganzoo run`` argument that is no training option: its parser arguments and how the
    option table shows it."""

    name: str
    help: str
    #: The default as the option table shows it (markdown).
    shown_default: str = "-"
    #: How ``ganzoo.train`` takes it (markdown), or "-" where only the CLI has it.
    keyword: str = "-"
    metavar: str | None = None
    arguments: Mapping[str, Any] | None = None

    def add_to(self, parser: Any) -> None:
        metavar = {"metavar": self.metavar} if self.metavar and self.name.startswith("-") else {}
        parser.add_argument(self.name, help=self.help, **metavar, **(self.arguments or {}))


_RESUMABLE = " and ".join(f"--{k.replace('_', '-')}" for k in RESUMABLE_KEYS)

#: Before the training options: what to train, and where.
LEADING = (
    RunArgument("model", "model name (see `ganzoo list`)", shown_default="-", keyword="`model`", metavar="MODEL",
                arguments={"nargs": "?"}),
    RunArgument("--resume", f"continue the run in RUN_DIR from its checkpoint; only {_RESUMABLE} can change",
                keyword="`resume=`", metavar="RUN_DIR"),
    RunArgument("--config", "read the run's settings from a TOML or JSON file (a run folder's config.json re-runs "
                "that run); the flags given beside it win", keyword="`config=`", metavar="FILE"),
    RunArgument("--out", "run folder; it must not exist (or be empty): runs are never overwritten",
                shown_default="`runs/MODEL-DATASET[-N]`", keyword="`out=`", metavar="DIR"),
    RunArgument("--image-size", "image size the nets are built for (an architecture setting)",
                shown_default="the model's, else the dataset's", keyword="`image_size=`", metavar="N",
                arguments={"type": positive_int}),
)
#: After them: any other setting, and how the run is shown and started.
TRAILING = (
    RunArgument("--set", "any other setting: an architecture's or loss's (`--set ngf=32`, `--set d_norm=layer`), "
                f"the content term's ({', '.join(sorted(CONTENT_KEYS))}), or a training option without a flag; "
                "VALUE is read as JSON if it parses", keyword="`KEY=VALUE`", metavar="KEY=VALUE",
                arguments={"action": "append", "default": []}),
    RunArgument("--no-progress", "plain log lines instead of the live progress bar",
                shown_default="a live bar on a terminal", keyword="`progress=False`",
                arguments={"dest": "progress", "action": "store_false", "default": None}),
    RunArgument("--nproc", "train data-parallel in N processes on this machine (re-runs itself under torchrun); "
                "--batch-size stays the global batch, split over them", shown_default="`1`", metavar="N",
                arguments={"type": positive_int}),
)
#: The training options that have a flag, and those only ``--set`` reaches.
FLAGGED = tuple(declared for declared in OPTIONS.values() if declared.flag)
SET_ONLY = tuple(declared for declared in OPTIONS.values() if not declared.flag)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help=help_of("run"), description="Train MODEL, or continue a run with --resume RUN_DIR. "
                       "Output: progress, notes and warnings go to stderr; the final summary (steps, losses, where "
                       "the weights and samples are) goes to stdout, so `ganzoo run ... > summary.txt` keeps just that.")
    for argument in LEADING:
        argument.add_to(p)
    group = p.add_argument_group(
        "training options", "Defaults: the model's (`ganzoo info MODEL`), else TrainConfig's. These have no flag; "
        "set them with --set KEY=VALUE: " + ", ".join(d.name for d in SET_ONLY) + ".")
    for declared in FLAGGED:
        _add_option(group, declared)
    for argument in TRAILING:
        argument.add_to(p)
    p.set_defaults(func=cmd_run)


def _add_option(group: Any, declared: Option) -> None:
    if declared.kind == "switch" and declared.default is True:  # on by default: --no-X turns it off
        group.add_argument(declared.flag_name, action=argparse.BooleanOptionalAction, default=None, help=declared.help)
    elif declared.kind == "switch":  # None, not False, when absent: the model's value stays
        group.add_argument(declared.flag_name, action="store_true", default=None, help=declared.help)
    elif declared.choices:
        group.add_argument(declared.flag_name, choices=declared.choices, help=declared.help)
    else:
        group.add_argument(declared.flag_name, type=flag_type(declared), metavar=declared.metavar, help=declared.help)


def parse_set(items: list[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` items as settings (VALUE read as JSON when it parses: ``ngf=32`` is a number)."""
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


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the command line gives (flags left out are not among them), ``--set`` last."""
    overrides = {d.name: getattr(args, d.name) for d in FLAGGED if getattr(args, d.name) is not None}
    if args.image_size is not None:
        overrides["image_size"] = args.image_size
    overrides.update(parse_set(args.set))
    return overrides


def cmd_run(args: argparse.Namespace) -> int:
    overrides = overrides_of(args)
    if args.nproc and args.nproc > 1:  # re-run this command in N processes under torchrun
        from ganzoo.cli.launch import launch_cli  # subprocess and signals: only for --nproc (start-up)

        return launch_cli(args, overrides)
    plan = plan_run(args.model, out=args.out, resume=args.resume, config=args.config, **overrides)
    status = console(stderr=True)
    status.quiet = not is_main_process()  # torchrun ranks other than 0 print nothing
    config = plan.config
    if plan.resume:
        status.print(bold("resuming ", plan.run_dir), soft_wrap=True)
    else:
        status.print(bold("training ", config.model, " on ", config.dataset, f" for {config.steps} steps -> {plan.run_dir}"),
                     soft_wrap=True)  # one line, however long the names
    result = plan.fit(progress=args.progress)
    if not is_main_process():
        return 0
    metrics = "  ".join(f"{k} {v:.3f}" for k, v in result.metrics.items() if k in ("d_loss", "g_loss"))
    console().print(
        f"finished {result.step} steps in {result.seconds:.1f} s  {metrics}\n{_quality_line(result.metrics)}"
        f"weights: {result.generator}\n" + (f"         {result.ema_generator} (EMA)\n" if result.ema_generator else "")
        + f"         {result.discriminator}\n"
        f"samples: {result.run_dir / 'samples'}"
    )
    return 0


def _quality_line(metrics: dict[str, float]) -> str:
    """The last evaluation's headline numbers (image-to-image runs: beside the baseline), or nothing."""
    if any(name in metrics for name in HEADLINE_FEATURES):
        return f"quality at the last evaluation: {headline(metrics, HEADLINE_FEATURES)}\n"
    names = [k for k in HEADLINE_PAIRS if k in metrics]
    if not names:
        return ""
    ours = ", ".join(f"{k.upper()} {metrics[k]:.4g}" for k in names)
    base = ", ".join(f"{k.upper()} {metrics[BASELINE_PREFIX + k]:.4g}" for k in names if BASELINE_PREFIX + k in metrics)
    return f"held-out: {ours}  (baseline: {base})\n"


# ---------------------------------------------------------------- the README's option table
def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _shown_default(declared: Option) -> str:
    if declared.shown_default is not None:
        return declared.shown_default
    value = declared.default
    if declared.kind == "switch":
        return "off" if value is False else "on"
    if value is None or value == "":
        return "-"
    if isinstance(value, tuple):
        return f"`{list(value)}`"
    return f"`{value}`"


def _metavar(declared: Option) -> str:
    return "|".join(declared.choices) if declared.choices else declared.metavar or declared.name.upper()


def option_rows() -> list[tuple[str, str, str, str]]:
    """``(option, ganzoo.train keyword, default, meaning)`` for every argument of ``ganzoo run``
    in ``--help`` order, then the training options only ``--set`` reaches."""
    rows = []

    def argument_row(argument: RunArgument) -> tuple[str, str, str, str]:
        shown = argument.metavar if not argument.name.startswith("-") else f"{argument.name} {argument.metavar or ''}".strip()
        return f"`{shown}`", argument.keyword, argument.shown_default, argument.help

    rows += [argument_row(a) for a in LEADING]
    for declared in FLAGGED:
        if declared.kind == "switch" and declared.default is True:
            off = declared.flag_name.replace("--", "--no-", 1)
            rows.append((f"`{off}`", f"`{declared.name}=False`", _shown_default(declared), declared.help))
        elif declared.kind == "switch":
            rows.append((f"`{declared.flag_name}`", f"`{declared.name}=True`", _shown_default(declared), declared.help))
        else:
            rows.append((f"`{declared.flag_name} {_metavar(declared)}`", f"`{declared.name}=`", _shown_default(declared), declared.help))
    rows += [argument_row(a) for a in TRAILING]
    for declared in SET_ONLY:
        rows.append((f"`--set {declared.name}={_metavar(declared)}`", f"`{declared.name}=`", _shown_default(declared), declared.help))
    return rows


def options_table() -> str:
    """The markdown table of :func:`option_rows` (the README's, between its ``options`` markers)."""
    lines = ["| option | `ganzoo.train` keyword | default | meaning |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in option_rows()]
    return "\n".join(lines) + "\n"
