"""ganzoo.core.conditional_layers: conditional batch norm, its generator, per-label minibatch std."""

from __future__ import annotations

import torch

from ganzoo.core.conditional_layers import ConditionalBatchNorm2d, ConditionalGenerator, LabelStdDev


def test_label_std_is_the_spread_within_each_label_and_zero_for_a_lone_sample():
    x = torch.randn(6, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 2, 0, 1, 2, 2])
    out = LabelStdDev(3)(x, labels)
    assert out.shape == (6, 4, 2, 2) and torch.equal(out[:, :3], x)
    for label in range(3):
        rows = x[labels == label].reshape(int((labels == label).sum()), -1)
        expected = rows.std(dim=0, unbiased=False).mean() if len(rows) > 1 else torch.tensor(0.0)
        assert torch.allclose(out[labels == label, 3], expected.expand(len(rows), 2, 2), atol=1e-4)
    # one image per label, repeated: no spread at all, however different the labels are
    same = LabelStdDev(3)(x[:3].repeat(2, 1, 1, 1), torch.tensor([0, 1, 2, 0, 1, 2]))
    assert same[:, 3].abs().max() < 1e-3


def test_label_std_passes_gradients():
    x = torch.randn(4, 2, 1, 1, requires_grad=True)
    LabelStdDev(2)(x, torch.tensor([0, 0, 1, 1]))[:, 2].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_conditional_batch_norm_normalises_then_modulates_by_label():
    norm = ConditionalBatchNorm2d(4, embed_dim=3)
    x = torch.randn(8, 4, 2, 2) * 5 + 3
    code = torch.randn(8, 3)
    out = norm(x, code)
    expected = torch.nn.functional.batch_norm(x, None, None, training=True) * (1 + norm.gain(code)[:, :, None, None])
    assert torch.allclose(out, expected + norm.bias(code)[:, :, None, None], atol=1e-5)


def test_conditional_generator_shapes_and_labels():
    net = ConditionalGenerator(nz=8, ngf=4, channels=1, image_size=16, num_classes=3, embed_dim=5).eval()
    z = torch.randn(3, 8)
    a, b = net(z, torch.tensor([0, 0, 0])), net(z, torch.tensor([1, 1, 1]))
    assert a.shape == (3, 1, 16, 16) and a.abs().max() <= 1 and not torch.allclose(a, b)
