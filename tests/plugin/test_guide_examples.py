"""The plugin guide's examples, run as written: docs/plugins.md is the only source here.

Every code block of the guide that starts with ``# file: PATH`` is written to PATH of a fresh
distribution in ``tmp_path``; that distribution is really ``pip install``ed (non-editable, so
the wheel's package data counts) into a throwaway environment layered over this one (the
``venv`` fixture of ``test_install``), then trained, turned into shipped weights with
``ganzoo zoo add``, reinstalled with them and sampled by name: the whole path a plugin author
follows. The guide's other Python blocks (the ``register_weights`` example, ``resolve_config``)
are executed too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from ganzoo import WeightsSpec
from ganzoo.io.weights import read_metadata

from tests.helpers import REPO
from tests.helpers.doc_blocks import code_blocks
from tests.plugin.test_install import venv

#: Fixtures taken from test_install (pytest finds them by name in this module).
FIXTURES = (venv,)

GUIDE = REPO / "docs" / "plugins.md"
FILE = re.compile(r"^# file: (\S+)\n")


def blocks(language: str) -> list[str]:
    return [block.body for block in code_blocks(GUIDE, language)]


def guide_files() -> dict[str, str]:
    """PATH -> text of every ``# file: PATH`` block (python and toml)."""
    found = {}
    for lang in ("python", "toml"):
        for body in blocks(lang):
            match = FILE.match(body)
            if match:
                found[match.group(1)] = body[match.end():]
    return found


def test_the_guides_python_blocks_run(register_plugin) -> None:
    files = guide_files()
    assert {"pyproject.toml", "ganzoo_example/__init__.py", "ganzoo_example/nets.py", "ganzoo_example/ragan.py"} <= set(files)
    assert "[tool.setuptools.package-data]" in files["pyproject.toml"]  # what shipping weights needs
    others = [b for b in blocks("python") if not FILE.match(b)]
    weights_block = next(b for b in others if "def register_weights" in b)
    namespace: dict = {}
    exec(compile(weights_block, "docs/plugins.md", "exec"), namespace)
    registered: list = []
    namespace["register_weights"](registered.append)
    [spec] = registered
    assert isinstance(spec, WeightsSpec) and spec.name == "mlp-ragan.digits" and "fd_digits" in spec.metrics
    resolve_block = next(b for b in others if "resolve_config(get_registry()" in b)
    exec(compile(resolve_block, "docs/plugins.md", "exec"), {})  # its asserts hold


@pytest.mark.slow
def test_the_guides_plugin_installs_trains_and_ships_weights(venv: Path, tmp_path: Path) -> None:
    source = tmp_path / "ganzoo-example-plugin"
    for path, text in guide_files().items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "GANZOO_STRICT_PLUGINS": "1"}
    env.pop("GANZOO_LOAD_PLUGINS", None)

    def pip_install() -> None:
        proc = subprocess.run([str(venv), "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
                               "--force-reinstall", "--disable-pip-version-check", "-q", str(source)],
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def ganzoo(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(venv), "-m", "ganzoo", "--threads", "1", *args], capture_output=True, text=True,
                              cwd=tmp_path, env={**env, "COLUMNS": "200"}, timeout=600)
        assert proc.returncode == 0, f"ganzoo {' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
        return proc

    pip_install()
    plugins = [p for p in json.loads(ganzoo("plugins", "--json").stdout) if p["distribution"] == "ganzoo-example-plugin"]
    assert [(p["status"], sorted(p["registered"])) for p in plugins] == \
        [("ok", ["architecture:mlp", "loss:ragan", "model:mlp-ragan"])]
    run = tmp_path / "runs" / "mlp-ragan"
    ganzoo("run", "mlp-ragan", "--steps", "3", "--batch-size", "16", "--out", str(run))

    weights = source / "ganzoo_example" / "weights"
    fields = json.loads(ganzoo("zoo", "add", str(run), "mlp-ragan.digits", "--out", str(weights),
                               "--package", "ganzoo_example", "--json").stdout)
    assert fields["file"] == "ganzoo_example:weights/mlp-ragan.digits.safetensors" and fields["precision"] == "fp16"
    assert fields["command"] == "ganzoo --threads 1 run mlp-ragan --steps 3 --batch-size 16 --seed 0"  # as it ran
    assert fields["sample"] == "ganzoo_example:weights/mlp-ragan.digits.png" and fields["license"]
    assert read_metadata(weights / "mlp-ragan.digits.safetensors")["command"] == fields["command"]
    hooks = source / "ganzoo_example" / "__init__.py"
    hooks.write_text(hooks.read_text(encoding="utf-8").replace("import ArchitectureSpec,", "import WeightsSpec, ArchitectureSpec,")
                     + f"\n\n@hookimpl\ndef register_weights(register):\n    register(WeightsSpec(**{fields!r}))\n",
                     encoding="utf-8")
    pip_install()  # again, now with the weights as package data
    assert "mlp-ragan.digits" in ganzoo("list", "--pretrained").stdout
    ganzoo("sample", "mlp-ragan.digits", "-n", "4", "-o", str(tmp_path / "four.png"))
    assert (tmp_path / "four.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
