"""Pretrained weights by name: from the cache, from the package that ships them, or downloaded.

``ganzoo.load("dcgan.digits")`` ends here. A name always means the same bytes: every file is
checked against the sha256 and size its :class:`~ganzoo.plugin.specs.WeightsSpec` registered, and a
download is streamed into a temporary file beside the cache file and renamed into place only
once it verified, so nothing half-written ever sits under the final name. Nothing downloads
under ``GANZOO_OFFLINE=1``. Torch-free, because ``ganzoo info`` uses it.

Every way a download can fail (an HTTP status, a redirect loop or a redirect to another
scheme, a refused connection, a host that does not resolve, a server that stops answering, a
body shorter or longer than announced, a wrong hash) is one :class:`WeightsError` line naming the
URL, and leaves nothing in the cache. ``GANZOO_DOWNLOAD_TIMEOUT`` (seconds, default
:data:`~ganzoo.io.download.TIMEOUT_S`) is how long the server may stay silent, not a limit on the whole download,
which may rightly take long on a slow line. The downloading itself, shared with the datasets that
``--download`` fetches, is :mod:`ganzoo.io.download`.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import StorageError, UnknownNameError, WeightsError, cut, shown
from ganzoo.io import hub
from ganzoo.io.download import RemoteFile, download, format_size, sha256_of, store  # noqa: F401 (format_size, sha256_of: imported from here too)
from ganzoo.io.download import verify as _verify_remote
from ganzoo.io.home import ganzoo_home, offline
from ganzoo.plugin.registry import list_command, suggest
from ganzoo.plugin.specs import WeightsSpec

if TYPE_CHECKING:
    from ganzoo.plugin.registry import Registry

def cache_dir() -> Path:
    """``$GANZOO_HOME/weights``: where downloaded pretrained weights live."""
    return ganzoo_home() / "weights"


def cached_path(spec: WeightsSpec) -> Path:
    """Where ``spec``'s file is (or would be) cached; the hash prefix keeps new weights of an old name apart."""
    return cache_dir() / f"{spec.name}-{spec.sha256[:8]}.safetensors"


def package_file(reference: str) -> Any | None:
    """The file a ``"package:relative/path"`` reference names (an importlib.resources
    Traversable), or None when the package is not installed or lacks the file."""
    package, _, relative = reference.partition(":")
    try:
        found = resources.files(package)
        for part in relative.replace("\\", "/").split("/"):
            found = found / part
        return found if found.is_file() else None
    except (ImportError, OSError, TypeError, ValueError):
        return None


def where(spec: WeightsSpec) -> str:
    """Where ``spec`` resolves now, without hashing: ``cache``, ``package``, ``url`` or ``missing``."""
    cached = cached_path(spec)
    if cached.is_file() and cached.stat().st_size == spec.size:
        return "cache"
    if spec.file and package_file(spec.file) is not None:
        return "package"
    return "url" if spec.url else "missing"


def remote_file(spec: WeightsSpec) -> RemoteFile:
    """``spec``'s file as :mod:`ganzoo.io.download` fetches and checks it."""
    return RemoteFile(spec.name, (spec.url,) if spec.url else (), spec.size, sha256=spec.sha256,
                      kind="pretrained weights", plural=True, stated="registered")


def verify(path: Path, spec: WeightsSpec) -> str | None:
    """Why ``path`` is not ``spec``'s file (size first, then sha256), or None when it is."""
    return _verify_remote(path, remote_file(spec))


# ---------------------------------------------------------------- resolution
def resolve_weights(name_or_path: str | os.PathLike, *, progress: bool | None = None, registry: Registry | None = None) -> Path:
    """A local weights file for a path or a pretrained name.

    An ``hf://OWNER/REPO[/FILE][@REVISION]`` address is fetched through the Hugging Face Hub's
    cache (:mod:`ganzoo.io.hub`). An existing path (a file, or a run folder, returned as is) wins
    over a name. Otherwise a registered
    pretrained name resolves to, in order: the verified cache file, the verified file its
    package ships, or a download of its URL into the cache (``progress``: None shows a bar
    when stderr is a terminal, True always, False never).
    """
    text = os.fspath(name_or_path)
    if hub.is_hub_url(text):
        return hub.download(hub.parse(text), progress=progress)
    path = Path(text).expanduser()
    try:
        if path.exists():
            return path
    except OSError as exc:  # a name longer than the filesystem allows: one line, the path cut to a path's length
        raise StorageError.of(exc, cut(text, PATH_SHOWN), "read") from None
    if registry is None:
        from ganzoo.plugin.discovery import get_registry

        registry = get_registry()
    if text in registry.weights:
        return fetch(registry.pretrained(text), progress=progress)
    if _looks_like_path(text):
        raise WeightsError(f"weights file {shown(text)} does not exist")
    raise UnknownNameError(_unknown_message(text, registry))


#: The longest path an error repeats whole (PATH_MAX on Linux); a longer "path" is cut.
PATH_SHOWN = 4096


def _looks_like_path(text: str) -> bool:
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(s in text for s in separators) or text.lower().endswith(".safetensors")


def _unknown_message(text: str, registry: Registry) -> str:
    listing = f"`{list_command(registry.weights.kind)}` shows them all"
    if text in registry.models:
        own = [s.name for s in registry.weights if s.model == text]
        if own:
            return f"{text!r} is a model, not weights; its pretrained weights: {', '.join(map(repr, own))} ({listing})"
        return (f"{text!r} is a model, not weights, and no pretrained weights of it are registered; "
                f"`ganzoo run {text}` trains some ({listing})")
    return f"no weights file or pretrained weights called {shown(text)}{suggest(text, sorted(registry.weights.specs))}; {listing}"


def fetch(spec: WeightsSpec, *, progress: bool | None = None) -> Path:
    """The verified local file of ``spec``: cache, then package, then download (see :func:`resolve_weights`)."""
    target = cached_path(spec)
    if target.is_file():
        problem = verify(target, spec)
        if problem is None:
            return target
        print(f"ganzoo: warning: the cached {spec.name} weights {target} are corrupt ({problem}); "
              "deleted, fetching them again", file=sys.stderr, flush=True)
        target.unlink(missing_ok=True)
    shipped = package_file(spec.file) if spec.file else None
    if shipped is not None:
        if isinstance(shipped, Path):
            problem = verify(shipped, spec)
            if problem is not None:
                raise WeightsError(
                    f"{shipped}, the file of pretrained weights {spec.name!r}, does not match its registration "
                    f"({problem}); reinstall {_provider(spec)}"
                )
            return shipped
        with shipped.open("rb") as fh:  # a package inside a zip: copy it out into the cache
            return store(fh.read, remote_file(spec), target, spec.file)
    if not spec.url:
        raise WeightsError(f"pretrained weights {spec.name!r}: {spec.file!r} is not installed and no URL is registered; "
                           f"reinstall {_provider(spec)}")
    if hub.is_hub_url(spec.url):  # the Hub's own cache, offline switches and errors
        return _from_hub(spec, progress)
    if offline():
        raise WeightsError(f"pretrained weights {spec.name!r} are not cached and GANZOO_OFFLINE is set, so they are not "
                           f"downloaded from {spec.url}; unset GANZOO_OFFLINE, or put the file at {target}")
    return download(remote_file(spec), target, progress=progress, error=WeightsError)


def _from_hub(spec: WeightsSpec, progress: bool | None) -> Path:
    """The Hub file an ``hf://`` URL names, checked against the registered size and sha256
    like any download (a branch that moved holds another file: register a revision)."""
    path = hub.download(hub.parse(spec.url), progress=progress)
    problem = verify(path, spec)
    if problem is not None:
        raise WeightsError(f"{spec.url}, the file of pretrained weights {spec.name!r}, does not match its registration "
                           f"({problem}); the repository changed: register a revision (@COMMIT) or the new hash")
    return path


def _provider(spec: WeightsSpec) -> str:
    return f"the distribution {spec.source.distribution!r}" if spec.source else f"the package {spec.file.partition(':')[0]!r}"
