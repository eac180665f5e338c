"""``benchmarks/run_all.py --device cuda``: the GPU table's plan, checked on a CPU machine.

What runs on the card (bf16 autocast, channels-last, torch.compile with inductor's CUDA graphs,
the peer loop on the same device) is decided by ``run_all.plan``; ``--dry-run`` prints it and
needs no GPU; a real run without CUDA stops with one line. The settings passed to ganzoo are
checked by ganzoo itself, so a typo in the plan fails here rather than on a borrowed GPU.
"""

from __future__ import annotations

import argparse
import sys

import pytest
import torch

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import run_all  # noqa: E402
from train_throughput import ganzoo_overrides  # noqa: E402

from ganzoo.core.config import resolve_config  # noqa: E402
from ganzoo.plugin.discovery import get_registry  # noqa: E402


def planned(tmp_path, *argv: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    parser_args = argparse.Namespace(quick=False, only=None, threads=1, device="auto", dry_run=True)
    for flag, value in zip(argv[::2], argv[1::2]):
        setattr(parser_args, flag.lstrip("-").replace("-", "_"), value)
    return {tag: (command, env) for tag, command, env in run_all.plan(parser_args, tmp_path)}


def after(command: list[str], flag: str) -> list[str]:
    """The values that follow ``flag`` in ``command`` (up to the next flag)."""
    rest = command[command.index(flag) + 1:]
    return rest[: next((i for i, word in enumerate(rest) if word.startswith("--")), len(rest))]


def test_the_cuda_plan_runs_training_twice_defaults_and_every_gpu_switch(tmp_path):
    plan = planned(tmp_path, "--device", "cuda")
    assert {"train_throughput-defaults", "train_throughput-bf16+compile+graphs", "utilisation-defaults",
            "utilisation-bf16+compile+graphs", "sample_throughput", "inference_layout", "memory_growth", "cli_startup"} == set(plan)
    fast, env = plan["train_throughput-bf16+compile+graphs"]
    assert after(fast, "--device") == ["cuda"] and after(fast, "--ganzoo-args") == ["precision=bf16", "compile=true"]
    assert env == {"TORCHINDUCTOR_CUDAGRAPHS": "1"}  # CUDA graphs for the compiled nets
    util, env = plan["utilisation-bf16+compile+graphs"]
    assert after(util, "--precision") == ["bf16"] and after(util, "--ganzoo-args") == ["compile=true"] and env
    defaults, env = plan["train_throughput-defaults"]
    assert "--ganzoo-args" not in defaults and env == {}  # ganzoo's defaults against the same peer loop
    assert "--device" not in plan["cli_startup"][0]


def test_the_gpu_settings_are_ones_ganzoo_accepts(tmp_path):
    for tag, (command, _) in planned(tmp_path, "--device", "cuda").items():
        if "--ganzoo-args" in command:
            overrides = ganzoo_overrides(after(command, "--ganzoo-args"))
            config = resolve_config(get_registry(), "dcgan", {"dataset": "digits", **overrides})
            assert config.compile is True, tag
            if tag.startswith("train_throughput"):
                assert config.precision == "bf16" and config.channels_last


def test_the_cpu_plan_has_one_run_of_each(tmp_path):
    plan = planned(tmp_path, "--device", "cpu", "--threads", "2")
    assert len(plan) == len(run_all.BENCHMARKS)
    assert after(plan["utilisation"][0], "--threads") == ["2"] and after(plan["utilisation"][0], "--device") == ["cpu"]
    assert all(not env for _, env in plan.values())


def test_dry_run_prints_the_commands_without_a_gpu(capsys):
    assert run_all.main(["--device", "cuda", "--dry-run", "--quick", "--only", "train_throughput"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("train_throughput-bf16+compile+graphs: TORCHINDUCTOR_CUDAGRAPHS=1 ")
    assert all("--quick" in line and "--device cuda" in line for line in lines)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_cuda_run_without_cuda_is_one_line(capsys):
    assert run_all.main(["--device", "cuda", "--only", "cli_startup"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["run_all: error: --device cuda: CUDA is not available here (--dry-run shows the plan)"]


def test_the_summary_shows_utilisation_and_inference_rows_as_shares():
    """The rows the new benchmarks hand back (read from their saved files) print as shares."""
    import json

    results = REPO / "benchmarks" / "results"
    util = json.loads((results / "utilisation.json").read_text())["rows"][1]
    line = run_all.summary_line(util)
    assert line.startswith("utilisation dcgan-64 (FLOP/s)") and f"{util['ratio']:.0%}" in line and " G " in line
    inference = json.loads((results / "inference_layout.json").read_text())["rows"][0]
    assert f"{inference['ratio']:.0%}" in run_all.summary_line(inference)
    cuda = run_all.summary_line({"name": "train x", "unit": "img/s", "value": 2.0, "baseline": 1.0, "ratio": 2.0,
                                 "cuda_peak_mib": 10.0, "baseline_cuda_peak_mib": 12.0})
    assert "2.00x" in cuda and cuda.splitlines()[1].strip() == "CUDA peak MiB ganzoo 10 | plain 12"
