"""The first-party losses: values and gradients on hand-computed inputs, the gradient penalty
against a direct autograd computation, weight clipping, and their registration."""

from __future__ import annotations

import math
import sys

import pytest
import torch
from torch import nn

from ganzoo.plugin import discovery as plugins
from ganzoo.core.config import resolve_config
from ganzoo.errors import ConfigError
from ganzoo.core.losses import Loss
from ganzoo.plugin.specs import resolve
from ganzoo_plugins.losses.bce import BCELoss
from ganzoo_plugins.losses.hinge import HingeLoss
from ganzoo_plugins.losses.lsgan import LSGANLoss
from ganzoo_plugins.losses.wasserstein import WassersteinLoss
from ganzoo_plugins.losses.wgan_gp import WGANGPLoss, gradient_penalty, interpolate


def leaf(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def grad(loss: torch.Tensor, x: torch.Tensor) -> list[float]:
    (g,) = torch.autograd.grad(loss, x, retain_graph=True)
    return g.tolist()


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# ---------------------------------------------------------------- registration
LOSSES = {
    "bce": ("1406.2661", BCELoss, {"real_label": 1.0, "generator": "non-saturating"}),
    "wasserstein": ("1701.07875", WassersteinLoss, {"clip": 0.01}),
    "wgan-gp": ("1704.00028", WGANGPLoss, {"gp_weight": 10.0}),
    "hinge": ("1705.02894", HingeLoss, {}),
    "lsgan": ("1611.04076", LSGANLoss, {"a": 0.0, "b": 1.0, "c": 1.0}),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_is_a_documented_plugin(name):
    paper, cls, defaults = LOSSES[name]
    spec = plugins.get_registry().loss(name)
    assert spec.source.plugin == "losses" and spec.source.distribution == "ganzoo"
    assert spec.paper == paper and spec.summary and dict(spec.defaults) == defaults
    built = resolve(spec.builder)(**spec.defaults)
    assert type(built) is cls and isinstance(built, Loss)
    assert paper in sys.modules[cls.__module__].__doc__  # the module docstring gives the formula and cites the paper


def test_loss_settings_are_overridable_and_checked():
    registry = plugins.get_registry()
    config = resolve_config(registry, "dcgan", {"loss": "wgan-gp", "gp_weight": 5.0})
    assert config.loss == "wgan-gp" and config.loss_config == {"gp_weight": 5.0}
    config = resolve_config(registry, "dcgan", {"generator": "minimax", "real_label": 0.9})
    assert config.loss_config == {"real_label": 0.9, "generator": "minimax"}
    with pytest.raises(ConfigError, match="generator must be one of non-saturating, minimax"):
        BCELoss(generator="saturating")
    with pytest.raises(ConfigError, match="real_label"):
        BCELoss(real_label=1.5)
    with pytest.raises(ConfigError, match="clip"):
        WassersteinLoss(clip=0)
    with pytest.raises(ConfigError, match="gp_weight"):
        WGANGPLoss(gp_weight=-1)


# ---------------------------------------------------------------- bce
def test_bce_discriminator_loss_by_hand():
    real, fake = leaf(0.0, 2.0), leaf(0.0, -1.0)
    loss = BCELoss().discriminator_loss(real, fake)
    # -log sigmoid(s) = softplus(-s) for reals, -log(1 - sigmoid(s)) = softplus(s) for fakes
    expected = (softplus(0) + softplus(-2)) / 2 + (softplus(0) + softplus(-1)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.913242, abs=1e-6)
    # d/ds softplus(-s) = sigmoid(s) - 1; d/ds softplus(s) = sigmoid(s); each over N = 2
    assert grad(loss, real) == pytest.approx([(0.5 - 1) / 2, (sigmoid(2) - 1) / 2])
    assert grad(loss, fake) == pytest.approx([0.5 / 2, sigmoid(-1) / 2])


def test_one_sided_label_smoothing():
    smooth, plain = BCELoss(real_label=0.9), BCELoss()
    real, fake = leaf(2.0), leaf(-1.0)
    loss = smooth.discriminator_loss(real, fake)
    # BCE(s, 0.9) = 0.9 softplus(-s) + 0.1 softplus(s); fakes keep target 0
    assert loss.item() == pytest.approx(0.9 * softplus(-2) + 0.1 * softplus(2) + softplus(-1), rel=1e-12)
    assert grad(loss, real) == pytest.approx([sigmoid(2) - 0.9])
    assert grad(loss, fake) == grad(plain.discriminator_loss(real, fake), fake)  # one-sided: fakes untouched
    # the optimum of a real logit is sigmoid(s) = 0.9, i.e. s = log 9, not +infinity
    at_optimum = leaf(math.log(9))
    assert grad(smooth.discriminator_loss(at_optimum, leaf(-1.0)), at_optimum) == pytest.approx([0.0], abs=1e-12)
    # the generator loss does not depend on the smoothing
    assert smooth.generator_loss(leaf(0.3)).item() == plain.generator_loss(leaf(0.3)).item()


def test_bce_generator_non_saturating_vs_minimax():
    fake = leaf(-5.0, 1.0)
    non_saturating = BCELoss().generator_loss(fake)
    minimax = BCELoss(generator="minimax").generator_loss(fake)
    # non-saturating: -E[log sigmoid(s)] = E[softplus(-s)]; minimax: E[log(1 - sigmoid(s))] = -E[softplus(s)]
    assert non_saturating.item() == pytest.approx((softplus(5) + softplus(-1)) / 2, rel=1e-12)
    assert minimax.item() == pytest.approx(-(softplus(-5) + softplus(1)) / 2, rel=1e-12)
    assert minimax.item() == pytest.approx(math.log(1 - sigmoid(-5)) / 2 + math.log(1 - sigmoid(1)) / 2, rel=1e-12)
    g_ns, g_mm = grad(non_saturating, fake), grad(minimax, fake)
    assert g_ns == pytest.approx([-sigmoid(5) / 2, -sigmoid(-1) / 2])
    assert g_mm == pytest.approx([-sigmoid(-5) / 2, -sigmoid(1) / 2])
    # both push the fake's logit up, but the minimax gradient vanishes where D rejects the fake
    assert g_mm[0] < 0 and g_ns[0] < 0
    assert abs(g_mm[0]) < 0.01 * abs(g_ns[0])


def test_bce_is_stable_on_extreme_logits():
    extreme = leaf(-200.0, 200.0)
    for loss in (BCELoss(), BCELoss(generator="minimax"), BCELoss(real_label=0.9)):
        for value in (loss.generator_loss(extreme), loss.discriminator_loss(extreme, extreme)):
            assert math.isfinite(value.item())
            assert all(math.isfinite(g) for g in grad(value, extreme))
    assert BCELoss(generator="minimax").generator_loss(extreme).item() == pytest.approx(-100.0)


# ---------------------------------------------------------------- wasserstein
def test_wasserstein_losses_by_hand():
    real, fake = leaf(1.0, 3.0), leaf(0.5, -1.5)
    loss = WassersteinLoss()
    d = loss.discriminator_loss(real, fake)
    assert d.item() == pytest.approx(-0.5 - 2.0)  # E[C(fake)] - E[C(real)]
    assert grad(d, real) == [-0.5, -0.5] and grad(d, fake) == [0.5, 0.5]
    g = loss.generator_loss(fake)
    assert g.item() == pytest.approx(0.5)  # -E[C(fake)]
    assert grad(g, fake) == [-0.5, -0.5]
    assert loss.discriminator_penalty(lambda x: x.sum(1), real[:, None], fake[:, None]) is None


def test_weight_clipping_clamps_every_parameter():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.uniform_(-1, 1)
        critic[0].weight[0, 0] = 0.004  # inside the box: must stay as it is
    critic(torch.randn(3, 4)).sum().backward()  # parameters carry gradients, as after a real step
    WassersteinLoss(clip=0.05).after_discriminator_step(critic)
    params = list(critic.parameters())
    clip = torch.tensor(0.05)  # the float32 nearest 0.05
    assert all(bool((p.abs() <= clip).all()) for p in params)
    assert all(p.requires_grad and p.grad is not None for p in params)
    assert critic[0].weight[0, 0].item() == pytest.approx(0.004)
    assert {round(v, 6) for p in params for v in p.flatten().tolist()} >= {0.05, -0.05}


# ---------------------------------------------------------------- wgan-gp
class TinyCritic(nn.Module):
    """A small nonlinear conv critic, optionally conditioned on a label."""

    def __init__(self, channels: int = 2, num_classes: int = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, 3, 3, padding=1)
        self.head = nn.Linear(3 * 4 * 4, 1)
        self.embed = nn.Embedding(num_classes, 3 * 4 * 4) if num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = torch.nn.functional.softplus(self.conv(x)).flatten(1)
        if self.embed is not None:
            h = h * self.embed(labels)
        return self.head(torch.tanh(h)).view(-1)


def direct_penalty(critic, real, fake, eps, weight=10.0):
    """The penalty one sample at a time, straight from the paper's formula."""
    terms = []
    for i in range(real.shape[0]):
        xhat = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(xhat[None], i).sum(), xhat, create_graph=True)
        terms.append((torch.sqrt((g**2).sum()) - 1) ** 2)
    return weight * torch.stack(terms).mean()


@pytest.mark.parametrize("num_classes", [0, 3])
def test_gradient_penalty_matches_direct_autograd(num_classes):
    torch.manual_seed(1)
    net = TinyCritic(num_classes=num_classes).double()
    with torch.no_grad():
        net.head.weight.mul_(20)  # gradient norms around 1, so the penalty is not trivially flat
    real, fake = torch.randn(5, 2, 4, 4, dtype=torch.float64), torch.randn(5, 2, 4, 4, dtype=torch.float64)
    labels = torch.tensor([0, 2, 1, 1, 0]) if num_classes else None

    def critic(images):  # what the trainer passes: the batch's labels already bound
        return net(images, labels)

    def critic_of_sample(image, i):
        return net(image, None if labels is None else labels[i : i + 1])

    torch.manual_seed(7)
    penalty = WGANGPLoss().discriminator_penalty(critic, real, fake)
    torch.manual_seed(7)
    eps = torch.rand(5, dtype=torch.float64)
    expected = direct_penalty(critic_of_sample, real, fake, eps)
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-10)
    assert penalty.item() > 0.01
    # create_graph: the penalty's gradient reaches the critic weights, and it is the right one
    params = [p for p in net.parameters()]
    got = torch.autograd.grad(penalty, params, allow_unused=True)
    want = torch.autograd.grad(expected, params, allow_unused=True)
    for p, a, b in zip(params, got, want):
        if b is None:
            continue
        assert a is not None and torch.allclose(a, b, rtol=1e-8, atol=1e-12)
    assert net.conv.weight in params and got[0].abs().sum() > 0


def test_gradient_penalty_vanishes_for_a_unit_gradient_linear_critic():
    torch.manual_seed(0)
    w = torch.randn(3 * 5 * 5)
    w = w / w.norm()

    def linear_critic(x):  # grad_x C = w everywhere, ||w|| = 1
        return x.flatten(1) @ w

    real3, fake3 = torch.randn(8, 3, 5, 5), torch.randn(8, 3, 5, 5)
    assert WGANGPLoss().discriminator_penalty(linear_critic, real3, fake3).item() == pytest.approx(0.0, abs=1e-8)
    # twice the slope: every norm is 2, so the penalty is lambda * (2 - 1)^2
    assert WGANGPLoss().discriminator_penalty(lambda x: 2 * linear_critic(x), real3, fake3).item() == pytest.approx(10.0, rel=1e-5)
    assert WGANGPLoss(gp_weight=2.5).discriminator_penalty(lambda x: 3 * linear_critic(x), real3, fake3).item() == pytest.approx(10.0, rel=1e-5)
    assert WGANGPLoss(gp_weight=0).discriminator_penalty(linear_critic, real3, fake3) is None


def test_interpolates_lie_between_real_and_fake_with_one_eps_per_sample():
    torch.manual_seed(0)
    real, fake = torch.randn(64, 2, 3, 3), torch.randn(64, 2, 3, 3)
    xhat = interpolate(real, fake)
    # xhat - fake = eps * (real - fake): one ratio per sample, in [0, 1]
    ratio = (xhat - fake) / (real - fake)
    per_sample = ratio.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-4)
    eps = per_sample[:, 0]
    assert eps.min() >= 0 and eps.max() <= 1 and eps.std() > 0.2
    assert torch.equal(interpolate(real, fake, torch.ones(64)), real)
    assert torch.equal(interpolate(real, fake, torch.zeros(64)), fake)
    flat = interpolate(torch.ones(4, 6), torch.zeros(4, 6), torch.tensor([0.0, 0.25, 0.5, 1.0]))  # (N, D) works too
    assert flat[:, 0].tolist() == [0.0, 0.25, 0.5, 1.0]


def test_gradient_penalty_helper_does_not_touch_its_inputs():
    real = torch.randn(3, 4, requires_grad=True)
    points = real * 1.0
    value = gradient_penalty(lambda x: (x**2).sum(1), points)
    # grad of sum(x^2) is 2x: the penalty is mean((2||x|| - 1)^2)
    expected = ((2 * points.detach().norm(dim=1) - 1) ** 2).mean()
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    assert real.grad is None


def test_wgan_gp_losses_are_the_wasserstein_ones():
    real, fake = leaf(1.0, 3.0), leaf(0.5, -1.5)
    gp, w = WGANGPLoss(), WassersteinLoss()
    assert gp.discriminator_loss(real, fake).item() == w.discriminator_loss(real, fake).item() == pytest.approx(-2.5)
    assert gp.generator_loss(fake).item() == w.generator_loss(fake).item() == pytest.approx(0.5)
    critic = nn.Linear(2, 1)
    before = [p.clone() for p in critic.parameters()]
    gp.after_discriminator_step(critic)  # no clipping in WGAN-GP
    assert all(torch.equal(a, b) for a, b in zip(before, critic.parameters()))


# ---------------------------------------------------------------- hinge
def test_hinge_losses_by_hand():
    real, fake = leaf(2.0, 0.5, -1.0), leaf(-2.0, 0.0, 0.5)
    loss = HingeLoss()
    d = loss.discriminator_loss(real, fake)
    # relu(1 - real) = 0, 0.5, 2 ; relu(1 + fake) = 0, 1, 1.5
    assert d.item() == pytest.approx(2.5 / 3 + 2.5 / 3)
    assert grad(d, real) == pytest.approx([0, -1 / 3, -1 / 3])  # beyond the margin: no gradient
    assert grad(d, fake) == pytest.approx([0, 1 / 3, 1 / 3])
    g = loss.generator_loss(fake)
    assert g.item() == pytest.approx(0.5)
    assert grad(g, fake) == pytest.approx([-1 / 3] * 3)


# ---------------------------------------------------------------- lsgan
def test_lsgan_losses_by_hand():
    real, fake = leaf(1.0, 0.0, 2.0), leaf(0.0, 1.0, -1.0)
    loss = LSGANLoss()
    d = loss.discriminator_loss(real, fake)
    # 0.5 mean((real - 1)^2) = 0.5 * 2/3 ; 0.5 mean(fake^2) = 0.5 * 2/3
    assert d.item() == pytest.approx(2 / 3)
    assert grad(d, real) == pytest.approx([0, -1 / 3, 1 / 3])
    assert grad(d, fake) == pytest.approx([0, 1 / 3, -1 / 3])
    g = loss.generator_loss(fake)
    assert g.item() == pytest.approx(0.5 * (1 + 0 + 4) / 3)  # 0.5 mean((fake - 1)^2)
    assert grad(g, fake) == pytest.approx([-1 / 3, 0, -2 / 3])


def test_lsgan_other_coding():
    loss = LSGANLoss(a=-1, b=1, c=0)
    real, fake = leaf(1.0), leaf(1.0)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(0.5 * 0 + 0.5 * 4)
    assert loss.generator_loss(fake).item() == pytest.approx(0.5)
