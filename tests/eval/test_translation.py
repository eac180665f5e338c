"""Unpaired translation between two Fashion-MNIST classes (``sneakers2boots``): the dataset's
domains and held-out split, and ``ganzoo eval``'s reading of the translations by the class judge."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.cli.main import main
from ganzoo.data.datasets import load_dataset
from ganzoo.errors import DataError
from ganzoo.io.model_card import PIPELINE_TAGS
from ganzoo.io.zoo_entry import RECORDED
from ganzoo.plugin.discovery import get_registry
from ganzoo_plugins.datasets.unpaired import class_pair
from tests.helpers.idx_files import write_set

SNEAKER, ANKLE_BOOT = 7, 9


def test_sneakers2boots_holds_the_two_classes_and_their_test_images(tmp_path: Path) -> None:
    root = write_set(tmp_path / "fashion")
    pair = load_dataset(get_registry(), "sneakers2boots", 32, data_root=root)
    items = load_dataset(get_registry(), "fashion-mnist", 32, data_root=root)
    assert pair.domain_classes == (("Sneaker", SNEAKER), ("Ankle boot", ANKLE_BOOT))
    assert torch.equal(pair.inputs, items.images[items.labels == SNEAKER])
    assert torch.equal(pair.images, items.images[items.labels == ANKLE_BOOT])
    assert torch.equal(pair.test.inputs, items.test.images[items.test.labels == SNEAKER])
    assert torch.equal(pair.test.images, items.test.images[items.test.labels == ANKLE_BOOT])
    assert pair.labels is None  # nothing pairs the two sides and no label conditions the model


def test_an_unknown_class_is_one_line_naming_the_classes(tmp_path: Path) -> None:
    items = load_dataset(get_registry(), "fashion-mnist", 32, data_root=write_set(tmp_path / "fashion"))
    with pytest.raises(DataError, match=r"no class 'Boot'; the classes are T-shirt/top, Trouser") as caught:
        class_pair(items, "Sneaker", "Boot")
    assert "\n" not in str(caught.value)


def test_cyclegan_on_sneakers2boots_is_read_by_the_class_judge(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = write_set(tmp_path / "fashion", train=60, test=50)  # 6 training and 5 test images of each class
    run = tmp_path / "cg"
    assert main(["--threads", "1", "run", "cyclegan", "--dataset", "sneakers2boots", "--data-root", str(root),
                 "--set", "ngf=8", "--set", "ndf=8", "--set", "n_blocks=1", "--steps", "2", "--batch-size", "2",
                 "--no-progress", "--out", str(run)]) == 0
    report = ganzoo.evaluate(run, data_root=str(root), device="cpu")
    assert report.features == "fashion" and report.samples == 5 and report.reference == 6
    for key in ("translation_accuracy", "translation_accuracy_ba", "fd_fashion", "precision", "recall"):
        assert key in report.metrics and key in report.floor, key
        assert report.floor[key] >= 0
    assert 0 <= report.metrics["translation_accuracy"] <= 1 and report.metrics["cycle_l1"] > 0
    assert report.classes["domain_a"] == "Sneaker" and report.classes["domain_b"] == "Ankle boot"
    # the do-nothing baseline: a real sneaker read as an ankle boot
    assert set(report.classes["untranslated_read_as_target"]) == {"translation_accuracy", "translation_accuracy_ba"}
    capsys.readouterr()
    assert main(["--threads", "1", "eval", str(run), "--data-root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "A to B: read as B" in out and "real test images of the target class" in out and "doing nothing" in out


def test_unpaired_entries_record_their_figures_and_get_a_hub_pipeline_tag() -> None:
    # before: the task tables lacked "unpaired", so a CycleGAN zoo entry recorded no metrics and its card no tag
    assert {"translation_accuracy", "psnr"} <= set(RECORDED["unpaired"])
    assert PIPELINE_TAGS["unpaired"] == "image-to-image"
