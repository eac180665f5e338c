"""Plugin discovery, the registry and spec validation.

End-to-end tests run the real CLI in a subprocess against throwaway installed distributions
(one shared folder holding every one of them; ``GANZOO_LOAD_PLUGINS`` picks which load, so
the allow-list is exercised by every test). Unit tests drive ``ganzoo.registry``,
``ganzoo.specs`` and ``ganzoo.plugins`` in process.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from tests.helpers import did_you_mean, first_party, first_party_names, make_distribution, run_cli
from ganzoo.plugin import discovery as plugins
from ganzoo.errors import PluginError, UnknownNameError
from ganzoo.plugin.hookspecs import hookimpl
from ganzoo.plugin.registry import ConflictError, Registry, Table, suggest
from ganzoo.plugin.specs import TASKS, ArchitectureSpec, DatasetSpec, LossSpec, ModelSpec, Source, resolve

# ---------------------------------------------------------------- ganzoo's own plugins
# ---------------------------------------------------------------- throwaway distributions
GOOD = '''
from ganzoo import ArchitectureSpec, LossSpec, ModelSpec, hookimpl

@hookimpl
def register_architectures(register):
    register(ArchitectureSpec(name="tinygan", task="noise", builder="gz_good_nets:build", summary="tiny nets"))

@hookimpl
def register_losses(register):
    register(LossSpec(name="tiny-hinge", builder="gz_good_nets:Hinge", summary="hinge"))

@hookimpl
def register_models(register):
    register(ModelSpec(name="tinygan", architecture="tinygan", loss="tiny-hinge", summary="a tiny GAN"))
'''

BROKEN_IMPORT = '''
raise RuntimeError("boom at import time")
'''

EXITS = '''
import sys
sys.exit("gave up:\\n  missing dependency")  # SystemExit, and a message on two lines
'''

RAISING_HOOK = '''
from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

@hookimpl
def register_architectures(register):
    register(ArchitectureSpec(name="halfway", task="noise", builder="gz_raising:build"))

@hookimpl
def register_models(register):
    raise ValueError("hook exploded")
'''

CONFLICT = '''
from ganzoo import ModelSpec, hookimpl

@hookimpl
def register_models(register):
    register(ModelSpec(name="dcgan", architecture="dcgan", loss="bce", summary="an impostor"))
    register(ModelSpec(name="dcgan-alt", architecture="dcgan", loss="bce", summary="a harmless variant"))
'''

MISSPELLED = '''
from ganzoo import ModelSpec, hookimpl

@hookimpl
def register_model(register):
    register(ModelSpec(name="never-registered", architecture="dcgan", loss="bce"))

@hookimpl
def register_models(register):
    register(ModelSpec(name="spelled-right", architecture="dcgan", loss="bce"))
'''

UNKNOWN_ARCH = '''
from ganzoo import ModelSpec, hookimpl

@hookimpl
def register_models(register):
    register(ModelSpec(name="orphan", architecture="no-such-arch", loss="bce"))
    register(ModelSpec(name="adopted", architecture="dcgan", loss="bce"))
'''

DISTS = {
    # distribution: (module, source, version)
    "gz-good": ("gz_good", GOOD, "2.3.4"),
    "gz-broken-import": ("gz_broken_import", BROKEN_IMPORT, "0.1"),
    "gz-exits": ("gz_exits", EXITS, "0.1"),
    "gz-raising": ("gz_raising", RAISING_HOOK, "0.1"),
    "gz-conflict": ("gz_conflict", CONFLICT, "0.5"),
    "gz-misspelled": ("gz_misspelled", MISSPELLED, "0.1"),
    "gz-unknown-arch": ("gz_unknown_arch", UNKNOWN_ARCH, "0.1"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    for dist, (module, source, version) in DISTS.items():
        make_distribution(folder, dist, {module: source}, {module.removeprefix("gz_"): module}, version=version)
    return folder


def ganzoo(site: Path, *args: str, load: str, strict: bool = False) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(site), "GANZOO_LOAD_PLUGINS": load}
    if strict:
        env["GANZOO_STRICT_PLUGINS"] = "1"
    return run_cli(*args, env=env, timeout=60)


def warnings_of(proc: subprocess.CompletedProcess) -> list[str]:
    """stderr lines; every one must be a one-line ganzoo warning (no traceback, no noise)."""
    lines = proc.stderr.splitlines()
    assert "Traceback" not in proc.stderr
    assert all(line.startswith("ganzoo: warning: ") for line in lines), proc.stderr
    return lines


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


# ---------------------------------------------------------------- broken plugins are skipped
def test_plugin_broken_on_import_is_skipped_with_one_warning(site: Path) -> None:
    proc = ganzoo(site, "plugins", "--json", load="gz-broken-import,gz-good")
    assert proc.returncode == 0, proc.stderr
    (line,) = warnings_of(proc)
    assert "gz-broken-import" in line and "RuntimeError: boom at import time" in line
    infos = by_name(json.loads(proc.stdout))
    assert infos["broken_import"]["status"] == "broken"
    assert infos["broken_import"]["distribution"] == "gz-broken-import"
    assert "boom at import time" in infos["broken_import"]["error"]
    # everything else keeps working: ganzoo's own plugins and the good third-party one
    assert infos["good"]["status"] == "ok" and infos["dcgan"]["status"] == "ok"
    assert "model:tinygan" in infos["good"]["registered"]


def test_plugin_broken_on_import_shown_as_broken_in_table_and_list_still_works(site: Path) -> None:
    proc = ganzoo(site, "list", load="gz-broken-import,gz-good")
    assert proc.returncode == 0
    assert len(warnings_of(proc)) == 1
    assert "dcgan" in proc.stdout and "tinygan" in proc.stdout
    table = ganzoo(site, "plugins", load="gz-broken-import")
    assert table.returncode == 0
    row = next(line for line in table.stdout.splitlines() if "broken_import" in line)
    assert "broken" in row and "gz-broken-import" in row


def test_plugin_that_exits_on_import_is_skipped_on_one_line(site: Path) -> None:
    proc = ganzoo(site, "list", "--json", load="gz-exits")
    assert proc.returncode == 0
    (line,) = warnings_of(proc)
    assert "gz-exits" in line and "SystemExit: gave up: missing dependency" in line
    assert [m["name"] for m in json.loads(proc.stdout)] == first_party_names(ModelSpec)  # ganzoo's own, intact


def test_plugin_whose_hook_raises_is_skipped_whole(site: Path) -> None:
    proc = ganzoo(site, "plugins", "--json", load="gz-raising")
    assert proc.returncode == 0
    (line,) = warnings_of(proc)
    assert "gz-raising" in line and "register_models" in line and "ValueError: hook exploded" in line
    info = by_name(json.loads(proc.stdout))["raising"]
    assert info["status"] == "broken" and "hook exploded" in info["error"]
    # what its earlier hook registered is rolled back: a half-registered plugin is worse than none
    assert info["registered"] == []
    archs = ganzoo(site, "list", "--architectures", "--json", load="gz-raising")
    assert archs.returncode == 0
    names = [a["name"] for a in json.loads(archs.stdout)]
    assert "halfway" not in names
    assert names == first_party_names(ArchitectureSpec)


def test_conflicting_registration_names_both_distributions_and_first_stays(site: Path) -> None:
    proc = ganzoo(site, "list", "--json", load="gz-conflict")
    assert proc.returncode == 0
    (line,) = warnings_of(proc)
    assert "'dcgan'" in line and "'gz-conflict'" in line and "'ganzoo'" in line
    assert "keeping the one from distribution 'ganzoo'" in line
    models = by_name(json.loads(proc.stdout))
    assert models["dcgan"]["source"]["distribution"] == "ganzoo"
    assert models["dcgan"]["summary"] != "an impostor"
    # the rest of the conflicting plugin still registers
    assert models["dcgan-alt"]["source"] == {"plugin": "conflict", "distribution": "gz-conflict", "version": "0.5"}


def test_misspelled_hook_is_reported_with_did_you_mean(site: Path) -> None:
    proc = ganzoo(site, "plugins", "--json", load="gz-misspelled")
    assert proc.returncode == 0
    (line,) = warnings_of(proc)
    assert "'register_model'" in line and "did you mean 'register_models'" in line and "gz-misspelled" in line
    info = by_name(json.loads(proc.stdout))["misspelled"]
    assert info["status"] == "ok"
    assert any("register_model'" in w for w in info["warnings"])
    assert info["registered"] == ["model:spelled-right"]
    assert info["hooks"] == ["register_models"]


def test_model_with_unknown_architecture_is_dropped_with_a_warning(site: Path) -> None:
    proc = ganzoo(site, "list", "--json", load="gz-unknown-arch")
    assert proc.returncode == 0
    (line,) = warnings_of(proc)
    assert "'orphan'" in line and "unknown architecture 'no-such-arch'" in line and "gz-unknown-arch" in line
    names = [m["name"] for m in json.loads(proc.stdout)]
    assert "orphan" not in names
    assert "adopted" in names and "dcgan" in names


# ---------------------------------------------------------------- strict mode
@pytest.mark.parametrize(
    "dist, expected",
    [
        ("gz-broken-import", "boom at import time"),
        ("gz-exits", "gave up"),
        ("gz-raising", "hook exploded"),
        ("gz-conflict", "conflicts with"),
        ("gz-misspelled", "register_model"),
        ("gz-unknown-arch", "no-such-arch"),
    ],
)
def test_strict_mode_makes_plugin_problems_fatal(site: Path, dist: str, expected: str) -> None:
    proc = ganzoo(site, "list", load=dist, strict=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("ganzoo: error: ") and dist in line and expected in line


def test_strict_mode_is_quiet_when_plugins_are_fine(site: Path) -> None:
    proc = ganzoo(site, "list", load="gz-good", strict=True)
    assert proc.returncode == 0 and proc.stderr == ""
    row = next(line for line in proc.stdout.splitlines() if "tinygan" in line)
    assert "tiny-hinge" in row and "noise" in row and "gz-good 2.3.4" in row  # source distribution and version


# ---------------------------------------------------------------- the allow-list
def test_allow_list_loads_only_named_distributions(site: Path) -> None:
    # the broken ones are installed too, but never imported: no warnings at all
    proc = ganzoo(site, "plugins", "--json", load="GZ_Good")  # names compare normalized
    assert proc.returncode == 0 and proc.stderr == ""
    infos = by_name(json.loads(proc.stdout))
    assert infos["good"]["status"] == "ok" and infos["good"]["version"] == "2.3.4"
    for name in ("broken_import", "exits", "raising", "conflict", "misspelled", "unknown_arch"):
        assert infos[name]["status"] == "skipped", name
        assert infos[name]["registered"] == []
    # ganzoo's own plugins always load
    assert {infos[n]["status"] for n in first_party()} == {"ok"}


def test_empty_allow_list_loads_no_third_party_plugin(site: Path) -> None:
    proc = ganzoo(site, "list", "--json", load="")
    assert proc.returncode == 0 and proc.stderr == ""
    models = json.loads(proc.stdout)
    assert [m["name"] for m in models] == first_party_names(ModelSpec)  # none of tinygan, dcgan-alt, adopted, ...
    assert {m["source"]["distribution"] for m in models} == {"ganzoo"}


def test_without_allow_list_every_installed_plugin_loads(site: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GANZOO_LOAD_PLUGINS"}
    env["PYTHONPATH"] = str(site)
    proc = subprocess.run(
        [sys.executable, "-m", "ganzoo", "plugins", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0
    # one line each: broken import, exit on import, raising hook, conflict, misspelled hook, orphan model
    # (other plugins installed on this machine load too; only ours are counted)
    lines = [line for line in warnings_of(proc) if "distribution 'gz-" in line]
    assert len(lines) == 6, proc.stderr
    statuses = {i["name"]: i["status"] for i in json.loads(proc.stdout) if i["distribution"].startswith("gz-")}
    assert statuses["good"] == "ok" and statuses["broken_import"] == "broken" and statuses["raising"] == "broken"
    assert "skipped" not in statuses.values()


# ---------------------------------------------------------------- torch stays unimported
TORCH_FREE_CLI = """
import contextlib, io, sys
from ganzoo.cli.main import main
for argv in (["list"], ["list", "--json"], ["info", "dcgan"], ["info", "dcgan", "--json"], ["plugins"], ["--help"]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    assert code == 0, (argv, code)
    assert "torch" not in sys.modules, argv
print("torch-free")
"""

TORCH_FREE_API = """
import json, sys
import ganzoo
everything, gans = json.loads(sys.argv[1])  # ganzoo's own models, and those matching *gan*
assert ganzoo.list_models() == everything, ganzoo.list_models()
assert ganzoo.list_models("*gan*") == gans, ganzoo.list_models("*gan*")
from ganzoo.plugin.discovery import get_registry
assert get_registry().model("dcgan").architecture == "dcgan"
assert "torch" not in sys.modules
print("torch-free")
"""


@pytest.mark.parametrize("script", [TORCH_FREE_CLI, TORCH_FREE_API], ids=["cli", "api"])
def test_listing_never_imports_torch(script: str) -> None:
    everything = first_party_names(ModelSpec)
    gans = [n for n in everything if fnmatchcase(n, "*gan*")]
    assert "dcgan" in gans
    expected = json.dumps([everything, gans])
    proc = subprocess.run([sys.executable, "-c", script, expected], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("torch-free")


# ---------------------------------------------------------------- in-process plugins
class InCodePlugin:
    @hookimpl
    def register_architectures(self, register):
        register(ArchitectureSpec(name="incode-arch", task="class", builder="somewhere.nets:build"))

    @hookimpl
    def register_models(self, register):
        register(ModelSpec(name="incode", architecture="incode-arch", loss="bce"))


def test_plugin_registered_in_code_is_found(register_plugin) -> None:
    register_plugin(InCodePlugin(), "incode")
    registry = plugins.get_registry()
    model = registry.model("incode")
    assert model.source == Source("incode", plugins.IN_CODE, "")
    assert registry.architecture(model.architecture).task == "class"
    info = next(i for i in plugins.plugin_infos() if i.name == "incode")
    assert info.status == "ok" and info.registered == ["architecture:incode-arch", "model:incode"]


def test_unregistered_in_code_plugin_is_gone(register_plugin) -> None:
    register_plugin(InCodePlugin(), "incode")
    assert "incode" in plugins.get_registry().models
    plugins.unregister("incode")
    assert "incode" not in plugins.get_registry().models


def test_in_code_plugin_name_must_be_unique(register_plugin) -> None:
    register_plugin(InCodePlugin(), "twice")
    with pytest.raises(ValueError, match="'twice'"):
        plugins.register(InCodePlugin(), "twice")


def test_in_code_conflict_keeps_first_and_warns(register_plugin, capsys: pytest.CaptureFixture) -> None:
    class Impostor:
        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="dcgan", architecture="dcgan", loss="bce", summary="impostor"))

    register_plugin(Impostor(), "impostor")
    assert plugins.get_registry().model("dcgan").source.distribution == "ganzoo"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'ganzoo'" in err and plugins.IN_CODE in err


def test_register_with_wrong_spec_type_breaks_the_plugin(register_plugin, capsys: pytest.CaptureFixture) -> None:
    class WrongType:
        @hookimpl
        def register_models(self, register):
            register(LossSpec(name="not-a-model", builder="x.y:z"))

    register_plugin(WrongType(), "wrongtype")
    info = next(i for i in plugins.plugin_infos() if i.name == "wrongtype")
    assert info.status == "broken" and "takes ModelSpec objects, got LossSpec" in info.error
    assert "not-a-model" not in plugins.get_registry().losses
    assert "wrongtype" in capsys.readouterr().err


def test_strict_mode_in_process_raises_plugin_error(register_plugin, monkeypatch: pytest.MonkeyPatch) -> None:
    class Raises:
        @hookimpl
        def register_losses(self, register):
            raise KeyError("nope")

    register_plugin(Raises(), "raises")
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="register_losses raised KeyError"):
        plugins.get_registry()
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "0")
    assert "dcgan" in plugins.get_registry().models  # not cached after the failure; non-strict skips


def test_misspelled_hook_in_strict_mode_is_a_plugin_error(register_plugin, monkeypatch: pytest.MonkeyPatch) -> None:
    class Typo:
        @hookimpl
        def register_dataset(self, register):
            pass

    register_plugin(Typo(), "typo")
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"'register_dataset'.*did you mean 'register_datasets'"):
        plugins.get_registry()


def test_optional_unknown_hook_is_not_reported(register_plugin, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    class Future:
        @hookimpl(optionalhook=True)
        def register_schedulers(self, register):
            pass

        @hookimpl
        def register_losses(self, register):
            register(LossSpec(name="future-loss", builder="a.b:c"))

    register_plugin(Future(), "future")
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    assert "future-loss" in plugins.get_registry().losses
    info = next(i for i in plugins.plugin_infos() if i.name == "future")
    assert info.warnings == [] and info.hooks == ["register_losses"]
    assert capsys.readouterr().err == ""


def test_hook_with_wrong_argument_name_breaks_the_plugin(register_plugin, capsys) -> None:
    class WrongArgument:
        @hookimpl
        def register_models(self, reg):
            pass

    register_plugin(WrongArgument(), "wrongarg")
    info = next(i for i in plugins.plugin_infos() if i.name == "wrongarg")
    assert info.status == "broken" and "'reg'" in info.error
    assert "dcgan" in plugins.get_registry().models
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("ganzoo: warning: plugin 'wrongarg'")


# ---------------------------------------------------------------- registry
def _arch(name: str, dist: str = "dist-a") -> ArchitectureSpec:
    return ArchitectureSpec(name=name, task="noise", builder="pkg.nets:build", source=Source("p", dist, "1.0"))


def test_unknown_name_suggests_close_matches() -> None:
    registry = plugins.get_registry()
    # the closest name comes first; other close ones (e.g. 'cgan', 'gan') may follow
    with pytest.raises(UnknownNameError, match=r"unknown model 'dcgn'" + did_you_mean("dcgan") + "; "):
        registry.model("dcgn")
    with pytest.raises(UnknownNameError, match=did_you_mean("bce") + r".*ganzoo list --losses"):
        registry.loss("bc")
    with pytest.raises(UnknownNameError, match=did_you_mean("digits")):
        registry.find("digit")
    with pytest.raises(UnknownNameError) as excinfo:  # model and architecture 'dcgan': suggested once
        registry.find("dcgn")
    message = str(excinfo.value)
    assert re.fullmatch(r"no model, architecture, loss or dataset is called 'dcgn'" + did_you_mean("dcgan"), message)
    suggested = re.findall(r"'([^']+)'", message.partition("did you mean")[2])
    assert suggested[0] == "dcgan" and len(suggested) == len(set(suggested)), message
    with pytest.raises(UnknownNameError) as excinfo:
        registry.model("completely-different")
    assert "did you mean" not in str(excinfo.value)
    assert suggest("wgan", ["wgan-gp", "wgan-clip", "dcgan", "pix2pix"]).startswith(" (did you mean 'wgan-gp' or")
    assert suggest("xyz", ["dcgan"]) == ""


def test_wildcard_and_substring_match() -> None:
    table: Table[ArchitectureSpec] = Table("architecture")
    for name in ("wgan-gp", "dcgan", "pix2pix", "srgan", "cgan"):
        table.add(_arch(name))
    names = lambda pattern: [s.name for s in table.match(pattern)]  # noqa: E731
    assert names(None) == ["cgan", "dcgan", "pix2pix", "srgan", "wgan-gp"]  # sorted
    assert names("*gan*") == ["cgan", "dcgan", "srgan", "wgan-gp"]
    assert names("*gan") == ["cgan", "dcgan", "srgan"]
    assert names("?gan") == ["cgan"]
    assert names("pix") == ["pix2pix"]  # no wildcard: substring
    assert names("[cd]*") == ["cgan", "dcgan"]
    assert names("nothing*") == []


def test_conflict_message_names_both_sources_and_first_stays() -> None:
    registry = Registry()
    first, second = _arch("dcgan", "dist-a"), _arch("dcgan", "dist-b")
    registry.add(first)
    with pytest.raises(ConflictError) as excinfo:
        registry.add(second)
    message = str(excinfo.value)
    assert "architecture 'dcgan'" in message
    assert "'dist-b'" in message and "'dist-a'" in message
    assert message.endswith("keeping the one from distribution 'dist-a' (plugin 'p')")
    assert registry.architecture("dcgan") is first
    # same name in another kind is no conflict
    registry.add(ModelSpec(name="dcgan", architecture="dcgan", loss="bce"))
    assert registry.find("dcgan").architecture == "dcgan"  # models come first


def test_registry_lookups_by_kind() -> None:
    registry = plugins.get_registry()
    assert registry.dataset("folder:/some/path").argument == "PATH"
    assert registry.find("bce").name == "bce" and isinstance(registry.find("bce"), LossSpec)
    assert registry.broken_references(registry.model("dcgan")) is None
    orphan = ModelSpec(name="orphan", architecture="nope", loss="bce")
    assert registry.broken_references(orphan) == "unknown architecture 'nope'"
    picky = LossSpec(name="picky", builder="a.b:c", tasks=("paired",))
    registry.losses.add(picky)
    try:
        reason = registry.broken_references(ModelSpec(name="x", architecture="dcgan", loss="picky"))
        assert reason is not None and "'noise'" in reason and "'picky'" in reason
    finally:
        registry.losses.remove("picky")


# ---------------------------------------------------------------- spec validation
@pytest.mark.parametrize("name", ["DCGAN", "has space", "", "-leading-dash", ".dot", "slash/name", "ünï", None])
def test_bad_names_are_refused(name) -> None:
    with pytest.raises(ValueError, match="must be lowercase"):
        ModelSpec(name=name, architecture="dcgan", loss="bce")


@pytest.mark.parametrize("name", ["dcgan", "wgan-gp", "pix2pix", "esrgan.x4", "my_gan", "3d-gan"])
def test_good_names_are_accepted(name: str) -> None:
    assert LossSpec(name=name, builder="pkg.mod:attr").name == name


@pytest.mark.parametrize(
    "builder", ["pkg.nets", "pkg.nets:", ":build", "pkg.nets:build:x", "1pkg:build", "pkg nets:build", "pkg/nets:build", 42]
)
def test_bad_builder_strings_are_refused(builder) -> None:
    with pytest.raises(ValueError, match="package.module:attribute"):
        ArchitectureSpec(name="x", task="noise", builder=builder)
    with pytest.raises(ValueError, match="package.module:attribute"):
        DatasetSpec(name="x", builder=builder)


def test_good_builder_strings_are_accepted() -> None:
    for builder in ("pkg:build", "pkg.sub.nets:build", "pkg.nets:Factory.create", "_private.mod:_f"):
        assert LossSpec(name="x", builder=builder).builder == builder


def test_unknown_task_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown task 'image'.*noise, class, paired, superres"):
        ArchitectureSpec(name="x", task="image", builder="a.b:c")
    with pytest.raises(ValueError, match="unknown task 'nosie'"):
        LossSpec(name="x", builder="a.b:c", tasks=("noise", "nosie"))
    assert set(TASKS) == {"noise", "class", "paired", "superres", "unpaired"}


def test_specs_are_frozen_and_their_mappings_immutable() -> None:
    defaults = {"nz": 100}
    spec = ArchitectureSpec(name="x", task="noise", builder="a.b:c", defaults=defaults, image_sizes=[32, 64])
    defaults["nz"] = 1  # the caller's dict is copied
    assert spec.defaults["nz"] == 100 and spec.image_sizes == (32, 64)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.defaults["nz"] = 3  # type: ignore[index]
    model = ModelSpec(name="m", architecture="x", loss="bce", training={"lr": 1e-4})
    with pytest.raises(TypeError):
        model.training["lr"] = 1  # type: ignore[index]


def test_resolve_imports_lazily_and_reports_failures() -> None:
    import os.path

    assert resolve("os.path:join") is os.path.join
    assert resolve("ganzoo.specs:ModelSpec.__name__") == "ModelSpec"
    with pytest.raises(PluginError, match=r"cannot import builder 'no_such_module_zz:build': ModuleNotFoundError"):
        resolve("no_such_module_zz:build")
    with pytest.raises(PluginError, match="AttributeError"):
        resolve("os.path:no_such_function")
