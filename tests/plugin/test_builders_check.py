"""``ganzoo plugins --deep`` (and ``--check --deep``): a mistyped builder string is reported before
anyone trains (issue 27, item 2); strict mode alone lets it pass, since builders are imported lazily."""

from __future__ import annotations

import json
from pathlib import Path

import ganzoo
from ganzoo.cli.main import main
from ganzoo.plugin import discovery
from ganzoo.plugin.builders_check import builder_problems
from tests.helpers import make_distribution, run_cli
from tests.helpers.view_plugin import ViewPlugin

TYPO = '''
import ganzoo

@ganzoo.hookimpl
def register_architectures(register):
    register(ganzoo.ArchitectureSpec(name="typo-arch", task="noise", builder="tests.helpers.view_plugn:build",
                                     defaults={"nz": 8, "image_size": 16, "channels": 1}))

@ganzoo.hookimpl
def register_losses(register):
    register(ganzoo.LossSpec(name="typo-loss", builder="ganzoo.core.losses:NoSuchLoss"))
'''


class TypoPlugin:
    @ganzoo.hookimpl
    def register_architectures(self, register):
        register(ganzoo.ArchitectureSpec(name="typo-arch", task="noise", builder="tests.helpers.view_plugin:biuld",
                                         defaults={"nz": 8, "image_size": 16, "channels": 1}))


def test_deep_reports_a_mistyped_builder_that_strict_mode_lets_pass(register_plugin, monkeypatch, capsys):
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    register_plugin(TypoPlugin(), "typo")
    assert main(["plugins", "--json"]) == 0  # discovery (strict) sees nothing wrong: builders are strings
    capsys.readouterr()
    assert main(["plugins", "--deep", "--json"]) == 1
    info = next(i for i in json.loads(capsys.readouterr().out) if i["name"] == "typo")
    assert info["status"] == "broken"
    assert "architecture 'typo-arch'" in info["error"] and "'tests.helpers.view_plugin:biuld'" in info["error"]


def test_builder_problems_is_empty_for_a_good_plugin_and_names_only_the_asked_plugin(register_plugin):
    register_plugin(ViewPlugin(), "viewplug")
    register_plugin(TypoPlugin(), "typo")
    registry = discovery.get_registry()
    assert builder_problems(registry, "viewplug") == []
    [problem] = builder_problems(registry)  # every plugin's, ganzoo's own included: only the typo
    assert builder_problems(registry, "typo") == [problem]
    assert problem.startswith("cannot import the builder of architecture 'typo-arch' from distribution")


def test_check_deep_reports_the_typo_from_a_subprocess(tmp_path: Path):
    site = make_distribution(tmp_path / "site", "gz-typo", {"gz_typo": TYPO}, {"typo": "gz_typo"})
    env = {"PYTHONPATH": f"{site}:{Path(__file__).resolve().parents[2]}", "GANZOO_LOAD_PLUGINS": "", "OMP_NUM_THREADS": "1"}
    shallow = run_cli("plugins", "--check", "--json", env=env, timeout=120)
    assert shallow.returncode == 0 and json.loads(shallow.stdout)[0]["status"] == "ok"
    deep = run_cli("plugins", "--check", "--deep", "--json", env=env, timeout=120)
    assert deep.returncode == 1, deep.stderr
    [found] = json.loads(deep.stdout)
    assert found["status"] == "broken"
    assert "architecture 'typo-arch'" in found["error"] and "loss 'typo-loss'" in found["error"]
    assert "NoSuchLoss" in found["error"]
