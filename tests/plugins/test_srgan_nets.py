"""SRGAN's nets (SRResNet generator, VGG-style discriminator) and the VGG19 content loss."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.training import perceptual
from ganzoo.errors import ConfigError, WeightsError
from ganzoo.training.perceptual import LAYERS, VGGContent, layer_index
from ganzoo_plugins.srgan.nets import POOL_GRID, Discriminator, Generator, build

DEFAULTS = {"scale": 4, "channels": 3, "image_size": 96, "n_blocks": 16, "width": 64, "ndf": 64}


def config(**overrides):
    return {**DEFAULTS, **overrides}


def count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# --- generator -------------------------------------------------------------------------


def test_srresnet_parameter_count_is_the_papers():
    # By hand, B = 64 feature maps, RGB, single-parameter PReLUs:
    head = 3 * 64 * 9 * 9 + 64 + 1  # 9x9 conv + PReLU
    block = 2 * (64 * 64 * 3 * 3 + 64) + 2 * (2 * 64) + 1  # conv, BN, PReLU, conv, BN
    body_end = 64 * 64 * 3 * 3 + 64 + 2 * 64  # conv + BN before the long skip
    upsample = 2 * (64 * 256 * 3 * 3 + 256 + 1)  # two (conv to 4B, PixelShuffle, PReLU) stages
    tail = 64 * 3 * 9 * 9 + 3
    assert head + 16 * block + body_end + upsample + tail == 1_549_462
    torch.manual_seed(0)
    generator, _ = build(config())
    assert count(generator) == 1_549_462
    prelus = [m for m in generator.modules() if isinstance(m, nn.PReLU)]
    assert len(prelus) == 1 + 16 + 2 and all(m.weight.numel() == 1 for m in prelus)
    assert sum(isinstance(m, nn.PixelShuffle) for m in generator.modules()) == 2


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_upscales_by_scale(scale, channels):
    torch.manual_seed(0)
    generator, _ = build(config(scale=scale, channels=channels, image_size=32, n_blocks=2, width=16, ndf=8))
    assert sum(isinstance(m, nn.PixelShuffle) for m in generator.modules()) == {2: 1, 4: 2}[scale]
    assert generator.input_size == 32 // scale
    low = torch.rand(2, channels, 32 // scale, 32 // scale) * 2 - 1
    high = generator(low)
    assert high.shape == (2, channels, 32, 32)
    assert high.min() >= -1 and high.max() <= 1
    assert generator(torch.rand(1, channels, 5, 7)).shape == (1, channels, 5 * scale, 7 * scale)  # fully convolutional


def test_generator_default_layout_runs_and_backpropagates():
    torch.manual_seed(0)
    generator, _ = build(config())
    out = generator(torch.rand(1, 3, 8, 12) * 2 - 1)
    assert out.shape == (1, 3, 32, 48)
    out.mean().backward()
    assert generator.head[0].weight.grad is not None and generator.tail.weight.grad.abs().sum() > 0


def test_generator_refuses_wrong_channels():
    generator = Generator(4, 3, n_blocks=1, width=8, image_size=32)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        generator(torch.zeros(1, 1, 8, 8))


def test_build_is_deterministic_under_a_seed():
    cfg = config(n_blocks=1, width=8, ndf=8, image_size=32)
    torch.manual_seed(3)
    g1, d1 = build(cfg)
    torch.manual_seed(3)
    g2, d2 = build(cfg)
    for a, b in ((g1, g2), (d1, d2)):
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


# --- discriminator ---------------------------------------------------------------------


def test_discriminator_is_the_papers_layout():
    torch.manual_seed(0)
    _, discriminator = build(config())
    convs = [m for m in discriminator.features if isinstance(m, nn.Conv2d)]
    assert [m.stride[0] for m in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert [m.out_channels for m in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in discriminator.features) == 7
    dense = [m for m in discriminator.classifier if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in dense] == [(512 * 6 * 6, 1024), (1024, 1)]


@pytest.mark.parametrize("size", [64, 96])
def test_discriminator_gives_one_logit_per_image(size):
    torch.manual_seed(0)
    _, discriminator = build(config(image_size=size, ndf=16, n_blocks=1, width=8))
    images = torch.rand(3, 3, size, size) * 2 - 1
    scores = discriminator(images)
    assert scores.shape == (3,)
    assert torch.equal(discriminator(images, condition=torch.zeros(3, 3, size // 4, size // 4)), scores)  # condition ignored


def test_discriminator_pooling_is_the_identity_at_the_papers_96():
    torch.manual_seed(0)
    discriminator = Discriminator(channels=1, ndf=8).eval()
    features = discriminator.features(torch.rand(2, 1, 96, 96))
    assert features.shape[-2:] == (POOL_GRID, POOL_GRID)
    assert torch.equal(discriminator.pool(features), features)
    # other crop sizes land on the same grid, so the dense layers (and saved weights) fit every size
    for size in (32, 48, 128):
        assert discriminator(torch.rand(2, 1, size, size)).shape == (2,)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"scale": 3}, "scale must be one of"),
        ({"scale": 4, "image_size": 30}, "divisible by scale 4"),
        ({"scale": 2, "image_size": 8}, "at least 16"),
        ({"channels": 2}, "channels must be 1"),
        ({"width": 0}, "width must be at least 1"),
        ({"n_blocks": 1.5}, "n_blocks must be an integer"),
        ({"residual": "nearest"}, "residual must be one of none, bicubic"),
        ({"norm": "layer"}, "norm must be one of batch, none"),
    ],
)
def test_bad_settings_are_value_errors(overrides, message):
    with pytest.raises(ValueError, match=message) as info:
        build(config(**overrides))
    assert isinstance(info.value, ConfigError)


def test_residual_generator_starts_as_bicubic_and_learns_only_the_difference():
    """residual=bicubic: an untrained net is exactly bicubic upsampling; outside training the
    output is clamped to [-1, 1], in training it is not (so the loss still sees overshoot)."""
    torch.manual_seed(0)
    generator, _ = build(config(residual="bicubic", width=8, n_blocks=2))
    low = torch.rand(2, 3, 12, 10) * 2 - 1
    bicubic = torch.nn.functional.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False)
    generator.eval()
    assert torch.equal(generator(low), bicubic.clamp(-1, 1))
    generator.train()
    assert torch.equal(generator(low), bicubic) and bicubic.abs().max() > 1  # bicubic overshoots at edges
    loss = (generator(low) - torch.zeros_like(bicubic)).square().mean()
    loss.backward()
    assert generator.tail.weight.grad.abs().sum() > 0  # the zero tail still learns


def test_icnr_sub_pixel_convolutions_start_without_a_checkerboard():
    """icnr=True: a flat feature map goes through each PixelShuffle stage flat (the default init
    leaves a 2x2 pattern)."""
    torch.manual_seed(0)
    flat = torch.randn(1, 8, 1, 1).expand(1, 8, 10, 10).contiguous()

    def pattern(generator) -> float:
        out = generator.upsample[1](generator.upsample[0](flat))[..., 2:-2, 2:-2]
        return (out - out.mean(dim=(-2, -1), keepdim=True)).abs().max().item()

    plain, _ = build(config(width=8, n_blocks=1))
    icnr, _ = build(config(width=8, n_blocks=1, icnr=True))
    assert pattern(icnr) < 1e-5 < 1e-2 < pattern(plain)
    with pytest.raises(ConfigError, match="icnr must be true or false"):
        build(config(icnr="yes"))


def test_norm_none_drops_every_batch_norm_and_only_its_parameters():
    with_bn, _ = build(config(width=8, n_blocks=2))
    without, _ = build(config(width=8, n_blocks=2, norm="none"))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in without.modules())
    bn_params = sum(p.numel() for m in with_bn.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    assert sum(p.numel() for p in without.parameters()) == sum(p.numel() for p in with_bn.parameters()) - bn_params == (
        sum(p.numel() for p in with_bn.parameters()) - 2 * 8 * (2 * 2 + 1))


# --- VGG19 content loss ----------------------------------------------------------------


def test_layer_names_map_to_torchvisions_relu_indices(vgg_features):
    assert layer_index("conv5_4") == 35 and layer_index("conv2_2") == 8 and layer_index("conv1_1") == 1
    assert list(LAYERS) == [f"conv{b}_{c}" for b, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)) for c in range(1, n + 1)]
    for name, index in LAYERS.items():
        assert isinstance(vgg_features[index], nn.ReLU) and isinstance(vgg_features[index - 1], nn.Conv2d)
    with pytest.raises(ConfigError, match=r"unknown VGG19 layer 'conv5_5' \(did you mean 'conv5_4'"):
        layer_index("conv5_5")
    with pytest.raises(ConfigError, match="unknown VGG19 layer"):
        VGGContent("relu5_4", weights="unused")


def test_extractor_is_torchvisions_features_truncated(vgg_features, vgg_file):
    loss = VGGContent("conv5_4", weights=vgg_file)
    assert len(loss.features) == 36 and isinstance(loss.features[-1], nn.ReLU)
    assert str(loss.features) == str(vgg_features[:36])
    for key, value in loss.features.state_dict().items():
        assert torch.equal(value, vgg_features.state_dict()[key])
    short = VGGContent("conv2_2", weights=vgg_file)
    assert len(short.features) == layer_index("conv2_2") + 1 == 9
    # the loss is the MSE of torchvision's own features of the normalised images
    torch.manual_seed(1)
    fake, real = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        phi = lambda x: vgg_features[:9]((((x + 1) / 2) - mean) / std)  # noqa: E731
        expected = ((phi(fake) - phi(real)) ** 2).mean()
    assert short(fake, real).item() == pytest.approx(expected.item(), rel=1e-5)


def test_content_loss_depends_on_the_layer_and_trains_only_the_fake(vgg_file):
    torch.manual_seed(2)
    fake = (torch.rand(2, 3, 32, 32) * 2 - 1).requires_grad_(True)
    real = torch.rand(2, 3, 32, 32) * 2 - 1
    deep, shallow = VGGContent("conv5_4", vgg_file), VGGContent("conv1_2", vgg_file)
    assert deep(real, real).item() == 0.0
    loss = deep(fake, real)
    assert loss.ndim == 0 and loss.item() > 0
    assert shallow(fake, real).item() != pytest.approx(loss.item(), rel=1e-3)
    loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None for p in deep.parameters())
    deep.train()
    assert not deep.training and not deep.features.training
    scaled = VGGContent("conv1_2", vgg_file, feature_scale=perceptual.PAPER_FEATURE_SCALE)
    assert scaled(fake, real).item() == pytest.approx(shallow(fake, real).item() / 12.75**2, rel=1e-4)
    gray_fake, gray_real = fake[:, :1].detach(), real[:, :1]
    assert shallow(gray_fake, gray_real).item() == pytest.approx(
        shallow(gray_fake.expand(-1, 3, -1, -1), gray_real.expand(-1, 3, -1, -1)).item()
    )


def test_missing_weights_say_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(ConfigError) as info:
        VGGContent()
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth") in message
    assert "weights='IMAGENET1K_V1'" in message and "--set vgg_weights=PATH" in message and "--content mse" in message
    with pytest.raises(ConfigError, match="does not exist"):
        VGGContent(weights=tmp_path / "nope.safetensors")


def test_torchvision_pth_in_the_hub_cache_is_found(vgg_features, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    (tmp_path / "checkpoints").mkdir()
    # torchvision's whole-model keys; the classifier (left small here) is ignored
    state = {f"features.{k}": v for k, v in vgg_features[:9].state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)
    torch.save(state, tmp_path / "checkpoints" / "vgg19-dcbb9e9d.pth")
    loss = VGGContent("conv2_2")
    assert torch.equal(loss.features[7].weight, vgg_features[7].weight)
    with pytest.raises(ConfigError, match="lack"):
        VGGContent("conv3_1")  # the file holds only the first 9 modules' weights


class Payload:
    """Any object a state dict should not hold."""


def test_pickled_objects_are_never_unpickled(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"0.weight": Payload()}, path)
    with pytest.raises(WeightsError, match="weights_only=True"):
        VGGContent("conv1_1", weights=path)
