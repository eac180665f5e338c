"""Whole images in, whole images out: ``model.transform`` on images of any size, in tiles.

Real nets built through the registry (``ganzoo.create``), small enough to run in seconds: a
pix2pix U-Net at its smallest size (64) and an SRResNet with one residual block.
"""

from __future__ import annotations

import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.core import tiling

from tests.helpers import run_cli


@pytest.fixture(scope="module")
def pix2pix():
    torch.manual_seed(0)
    return ganzoo.create("pix2pix", image_size=64, ngf=8, ndf=2, input_channels=1).eval()


@pytest.fixture(scope="module")
def srgan():
    torch.manual_seed(0)
    # the paper's generator: an untrained residual one is exactly bicubic, whose reach is too small to test margins
    return ganzoo.create("srgan", image_size=32, n_blocks=1, width=8, ndf=2, residual="none", norm="batch").eval()


def smooth(channels: int, height: int, width: int) -> torch.Tensor:
    """A smooth picture in [-1, 1]: one slanted sine wave."""
    y, x = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    return (0.8 * torch.sin(2 * x + y)).expand(channels, height, width).clone()


class Calls:
    """The input shape of every generator call (a forward pre-hook on the real net)."""

    def __init__(self, net: torch.nn.Module) -> None:
        self.shapes: list[tuple[int, ...]] = []
        self.handle = net.register_forward_pre_hook(lambda module, args: self.shapes.append(tuple(args[0].shape)))

    def __enter__(self) -> Calls:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.remove()


# ------------------------------------------------------------------ fully convolutional (SR)
def test_tiled_superres_equals_the_untiled_result(srgan):
    images = torch.rand(2, 3, 40, 53, generator=torch.Generator().manual_seed(1)) * 2 - 1
    whole = srgan.upscale(images)
    margin = tiling.receptive_margin(srgan.generator)
    with Calls(srgan.generator) as calls:
        tiled = srgan.upscale(images, tile=2 * margin + 3)
    assert tiled.shape == whole.shape == (2, 3, 160, 212)
    assert len(calls.shapes) > 4  # it really went in tiles
    assert (tiled - whole).abs().max().item() < 1e-5


def test_receptive_margin_covers_what_the_generator_sees(srgan):
    margin = tiling.receptive_margin(srgan.generator)
    images = torch.rand(1, 3, 30, 70, generator=torch.Generator().manual_seed(2)) * 2 - 1
    run = lambda tiles: srgan.generator(tiles)  # noqa: E731
    whole = run(images)
    assert (tiling.tiled(run, images, 2 * margin + 4, 2 * margin, scale=4, blend=False) - whole).abs().max() < 1e-5
    # with half that margin the tiles' edges show: the margin is not needlessly generous by much
    assert (tiling.tiled(run, images, 2 * margin + 4, margin, scale=4, blend=False) - whole).abs().max() > 1e-5
    assert tiling.receptive_margin(torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3), torch.nn.Flatten(), torch.nn.Linear(3, 1))) is None


def test_superres_memory_is_bounded_by_the_tile(srgan):
    tile = 2 * tiling.receptive_margin(srgan.generator) + 8
    with Calls(srgan.generator) as calls:
        out = srgan.upscale(torch.zeros(3, 3, 70, 45), batch_size=4, tile=tile)
    assert out.shape == (3, 3, 280, 180)
    assert all(h <= tile and w <= tile and n * h * w <= tile * tile for n, _, h, w in calls.shapes), calls.shapes
    with Calls(srgan.generator) as calls:  # below the tile: one pass per image batch, as before
        srgan.upscale(torch.zeros(5, 3, 12, 9), batch_size=2)
    assert calls.shapes == [(2, 3, 12, 9), (2, 3, 12, 9), (1, 3, 12, 9)]


# ------------------------------------------------------------------ fixed size (pix2pix)
@pytest.mark.parametrize("size", [(100, 77), (64, 200), (20, 9), (64, 64), (1, 1), (1, 130)])
def test_pix2pix_returns_each_input_at_its_own_size(pix2pix, size):
    out = pix2pix.translate(smooth(1, *size))
    assert out.shape == (3, *size)
    assert torch.isfinite(out).all() and out.abs().max() <= 1


def test_pix2pix_tiles_are_exactly_its_size_and_batched(pix2pix):
    images = torch.stack([smooth(1, 150, 90), -smooth(1, 150, 90)])
    with Calls(pix2pix.generator) as calls:
        out = pix2pix.translate(images, batch_size=5)
    rows, cols = tiling.spans(150, 64, 32), tiling.spans(90, 64, 32)
    assert out.shape == (2, 3, 150, 90) and len(rows) == 4 and len(cols) == 2
    assert all(shape[1:] == (1, 64, 64) and shape[0] <= 5 for shape in calls.shapes), calls.shapes
    assert sum(shape[0] for shape in calls.shapes) == 2 * len(rows) * len(cols)
    # an image of exactly the model's size is the plain call, bit for bit
    square = smooth(1, 64, 64)[None]
    assert torch.equal(pix2pix.translate(square), pix2pix.task.generate_eval(pix2pix.generator, None, square).clamp(-1, 1))


def test_blending_hides_the_tile_seams():
    """A "net" whose output drifts across its tile (as a U-Net's does near its edges): abutting
    tiles show a step at every tile edge; the blended tiles change smoothly everywhere."""
    def drifting(tiles: torch.Tensor) -> torch.Tensor:
        return tiles + torch.linspace(-0.5, 0.5, tiles.shape[-1])

    image = smooth(1, 40, 256)[None]
    steps = lambda out: (out[..., 1:] - out[..., :-1]).abs().amax(dim=(0, 1, 2))  # noqa: E731
    smooth_step = steps(image).max().item()
    abutting = steps(tiling.tiled(drifting, image, 64, 0, blend=False))
    blended = steps(tiling.tiled(drifting, image, 64, 16, blend=True))
    assert abutting.max() > 0.9  # the check sees a seam when there is one
    assert blended.max() < smooth_step + 0.1, blended.topk(3)


def test_pix2pix_tiles_agree_with_a_heavily_overlapped_reference():
    """A U-Net whose tiles differ at their edges (Kaiming weights: an untrained net's outputs are
    too flat to show any): no column of the translated photo strays from a reference that
    averages each pixel over many tiles, where abutting tiles do at their seams."""
    torch.manual_seed(0)
    model = ganzoo.create("pix2pix", image_size=64, ngf=8, ndf=2, input_channels=1).eval()
    for module in model.generator.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.kaiming_normal_(module.weight, a=0.2)
    run = lambda tiles: model.task.generate_eval(model.generator, None, tiles, len(tiles))  # noqa: E731
    image = smooth(1, 64, 256)[None]
    reference = tiling.tiled(run, image, 64, 56)
    stray = lambda out: (out - reference).abs().mean(dim=(0, 1, 2)).max().item()  # noqa: E731
    assert stray(tiling.tiled(run, image, 64, 0, blend=False)) > 0.3  # seams stray
    assert stray(model.translate(image)) < 0.15


def test_reflect_pad_mirrors_by_any_amount():
    row = torch.arange(3.0).view(1, 1, 1, 3)
    assert tiling.reflect_pad(row, 4, 5, 0, 0).flatten().tolist() == [0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1]
    assert torch.equal(tiling.reflect_pad(torch.ones(1, 2, 1, 1), 3, 3, 2, 2), torch.ones(1, 2, 5, 7))
    assert tiling.spans(150, 64, 16) == [0, 43, 86] and tiling.spans(64, 64, 16) == [0]


# ------------------------------------------------------------------ users' errors
def test_tiny_empty_and_bad_tile_requests_are_one_line_errors(pix2pix, srgan):
    assert srgan.upscale(torch.zeros(3, 1, 1)).shape == (3, 4, 4)
    assert pix2pix.translate(torch.full((1, 1, 1), 0.5)).shape == (3, 1, 1)
    with pytest.raises(ganzoo.ConfigError, match="empty image"):
        srgan.upscale(torch.zeros(3, 0, 5))
    with pytest.raises(ganzoo.ConfigError, match="takes 64x64 inputs only"):
        pix2pix.translate(torch.zeros(1, 80, 80), tile=32)
    with pytest.raises(ganzoo.ConfigError, match="tile must be larger than"):
        srgan.upscale(torch.zeros(3, 50, 50), tile=8)
    with pytest.raises(ganzoo.ConfigError, match="tile must be a whole number"):
        srgan.upscale(torch.zeros(3, 5, 5), tile=0)


# ------------------------------------------------------------------ PIL images and the CLI
def test_pil_images_of_odd_sizes_keep_their_size(pix2pix, srgan):
    photos = [Image.new("RGB", (97, 41), (200, 30, 30)), Image.new("L", (13, 70), 90)]
    assert [p.size for p in pix2pix.translate(photos)] == [(97, 41), (13, 70)]
    assert srgan.upscale(photos[0], tile=40).size == (388, 164)
    assert pix2pix.input_tensor(photos[0]).shape == (1, 41, 97)  # no crop, no resize: channels only


def test_cli_sample_input_keeps_any_size(pix2pix, srgan, tmp_path):
    images = tmp_path / "in"
    images.mkdir()
    Image.radial_gradient("L").resize((131, 45)).convert("RGB").save(images / "wide.png")
    weights = pix2pix.save(tmp_path / "p2p")["generator"]
    out = tmp_path / "out"
    proc = run_cli("sample", str(weights), "--input", str(images), "-o", str(out), "--device", "cpu", check=True)
    assert "translated 1 image(s)" in proc.stdout
    with Image.open(out / "wide.png") as result, Image.open(out / "wide.compare.png") as compare:
        assert result.size == (131, 45)  # not cropped, not resized to 64x64
        assert compare.size == (2 * 131 + 3 * 2, 16 + 45 + 2)  # input, output side by side under their labels
        assert compare.text["panels"] == "input | output"
    # super-resolution: scale x out, comparison of input, bicubic, output (in-process, same code)
    from ganzoo.cli.main import main

    sr_out = tmp_path / "sr-out"
    assert main(["sample", str(srgan.save(tmp_path / "sr")["generator"]), "--input", str(images), "-o", str(sr_out),
                 "--device", "cpu"]) == 0
    with Image.open(sr_out / "wide.png") as result, Image.open(sr_out / "wide.compare.png") as compare:
        assert result.size == (4 * 131, 4 * 45)
        assert compare.size == (3 * 512 + 4 * 2, 16 + 176 + 2)  # 524 x 180 panels brought down to 512 x 176


def test_tiles_run_on_the_images_device():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    model = ganzoo.create("srgan", image_size=32, n_blocks=1, width=8, ndf=2).eval().to("cuda")
    images = torch.rand(1, 3, 50, 61, device="cuda") * 2 - 1
    whole = model.upscale(images)
    tiled = model.upscale(images, tile=2 * tiling.receptive_margin(model.generator) + 5)
    assert tiled.device.type == "cuda" and (tiled - whole).abs().max() < 1e-4
    p2p = ganzoo.create("pix2pix", image_size=64, ngf=8, ndf=2).eval().to("cuda")
    assert p2p.translate(torch.zeros(3, 100, 77, device="cuda")).shape == (3, 100, 77)


def test_a_whole_image_net_takes_an_image_smaller_than_its_tile_in_one_unpadded_pass():
    # before: CycleGAN's instance-normed generator padded a 32x32 image out to the 2048x2048 blend
    # tile (4,096 times the work: ganzoo eval of a Fashion-MNIST CycleGAN took 14 minutes)
    torch.manual_seed(0)
    cyclegan = ganzoo.create("cyclegan", image_size=32, ngf=4, ndf=2, n_blocks=1, channels=1, input_channels=1).eval()
    assert tiling.receptive_margin(cyclegan.generator) is None and cyclegan.default_tile() > 32
    images = torch.stack([smooth(1, 32, 32), -smooth(1, 32, 32)])
    with Calls(cyclegan.generator) as calls:
        out = cyclegan.translate(images)
    assert calls.shapes == [(2, 1, 32, 32)] and out.shape == (2, 1, 32, 32)
    expected = cyclegan.task.facing(None).generate_eval(cyclegan.generator, None, images).clamp(-1, 1)
    assert torch.allclose(out, expected, atol=1e-5)
