"""Plugin discovery: entry points in the ``ganzoo`` group, loaded one at a time.

First-party plugins (the ``ganzoo`` distribution's own entry points) load first, then every
other distribution in name order. A plugin that fails to import, or whose hook raises, is
reported with one line on stderr and skipped; the rest keep working. Whatever it raises counts,
``BaseException`` included (``SystemExit``, ``GeneratorExit``, ``KeyboardInterrupt``, ``os._exit``):
see :mod:`ganzoo.plugin.isolation` for stdout, exits and the user's own Ctrl-C, which stops the
command (:class:`PluginInterrupted`, exit 130) naming the plugin that was loading. Environment:

* ``GANZOO_STRICT_PLUGINS=1`` -- such failures (and unknown hook names) raise :class:`PluginError`.
* ``GANZOO_LOAD_PLUGINS=dist1,dist2`` -- load only these third-party distributions
  (empty: none); ganzoo's own plugins always load.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any, Callable

import pluggy

from ganzoo.plugin import hookspecs
from ganzoo.errors import PluginError, PluginInterrupted
from ganzoo.plugin.isolation import Loading, describe
from ganzoo.plugin.registry import ConflictError, Registry, suggest
from ganzoo.plugin.specs import ArchitectureSpec, DatasetSpec, LossSpec, ModelSpec, Source, WeightsSpec

CORE_DISTRIBUTION = "ganzoo"
ENTRY_POINT_GROUP = "ganzoo"
IN_CODE = "(registered in code)"

#: Hook name -> the spec type its ``register`` callback accepts, in the order hooks run.
HOOKS: dict[str, type] = {
    "register_architectures": ArchitectureSpec,
    "register_losses": LossSpec,
    "register_datasets": DatasetSpec,
    "register_models": ModelSpec,
    "register_weights": WeightsSpec,
}


@dataclass
class PluginInfo:
    """One plugin as ``ganzoo plugins`` shows it."""

    name: str
    distribution: str
    version: str
    module: str = ""
    status: str = "ok"  # ok | broken | skipped (not in GANZOO_LOAD_PLUGINS)
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Candidate:
    name: str
    distribution: str
    version: str
    load: Callable[[], Any]
    module: str = ""


_state: dict[str, Any] = {}
_in_code: list[tuple[str, Any]] = []


def _normalize(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def _strict() -> bool:
    return os.environ.get("GANZOO_STRICT_PLUGINS", "").strip().lower() not in ("", "0", "false", "no")


def _allowed() -> set[str] | None:
    value = os.environ.get("GANZOO_LOAD_PLUGINS")
    if value is None:
        return None
    return {_normalize(v) for v in value.split(",") if v.strip()}


def _warn(message: str) -> None:
    print(f"ganzoo: warning: {message}", file=sys.stderr)


def _problem(info: PluginInfo, message: str) -> None:
    """Report a plugin failure: fatal in strict mode, one warning line otherwise."""
    message = " ".join(message.split())  # an exception text with newlines still makes one line
    text = f"plugin {info.name!r} from distribution {info.distribution!r}: {message}"
    if _strict():
        raise PluginError(text + " (GANZOO_STRICT_PLUGINS is set)")
    _warn(text)


def entry_point_candidates() -> list[_Candidate]:
    """The installed plugins in load order, read from metadata alone (nothing imported)."""
    found = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.metadata["Name"] if ep.dist is not None else "unknown"
        version = ep.dist.version if ep.dist is not None else ""
        found.append(_Candidate(ep.name, dist, version, ep.load, ep.value))
    core = _normalize(CORE_DISTRIBUTION)
    found.sort(key=lambda c: (_normalize(c.distribution) != core, _normalize(c.distribution), c.name))
    return found


def _candidates() -> list[_Candidate]:
    in_code = [_Candidate(name, IN_CODE, "", (lambda obj=obj: obj), getattr(obj, "__name__", "")) for name, obj in _in_code]
    return entry_point_candidates() + in_code


def is_third_party(distribution: str) -> bool:
    """Whether a plugin of ``distribution`` is an installed third-party one (not ganzoo's, not in code)."""
    return distribution != IN_CODE and _normalize(distribution) != CORE_DISTRIBUTION


def _load() -> tuple[pluggy.PluginManager, Registry, list[PluginInfo]]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    registry = Registry()
    infos: list[PluginInfo] = []
    allowed = _allowed()
    with Loading() as loading:
        for cand in _candidates():
            info = PluginInfo(cand.name, cand.distribution, cand.version, cand.module)
            infos.append(info)
            if is_third_party(cand.distribution) and allowed is not None and _normalize(cand.distribution) not in allowed:
                info.status = "skipped"
                info.error = "not named in GANZOO_LOAD_PLUGINS"
                continue
            _load_one(pm, registry, cand, info, loading)
            _stop_if_interrupted(loading, info, None)  # a plugin that swallowed the user's Ctrl-C
    _drop_unbuildable_models(registry, infos)
    _drop_orphan_weights(registry, infos)
    return pm, registry, infos


def _load_one(pm: pluggy.PluginManager, registry: Registry, cand: _Candidate, info: PluginInfo, loading: Loading) -> None:
    """Import one plugin, run its hooks and add what they staged (or nothing, if anything failed)."""
    loading.wrote_to_stdout()  # start counting for this plugin
    try:
        plugin = cand.load()
        pm.register(plugin, name=f"{cand.distribution}:{cand.name}")
    except BaseException as exc:  # noqa: BLE001 - a broken plugin must never take ganzoo down
        _stop_if_interrupted(loading, info, exc)
        error = _describe(exc, loading)
        _broken(info, error, f"failed to load ({error}{_stdout_note(loading)}); skipped")
        return
    _check_hook_names(pm, plugin, info)
    staged = _call_hooks(pm, plugin, info, loading)
    if staged is None:
        pm.unregister(plugin)
        return
    if loading.wrote_to_stdout():
        message = "wrote to stdout while loading (ganzoo sent it to stderr, to keep its own output clean)"
        info.warnings.append(message)
        _problem(info, message)
    source = Source(cand.name, cand.distribution, cand.version)
    for spec in staged:
        spec = replace(spec, source=source)
        try:
            registry.add(spec)
            info.registered.append(f"{type(spec).__name__.removesuffix('Spec').lower()}:{spec.name}")
        except ConflictError as exc:
            info.warnings.append(str(exc))
            _problem(info, str(exc))


def _stdout_note(loading: Loading) -> str:
    return "; it also wrote to stdout, sent to stderr" if loading.wrote_to_stdout() else ""


def _describe(exc: BaseException, loading: Loading) -> str:
    """The exception on one line; a KeyboardInterrupt that no Ctrl-C caused says so."""
    text = describe(exc)
    if isinstance(exc, KeyboardInterrupt) and loading.sigint_watched:
        text += " raised by the plugin itself, not by Ctrl-C"
    return text


def _broken(info: PluginInfo, error: str, message: str) -> None:
    info.status, info.error = "broken", error
    _problem(info, message)


def _stop_if_interrupted(loading: Loading, info: PluginInfo, exc: BaseException | None) -> None:
    """The user pressed Ctrl-C while this plugin loaded: stop the command, naming the plugin."""
    if loading.interrupted:
        raise PluginInterrupted(
            f"interrupted while loading plugin {info.name!r} from distribution {info.distribution!r}; if it hangs, "
            "`ganzoo plugins --check` tests each plugin in a subprocess and GANZOO_LOAD_PLUGINS can leave it out"
        ) from exc


def _check_hook_names(pm: pluggy.PluginManager, plugin: Any, info: PluginInfo) -> None:
    """Report hook implementations whose name is not in the contract (pluggy's check_pending)."""
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.has_spec():
            info.hooks.append(caller.name)
            continue
        if all(impl.optionalhook for impl in caller.get_hookimpls() if impl.plugin is plugin):
            continue  # @hookimpl(optionalhook=True): a hook of a later ganzoo, as check_pending allows
        hint = suggest(caller.name, list(HOOKS))
        message = f"implements unknown hook {caller.name!r}{hint}; it is never called"
        info.warnings.append(message)
        # Like pluggy's check_pending(), but strict mode raises PluginError (one CLI line,
        # exit 2) instead of pluggy's PluginValidationError, which the CLI would show as a traceback.
        _problem(info, message)


def _call_hooks(pm: pluggy.PluginManager, plugin: Any, info: PluginInfo, loading: Loading) -> list[Any] | None:
    """Run one plugin's hooks into a staging list; None if any hook failed."""
    staged: list[Any] = []
    for hook_name, spec_type in HOOKS.items():
        impls = [i for i in getattr(pm.hook, hook_name).get_hookimpls() if i.plugin is plugin]
        for impl in impls:

            def register(spec: Any, _hook: str = hook_name, _type: type = spec_type) -> None:
                if not isinstance(spec, _type):
                    raise TypeError(f"{_hook} takes {_type.__name__} objects, got {type(spec).__name__}")
                staged.append(spec)

            try:
                impl.function(*[register for _ in impl.argnames])
            except BaseException as exc:  # noqa: BLE001 - see _load_one
                _stop_if_interrupted(loading, info, exc)
                error = f"{hook_name} raised {_describe(exc, loading)}"
                _broken(info, error, f"{error}{_stdout_note(loading)}; skipped")
                return None
    return staged


def _drop_unbuildable_models(registry: Registry, infos: list[PluginInfo]) -> None:
    for model in list(registry.models):
        reason = registry.broken_references(model)
        if reason is None:
            continue
        registry.models.remove(model.name)
        _report_dropped(infos, model, f"model {model.name!r} skipped: {reason}")


def _drop_orphan_weights(registry: Registry, infos: list[PluginInfo]) -> None:
    """Pretrained weights of a model that is not registered (or was just dropped) cannot load."""
    for spec in list(registry.weights):
        if spec.model not in registry.models:
            registry.weights.remove(spec.name)
            _report_dropped(infos, spec, f"pretrained weights {spec.name!r} skipped: unknown model {spec.model!r}")


def _report_dropped(infos: list[PluginInfo], spec: Any, message: str) -> None:
    src = spec.source
    info = next((i for i in infos if src and (i.distribution, i.name) == (src.distribution, src.plugin)), None)
    if info is not None:
        info.warnings.append(message)
        _problem(info, message)
    else:
        _warn(message)


def _loaded() -> tuple[pluggy.PluginManager, Registry, list[PluginInfo]]:
    if "loaded" not in _state:
        _state["loaded"] = _load()
    return _state["loaded"]


def get_registry() -> Registry:
    """The registry built from every plugin (discovered once per process)."""
    return _loaded()[1]


def plugin_infos() -> list[PluginInfo]:
    """Every discovered plugin with its status, for ``ganzoo plugins``."""
    return _loaded()[2]


def reset() -> None:
    """Forget the discovered plugins; the next lookup discovers them again."""
    _state.clear()


def register(plugin: Any, name: str) -> None:
    """Register a plugin object from code (tests, notebooks); it loads after the entry points."""
    if any(n == name for n, _ in _in_code):
        raise ValueError(f"a plugin called {name!r} is registered already")
    _in_code.append((name, plugin))
    reset()


def unregister(name: str) -> None:
    """Remove a plugin registered with :func:`register`."""
    _in_code[:] = [(n, p) for n, p in _in_code if n != name]
    reset()
