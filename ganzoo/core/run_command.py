"""The ``ganzoo run`` command that reproduces a run's configuration.

A run folder keeps its resolved ``config.json``, not the command line that made it; a zoo entry
wants the command (``WeightsSpec.command``). This rebuilds it: the model, then every setting
that changes what is trained and differs from the model's own defaults, as flags or
``--set KEY=VALUE`` (JSON values, as ``--set`` reads them), with ``--steps`` and ``--seed``
always spelled out. Settings that never change the weights (device, logging, where data lives)
are left out. Torch-free.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from ganzoo.core.config import OPTIONS, TrainConfig, resolve_config
from ganzoo.errors import GanzooError
from ganzoo.plugin.registry import Registry

#: Options that do not change the trained weights (where and how a run reports, which device).
NOT_IN_COMMAND = frozenset({"device", "data_root", "download", "log_every", "sample_every", "checkpoint_every",
                            "num_samples", "logger", "class_report_every", "class_report_samples", "eval_every"})
#: Always written, so that the command says how long and from which seed it trained.
ALWAYS = ("steps", "seed")


def _value(value: Any) -> str:
    """A ``--set`` value: plain text when ``--set`` reads it back as that text, else JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value if value and " " not in value else json.dumps(value)
        return json.dumps(value)
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def reproducing_command(registry: Registry, config: TrainConfig, threads: int | None = None) -> str:
    """``ganzoo run MODEL ...`` that resolves to ``config`` (for what changes the weights);
    ``ganzoo --threads N run ...`` when the run had ``threads`` CPU threads (a fixed-seed run
    repeats bit for bit only with as many threads)."""
    try:
        base = resolve_config(registry, config.model, {"dataset": config.dataset, "loss": config.loss})
    except (GanzooError, LookupError) as exc:
        raise GanzooError(f"cannot rebuild the command of this run ({exc}); pass --command") from None
    words = ["ganzoo", *(["--threads", str(threads)] if threads else []), "run", config.model]
    if config.dataset != registry.model(config.model).dataset:
        words += ["--dataset", config.dataset]
    if config.loss != registry.model(config.model).loss:
        words += ["--loss", config.loss]
    for name, declared in OPTIONS.items():
        if name in NOT_IN_COMMAND or name in ("dataset", "loss"):
            continue
        value, default = getattr(config, name), getattr(base, name)
        if value == default and name not in ALWAYS:
            continue
        if declared.flag and declared.kind == "switch":
            words += [declared.flag_name] if value else ["--set", f"{name}=false"]
        elif declared.flag:
            words += [declared.flag_name, _value(value)]
        else:
            words += ["--set", f"{name}={_value(value)}"]
    words += _settings(config.architecture_config, base.architecture_config, skip=("channels", "num_classes", "input_channels"))
    words += _settings(config.loss_config, base.loss_config)
    words += _settings(config.content_config, base.content_config)
    return " ".join(words)


def _settings(values: Mapping[str, Any], defaults: Mapping[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    """``--set KEY=VALUE`` for each setting that differs from its default (``image_size`` as its flag)."""
    words: list[str] = []
    for key, value in values.items():
        if key in skip or defaults.get(key) == value:
            continue
        words += ["--image-size", str(value)] if key == "image_size" else ["--set", f"{key}={_value(value)}"]
    return words
