"""Pretrained weights: ``WeightsSpec``, the ``register_weights`` hook, the resolver and the CLI.

Downloads go to a real HTTP server on 127.0.0.1 (a thread serving a temp folder, counting
requests; under ``/truncated/`` it promises the whole file and sends half). The weights are a
real (untrained, tiny) DCGAN generator saved by ganzoo. Every test has its own GANZOO_HOME.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

import ganzoo
from tests.helpers import did_you_mean, make_distribution, run_cli
from ganzoo.plugin import discovery as plugins
from ganzoo.cli.main import main
from ganzoo.errors import PluginError, UnknownNameError, WeightsError
from ganzoo.plugin.hookspecs import hookimpl
from ganzoo.io.pretrained import cache_dir, cached_path, resolve_weights, where
from ganzoo.plugin.specs import ModelSpec, WeightsSpec

NAME = "dcgan.test"


# ---------------------------------------------------------------- fixtures
@dataclass(frozen=True)
class Weights:
    path: Path
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Weights:
    """A real ganzoo generator file (tiny, untrained)."""
    folder = tmp_path_factory.mktemp("weights")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANZOO_LOAD_PLUGINS", "")
        plugins.reset()
        model = ganzoo.create("dcgan", image_size=16, channels=1, ngf=8, ndf=8)
        path = model.save(folder)["generator"]
        plugins.reset()
    return Weights(path, path.read_bytes())


class Server:
    """What the test HTTP server saw, and the URL of a file it serves."""

    def __init__(self, httpd: http.server.ThreadingHTTPServer, root: Path) -> None:
        self.httpd, self.root = httpd, root
        self.requests: list[str] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.owner.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/truncated/"):
            data = (Path(self.directory) / self.path.removeprefix("/truncated/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))  # promise all of it ...
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])  # ... send half, then close
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that stops reading early (a refused size) breaks the pipe on purpose


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory, weights: Weights) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served")
    (root / "g.safetensors").write_bytes(weights.data)
    httpd = _QuietServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server = Server(httpd, root)
    httpd.owner = server  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def server(http_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The shared server with a fresh request count, and a GANZOO_HOME of this test's own."""
    http_server.requests.clear()
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("GANZOO_OFFLINE", raising=False)
    return http_server


class WeightsPlugin:
    def __init__(self, *specs: WeightsSpec) -> None:
        self.specs = specs

    @hookimpl
    def register_weights(self, register):
        for spec in self.specs:
            register(spec)


@pytest.fixture
def register_weights(register_plugin):
    """``register_weights(*specs)`` registers them through the hook, as a plugin would."""

    def register(*specs: WeightsSpec) -> None:
        register_plugin(WeightsPlugin(*specs), f"weights-{len(specs)}-{specs[0].name}")

    return register


def spec_of(weights: Weights, **fields) -> WeightsSpec:
    fields = {"name": NAME, "sha256": weights.sha256, "size": len(weights.data), **fields}
    return WeightsSpec(**fields)


def cache_files() -> list[str]:
    return sorted(p.name for p in cache_dir().iterdir()) if cache_dir().exists() else []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- WeightsSpec
def test_spec_defaults_and_normalisation() -> None:
    spec = WeightsSpec(name="dcgan.digits-v2_b", url="https://example.org/w.safetensors", sha256="AB" * 32, size=10,
                       metrics={"fid": 3})
    assert spec.model == "dcgan"  # the part before the first dot
    assert spec.sha256 == "ab" * 32
    assert dict(spec.metrics) == {"fid": 3.0} and isinstance(spec.metrics["fid"], float)
    with pytest.raises(TypeError):
        spec.metrics["fid"] = 1.0  # type: ignore[index]
    dotted = WeightsSpec(name="dcgan.small.v1", model="dcgan.small", file="pkg.sub:w/x.safetensors", sha256="0" * 64, size=1)
    assert dotted.model == "dcgan.small"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "dcgan"}, "must be the model name 'dcgan', a dot and a tag"),
        ({"name": "DCGAN.x"}, "must be lowercase"),
        ({"name": "dcgan.a.b"}, "a dot and a tag"),
        ({"name": "wgan.x", "model": "dcgan"}, "must be the model name 'dcgan'"),
        ({"sha256": "abc"}, "sha256 must be 64 hex digits"),
        ({"sha256": "g" * 64}, "sha256 must be 64 hex digits"),
        ({"size": 0}, "size must be"),
        ({"size": True}, "size must be"),
        ({"url": ""}, "give a file shipped in a package, a url, or both"),
        ({"url": "ftp://x/y"}, "must start with https://"),
        ({"file": "no-colon.safetensors"}, "must look like 'package:relative/path'"),
        ({"file": "pkg:../escape.safetensors"}, "must look like 'package:relative/path'"),
        ({"sample": "pkg:/abs.png"}, "must look like 'package:relative/path'"),
        ({"metrics": {"fid": "good"}}, "metrics must map names to numbers"),
        ({"num_params": 1.5}, "num_params must be an int"),
    ],
)
def test_spec_validation(fields: dict, message: str) -> None:
    base = {"name": "dcgan.x", "url": "https://example.org/w.safetensors", "sha256": "0" * 64, "size": 1}
    with pytest.raises(ValueError, match=re.escape(message)):
        WeightsSpec(**{**base, **fields})


# ---------------------------------------------------------------- registry and hook
def test_hook_registers_weights(register_weights, weights: Weights) -> None:
    register_weights(spec_of(weights, url="https://example.org/w.safetensors"))
    registry = plugins.get_registry()
    assert registry.pretrained(NAME).model == "dcgan"
    assert registry.find(NAME) is registry.pretrained(NAME)  # `ganzoo info dcgan.test` finds it
    assert NAME in ganzoo.list_pretrained() and ganzoo.list_pretrained("*.te*") == [NAME] and ganzoo.list_pretrained("zz") == []
    info = next(i for i in plugins.plugin_infos() if f"weights:{NAME}" in i.registered)
    assert info.status == "ok" and info.hooks == ["register_weights"]
    with pytest.raises(UnknownNameError, match=re.escape("unknown pretrained weights 'dcgan.tset'") + did_you_mean(NAME)
                       + re.escape("; `ganzoo list --pretrained` shows them all")):
        registry.pretrained("dcgan.tset")


def test_weights_of_an_unregistered_model_are_dropped(register_weights, capsys, monkeypatch) -> None:
    register_weights(WeightsSpec(name="nomodel.x", url="https://example.org/x", sha256="0" * 64, size=1),
                     WeightsSpec(name="dcgan.kept", url="https://example.org/y", sha256="1" * 64, size=1))
    registry = plugins.get_registry()
    assert "nomodel.x" not in registry.weights and "dcgan.kept" in registry.weights
    (line,) = [l for l in capsys.readouterr().err.splitlines() if "nomodel.x" in l]
    assert line.startswith("ganzoo: warning: plugin ") and "pretrained weights 'nomodel.x' skipped: unknown model 'nomodel'" in line
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    plugins.reset()
    with pytest.raises(PluginError, match="unknown model 'nomodel'"):
        plugins.get_registry()


def test_weights_follow_their_model_when_it_is_dropped(register_plugin, capsys) -> None:
    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="ghost", architecture="no-such-arch", loss="bce"))

        @hookimpl
        def register_weights(self, register):
            register(WeightsSpec(name="ghost.v1", url="https://example.org/x", sha256="0" * 64, size=1))

    register_plugin(Plugin(), "ghost")
    assert "ghost.v1" not in plugins.get_registry().weights
    err = capsys.readouterr().err
    assert "model 'ghost' skipped" in err and "pretrained weights 'ghost.v1' skipped: unknown model 'ghost'" in err


# ---------------------------------------------------------------- resolver: download and cache
def test_download_loads_samples_and_lands_in_the_cache(server: Server, register_weights, weights: Weights, tmp_path, capsys) -> None:
    spec = spec_of(weights, url=server.url("g.safetensors"))
    register_weights(spec)
    assert where(spec) == "url"
    model = ganzoo.load(NAME)
    assert server.requests == ["/g.safetensors"]
    cached = cached_path(spec)
    assert cached == tmp_path / "home" / "weights" / f"{NAME}-{weights.sha256[:8]}.safetensors"
    assert cached.read_bytes() == weights.data
    assert cache_files() == [cached.name]  # no temporary file left beside it
    assert where(spec) == "cache"
    assert "ganzoo: downloading pretrained weights dcgan.test (112.9 kB) from http://127.0.0.1:" in capsys.readouterr().err
    images = model.sample(4, seed=1)
    assert images.shape == (4, 1, 16, 16)
    import torch

    assert torch.equal(images, ganzoo.load(weights.path).sample(4, seed=1))  # the very same weights

    # the second load comes from the cache: no request reaches the server
    again = ganzoo.load(NAME)
    assert server.requests == ["/g.safetensors"]
    assert torch.equal(again.sample(4, seed=1), images)


def test_cli_sample_by_pretrained_name(server: Server, register_weights, weights: Weights, tmp_path, capsys) -> None:
    register_weights(spec_of(weights, url=server.url("g.safetensors")))
    out = tmp_path / "grid.png"
    assert main(["sample", NAME, "-n", "4", "-o", str(out)]) == 0
    assert out.is_file() and "wrote 4 samples of dcgan" in capsys.readouterr().out
    assert main(["sample", "dcgan.tset", "-o", str(tmp_path / "other.png")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("ganzoo: error: no weights file or pretrained weights called 'dcgan.tset'") and NAME in line


def test_sha256_mismatch_keeps_nothing(server: Server, register_weights, weights: Weights) -> None:
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    register_weights(spec_of(weights, url=server.url("g.safetensors"), sha256=wrong))
    with pytest.raises(WeightsError) as exc:
        resolve_weights(NAME)
    message = str(exc.value)
    assert f"sha256 mismatch for pretrained weights '{NAME}' from {server.url('g.safetensors')}" in message
    assert f"expected {wrong}, got {weights.sha256}; the file was deleted" in message
    assert cache_files() == []


def test_truncated_download_keeps_nothing(server: Server, register_weights, weights: Weights) -> None:
    register_weights(spec_of(weights, url=server.url("truncated/g.safetensors")))
    size = len(weights.data)
    with pytest.raises(WeightsError, match=re.escape(f"truncated download of pretrained weights '{NAME}'")
                       + ".*" + re.escape(f"got {size // 2} of {size} bytes; the file was deleted")):
        resolve_weights(NAME)
    assert server.requests == ["/truncated/g.safetensors"]
    assert cache_files() == []


def test_download_larger_than_registered_keeps_nothing(server: Server, register_weights, weights: Weights) -> None:
    register_weights(spec_of(weights, url=server.url("g.safetensors"), size=1000))
    # the server's Content-Length already tells: refused before a byte of the body is read
    with pytest.raises(WeightsError, match=f"announces {len(weights.data)} bytes, but pretrained weights '{NAME}' are "
                       "registered with 1000: the server holds another file; nothing was downloaded"):
        resolve_weights(NAME)
    assert cache_files() == []


@pytest.mark.parametrize("where_to", ["missing", "closed-port"])
def test_network_errors_are_one_line_with_the_url(server: Server, register_weights, weights: Weights, where_to: str) -> None:
    url = server.url("missing.safetensors") if where_to == "missing" else f"http://127.0.0.1:{closed_port()}/g.safetensors"
    register_weights(spec_of(weights, url=url))
    with pytest.raises(WeightsError) as exc:
        resolve_weights(NAME)
    message = str(exc.value)
    assert message.startswith(f"cannot download pretrained weights '{NAME}' from {url}: ") and "\n" not in message
    if where_to == "missing":
        assert "HTTP 404" in message
    assert cache_files() == []


def test_offline_without_cache_refuses_with_cache_works(server: Server, register_weights, weights: Weights, monkeypatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/g.safetensors"  # nothing listens: a request would fail
    spec = spec_of(weights, url=dead)
    register_weights(spec)
    monkeypatch.setenv("GANZOO_OFFLINE", "1")
    with pytest.raises(WeightsError) as exc:
        resolve_weights(NAME)
    message = str(exc.value)
    assert "are not cached and GANZOO_OFFLINE is set" in message and dead in message
    assert str(cached_path(spec)) in message  # where to put the file by hand
    cached_path(spec).parent.mkdir(parents=True)
    cached_path(spec).write_bytes(weights.data)
    assert resolve_weights(NAME) == cached_path(spec)
    assert ganzoo.load(NAME).sample(2).shape == (2, 1, 16, 16)


@pytest.mark.parametrize("damage", ["flipped-byte", "truncated"])
def test_corrupt_cache_file_is_deleted_and_fetched_again(server: Server, register_weights, weights: Weights, capsys, damage: str) -> None:
    spec = spec_of(weights, url=server.url("g.safetensors"))
    register_weights(spec)
    cached = resolve_weights(NAME)
    data = bytearray(weights.data)
    if damage == "flipped-byte":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[:1000]
    cached.write_bytes(bytes(data))
    capsys.readouterr()
    assert resolve_weights(NAME) == cached
    assert cached.read_bytes() == weights.data
    assert server.requests == ["/g.safetensors", "/g.safetensors"]
    (line,) = [l for l in capsys.readouterr().err.splitlines() if "corrupt" in l]
    assert f"the cached {NAME} weights {cached} are corrupt" in line and "deleted, fetching them again" in line
    assert cache_files() == [cached.name]


# ---------------------------------------------------------------- resolver: package-shipped files
@pytest.fixture
def shipped_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weights: Weights) -> Iterator[Path]:
    """An importable package ``gz_shipped_weights`` holding ``weights/g.safetensors``."""
    package = tmp_path / "site" / "gz_shipped_weights"
    (package / "weights").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "weights" / "g.safetensors").write_bytes(weights.data)
    (package / "grid.png").write_bytes(b"not really a png")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield package / "weights" / "g.safetensors"
    sys.modules.pop("gz_shipped_weights", None)


def test_package_shipped_file_resolves_without_network(server: Server, register_weights, weights: Weights, shipped_package: Path, capsys) -> None:
    spec = spec_of(weights, file="gz_shipped_weights:weights/g.safetensors", url=server.url("g.safetensors"),
                   sample="gz_shipped_weights:grid.png")
    register_weights(spec)
    assert where(spec) == "package"
    assert resolve_weights(NAME) == shipped_package
    assert ganzoo.load(NAME).sample(2).shape == (2, 1, 16, 16)
    assert server.requests == [] and cache_files() == []
    assert main(["info", NAME, "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["where"] == "package" and card["package_path"] == str(shipped_package)
    assert card["sample_path"] == str(shipped_package.parent.parent / "grid.png")


def test_package_shipped_file_with_another_hash_is_refused(server: Server, register_weights, weights: Weights, shipped_package: Path) -> None:
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    register_weights(spec_of(weights, file="gz_shipped_weights:weights/g.safetensors", sha256=wrong))
    with pytest.raises(WeightsError, match=re.escape(f"{shipped_package}, the file of pretrained weights '{NAME}', does not match")):
        resolve_weights(NAME)
    assert shipped_package.read_bytes() == weights.data  # never deleted: it is the package's file


def test_missing_package_file_falls_back_to_the_url(server: Server, register_weights, weights: Weights) -> None:
    spec = spec_of(weights, file="gz_not_installed_pkg:w.safetensors", url=server.url("g.safetensors"))
    register_weights(spec)
    assert where(spec) == "url"
    assert resolve_weights(NAME) == cached_path(spec) and server.requests == ["/g.safetensors"]


# ---------------------------------------------------------------- resolver: names and paths
def test_paths_win_and_unknown_names_get_a_suggestion(server: Server, register_weights, weights: Weights, tmp_path: Path) -> None:
    register_weights(spec_of(weights, url=server.url("g.safetensors")))
    assert resolve_weights(weights.path) == weights.path  # a local file
    assert resolve_weights(str(weights.path.parent)) == weights.path.parent  # a run folder, as before
    with pytest.raises(UnknownNameError) as exc:
        resolve_weights("dcgan.tset")
    assert re.fullmatch(r"no weights file or pretrained weights called 'dcgan.tset'" + did_you_mean(NAME)
                        + re.escape("; `ganzoo list --pretrained` shows them all"), str(exc.value))
    with pytest.raises(UnknownNameError, match=r"'dcgan' is a model, not weights; its pretrained weights: .*" + re.escape(f"'{NAME}'")):
        resolve_weights("dcgan")
    for path in (str(tmp_path / "nope"), "nope.safetensors"):
        with pytest.raises(WeightsError, match=re.escape(f"weights file {path!r} does not exist")):
            resolve_weights(path)
    assert server.requests == []


# ---------------------------------------------------------------- CLI, installed distribution
DEMO = "dcgan.gzdemo"
DEMO_PLUGIN = f'''
from ganzoo import WeightsSpec, hookimpl

@hookimpl
def register_weights(register):
    register(WeightsSpec(
        name="{DEMO}", summary="demo weights", dataset="digits", url="https://example.org/{DEMO}.safetensors",
        sha256="{"ab" * 32}", size=123456, num_params=3576704, metrics={{"fid": 12.5, "is": 2.25}},
        precision="fp16", license="MIT", command="ganzoo run dcgan --steps 3000",
    ))
'''


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    site = make_distribution(tmp_path_factory.mktemp("site"), "gz-demo-weights", {"gz_demo_weights": DEMO_PLUGIN},
                             {"demo": "gz_demo_weights"}, version="1.2")
    home = tmp_path_factory.mktemp("home")
    return {"PYTHONPATH": str(site), "GANZOO_LOAD_PLUGINS": "gz-demo-weights", "GANZOO_STRICT_PLUGINS": "1", "GANZOO_HOME": str(home)}


def test_cli_list_pretrained(demo_env: dict[str, str]) -> None:
    proc = run_cli("list", "--pretrained", env=demo_env)
    assert proc.returncode == 0, proc.stderr
    rows = [[c.strip() for c in re.split(r"[┃│|]", line)[1:-1]] for line in proc.stdout.splitlines()]
    assert ["name", "model", "dataset", "params", "size", "precision", "metrics", "source"] in rows
    assert [DEMO, "dcgan", "digits", "3.58M", "123.5 kB", "fp16", "fid 12.5, is 2.25", "gz-demo-weights 1.2"] in rows
    none = run_cli("list", "--pretrained", "zz*", env=demo_env)
    assert none.returncode == 0 and none.stdout.strip() == "no pretrained weights match 'zz*'"
    listed = json.loads(run_cli("list", "--pretrained", "--json", env=demo_env, check=True).stdout)
    assert [(w["name"], w["where"], w["sha256"], w["size"]) for w in listed if w["name"] == DEMO] == [(DEMO, "url", "ab" * 32, 123456)]


def test_cli_info_pretrained(demo_env: dict[str, str]) -> None:
    card = json.loads(run_cli("info", DEMO, "--json", env=demo_env, check=True).stdout)
    cache = Path(demo_env["GANZOO_HOME"]) / "weights" / f"{DEMO}-abababab.safetensors"
    assert card == {
        "kind": "weights", "name": DEMO, "model": "dcgan", "summary": "demo weights", "dataset": "digits", "file": "",
        "url": f"https://example.org/{DEMO}.safetensors", "sha256": "ab" * 32, "size": 123456, "num_params": 3576704,
        "command": "ganzoo run dcgan --steps 3000", "metrics": {"fid": 12.5, "is": 2.25}, "license": "MIT",
        "sample": "", "precision": "fp16", "source": {"plugin": "demo", "distribution": "gz-demo-weights", "version": "1.2"},
        "where": "url", "cache_path": str(cache), "package_path": None, "sample_path": None,
    }
    text = run_cli("info", DEMO, env=demo_env, check=True).stdout
    assert f"pretrained weights {DEMO}" in text and "123,456 bytes (123.5 kB)" in text and "3,576,704" in text
    resolves = " ".join(line.strip("│ ") for line in text.splitlines() if "│" in line)
    assert f"not cached yet; loading it downloads https://example.org/{DEMO}.safetensors into" in resolves
    # an unknown name suggests the weights too
    proc = run_cli("info", "dcgan.gzdem", env=demo_env)
    assert proc.returncode == 2 and f"(did you mean '{DEMO}'" in proc.stderr


TORCH_FREE = """
import contextlib, io, json, sys
from ganzoo.cli.main import main
outputs = {}
for argv in (["list", "--pretrained"], ["list", "--pretrained", "--json"], ["info", sys.argv[1]], ["info", sys.argv[1], "--json"],
             ["plugins", "--json"]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0, argv
    assert "torch" not in sys.modules, argv
    outputs[" ".join(argv)] = out.getvalue()
print(json.dumps(json.loads(outputs["plugins --json"])))
"""


def test_listing_pretrained_never_imports_torch(demo_env: dict[str, str]) -> None:
    import os

    proc = subprocess.run([sys.executable, "-c", TORCH_FREE, DEMO], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **demo_env})
    assert proc.returncode == 0, proc.stderr
    demo = next(i for i in json.loads(proc.stdout) if i["distribution"] == "gz-demo-weights")
    assert demo["status"] == "ok" and demo["registered"] == [f"weights:{DEMO}"] and demo["hooks"] == ["register_weights"]


def test_download_with_a_progress_bar(server: Server, register_weights, weights: Weights, capsys) -> None:
    spec = spec_of(weights, url=server.url("g.safetensors"))
    register_weights(spec)
    assert resolve_weights(NAME, progress=True) == cached_path(spec)
    assert cached_path(spec).read_bytes() == weights.data
    err = capsys.readouterr().err
    assert f"downloading {NAME}" in err and "112.9" in err  # rich's bar, drawn on stderr, counts to the size
