"""Calling plugin code after discovery: builders and factories that name their plugin when they fail.

A builder that raises is a bug of the plugin, not a mistake of the user, but the user still
gets one line (a :class:`PluginError` naming the piece, the distribution and the exception)
instead of a traceback; ``ganzoo --debug`` shows the traceback, chained with ``from``.
:class:`GanzooError` subclasses (a builder's own ``ConfigError``) pass through unchanged, and
so does ``KeyboardInterrupt``: after discovery it is the user's Ctrl-C, which the CLI reports.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable

from ganzoo.errors import GanzooError, PluginError
from ganzoo.plugin.isolation import describe
from ganzoo.plugin.specs import resolve

if TYPE_CHECKING:
    from ganzoo.plugin.specs import Spec

#: What a plugin may raise that is neither its failure nor ours to wrap.
PASS_THROUGH: tuple[type[BaseException], ...] = (GanzooError, KeyboardInterrupt)


def origin(spec: Spec) -> str:
    """``distribution 'gz-x' (plugin 'x')``: where a spec came from, for messages."""
    src = spec.source
    return f"distribution {src.distribution!r} (plugin {src.plugin!r})" if src else "an unknown plugin"


def blame(spec: Spec) -> str:
    """``architecture 'tinygan' from distribution 'gz-x' (plugin 'x')``."""
    kind = type(spec).__name__.removesuffix("Spec").lower()
    return f"{kind} {spec.name!r} from {origin(spec)}"


def guarded(spec: Spec, function: Callable[..., Any], passes: tuple[type[BaseException], ...] = ()) -> Callable[..., Any]:
    """``function`` (plugin code for ``spec``) whose failures become one :class:`PluginError`;
    exceptions of the types in ``passes`` reach the caller untouched (it turns them into a
    ``ConfigError`` of its own)."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except PASS_THROUGH + passes:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit, MemoryError, ... of a plugin: one line
            raise PluginError(
                f"the builder of {blame(spec)} failed: {describe(exc)}; this is a bug of that plugin "
                "(`ganzoo --debug ...` shows the traceback)"
            ) from exc

    return call


def plugin_function(spec: Any, passes: tuple[type[BaseException], ...] = ()) -> Callable[..., Any]:
    """``spec.builder`` imported (:func:`~ganzoo.plugin.specs.resolve`) and :func:`guarded`."""
    return guarded(spec, resolve(spec.builder, f"the builder of {blame(spec)}"), passes)
