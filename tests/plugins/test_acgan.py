"""ACGAN: the discriminator's two heads (and that it ignores labels), the loss by hand with each
source term, refusals, a real run then ``ganzoo.load`` and conditional sampling, and the CLI."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import ganzoo
from ganzoo.core.conditional_layers import ConcatGenerator, ConditionalGenerator
from ganzoo.core.tasks import ClassTask, NoiseTask
from ganzoo.errors import ConfigError
from ganzoo_plugins.acgan.loss import ACGANLoss
from ganzoo_plugins.acgan.nets import Discriminator, build
from tests.helpers import run_cli

NETS = dict(image_size=16, ngf=8, ndf=8, nz=16)
CONFIG = {**NETS, "channels": 1, "num_classes": 10, "embed_dim": 10, "d_norm": "batch"}
TINY = ["--image-size", "16", "--set", "ngf=8", "--set", "ndf=8", "--set", "nz=16", "--batch-size", "16",
        "--num-samples", "20", "--no-progress"]


# ---------------------------------------------------------------- the nets
@pytest.mark.parametrize("condition, kind", [("concat", ConcatGenerator), ("batchnorm", ConditionalGenerator)])
def test_generator_is_the_core_conditional_one(condition, kind):
    generator, _ = build({**CONFIG, "g_condition": condition})
    assert isinstance(generator, kind)
    z, labels = torch.randn(4, 16), torch.tensor([0, 3, 9, 3])
    images = generator(z, labels)
    assert images.shape == (4, 1, 16, 16) and images.abs().max() <= 1
    assert not torch.equal(images, generator(z, torch.tensor([1, 1, 1, 1])))


@pytest.mark.parametrize("size", [16, 32])
def test_discriminator_gives_a_logit_then_class_logits_and_ignores_labels(size):
    _, d = build({**CONFIG, "image_size": size, "num_classes": 7})
    assert isinstance(d, Discriminator)
    d.eval()
    images = torch.rand(5, 1, size, size) * 2 - 1
    with torch.no_grad():
        out = d(images)
        assert out.shape == (5, 1 + 7)
        assert torch.equal(out, d(images, torch.tensor([0, 1, 2, 3, 4])))
        assert torch.equal(out, ClassTask(16, 7).score(d, images, torch.tensor([6, 6, 6, 6, 6])))  # as the trainer asks
    assert d.classes.out_channels == 7 and d.logit.out_channels == 1


# ---------------------------------------------------------------- the loss by hand
def scores(n=6, k=4, grad=False):
    torch.manual_seed(0)
    return torch.randn(n, 1 + k, requires_grad=grad)


def test_bce_loss_by_hand_both_objectives():
    loss = ACGANLoss(aux_weight=0.5)
    loss.prepare(ClassTask(8, 4))
    real, fake = scores(), scores(grad=True).detach().mul(0.7).requires_grad_()
    labels = torch.tensor([0, 1, 2, 3, 1, 0])
    # L_S: BCE, reals -> 1 and fakes -> 0; L_C: cross-entropy of both batches under the labels
    source = F.softplus(-real[:, 0]).mean() + F.softplus(fake[:, 0]).mean()
    ce = lambda s: -F.log_softmax(s[:, 1:], 1)[torch.arange(6), labels].mean()  # noqa: E731
    d = loss.discriminator_loss(real, fake, latent=None, condition=labels)
    assert d.item() == pytest.approx((source + 0.5 * (ce(real) + ce(fake))).item(), rel=1e-6)
    # G: non-saturating source loss + the class loss of its fakes
    g = loss.generator_loss(fake, condition=labels)
    assert g.item() == pytest.approx((F.softplus(-fake[:, 0]).mean() + 0.5 * ce(fake)).item(), rel=1e-6)
    g.backward()
    assert (fake.grad[:, 1:] != 0).any()  # G is pushed towards fakes the class head recognises
    assert torch.equal(loss.adversarial_scores(real), real[:, 0]) and loss.scores_are_logits and loss.uses_inputs
    # aux_weight 0 leaves the plain GAN loss
    plain = ACGANLoss(aux_weight=0)
    assert plain.discriminator_loss(real, fake, condition=labels).item() == pytest.approx(source.item(), rel=1e-6)
    # fake_class_weight 0: D's class head learns from the real images only; G's objective is unchanged
    real_only = ACGANLoss(aux_weight=0.5, fake_class_weight=0)
    d_real_only = real_only.discriminator_loss(real, fake, condition=labels)
    assert d_real_only.item() == pytest.approx((source + 0.5 * ce(real)).item(), rel=1e-6)
    assert real_only.generator_loss(fake, condition=labels).item() == pytest.approx(g.item(), rel=1e-6)


@pytest.mark.parametrize("name, d_source, g_source", [
    ("hinge", lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean(), lambda f: -f.mean()),
    ("lsgan", lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(), lambda f: 0.5 * ((f - 1) ** 2).mean()),
    ("wgan-gp", lambda r, f: f.mean() - r.mean(), lambda f: -f.mean()),
])
def test_other_source_terms_judge_the_logit_column(name, d_source, g_source):
    loss = ACGANLoss(adversarial=name)
    loss.prepare(ClassTask(8, 4))
    real, fake, labels = scores(), scores().mul(-0.5), torch.tensor([3, 2, 1, 0, 0, 1])
    classes = F.cross_entropy(real[:, 1:], labels) + F.cross_entropy(fake[:, 1:], labels)
    assert loss.discriminator_loss(real, fake, condition=labels).item() == pytest.approx(
        (d_source(real[:, 0], fake[:, 0]) + classes).item(), rel=1e-6)
    assert loss.generator_loss(fake, condition=labels).item() == pytest.approx(
        (g_source(fake[:, 0]) + F.cross_entropy(fake[:, 1:], labels)).item(), rel=1e-6)
    assert not loss.scores_are_logits  # critics' scores are plotted raw


def test_wgan_gp_penalty_is_taken_of_the_logit_column():
    loss = ACGANLoss(adversarial="wgan-gp")
    weights = torch.randn(1 + 3, 2 * 4 * 4)
    critic = lambda x: x.flatten(1) @ weights.T  # noqa: E731  (a linear critic: gradient norm |weights[0]|)
    real, fake = torch.randn(5, 2, 4, 4), torch.randn(5, 2, 4, 4)
    penalty = loss.discriminator_penalty(critic, real, fake)
    assert penalty.item() == pytest.approx((10 * (weights[0].norm() - 1) ** 2).item(), rel=1e-5)
    assert ACGANLoss().discriminator_penalty(critic, real, fake) is None


def test_the_loss_refuses_what_does_not_compose():
    with pytest.raises(ConfigError, match="needs a class-conditional architecture .* not the 'noise' task"):
        ACGANLoss().prepare(NoiseTask(5, num_classes=10))
    with pytest.raises(ConfigError, match="weight clipping"):
        ACGANLoss(adversarial="wasserstein")
    with pytest.raises(ConfigError, match="reads discriminator columns of its own"):
        ACGANLoss(adversarial="infogan")
    with pytest.raises(ConfigError, match="adversarial: unknown loss 'hnge'.*hinge"):
        ACGANLoss(adversarial="hnge")
    with pytest.raises(ConfigError, match="aux_weight and fake_class_weight"):
        ACGANLoss(aux_weight=-1)
    with pytest.raises(ConfigError, match="aux_weight and fake_class_weight"):
        ACGANLoss(fake_class_weight=-0.5)
    loss = ACGANLoss()
    loss.prepare(ClassTask(8, 4))
    with pytest.raises(ConfigError, match=r"shape \(6,\).*\(N, 1 \+ 4\)"):  # a cgan-style discriminator
        loss.discriminator_loss(torch.randn(6), torch.randn(6), condition=torch.zeros(6, dtype=torch.long))
    with pytest.raises(ConfigError, match="works with the class task.*'noise' model"):
        ganzoo.train("dcgan", loss="acgan", steps=1, progress=False)


# ---------------------------------------------------------------- real runs
def test_short_run_then_load_and_sample_with_labels(tmp_path):
    result = ganzoo.train("acgan", steps=6, batch_size=16, out=tmp_path / "run", progress=False, sample_every=1000,
                          checkpoint_every=1000, **NETS)
    model = ganzoo.load(result.run_dir)
    assert model.card.task == "class" and model.card.loss == "acgan" and model.class_names == [str(i) for i in range(10)]
    images = model.sample(4, seed=0, labels=[0, 5, 9, 5])
    assert images.shape == (4, 1, 16, 16) and torch.isfinite(images).all()
    assert torch.equal(images, model.sample(4, seed=0, labels=[0, 5, 9, 5]))
    assert not torch.equal(images[1], model.sample(4, seed=0, labels=[0, 6, 9, 5])[1])  # the label steers the image
    d = ganzoo.load(result.run_dir / "discriminator.safetensors").discriminator
    assert d.eval()(images).shape == (4, 11)


def test_wgan_gp_source_trains(tmp_path):
    result = ganzoo.train("acgan", steps=3, batch_size=8, out=tmp_path / "run", progress=False, sample_every=1000,
                          checkpoint_every=1000, adversarial="wgan-gp", d_norm="layer", **NETS)
    assert result.run_dir.joinpath("generator.safetensors").exists()


@pytest.mark.slow
def test_cli_runs_samples_with_labels_and_evaluates(tmp_path):
    run = tmp_path / "run"
    run_cli("--threads", "1", "run", "acgan", "--steps", "3", "--out", str(run), *TINY, cwd=tmp_path, check=True)
    proc = run_cli("sample", str(run), "--labels", "0-9", "-n", "4", "-o", str(tmp_path / "rows.png"), cwd=tmp_path, check=True)
    assert "10 rows of 4 samples (classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9) of acgan" in " ".join(proc.stdout.split())
    with Image.open(tmp_path / "rows.png") as picture:
        assert picture.size == (4 * 18 + 2, 10 * 18 + 2)
    report = json.loads(run_cli("--threads", "1", "eval", str(run), "--json", "-n", "50", cwd=tmp_path, check=True).stdout)
    assert report["model"] == "acgan" and 0 <= report["metrics"]["cond_accuracy"] <= 1
    assert "label_diversity" in report["metrics"] and report["floor"]["cond_accuracy"] > 0.9


def test_info_names_the_paper_and_defaults():
    proc = run_cli("info", "acgan", check=True)
    out = " ".join(proc.stdout.split())
    assert "1610.09585" in out and "aux_weight=1.0" in out and "adversarial=bce" in out and "digits" in out
    described = json.loads(run_cli("info", "acgan", "--json", check=True).stdout)
    assert described["architecture"] == "acgan" and described["loss"] == "acgan"
