"""Architecture and loss settings are checked before anything is built or written: one line
naming the setting, no traceback, no run folder left behind, no giant allocation attempted."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.core.config import check_setting
from ganzoo.core.device import select_device
from ganzoo.core.model import check_fits_in_memory
from ganzoo.errors import ConfigError

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
    with pytest.raises(ConfigError, match="parameters: training them needs about"):
        ganzoo.load(bad)


def test_devices_that_hold_no_data_are_refused():
    with pytest.raises(ConfigError, match="cannot train or draw images"):
        select_device("meta")
    assert select_device("cpu").type == "cpu"
