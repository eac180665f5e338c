"""Training options declared once: the config's checks, the CLI's flags, ``ganzoo.train``'s
keywords and the README's table all come from the ``TrainConfig`` fields; and ``plan_run``,
the one place that checks "a model or --resume" and resolves a run's config."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest

import ganzoo
from ganzoo.api import TRAIN_KEYWORDS, RunPlan, plan_run
from ganzoo.cli.main import build_parser, main
from ganzoo.cli.run import FLAGGED, LEADING, SET_ONLY, TRAILING, options_table, overrides_of
from ganzoo.core.config import CONTENT_KEYS, OPTIONS, RESUMABLE_KEYS, TRAIN_KEYS, TrainConfig, resolve_config
from ganzoo.errors import ConfigError
from ganzoo.plugin.discovery import get_registry

from tests.helpers import REPO, did_you_mean

START, END = "<!-- options:start -->", "<!-- options:end -->"
#: Fields that are no user setting: what the registry fills in, and what torchrun decides.
INTERNAL = {"model", "architecture", "architecture_config", "loss_config", "content_config", "world_size"}


# ---------------------------------------------------------------- declarations
def test_every_field_is_an_option_or_internal() -> None:
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    assert set(fields) == set(OPTIONS) | INTERNAL
    assert list(OPTIONS) == [name for name in fields if name in OPTIONS]  # field order
    for name, declared in OPTIONS.items():
        assert declared.name == name and declared.help and "%" not in declared.help, name
        assert declared.default == TrainConfig.__dataclass_fields__[name].default, name


def test_derived_key_sets() -> None:
    # The training keys a model's `training` and the user may set: the same set as before the
    # options were declared (loss is an option, but it picks the loss spec, so it is no key).
    assert TRAIN_KEYS == {
        "dataset", "steps", "batch_size", "n_critic", "optimizer", "lr", "lr_d", "lr_decay", "betas", "seed", "device", "log_every",
        "sample_every", "checkpoint_every", "num_samples", "class_report_every", "eval_every", "class_report_samples",
        "content", "content_weight", "adversarial_weight", "pretrain_steps", "pretrain_content", "precision", "compile", "channels_last",
        "ema", "sync_bn", "logger", "data_root", "download", "skip_bad_images",
    }
    assert RESUMABLE_KEYS == ("steps", "device")
    assert set(TRAIN_KEYWORDS) == {"model", "out", "resume", "progress", "config", "loss"} | TRAIN_KEYS
    assert CONTENT_KEYS == {"vgg_layer", "vgg_weights"}


def test_content_keys_are_defined_once() -> None:
    from ganzoo.training.content import build_content

    with pytest.raises(ConfigError, match=r"content term 'vgg' takes vgg_layer and vgg_weights, not \['layer'\]"):
        build_content("vgg", {"layer": "conv1_1"})
    hits = [p for p in (REPO / "ganzoo").rglob("*.py") if re.search(r"""\{\s*["']vgg_layer["']\s*,""", p.read_text())]
    assert [p.relative_to(REPO).as_posix() for p in hits] == ["ganzoo/core/config.py"]


# ---------------------------------------------------------------- validate(): the declared checks
@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(steps=0), "steps must be a whole number >= 1, got 0"),
        (dict(batch_size=2.5), "batch-size must be a whole number >= 1, got 2.5"),
        (dict(n_critic=True), "n-critic must be a whole number >= 1, got True"),
        (dict(eval_every=-1), "eval-every must be a whole number >= 0, got -1"),
        (dict(class_report_samples=0), "class-report-samples must be a whole number >= 1, got 0"),
        (dict(optimizer="adamw"), "unknown optimizer 'adamw'" + did_you_mean("adam")),
        (dict(precision="fp8"), "unknown precision 'fp8'"),
        (dict(lr=0), "lr must be a positive number, got 0"),
        (dict(lr_d=-1e-4), "lr-d must be a positive number, got -0.0001"),
        (dict(content_weight=-1), "content-weight must be a number >= 0, got -1"),
        (dict(adversarial_weight="x"), "adversarial-weight must be a number >= 0, got 'x'"),
        (dict(betas=(0.5, 1.0)), re.escape("betas must be two numbers in [0, 1), got [0.5, 1.0]")),
        (dict(betas=(0.5,)), re.escape("betas must be two numbers in [0, 1), got [0.5]")),
        (dict(sync_bn="yes"), "sync-bn must be true or false, got 'yes'"),
        (dict(channels_last=1), "channels-last must be true or false, got 1"),
        (dict(ema=1.0), re.escape("ema must be 0 (off) or a decay strictly between 0 and 1 such as 0.999, got 1.0")),
        (dict(pretrain_steps=5), "pretrain-steps trains the generator on its content term alone; name one with --content"),
        (dict(world_size=0), "world_size must be a whole number >= 1, got 0"),
    ],
)
def test_validate_checks_each_declared_option(settings: dict, message: str) -> None:
    config = TrainConfig(model="dcgan", **settings)
    with pytest.raises(ConfigError, match=message):
        config.validate()


def test_defaults_and_allowed_edges_validate() -> None:
    TrainConfig(model="dcgan").validate()
    TrainConfig(model="dcgan", lr_d=None, data_root=None, ema=0.999, betas=[0.0, 0.9], eval_every=0, seed=-3,
                content="l1", pretrain_steps=2, content_weight=0).validate()


# ---------------------------------------------------------------- the CLI's flags
def _help_of_run(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_run_help_lists_every_declared_flag(capsys, monkeypatch) -> None:
    out = _help_of_run(capsys, monkeypatch)
    for declared in FLAGGED:
        assert re.search(rf"^\s+{re.escape(declared.flag_name)}\b", out, re.M), declared.flag_name
    for argument in (*LEADING, *TRAILING):
        assert re.search(rf"^\s+{re.escape(argument.name)}\b", out, re.M), argument.name
    for declared in SET_ONLY:  # no flag: the help names them as --set keys
        assert f"--{declared.label}" not in out and declared.name in out
    assert {d.flag_name for d in FLAGGED} >= {"--steps", "--batch-size", "--lr-d", "--ema", "--download", "--sync-bn"}


def test_flags_become_the_same_overrides(tmp_path) -> None:
    args = build_parser().parse_args(["run", "dcgan", "--steps", "5", "--lr-d", "1e-4", "--compile", "--image-size", "16",
                                      "--precision", "bf16", "--download", "--set", "ngf=8", "--set", "steps=7"])
    assert overrides_of(args) == {"steps": 7, "lr_d": 1e-4, "compile": True, "precision": "bf16", "download": True,
                                  "image_size": 16, "ngf": 8}  # --set last, as before
    args = build_parser().parse_args(["run", "dcgan"])
    assert overrides_of(args) == {}  # flags left out leave the model's values


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--steps", "0"], "argument --steps: expected a whole number >= 1, got 0"),
        (["--steps", "many"], "argument --steps: expected a whole number, got 'many'"),
        (["--pretrain-steps", "-1"], "argument --pretrain-steps: expected a whole number >= 0, got -1"),
        (["--lr", "-1"], "argument --lr: expected a positive number, got -1"),
        (["--ema", "1.5"], "argument --ema: expected 0 (off) or a decay strictly between 0 and 1 such as 0.999, got 1.5"),
        (["--precision", "fp8"], "argument --precision: invalid choice: 'fp8'"),
        (["--nproc", "0"], "argument --nproc: expected a whole number >= 1, got 0"),
    ],
)
def test_bad_flags_are_refused_as_the_config_would(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "dcgan", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_building_the_parser_never_imports_torch() -> None:
    code = "import sys; from ganzoo.cli.main import build_parser; build_parser(); assert 'torch' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("batch_size, imports_torch", [(64, False), (1, True)])
def test_planning_a_run_imports_torch_only_for_the_batch_norm_check(tmp_path, batch_size, imports_torch) -> None:
    """Every value is checked before torch is imported (a mistake is refused at once); only a
    batch of one needs the nets, built on the meta device, to see whether they use BatchNorm1d."""
    code = (f"import sys, ganzoo.api as api; api.plan_run('dcgan', out={str(tmp_path / 'run')!r}, batch_size={batch_size}); "
            "print('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(imports_torch)


# ---------------------------------------------------------------- the README's table
def test_readme_table_matches_the_declarations() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    table = text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert table == options_table(), "README.md's option table is out of date: run python scripts/options_table.py --write"
    rows = [line for line in table.splitlines()[2:]]
    assert len(rows) == len(LEADING) + len(OPTIONS) + len(TRAILING)  # one row per argument and option
    for declared in OPTIONS.values():
        assert sum(f"`{declared.name}=" in row for row in rows) == 1, declared.name


def test_options_table_script_checks_the_readme() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "options_table.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "options_table.py")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == options_table()


# ---------------------------------------------------------------- ganzoo.train's keywords and plan_run
def test_unknown_train_keyword_is_refused_with_did_you_mean(tmp_path) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'stepz' for model 'dcgan'" + did_you_mean("steps")):
        ganzoo.train("dcgan", out=tmp_path / "run", stepz=1)
    assert not (tmp_path / "run").exists()


def test_plan_run_resolves_a_fresh_run_once(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    plan = plan_run("dcgan", steps=3, image_size=16, lr_d=None)
    assert isinstance(plan, RunPlan) and not plan.resume
    assert plan.config == resolve_config(get_registry(), "dcgan", {"steps": 3, "image_size": 16})
    assert plan.run_dir.as_posix() == "runs/dcgan-digits" and not plan.run_dir.exists()  # nothing written yet
    assert plan_run("dcgan", out=tmp_path / "mine").run_dir == tmp_path / "mine"


def test_plan_run_checks_model_or_resume(tmp_path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    resolve_config(get_registry(), "dcgan", {"steps": 3}).save(run)
    with pytest.raises(ConfigError, match=re.escape("give either a model or --resume RUN_DIR, not both")):
        plan_run("dcgan", resume=run)
    with pytest.raises(ConfigError, match=re.escape("name a model to train (`ganzoo list` shows them), or --resume RUN_DIR")):
        plan_run()
    with pytest.raises(ConfigError, match="a resumed run keeps its settings; only steps and device can change, not lr$"):
        plan_run(resume=run, steps=6, lr=1.0)
    with pytest.raises(ConfigError, match="can change, not stepz" + did_you_mean("steps")):
        plan_run(resume=run, stepz=6)
    plan = plan_run(resume=run, steps=6, device=None)
    assert plan.resume and plan.run_dir == run
    assert plan.config == dataclasses.replace(TrainConfig.from_run_dir(run), steps=6)
    assert plan_run(resume=run).config.steps == 3
    with pytest.raises(ConfigError, match="steps must be a whole number >= 1"):
        plan_run(resume=run, steps=-1)


def test_cli_run_errors_come_from_plan_run(tmp_path, capsys) -> None:
    assert main(["run"]) == 2
    assert "name a model to train" in capsys.readouterr().err
    assert main(["run", "dcgan", "--resume", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "ganzoo: error: give either a model or --resume RUN_DIR, not both"
    assert main(["run", "--nproc", "2", "--resume", str(tmp_path), "--lr", "1"]) == 2
    assert "only steps and device can change, not lr" in capsys.readouterr().err


def test_a_psnr_oriented_model_stays_generator_only_at_any_length():
    """srresnet's every default step is pre-training: --steps must not add an adversarial tail."""
    registry = get_registry()
    longer = resolve_config(registry, "srresnet", {"steps": 1500})
    assert longer.steps == longer.pretrain_steps == 1500
    explicit = resolve_config(registry, "srresnet", {"steps": 1500, "pretrain_steps": 200})
    assert explicit.pretrain_steps == 200
    srgan = resolve_config(registry, "srgan", {"steps": 3000, "content": "mse"})
    assert srgan.pretrain_steps == 1000  # an adversarial model keeps its own pre-training length
