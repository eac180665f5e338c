"""``ganzoo new-plugin NAME``: write a plugin distribution from the template, ready to install.

The files come from :mod:`ganzoo.plugin.template` (the plugin guide's layout). They are written
into a temporary folder beside the target and renamed into place, so the target is either
complete or absent, and an existing folder is never written into.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ganzoo.cli.commands import help_of
from ganzoo.errors import ConfigError, StorageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("new-plugin", help=help_of("new-plugin"),
                       description="Write a new plugin distribution NAME (pyproject.toml, a package registering an "
                       "architecture and a model, its nets, a test) that installs and passes its test as written.")
    p.add_argument("name", metavar="NAME", help="the distribution's name, e.g. acme-gan (package acme_gan)")
    p.add_argument("--out", metavar="DIR", help="the folder to create (default: ./NAME); it must not exist")
    p.set_defaults(func=cmd_new_plugin)


def write_plugin(name: str, out: str | os.PathLike | None = None) -> Path:
    """Write the plugin NAME into ``out`` (default ``./NAME``), which must not exist; the folder."""
    from ganzoo.plugin.template import PluginNames, render

    names = PluginNames.of(name)
    target = Path(out if out is not None else name)
    if target.exists() or target.is_symlink():
        raise ConfigError(f"{target} exists already; new-plugin never writes into an existing folder: choose another --out")
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=parent))
    except OSError as exc:
        raise StorageError.of(exc, target) from None
    try:
        for relative, text in render(names).items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():  # made by someone else meanwhile (rename would replace an empty folder)
            raise ConfigError(f"{target} was made by someone else meanwhile; choose another --out")
        staging.rename(target)
    except OSError as exc:
        raise StorageError.of(exc, target) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def cmd_new_plugin(args: argparse.Namespace) -> int:
    from ganzoo.plugin.template import PluginNames

    target = write_plugin(args.name, args.out)
    names = PluginNames.of(args.name)
    print(  # plain print: rich would wrap the command lines
        f"wrote the plugin {names.dist} to {target}: architecture {names.slug}-mlp and model {names.slug}\n"
        f"next: ganzoo install -e {target}   (then: ganzoo plugins; ganzoo run {names.slug} --steps 100;\n"
        f"      cd {target} && python -m pytest)")
    return 0
