"""Shared fixtures: isolated plugin discovery and plugins registered for one test."""

from __future__ import annotations

from typing import Iterator

import pytest

from ganzoo.plugin import discovery as plugins



@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Third-party plugins installed on this machine never leak into tests; caches go to a temp dir."""
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "")
    monkeypatch.delenv("GANZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path_factory.getbasetemp() / "ganzoo-home"))
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def register_plugin() -> Iterator:
    """``register_plugin(obj, name)`` registers a plugin for one test and removes it after."""
    names: list[str] = []

    def register(plugin: object, name: str) -> None:
        plugins.register(plugin, name)
        names.append(name)

    yield register
    for name in names:
        plugins.unregister(name)
