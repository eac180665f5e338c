"""The Fashion-MNIST feature space: the shipped network, its script, and evaluation against the
official test split (``ImageDataset.test``) rather than a split of the training images.

The evaluation tests use small IDX files they write (``tests.helpers.idx_files``); the checks of
the shipped network on the real test split run only where Fashion-MNIST is installed
(``apt-get install dataset-fashion-mnist``, as ``.ci/run`` does) and say so when they skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.cli.main import main
from ganzoo.data import load_dataset
from ganzoo.eval.digits_features import IMAGE_SIZE, accuracy, train_feature_net
from ganzoo.eval.fashion_features import ASSET, WIDTH, load_fashion_features
from ganzoo.eval.feature_space import choose_features
from ganzoo.io import weights
from ganzoo.plugin.discovery import get_registry
from ganzoo_plugins.datasets.mnist_family import FASHION_MNIST, locate

from tests.helpers import REPO
from tests.helpers.idx_files import FASHION_CLASSES, TEST, TRAIN, write_set

REAL_DATA = locate(FASHION_MNIST, None) is not None
needs_real_data = pytest.mark.skipif(not REAL_DATA, reason="Fashion-MNIST is not installed (apt-get install "
                                     "dataset-fashion-mnist): the shipped network was NOT checked on the real test split")


def test_auto_picks_the_fashion_network_for_fashion_mnist_only():
    assert choose_features("auto", "fashion-mnist") == "fashion"
    assert choose_features("auto", "digits") == "digits" and choose_features("auto", "mnist") == "digits"
    assert choose_features("auto", "folder:x") == "inception"


def test_the_shipped_network_records_its_test_accuracy_and_width():
    meta = weights.read_metadata(ASSET)
    assert meta["role"] == "fashion-features" and int(meta["width"]) == WIDTH
    assert float(meta["heldout_accuracy"]) >= 0.92  # the bar, measured on the 10,000 test images
    assert "10000 test images" in meta["split"]
    net = load_fashion_features()
    assert not net.training and float(net.scale) > 0


@needs_real_data
def test_the_shipped_network_reads_the_real_test_split_as_recorded():
    data = load_dataset(get_registry(), "fashion-mnist", IMAGE_SIZE)
    net = load_fashion_features()
    measured = accuracy(net, data.test.images.float().div(127.5).sub(1.0), data.test.labels)
    assert measured == pytest.approx(float(weights.read_metadata(ASSET)["heldout_accuracy"]), abs=1e-4)


def test_training_holds_out_exactly_the_given_examples(tmp_path: Path):
    data = load_dataset(get_registry(), "fashion-mnist", IMAGE_SIZE, data_root=write_set(tmp_path / "f"))
    images = torch.cat([data.images, data.test.images])
    labels = torch.cat([data.labels, data.test.labels])
    train, held = torch.arange(TRAIN), torch.arange(TRAIN, TRAIN + TEST)
    first = train_feature_net(images, labels, train, held, steps=3, batch_size=8, width=8)
    again = train_feature_net(images, labels, train, held, steps=3, batch_size=8, width=8)
    assert all(torch.equal(v, again.net.state_dict()[k]) for k, v in first.net.state_dict().items())
    assert first.net.body[0].out_channels == 8
    # the accuracy is the held-out examples', nothing else
    held_images = images[held].float().div(127.5).sub(1.0)
    assert first.accuracy == accuracy(first.net, held_images, labels[held])


def test_the_script_trains_on_the_training_split_and_checks_on_the_test_split(tmp_path: Path):
    out = tmp_path / "fashion-features.safetensors"
    root = write_set(tmp_path / "data")
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "train_fashion_features.py"), "--steps", "2",
                           "--batch-size", "8", "--data-root", str(root), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "after 2 steps of 8" in proc.stdout
    meta = weights.read_metadata(out)
    assert meta["split"] == f"Fashion-MNIST official: trained on the {TRAIN} training images, accuracy on the {TEST} test images"
    assert meta["steps"] == "2" and int(meta["width"]) == WIDTH


def test_eval_measures_against_the_official_test_split_in_the_fashion_space(tmp_path: Path, capsys):
    root = write_set(tmp_path / "data")
    run = tmp_path / "run"
    assert main(["--threads", "1", "run", "cgan", "--dataset", "fashion-mnist", "--data-root", str(root), "--steps", "2",
                 "--batch-size", "8", "--no-progress", "--out", str(run)]) == 0
    report = ganzoo.evaluate(run, data_root=str(root), device="cpu")
    assert report.features == "fashion" and report.dataset == "fashion-mnist"
    assert report.samples == TEST and report.reference == TRAIN  # every test image held out, every training image the reference
    for key in ("fd_fashion", "kid_fashion", "precision", "recall", "class_share_min", "class_share_max", "cond_accuracy"):
        assert key in report.metrics and key in report.floor, key
    assert 0 < report.metrics["class_share_max"] <= 1 and report.metrics["class_share_min"] <= report.metrics["class_share_max"]
    assert list(report.classes["shares"]) == FASHION_CLASSES
    capsys.readouterr()
    assert main(["--threads", "1", "eval", str(run), "--data-root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "FD-fashion" in out and "Ankle boot" in out


def test_an_image_to_image_model_is_measured_on_the_whole_official_test_split(tmp_path: Path):
    root = write_set(tmp_path / "data")
    run = tmp_path / "p2p"
    assert main(["--threads", "1", "run", "pix2pix", "--dataset", "edges2fashion", "--data-root", str(root), "--set",
                 "ngf=8", "--set", "ndf=8", "--set", "n_layers=2", "--steps", "2", "--batch-size", "4", "--no-progress",
                 "--out", str(run)]) == 0
    report = ganzoo.evaluate(run, data_root=str(root), device="cpu")
    assert report.samples == TEST and report.dataset == "edges2fashion"
    assert {"psnr", "ssim", "l1"} <= set(report.metrics) and {"psnr", "ssim", "l1"} <= set(report.floor)
