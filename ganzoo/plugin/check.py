"""``ganzoo plugins --check``: load each third-party distribution in a subprocess of its own.

Some plugins take the whole process down where nothing in it can catch them (a crash in native
code, a signal sent to itself, ``exit`` through ``ctypes``) or hang at import; then the command
the user ran just dies or freezes, with no line naming anyone. This check never imports a
third-party plugin in its own process: it runs ``ganzoo plugins --json`` once per distribution
with ``GANZOO_LOAD_PLUGINS`` naming only that one, and reads what came back, or how it died.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from ganzoo.plugin import discovery

#: Seconds one distribution may take to load before it is reported as hanging.
DEFAULT_TIMEOUT_S = 60.0


@dataclass
class Checked:
    """One third-party plugin as the check saw it; ``status`` adds ``crashed`` and ``hangs`` to
    those of :class:`~ganzoo.plugin.discovery.PluginInfo`."""

    name: str
    distribution: str
    version: str
    status: str
    error: str = ""
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_plugins(timeout: float = DEFAULT_TIMEOUT_S, deep: bool = False) -> list[Checked]:
    """Every installed third-party plugin, loaded one distribution per subprocess (with ``deep``,
    each one's builders imported too: see :mod:`ganzoo.plugin.builders_check`)."""
    by_dist: dict[str, list[Any]] = {}
    for cand in discovery.entry_point_candidates():
        if discovery.is_third_party(cand.distribution):
            by_dist.setdefault(cand.distribution, []).append(cand)
    return [checked for dist, cands in by_dist.items() for checked in _check_distribution(dist, cands, timeout, deep)]


def _check_distribution(dist: str, cands: list[Any], timeout: float, deep: bool) -> list[Checked]:
    env = {**os.environ, "GANZOO_LOAD_PLUGINS": dist}
    env.pop("GANZOO_STRICT_PLUGINS", None)  # report what is broken instead of stopping at the first problem
    try:
        proc = subprocess.run([sys.executable, "-m", "ganzoo", "plugins", "--json", *["--deep"] * deep], env=env, capture_output=True,
                              text=True, errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return _all(cands, "hangs", f"loading it did not finish within {timeout:g} s; {_remedy(dist)}")
    died = None if deep and proc.returncode == 1 else _death(proc.returncode, proc.stderr)  # 1: --deep found a problem
    if died is None:
        try:
            reported = {(i["distribution"], i["name"]): i for i in json.loads(proc.stdout)}
        except (ValueError, TypeError, KeyError):
            died = f"the check could not read its report (exit code {proc.returncode}{_last_words(proc.stderr)})"
        else:
            return [_from_report(c, reported.get((c.distribution, c.name))) for c in cands]
    return _all(cands, "crashed", f"{died}; {_remedy(dist)}")


def _from_report(cand: Any, info: dict[str, Any] | None) -> Checked:
    if info is None:
        return Checked(cand.name, cand.distribution, cand.version, "broken", "missing from the check's report")
    return Checked(cand.name, cand.distribution, cand.version, info["status"], info["error"], list(info["warnings"]))


def _all(cands: list[Any], status: str, error: str) -> list[Checked]:
    return [Checked(c.name, c.distribution, c.version, status, error) for c in cands]


def _death(code: int, stderr: str) -> str | None:
    """How a ``ganzoo plugins --json`` process died, or None when it finished normally."""
    if code == 0:
        return None
    if code < 0:
        try:
            how = f"signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"signal {-code}"
        return f"loading it kills the process ({how}{_last_words(stderr)})"
    return f"loading it ends the process (exit code {code}{_last_words(stderr)})"


def _last_words(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1] if len(lines[-1]) <= 200 else lines[-1][:197] + "..."
    return f"; its last line on stderr: {last!r}"


def _remedy(dist: str) -> str:
    return f"leave {dist!r} out with GANZOO_LOAD_PLUGINS (a comma-separated list of the distributions to load)"
