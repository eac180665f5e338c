"""InfoGAN: the latent codes the noise task draws, the nets with the Q head on D's body, the
code loss by hand, the trainer handing the loss the latent, the code-class match, and real runs
through the CLI (training, ganzoo.load, ``sample --codes``, ``eval``)."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import ganzoo
from ganzoo.core.latent_codes import LatentCodes
from ganzoo.core.tasks import NoiseTask, adapter_for
from ganzoo.errors import ConfigError
from ganzoo.eval.code_classes import match_from_confusion
from ganzoo_plugins.infogan.loss import InfoGANLoss
from tests.helpers import run_cli

CODES = LatentCodes(nz=5, categories=4, continuous=2)
#: Tiny nets for runs that must take seconds.
TINY = ["--image-size", "16", "--set", "ngf=8", "--set", "ndf=8", "--set", "q_hidden=16", "--no-progress"]


# ---------------------------------------------------------------- latent codes (core)
def test_noise_task_draws_noise_then_one_hot_then_uniform_codes():
    task = adapter_for("noise", {"nz": 5, "categorical_code": 4, "continuous_codes": 2})
    assert task.codes == CODES
    latent = task.noise(500, torch.device("cpu"), torch.Generator().manual_seed(0))
    assert latent.shape == (500, 5 + 4 + 2)
    one_hot = latent[:, 5:9]
    assert set(one_hot.unique().tolist()) == {0.0, 1.0} and (one_hot.sum(1) == 1).all()
    assert set(one_hot.argmax(1).tolist()) == {0, 1, 2, 3}  # every value drawn
    continuous = latent[:, 9:]
    assert continuous.min() >= -1 and continuous.max() <= 1 and continuous.min() < -0.9 and continuous.max() > 0.9
    category, cont = CODES.split(latent)
    assert torch.equal(category, one_hot.argmax(1)) and torch.equal(cont, continuous)


def test_noise_without_codes_is_drawn_exactly_as_before():
    task = adapter_for("noise", {"nz": 7})
    assert task.codes is None
    drawn = task.noise(3, torch.device("cpu"), torch.Generator().manual_seed(4))
    assert torch.equal(drawn, torch.randn(3, 7, generator=torch.Generator().manual_seed(4)))


def test_a_categorical_code_of_one_value_is_refused():
    with pytest.raises(ConfigError, match="at least 2 values"):
        NoiseTask.from_config({"nz": 3, "categorical_code": 1})
    with pytest.raises(ConfigError, match="at least 2 values"):
        ganzoo.create("infogan", categorical_code=1)


def test_with_category_sets_only_the_one_hot_block():
    latent = CODES.append(torch.randn(6, 5), torch.Generator().manual_seed(1))
    fixed = CODES.with_category(latent, 2)
    assert (CODES.split(fixed)[0] == 2).all()
    assert torch.equal(fixed[:, :5], latent[:, :5]) and torch.equal(fixed[:, 9:], latent[:, 9:])


def test_sweep_lays_out_one_row_per_value_and_moves_one_continuous_code():
    z = torch.randn(1, 5)
    latent = CODES.sweep(z, columns=5, code=1, span=2.0)
    assert latent.shape == (4 * 5, 11)
    category, cont = CODES.split(latent)
    assert category.tolist() == [k for k in range(4) for _ in range(5)]
    assert torch.equal(cont[:5, 1], torch.linspace(-2, 2, 5)) and (cont[:, 0] == 0).all()
    assert torch.equal(latent[:, :5], z.expand(20, -1))
    with pytest.raises(ConfigError, match="continuous code 2 does not exist"):
        CODES.sweep(z, 5, code=2)


def test_sweeping_the_noise_gives_each_column_its_own_noise_in_every_row_and_codes_at_zero():
    z = torch.randn(3, 5)
    latent = CODES.sweep(z, columns=3, code=None)
    category, cont = CODES.split(latent)
    assert category.tolist() == [k for k in range(4) for _ in range(3)]
    assert (cont == 0).all()
    assert all(torch.equal(latent[3 * k : 3 * k + 3, :5], z) for k in range(4))


# ---------------------------------------------------------------- nets
def test_discriminator_returns_the_logit_then_q_outputs_from_one_body():
    model = ganzoo.create("infogan", image_size=32, channels=1, ngf=8, ndf=8, q_hidden=16)
    latent = model.task.noise(3, torch.device("cpu"))
    assert latent.shape == (3, 62 + 10 + 2)
    images = model.generator(latent)
    assert images.shape == (3, 1, 32, 32) and images.min() >= -1 and images.max() <= 1
    assert model.discriminator(images).shape == (3, 1 + 10 + 2)
    # Q is a head on D's body, not a second network: its only parameters are the head's
    q_params = sum(p.numel() for p in model.discriminator.q.parameters())
    assert q_params == 32 * 16 * 16 + 2 * 16 + 16 * 12 + 12  # 4x4 conv (no bias), batch norm, linear


# ---------------------------------------------------------------- the loss
def test_code_loss_is_cross_entropy_plus_half_squared_error_by_hand():
    loss = InfoGANLoss()
    loss.prepare(NoiseTask(5, codes=CODES))
    latent = CODES.append(torch.randn(8, 5), torch.Generator().manual_seed(2))
    q = torch.randn(8, 6)
    category, cont = CODES.split(latent)
    expected = F.cross_entropy(q[:, :4], category) + 0.5 * ((q[:, 4:] - cont) ** 2).sum(1).mean()
    assert loss.code_loss(q, latent).item() == pytest.approx(expected.item(), rel=1e-6)
    # Q reading the codes perfectly (a sure logit, exact means) costs nothing
    perfect = torch.cat([F.one_hot(category, 4) * 50.0, cont], 1)
    assert loss.code_loss(perfect, latent).item() == pytest.approx(0.0, abs=1e-6)


def test_both_objectives_add_the_code_loss_to_the_non_saturating_gan_loss():
    loss = InfoGANLoss(info_weight=0.5)
    loss.prepare(NoiseTask(5, codes=CODES))
    latent = CODES.append(torch.randn(8, 5))
    real, fake = torch.randn(8, 7), torch.randn(8, 7, requires_grad=True)
    code = loss.code_loss(fake[:, 1:], latent)
    d = F.softplus(-real[:, 0]).mean() + F.softplus(fake[:, 0]).mean() + 0.5 * code
    assert loss.discriminator_loss(real, fake, latent=latent).item() == pytest.approx(d.item(), rel=1e-6)
    g = loss.generator_loss(fake, latent=latent)
    assert g.item() == pytest.approx((F.softplus(-fake[:, 0]).mean() + 0.5 * code).item(), rel=1e-6)
    g.backward()
    assert (fake.grad[:, 1:] != 0).any()  # the generator's gradient reaches Q's columns: G learns readable codes
    assert torch.equal(loss.adversarial_scores(real), real[:, 0])


def test_the_loss_refuses_a_task_without_codes():
    with pytest.raises(ConfigError, match="needs an architecture with latent codes"):
        InfoGANLoss().prepare(NoiseTask(5))
    with pytest.raises(ConfigError, match="needs an architecture with latent codes"):
        ganzoo.train("dcgan", loss="infogan", steps=1, progress=False)


def test_the_trainer_hands_the_loss_the_latent_of_the_fakes_and_q_learns_to_read_it(tmp_path):
    """A short real run: Q recovers the categorical code of fresh fakes far above chance, which
    it can only learn if the latent the loss sees is the one the fakes were made from."""
    result = ganzoo.train("infogan", steps=60, image_size=16, ngf=8, ndf=8, q_hidden=16, batch_size=32,
                          lr=2e-3, lr_d=2e-3, out=tmp_path / "run", progress=False, sample_every=1000, checkpoint_every=1000)
    model = ganzoo.load(result.run_dir / "discriminator.safetensors")
    generator = ganzoo.load(result.run_dir)
    latent = generator.task.noise(400, torch.device("cpu"), torch.Generator().manual_seed(9))
    with torch.no_grad():
        images = generator.task.generate_eval(generator.generator, latent, None)
        q = model.discriminator.eval()(images)[:, 1:11]
    read = (q.argmax(1) == generator.codes.split(latent)[0]).float().mean().item()
    assert read > 0.3, read  # chance: 0.1; a latent other than the fakes' one leaves Q there


# ---------------------------------------------------------------- the code-class match
def test_a_code_that_permutes_the_classes_matches_them_all():
    classes = [str(i) for i in range(3)]
    match = match_from_confusion(torch.tensor([[0, 10, 0], [0, 0, 10], [10, 0, 0]]), classes)
    assert match.accuracy == 1.0 and match.assignment == {0: "1", 1: "2", 2: "0"}
    assert match.per_code == {0: 1.0, 1: 1.0, 2: 1.0} and match.chance == pytest.approx(1 / 3)


def test_the_best_one_to_one_assignment_beats_the_greedy_one():
    # greedy (code 0 -> its best class 0) gives 6 + 5 = 11 right; 0 -> 1 and 1 -> 0 gives 5 + 6 + ... = 12
    confusion = torch.tensor([[6, 5], [6, 1]])
    match = match_from_confusion(confusion, ["a", "b"])
    assert match.assignment == {0: "b", 1: "a"} and match.accuracy == pytest.approx(11 / 18)
    assert match.per_code == {0: pytest.approx(5 / 11), 1: pytest.approx(6 / 7)}


def test_an_ignored_code_scores_chance():
    match = match_from_confusion(torch.full((10, 10), 20), [str(i) for i in range(10)])
    assert match.accuracy == pytest.approx(0.1) == match.chance


def test_more_code_values_than_classes_leave_some_unassigned():
    match = match_from_confusion(torch.tensor([[9, 1], [1, 9], [5, 5]]), ["a", "b"])
    assert match.assignment == {0: "a", 1: "b"} and match.accuracy == pytest.approx(18 / 30)
    assert match.chance == pytest.approx(2 / 6)


# ---------------------------------------------------------------- real runs through the CLI
@pytest.mark.slow
def test_cli_trains_loads_samples_codes_and_evaluates(tmp_path):
    info = run_cli("info", "infogan", "--json", cwd=tmp_path, check=True)
    described = json.loads(info.stdout)
    assert described["paper"] == "1606.03657"
    run = tmp_path / "run"
    run_cli("--threads", "1", "run", "infogan", "--steps", "4", "--out", str(run), *TINY, cwd=tmp_path, check=True)
    model = ganzoo.load(run)
    assert model.card.config["categorical_code"] == 10 and model.codes == LatentCodes(62, 10, 2)
    grid = model.sample_codes(columns=7, seed=3)
    assert grid.shape == (70, 1, 16, 16)
    assert torch.equal(grid, model.sample_codes(columns=7, seed=3))  # seeded
    assert model.sample(5, seed=0).shape == (5, 1, 16, 16)

    out = tmp_path / "codes.png"
    proc = run_cli("sample", str(run), "--codes", "--nrow", "7", "--sweep", "1", "-o", str(out), cwd=tmp_path, check=True)
    assert "10 rows (categorical code values) x 7 columns (continuous code 1 from -2 to 2)" in proc.stdout
    with Image.open(out) as picture:  # save_grid's 2-pixel padding around 16-pixel tiles
        assert picture.size == (7 * 18 + 2, 10 * 18 + 2)
    proc = run_cli("sample", str(run), "--codes", "--sweep", "noise", "-o", str(tmp_path / "noise.png"), cwd=tmp_path,
                   check=True)
    assert "10 rows (categorical code values) x 10 columns (the noise)" in proc.stdout
    bad = run_cli("sample", str(run), "--codes", "--sweep", "width", "-o", str(tmp_path / "bad.png"), cwd=tmp_path)
    assert bad.returncode == 2 and "expected a continuous code's index (0, 1, ...) or 'noise'" in bad.stderr
    assert not (tmp_path / "bad.png").exists()

    report = json.loads(run_cli("eval", str(run), "--json", "-n", "50", cwd=tmp_path, check=True).stdout)
    assert 0.0 <= report["metrics"]["code_class_accuracy"] <= 1.0
    assert report["floor"]["code_class_accuracy"] > 0.9  # the digits network reading real digits' true labels
    codes = report["classes"]["codes"]
    assert codes["chance"] == pytest.approx(0.1) and len(codes["assignment"]) == 10
    assert sum(map(sum, codes["confusion"])) == 10 * 200
    text = run_cli("eval", str(run), "-n", "50", cwd=tmp_path, check=True).stdout
    assert "code-class match (best 1:1)" in text and "categorical code -> class (best one-to-one)" in text


@pytest.mark.slow
def test_sample_codes_of_a_model_without_codes_is_one_line(tmp_path):
    run = tmp_path / "dcgan"
    run_cli("--threads", "1", "run", "dcgan", "--steps", "1", "--out", str(run), "--image-size", "16", "--set", "ngf=8",
            "--set", "ndf=8", "--no-progress", cwd=tmp_path, check=True)
    proc = run_cli("sample", str(run), "--codes", "-o", str(tmp_path / "x.png"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "ganzoo: error: model 'dcgan' has no categorical latent code to lay out by rows; codes grids are for models "
        "with latent codes such as infogan"]
    assert not (tmp_path / "x.png").exists()
    proc = run_cli("sample", str(run), "--sweep", "1", "-o", str(tmp_path / "x.png"), cwd=tmp_path)
    assert proc.returncode == 2 and "--sweep goes with --codes" in proc.stderr


def test_info_names_the_paper_and_defaults():
    proc = run_cli("info", "infogan", cwd=None, check=True)
    assert "1606.03657" in proc.stdout and "categorical_code=10" in proc.stdout and "info_weight=1.0" in proc.stdout
    assert math.isclose(ganzoo.create("infogan").card.config["nz"], 62)
