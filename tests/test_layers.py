"""The package's layers, read from the source: who may import whom, and no import cycles.

Every import statement of every module under ``ganzoo/`` is parsed with :mod:`ast` -- at module
level and inside functions (and under ``if TYPE_CHECKING:``), ``import x``, ``from x import y``,
relative imports resolved, and ``importlib.import_module("literal")`` -- and checked against
the one-way rule below (lowest layer first):

====================  =====================================================================
layer                 may import (besides its own package, whose modules import each other)
====================  =====================================================================
base                  nothing from ganzoo (``ganzoo/errors.py``, ``ganzoo/_version.py``)
plugin, metrics       base (``ganzoo.plugin`` never imports torch at all)
io                    plugin, base
data                  io, plugin, base (decoded tensors: they know nothing of models)
core                  data, io, plugin, metrics, base (task adapters split and show data)
interop, report       core and below (other formats in and out: peer checkpoints, ONNX; plots of run folders)
eval                  core and below
training              eval and below
api                   training, interop, report and below
cli                   api and below
top                   anything (``ganzoo/__init__.py``, ``ganzoo/__main__.py``: the public face)
====================  =====================================================================

Within one package modules import each other freely, but the whole module graph has no cycles.
Code inside the package uses the new module paths only: an old flat-layout path
(``ganzoo.MOVED_MODULES``) is an error here, as is a ``ganzoo.*`` module that does not exist.

The first-party plugins (``plugins/``, installed as ``ganzoo_plugins``) and the example
third-party plugin use ganzoo's public surfaces only, never the trainer, the CLI or the API
module that sit above them. First-party plugins use the new paths; the example plugin is
third-party code written against the flat layout, so its old paths (``ganzoo.losses``) must keep working.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pytest

import ganzoo

from tests.helpers import REPO

PACKAGE = REPO / "ganzoo"
FIRST_PARTY_PLUGINS = (REPO / "plugins", "ganzoo_plugins")
EXAMPLE_PLUGIN = (REPO / "examples" / "ganzoo-example-plugin" / "ganzoo_example", "ganzoo_example")

#: Layer -> the layers it may import from (its own package is always allowed).
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "plugin": {"base"},
    "metrics": {"base"},
    "io": {"plugin", "base"},
    "data": {"io", "plugin", "base"},
    "core": {"data", "io", "plugin", "metrics", "base"},
}
for _lower, _layer in zip(("core", "eval", "training", "api", "cli"), ("eval", "training", "api", "cli", "top")):
    ALLOWED[_layer] = ALLOWED[_lower] | {_lower}  # each of these: the one below and all it may import
for _side in ("interop", "report"):  # beside eval and training: built on core, used by api, cli and top
    ALLOWED[_side] = ALLOWED["core"] | {"core"}
    for _layer in ("api", "cli", "top"):
        ALLOWED[_layer] |= {_side}
#: Modules that are a layer on their own (the rest take the layer of their sub-package).
SINGLE_MODULES = {"ganzoo": "top", "ganzoo.__main__": "top", "ganzoo.errors": "base", "ganzoo._version": "base",
                  "ganzoo.api": "api"}

#: Sub-packages, each a layer of its own name.
SUB_PACKAGES = ("plugin", "metrics", "io", "core", "data", "eval", "training", "interop", "report", "cli")

#: What plugins may import from ganzoo: the public surfaces below the trainer.
PLUGIN_MODULES = ("ganzoo", "ganzoo.errors", "ganzoo.plugin.hookspecs", "ganzoo.plugin.specs")
PLUGIN_PACKAGES = ("ganzoo.metrics", "ganzoo.io", "ganzoo.core", "ganzoo.data")
#: Importing any of these drags torch in.
TORCH = ("torch", "torchvision", "safetensors.torch")


@dataclass(frozen=True)
class Import:
    where: str  # "ganzoo/core/model.py:12"
    source: str  # the importing module, dotted
    target: str  # the imported module (a ganzoo module when first-party), dotted
    line: int
    typing_only: bool = False  # under ``if TYPE_CHECKING:``: never runs, still a dependency

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}" + (" (under TYPE_CHECKING)" if self.typing_only else "")


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of a package folder."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


GANZOO = module_files(PACKAGE, "ganzoo")


def is_package(module: str, files: dict[str, Path]) -> bool:
    return files[module].name == "__init__.py"


def _import_module_literal(node: ast.Call) -> str | None:
    """``import_module("x")`` / ``importlib.import_module("x")`` with a literal absolute name."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
        value = node.args[0].value
        if isinstance(value, str) and not value.startswith("."):
            return value
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, files: dict[str, Path], known: dict[str, Path]) -> list[Import]:
    """Every import in one file, resolved to the modules it names.

    ``from a import b`` names the module ``a.b`` when that is a module of ``known``, else ``a``
    (``b`` is an attribute). Parent packages a dotted import runs on the way are not counted:
    ``import a.b.c`` depends on ``a.b.c``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if is_package(module, files) else module.rpartition(".")[0]
    where = (path.relative_to(REPO) if path.is_relative_to(REPO) else path).as_posix()
    found = []
    typing_only = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                   for statement in node.body for sub in ast.walk(statement)}

    def add(target: str, node: ast.AST) -> None:
        found.append(Import(f"{where}:{node.lineno}", module, target, node.lineno, id(node) in typing_only))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    raise AssertionError(f"{where}:{node.lineno}: relative import beyond the top-level package")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in known or sub in ganzoo.MOVED_MODULES or is_torch(sub) else base, node)
        elif isinstance(node, ast.Call) and (target := _import_module_literal(node)):
            add(target, node)
    return sorted(set(found), key=lambda i: (i.line, i.target))


def layer_of(module: str) -> str | None:
    if module in SINGLE_MODULES:
        return SINGLE_MODULES[module]
    parts = module.split(".")
    return parts[1] if parts[0] == "ganzoo" and len(parts) >= 2 and parts[1] in SUB_PACKAGES else None


def package_of(module: str) -> str:
    """The sub-package a module belongs to (``ganzoo.core`` for ``ganzoo.core.model``), or itself."""
    return ".".join(module.split(".")[:2]) if layer_of(module) not in ("top", "base", "api") else module


def first_party_target(imp: Import) -> bool:
    return imp.target == "ganzoo" or imp.target.startswith("ganzoo.")


def is_torch(target: str) -> bool:
    return any(target == t or target.startswith(t + ".") for t in TORCH)


def plugin_surface(target: str) -> bool:
    return target in PLUGIN_MODULES or any(target == p or target.startswith(p + ".") for p in PLUGIN_PACKAGES)


def path_problem(imp: Import) -> str | None:
    """An old flat-layout path, or a ganzoo module that does not exist."""
    if imp.target in ganzoo.MOVED_MODULES:
        return f"{imp}: an old module path; import {ganzoo.MOVED_MODULES[imp.target]}"
    if imp.target not in GANZOO:
        return f"{imp}: no such module in ganzoo/"
    return None


# ---------------------------------------------------------------- the package's own imports
@cache
def ganzoo_imports() -> dict[str, list[Import]]:
    """Module -> its imports, for every module under ganzoo/ (read once, when a test first asks)."""
    return {module: imports_of(module, path, GANZOO, GANZOO) for module, path in GANZOO.items()}


def test_every_module_has_a_layer():
    assert [m for m in GANZOO if layer_of(m) is None] == [], "a new sub-package: give it a layer in this test and the README"
    assert {layer_of(m) for m in GANZOO} == set(ALLOWED), "a layer with no modules: out of date"


def test_imports_go_down_the_layers_only():
    problems = []
    for module, found in ganzoo_imports().items():
        for imp in filter(first_party_target, found):
            if (problem := path_problem(imp)) is not None:
                problems.append(problem)
                continue
            source, target = layer_of(module), layer_of(imp.target)
            if package_of(imp.target) != package_of(module) and target not in ALLOWED[source]:
                problems.append(f"{imp}: {source} may not import {target}")
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def _graph() -> dict[str, dict[str, Import]]:
    """Module -> {imported ganzoo module: the first import statement naming it}."""
    graph: dict[str, dict[str, Import]] = {m: {} for m in GANZOO}
    for module, found in ganzoo_imports().items():
        for imp in found:
            if imp.target in GANZOO and (imp.target not in graph[module] or graph[module][imp.target].typing_only):
                graph[module][imp.target] = imp  # the first import naming it, one that runs if any does
    return graph


def find_cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One cycle through each strongly connected component with more than one module (or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan, recursive: the graph is a few dozen modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)

    cycles = []
    for component in components:
        members, start = set(component), min(component)
        if len(component) == 1 and start not in graph[start]:
            continue
        # The shortest way from the start back to itself inside the component: a readable cycle.
        paths, frontier = {start: [start]}, [start]
        while not any(start in graph[v] for v in frontier):
            following = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w in members and w not in paths:
                        paths[w] = paths[v] + [w]
                        following.append(w)
            frontier = following
        last = next(v for v in frontier if start in graph[v])
        cycles.append(paths[last] + [start])
    return cycles


def test_no_import_cycles():
    graph = _graph()
    cycles = find_cycles(graph)
    lines = []
    for cycle in cycles:
        lines.append(" -> ".join(cycle))
        lines += [f"    {graph[a][b]}" for a, b in zip(cycle, cycle[1:])]
    assert not cycles, "import cycles (module level and function level count alike):\n" + "\n".join(lines)


def test_cycle_finder_finds_a_cycle():
    imp = Import("x.py:1", "a", "b", 1)
    graph = {"a": {"b": imp}, "b": {"c": imp}, "c": {"a": imp, "d": imp}, "d": {}, "e": {"e": imp}}
    assert sorted(find_cycles(graph)) == [["a", "b", "c", "a"], ["e", "e"]]
    assert find_cycles({"a": {"b": imp}, "b": {}}) == []


def test_the_plugin_layer_never_imports_torch():
    """Listing models and plugins runs no torch: ``ganzoo.plugin`` (and all it reaches) imports none."""
    graph = _graph()
    reached, todo = set(), [m for m in GANZOO if layer_of(m) == "plugin"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += list(graph[module])
    problems = [f"{imp}" for m in sorted(reached) for imp in ganzoo_imports()[m] if is_torch(imp.target)]
    assert not problems, "torch imported by the torch-free plugin layer:\n" + "\n".join(problems)


# ---------------------------------------------------------------- plugins: public surfaces only
@pytest.mark.parametrize("root, package, old_paths_ok", [(*FIRST_PARTY_PLUGINS, False), (*EXAMPLE_PLUGIN, True)],
                         ids=["ganzoo_plugins", "example"])
def test_plugins_import_public_surfaces_only(root: Path, package: str, old_paths_ok: bool):
    files = module_files(root, package)
    assert files, root
    problems = []
    for module, path in files.items():
        for imp in filter(first_party_target, imports_of(module, path, files, {**GANZOO, **files})):
            if old_paths_ok and imp.target in ganzoo.MOVED_MODULES:
                imp = replace(imp, target=ganzoo.MOVED_MODULES[imp.target])
            if (problem := path_problem(imp)) is not None:
                problems.append(problem)
            elif not plugin_surface(imp.target):
                problems.append(f"{imp}: not a surface for plugins ({', '.join(PLUGIN_MODULES + PLUGIN_PACKAGES)})")
    assert not problems, "plugins reaching past ganzoo's public surfaces:\n" + "\n".join(problems)


def test_the_import_reader_resolves_every_form(tmp_path: Path):
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("from . import leaf\n")
    (root / "sub" / "leaf.py").write_text("from .. import other\n")
    (root / "other.py").write_text(
        "import os.path\n"
        "from .sub import leaf\n"
        "from .sub.leaf import thing, other_thing\n"
        "from . import sub\n"
        "def late():\n"
        "    from pkg.sub import not_a_module\n"
        "    import importlib; importlib.import_module('pkg.sub.leaf')\n"
        "if TYPE_CHECKING:\n"
        "    import pkg.sub.leaf\n"
    )
    (root / "bad.py").write_text("from ... import x\n")
    files = module_files(root, "pkg")
    assert set(files) == {"pkg", "pkg.sub", "pkg.sub.leaf", "pkg.other", "pkg.bad"}
    found = imports_of("pkg.other", files["pkg.other"], files, files)
    assert [(i.target, i.line, i.typing_only) for i in found] == [
        ("os.path", 1, False), ("pkg.sub.leaf", 2, False), ("pkg.sub.leaf", 3, False), ("pkg.sub", 4, False),
        ("pkg.sub", 6, False), ("importlib", 7, False), ("pkg.sub.leaf", 7, False), ("pkg.sub.leaf", 9, True),
    ]
    assert [i.target for i in imports_of("pkg.sub", files["pkg.sub"], files, files)] == ["pkg.sub.leaf"]
    assert [i.target for i in imports_of("pkg.sub.leaf", files["pkg.sub.leaf"], files, files)] == ["pkg.other"]
    with pytest.raises(AssertionError, match="bad.py:1: relative import beyond the top-level package"):
        imports_of("pkg.bad", files["pkg.bad"], files, files)


# ---------------------------------------------------------------- the old flat-layout paths
def test_old_module_paths_are_the_new_modules():
    for old, new in ganzoo.MOVED_MODULES.items():
        assert new in GANZOO and old not in GANZOO, (old, new)
        assert importlib.import_module(old) is importlib.import_module(new), old
        assert sys.modules[old] is sys.modules[new], old
    # The other spellings of an import reach the same objects.
    from ganzoo import trainer
    import ganzoo.plugins as discovery
    from ganzoo.losses import Loss

    assert trainer is importlib.import_module("ganzoo.training.trainer")
    assert discovery is importlib.import_module("ganzoo.plugin.discovery")
    assert Loss is importlib.import_module("ganzoo.core.losses").Loss


def test_old_module_paths_import_in_a_fresh_process(tmp_path: Path):
    """Without the test process's imports first: each old path on its own, as 0.2 code writes it."""
    code = (
        "import importlib, json, sys\n"
        "moved = json.loads(sys.argv[1])\n"
        "for old, new in moved.items():\n"
        "    assert importlib.import_module(old) is sys.modules[new], old\n"
        "print('same modules')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(ganzoo.MOVED_MODULES)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "same modules"
