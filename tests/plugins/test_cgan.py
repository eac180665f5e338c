"""The conditional GAN: the class task adapter, labels reaching both nets, conditional sampling,
``ganzoo sample --labels``, refusing unlabelled datasets early, and a real run on the digits."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo import DatasetSpec, cli, hookimpl, weights
from ganzoo.core.config import resolve_config
from ganzoo.errors import ConfigError
from ganzoo.core.model import GanModel
from ganzoo.plugin.discovery import get_registry
from ganzoo.core.tasks import ADAPTERS, ClassTask, adapter_for

from tests.helpers import run_cli

# Tiny settings (as in test_trainer.py): each step takes milliseconds on a CPU.
NETS = dict(image_size=16, ngf=8, ndf=8, nz=16)
TINY = dict(NETS, batch_size=16, num_samples=16)


def tiny_model(channels: int = 1, **overrides) -> GanModel:
    torch.manual_seed(0)
    return ganzoo.create("cgan", channels=channels, **{**NETS, **overrides}).eval()


# ------------------------------------------------------------------ the adapter
def test_class_task_adapter():
    task = adapter_for("class", {"nz": 16, "num_classes": 3})
    assert isinstance(task, ClassTask) and ADAPTERS["class"] is ClassTask
    assert task.name == "class" and task.needs_labels and not ADAPTERS["noise"].needs_labels
    assert task.sample_labels(7, torch.device("cpu")).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert task.noise(5, torch.device("cpu")).shape == (5, 16)
    calls = []
    net = lambda x, y: calls.append(y) or x  # noqa: E731  (records the labels it gets)
    labels = torch.tensor([2, 0])
    task.generate(net, torch.zeros(2, 16), labels)
    task.score(net, torch.zeros(2, 1, 4, 4), labels)
    assert all(c is labels for c in calls) and len(calls) == 2
    with pytest.raises(ConfigError, match="needs a label for every image"):
        task.generate(net, torch.zeros(2, 16), None)


# ------------------------------------------------------------------ the nets
@pytest.mark.parametrize("condition", ["concat", "batchnorm"])
def test_labels_reach_the_generator(condition):
    model = tiny_model(g_condition=condition)
    z = torch.randn(4, 16)
    with torch.no_grad():
        a = model.generator(z, torch.tensor([0, 0, 0, 0]))
        b = model.generator(z, torch.tensor([1, 1, 1, 1]))
        a_again = model.generator(z, torch.tensor([0, 0, 0, 0]))
    assert torch.equal(a, a_again)
    assert (a - b).abs().amax(dim=(1, 2, 3)).min() > 1e-4  # every image changes with its label


@pytest.mark.parametrize("label_std", [False, True])
def test_labels_reach_the_discriminator(label_std):
    model = tiny_model(d_label_std=label_std)
    images = torch.rand(4, 1, 16, 16) * 2 - 1
    with torch.no_grad():
        a = model.discriminator(images, torch.tensor([0, 1, 2, 3]))
        b = model.discriminator(images, torch.tensor([5, 6, 7, 8]))
    assert a.shape == b.shape == (4,)
    assert ((a - b).abs() > 1e-5).all()  # the same image scores differently under another label


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("condition", ["concat", "batchnorm"])
def test_shapes_follow_image_size_channels_and_classes(size, channels, condition):
    model = tiny_model(channels, image_size=size, num_classes=4, g_condition=condition)
    labels = torch.tensor([0, 3, 1])
    images = model.generator(torch.randn(3, 16), labels)
    assert images.shape == (3, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert model.discriminator(images, labels).shape == (3,)
    assert model.generator.embed.num_embeddings == model.discriminator.embed.num_embeddings == 4


def test_generator_conditions_spectral_norm_and_files_from_before_them(tmp_path):
    from ganzoo_plugins.cgan.nets import Generator, build

    from ganzoo.core.conditional_layers import ConditionalBatchNorm2d, ConditionalGenerator

    cbn = tiny_model(g_condition="batchnorm").generator
    assert isinstance(cbn, ConditionalGenerator) and sum(isinstance(m, ConditionalBatchNorm2d) for m in cbn.modules()) == 2
    assert isinstance(tiny_model(g_condition="concat").generator, Generator)
    # weights files written before g_condition and d_spectral_norm existed hold concatenation nets
    old = {**NETS, "channels": 1, "ngf": 8, "ndf": 8, "num_classes": 10, "embed_dim": 20, "d_norm": "batch"}
    generator, discriminator = build(old)
    assert isinstance(generator, Generator) and not any(hasattr(m, "parametrizations") for m in discriminator.modules())
    _, normed = build({**old, "d_spectral_norm": True})
    parametrized = [m for m in normed.modules() if hasattr(m, "parametrizations")]
    assert len(parametrized) == 4 and normed.embed in parametrized  # 3 convolutions at 16x16 and the projection
    with pytest.raises(ValueError, match="unknown g_condition 'film'"):
        build({**old, "g_condition": "film"})
    _, seeing = build({**old, "d_label_std": True, "d_dropout": 0.25})
    assert seeing.label_std is not None and seeing.logit.in_channels == discriminator.logit.in_channels + 1
    assert [m.p for m in seeing.main if isinstance(m, torch.nn.Dropout)] == [0.25, 0.25]
    assert discriminator.label_std is None and not any(isinstance(m, torch.nn.Dropout) for m in discriminator.main)


def test_unsupported_size_and_plugin_stays_import_cheap():
    with pytest.raises(ConfigError, match="supports image sizes 16, 32, 64, 128"):
        ganzoo.create("cgan", image_size=48)
    code = "import sys, ganzoo_plugins.cgan; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


# ------------------------------------------------------------------ conditional sampling
def test_sample_with_labels_keeps_their_order_and_is_reproducible():
    model = tiny_model()
    labels = [3, 1, 4, 1, 5, 9]
    images = model.sample(6, seed=7, labels=labels)
    z = model.task.noise(6, torch.device("cpu"), torch.Generator().manual_seed(7))
    with torch.no_grad():
        expected = model.generator(z, torch.tensor(labels))
    assert torch.equal(images, expected.clamp(-1, 1))  # image i is of class labels[i]
    assert torch.equal(images, model.sample(6, seed=7, labels=torch.tensor(labels)))
    assert torch.equal(images, model.sample(6, seed=7, labels=[str(x) for x in labels], batch_size=4))
    # one label for all; the noise depends on the seed only, so other labels show the same styles
    sevens = model.sample(6, seed=7, labels=7)
    assert torch.equal(sevens, model.sample(6, seed=7, labels=[7] * 6))
    with torch.no_grad():
        assert torch.equal(sevens, model.generator(z, torch.full((6,), 7)).clamp(-1, 1))
    # without labels a class model cycles through its classes
    assert torch.equal(model.sample(12, seed=1), model.sample(12, seed=1, labels=[i % 10 for i in range(12)]))


def test_sample_takes_class_names():
    model = tiny_model(num_classes=3)
    model.card.classes = ["cat", "Dog", "2"]
    assert model.class_names == ["cat", "Dog", "2"]
    assert model.class_indices(["dog", "cat", "2", 2, "1"]) == [1, 0, 2, 2, 1]  # "2" is a name (index 2); "1" an index
    assert torch.equal(model.sample(3, seed=0, labels=["cat", "DOG", 2]), model.sample(3, seed=0, labels=[0, 1, 2]))
    with pytest.raises(ConfigError, match=r"unknown class 'bird'; valid classes are 0-2 or their names cat, Dog, 2"):
        model.sample(1, labels="bird")


def test_bad_labels_are_config_errors():
    model = tiny_model()
    with pytest.raises(ConfigError, match="no class 10; valid classes are 0-9"):
        model.sample(2, labels=[1, 10])
    with pytest.raises(ConfigError, match="one label or one per image"):
        model.sample(3, labels=[1, 2])
    with pytest.raises(ConfigError, match="must be a class index or name"):
        model.sample(1, labels=[1.5])
    noise_model = ganzoo.create("dcgan", channels=1, **NETS)
    with pytest.raises(ConfigError, match="unconditional"):
        noise_model.sample(2, labels=[1, 2])


def test_cli_sample_draws_one_row_per_class(tmp_path, capsys):
    model = tiny_model()
    model.card.classes = [str(i) for i in range(10)]
    model.save(tmp_path / "w")
    cell = 16 + 2  # image size + grid padding

    assert cli.main(["sample", str(tmp_path / "w"), "--labels", "0-9", "-n", "8", "-o", str(tmp_path / "rows.png")]) == 0
    assert Image.open(tmp_path / "rows.png").size == (8 * cell + 2, 10 * cell + 2)  # 10 rows of 8
    assert "10 rows of 8 samples (classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9) of cgan" in " ".join(capsys.readouterr().out.split())

    assert cli.main(["sample", str(tmp_path / "w"), "--labels", "1,3 , 9-7", "-n", "5", "-o", str(tmp_path / "some.png")]) == 0
    assert Image.open(tmp_path / "some.png").size == (5 * cell + 2, 5 * cell + 2)  # rows 1, 3, 9, 8, 7
    assert "(classes 1, 3, 9, 8, 7)" in " ".join(capsys.readouterr().out.split())

    assert cli.main(["sample", str(tmp_path / "w"), "-n", "20", "-o", str(tmp_path / "cycle.png")]) == 0
    assert Image.open(tmp_path / "cycle.png").size == (10 * cell + 2, 2 * cell + 2)  # one column per class

    for bad, message in (("0-10", "no class 10; valid classes are 0-9"), ("seven", "unknown class 'seven'; valid classes are 0-9")):
        assert cli.main(["sample", str(tmp_path / "w"), "--labels", bad, "-o", str(tmp_path / "bad.png")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
    assert cli.main(["sample", str(tmp_path / "w"), "--labels", "1", "--nrow", "3", "-n", "4"]) == 2
    assert "leave out --nrow" in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()


def test_cli_labels_on_a_noise_model_is_one_line(tmp_path, capsys):
    ganzoo.create("dcgan", channels=1, **NETS).save(tmp_path / "w")
    assert cli.main(["sample", str(tmp_path / "w"), "--labels", "0-3", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unconditional" in err and not (tmp_path / "x.png").exists()


# ------------------------------------------------------------------ refusing unlabelled data early
class UnlabelledPlugin:
    @hookimpl
    def register_datasets(self, register):
        register(DatasetSpec(name="noise-pics", builder="ganzoo_plugins.datasets.loaders:digits", summary="no labels"))


def test_unlabelled_dataset_is_refused_before_training(register_plugin, tmp_path, capsys):
    register_plugin(UnlabelledPlugin(), "unlabelled")
    registry = get_registry()
    assert resolve_config(registry, "dcgan", {"dataset": "noise-pics"}).dataset == "noise-pics"  # fine without labels
    assert resolve_config(registry, "cgan", {"dataset": "folder:/somewhere"}).dataset == "folder:/somewhere"  # known later
    with pytest.raises(ConfigError, match="'cgan' is class-conditional and needs labelled images, but dataset 'noise-pics'"):
        resolve_config(registry, "cgan", {"dataset": "noise-pics"})
    assert cli.main(["run", "cgan", "--dataset", "noise-pics", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "digits" in err and "folder:PATH with one subfolder per class" in err
    assert not (tmp_path / "run").exists()


def test_flat_image_folder_is_refused_before_the_first_step(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        Image.new("L", (16, 16), color=i * 60).save(flat / f"{i}.png")
    with pytest.raises(ConfigError, match="needs class labels"):
        ganzoo.train("cgan", dataset=f"folder:{flat}", out=tmp_path / "run", steps=2, **TINY)
    assert not (tmp_path / "run" / "generator.safetensors").exists()


# ------------------------------------------------------------------ a real run
def test_short_cgan_run_on_digits_through_the_cli(tmp_path):
    out = tmp_path / "run"
    # cwd: a folder without build leftovers, so the CLI sees the installed entry points only
    run_cli("run", "cgan", "--steps", "4", "--image-size", "16", "--batch-size", "16", "--num-samples", "16",
            "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16", "--log-every", "2", "--out", str(out), "--no-progress",
            cwd=tmp_path, check=True)
    meta = weights.read_metadata(out / "generator.safetensors")
    assert meta["task"] == "class" and meta["model"] == "cgan" and meta["step"] == "4"
    assert meta["config"]["num_classes"] == 10 and meta["classes"] == [str(i) for i in range(10)]
    model = ganzoo.load(out, device="cpu")
    assert model.class_names == [str(i) for i in range(10)]
    assert model.sample(3, seed=0, labels=[0, 5, 9]).shape == (3, 1, 16, 16)
    proc = run_cli("sample", str(out), "--labels", "2-4", "-n", "6", "-o", str(tmp_path / "rows.png"), cwd=tmp_path, check=True)
    assert Image.open(tmp_path / "rows.png").size == (6 * 18 + 2, 3 * 18 + 2)
    assert "classes 2, 3, 4" in " ".join(proc.stdout.split())
