"""Hostile plugins, installed for real and driven through the real ``ganzoo`` command.

What is promised:

* a plugin that raises anything at import or in any hook (``KeyboardInterrupt``, ``SystemExit``,
  ``GeneratorExit``, a ``BaseException`` of its own, an exception whose message cannot be printed
  or runs for pages), calls ``os._exit`` or ``os.abort``, is missing, or does not compile, is
  reported in one ``ganzoo: warning:`` line naming the plugin and its distribution, shown as
  ``broken`` by ``ganzoo plugins``, and skipped; every other command keeps working, and
  ``GANZOO_STRICT_PLUGINS=1`` makes it one ``ganzoo: error:`` line instead;
* a plugin that prints while loading (``print``, ``sys.__stdout__``, ``os.write(1, ...)``, a
  program it runs), replaces or closes ``sys.stdout``, never corrupts ``--json`` output: what
  it wrote goes to stderr, and the plugin's line says so when it went through ``sys.stdout``;
* the user's real Ctrl-C while a plugin loads stops the command (exit 130) with one line naming
  the plugin that was loading;
* a builder that raises (``RuntimeError``, ``ZeroDivisionError``, ``MemoryError``, ``SystemExit``),
  whose module does not compile, or that returns anything but two torch modules, is one
  ``ganzoo: error:`` line naming the architecture, the distribution and the exception, and leaves
  no run folder; ``ganzoo --debug`` shows the traceback; a ``ConfigError`` of its own is not
  wrapped (its message is shown after the architecture's name);
* a plugin that kills the process where nothing in it can catch it (a signal to itself, ``exit``
  through ``ctypes``) or hangs at import is named by ``ganzoo plugins --check``, which loads each
  distribution in a subprocess of its own, and ``GANZOO_LOAD_PLUGINS=`` starts ganzoo without it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import make_distribution, run_cli

# ---------------------------------------------------------------- the hostile distributions
GOOD_MODEL = '''
from ganzoo import ModelSpec, hookimpl

@hookimpl
def register_models(register):
    register(ModelSpec(name="{name}", architecture="dcgan", loss="bce", summary="still here"))
'''

#: distribution suffix -> module source; each is installed as ``gz-SUFFIX`` with plugin ``SUFFIX``.
AT_IMPORT = {
    "keyboard-interrupt": "raise KeyboardInterrupt",
    "system-exit": "raise SystemExit(3)",
    "generator-exit": "raise GeneratorExit('closing')",
    "own-base-exception": "class Doom(BaseException):\n    pass\nraise Doom('the end')",
    "os-exit": "import os\nos._exit(7)",
    "os-abort": "from os import abort\nabort()",
    "unprintable": "class Mute(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\nraise Mute()",
    "long-message": "raise RuntimeError('line\\n' * 5000)",
    "syntax-error": "def broken(:\n    pass",
}
EXPECTED_AT_IMPORT = {
    "keyboard-interrupt": "KeyboardInterrupt raised by the plugin itself, not by Ctrl-C",
    "system-exit": "SystemExit: 3",
    "generator-exit": "GeneratorExit: closing",
    "own-base-exception": "Doom: the end",
    "os-exit": "called os._exit(7)",
    "os-abort": "called os.abort()",
    "unprintable": "Mute: <the exception's message could not be printed>",
    "long-message": "RuntimeError: line line line",
    "syntax-error": "SyntaxError: ",
}

#: hook -> what it raises (one kind of BaseException per hook)
IN_HOOK = {
    "register_architectures": ("raise KeyboardInterrupt", "KeyboardInterrupt raised by the plugin itself, not by Ctrl-C"),
    "register_losses": ("raise SystemExit('no losses today')", "SystemExit: no losses today"),
    "register_datasets": ("raise GeneratorExit", "GeneratorExit"),
    "register_models": ("raise MemoryError('out of memory')", "MemoryError: out of memory"),
    "register_weights": ("import os; os._exit(5)", "called os._exit(5)"),
}
HOOK_PLUGIN = '''
from ganzoo import hookimpl

@hookimpl
def {hook}(register):
    {body}
'''

#: stdout abuse at import (None: in the hook), each in a plugin that otherwise registers a model:
#: suffix -> (code, whether ganzoo notices it, what then shows on stderr)
STDOUT = {
    "print-at-import": ("print('hello from import')", True, "hello from import"),
    "print-in-hook": (None, True, "hello from a hook"),
    "dunder-stdout": ("import sys\nsys.__stdout__.write('buffered hello')", True, "buffered hello"),
    "fd-write": ("import os\nos.write(1, b'raw bytes on fd 1\\n')", False, "raw bytes on fd 1"),
    "subprocess-echo": ("import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'print(4242)'])", False, "4242"),
    "replace-stdout": ("import os, sys\nsys.stdout = open(os.devnull, 'w')", False, ""),
    "close-stdout": ("import sys\nsys.stdout.close()", False, ""),
}

BUILDERS = '''
from ganzoo import ArchitectureSpec, DatasetSpec, LossSpec, ModelSpec, hookimpl

FAILURES = ["runtime", "zero", "memory", "exit", "nonmodule", "wrongtype", "config", "syntax"]

@hookimpl
def register_losses(register):
    register(LossSpec(name="bad-loss", builder="gz_builders_nets:build_loss"))

@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="bad-data", builder="gz_builders_nets:build_data"))

@hookimpl
def register_architectures(register):
    for kind in FAILURES:
        module = "gz_builders_syntax" if kind == "syntax" else "gz_builders_nets"
        register(ArchitectureSpec(name=f"bad-{kind}", task="noise", builder=f"{module}:build_{kind}",
                                  defaults={"nz": 8, "image_size": 16, "channels": 1}))

@hookimpl
def register_models(register):
    for kind in FAILURES:
        register(ModelSpec(name=f"bad-{kind}", architecture=f"bad-{kind}", loss="bce"))
'''
BUILDER_NETS = '''
import sys
from ganzoo import ConfigError

def build_runtime(config): raise RuntimeError("the builder broke")
def build_zero(config): return 1 / 0
def build_memory(config): raise MemoryError("cannot allocate the nets")
def build_exit(config): sys.exit("builder gave up")
def build_nonmodule(config): return (1, 2)
def build_wrongtype(config): return "two nets, promise"
def build_config(config): raise ConfigError("bad-config needs a bigger image_size, try --set image_size=64")
def build_loss(**settings): raise RuntimeError("the loss factory broke")
def build_data(request): raise KeyError("labels")
'''

CRASHERS = {  # not even os._exit's trap can catch these: only `plugins --check` names them
    "sigkill": "import os, signal, sys\nprint('gz-sigkill: giving up', file=sys.stderr, flush=True)\nos.kill(os.getpid(), signal.SIGKILL)",
    "ctypes-exit": "import ctypes\nctypes.CDLL(None)._exit(4)",
    "hangs": "import sys, time\nprint('gz-hangs: sleeping', file=sys.stderr, flush=True)\ntime.sleep(600)",
}


def _module(dist: str) -> str:
    return dist.replace("-", "_")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every hostile distribution, installed into one folder; ``GANZOO_LOAD_PLUGINS`` picks."""
    folder = tmp_path_factory.mktemp("hostile-site")

    def install(suffix: str, source: str, extra: dict[str, str] | None = None) -> None:
        dist = f"gz-{suffix}"
        make_distribution(folder, dist, {_module(dist): source, **(extra or {})}, {suffix: _module(dist)})

    install("good", GOOD_MODEL.format(name="good-model"))
    for suffix, source in {**AT_IMPORT, **CRASHERS}.items():
        install(suffix, source)
    for hook, (body, _) in IN_HOOK.items():
        install(hook.replace("_", "-"), HOOK_PLUGIN.format(hook=hook, body=body))
    for suffix, (at_import, _, _) in STDOUT.items():
        source = GOOD_MODEL.format(name=suffix)
        if at_import is None:  # print inside the hook
            source = source.replace("    register(", "    print('hello from a hook')\n    register(")
        install(suffix, (at_import or "") + "\n" + source)
    install("builders", BUILDERS, {"gz_builders_nets": BUILDER_NETS, "gz_builders_syntax": "def build_syntax(config:\n"})
    # an entry point whose module was never installed
    make_distribution(folder, "gz-missing-module", {}, {"missing-module": "gz_not_installed_anywhere"})
    return folder


@pytest.fixture(scope="module")
def check_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``plugins --check`` sees: a good plugin, a broken one and the crashers."""
    folder = tmp_path_factory.mktemp("check-site")
    make_distribution(folder, "gz-good", {"gz_good": GOOD_MODEL.format(name="good-model")}, {"good": "gz_good"})
    make_distribution(folder, "gz-system-exit", {"gz_system_exit": AT_IMPORT["system-exit"]}, {"system-exit": "gz_system_exit"})
    for suffix, source in CRASHERS.items():
        make_distribution(folder, f"gz-{suffix}", {_module(f"gz-{suffix}"): source}, {suffix: _module(f"gz-{suffix}")})
    return folder


def error_line(proc: subprocess.CompletedProcess) -> str:
    """The one ``ganzoo:`` line of a failed command (``run`` announces what it trains first)."""
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: ")]
    return line


def ganzoo(site: Path, *args: str, load: str, strict: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(site), "GANZOO_LOAD_PLUGINS": load, "OMP_NUM_THREADS": "1"}
    if strict:
        env["GANZOO_STRICT_PLUGINS"] = "1"
    return run_cli(*args, env=env, timeout=timeout)


def one_warning(proc: subprocess.CompletedProcess, plugin: str, dist: str) -> str:
    """The one stderr line of a skipped plugin (stderr may also hold what the plugin itself wrote)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: ")]
    assert len(ours) == 1, proc.stderr
    line = ours[0]
    assert line.startswith(f"ganzoo: warning: plugin '{plugin}' from distribution '{dist}': "), line
    return line


def plugin_entry(proc: subprocess.CompletedProcess, plugin: str) -> dict:
    return next(i for i in json.loads(proc.stdout) if i["name"] == plugin)


def assert_skipped_and_rest_works(site: Path, suffix: str, expected: str) -> None:
    dist = f"gz-{suffix}"
    proc = ganzoo(site, "plugins", "--json", load=f"{dist},gz-good")
    assert proc.returncode == 0, proc.stderr
    line = one_warning(proc, suffix, dist)
    assert expected in line and line.endswith("; skipped"), line
    assert len(line) < 600
    info = plugin_entry(proc, suffix)
    assert info["status"] == "broken" and info["registered"] == []
    assert plugin_entry(proc, "good")["status"] == "ok" and plugin_entry(proc, "dcgan")["status"] == "ok"
    listed = ganzoo(site, "list", "--json", load=f"{dist},gz-good")  # every other command keeps working
    assert listed.returncode == 0 and {"good-model", "dcgan"} <= {m["name"] for m in json.loads(listed.stdout)}


# ---------------------------------------------------------------- at import
@pytest.mark.parametrize("suffix", sorted(AT_IMPORT))
def test_plugin_failing_at_import_is_one_line_and_skipped(site: Path, suffix: str) -> None:
    assert_skipped_and_rest_works(site, suffix, f"failed to load ({EXPECTED_AT_IMPORT[suffix]}")


def test_missing_plugin_module_is_one_line_and_skipped(site: Path) -> None:
    assert_skipped_and_rest_works(site, "missing-module", "ModuleNotFoundError: No module named 'gz_not_installed_anywhere'")


@pytest.mark.parametrize("suffix", ["own-base-exception", "os-exit"])
def test_strict_mode_makes_it_one_error_line(site: Path, suffix: str) -> None:
    proc = ganzoo(site, "list", load=f"gz-{suffix}", strict=True)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"ganzoo: error: plugin '{suffix}' from distribution 'gz-{suffix}': failed to load (")
    assert line.endswith("(GANZOO_STRICT_PLUGINS is set)")


# ---------------------------------------------------------------- in a hook
@pytest.mark.parametrize("hook", sorted(IN_HOOK))
def test_plugin_failing_in_a_hook_is_one_line_and_skipped(site: Path, hook: str) -> None:
    assert_skipped_and_rest_works(site, hook.replace("_", "-"), f"{hook} raised {IN_HOOK[hook][1]}")


# ---------------------------------------------------------------- stdout
@pytest.mark.parametrize("suffix", sorted(STDOUT))
def test_plugin_writing_to_stdout_never_corrupts_json(site: Path, suffix: str) -> None:
    for command in (("list", "--json"), ("plugins", "--json")):
        proc = ganzoo(site, *command, load=f"gz-{suffix},gz-good")
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        data = json.loads(proc.stdout)  # valid JSON, and nothing but it
        names = {item["name"] for item in data}
        assert {suffix, "good-model"} <= names if command[0] == "list" else {suffix, "good"} <= names
    _, through_sys_stdout, shown = STDOUT[suffix]
    noticed = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: ")]
    if through_sys_stdout:  # the plugin's line says so
        assert noticed == [f"ganzoo: warning: plugin '{suffix}' from distribution 'gz-{suffix}': wrote to stdout while "
                           "loading (ganzoo sent it to stderr, to keep its own output clean)"]
    else:  # raw writes to fd 1 are redirected, not noticed
        assert noticed == []
    assert shown in proc.stderr


def test_broken_plugin_that_also_printed_says_both_in_one_line(site: Path, tmp_path: Path) -> None:
    make_distribution(tmp_path, "gz-chatty-broken", {"gz_chatty_broken": "print('about to fail')\nraise ValueError('nope')"},
                      {"chatty": "gz_chatty_broken"})
    proc = ganzoo(tmp_path, "list", "--json", load="gz-chatty-broken")
    assert proc.returncode == 0 and json.loads(proc.stdout)
    line = one_warning(proc, "chatty", "gz-chatty-broken")
    assert line.endswith("failed to load (ValueError: nope; it also wrote to stdout, sent to stderr); skipped")


# ---------------------------------------------------------------- the user's Ctrl-C
def test_ctrl_c_while_a_plugin_hangs_names_it_and_stops(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site), "GANZOO_LOAD_PLUGINS": "gz-hangs", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ganzoo", "list", "--json"], env=env, cwd=site.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "gz-hangs: sleeping\n"  # it is inside the plugin's import now
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and out == "" and "Traceback" not in err, err
    assert err.splitlines() == ["ganzoo: error: interrupted while loading plugin 'hangs' from distribution 'gz-hangs'; if it "
                                "hangs, `ganzoo plugins --check` tests each plugin in a subprocess and GANZOO_LOAD_PLUGINS "
                                "can leave it out"]


# ---------------------------------------------------------------- builders
@pytest.mark.parametrize("kind, says", [
    ("runtime", "failed: RuntimeError: the builder broke; this is a bug of that plugin"),
    ("zero", "failed: ZeroDivisionError: division by zero; this is a bug of that plugin"),
    ("memory", "failed: MemoryError: cannot allocate the nets; this is a bug of that plugin"),
    ("exit", "failed: SystemExit: builder gave up; this is a bug of that plugin"),
    ("nonmodule", "returned (int, int), not a (generator, discriminator) pair of torch modules"),
    ("wrongtype", "returned str, not a (generator, discriminator) pair of torch modules"),
])
def test_failing_builder_is_one_line_naming_the_plugin(site: Path, tmp_path: Path, kind: str, says: str) -> None:
    out = tmp_path / "run"
    proc = ganzoo(site, "run", f"bad-{kind}", "--steps", "1", "--out", str(out), load="gz-builders")
    line = error_line(proc)
    assert line.startswith(f"ganzoo: error: the builder of architecture 'bad-{kind}' from distribution 'gz-builders' "
                           "(plugin 'builders') "), line
    assert says in line
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize("flags, piece, says", [
    (["--loss", "bad-loss"], "loss 'bad-loss'", "RuntimeError: the loss factory broke"),
    (["--dataset", "bad-data"], "dataset 'bad-data'", "KeyError: 'labels'"),
])
def test_failing_loss_or_dataset_builder_is_one_line_naming_the_plugin(site: Path, tmp_path: Path, flags: list[str],
                                                                       piece: str, says: str) -> None:
    proc = ganzoo(site, "run", "dcgan", *flags, "--steps", "1", "--image-size", "16", "--set", "ngf=8", "--set", "ndf=8",
                  "--out", str(tmp_path / "run"), load="gz-builders")
    line = error_line(proc)
    assert line.startswith(f"ganzoo: error: the builder of {piece} from distribution 'gz-builders' (plugin 'builders') "), line
    assert f"failed: {says}; this is a bug of that plugin" in line
    assert not (tmp_path / "run").exists()  # built before the run folder is made


def test_builder_module_that_does_not_compile_is_one_line(site: Path, tmp_path: Path) -> None:
    proc = ganzoo(site, "run", "bad-syntax", "--steps", "1", "--out", str(tmp_path / "run"), load="gz-builders")
    assert error_line(proc).startswith("ganzoo: error: cannot import the builder of architecture 'bad-syntax' from distribution "
                           "'gz-builders' (plugin 'builders') 'gz_builders_syntax:build_syntax': SyntaxError: ")


def test_builder_config_error_passes_unchanged(site: Path, tmp_path: Path) -> None:
    proc = ganzoo(site, "run", "bad-config", "--steps", "1", "--out", str(tmp_path / "run"), load="gz-builders")
    # a ConfigError stays the builder's own message (a ValueError, so build_nets says which architecture)
    assert error_line(proc) == "ganzoo: error: architecture 'bad-config': bad-config needs a bigger image_size, try --set image_size=64"


def test_debug_shows_the_builders_traceback(site: Path, tmp_path: Path) -> None:
    proc = ganzoo(site, "--debug", "run", "bad-zero", "--steps", "1", "--out", str(tmp_path / "run"), load="gz-builders")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "ZeroDivisionError: division by zero" in proc.stderr
    assert "gz_builders_nets.py" in proc.stderr and "ganzoo.errors.PluginError" in proc.stderr


# ---------------------------------------------------------------- what nothing in-process can catch
def test_plugin_killing_the_process_dies_and_empty_allow_list_escapes(site: Path) -> None:
    dead = ganzoo(site, "list", "--json", load="gz-sigkill")
    assert dead.returncode == -signal.SIGKILL and dead.stdout == ""  # documented: nothing can report it
    alive = ganzoo(site, "list", "--json", load="")
    assert alive.returncode == 0 and alive.stderr == "" and json.loads(alive.stdout)


def test_plugins_check_names_every_plugin_that_kills_or_hangs(check_site: Path) -> None:
    env = {"PYTHONPATH": str(check_site), "GANZOO_LOAD_PLUGINS": "", "OMP_NUM_THREADS": "1"}
    proc = run_cli("plugins", "--check", "--json", "--timeout", "5", env=env, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    found = {c["distribution"]: c for c in json.loads(proc.stdout)}
    assert set(found) == {"gz-good", "gz-system-exit", "gz-sigkill", "gz-ctypes-exit", "gz-hangs"}
    assert found["gz-good"]["status"] == "ok"
    assert found["gz-system-exit"]["status"] == "broken" and found["gz-system-exit"]["error"] == "SystemExit: 3"
    leave_out = "leave {!r} out with GANZOO_LOAD_PLUGINS (a comma-separated list of the distributions to load)"
    assert found["gz-sigkill"] == {
        "name": "sigkill", "distribution": "gz-sigkill", "version": "0.1", "status": "crashed", "warnings": [],
        "error": "loading it kills the process (signal SIGKILL; its last line on stderr: 'gz-sigkill: giving up'); "
                 + leave_out.format("gz-sigkill"),
    }
    assert found["gz-ctypes-exit"]["status"] == "crashed"
    assert found["gz-ctypes-exit"]["error"] == "loading it ends the process (exit code 4); " + leave_out.format("gz-ctypes-exit")
    assert found["gz-hangs"]["status"] == "hangs"
    assert found["gz-hangs"]["error"] == "loading it did not finish within 5 s; " + leave_out.format("gz-hangs")
    table = run_cli("plugins", "--check", "--timeout", "5", env=env, timeout=120)
    assert table.returncode == 1 and "crashed" in table.stdout and "hangs" in table.stdout
