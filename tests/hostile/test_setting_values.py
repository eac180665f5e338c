"""Architecture and loss settings are checked before anything is built or written: one line
naming the setting, no traceback, no run folder left behind, no giant allocation attempted."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.core.config import check_setting
from ganzoo.core.device import select_device
from ganzoo.core.model import check_fits_in_memory
from ganzoo.cli.main import main
from ganzoo.errors import ConfigError, WeightsError

from tests.helpers import run_cli


@pytest.mark.parametrize(
    "setting, message",
    [
        ("ngf=-5", "ngf must be a whole number >= 1 (its default is 64), got -5"),
        ("nz=0", "nz must be a whole number >= 1"),
        ("ngf=abc", "ngf must be a whole number (its default is 64), got 'abc'"),
        ("ngf=2.5", "ngf must be a whole number"),
        ("d_norm=5", "d_norm must be text"),
        ("real_label=abc", "loss 'bce': real_label must be a number"),
        ("ngf=1000000", "parameters: training them needs about"),
    ],
)
def test_bad_settings_are_one_line_and_leave_nothing(tmp_path, setting, message):
    run = tmp_path / "run"
    proc = run_cli("run", "dcgan", "--steps", "1", "--set", setting, "--out", str(run), "--no-progress")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and message in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")] == [proc.stderr.strip().splitlines()[-1]]
    assert not run.exists()


def test_the_python_api_checks_the_same(tmp_path):
    with pytest.raises(ConfigError, match="ndf must be a whole number >= 1"):
        ganzoo.create("dcgan", ndf=0)
    with pytest.raises(ConfigError, match="gp_weight must be a number"):
        ganzoo.train("wgan-gp", gp_weight="lots", out=tmp_path / "run", steps=1)
    assert not (tmp_path / "run").exists()


def test_settings_of_the_right_kind_pass():
    check_setting("architecture 'x'", "ngf", 8, 64)
    check_setting("loss 'x'", "real_label", 1, 1.0)  # a whole number is a number
    check_setting("loss 'x'", "a", -1.0, 0.0)
    check_setting("architecture 'x'", "layers", 0, 0)  # a count whose default is 0 may stay 0
    check_setting("architecture 'x'", "anything", [1, 2], None)  # no default: the builder checks
    with pytest.raises(ConfigError, match="true or false"):
        check_setting("architecture 'x'", "flag", 1, True)


def test_a_size_too_large_is_refused_before_any_memory_is_used():
    def builder(config):
        width = config["width"]
        return torch.nn.Linear(width, width), torch.nn.Linear(width, 1)

    check_fits_in_memory(builder, {"width": 64}, "tiny")  # fine
    with pytest.raises(ConfigError, match=r"'huge' with these settings has [\d,]+ parameters"):
        check_fits_in_memory(builder, {"width": 10**7}, "huge")  # 10^14 parameters: counted on the meta device


def test_hostile_weights_metadata_is_refused_before_allocation(tmp_path):
    """A weights file whose metadata asks for an absurd size fails in one line, not MemoryError."""
    from safetensors.torch import save_file

    from ganzoo.io import weights

    ganzoo.train("dcgan", out=tmp_path / "run", steps=1, image_size=16, ngf=8, ndf=8, nz=8, batch_size=16, log_every=1)
    meta = weights.read_metadata(tmp_path / "run" / "generator.safetensors")
    meta["config"] = {**meta["config"], "ngf": 10**6}
    bad = tmp_path / "bad.safetensors"
    save_file({"x": torch.zeros(1)}, str(bad), metadata=weights.encode_metadata(meta))
    with pytest.raises(WeightsError, match="bad.safetensors: metadata ganzoo.config: .*parameters: training them needs about"):
        ganzoo.load(bad)


def test_devices_that_hold_no_data_are_refused():
    with pytest.raises(ConfigError, match="cannot train or draw images"):
        select_device("meta")
    assert select_device("cpu").type == "cpu"


# ---------------------------------------------------------------- sizes from the command line
class Planned(Exception):
    """Raised instead of training: the run passed every check."""


@pytest.fixture
def no_training(monkeypatch, tmp_path):
    """``ganzoo run`` in-process, stopped where training would start; the cwd is a temp folder."""
    from ganzoo.api import RunPlan

    def fit(self, **kwargs):
        raise Planned(self.config)

    monkeypatch.setattr(RunPlan, "fit", fit)
    monkeypatch.chdir(tmp_path)


def exit_code(argv: list[str]) -> int:
    """``main(argv)``'s exit status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exited:
        return exited.code


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--image-size", "100000"], "argument --image-size: expected a whole number from 1 to 4096, got 100000"),
        (["--batch-size", "100000"], "argument --batch-size: expected a whole number from 1 to 65536, got 100000"),
        (["--batch-size", "0"], "argument --batch-size: expected a whole number >= 1, got 0"),
        (["--num-samples", "100000"], "argument --num-samples: expected a whole number from 1 to 4096, got 100000"),
        (["--seed", "99999999999999999999"], "argument --seed: expected a whole number from -4294967295 to 4294967295"),
        (["--lr", "inf"], "argument --lr: expected a positive number, got inf"),
        (["--lr", "nan"], "argument --lr: expected a positive number, got nan"),
        (["--nproc", "100000"], "argument --nproc: expected a whole number from 1 to 4096, got 100000"),
        (["--set", "image_size=100000"], "image_size must be a whole number from 1 to 4096 (its default is 64), got 100000"),
        (["--set", "ngf=1073741824"], "ngf must be a whole number from 1 to 1048576 (its default is 64), got 1073741824"),
        (["--set", "nz=0"], "nz must be a whole number >= 1 (its default is 100), got 0"),
        (["--set", "batch_size=100000"], "batch-size must be a whole number from 1 to 65536, got 100000"),
        (["--set", "class_report_samples=1000000"], "class-report-samples must be a whole number from 1 to 100000"),
        (["--set", "steps=1.5"], "steps must be a whole number >= 1, got 1.5"),
        (["--set", "seed=2.5"], "seed must be a whole number >= -4294967295, got 2.5"),
        (["--set", "lr=Infinity"], "lr must be a positive number, got inf"),
        (["--set", "content_weight=-Infinity"], "content-weight must be a number >= 0, got -inf"),
        (["--set", "dataset=[1]"], "dataset must be text, got [1]"),
        (["--set", "data_root=5"], "data-root must be text, got 5"),
        (["--set", "real_label=NaN"], "real_label must be a finite number (its default is 1.0), got nan"),
        (["--set", "real_label=Infinity"], "real_label must be a finite number"),
    ],
)
def test_sizes_and_kinds_are_bounded_before_a_run_folder(tmp_path, capsys, no_training, argv, message):
    run = tmp_path / "run"
    code = exit_code(["run", "dcgan", *argv, "--out", str(run), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("ganzoo") and message in err, err
    assert not run.exists()


@pytest.mark.parametrize(
    "model, setting, message",
    [
        ("gan", "g_hidden=[-1]", "each item of g_hidden must be a whole number >= 1 (its default is 256), got -1"),
        ("gan", "g_hidden=[]", "g_hidden must be a list of 1 to 1024 items (its default is [256, 512, 1024]), got []"),
        ("gan", "g_hidden=64.5", "g_hidden must be a list of 1 to 1024 items"),
        ("gan", "d_hidden=[2.5]", "each item of d_hidden must be a whole number"),
        ("wgan-gp", "gp_weight=Infinity", "gp_weight must be a finite number (its default is 10.0), got inf"),
        ("srgan", "vgg_layer=5", "the content term: vgg_layer must be text"),
    ],
)
def test_list_float_and_content_settings_are_checked(tmp_path, capsys, no_training, model, setting, message):
    run = tmp_path / "run"
    assert exit_code(["run", model, "--set", setting, "--out", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not run.exists()


def test_batch_size_1_is_refused_for_feature_batch_norm(tmp_path, capsys, no_training):
    run = tmp_path / "run"
    assert exit_code(["run", "gan", "--batch-size", "1", "--out", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "batch-size must be at least 2 for architecture 'gan', got 1" in err, err
    assert not run.exists()


@pytest.mark.parametrize("model, size", [("dcgan", 1), ("pix2pix", 1), ("gan", 2)])
def test_batch_sizes_that_batch_norm_can_train_with_pass(tmp_path, no_training, model, size):
    with pytest.raises(Planned):
        main(["run", model, "--batch-size", str(size), "--out", str(tmp_path / "run"), "--no-progress"])
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-n", "100000"], "argument -n: expected a whole number from 1 to 4096, got 100000"),
        (["--nrow", "0"], "argument --nrow: expected a whole number >= 1, got 0"),
    ],
)
def test_sample_counts_are_bounded(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        main(["sample", str(tmp_path / "weights.safetensors"), *argv, "-o", str(tmp_path / "grid.png")])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "grid.png").exists()


def test_threads_are_bounded(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--threads", "100000", "list"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "argument --threads: expected a whole number from 1 to 4096, got 100000" in err


def test_a_seed_torch_cannot_take_is_refused_by_sample(tmp_path):
    model = ganzoo.create("dcgan", image_size=16, ngf=4, ndf=4, nz=4)
    with pytest.raises(ConfigError, match="a seed must be a whole number from"):
        model.sample(1, seed=2**70)
