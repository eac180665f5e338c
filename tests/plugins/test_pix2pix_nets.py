"""Pix2Pix nets: reference parameter counts, shapes per size, skips, dropout, PatchGAN grid."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.errors import ConfigError
from ganzoo_plugins.pix2pix.nets import PatchDiscriminator, UNetGenerator, build, patch_grid

# The ArchitectureSpec defaults the builder reads.
DEFAULTS = {"image_size": 256, "input_channels": 3, "channels": 3, "ngf": 64, "ndf": 64, "norm": "batch",
            "dropout": True, "n_layers": 3}
#: The PatchGAN's logit map per image size (n_layers 3): S / 8 - 2.
GRID = {256: 30, 128: 14, 64: 6, 32: 2}


def small(**overrides) -> tuple[nn.Module, nn.Module]:
    return build({**DEFAULTS, "ngf": 8, "ndf": 8, **overrides})


def count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_256_rgb_batch_norm_matches_the_reference_parameter_counts():
    # junyanz/pytorch-CycleGAN-and-pix2pix: define_G(3, 3, 64, "unet_256", "batch") and
    # define_D(6, 64, "basic", norm="batch"); its logs print "54.414 M" for this generator.
    generator, discriminator = build(dict(DEFAULTS))
    assert count(generator) == 54_413_955
    assert count(discriminator) == 2_768_705


def test_128_matches_the_reference_unet_128_and_instance_norm_drops_the_norm_parameters():
    assert count(build({**DEFAULTS, "image_size": 128})[0]) == 41_828_995
    generator, discriminator = build({**DEFAULTS, "norm": "instance"})
    # Instance norm has no affine parameters; the convolutions gain biases instead.
    assert count(generator) == 54_409_603 and count(discriminator) == 2_767_809


@pytest.mark.parametrize("size", [32, 64, 128, 256])
@pytest.mark.parametrize("in_channels, out_channels", [(3, 3), (1, 3)])
def test_shapes_for_every_size(size, in_channels, out_channels):
    torch.manual_seed(0)
    generator, discriminator = small(image_size=size, input_channels=in_channels, channels=out_channels)
    condition = torch.rand(2, in_channels, size, size) * 2 - 1
    fake = generator(condition)
    assert fake.shape == (2, out_channels, size, size)
    assert fake.min() >= -1 and fake.max() <= 1
    scores = discriminator(fake, condition)
    assert scores.shape == (2, 1, GRID[size], GRID[size]) == (2, 1, patch_grid(size), patch_grid(size))
    assert len(generator.downs) == {32: 5, 64: 6, 128: 7, 256: 8}[size]


def test_discriminator_scores_the_condition_beside_the_images():
    torch.manual_seed(0)
    _, discriminator = small(image_size=64, input_channels=1, channels=3)
    discriminator.eval()
    images, condition = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64)
    assert discriminator.main[0].in_channels == 4
    assert torch.equal(discriminator(images, condition), discriminator.main(torch.cat([condition, images], 1)))
    assert not torch.allclose(discriminator(images, condition), discriminator(images, torch.zeros_like(condition)))
    assert not any(isinstance(m, nn.Sigmoid) for m in discriminator.modules())


def test_instance_norm_variant_trains_a_step():
    torch.manual_seed(0)
    generator, discriminator = small(image_size=64, norm="instance")
    kinds = {type(m) for m in [*generator.modules(), *discriminator.modules()]}
    assert nn.InstanceNorm2d in kinds and nn.BatchNorm2d not in kinds
    condition = torch.rand(1, 3, 64, 64) * 2 - 1
    fake = generator(condition)
    loss = discriminator(fake, condition).mean() + fake.abs().mean()
    loss.backward()
    assert all(p.grad is not None for p in generator.parameters())


def test_every_decoder_level_sees_its_encoder_skip():
    torch.manual_seed(0)
    generator, _ = small(image_size=64)
    generator.eval()
    seen_down, seen_up = {}, {}
    for i, (down, up) in enumerate(zip(generator.downs, generator.ups)):
        down.register_forward_hook(lambda m, args, out, i=i: seen_down.__setitem__(i, out.detach().clone()))
        up.register_forward_pre_hook(lambda m, args, i=i: seen_up.__setitem__(i, args[0].detach().clone()))
    generator(torch.rand(1, 3, 64, 64))
    for level in range(len(generator.downs) - 1):  # the bottleneck has no skip of its own
        skip = seen_down[level]
        assert torch.equal(seen_up[level][:, : skip.shape[1]], skip), f"level {level} lost its skip"


def test_a_pixel_change_stays_local_through_the_skips():
    # Through the 1x1 bottleneck alone, one input pixel would move the whole output about
    # equally; the full-resolution skip keeps its effect where it is.
    torch.manual_seed(0)
    generator, _ = small(image_size=64)
    generator.eval()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    y = x.clone()
    y[0, :, 10, 10] += 1.0
    with torch.no_grad():
        change = (generator(y) - generator(x)).abs().amax(dim=1)[0]
    near, far = change[8:13, 8:13].max(), change[32:, 32:].max()
    assert near > 1e-4 and near > 100 * far


@pytest.mark.parametrize("size, blocks", [(256, 3), (128, 2), (64, 1)])
def test_dropout_in_the_innermost_but_one_decoder_blocks(size, blocks):
    generator, _ = small(image_size=size)
    dropouts = [m for m in generator.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == blocks and all(d.p == 0.5 for d in dropouts)
    levels = [i for i, up in enumerate(generator.ups) if any(isinstance(m, nn.Dropout) for m in up)]
    assert levels == list(range(4, len(generator.ups) - 1))
    assert not any(isinstance(m, nn.Dropout) for m in small(image_size=size, dropout=False)[0].modules())


def test_dropout_is_on_in_train_mode_and_off_in_eval_mode():
    torch.manual_seed(0)
    generator, _ = small(image_size=64)
    x = torch.rand(4, 3, 64, 64) * 2 - 1
    generator.train()
    with torch.no_grad():
        assert not torch.equal(generator(x), generator(x))
    generator.eval()
    with torch.no_grad():
        assert torch.equal(generator(x), generator(x))
    still, _ = small(image_size=64, dropout="false")  # --set dropout=False arrives as text
    still.train()
    with torch.no_grad():
        assert torch.equal(still(x), still(x))


def test_init_is_n_0_002_with_zero_biases():
    torch.manual_seed(0)
    generator, discriminator = build({**DEFAULTS, "image_size": 64})
    weight = generator.downs[3][0].weight
    assert abs(weight.mean().item()) < 1e-3 and weight.std().item() == pytest.approx(0.02, rel=0.05)
    norm = generator.downs[3][1]
    assert norm.weight.std().item() == pytest.approx(0.02, rel=0.3) and norm.weight.mean().item() == pytest.approx(1, abs=0.01)
    for net in (generator, discriminator):
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.bias is not None:
                assert not m.bias.any()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"image_size": 48}, "supports image sizes 32, 64, 128, 256, got 48"),
        ({"image_size": 100}, "supports image sizes 32, 64, 128, 256, got 100"),
        ({"norm": "group"}, "unknown norm 'group'"),
        ({"n_layers": 0}, "n_layers >= 1"),
        ({"image_size": 64, "n_layers": 6}, "leaves no patches"),
        ({"dropout": "sometimes"}, "dropout must be true or false"),
    ],
)
def test_bad_settings_are_clear_errors(overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        small(**overrides)
    assert isinstance(info.value, ValueError)


def test_modules_work_without_build():
    assert UNetGenerator(1, 1, 64, ngf=4)(torch.zeros(1, 1, 64, 64)).shape == (1, 1, 64, 64)
    assert PatchDiscriminator(2, ndf=4)(torch.zeros(1, 1, 64, 64), torch.zeros(1, 1, 64, 64)).shape == (1, 1, 6, 6)
