"""Nothing non-finite is written or loaded, and a run folder resumes from whatever a crash left."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import save_file

import ganzoo
from ganzoo_plugins.losses.bce import BCELoss
from ganzoo.errors import NonFiniteWeights, RunFolderError, TrainingDiverged
from ganzoo.io import checkpoint, run_folder, weights

from tests.helpers import run_cli

TINY = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, num_samples=16, sample_every=1000)


class PoisonAfter(BCELoss):
    """The standard loss, but after ``after`` critic steps a batch-norm running variance of the
    critic becomes inf (what ``--lr 1e9`` left behind while the losses, which use batch
    statistics in training, still looked fine)."""

    def __init__(self, after: int = 5) -> None:
        super().__init__()
        self.after, self.calls = after, 0

    def after_discriminator_step(self, discriminator):
        self.calls += 1
        if self.calls > self.after:
            norm = next(m for m in discriminator.modules() if isinstance(m, torch.nn.BatchNorm2d))
            norm.running_var[0] = float("inf")


class PoisonPlugin:
    @ganzoo.hookimpl
    def register_losses(self, register):
        register(ganzoo.LossSpec(name="poison-after", builder=f"{__name__}:PoisonAfter", defaults={"after": 5}))


def _finite(state) -> bool:
    return not weights.non_finite(checkpoint.tensors_in(state))


def _same_weights(a, b) -> bool:
    ta, tb = weights.read_tensors(a), weights.read_tensors(b)
    return ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)


# ---------------------------------------------------------------- integrity
def test_non_finite_weights_stop_the_run_and_keep_the_last_finite_checkpoint(tmp_path, register_plugin):
    register_plugin(PoisonPlugin(), "poison-plugin")
    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match=r"weights became non-finite by step 6 \(1 tensor\(s\) hold NaN or inf.*checkpoint \(step 4\)"):
        ganzoo.train("dcgan", loss="poison-after", out=run, steps=20, log_every=100, checkpoint_every=2, **TINY)
    state = checkpoint.read_checkpoint(run)
    assert state["step"] == 4 and _finite(state)
    assert not (run / "generator.safetensors").exists()
    assert not list(run.glob(".*.tmp"))


def test_final_weights_are_checked_too(tmp_path, register_plugin):
    register_plugin(PoisonPlugin(), "poison-plugin")
    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="by step 7"):  # poisoned at step 6, no checkpoint due before the end
        ganzoo.train("dcgan", loss="poison-after", out=run, steps=7, log_every=100, checkpoint_every=100, **TINY)
    assert not (run / "generator.safetensors").exists() and not (run / "checkpoint.safetensors").exists()


def test_writing_non_finite_tensors_is_refused_and_leaves_nothing(tmp_path):
    path = tmp_path / "w.safetensors"
    with pytest.raises(NonFiniteWeights, match=r"1 tensor\(s\) hold NaN or inf \('b'\)"):
        weights.save_tensors({"a": torch.ones(2), "b": torch.tensor([1.0, float("nan")]), "i": torch.arange(3)}, path, {})
    assert list(tmp_path.iterdir()) == []


def test_loading_non_finite_weights_is_one_line(tmp_path):
    ganzoo.train("dcgan", out=tmp_path / "run", steps=2, log_every=1, **TINY)
    good = tmp_path / "run" / "generator.safetensors"
    tensors = weights.read_tensors(good)
    key = next(k for k, t in tensors.items() if t.is_floating_point())
    tensors[key] = tensors[key].clone().fill_(float("nan"))
    from safetensors import safe_open

    with safe_open(str(good), framework="pt") as fh:
        meta = fh.metadata()
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=meta)  # written around ganzoo, as another tool might
    with pytest.raises(NonFiniteWeights, match="hold NaN or inf.*diverged"):
        ganzoo.load(bad)
    proc = run_cli("sample", str(bad), "-o", str(tmp_path / "grid.png"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "grid.png").exists()


# ---------------------------------------------------------------- resume from any crash
def test_a_cut_last_metrics_line_does_not_stop_a_resume(tmp_path):
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=4, log_every=1, checkpoint_every=2, **TINY)
    shutil.copy(run / "checkpoint.safetensors", tmp_path / "at-4")
    (run / "metrics.jsonl").write_text((run / "metrics.jsonl").read_text() + '{"step": 5, "d_lo')  # a crash mid-line
    result = ganzoo.train(resume=run, steps=6)
    assert result.step == 6
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other-model"])
def test_a_broken_or_foreign_checkpoint_is_one_line(tmp_path, damage):
    run = tmp_path / "run"
    ganzoo.train("dcgan", out=run, steps=2, log_every=1, checkpoint_every=2, **TINY)
    target = run / "checkpoint.safetensors"
    if damage == "garbage":
        target.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    else:
        ganzoo.train("dcgan", out=tmp_path / "other", steps=2, log_every=1, checkpoint_every=2, **{**TINY, "ngf": 16})
        shutil.copy(tmp_path / "other" / "checkpoint.safetensors", target)
    with pytest.raises(RunFolderError, match="checkpoint"):
        ganzoo.train(resume=run, steps=4)
    proc = run_cli("run", "--resume", str(run), "--steps", "4", "--no-progress")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
    assert len(errors) == 1 and "checkpoint" in errors[0]


def test_a_run_killed_before_its_first_checkpoint_starts_again_identically(tmp_path):
    ganzoo.train("dcgan", out=tmp_path / "straight", steps=4, log_every=1, checkpoint_every=100, **TINY)
    crashed = tmp_path / "crashed"
    ganzoo.train("dcgan", out=crashed, steps=4, log_every=1, checkpoint_every=100, **TINY)
    for leftover in ("checkpoint.safetensors", "generator.safetensors", "discriminator.safetensors"):
        (crashed / leftover).unlink()  # as if killed after two logged steps, before any checkpoint
    (crashed / ".checkpoint.safetensors.abc123.tmp").write_bytes(b"")  # a write the kill cut short
    (crashed / run_folder.SAMPLES_DIR / ".step-000002.png.def456.tmp").write_bytes(b"")  # a sample grid's, too
    proc = run_cli("run", "--resume", str(crashed), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "no checkpoint yet: starting it again from step 0" in proc.stderr
    assert not list(crashed.rglob(".*.tmp"))
    assert _same_weights(tmp_path / "straight" / "generator.safetensors", crashed / "generator.safetensors")
    lines = [json.loads(line) for line in (crashed / run_folder.METRICS_FILE).read_text().splitlines()]
    assert [m["step"] for m in lines] == [1, 2, 3, 4]
