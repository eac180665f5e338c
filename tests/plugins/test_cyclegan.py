"""CycleGAN and the unpaired task: reference parameter counts, the packed batch contract, the
objective's math, the pool of past fakes, the datasets, and real runs through the CLI."""

from __future__ import annotations

import sys

import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.core.image_pool import ImagePool
from ganzoo.core.tasks import UnpairedTask, adapter_for
from ganzoo.core.unpaired import halves, pack, swap
from ganzoo.data import DatasetRequest
from ganzoo.errors import ConfigError, DataError
from ganzoo.io import checkpoint, weights
from ganzoo.training.trainer import decay_factor
from ganzoo_plugins.cyclegan.loss import CycleGANLoss
from ganzoo_plugins.cyclegan.nets import build
from tests.helpers import run_cli

#: The architecture's defaults (the paper's nets at 256 px).
PAPER = {"image_size": 256, "channels": 3, "input_channels": 3, "ngf": 64, "ndf": 64, "n_blocks": 9, "n_layers": 3,
         "norm": "instance", "dropout": False, "pool_size": 50}
#: Tiny nets and a 32 px demo for runs that must take seconds.
TINY = ["--image-size", "32", "--set", "ngf=4", "--set", "ndf=4", "--set", "n_blocks=1", "--no-progress"]


def count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_paper_nets_have_the_reference_parameter_counts():
    # junyanz/pytorch-CycleGAN-and-pix2pix models/networks.py, counted by hand from its layout:
    # ResnetGenerator(3, 3, 64, instance norm -> conv biases, n_blocks=9) = 9,472 + 73,856 +
    # 295,168 + 9 x 1,180,160 + 295,040 + 73,792 + 9,411; NLayerDiscriminator(3, 64, n_layers=3)
    # = 3,136 + 131,200 + 524,544 + 2,097,664 + 8,193.
    with torch.device("meta"):
        generator, discriminator = build(dict(PAPER))
        six, _ = build({**PAPER, "n_blocks": 6})
    assert count(generator.a_to_b) == count(generator.b_to_a) == 11_378_179
    assert count(discriminator.d_a) == count(discriminator.d_b) == 2_764_737
    assert count(six.a_to_b) == 7_837_699  # resnet_6blocks


def test_the_registered_defaults_are_the_papers():
    from ganzoo.plugin.discovery import get_registry

    registry = get_registry()
    assert dict(registry.architecture("cyclegan").defaults) == PAPER
    loss = registry.loss("cyclegan")
    assert dict(loss.defaults) == {"cycle_weight": 10.0, "identity_weight": 0.5} and loss.tasks == ("unpaired",)
    model = registry.model("cyclegan")
    assert model.training["lr_decay"] == 0.5 and tuple(model.training["betas"]) == (0.5, 0.999)
    assert model.paper == "1703.10593" and model.dataset == "edges2photos-unpaired"


def test_packed_generator_swaps_domains_so_twice_is_the_cycle():
    torch.manual_seed(0)
    generator, discriminator = build({**PAPER, "image_size": 32, "ngf": 4, "ndf": 4, "n_blocks": 1})
    generator.eval()
    a, b = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    x = pack(a, b)
    fake = generator(x)
    fake_a, fake_b = halves(fake)
    assert torch.equal(fake_a, generator(b, "BtoA")) and torch.equal(fake_b, generator(a, "AtoB"))
    rec_a, rec_b = halves(generator(fake))
    assert torch.allclose(rec_a, generator(generator(a, "AtoB"), "BtoA"))
    assert torch.allclose(rec_b, generator(generator(b, "BtoA"), "AtoB"))
    assert torch.equal(swap(x), pack(b, a))
    scores = discriminator(x)
    assert scores.shape == (2, 2, 2, 2)  # one 2x2 patch map per domain at 32 px
    assert torch.equal(scores[:, :1], discriminator.d_a(a)) and torch.equal(scores[:, 1:], discriminator.d_b(b))
    assert generator(torch.zeros(1, 3, 36, 52), "AtoB").shape == (1, 3, 36, 52)  # any size divisible by 4


@pytest.mark.parametrize("change, message", [({"image_size": 30}, "divisible by 4"), ({"norm": "group"}, "unknown norm"),
                                             ({"input_channels": 1}, "same channels"), ({"n_blocks": -1}, "n_blocks")])
def test_builder_refuses_bad_settings(change, message):
    with pytest.raises(ConfigError, match=message):
        build({**PAPER, "ngf": 4, "ndf": 4, **change})


def test_objective_is_the_references_sum_over_domains():
    loss = CycleGANLoss(cycle_weight=10, identity_weight=0.5)
    real, fake = torch.full((2, 2, 3, 3), 0.5), torch.zeros(2, 2, 3, 3)
    real[:, 1] = 1.0  # D_B is right on real images, D_A half way
    # per D: 0.5 mean((r - 1)^2) + 0.5 mean(f^2); D_A: 0.5 * 0.25, D_B: 0 -> sum 0.125
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(0.125)
    assert loss.generator_loss(fake).item() == pytest.approx(2.0)  # mean((0 - 1)^2) per direction, summed
    x = torch.rand(2, 6, 4, 4)
    # G_AB = G_BA = identity: on a packed batch that is the swap, and nothing is lost
    assert loss.generator_penalty(swap, x, swap(x)).item() == 0.0
    # each translation adds 0.1: the cycle is off by 0.2 per domain, the identity by 0.1 per domain
    shifted = lambda images: swap(images) + 0.1  # noqa: E731
    assert loss.generator_penalty(shifted, x, shifted(x)).item() == pytest.approx(10 * (0.2 + 0.2) + 5 * (0.1 + 0.1))
    assert CycleGANLoss(identity_weight=0).generator_penalty(shifted, x, shifted(x)).item() == pytest.approx(4.0)


def test_image_pool_fills_then_swaps_half_the_time_and_round_trips():
    pool = ImagePool(4, (1, 2, 2), seed=0)
    first = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 2, 2)
    assert torch.equal(pool.query(first), first)  # filling: the new images come back
    state = {k: (v.clone() if torch.is_tensor(v) else v) for k, v in pool.state_dict().items()}
    later = torch.arange(100.0, 300.0).view(200, 1, 1, 1).expand(200, 1, 2, 2)
    out = pool.query(later)
    swapped = (out != later).flatten(1).all(1)
    assert 60 < int(swapped.sum()) < 140  # about half are past images ...
    for i in swapped.nonzero().flatten().tolist():  # ... from the pool: the first four, or an earlier new one
        assert out[i, 0, 0, 0].item() in {0.0, 1.0, 2.0, 3.0} or 100 <= out[i, 0, 0, 0].item() < 100 + i
    again = ImagePool(4, (1, 2, 2), seed=123)
    again.load_state_dict(state)
    assert torch.equal(again.query(later), out)  # the checkpointed state replays the same draws
    assert torch.equal(ImagePool(0, (1, 2, 2), 0).query(later), later)  # size 0: no pool


def test_task_adapter_contract():
    task = adapter_for("unpaired", {"channels": 3, "image_size": 32, "pool_size": 7})
    assert isinstance(task, UnpairedTask) and task.image_to_image and task.pool_size == 7
    assert task.facing("BtoA").direction == "BtoA" and task.facing(None).direction == "AtoB"
    with pytest.raises(ConfigError, match="AtoB or BtoA"):
        task.facing("sideways")
    with pytest.raises(ConfigError, match="one way only"):
        adapter_for("paired", {}).facing("BtoA")


def test_linear_decay_factor():
    assert [decay_factor(s, 10, 0.5) for s in range(10)] == [1, 1, 1, 1, 1, 1.0, 0.8, 0.6, 0.4, 0.2]
    assert decay_factor(3, 10, 0.0) == 1.0 and decay_factor(0, 10, 1.0) == 1.0 and decay_factor(9, 10, 1.0) == 0.1


def _request(name: str, argument: str = "", size: int = 32) -> DatasetRequest:
    from pathlib import Path

    return DatasetRequest(name, argument, size, Path("."), False, {})


def test_edges2photos_unpaired_keeps_domains_apart_and_holds_out_true_pairs():
    from ganzoo_plugins.datasets import photos
    from ganzoo_plugins.datasets.unpaired import CROPS_PER_DOMAIN, edges2photos_unpaired

    data = edges2photos_unpaired(_request("edges2photos-unpaired"))
    assert data.inputs.shape[1] == data.images.shape[1] == 3
    assert int((~data.held_out).sum()) == CROPS_PER_DOMAIN
    edges = data.inputs[~data.held_out]
    assert torch.equal(edges[:, 0], edges[:, 1])  # edge maps: grey, as three equal channels
    assert (edges.float().mean() > 150)  # dark lines on white
    assert [w.name for w in data.whole] and len(data.whole) == len(photos.load(photos.HELD_OUT))
    task = adapter_for("unpaired", {"channels": 3, "image_size": 32})
    train, held = task.split(data, seed=0)
    assert held is not None and len(held) > 0 and len(train) == CROPS_PER_DOMAIN


def _folder(root, name: str, count: int, mode: str, size: int = 40) -> None:
    (root / name).mkdir(parents=True)
    for i in range(count):
        Image.new(mode, (size + i, size), color=(40 * i) % 255 if mode == "L" else (10 * i, 200, 30)).save(root / name / f"{i}.png")


def test_unpaired_folder_layout(tmp_path):
    from ganzoo_plugins.datasets.unpaired import unpaired

    _folder(tmp_path, "trainA", 3, "L")
    _folder(tmp_path, "trainB", 5, "RGB")
    data = unpaired(_request("unpaired", str(tmp_path)))
    assert data.images.shape == (5, 3, 32, 32) and data.inputs.shape == (5, 3, 32, 32)  # grey A as RGB, repeated to 5
    assert torch.equal(data.inputs[3], data.inputs[0]) and data.held_out is None
    assert adapter_for("unpaired", {}).split(data, 0) == (data, None)
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match="no trainA/ and no trainB/"):
        unpaired(_request("unpaired", str(tmp_path / "other")))


def test_cli_trains_cyclegan_on_its_demo_and_translates_both_ways(tmp_path):
    run = tmp_path / "run"
    proc = run_cli("--threads", "1", "run", "cyclegan", "--steps", "3", "--sample-every", "3", "--out", str(run), *TINY,
                   cwd=tmp_path, check=True)
    assert "finished 3 steps" in proc.stdout and "held-out" in proc.stdout
    assert (run / "samples" / "step-000003.png").is_file()
    meta = weights.read_metadata(run / "generator.safetensors")
    assert meta["task"] == "unpaired" and meta["loss"] == "cyclegan" and meta["dataset"] == "edges2photos-unpaired"
    model = ganzoo.load(run)
    x = torch.rand(3, 40, 48) * 2 - 1
    to_b, to_a = model.transform(x), model.transform(x, direction="BtoA")
    assert to_b.shape == to_a.shape == x.shape and not torch.equal(to_b, to_a)
    assert torch.equal(to_b, model.translate(x, direction="AtoB"))
    photo = tmp_path / "photo.png"
    Image.new("RGB", (44, 36), (120, 80, 30)).save(photo)
    out = tmp_path / "edges"
    run_cli("sample", str(run), "--input", str(photo), "--direction", "BtoA", "-o", str(out), cwd=tmp_path, check=True)
    assert Image.open(out / "photo.png").size == (44, 36) and (out / "photo.compare.png").is_file()
    report = run_cli("eval", str(run), "--json", cwd=tmp_path, check=True)
    assert '"psnr"' in report.stdout and "baseline" in report.stdout


def test_a_resumed_run_is_the_uninterrupted_one(tmp_path):
    # The two shuffles and both pools of past fakes resume exactly. (The decay is left out: its
    # schedule follows --steps, which the first half of the split run sets to 3.)
    args = ["--threads", "1", "run", "cyclegan", *TINY, "--set", "pool_size=2", "--batch-size", "2", "--set", "lr_decay=0"]
    run_cli(*args, "--steps", "6", "--checkpoint-every", "3", "--out", str(tmp_path / "straight"), cwd=tmp_path, check=True)
    run_cli(*args, "--steps", "3", "--checkpoint-every", "3", "--out", str(tmp_path / "split"), cwd=tmp_path, check=True)
    run_cli("--threads", "1", "run", "--resume", str(tmp_path / "split"), "--steps", "6", "--no-progress", cwd=tmp_path, check=True)
    for name in ("generator.safetensors", "discriminator.safetensors"):
        straight = weights.read_tensors(tmp_path / "straight" / name)
        resumed = weights.read_tensors(tmp_path / "split" / name)
        assert straight.keys() == resumed.keys() and all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_learning_rates_decay_linearly_over_the_last_half(tmp_path):
    run = tmp_path / "run"
    run_cli("--threads", "1", "run", "cyclegan", *TINY, "--steps", "4", "--set", "lr_d=1e-4", "--out", str(run),
            cwd=tmp_path, check=True)
    state = checkpoint.read_checkpoint(run)
    # the last step (3 of 0-3) ran at 1/2 of each rate: decay over steps 2 and 3, factors 1 and 1/2
    assert state["optimizer_g"]["param_groups"][0]["lr"] == pytest.approx(2e-4 * decay_factor(3, 4, 0.5)) == pytest.approx(1e-4)
    assert state["optimizer_d"]["param_groups"][0]["lr"] == pytest.approx(0.5e-4)


def test_cli_refusals_are_one_line(tmp_path):
    _folder(tmp_path / "data", "trainA", 2, "RGB")
    _folder(tmp_path / "data", "trainB", 2, "RGB")
    proc = run_cli("run", "cyclegan", "--dataset", f"unpaired:{tmp_path / 'data'}", "--eval-every", "2", "--steps", "2",
                   "--out", str(tmp_path / "r"), *TINY, cwd=tmp_path)
    assert proc.returncode == 2 and "has none" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("run", "cyclegan", "--dataset", f"unpaired:{tmp_path / 'nowhere'}", "--steps", "2",
                   "--out", str(tmp_path / "r2"), *TINY, cwd=tmp_path)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_trains_on_an_unpaired_folder_and_refuses_eval_without_pairs(tmp_path):
    _folder(tmp_path / "data", "trainA", 2, "RGB")
    _folder(tmp_path / "data", "trainB", 3, "L")
    run = tmp_path / "run"
    run_cli("--threads", "1", "run", "cyclegan", "--dataset", f"unpaired:{tmp_path / 'data'}", "--steps", "2",
            "--sample-every", "2", "--out", str(run), *TINY, cwd=tmp_path, check=True)
    assert (run / "samples" / "step-000002.png").is_file()
    proc = run_cli("eval", str(run), cwd=tmp_path)
    assert proc.returncode == 2 and "no known pairs" in proc.stderr and "Traceback" not in proc.stderr


def test_top_level_module_is_import_cheap():
    import subprocess

    code = "import ganzoo_plugins.cyclegan, sys; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
