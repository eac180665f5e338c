"""The Hugging Face Hub: ``hf://`` addresses, ``ganzoo push`` and its model card.

Everything talks to :class:`tests.helpers.fake_hub.FakeHub` on 127.0.0.1 through ``HF_ENDPOINT``;
nothing here reaches the internet. ``huggingface_hub`` reads its environment (endpoint, offline
switch, cache, telemetry) once, at import, so every test that uses it runs ganzoo in a fresh
subprocess with that environment; this process never imports it. The run pushed is real: two
training steps of a tiny DCGAN, with its config, metrics and sample grid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from ganzoo.errors import WeightsError
from ganzoo.io import hub
from ganzoo.io.model_card import describe
from tests.helpers import REPO
from tests.helpers.fake_hub import TOKEN, FakeHub

pytest.importorskip("huggingface_hub")

REPO_ID = "someone/dcgan-tiny"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run folder: two steps of a tiny DCGAN on digits, with a sample grid and an evaluation line."""
    import ganzoo

    out = tmp_path_factory.mktemp("runs") / "dcgan-digits"
    ganzoo.train("dcgan", out=out, steps=2, batch_size=8, sample_every=2, num_samples=4, progress=False, ngf=8, ndf=8)
    with open(out / "metrics.jsonl", "a", encoding="utf-8") as fh:  # as `--eval-every` writes it
        fh.write(json.dumps({"step": 2, "eval": {"fd_digits": 12.5, "classes_covered": 7}}) + "\n")
    return out


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a ganzoo subprocess: its own HF_HOME and GANZOO_HOME, no token, online; 127.0.0.1
    directly, and every other host through a proxy that refuses (so a request for the internet fails at once)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "GANZOO_"))
            and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    refused = "http://127.0.0.1:9"
    return {**base, "HF_HOME": str(tmp_path / "hf"), "GANZOO_HOME": str(tmp_path / "ganzoo"), "NO_PROXY": "127.0.0.1,localhost",
            "HTTP_PROXY": refused, "HTTPS_PROXY": refused, "ALL_PROXY": refused,
            "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture
def server() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        yield fake


def ganzoo_cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def python(env: dict[str, str], code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object, returned here."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: Loads each address; prints {address: "sha256 of the loaded generator's tensors" or "error: one line"}.
LOADER = """
import hashlib, json, sys
import ganzoo

def digest(model):
    state = model.generator.state_dict()
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode()); h.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()

out = {}
for address in sys.argv[1:] or ADDRESSES:
    try:
        out[address] = digest(ganzoo.load(address, device="cpu", progress=False))
    except ganzoo.GanzooError as exc:
        out[address] = f"error: {exc}"
print(json.dumps(out))
"""


def load_all(env: dict[str, str], *addresses: str) -> dict[str, str]:
    return python(env, f"ADDRESSES = {list(addresses)!r}\n" + LOADER)


def local_digest(path: Path) -> str:
    return load_all({**os.environ, "PYTHONPATH": str(REPO), "GANZOO_OFFLINE": "1"}, str(path))[str(path)]


def one_line_error(result: str) -> str:
    assert result.startswith("error: ") and "\n" not in result, result
    return result.removeprefix("error: ")


# ---------------------------------------------------------------- the grammar (no Hub needed)
@pytest.mark.parametrize("address, repo_id, filename, revision", [
    ("hf://someone/dcgan", "someone/dcgan", "generator.safetensors", None),
    ("hf://someone/dcgan@v1.0", "someone/dcgan", "generator.safetensors", "v1.0"),
    ("hf://some-one/dc_gan.x/ema/generator.ema.safetensors", "some-one/dc_gan.x", "ema/generator.ema.safetensors", None),
    ("hf://someone/dcgan/g.safetensors@refs/pr/1", "someone/dcgan", "g.safetensors", "refs/pr/1"),
])
def test_hub_addresses_parse(address: str, repo_id: str, filename: str, revision: str | None) -> None:
    ref = hub.parse(address)
    assert (ref.repo_id, ref.filename, ref.revision) == (repo_id, filename, revision)
    assert hub.parse(str(ref)) == ref


@pytest.mark.parametrize("address, why", [
    ("hf://someone", "it names no OWNER/REPO"),
    ("hf:///dcgan", "it names no OWNER/REPO"),
    ("hf://someone/dcgan/weights.bin", "must be a .safetensors file"),
    ("hf://someone/dcgan/../x.safetensors", "without empty, '.' or '..' parts"),
    ("hf://someone/dcgan/", "without empty, '.' or '..' parts"),
    ("hf://someone/dcgan@", "the revision '' must be"),
    ("hf://someone/dcgan@main/generator.safetensors", "the revision goes last"),
    ("hf://datasets/someone", "only model repositories hold weights"),
    ("hf://some one/dcgan", "is not a valid owner or repository name"),
    ("hf://someone/dc--gan", "is not a valid owner or repository name"),
    ("HF://someone/dcgan", "it must start with hf:// (lowercase)"),
])
def test_malformed_hub_address_is_one_line(address: str, why: str) -> None:
    with pytest.raises(WeightsError) as caught:
        hub.parse(address)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{address!r} is not a Hub address: ") and why in message, message
    assert "hf://OWNER/REPO[/FILE.safetensors][@REVISION]" in message


def test_hub_urls_are_accepted_by_weights_specs() -> None:
    from ganzoo.plugin.specs import WeightsSpec

    spec = WeightsSpec(name="dcgan.hub", url="hf://someone/dcgan@v1", sha256="0" * 64, size=1)
    assert hub.is_hub_url(spec.url)


def test_without_huggingface_hub_one_line_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import ganzoo
    from ganzoo.errors import GanzooError

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # as if it were not installed
    with pytest.raises(GanzooError) as caught:
        ganzoo.load("hf://someone/dcgan")
    assert str(caught.value) == "the Hugging Face Hub needs the huggingface_hub package: pip install 'ganzoo[hub]'"


# ---------------------------------------------------------------- the model card (no Hub needed)
def test_model_card_from_a_run_folder(run_dir: Path) -> None:
    card = describe(run_dir, REPO_ID, license="MIT")
    text = card.text
    front, _, body = text.removeprefix("---\n").partition("\n---\n")
    assert front.splitlines() == ["library_name: ganzoo", 'tags: ["gan", "ganzoo", "noise", "dcgan"]', "license: mit",
                                  "pipeline_tag: unconditional-image-generation"]
    assert card.weights == run_dir / "generator.safetensors" and card.model == "dcgan"
    assert card.sample == run_dir / "samples" / "step-000002.png" and "![samples drawn by this generator](sample.png)" in body
    assert "[arXiv:1511.06434](https://arxiv.org/abs/1511.06434)" in body
    assert "| dataset | `digits` |" in body and "| training steps | 2 |" in body
    assert f'model = ganzoo.load("hf://{REPO_ID}")' in body and f"ganzoo sample hf://{REPO_ID} -o samples.png" in body
    assert "ganzoo run dcgan --dataset digits --steps 2 --seed 0" in body and "rebuilt from the run's configuration" in body
    assert "| fd_digits | 12.5 |" in body and "| classes_covered | 7 |" in body
    assert '"ngf": 8' in body  # the whole configuration


def test_model_card_refuses_what_is_not_a_ganzoo_generator(run_dir: Path, tmp_path: Path) -> None:
    from ganzoo.errors import GanzooError

    with pytest.raises(GanzooError, match="holds the discriminator, not a generator"):
        describe(run_dir / "discriminator.safetensors", REPO_ID)
    with pytest.raises(GanzooError, match="does not exist"):
        describe(tmp_path / "nothing", REPO_ID)
    with pytest.raises(GanzooError, match="is not a Hub license identifier"):
        describe(run_dir, REPO_ID, license="All rights reserved")


# ---------------------------------------------------------------- push, then load (the fake Hub)
def test_push_then_load_round_trip_and_offline_cache(run_dir: Path, server: FakeHub, env: dict[str, str], tmp_path: Path) -> None:
    online = {**env, "HF_ENDPOINT": server.url}
    pushed = ganzoo_cli({**online, "HF_TOKEN": TOKEN}, "push", str(run_dir), REPO_ID, "--license", "mit")
    assert pushed.returncode == 0, pushed.stderr
    assert f"load it with ganzoo.load('hf://{REPO_ID}')" in " ".join(pushed.stdout.split())
    files = server.files(REPO_ID)
    assert files["generator.safetensors"] == (run_dir / "generator.safetensors").read_bytes()
    assert files["sample.png"] == (run_dir / "samples" / "step-000002.png").read_bytes()
    assert files["README.md"].decode().startswith("---\nlibrary_name: ganzoo\n")
    assert any(r.startswith("POST /api/models/someone/dcgan-tiny/commit/main") for r in server.requests)
    branch = ganzoo_cli({**online, "HF_TOKEN": TOKEN}, "push", str(run_dir / "generator.safetensors"), REPO_ID, "--branch", "dev")
    assert branch.returncode == 0, branch.stderr
    assert f'ganzoo.load("hf://{REPO_ID}@dev")' in server.files(REPO_ID, "dev")["README.md"].decode()

    expected = local_digest(run_dir / "generator.safetensors")
    got = load_all(online, f"hf://{REPO_ID}", f"hf://{REPO_ID}@dev", f"hf://{REPO_ID}/generator.safetensors@main", "hf://someone/absent",
                   f"hf://{REPO_ID}/other.safetensors", f"hf://{REPO_ID}@v9", f"hf://{REPO_ID}/sample.safetensors")
    assert got[f"hf://{REPO_ID}"] == got[f"hf://{REPO_ID}@dev"] == got[f"hf://{REPO_ID}/generator.safetensors@main"] == expected
    assert "no model repository 'someone/absent' on http://127.0.0.1:" in one_line_error(got["hf://someone/absent"])
    assert "has no file 'other.safetensors'" in one_line_error(got[f"hf://{REPO_ID}/other.safetensors"])
    assert "has no revision 'v9'" in one_line_error(got[f"hf://{REPO_ID}@v9"])
    assert "has no file 'sample.safetensors'" in one_line_error(got[f"hf://{REPO_ID}/sample.safetensors"])
    assert (tmp_path / "hf" / "hub" / "models--someone--dcgan-tiny").is_dir()  # the Hub's own cache

    server.shutdown()  # from here on nothing answers: the cache alone
    for switch in ("HF_HUB_OFFLINE", "GANZOO_OFFLINE"):
        got = load_all({**online, switch: "1"}, f"hf://{REPO_ID}", f"hf://{REPO_ID}/uncached.safetensors")
        assert got[f"hf://{REPO_ID}"] == expected, switch
        message = one_line_error(got[f"hf://{REPO_ID}/uncached.safetensors"])
        assert message.startswith(f"hf://{REPO_ID}/uncached.safetensors is not in the Hugging Face cache (") and \
            "HF_HUB_OFFLINE or GANZOO_OFFLINE is set, so it was not downloaded" in message, message


def test_the_file_from_the_hub_is_checked_like_any_weights_file(server: FakeHub, env: dict[str, str]) -> None:
    from tests.helpers.fake_hub import Repo

    server.repos["someone/bad"] = repo = Repo()
    repo.commit("main", {"generator.safetensors": b"\x80\x04 a pickle, not safetensors"})
    got = load_all({**env, "HF_ENDPOINT": server.url}, "hf://someone/bad")
    assert "is a pickled PyTorch checkpoint, not safetensors; ganzoo never unpickles files" in one_line_error(got["hf://someone/bad"])


def test_registered_weights_with_a_hub_url(run_dir: Path, server: FakeHub, env: dict[str, str]) -> None:
    import hashlib

    from tests.helpers.fake_hub import Repo

    data = (run_dir / "generator.safetensors").read_bytes()
    server.repos[REPO_ID] = repo = Repo()
    commit = repo.commit("main", {"generator.safetensors": data})
    code = f"""
        import json
        from ganzoo.errors import GanzooError
        from ganzoo.io.pretrained import fetch
        from ganzoo.plugin.specs import WeightsSpec
        out = {{}}
        for name, url, sha in [("dcgan.hub", "hf://{REPO_ID}@{commit}", "{hashlib.sha256(data).hexdigest()}"),
                               ("dcgan.moved", "hf://{REPO_ID}", "{'0' * 64}")]:
            try:
                out[name] = open(fetch(WeightsSpec(name=name, url=url, sha256=sha, size={len(data)}), progress=False), "rb").read().hex()
            except GanzooError as exc:
                out[name] = "error: " + str(exc)
        print(json.dumps(out))
    """
    got = python({**env, "HF_ENDPOINT": server.url}, code)
    assert bytes.fromhex(got["dcgan.hub"]) == data
    message = one_line_error(got["dcgan.moved"])
    assert message.startswith(f"hf://{REPO_ID}, the file of pretrained weights 'dcgan.moved', does not match its registration (sha256 ")
    assert "register a revision (@COMMIT) or the new hash" in message


# ---------------------------------------------------------------- one line at the command line
def test_cli_errors_are_one_line(run_dir: Path, server: FakeHub, env: dict[str, str], tmp_path: Path) -> None:
    online = {**env, "HF_ENDPOINT": server.url}
    cases = [
        (online, ["push", str(run_dir), REPO_ID], "pushing to the Hugging Face Hub needs a token with write access: set HF_TOKEN"),
        ({**online, "HF_TOKEN": "hf_wrong"}, ["push", str(run_dir), REPO_ID], f"the Hub at {server.url} refused the token (HTTP 401)"),
        (online, ["push", str(run_dir), "not-a-repo"], "'not-a-repo' is not a Hub repository: give OWNER/REPO"),
        (online, ["push", str(run_dir / "discriminator.safetensors"), REPO_ID], "holds the discriminator, not a generator"),
        (online, ["sample", "hf://someone/absent", "-o", str(tmp_path / "s.png")], "no model repository 'someone/absent'"),
        (online, ["sample", "hf://someone", "-o", str(tmp_path / "s.png")], "'hf://someone' is not a Hub address: it names no OWNER/REPO"),
    ]
    for case_env, args, says in cases:
        proc = ganzoo_cli(case_env, *args)
        lines = proc.stderr.splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("ganzoo: error: ") and says in lines[0], (args, proc.stderr)
    assert REPO_ID not in server.repos and not (tmp_path / "s.png").exists()
    assert not any("/commit/" in r for r in server.requests)
