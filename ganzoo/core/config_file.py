"""Run settings from a file: ``ganzoo run --config FILE`` and ``ganzoo.train(config=FILE)``.

A TOML or JSON object whose keys are the run's options under their flag names (``steps``,
``batch-size`` or ``batch_size``, ``lr``, ``optimizer``, ...), ``model``, ``out`` and
``image_size``, with any other setting (an architecture's or loss's) in a ``set`` table, as
``--set`` gives it. A run folder's own ``config.json`` is such a file too: its
``architecture_config``, ``loss_config`` and ``content_config`` hold every resolved setting, so
training from it again gives the same run bit for bit; its ``architecture`` and ``world_size``
are recorded facts, accepted and checked rather than set. Settings given beside the file (flags,
keywords) win. An unknown key is refused in one line with a did-you-mean, never ignored.

TOML needs :mod:`tomllib` (Python 3.11+) or, on Python 3.10, the ``tomli`` package.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ganzoo.core.config import OPTIONS
from ganzoo.errors import ConfigError, cut, shown
from ganzoo.plugin.registry import suggest

#: Bounds of a config file: its size and how deeply it nests tables and lists.
MAX_BYTES = 1_000_000
MAX_DEPTH = 32
#: Tables of settings as a run's ``config.json`` writes them, in the order they apply (later wins).
SECTIONS = ("architecture_config", "loss_config", "content_config")
#: Keys besides the options.
RUN_KEYS = ("model", "out", "image_size", "set")
#: Keys a run's ``config.json`` records that ganzoo decides: ``architecture`` is the model's
#: (checked), ``world_size`` the number of processes of its launch (``--nproc`` chooses it anew).
RECORDED = ("architecture", "world_size")


@dataclass(frozen=True)
class RunFile:
    """What a config file asks for: the model, the run folder and every other setting."""

    source: str
    model: str | None = None
    out: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    architecture: str | None = None

    def check_architecture(self, architecture: str) -> None:
        """A recorded ``architecture`` must be the one the model builds."""
        if self.architecture not in (None, architecture):
            raise ConfigError(f"{self.source}: architecture {self.architecture!r} is not the model's ({architecture!r}); "
                              "a model decides its architecture: name another model")


def read_run_file(config: str | os.PathLike | Mapping[str, Any]) -> RunFile:
    """The settings of a ``.toml``/``.json`` file (or of a mapping already read)."""
    if isinstance(config, Mapping):
        return run_settings(config, "config")
    path = Path(config)
    if path.is_dir() and (path / "config.json").is_file():
        path = path / "config.json"  # a run folder stands for its config.json
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ConfigError(f"{path}: give a .toml or .json config file")
    text = _read_bounded(path)
    try:
        data = _toml().loads(text) if suffix == ".toml" else json.loads(text)
    except RecursionError:
        raise ConfigError(f"{path} nests tables or lists deeper than Python can read; a config file nests "
                          f"at most {MAX_DEPTH} levels") from None
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise ConfigError(f"{path} is not valid {suffix[1:].upper()}: {cut(' '.join(str(exc).split()))}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected an object of settings, got {type(data).__name__}")
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(f"{path} nests tables or lists more than {MAX_DEPTH} levels deep; no setting needs that")
    return run_settings(data, str(path))


def _read_bounded(path: Path) -> str:
    """The text of a regular file of at most :data:`MAX_BYTES` (a FIFO would block, a huge file
    would only take memory)."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise ConfigError(f"config file {path} is not a regular file")
        if status.st_size > MAX_BYTES:
            raise ConfigError(f"config file {path} holds {status.st_size:,} bytes; a config file holds at most "
                              f"{MAX_BYTES:,} (a run's own config.json is a few KB)")
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:  # it grew meanwhile
            raise ConfigError(f"config file {path} holds more than {MAX_BYTES:,} bytes")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {cut(' '.join(str(exc).split()))}") from None


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and tables (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest


def _toml() -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ConfigError("reading TOML needs Python 3.11 or the tomli package (pip install tomli); "
                              "or write the settings as JSON") from None
    return tomllib


def run_settings(data: Mapping[str, Any], source: str) -> RunFile:
    """Sort a file's keys into model, folder and settings (sections < top-level keys < ``set``)."""
    data = {_key(k): v for k, v in data.items()}
    known = sorted({*OPTIONS, *RUN_KEYS, *SECTIONS, *RECORDED})
    for key in data:
        if key not in known:
            raise ConfigError(f"{source}: unknown key {shown(key)}{suggest(key, known)}; "
                              "an architecture's or loss's setting goes in the set table")
    settings: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for section in SECTIONS:
        for key, value in _table(data.get(section, {}), section, source).items():
            if key in origin and settings[key] != value:
                raise ConfigError(f"{source}: {key} is set in both {origin[key]} and {section}; keep one")
            settings[key], origin[key] = value, section
    settings.update({k: v for k, v in data.items() if k in OPTIONS or k == "image_size"})
    settings.update(_table(data.get("set", {}), "set", source))
    if isinstance(settings.get("betas"), list):  # as TrainConfig.from_dict reads config.json
        settings["betas"] = tuple(settings["betas"])
    for key in ("model", "out", "architecture"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ConfigError(f"{source}: {key} must be text, got {shown(data[key])}")
    return RunFile(source, data.get("model"), data.get("out"), settings, data.get("architecture"))


def _key(key: Any) -> str:
    return str(key).replace("-", "_")


def _table(value: Any, name: str, source: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {name} must be a table of settings (KEY = VALUE), got {shown(value)}")
    return {_key(k): v for k, v in value.items()}
