"""Hostile servers for pretrained-weights downloads.

What is promised: whatever the server (or the network) does, fetching pretrained weights either
gives the verified file or fails with one ``WeightsError`` line that names the URL and says what
happened (an HTTP status with its reason, a redirect loop, too many redirects, a redirect to a
scheme other than http/https, a refused connection, a host that does not resolve, a server that
stops answering, a body cut short or longer than registered, a reset connection, an answer that
is not HTTP, TLS spoken to a plain server), and nothing is left in the cache, not even a
temporary file. ``GANZOO_DOWNLOAD_TIMEOUT`` bounds how long a silent server is waited for (a
hanging server at 0.5 s fails in about a second); an invalid value is one line naming the
variable and what it accepts, before any connection. On the command line the failure is the one
``ganzoo: error:`` line, without a traceback, and Ctrl-C in the middle of a download leaves no
temporary file behind.

A real ``http.server`` in a thread plays each behaviour (no mocks of urllib); the weights are a
few bytes with their real sha256, since nothing here gets as far as loading them.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from ganzoo.errors import WeightsError
from ganzoo.io.pretrained import cache_dir, fetch
from ganzoo.plugin.specs import WeightsSpec
from tests.helpers import REPO, make_distribution

DATA = b"ganzoo hostile download test, not really weights\n" * 200
NAME = "dcgan.hostile"


# ---------------------------------------------------------------- the server
class _Hostile(http.server.BaseHTTPRequestHandler):
    """One behaviour per path (see ``do_GET``); ``/status/CODE`` answers with that status."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        path = self.path
        if path == "/ok":
            self._send(DATA)
        elif path == "/loop":
            self._redirect("/loop")
        elif path.startswith("/chain/"):  # a new URL every time: never a loop, never an end
            self._redirect(f"/chain/{int(path.rsplit('/', 1)[1]) + 1}")
        elif path == "/to-ftp":
            self._redirect(f"ftp://127.0.0.1:{self.server.server_address[1]}/ok")
        elif path == "/to-file":
            self._redirect("file:///etc/passwd")
        elif path.startswith("/status/"):
            self.send_error(int(path.rsplit("/", 1)[1]))
        elif path == "/hang":  # accepts, reads the request, never answers
            self.server.release.wait()  # type: ignore[attr-defined]
        elif path == "/hang-body":  # announces everything, sends half, then goes silent
            self._head(len(DATA))
            self.wfile.write(DATA[: len(DATA) // 2])
            self.wfile.flush()
            self.server.release.wait()  # type: ignore[attr-defined]
        elif path == "/unannounced-longer":  # no Content-Length, more than registered, then close
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(DATA + b"and then some more")
            self.close_connection = True
        elif path == "/longer-than-announced":  # Content-Length is the registered size; junk follows
            self._send(DATA, extra=b"junk beyond the announced length")
        elif path == "/reset":  # half the body, then a TCP reset
            self._head(len(DATA))
            self.wfile.write(DATA[: len(DATA) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif path == "/no-answer":  # closes without a status line
            self.close_connection = True
        elif path == "/garbage":
            self.wfile.write(b"THIS IS NOT HTTP\r\n\r\n")
            self.close_connection = True
        elif path == "/bad-chunks":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"zz\r\nnot a chunk size\r\n")
            self.close_connection = True
        else:
            self.send_error(404)

    def _head(self, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, data: bytes, extra: bytes = b"") -> None:
        self._head(len(data))
        self.wfile.write(data + extra)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the hostile handlers break their own connections on purpose


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Hostile)
    httpd.requests, httpd.release = [], threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()  # type: ignore[attr-defined]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: _Server) -> Path:
    """A GANZOO_HOME of each test's own, no proxy between us and 127.0.0.1, a fresh request log."""
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.delenv("GANZOO_OFFLINE", raising=False)
    monkeypatch.delenv("GANZOO_DOWNLOAD_TIMEOUT", raising=False)
    server.requests.clear()  # type: ignore[attr-defined]
    return tmp_path / "home"


def url(server: _Server, path: str, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}{path}"


def spec_for(address: str, data: bytes = DATA) -> WeightsSpec:
    return WeightsSpec(name=NAME, url=address, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def left_behind() -> list[str]:
    """Everything in the weights cache, temporary files included."""
    return sorted(p.name for p in cache_dir().iterdir()) if cache_dir().exists() else []


def failure(address: str) -> str:
    """The one-line message of fetching ``address``, checked to leave nothing behind."""
    with pytest.raises(WeightsError) as caught:
        fetch(spec_for(address), progress=False)
    message = str(caught.value)
    assert "\n" not in message and address in message, message
    assert left_behind() == []
    return message


def cannot_download(address: str) -> str:
    """The reason after ``cannot download pretrained weights 'NAME' from URL: ``."""
    message = failure(address)
    prefix = f"cannot download pretrained weights '{NAME}' from {address}: "
    assert message.startswith(prefix), message
    return message.removeprefix(prefix)


# ---------------------------------------------------------------- the baseline
def test_a_well_behaved_server_gives_the_verified_file(server: _Server) -> None:
    path = fetch(spec_for(url(server, "/ok")), progress=False)
    assert path.read_bytes() == DATA and left_behind() == [path.name]


def test_bytes_beyond_the_announced_length_are_not_part_of_the_file(server: _Server) -> None:
    path = fetch(spec_for(url(server, "/longer-than-announced")), progress=False)
    assert path.read_bytes() == DATA


# ---------------------------------------------------------------- redirects
def test_redirect_loop_is_one_line(server: _Server) -> None:
    assert cannot_download(url(server, "/loop")) == "too many redirects, or a redirect loop (the last was HTTP 302)"


def test_endless_redirect_chain_is_one_line(server: _Server) -> None:
    assert cannot_download(url(server, "/chain/0")) == "too many redirects, or a redirect loop (the last was HTTP 302)"
    assert len(server.requests) <= 12  # urllib gives up after 10 redirects


@pytest.mark.parametrize("path, target", [("/to-ftp", "ftp://127.0.0.1:"), ("/to-file", "file:///etc/passwd")])
def test_redirect_to_another_scheme_is_refused(server: _Server, path: str, target: str) -> None:
    reason = cannot_download(url(server, path))
    assert reason.startswith(f"HTTP 302 redirects to {target}") and reason.endswith(", and only http and https redirects are followed")
    assert server.requests == [path]  # nothing else was fetched


# ---------------------------------------------------------------- statuses and connections
@pytest.mark.parametrize("code, reason", [(403, "Forbidden"), (410, "Gone"), (500, "Internal Server Error"), (503, "Service Unavailable")])
def test_error_status_is_one_line_with_status_and_reason(server: _Server, code: int, reason: str) -> None:
    assert cannot_download(url(server, f"/status/{code}")) == f"HTTP {code} {reason}"


def test_connection_refused_is_one_line() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert cannot_download(f"http://127.0.0.1:{port}/w.safetensors") == "connection refused (nothing listens at that address)"


def test_host_that_does_not_resolve_is_one_line() -> None:
    reason = cannot_download("http://ganzoo-weights.invalid/w.safetensors")  # .invalid never resolves (RFC 2606)
    assert reason.startswith("cannot find the host 'ganzoo-weights.invalid' (") and "check the URL and the network" in reason


def test_server_closing_without_an_answer_is_one_line(server: _Server) -> None:
    assert cannot_download(url(server, "/no-answer")) == "the server closed the connection without answering"


def test_answer_that_is_not_http_is_one_line(server: _Server) -> None:
    assert cannot_download(url(server, "/garbage")) == "the server's answer is not valid HTTP (BadStatusLine: THIS IS NOT HTTP)"


def test_tls_spoken_to_a_plain_server_is_one_line(server: _Server) -> None:
    assert "SSL" in cannot_download(url(server, "/ok", scheme="https"))


# ---------------------------------------------------------------- bodies
def test_reset_in_the_middle_of_the_body_keeps_nothing(server: _Server) -> None:
    message = failure(url(server, "/reset"))
    assert re.match(f"(downloading pretrained weights '{NAME}' from .* failed: .*; nothing was kept, try again"
                    f"|truncated download of pretrained weights '{NAME}')", message), message


def test_body_longer_than_registered_without_announced_length_keeps_nothing(server: _Server) -> None:
    message = failure(url(server, "/unannounced-longer"))
    assert f"is larger than the registered {len(DATA)} bytes; the file was deleted" in message


def test_announced_length_other_than_registered_is_refused_before_reading(server: _Server) -> None:
    address = url(server, "/ok")
    with pytest.raises(WeightsError, match=f"announces {len(DATA)} bytes, but pretrained weights '{NAME}' are registered "
                       f"with {len(DATA) + 1}: the server holds another file; nothing was downloaded"):
        fetch(WeightsSpec(name=NAME, url=address, sha256="0" * 64, size=len(DATA) + 1), progress=False)
    assert left_behind() == []


def test_broken_chunked_encoding_keeps_nothing(server: _Server) -> None:
    assert "truncated download" in failure(url(server, "/bad-chunks"))


# ---------------------------------------------------------------- timeouts
@pytest.mark.parametrize("path, says", [
    ("/hang", "cannot download pretrained weights"),
    ("/hang-body", "nothing was kept, try again"),
])
def test_silent_server_gives_up_after_the_timeout(server: _Server, monkeypatch: pytest.MonkeyPatch, path: str, says: str) -> None:
    monkeypatch.setenv("GANZOO_DOWNLOAD_TIMEOUT", "0.5")
    start = time.monotonic()
    message = failure(url(server, path))
    assert time.monotonic() - start < 30  # the setting was used, not the 60 s default (no tighter: machines are noisy)
    assert says in message and "the server did not answer within 0.5 s (GANZOO_DOWNLOAD_TIMEOUT sets how long to wait)" in message


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf", "1e400"])
def test_invalid_timeout_is_one_line_naming_the_variable(server: _Server, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GANZOO_DOWNLOAD_TIMEOUT", value)
    with pytest.raises(WeightsError) as caught:
        fetch(spec_for(url(server, "/ok")), progress=False)
    assert str(caught.value) == (f"GANZOO_DOWNLOAD_TIMEOUT must be a number of seconds above 0, such as 30 or 0.5 "
                                 f"(got {value!r}); unset it for the default of 60 s")
    assert server.requests == [] and left_behind() == []  # checked before any connection


# ---------------------------------------------------------------- the command line
WEIGHTS_PLUGIN = '''
import os
from ganzoo import WeightsSpec, hookimpl

@hookimpl
def register_weights(register):
    register(WeightsSpec(name="dcgan.hostile", url=os.environ["GZ_HOSTILE_URL"], sha256=os.environ["GZ_HOSTILE_SHA"],
                         size=int(os.environ["GZ_HOSTILE_SIZE"])))
'''


@pytest.fixture
def cli_env(tmp_path: Path, home: Path) -> dict[str, str]:
    """``ganzoo`` in a subprocess that knows the weights ``dcgan.hostile`` (a real installed plugin)."""
    site = make_distribution(tmp_path / "site", "gz-hostile-weights", {"gz_hostile_weights": WEIGHTS_PLUGIN},
                             {"hostile_weights": "gz_hostile_weights"})
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]), "GANZOO_LOAD_PLUGINS": "gz-hostile-weights",
            "GANZOO_HOME": str(home), "GZ_HOSTILE_SHA": hashlib.sha256(DATA).hexdigest(), "GZ_HOSTILE_SIZE": str(len(DATA)),
            "NO_PROXY": "*", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


def sample(env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ganzoo", "sample", NAME, "-o", str(tmp_path / "s.png")], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_failure_is_one_error_line_without_traceback(server: _Server, cli_env: dict[str, str], tmp_path: Path) -> None:
    address = url(server, "/loop")
    proc = sample({**cli_env, "GZ_HOSTILE_URL": address}, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and out == ""
    assert err.splitlines() == [f"ganzoo: error: cannot download pretrained weights '{NAME}' from {address}: "
                                "too many redirects, or a redirect loop (the last was HTTP 302)"]
    assert left_behind() == [] and not (tmp_path / "s.png").exists()


def test_cli_ctrl_c_in_the_middle_of_a_download_leaves_nothing(server: _Server, cli_env: dict[str, str], tmp_path: Path) -> None:
    proc = sample({**cli_env, "GZ_HOSTILE_URL": url(server, "/hang-body")}, tmp_path)
    deadline = time.monotonic() + 120
    while not any(name.endswith(".tmp") for name in left_behind()):  # the half-written temporary file exists
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.splitlines()[-1] == "ganzoo: interrupted"
    assert left_behind() == []
