"""``ganzoo plugins --deep``: import every builder a plugin names, before anyone trains.

Builders are strings (``"pkg.nets:build"``) so that listing never imports torch; the price is
that a typo in one (``"pkg.netz:build"``) passes discovery, strict mode included, and shows
only when a run builds the piece. This imports each one (torch and all) on request: the
``--deep`` flag of ``ganzoo plugins``, and a plugin's own tests (the template's test calls
:func:`builder_problems`).
"""

from __future__ import annotations

from typing import Any

from ganzoo.errors import GanzooError
from ganzoo.plugin.calls import blame
from ganzoo.plugin.registry import Registry
from ganzoo.plugin.specs import resolve


def builder_problems(registry: Registry, plugin: str | None = None) -> list[str]:
    """One line per builder of ``plugin`` (every plugin's when ``None``) that does not import
    or is not callable; ``[]`` when all are fine."""
    problems = []
    for table in (registry.architectures, registry.losses, registry.datasets):
        for spec in table:
            if plugin is not None and (spec.source is None or spec.source.plugin != plugin):
                continue
            problem = _problem(spec)
            if problem:
                problems.append(problem)
    return problems


def _problem(spec: Any) -> str:
    try:
        target = resolve(spec.builder, f"the builder of {blame(spec)}")
    except GanzooError as exc:
        return str(exc)
    if not callable(target):
        return f"the builder of {blame(spec)}, {spec.builder!r}, is a {type(target).__name__}, not something to call"
    return ""


def check_builders(registry: Registry, infos: list[Any]) -> None:
    """Mark each plugin in ``infos`` (``PluginInfo``) whose builders fail ``broken``, with the problems."""
    for info in infos:
        if info.status != "ok":
            continue
        problems = builder_problems(registry, info.name)
        if problems:
            info.status, info.error = "broken", "; ".join(problems)
