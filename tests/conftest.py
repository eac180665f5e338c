"""Shared fixtures: isolated plugin discovery and plugins registered for one test."""

from __future__ import annotations

from typing import Iterator

import os
import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from ganzoo.plugin import discovery as plugins

# Under pytest-xdist (`-n auto`, as CI runs), the workers share the cores: each worker, and the
# ganzoo subprocesses it starts, get an equal share of torch's CPU threads instead of all of
# them each (oversubscribed, a 2-core box runs several times slower). Set before torch loads.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _share = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    os.environ.setdefault("OMP_NUM_THREADS", str(_share))
    # xdist's workers ignore SIGINT (SIG_IGN), and an ignored signal stays ignored across exec:
    # the ganzoo subprocesses the Ctrl-C tests start would never see their Ctrl-C. Give the
    # worker Python's own handler back, so its children start as a terminal's would.
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The fuzz tests (tests/hostile/test_fuzz.py) run the same examples on every machine: derandomized,
# no deadline (a busy 2-core CI box is slow), no example database, and Hypothesis's caches in
# the temp folder rather than a .hypothesis/ folder in the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ganzoo-hypothesis")
settings.register_profile(
    "ganzoo",
    derandomize=True,
    deadline=None,
    max_examples=60,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
# ``GANZOO_HYPOTHESIS_PROFILE=explore``: fresh random examples on every run (to hunt, not for CI).
settings.register_profile("explore", settings.get_profile("ganzoo"), derandomize=False)
settings.load_profile(os.environ.get("GANZOO_HYPOTHESIS_PROFILE", "ganzoo"))


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Third-party plugins installed on this machine never leak into tests; caches go to a temp dir."""
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "")
    monkeypatch.delenv("GANZOO_STRICT_PLUGINS", raising=False)
    monkeypatch.setenv("GANZOO_THREADS", "")  # what an in-process `ganzoo --threads N` sets is undone after the test
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
