"""The read-only CLI commands: ``list``, ``info``, ``plugins``, ``--version``, ``--help``.

Exit codes and stderr are checked through the real CLI in a subprocess; the many output
variants run ``ganzoo.cli.main`` in process, which is the same code without the start-up cost.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from tests.helpers import did_you_mean, first_party, first_party_names, first_party_spec, run_cli
from ganzoo import __version__
from ganzoo.cli.main import main
from ganzoo.plugin.discovery import get_registry
from ganzoo.plugin.hookspecs import hookimpl
from ganzoo.plugin.specs import ArchitectureSpec, LossSpec, ModelSpec


@pytest.fixture
def cli(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """``cli(*args) -> (exit code, stdout, stderr)`` through ``main()`` in this process."""
    monkeypatch.setenv("COLUMNS", "200")  # rich tables do not wrap

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def cells_of(row: str) -> list[str]:
    """The cells of one line of a rich table (unicode or ASCII borders)."""
    return [c.strip() for c in re.split(r"[┃│|]", row)[1:-1]]


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """A user error: exit 2, nothing on stdout, exactly one line on stderr, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    return line


# ---------------------------------------------------------------- subprocess: real exit codes
def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"ganzoo {__version__}\n"


def test_list_table_shows_name_task_architecture_loss_and_source() -> None:
    proc = run_cli("list")
    assert proc.returncode == 0 and proc.stderr == ""
    header = next(line for line in proc.stdout.splitlines() if "name" in line)
    assert cells_of(header) == ["name", "task", "architecture", "loss", "arXiv", "source"]
    rows = [cells_of(line) for line in proc.stdout.splitlines()]
    rows = [cells for cells in rows if len(cells) == 6 and cells != cells_of(header)]
    assert [cells[0] for cells in rows] == first_party_names(ModelSpec)  # one row per model, sorted
    cells = next(cells for cells in rows if cells[0] == "dcgan")
    assert cells[:5] == ["dcgan", "noise", "dcgan", "bce", "1511.06434"]
    assert cells[5] == f"ganzoo {__version__}"


def test_list_shows_what_generator_only_models_train_with(cli) -> None:
    """srresnet and esrgan-psnr never reach their adversarial loss: the table says content only."""
    code, out, _ = cli("list")
    rows = {cells[0]: cells for cells in map(cells_of, out.splitlines()) if len(cells) == 6}
    assert rows["srresnet"][3] == "mse (content only)" and rows["esrgan-psnr"][3] == "l1 (content only)"
    assert rows["srgan"][3] == "bce" and rows["esrgan"][3] == "ragan-bce"  # adversarial ones keep theirs
    listed = {m["name"]: m for m in json.loads(cli("list", "--json")[1])}
    assert listed["srresnet"]["trains_with"] == "mse (content only)" and listed["srgan"]["trains_with"] == "bce"
    assert json.loads(cli("info", "esrgan-psnr", "--json")[1])["trains_with"] == "l1 (content only)"


@pytest.mark.parametrize("flag", ["--pretrained", "--datasets"])
def test_tables_keep_names_whole_when_piped(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
                                             flag: str) -> None:
    """Off a terminal (``ganzoo list --pretrained | cat``, no COLUMNS) no cell is folded at 80 columns."""
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["list", flag]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    names = [cells_of(line)[0] for line in out.splitlines() if line.startswith("│")]
    kind = "weights" if flag == "--pretrained" else "datasets"
    spec_names = [s.name + (f":{s.argument}" if getattr(s, "argument", None) else "")
                  for s in getattr(get_registry(), kind).match(None)]
    assert names == spec_names  # every name whole, one line each
    assert max(map(len, out.splitlines())) > 80


def test_list_wildcard() -> None:
    proc = run_cli("list", "*gan*", "--json")
    assert proc.returncode == 0
    got = [m["name"] for m in json.loads(proc.stdout)]
    everything = first_party_names(ModelSpec)
    assert got == [n for n in everything if fnmatchcase(n, "*gan*")]
    assert "dcgan" in got and set(got) < set(everything)  # it really filtered (pix2pix has no 'gan')
    none = run_cli("list", "zz*")
    assert none.returncode == 0 and "no models match 'zz*'" in none.stdout


def test_info_of_unknown_name_suggests_and_exits_2() -> None:
    line = one_error_line(run_cli("info", "dcgn"))
    prefix = "ganzoo: error: no model, architecture, loss or dataset is called 'dcgn'"
    assert re.fullmatch(re.escape(prefix) + did_you_mean("dcgan"), line), line
    assert line.count("'dcgan'") == 1  # model and architecture 'dcgan': suggested once


def test_debug_shows_the_traceback() -> None:
    proc = run_cli("--debug", "info", "dcgn")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "UnknownNameError" in proc.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run"], "name a model to train"),
        (["run", "dcgn"], "did you mean 'dcgan'"),
        (["run", "dcgan", "--set", "ngf"], "--set takes KEY=VALUE"),
        (["list", "--losses", "--datasets"], "not allowed with argument --losses"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["run", "dcgan", "--steps", "0"], "expected a whole number >= 1"),
        (["info"], "required: name"),
    ],
    ids=["run-no-model", "run-unknown-model", "bad-set", "exclusive-flags", "bad-command", "bad-number", "missing-arg"],
)
def test_user_errors_are_one_line_and_exit_2(args: list[str], expected: str) -> None:
    line = one_error_line(run_cli(*args))
    assert line.startswith("ganzoo") and ": error: " in line
    assert expected in line


def test_console_script() -> None:
    script = Path(sys.executable).parent / "ganzoo"
    if not script.exists():
        pytest.skip("no ganzoo console script next to this interpreter")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == f"ganzoo {__version__}\n"


# ---------------------------------------------------------------- in process: output details
def test_no_command_prints_help(cli) -> None:
    code, out, _ = cli()
    assert code == 0
    assert out.startswith("usage: ganzoo")
    for command in ("list", "info", "plugins", "run", "sample"):
        assert f"    {command} " in out


def test_help_exits_0(cli) -> None:
    with pytest.raises(SystemExit) as excinfo:
        cli("--help")
    assert excinfo.value.code == 0


def test_help_says_sample_takes_pretrained_names_and_where_run_prints(cli, capsys, tmp_path) -> None:
    """Issue 27: `sample --help` names pretrained weights; `run --help` says what goes to stderr and stdout."""
    for command in ("sample", "run"):
        with pytest.raises(SystemExit):
            cli(command, "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "or pretrained weights by name (ganzoo list --pretrained, e.g. dcgan.digits)" in out
    assert "progress, notes and warnings go to stderr; the final summary" in out
    code, out, err = cli("run", "dcgan", "--steps", "1", "--image-size", "16", "--set", "ngf=8", "--set", "ndf=8",
                         "--batch-size", "8", "--no-progress", "--out", str(tmp_path / "run"))
    assert code == 0 and out.startswith("finished 1 steps") and "weights:" in out
    assert err.startswith("training dcgan on digits") and "finished" not in err


def test_list_json_models(cli) -> None:
    code, out, err = cli("list", "--json")
    assert code == 0 and err == ""
    models = json.loads(out)
    assert [m["name"] for m in models] == first_party_names(ModelSpec)
    model = next(m for m in models if m["name"] == "dcgan")
    assert model["name"] == "dcgan" and model["task"] == "noise"
    assert model["architecture"] == "dcgan" and model["loss"] == "bce"
    assert model["source"] == {"plugin": "dcgan", "distribution": "ganzoo", "version": __version__}
    assert model["paper"] == "1511.06434"
    assert model["training"]["betas"] == [0.5, 0.999]  # JSON-able: tuples became lists


@pytest.mark.parametrize(
    "flag, names",
    [
        ("--losses", {"bce"}),
        ("--architectures", {"dcgan"}),
        ("--datasets", {"digits", "folder", "mnist", "fashion-mnist", "cifar10"}),
    ],
)
def test_list_json_other_kinds(cli, flag: str, names: set[str]) -> None:
    code, out, _ = cli("list", flag, "--json")
    assert code == 0
    items = json.loads(out)
    assert {i["name"] for i in items} >= names
    assert all(i["source"]["distribution"] == "ganzoo" for i in items)


def test_list_tables_of_other_kinds(cli) -> None:
    _, out, _ = cli("list", "--architectures")
    assert "image sizes" in out and "16, 32, 64, 128" in out
    _, out, _ = cli("list", "--losses")
    assert "bce" in out and "any" in out  # bce works with every task
    _, out, _ = cli("list", "--datasets", "fold")
    assert "folder:PATH" in out and "digits" not in out


def test_list_pattern_filters(cli, register_plugin) -> None:
    # "zq" names: no first-party plugin registers them, so nothing here conflicts with ganzoo's own
    class More:
        @hookimpl
        def register_architectures(self, register):
            register(ArchitectureSpec(name="zqpix", task="paired", builder="x.nets:build"))

        @hookimpl
        def register_models(self, register):
            register(ModelSpec(name="zqwgan-gp", architecture="dcgan", loss="bce"))
            register(ModelSpec(name="zqpix", architecture="zqpix", loss="bce"))

    register_plugin(More(), "more")
    names = lambda *a: [m["name"] for m in json.loads(cli("list", *a, "--json")[1])]  # noqa: E731
    everything = names()
    assert everything == sorted(first_party_names(ModelSpec) + ["zqpix", "zqwgan-gp"])  # sorted, in-code ones too
    assert names("*gan*") == [n for n in everything if "gan" in n]
    assert {"dcgan", "zqwgan-gp"} <= set(names("*gan*")) and "zqpix" not in names("*gan*")
    assert names("qwgan") == ["zqwgan-gp"]  # no wildcard: substring, not prefix
    assert names("zq*") == ["zqpix", "zqwgan-gp"]
    assert names("zq?ix") == ["zqpix"]
    assert names("--architectures", "zqp*") == ["zqpix"]
    pix = json.loads(cli("list", "zqpix", "--json")[1])[0]
    assert pix["name"] == "zqpix"
    assert pix["task"] == "paired" and pix["source"]["distribution"] == "(registered in code)"


def test_info_table(cli) -> None:
    code, out, err = cli("info", "dcgan")
    assert code == 0 and err == ""
    assert out.splitlines()[0].strip() == "model dcgan"
    assert "arXiv 1511.06434  https://arxiv.org/abs/1511.06434" in out
    assert "ganzoo_plugins.dcgan.nets:build" in out
    assert f"ganzoo {__version__} (plugin 'dcgan')" in out
    assert "lr=0.0002" in out and "nz=100" in out


def test_info_json_of_a_model(cli) -> None:
    code, out, _ = cli("info", "dcgan", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "model" and data["task"] == "noise"
    assert data["training"]["lr"] == 0.0002
    assert data["architecture_config"]["nz"] == 100  # architecture defaults merged in
    bce_defaults = dict(first_party_spec(LossSpec, "bce").defaults)
    assert data["loss_config"] == bce_defaults and bce_defaults["real_label"] == 1.0  # the loss's defaults
    assert data["architecture_builder"] == "ganzoo_plugins.dcgan.nets:build"
    assert data["source"]["version"] == __version__


def test_info_json_merges_model_settings_over_defaults(cli, register_plugin) -> None:
    class Tuned:
        @hookimpl
        def register_models(self, register):
            register(
                ModelSpec(
                    name="tuned",
                    architecture="dcgan",
                    loss="bce",
                    training={"lr": 1e-4, "n_critic": 5, "betas": (0.0, 0.9)},
                    architecture_config={"ngf": 32},
                    loss_config={"real_label": 0.9},
                )
            )

    register_plugin(Tuned(), "tuned")
    code, out, _ = cli("info", "tuned", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["training"]["lr"] == 1e-4 and data["training"]["n_critic"] == 5
    assert data["training"]["betas"] == [0.0, 0.9]
    assert data["training"]["batch_size"] == 64  # TrainConfig default filled in
    assert data["architecture_config"]["ngf"] == 32 and data["architecture_config"]["nz"] == 100
    bce_defaults = dict(first_party_spec(LossSpec, "bce").defaults)
    assert len(bce_defaults) > 1 and bce_defaults["real_label"] == 1.0  # so the merge below shows
    assert data["loss_config"] == {**bce_defaults, "real_label": 0.9}  # the model's value wins, the rest stay


def test_info_model_shows_what_a_default_run_uses(cli) -> None:
    """Issue 27: cgan's architecture defaults say 64 px; a default run (digits) trains at 32, and
    channels and num_classes come from the data, which the card says."""
    code, out, _ = cli("info", "cgan", "--json")
    data = json.loads(out)
    assert data["architecture_config"]["image_size"] == 32 and data["architecture_config"]["ngf"] == 32
    assert data["set_by_data"] == ["channels", "num_classes"]
    code, out, _ = cli("info", "cgan")
    assert "channels, num_classes: the dataset's at training time" in " ".join(out.split())


def test_info_dataset_without_held_out_images_says_none(cli) -> None:
    code, out, _ = cli("info", "digits")
    held = [row for row in out.splitlines() if "held_out" in row]
    assert cells_of(held[0])[1] == "none"  # was "any"
    code, out, _ = cli("info", "hinge")
    assert cells_of([row for row in out.splitlines() if " tasks " in row][0])[1] == "any"  # empty tasks: every task


@pytest.mark.parametrize("name, kind", [("bce", "loss"), ("digits", "dataset"), ("cifar10", "dataset")])
def test_info_json_of_other_kinds(cli, name: str, kind: str) -> None:
    code, out, _ = cli("info", name, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == kind and data["name"] == name and "builder" in data


def test_info_unknown_in_process(cli) -> None:
    code, out, err = cli("info", "bcee")
    assert code == 2 and out == ""
    prefix = "ganzoo: error: no model, architecture, loss or dataset is called 'bcee'"
    assert re.fullmatch(re.escape(prefix) + did_you_mean("bce"), err.strip()), err


def test_plugins_table(cli) -> None:
    code, out, _ = cli("plugins")
    assert code == 0
    for column in ("plugin", "distribution", "version", "status", "registers", "problems"):
        assert column in out
    rows = [cells_of(line) for line in out.splitlines()]
    rows = [cells for cells in rows if len(cells) > 3 and cells[1] == "ganzoo"]
    assert {cells[0] for cells in rows} == set(first_party())
    assert all(cells[2] == __version__ and cells[3] == "ok" for cells in rows)


def test_plugins_json(cli) -> None:
    code, out, _ = cli("plugins", "--json")
    assert code == 0
    everything = json.loads(out)
    infos = {i["name"]: i for i in everything if i["distribution"] == "ganzoo"}
    assert set(infos) == set(first_party())
    # third-party plugins installed on this machine are listed, but not loaded (GANZOO_LOAD_PLUGINS="")
    assert all(i["status"] == "skipped" for i in everything if i["distribution"] != "ganzoo")
    dcgan = infos["dcgan"]
    assert dcgan["distribution"] == "ganzoo" and dcgan["version"] == __version__
    assert dcgan["module"] == "ganzoo_plugins.dcgan" and dcgan["status"] == "ok"
    assert dcgan["registered"] == ["architecture:dcgan", "model:dcgan"]
    assert dcgan["hooks"] == ["register_architectures", "register_models"]
    assert "loss:bce" in infos["losses"]["registered"]
    # every first-party plugin registered exactly what its hooks hand over, in hook order
    for name, specs in first_party().items():
        expected = [f"{type(s).__name__.removesuffix('Spec').lower()}:{s.name}" for s in specs]
        assert infos[name]["status"] == "ok" and infos[name]["registered"] == expected, name


def test_threads_option_limits_torch_threads():
    script = (
        "import sys; from ganzoo.cli import main; main(['--threads', '1', 'list']); "
        "import torch; assert torch.get_num_threads() == 1, torch.get_num_threads()"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr


def test_a_misspelled_flag_gets_a_did_you_mean_from_its_own_command():
    line = one_error_line(run_cli("run", "dcgan", "--batch-sise", "2"))
    assert "unrecognized arguments: --batch-sise 2" in line and "did you mean '--batch-size'" in line
    line = one_error_line(run_cli("list", "--pretraind"))
    assert "did you mean '--pretrained'" in line
    assert "did you mean" not in one_error_line(run_cli("run", "dcgan", "stray"))
