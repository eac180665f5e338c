"""Inference in channels-last memory order: ``sample``, ``transform`` and the evaluation that
calls them run the generator channels-last (measured faster: ``benchmarks/inference_layout.py``)
and draw the same images as in contiguous order, to float rounding.

Real nets built through the registry, small enough to run in well under a second each.
"""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.core import memory_order

CL = torch.channels_last


def conv_weights(net: torch.nn.Module) -> list[torch.Tensor]:
    return [p for p in net.parameters() if p.dim() == 4]


def seen_orders(net: torch.nn.Module) -> tuple[list[bool], torch.utils.hooks.RemovableHandle]:
    """Whether each input the net's first convolution receives is channels-last (a forward pre-hook)."""
    first = next(m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)))
    seen: list[bool] = []
    handle = first.register_forward_pre_hook(lambda module, args: seen.append(args[0].is_contiguous(memory_format=CL)))
    return seen, handle


def test_sample_runs_channels_last_and_draws_the_contiguous_images():
    torch.manual_seed(0)
    model = ganzoo.create("dcgan", image_size=32, channels=3, ngf=8, ndf=8).eval()
    model.channels_last = False
    contiguous = model.sample(6, seed=3)
    assert all(w.is_contiguous() for w in conv_weights(model.generator))
    model.channels_last = True  # the default
    fast = model.sample(6, seed=3)
    assert all(w.is_contiguous(memory_format=CL) for w in conv_weights(model.generator))
    assert fast.is_contiguous()  # handed back in the usual order: .view() and numpy work as before
    torch.testing.assert_close(fast, contiguous, rtol=1e-5, atol=1e-5)


def test_channels_last_is_the_default_of_loaded_and_created_models(tmp_path):
    torch.manual_seed(0)
    model = ganzoo.create("dcgan", image_size=32, channels=1, ngf=8, ndf=8)
    assert model.channels_last
    model.sample(2, seed=0)
    model.save(tmp_path)  # weights of a channels-last net are written dense and load back equal
    loaded = ganzoo.load(tmp_path / "generator.safetensors", device="cpu")
    assert loaded.channels_last
    torch.testing.assert_close(loaded.sample(2, seed=0), model.sample(2, seed=0), rtol=1e-5, atol=1e-5)


def test_transform_feeds_channels_last_tiles_and_matches_the_contiguous_result():
    torch.manual_seed(0)
    model = ganzoo.create("srgan", image_size=32, n_blocks=1, width=8, ndf=2, residual="none", norm="batch").eval()
    images = torch.rand(2, 3, 40, 53, generator=torch.Generator().manual_seed(1)) * 2 - 1
    model.channels_last = False
    reference = model.upscale(images, tile=30)
    seen, handle = seen_orders(model.generator)
    try:
        model.channels_last = True
        tiled = model.upscale(images, tile=30)
        whole = model.upscale(images)
    finally:
        handle.remove()
    assert len(seen) > 2 and all(seen)  # every tile went in channels-last
    assert tiled.is_contiguous() and whole.is_contiguous()
    torch.testing.assert_close(tiled, reference, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(whole, reference, rtol=1e-4, atol=1e-5)


def test_pix2pix_blended_tiles_match_in_either_order():
    torch.manual_seed(0)
    model = ganzoo.create("pix2pix", image_size=64, ngf=8, ndf=2, input_channels=1).eval()
    image = torch.rand(1, 1, 70, 90, generator=torch.Generator().manual_seed(2)) * 2 - 1
    model.channels_last = False
    reference = model.transform(image)
    model.channels_last = True
    torch.testing.assert_close(model.transform(image), reference, rtol=1e-4, atol=1e-5)


def test_mps_keeps_contiguous_order():
    assert not memory_order.channels_last_on(True, torch.device("mps"))
    assert memory_order.channels_last_on(True, torch.device("cpu"))
    assert not memory_order.channels_last_on(False, torch.device("cpu"))


def test_set_order_goes_both_ways():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(2, 2))
    memory_order.set_order(net, True)
    assert net[0].weight.is_contiguous(memory_format=CL) and not net[0].weight.is_contiguous()
    memory_order.set_order(net, False)
    assert net[0].weight.is_contiguous()


@pytest.mark.parametrize("tensor", [None, torch.zeros(3, 4), torch.zeros(1, 2, 3, 4, dtype=torch.int64)])
def test_to_channels_last_leaves_what_is_not_an_image_batch(tensor):
    assert memory_order.to_channels_last(tensor) is tensor


def test_the_default_tile_is_the_measured_one_for_fully_convolutional_nets():
    """About 1024 x 1024 output pixels a pass (256 input pixels at 4x): measured as fast as
    2048 x 2048 or faster, with a quarter of the memory (benchmarks/inference_layout.py)."""
    torch.manual_seed(0)
    model = ganzoo.create("srgan", image_size=32, n_blocks=1, width=4, ndf=2, residual="none").eval()
    assert model.task.scale == 4 and model.default_tile() == 256
    image = torch.rand(1, 3, 270, 100, generator=torch.Generator().manual_seed(0)) * 2 - 1
    seen: list[tuple[int, ...]] = []
    handle = model.generator.register_forward_pre_hook(lambda module, args: seen.append(tuple(args[0].shape)))
    try:
        out = model.upscale(image)
    finally:
        handle.remove()
    assert out.shape == (1, 3, 1080, 400)
    assert sum(shape[0] for shape in seen) == 2 and all(shape[-2] <= 256 for shape in seen)  # before: one 270-pixel pass
