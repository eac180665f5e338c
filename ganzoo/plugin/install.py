"""``ganzoo install`` / ``ganzoo uninstall``: pip in this interpreter, with ganzoo's own stack pinned.

A plugin distribution may declare any requirements; installing it must never downgrade or
replace ganzoo or anything ganzoo runs on (a torch that another plugin silently swapped breaks
every model; so does a pluggy). So pip runs with ``--constraint`` on a temporary file that pins
every installed distribution of ganzoo's requirement closure (:func:`closure`: ganzoo, what it
requires, what those require, extras and markers included, as far as it is installed) to the
version installed now (``ganzoo==0.2.0.dev0`` for an editable checkout too: pip keeps an
installed editable distribution that satisfies the pin). The plugin's other dependencies install
freely. pip resolves everything before it installs
anything, so a plugin that conflicts with a pin fails in resolution and changes nothing; its
multi-line report is reduced to one line naming the requirement. Torch-free: metadata and a
subprocess only.
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import invalidate_caches, metadata
from typing import Callable, Sequence

from ganzoo.errors import InstallError
from ganzoo.plugin.build_leftovers import build_leftovers_removed
from ganzoo.plugin.discovery import ENTRY_POINT_GROUP, _normalize
from ganzoo.plugin.registry import suggest

#: Distributions a plugin may never replace, and ``ganzoo uninstall`` never removes.
PROTECTED = ("ganzoo", "torch", "torchvision")

#: pip's lines worth showing while it works (the rest is kept for the one-line error).
_PROGRESS = re.compile(r"^\s*(Processing|Collecting|Downloading|Obtaining|Building wheel|Installing collected|"
                       r"Successfully|Attempting uninstall|Found existing|Uninstalling|Requirement already satisfied: (?!.*\(from ))")
#: ``gz-x 0.1 depends on torch<2`` in pip's "The conflict is caused by:" block.
_DEPENDS = re.compile(r"^\s+(\S+) (\S+) depends on (.+)$")
_NOT_FOUND = re.compile(r"(?:Could not find a version that satisfies the requirement|No matching distribution found for) (\S+)")


@dataclass(frozen=True)
class Installed:
    """One installed distribution: its name as published, version, and ganzoo plugin names."""

    name: str
    version: str
    plugins: tuple[str, ...]
    #: The normalised names of the distributions it requires (every extra and marker).
    requires: tuple[str, ...] = ()


def installed() -> dict[str, Installed]:
    """Every installed distribution by normalised name (the first on ``sys.path`` wins, as for imports)."""
    invalidate_caches()
    found: dict[str, Installed] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or _normalize(name) in found:
            continue
        plugins = tuple(sorted(ep.name for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP))
        requires = tuple(sorted({_requirement_name(r) for r in dist.requires or ()}))
        found[_normalize(name)] = Installed(name, dist.version, plugins, requires)
    return found


def closure(dists: dict[str, Installed]) -> list[str]:
    """ganzoo's requirement closure among the installed ``dists``: :data:`PROTECTED` first, then
    everything they require, transitively, by normalised name."""
    seen = [name for name in PROTECTED if name in dists]
    for name in seen:  # grows while it is walked
        seen += [req for req in dists[name].requires if req in dists and req not in seen]
    return seen


def pins(dists: dict[str, Installed] | None = None) -> list[str]:
    """``NAME==VERSION`` for every installed distribution of ganzoo's requirement closure."""
    dists = installed() if dists is None else dists
    return [f"{name}=={dists[name].version}" for name in closure(dists)]


def changed(before: dict[str, Installed], after: dict[str, Installed]) -> list[Installed]:
    """Distributions that are new in ``after``, or there at another version."""
    return [dist for key, dist in after.items() if key not in before or before[key].version != dist.version]


def _pip(args: Sequence[str], echo: Callable[[str], None]) -> tuple[int, str]:
    """Run ``python -m pip ARGS`` in this interpreter; echo its progress lines, return (code, all output)."""
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:  # no pipe to fill up while stdout streams
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8",
                                errors="replace", env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if _PROGRESS.match(line):
                echo(line.rstrip())
        code = proc.wait()
        errors.seek(0)
        return code, "".join(lines) + errors.read()


def pip_install(requirements: Sequence[str], options: Sequence[str] = (),
                echo: Callable[[str], None] = lambda line: None) -> list[Installed]:
    """``pip install`` ``requirements`` with :data:`PROTECTED` pinned; what it installed or changed.

    Raises :class:`InstallError` (one line) when pip fails: a conflict with a pin names the
    requirement that asked for another version, and nothing was installed. A local folder among
    ``requirements`` is left as it was: no ``build/`` or ``*.egg-info`` stays behind."""
    before, known_pth = installed(), pth_files()
    with tempfile.TemporaryDirectory(prefix="ganzoo-install-") as folder, build_leftovers_removed(requirements):
        constraints = os.path.join(folder, "constraints.txt")
        with open(constraints, "w", encoding="utf-8") as file:
            file.write("".join(f"{pin}\n" for pin in pins(before)))
        code, output = _pip(["install", "--constraint", constraints, *options, *requirements], echo)
    if code != 0:
        raise InstallError(failure_line(output, before) + "; nothing was installed")
    load_new_pth(known_pth)
    return changed(before, installed())


def _site_dirs() -> list[str]:
    dirs = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def pth_files() -> set[tuple[str, str]]:
    """The ``.pth`` files of this interpreter's site folders, as ``(folder, name)``."""
    return {(d, name) for d in _site_dirs() for name in os.listdir(d) if name.endswith(".pth")}


def load_new_pth(known: set[tuple[str, str]]) -> None:
    """Process the ``.pth`` files pip added since ``known``, as a new interpreter would at start-up.

    An editable install (``pip install -e``) makes its package importable through such a file
    only; without this, this process (the plugin table ``ganzoo install`` prints) could not
    import the plugin it just installed."""
    for folder, name in sorted(pth_files() - known):
        site.addpackage(folder, name, None)
    invalidate_caches()


def failure_line(output: str, dists: dict[str, Installed]) -> str:
    """pip's failure report as one line: the requirement that conflicts with a pin, else pip's
    first error."""
    lines = output.splitlines()
    conflicts = [m.groups() for m in map(_DEPENDS.match, lines) if m]
    for dist, version, requirement in conflicts:
        pinned = _pinned_by(requirement, dists)
        if pinned:
            return (f"{dist} {version} requires {requirement}, but {pinned} is installed and pinned "
                    f"(ganzoo install never replaces ganzoo or anything it runs on)")
    if conflicts:
        dist, version, requirement = conflicts[0]
        return f"{dist} {version} requires {requirement}, which conflicts with another requirement"
    for line in lines:
        found = _NOT_FOUND.search(line)
        if found:
            pinned = _pinned_by(found[1], dists)
            more = f" ({pinned} is installed and pinned)" if pinned else ""
            return f"pip found no distribution that satisfies {found[1]}{more}"
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    first = next((e for e in errors if e), next((l.strip() for l in reversed(lines) if l.strip()), "pip failed"))
    return f"pip failed: {' '.join(first.split())}"


def _pinned_by(requirement: str, dists: dict[str, Installed]) -> str:
    """``torch 2.14.1`` when ``requirement`` names a pinned distribution (:func:`closure`), else ""."""
    name = _requirement_name(requirement)
    return f"{dists[name].name} {dists[name].version}" if name in closure(dists) else ""


def _requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement (``pluggy>=1; python_version<'4'`` -> ``pluggy``)."""
    return _normalize(re.split(r"[\s\[<>=!~;(@]", requirement.strip(), maxsplit=1)[0])


def pip_uninstall(names: Sequence[str], echo: Callable[[str], None] = lambda line: None) -> list[Installed]:
    """``pip uninstall -y`` installed plugin distributions; what was removed.

    Refuses, before pip runs, :data:`PROTECTED` names, names that are not installed (with a
    did-you-mean among the installed plugins) and distributions that hold no ganzoo plugin
    (``ganzoo uninstall`` removes plugins, not their dependencies)."""
    before = installed()
    chosen = []
    for name in names:
        key = _normalize(name)
        if key in PROTECTED:
            raise InstallError(f"ganzoo uninstall never removes {before[key].name if key in before else name} "
                               f"(one of {', '.join(PROTECTED)}); use pip directly if you really mean it")
        if key not in before:
            plugins = sorted(d.name for d in before.values() if d.plugins and _normalize(d.name) not in PROTECTED)
            raise InstallError(f"{name} is not installed{suggest(name, plugins)}")
        if not before[key].plugins:
            raise InstallError(f"{before[key].name} holds no ganzoo plugin (no entry point in the group "
                               f"{ENTRY_POINT_GROUP!r}); uninstall it with pip")
        chosen.append(before[key])
    code, output = _pip(["uninstall", "-y", *(d.name for d in chosen)], echo)
    if code != 0:
        raise InstallError(failure_line(output, before))
    after = installed()
    kept = [d.name for d in chosen if _normalize(d.name) in after and after[_normalize(d.name)].version == d.version]
    if kept:  # pip leaves what lies outside this environment (another site folder) and says so on stdout
        reason = next((" ".join(l.split()) for l in output.splitlines() if "outside environment" in l), "")
        raise InstallError(f"pip did not remove {', '.join(kept)}" + (f": {reason}" if reason else ""))
    return chosen
