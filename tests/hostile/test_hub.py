"""A hostile Hub endpoint (``HF_ENDPOINT``, a mirror): nothing written outside the Hub cache, one line.

What is promised: whatever headers and bodies the endpoint answers with (an ``X-Linked-Etag`` or
``ETag`` that is a relative or absolute path, an ``X-Repo-Commit`` that is one, on a 200 or on a
404, an ETag that is not 40 or 64 hex digits, a declared size larger than the disk, an HTTP 500,
a body cut short), ``ganzoo.load("hf://...")`` either gives the checked weights or raises one
:class:`~ganzoo.errors.WeightsError` line, and the CLI prints one ``ganzoo: error:`` line and no
log or retry line of the Hub library. Nothing is written outside the Hub cache folder: the
metadata is checked before the library writes a byte. An honest answer still downloads.

A real ``http.server`` on 127.0.0.1 plays each behaviour (the repository's name picks it);
huggingface_hub is called for real, in this process, with the endpoint ganzoo passes it.
"""

from __future__ import annotations

import hashlib
import socket
import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest

from ganzoo.errors import GanzooError, WeightsError
from ganzoo.io import hub

pytest.importorskip("huggingface_hub")

BODY = b"not really weights, only bytes to download\n" * 20
COMMIT = "a" * 40
SHA = hashlib.sha256(BODY).hexdigest()

#: repository name -> (status, headers, whether to send the body)
BEHAVIOURS: dict[str, tuple[int, dict[str, str], bool]] = {
    "honest": (200, {"ETag": f'"{SHA}"', "X-Repo-Commit": COMMIT}, True),
    "linked-etag-relative": (200, {"ETag": f'"{SHA}"', "X-Linked-Etag": '"../../../../x/ESCAPED"', "X-Repo-Commit": COMMIT}, True),
    "linked-etag-absolute": (200, {"ETag": f'"{SHA}"', "X-Linked-Etag": '"{OUTSIDE}/ABSOLUTE"', "X-Repo-Commit": COMMIT}, True),
    "etag-relative": (200, {"ETag": '"../../../../x/ESCAPED"', "X-Repo-Commit": COMMIT}, True),
    "etag-short": (200, {"ETag": '"abc123"', "X-Repo-Commit": COMMIT}, True),
    "commit-relative": (200, {"ETag": f'"{SHA}"', "X-Repo-Commit": "../../../../x"}, True),
    "commit-absolute": (200, {"ETag": f'"{SHA}"', "X-Repo-Commit": "{OUTSIDE}/COMMIT"}, True),
    "missing-commit-relative": (404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": "../../../../x/NO_EXIST"}, True),
    "one-terabyte": (200, {"ETag": f'"{SHA}"', "X-Repo-Commit": COMMIT, "Content-Length": str(10**12)}, False),
    "server-error": (500, {}, True),
    "cut-short": (200, {"ETag": f'"{SHA}"', "X-Repo-Commit": COMMIT, "Content-Length": str(len(BODY) * 2)}, True),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        parts = self.path.split("/")
        status, headers, body = BEHAVIOURS.get(parts[2] if len(parts) > 2 else "", (404, {"X-Error-Code": "RepoNotFound"}, True))
        self.send_response(status)
        headers = {k: v.replace("{OUTSIDE}", self.server.outside) for k, v in headers.items()}  # type: ignore[attr-defined]
        headers.setdefault("Content-Length", str(len(BODY) if status == 200 else 0))
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body and body and status == 200:
            self.wfile.write(BODY)
        self.close_connection = True


@pytest.fixture
def endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A hostile Hub on 127.0.0.1; the Hub cache deep under ``tmp_path``, ``tmp_path/x`` outside it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.outside = str(tmp_path / "outside")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for key in ("HF_HUB_OFFLINE", "GANZOO_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "a" / "b" / "c" / "hf"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    yield url
    server.shutdown()
    server.server_close()


def _written_outside(tmp_path: Path) -> list[Path]:
    """Every file or folder under ``tmp_path`` that is not in the Hub's home."""
    home = tmp_path / "a" / "b" / "c" / "hf"
    return [p for p in tmp_path.rglob("*") if p != home and home not in p.parents and p not in home.parents]


#: The library retries a 500 and a body cut short with back-off (20 s or so) before it gives up.
_SLOW = ("server-error", "cut-short")
HOSTILE = [pytest.param(name, marks=pytest.mark.slow) if name in _SLOW else name for name in BEHAVIOURS if name != "honest"]


@pytest.mark.parametrize("behaviour", HOSTILE)
def test_hostile_answer_is_one_weights_error_and_writes_nothing_outside(behaviour: str, endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(WeightsError) as caught:
        hub.download(f"hf://someone/{behaviour}", progress=False)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400, message
    assert f"someone/{behaviour}" in message
    assert _written_outside(tmp_path) == []


@pytest.mark.parametrize("behaviour", ["linked-etag-relative", "commit-relative", "missing-commit-relative",
                                       pytest.param("server-error", marks=pytest.mark.slow)])
def test_cli_prints_one_line_and_no_hub_log(behaviour: str, endpoint: str, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                            caplog: pytest.LogCaptureFixture) -> None:
    from ganzoo.cli.main import main

    caplog.set_level("DEBUG", logger="huggingface_hub")
    code = main(["sample", f"hf://someone/{behaviour}", "-o", str(tmp_path / "out" / "s.png")])
    out, err = capfd.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ganzoo: error: "), err
    assert [r.getMessage() for r in caplog.records if r.name.startswith("huggingface_hub") and r.levelno >= 30] == []
    assert _written_outside(tmp_path) == []


def test_ganzoo_load_raises_a_ganzoo_error_for_a_bad_commit(endpoint: str, tmp_path: Path) -> None:
    import ganzoo

    with pytest.raises(GanzooError, match="commit"):
        ganzoo.load("hf://someone/commit-relative")
    assert _written_outside(tmp_path) == []


def test_an_honest_answer_still_downloads_into_the_cache(endpoint: str, tmp_path: Path) -> None:
    path = hub.download("hf://someone/honest", progress=False)
    assert path.read_bytes() == BODY
    assert _written_outside(tmp_path) == []


@pytest.mark.slow  # the library retries a refused connection with back-off before it gives up
def test_a_dead_endpoint_is_one_line_without_retry_logs(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    from ganzoo.cli.main import main

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", dead)
    caplog.set_level("DEBUG", logger="huggingface_hub")
    assert main(["sample", "hf://someone/honest", "-o", str(tmp_path / "out" / "s.png")]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ganzoo: error: ") and dead in err, err
    assert [r.getMessage() for r in caplog.records if r.name.startswith("huggingface_hub") and r.levelno >= 30] == []
    assert _written_outside(tmp_path) == []
