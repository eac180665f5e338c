"""The Hub's answer checked before ``huggingface_hub`` builds a path from it.

``hf_hub_download`` names cache files after header values: the ETag (``X-Linked-Etag`` first)
becomes ``blobs/ETAG`` and the commit (``X-Repo-Commit``) ``snapshots/COMMIT/`` or
``.no_exist/COMMIT/``. A hostile endpoint (``HF_ENDPOINT``, a mirror) that answers
``../../x`` or an absolute path there would make the library write outside its cache. So, for
the one call, the library's metadata request is wrapped: an ETag that is not 40 or 64 hex
digits, a commit that is not 40, or a declared size larger than the free disk is refused
(:class:`HubAnswerRefused`, a :class:`~ganzoo.errors.WeightsError`) before anything is
written. The library's loggers and warnings are silenced for the call too: ganzoo says what
happened, in one line.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import warnings
from typing import Any, Callable, Iterator

from ganzoo.errors import WeightsError, shown

_ETAG = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")


class HubAnswerRefused(WeightsError):
    """The endpoint answered metadata that no Hub gives (a path where a hash belongs, an absurd size)."""


def check_commit(commit: object) -> None:
    """A commit hash: 40 lowercase hex digits (absent is the library's to refuse)."""
    if commit is not None and not (isinstance(commit, str) and _COMMIT.fullmatch(commit)):
        raise HubAnswerRefused(f"the endpoint answered the commit {shown(commit)}, which is not a 40-digit hex hash; "
                               "nothing was written (check HF_ENDPOINT)")


def check_metadata(meta: Any, cache: str) -> None:
    """The ETag, commit and size of one file's metadata (``HfFileMetadata``)."""
    check_commit(meta.commit_hash)
    if meta.etag is not None and not _ETAG.fullmatch(str(meta.etag)):
        raise HubAnswerRefused(f"the endpoint answered the ETag {shown(meta.etag)}, which is not a 40- or 64-digit hex "
                               "hash; nothing was written (check HF_ENDPOINT)")
    size = meta.size
    if isinstance(size, int) and size > _free(cache):
        raise HubAnswerRefused(f"the file declares {size:,} bytes, more than the {_free(cache):,} free in the Hub cache "
                               f"({cache}); nothing was written")


def _free(folder: str) -> int:
    from pathlib import Path

    for candidate in (Path(folder), *Path(folder).parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(candidate).free
    return 0  # pragma: no cover - no folder on the way exists


@contextlib.contextmanager
def checked_answers(cache: str) -> Iterator[None]:
    """For one ``hf_hub_download``: metadata checked by :func:`check_metadata` (a 404's commit
    by :func:`check_commit`) and the library's loggers and warnings quiet."""
    from huggingface_hub import errors, file_download

    original: Callable[..., Any] = file_download.get_hf_file_metadata

    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            meta = original(*args, **kwargs)
        except errors.HfHubHTTPError as exc:  # a 404 names a commit the library would write a folder for
            response = getattr(exc, "response", None)
            if response is not None:
                check_commit(response.headers.get("X-Repo-Commit"))
            raise
        check_metadata(meta, cache)
        return meta

    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    file_download.get_hf_file_metadata = checked
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        file_download.get_hf_file_metadata = original
        logger.setLevel(level)
