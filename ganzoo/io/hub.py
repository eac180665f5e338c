"""Weights on the Hugging Face Hub: ``hf://OWNER/REPO[/FILE][@REVISION]`` in, ``ganzoo push`` out.

The grammar is strict, so a typo is one line, never a request for something else:

* ``OWNER/REPO``: a model repository (``datasets/`` and ``spaces/`` are refused); each name is
  letters, digits, ``-``, ``_`` and ``.``, up to 96 characters, as the Hub allows;
* ``/FILE``: a ``.safetensors`` path inside the repository; by default :data:`DEFAULT_FILE`
  (``generator.safetensors``, the name a run folder gives its generator and the one
  :func:`push` uploads);
* ``@REVISION``: a branch, tag or commit hash, last (``hf://o/r/f.safetensors@v1``).

Downloads go through ``huggingface_hub`` and its cache (``HF_HOME``, ``HF_HUB_CACHE``).
``huggingface_hub`` reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` once, when it is imported;
ganzoo reads them (and ``GANZOO_OFFLINE``) on every call and passes the endpoint and the cache
explicitly, so a change of the environment after the import is honoured. Offline, only the
cache is read (:func:`huggingface_hub.try_to_load_from_cache`): no request is made at all, not
even the one ``huggingface_hub`` makes to build its user agent. A downloaded file is an
ordinary weights file afterwards: its header is checked like any other before a byte of it is
trusted. ``huggingface_hub`` is the optional extra ``ganzoo[hub]``, imported only here, when needed.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo._version import __version__
from ganzoo.errors import GanzooError, WeightsError
from ganzoo.io.home import offline
from ganzoo.io.hub_answers import HubAnswerRefused, checked_answers
from ganzoo.io.model_card import SAMPLE_FILE, describe
from ganzoo.io.run_folder import GENERATOR_FILE

SCHEME = "hf://"
#: The file ``hf://OWNER/REPO`` means, and the name :func:`push` uploads the generator under.
DEFAULT_FILE = GENERATOR_FILE
#: The model card's file name in a repository.
CARD_FILE = "README.md"
DEFAULT_ENDPOINT = "https://huggingface.co"
INSTALL_HINT = "pip install 'ganzoo[hub]'"
GRAMMAR = "hf://OWNER/REPO[/FILE.safetensors][@REVISION]"

_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?")
_REVISION = re.compile(r"[A-Za-z0-9._/-]{1,255}")
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class HubRef:
    """One file of one revision of a model repository on the Hub."""

    repo_id: str
    filename: str = DEFAULT_FILE
    revision: str | None = None

    def __str__(self) -> str:
        file = "" if self.filename == DEFAULT_FILE else f"/{self.filename}"
        return f"{SCHEME}{self.repo_id}{file}{'' if self.revision is None else '@' + self.revision}"


def is_hub_url(text: object) -> bool:
    """Whether ``text`` is meant for the Hub (then :func:`parse` decides whether it is valid)."""
    return isinstance(text, str) and text[: len(SCHEME)].lower() == SCHEME


def parse(url: str) -> HubRef:
    """``hf://OWNER/REPO[/FILE][@REVISION]`` -> :class:`HubRef`; anything else is one WeightsError line."""

    def bad(why: str) -> WeightsError:
        return WeightsError(f"{url!r} is not a Hub address: {why}; write {GRAMMAR}, e.g. hf://someone/dcgan-digits")

    if not url.startswith(SCHEME):
        raise bad(f"it must start with {SCHEME} (lowercase)")
    rest = url[len(SCHEME):]
    path, at, revision = rest.rpartition("@") if "@" in rest else (rest, "", "")
    if at:
        if not _REVISION.fullmatch(revision) or ".." in revision or revision.startswith("/") or revision.endswith("/"):
            raise bad(f"the revision {revision!r} must be a branch, tag or commit of letters, digits, '.', '_', '-' and '/'")
        if revision.endswith(".safetensors"):
            raise bad("the revision goes last, after the file (hf://OWNER/REPO/FILE@REVISION)")
    parts = path.split("/")
    if len(parts) < 2 or not all(parts[:2]):
        raise bad("it names no OWNER/REPO")
    owner, repo, file_parts = parts[0], parts[1], parts[2:]
    if owner in ("datasets", "spaces"):
        raise bad(f"only model repositories hold weights, not {owner}")
    for name in (owner, repo):
        if not _NAME.fullmatch(name) or ".." in name or "--" in name or name.endswith(".git"):
            raise bad(f"{name!r} is not a valid owner or repository name (letters, digits, '-', '_', '.'; at most 96)")
    filename = DEFAULT_FILE
    if file_parts:
        if any(part in ("", ".", "..") or "\\" in part or not part.isprintable() for part in file_parts):
            raise bad(f"the file {'/'.join(file_parts)!r} must be a relative path without empty, '.' or '..' parts")
        filename = "/".join(file_parts)
        if not filename.endswith(".safetensors"):
            raise bad(f"the file {filename!r} must be a .safetensors file")
    return HubRef(f"{owner}/{repo}", filename, revision or None)


# ---------------------------------------------------------------- the library and its settings
def import_hub() -> Any:
    """``huggingface_hub``, or one line saying how to install it."""
    try:
        import huggingface_hub
    except ImportError:
        raise GanzooError(f"the Hugging Face Hub needs the huggingface_hub package: {INSTALL_HINT}") from None
    return huggingface_hub


def endpoint() -> str:
    """``$HF_ENDPOINT`` now (``huggingface_hub`` froze it at its import), without a trailing slash."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) or ``GANZOO_OFFLINE``, read now."""
    flags = (os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or "").strip().lower()
    return flags in _TRUE or offline()


def hub_cache() -> str:
    """The Hub's cache folder, by ``huggingface_hub``'s own rules, read now."""
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return os.path.expanduser(os.path.expandvars(os.environ[variable]))
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
    return os.path.join(os.path.expanduser(os.path.expandvars(home)), "hub")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------- download
def download(ref: HubRef | str, *, progress: bool | None = None) -> Path:
    """The local file of ``ref``: from the Hub's cache, or downloaded into it (``progress``:
    None shows the Hub's bar when stderr is a terminal). Offline, the cache alone."""
    ref = parse(ref) if isinstance(ref, str) else ref
    hub = import_hub()
    cache = hub_cache()
    if hub_offline():
        found = hub.try_to_load_from_cache(ref.repo_id, ref.filename, cache_dir=cache, revision=ref.revision)
        if isinstance(found, str) and os.path.isfile(found):
            return Path(found)
        raise WeightsError(f"{ref} is not in the Hugging Face cache ({cache}) and HF_HUB_OFFLINE or GANZOO_OFFLINE is "
                           "set, so it was not downloaded; unset it to download the file once")
    from huggingface_hub import errors

    where = endpoint()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with checked_answers(cache):  # no header value becomes a path unchecked; the library's logs quiet
            found = hub.hf_hub_download(ref.repo_id, ref.filename, revision=ref.revision, cache_dir=cache, endpoint=where,
                                        library_name="ganzoo", library_version=__version__,
                                        **({} if show else {"tqdm_class": _quiet_bar()}))
    except HubAnswerRefused as exc:
        raise WeightsError(f"cannot download {ref} from {where}: {exc}") from None
    except errors.RevisionNotFoundError:
        raise WeightsError(f"{ref}: the repository {ref.repo_id!r} on {where} has no revision {ref.revision!r}") from None
    except errors.GatedRepoError:
        raise WeightsError(f"{ref}: the repository {ref.repo_id!r} on {where} is gated; accept its conditions on its page "
                           "and log in (HF_TOKEN or `hf auth login`)") from None
    except errors.RepositoryNotFoundError:
        raise WeightsError(f"{ref}: no model repository {ref.repo_id!r} on {where}, or it is private and no token with "
                           "access to it is set (HF_TOKEN or `hf auth login`)") from None
    except errors.RemoteEntryNotFoundError:
        raise WeightsError(f"{ref}: the repository {ref.repo_id!r} on {where} has no file {ref.filename!r}"
                           f"{'' if ref.revision is None else f' at revision {ref.revision!r}'}") from None
    except errors.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        raise WeightsError(f"cannot download {ref} from {where}: HTTP {status}: {_one_line(exc).split(' for url')[0]}") from None
    except (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled) as exc:
        raise WeightsError(f"cannot download {ref}: the Hub at {where} cannot be reached and the file is not in the "
                           f"cache ({_cause(exc)})") from None
    except (OSError, ValueError) as exc:  # ValueError: the library refusing an answer it cannot use
        raise WeightsError(f"cannot download {ref} from {where}: {_one_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - the HTTP client's own errors (a proxy that refuses, ...)
        if not _from_http_client(exc):
            raise
        raise WeightsError(f"cannot download {ref} from {where}: {_cause(exc)}") from None
    return Path(found)


def _from_http_client(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the Hub library or its HTTP client (they are not OSErrors)."""
    return type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "h11", "huggingface_hub")


def _cause(exc: BaseException) -> str:
    """The innermost reason of a chained Hub error (a refused connection, a timeout), on one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _quiet_bar() -> type:
    """A ``tqdm_class`` for ``hf_hub_download`` that draws nothing (the Hub's bars are global otherwise)."""
    from huggingface_hub.utils import tqdm

    class Quiet(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return Quiet


# ---------------------------------------------------------------- push
def check_repo_id(repo_id: str) -> str:
    """``OWNER/REPO`` checked by the same rules as an ``hf://`` address."""
    if not isinstance(repo_id, str) or repo_id.count("/") != 1 or "@" in repo_id:
        raise GanzooError(f"{repo_id!r} is not a Hub repository: give OWNER/REPO, e.g. someone/dcgan-digits")
    try:
        parse(f"{SCHEME}{repo_id}")
    except WeightsError as exc:
        raise GanzooError(str(exc).replace("is not a Hub address", "is not a Hub repository")) from None
    return repo_id


def push(source: str | os.PathLike, repo_id: str, *, private: bool = False, revision: str | None = None,
         token: str | None = None, license: str | None = None, sample: str | os.PathLike | None = None,
         message: str | None = None) -> str:
    """Upload a generator (a run folder's, or a ``.safetensors`` file) to ``repo_id`` with a
    model card made from its metadata and, when there is one, a sample grid; returns the
    ``hf://`` address that loads it. The repository is created when missing (``private``)."""
    check_repo_id(repo_id)
    if revision is not None and (not _REVISION.fullmatch(revision) or ".." in revision):
        raise GanzooError(f"--revision {revision!r} is not a branch name (letters, digits, '.', '_', '-', '/')")
    card = describe(source, repo_id, revision=revision, license=license, sample=sample)  # every local check before the network
    hub = import_hub()
    if hub_offline():
        raise GanzooError("HF_HUB_OFFLINE or GANZOO_OFFLINE is set: nothing is uploaded; unset it to push")
    token = token or hub.get_token()
    if not token:
        raise GanzooError("pushing to the Hugging Face Hub needs a token with write access: set HF_TOKEN, "
                          "run `hf auth login`, or pass --token")
    from huggingface_hub import CommitOperationAdd, errors

    where = endpoint()
    api = hub.HfApi(endpoint=where, token=token, library_name="ganzoo", library_version=__version__)
    operations = [CommitOperationAdd(DEFAULT_FILE, str(card.weights)), CommitOperationAdd(CARD_FILE, card.text.encode("utf-8"))]
    if card.sample is not None:
        operations.append(CommitOperationAdd(SAMPLE_FILE, str(card.sample)))
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision not in (None, "main"):
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        api.create_commit(repo_id, operations, revision=revision,
                          commit_message=message or f"Upload {card.model} generator with ganzoo {__version__}")
    except errors.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            raise GanzooError(f"the Hub at {where} refused the token (HTTP 401): set a valid HF_TOKEN with write access, "
                              "or run `hf auth login`") from None
        if status == 403:
            raise GanzooError(f"the token may not write to {repo_id!r} on {where} (HTTP 403): use a token with write "
                              "access to that owner") from None
        raise GanzooError(f"pushing to {repo_id!r} on {where} failed: HTTP {status}: {_one_line(exc).split(' for url')[0]}") from None
    except (OSError, ValueError, KeyError) as exc:  # KeyError: an answer without what a Hub answers
        raise GanzooError(f"pushing to {repo_id!r} on {where} failed: {type(exc).__name__}: {_one_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - the HTTP client's own errors (connection refused, timeouts)
        if not _from_http_client(exc):
            raise
        raise GanzooError(f"cannot reach the Hugging Face Hub at {where}: {_cause(exc)}") from None
    return str(HubRef(repo_id, DEFAULT_FILE, None if revision == "main" else revision))
