'''The plugin template of ``ganzoo new-plugin NAME``: the documented layout, filled in for NAME.

The files are the plugin guide's (docs/plugins.md) minimal plugin, cut to what a new plugin
starts from: a ``pyproject.toml`` with one entry point in the group ``ganzoo``, a package whose
``__init__.py`` registers an architecture and a model (specs only: no torch), a ``nets.py`` with
the builder, and a test at the guide's three levels (the nets, the registration in strict mode,
a few training steps). Kept as strings here rather than package data: the files are Python
that would otherwise sit inside ganzoo's own package (and its import-layer checks), and one
module needs no packaging rule. Torch-free.
'''

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib.util import find_spec

from ganzoo.errors import ConfigError
from ganzoo.plugin.discovery import _normalize

#: A distribution name (PEP 508): letters, digits, ``.``, ``_``, ``-``, starting and ending with a letter or digit.
_DIST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class PluginNames:
    """The names a new plugin goes by, all derived from NAME."""

    dist: str  # the distribution (``pip install``, ``GANZOO_LOAD_PLUGINS``)
    package: str  # the importable package: NAME with ``-``/``.`` as ``_``
    slug: str  # the entry point's name (``ganzoo plugins``) and the model's; the architecture is SLUG-mlp

    @classmethod
    def of(cls, name: str) -> PluginNames:
        """Check NAME: a valid distribution name whose package name is free to import."""
        if not _DIST.match(name):
            raise ConfigError(f"plugin name {name!r} is no distribution name: use letters, digits, '-', '_' and '.', "
                              "starting and ending with a letter or digit (e.g. acme-gan)")
        package = re.sub(r"[-.]+", "_", name).lower()
        if not package.isidentifier() or keyword.iskeyword(package) or package[0].isdigit():
            raise ConfigError(f"plugin name {name!r} makes the package name {package!r}, which Python cannot import; "
                              "start it with a letter")
        try:
            taken = find_spec(package) is not None
        except (ImportError, ValueError):
            taken = True
        if taken:
            raise ConfigError(f"a module called {package!r} is importable already; pick a name that shadows nothing "
                              "(prefix it, e.g. acme-{name})".replace("{name}", name))
        return cls(name, package, _normalize(name))


def render(names: PluginNames) -> dict[str, str]:
    """The new distribution's files: relative path -> text."""
    fill = {"dist": names.dist, "package": names.package, "slug": names.slug}
    return {path.format(**fill): _fill(text, fill) for path, text in _FILES.items()}


def _fill(text: str, fill: dict[str, str]) -> str:
    """``{{dist}}``, ``{{package}}``, ``{{slug}}`` replaced; every other brace is left as written."""
    for key, value in fill.items():
        text = text.replace("{{" + key + "}}", value)
    return text


_PYPROJECT = '''\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "{{dist}}"
version = "0.1.0"
description = "A ganzoo plugin: the {{slug}}-mlp architecture and the {{slug}} model."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["ganzoo"]

[project.optional-dependencies]
test = ["pytest"]

# ganzoo finds plugins through this group: NAME = "importable.module" (the module holding the
# @ganzoo.hookimpl functions). It must stay cheap to import: no torch at its top level.
[project.entry-points.ganzoo]
{{slug}} = "{{package}}"

[tool.setuptools]
packages = ["{{package}}"]

# Pretrained weights your wheel ships (`ganzoo zoo add RUN_DIR {{slug}}.TAG --out {{package}}/weights`):
# uncomment so the files go into the wheel; without it a shipped file is left out of the install.
# [tool.setuptools.package-data]
# {{package}} = ["weights/*.safetensors", "weights/*.png"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

_README = '''\
# {{dist}}

A ganzoo plugin, made with `ganzoo new-plugin {{dist}}`: the architecture
`{{slug}}-mlp` (a fully connected generator and discriminator) and the model `{{slug}}` (it with
the `bce` loss on the `digits` dataset).

```console
$ ganzoo install ./{{dist}}            # or: pip install ./{{dist}}
$ ganzoo plugins                       # {{slug}}  {{dist}}  0.1.0  ok  architecture:{{slug}}-mlp, model:{{slug}}
$ ganzoo plugins --deep                # also imports every builder string: a typo shows here, not at `ganzoo run`
$ ganzoo run {{slug}} --steps 500 --out runs/{{slug}}
$ python -m pytest                     # the plugin's own tests
```

Edit `{{package}}/nets.py` (the nets) and `{{package}}/__init__.py` (what is registered); the
plugin guide (docs/plugins.md in ganzoo) documents every hook, spec and builder contract.
'''

_INIT = '''\
"""{{dist}}: a ganzoo plugin registering the architecture {{slug}}-mlp and the model {{slug}}.

ganzoo imports this module on every command that looks anything up (`ganzoo list` included),
so it registers specs only: the builder is a string, and torch is imported by nets.py when a run
builds the nets.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="{{slug}}-mlp",
            task="noise",
            builder="{{package}}.nets:build",
            summary="Fully connected generator and discriminator (flattened images), any image size",
            defaults={"nz": 32, "hidden": 128, "layers": 2, "image_size": 16, "channels": 1},
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="{{slug}}",
            architecture="{{slug}}-mlp",
            loss="bce",
            summary="Small fully connected GAN on 16x16 digits",
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "batch_size": 64, "steps": 2000},
            architecture_config={"image_size": 16},
            dataset="digits",
        )
    )


# Pretrained weights: `ganzoo zoo add RUN_DIR {{slug}}.digits --out {{package}}/weights --package {{package}}`
# prints the WeightsSpec(...) to paste here (and uncomment the package-data lines in pyproject.toml).
# from ganzoo import WeightsSpec
#
# @hookimpl
# def register_weights(register):
#     register(WeightsSpec(...))
'''

_NETS = '''\
"""The nets of {{slug}}-mlp: z (N, nz) -> images (N, C, S, S) in [-1, 1] -> one logit per image (N,)."""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.errors import ConfigError


def _hidden(width_in: int, hidden: int, layers: int, activation: nn.Module) -> list[nn.Module]:
    stack: list[nn.Module] = []
    for i in range(layers):
        stack += [nn.Linear(width_in if i == 0 else hidden, hidden), activation]
    return stack


class Generator(nn.Module):
    def __init__(self, nz: int, hidden: int, layers: int, channels: int, image_size: int) -> None:
        super().__init__()
        self.shape = (channels, image_size, image_size)
        self.main = nn.Sequential(*_hidden(nz, hidden, layers, nn.ReLU()),
                                  nn.Linear(hidden, channels * image_size * image_size), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z).view(z.shape[0], *self.shape)


class Discriminator(nn.Module):
    def __init__(self, hidden: int, layers: int, channels: int, image_size: int) -> None:
        super().__init__()
        self.main = nn.Sequential(nn.Flatten(), *_hidden(channels * image_size * image_size, hidden, layers, nn.LeakyReLU(0.2)),
                                  nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


def build(config: dict) -> tuple[nn.Module, nn.Module]:
    """The builder ganzoo calls with the architecture's defaults updated by the model, the dataset
    and the user (image_size, channels): returns (generator, discriminator)."""
    nz, hidden, layers = int(config["nz"]), int(config["hidden"]), int(config["layers"])
    channels, size = int(config["channels"]), int(config["image_size"])
    if min(nz, hidden, layers, channels, size) < 1:
        raise ConfigError(f"architecture {{slug}}-mlp needs nz, hidden, layers, channels and image_size >= 1, got {config}")
    return Generator(nz, hidden, layers, channels, size), Discriminator(hidden, layers, channels, size)
'''

_TEST = '''\
"""Tests of {{dist}} at the plugin guide's three levels: the nets, the registration, a short run."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import ganzoo
import {{package}}
from ganzoo.core.config import resolve_config
from ganzoo.plugin import discovery
from ganzoo.plugin.builders_check import builder_problems
from {{package}}.nets import build

CONFIG = {"nz": 32, "hidden": 16, "layers": 2, "image_size": 16, "channels": 1}


@pytest.mark.parametrize("size, channels", [(8, 1), (16, 3)])
def test_nets_shapes_and_range(size: int, channels: int) -> None:
    generator, discriminator = build({**CONFIG, "image_size": size, "channels": channels})
    images = generator(torch.randn(4, CONFIG["nz"]))
    assert images.shape == (4, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert discriminator(images).shape == (4,)


def test_top_level_module_does_not_import_torch() -> None:
    code = "import sys, {{package}}; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert proc.stdout.strip() == "False"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch):
    """The plugin registered from code, alone and in strict mode (any problem is an error)."""
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "")  # installed third-party plugins (this one too) stay out
    discovery.register({{package}}, "{{slug}}-in-test")  # not the entry point's name: installed, that one shows as skipped
    try:
        yield discovery.get_registry()
    finally:
        discovery.unregister("{{slug}}-in-test")


def test_registers_architecture_and_model(registry) -> None:
    info = next(i for i in discovery.plugin_infos() if i.name == "{{slug}}-in-test")
    assert info.status == "ok" and not info.warnings
    assert sorted(info.registered) == ["architecture:{{slug}}-mlp", "model:{{slug}}"]
    config = resolve_config(registry, "{{slug}}")
    assert (config.architecture, config.loss, config.dataset) == ("{{slug}}-mlp", "bce", "digits")
    assert config.architecture_config["image_size"] == 16


def test_every_builder_imports(registry) -> None:
    """A mistyped builder string ("{{package}}.netz:build") passes registration; importing it shows it
    (what `ganzoo plugins --deep` does for every installed plugin)."""
    assert builder_problems(registry, "{{slug}}-in-test") == []


def test_trains_and_samples(registry, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    result = ganzoo.train("{{slug}}", steps=2, batch_size=16, device="cpu", out=tmp_path / "run", progress=False)
    assert result.step == 2 and result.generator.is_file()
    model = ganzoo.load(result.generator, device="cpu")
    assert model.sample(4, seed=0).shape == (4, 1, 16, 16)
'''

#: Relative path (``{package}`` filled in) -> text (``{{...}}`` filled in).
_FILES = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "{package}/__init__.py": _INIT,
    "{package}/nets.py": _NETS,
    "tests/test_plugin.py": _TEST,
}
