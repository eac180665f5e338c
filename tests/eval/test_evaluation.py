"""ganzoo eval / ganzoo.evaluate: the digits feature network, floors, every task, the CLI."""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.data import as_float, load_dataset, split_holdout
from ganzoo.errors import ConfigError, WeightsError
from ganzoo.eval import metric_names
from ganzoo.eval.digits_features import accuracy, digits_split, load_digits_features
from ganzoo.eval.evaluation import SampleEvaluator, choose_features, evaluate
from ganzoo.io import run_folder, weights
from ganzoo.plugin.discovery import get_registry

from tests.helpers import run_cli


@pytest.fixture(scope="module")
def digits():
    return load_dataset(get_registry(), "digits", 32)


def test_shipped_digits_network_reaches_97_percent_on_its_held_out_split(digits) -> None:
    _, held = digits_split(len(digits))
    net = load_digits_features()
    assert accuracy(net, as_float(digits.images[held]), digits.labels[held]) >= 0.97


def test_real_held_out_images_score_exactly_the_floor(digits) -> None:
    evaluator = SampleEvaluator(digits, "digits", device=torch.device("cpu"))
    _, held = digits_split(len(digits))
    metrics, classes = evaluator.score(lambda n: (as_float(digits.images[held][:n]), digits.labels[held][:n]))
    assert evaluator.samples == len(held)
    assert evaluator.judge.kind == "digits network"  # the judge of the class report too (ganzoo.eval.classes)
    assert metrics == pytest.approx(evaluator.floor)
    assert {k.removesuffix(metric_names.STD_SUFFIX) for k in metrics} <= set(metric_names.METRICS)
    assert classes["shares"] == pytest.approx(classes["floor_shares"])
    assert metrics["classes_covered"] == 10 and metrics["cond_accuracy"] >= 0.97


def test_asked_labels_give_conditional_accuracy(digits) -> None:
    evaluator = SampleEvaluator(digits, "digits", device=torch.device("cpu"))
    _, held = digits_split(len(digits))
    real, labels = as_float(digits.images[held]), digits.labels[held]
    metrics, classes = evaluator.score(lambda n: (real[:n], labels[:n]))
    assert metrics["cond_accuracy"] >= 0.97
    wrong, _ = evaluator.score(lambda n: (real[:n], (labels[:n] + 1) % 10))
    assert wrong["cond_accuracy"] < 0.1
    assert set(classes["accuracy_per_label"]) == set(digits.classes)


def test_untrained_generator_is_far_above_the_floor(tmp_path) -> None:
    model = ganzoo.create("dcgan", image_size=32, channels=1, ngf=8, ndf=8)
    model.save(tmp_path)
    report = evaluate(tmp_path, dataset="digits", samples=200)
    assert report.features == "digits" and report.samples == 200 and report.reference > 1000
    assert report.metrics["fd_digits"] > 5 * report.floor["fd_digits"]
    assert report.metrics["kid_digits"] > report.floor["kid_digits"] + 10 * report.metrics["kid_digits_std"]
    assert report.metrics["precision"] < report.floor["precision"]


def paired_folder(root) -> str:
    """``paired:PATH`` with 40 real PNG pairs (grey noise A -> its colour version B): a dataset
    without whole photographs, so a seeded tenth of its pairs is held out."""
    from PIL import Image

    gen = torch.Generator().manual_seed(0)
    for side in ("A", "B"):
        (root / side).mkdir(parents=True)
    for i in range(40):
        colour = torch.randint(0, 256, (64, 64, 3), dtype=torch.uint8, generator=gen)
        Image.fromarray(colour.numpy()).save(root / "B" / f"{i:02d}.png")
        Image.fromarray(colour.float().mean(-1).to(torch.uint8).numpy()).save(root / "A" / f"{i:02d}.png")
    return f"paired:{root}"


def test_image_to_image_models_report_against_the_baseline(tmp_path) -> None:
    model = ganzoo.create("pix2pix", image_size=64, input_channels=1, ngf=8, ndf=8)
    model.save(tmp_path / "run")
    report = evaluate(tmp_path / "run", dataset=paired_folder(tmp_path / "pairs"))
    assert report.floor_label.startswith("input as output")
    assert set(report.metrics) == {"psnr", "ssim", "l1"} == set(report.floor)
    assert report.samples == 4 and not report.per_image


def test_image_to_image_held_out_pairs_follow_the_file_evaluated(tmp_path) -> None:
    """A run folder with an EMA generator is evaluated on the pairs of the EMA file's training seed."""
    model = ganzoo.create("pix2pix", image_size=64, input_channels=1, ngf=8, ndf=8)
    run = tmp_path / "run"
    model.save(run, training={"seed": 0})
    meta = model.card.metadata("generator", training={"seed": 5}, ema=0.999)
    weights.save_module(model.generator, run / run_folder.EMA_GENERATOR_FILE, meta)
    assert run_folder.generator_file(run).name == run_folder.EMA_GENERATOR_FILE
    name = paired_folder(tmp_path / "pairs")
    data = load_dataset(get_registry(), name, 64)

    def baseline_of(seed: int) -> dict[str, float]:
        _, held = split_holdout(data, seed)
        inputs, targets = as_float(held.inputs), as_float(held.images)
        return model.task.scores(model.task.baseline(inputs, targets), targets)

    assert baseline_of(5) != pytest.approx(baseline_of(0))  # the two seeds hold out different pairs
    assert evaluate(run, dataset=name).floor == pytest.approx(baseline_of(5))
    assert evaluate(run / "generator.safetensors", dataset=name).floor == pytest.approx(baseline_of(0))


def test_feature_space_choice_and_missing_inception_weights(tmp_path, monkeypatch) -> None:
    assert choose_features("auto", "digits") == "digits"
    assert choose_features("auto", "folder:/x") == "inception"
    with pytest.raises(ConfigError, match="unknown feature space"):
        choose_features("vgg", "digits")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    model = ganzoo.create("dcgan", image_size=32, channels=1, ngf=8, ndf=8)
    with pytest.raises(WeightsError, match="pt_inception-2015-12-05"):
        evaluate(model, dataset="digits", features="inception")


def test_cli_eval_prints_metrics_beside_the_floor_and_json(tmp_path) -> None:
    model = ganzoo.create("cgan", image_size=32, channels=1, num_classes=10, ngf=8, ndf=8)
    model.save(tmp_path / "run")
    table = run_cli("eval", str(tmp_path / "run"), "--dataset", "digits", "-n", "100", check=True).stdout
    assert "FD-digits" in table and "real held-out vs real train" in table and "conditional accuracy" in table
    assert "per-label diversity" in table
    data = json.loads(run_cli("eval", str(tmp_path / "run"), "--dataset", "digits", "-n", "100", "--json", check=True).stdout)
    assert data["samples"] == 100 and data["task"] == "class"
    assert {"fd_digits", "kid_digits", "cond_accuracy", "label_diversity"} <= set(data["metrics"]) and "fd_digits" in data["floor"]
    assert 0.85 < data["floor"]["label_diversity"] < 1.15


def test_cli_eval_mistakes_are_one_line(tmp_path) -> None:
    proc = run_cli("eval", "dcgan.digitz")
    assert proc.returncode == 2 and proc.stderr.count("\n") <= 2 and "did you mean" in proc.stderr
    model = ganzoo.create("dcgan", image_size=32, channels=1, ngf=8, ndf=8)
    model.save(tmp_path)
    proc = run_cli("eval", str(tmp_path))
    assert proc.returncode == 2 and "--dataset" in proc.stderr


def test_eval_every_logs_metrics_keeps_the_best_and_leaves_training_unchanged(tmp_path) -> None:
    settings = dict(steps=4, batch_size=8, image_size=16, ngf=8, ndf=8, log_every=2, sample_every=4, checkpoint_every=4)
    plain = ganzoo.train("dcgan", out=tmp_path / "plain", progress=False, **settings)
    judged = ganzoo.train("dcgan", out=tmp_path / "judged", progress=False, eval_every=2, **settings)
    lines = [json.loads(line) for line in (tmp_path / "judged" / "metrics.jsonl").read_text().splitlines()]
    evals = {line["step"]: line["eval"] for line in lines if "eval" in line}
    assert sorted(evals) == [2, 4] and all("fd_digits" in e and "kid_digits" in e for e in evals.values())
    best = tmp_path / "judged" / "generator.best.safetensors"
    meta = weights.read_metadata(best)
    best_step = min(evals, key=lambda s: evals[s]["fd_digits"])
    assert int(meta["step"]) == best_step and meta["metrics"]["fd_digits"] == pytest.approx(evals[best_step]["fd_digits"])
    assert ganzoo.load(best).sample(2, seed=0).shape == (2, 1, 16, 16)
    assert judged.metrics["fd_digits"] == pytest.approx(evals[4]["fd_digits"])
    a, b = weights.read_tensors(plain.generator), weights.read_tensors(judged.generator)
    assert all(torch.equal(a[k], b[k]) for k in a)  # the evaluation draws from its own random stream


def test_a_run_with_both_reports_builds_one_class_judge(tmp_path):
    from ganzoo.core.config import resolve_config
    from ganzoo.plugin.discovery import get_registry
    from ganzoo.training.trainer import Trainer

    settings = dict(image_size=16, ngf=8, ndf=8, nz=8, batch_size=16, eval_every=5, class_report_every=5)
    trainer = Trainer(resolve_config(get_registry(), "dcgan", settings), tmp_path / "run")
    trainer._setup()
    assert trainer.evaluator.evaluator.judge is trainer.class_coverage.judge
