"""docs/plugins.md's "What your plugin's tests can use" against the code (issue 27): each class
table lists exactly the class's fields (a ``members`` table: names the class has), and each call's
parameters are the function's, so the page cannot drift from what a plugin's tests touch."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re

import pytest

from tests.helpers import REPO

GUIDE = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
SECTION = GUIDE.split("## What your plugin's tests can use", 1)[1].split("\n## ", 1)[0]
#: ``<!-- api: WHAT -->`` and the first table after it: WHAT -> the first column's backticked names.
MARKED = {m.group(1): re.findall(r"^\| `([^`]+)` \|", m.group(2), flags=re.M)
          for m in re.finditer(r"<!-- api: ([^>]+?) -->\n(.*?)(?=<!-- api:|\Z)", SECTION, flags=re.S)}


def _object(dotted: str):
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError:  # a.b.Class.method
        return getattr(_object(module), name)


def test_the_section_exists_and_covers_what_a_plugin_test_needs() -> None:
    assert set(MARKED) >= {"calls", "ganzoo.RunResult", "ganzoo.core.model.ModelCard", "members ganzoo.GanModel",
                           "ganzoo.plugin.discovery.PluginInfo", "ganzoo.DatasetRequest", "ganzoo.ImageDataset"}
    assert "#what-your-plugins-tests-can-use" in GUIDE  # in the table of contents


@pytest.mark.parametrize("what", [w for w in MARKED if w != "calls"])
def test_class_tables_match_the_code(what: str) -> None:
    members = what.startswith("members ")
    cls = _object(what.removeprefix("members "))
    listed = MARKED[what]
    assert listed and len(listed) == len(set(listed)), listed
    if members:
        assert [name for name in listed if not hasattr(cls, name) and name not in _init_attributes(cls)] == []
    else:
        assert listed == [f.name for f in dataclasses.fields(cls)], f"docs/plugins.md lists {listed} for {what}"


def _init_attributes(cls: type) -> set[str]:
    return set(re.findall(r"self\.(\w+) = ", inspect.getsource(cls.__init__)))


@pytest.mark.parametrize("call", MARKED["calls"])
def test_calls_name_real_functions_with_their_parameters(call: str) -> None:
    name, _, params = call.partition("(")
    function = _object(name)
    documented = [p.strip().lstrip("*") for p in params.rstrip(")").split(",") if p.strip() and p.strip() != "*"]
    actual = [p.name for p in inspect.signature(function).parameters.values()]
    assert documented == actual, f"docs/plugins.md: {call} but the code has {actual}"


def test_guide_and_template_register_under_the_same_kind_of_test_name() -> None:
    """Issue 27: the guide registered its plugin in tests as "example" (the entry point's own name,
    which clashes once the plugin is installed), the template as NAME-in-test."""
    from ganzoo.plugin.template import PluginNames, render

    test = render(PluginNames("acme-gan", "acme_gan", "acme-gan"))["tests/test_plugin.py"]
    assert 'discovery.register(acme_gan, "acme-gan-in-test")' in test
    assert 'plugins.register(ganzoo_example, "example-in-test")' in GUIDE
    assert 'register(ganzoo_example, "example")' not in GUIDE


def test_guide_tells_authors_about_channels_last_and_resolved_values() -> None:
    """Issue 27, items 1 and 9: what the guide's reader could not know without the source."""
    contract = GUIDE.split("### Architectures", 1)[1].split("### Losses", 1)[0]
    assert "**Batches are channels-last.**" in contract and "--no-channels-last" in contract
    assert "h.flatten(1)" in contract and "`h.view(N, -1)` raises" in contract
    assert "**Store resolved values, not \"auto\".**" in contract
