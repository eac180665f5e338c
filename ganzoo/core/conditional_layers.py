"""Building blocks of class-conditional DCGAN-style nets: the conditional generators, per-label std.

Conditional batch norm (de Vries et al., arXiv 1707.00683; Dumoulin et al., arXiv 1610.07629;
the generators of Miyato and Koyama's projection cGAN, arXiv 1802.05637, and BigGAN) brings
the label into every stage of the generator instead of its input only: each batch norm
normalises without an affine transform of its own and then scales and shifts each channel by
a gain and a bias looked up for the label. The noise ``z`` is then the generator's only input,
so it cannot be outweighed at the first layer by a label code (the failure of concatenation:
every image of a label drawn alike).

:class:`ConditionalGenerator` is DCGAN's generator (the layout of
:func:`ganzoo.core.dcgan_layers.generator_layers`) with every ``BatchNorm2d`` made
conditional; :class:`ConcatGenerator` feeds a label embedding beside ``z`` instead, and
:func:`conditional_generator` builds either from an architecture config (``g_condition``), so
every class-conditional architecture (``cgan``, ``acgan``) draws from the same generators with
the same parameter names. Imports torch: import it from a plugin's ``nets`` module, never from
its top-level module.
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.core.dcgan_layers import generator_layers, init_weights, stages

#: How a conditional generator takes its label (``g_condition``): concatenated to ``z``, or by conditional batch norm.
G_CONDITIONS = ("concat", "batchnorm")


class ConditionalBatchNorm2d(nn.Module):
    """``BatchNorm2d(affine=False)``, then per channel ``(1 + gain(e)) * x + bias(e)``.

    ``e`` is the label's code (``(N, embed_dim)``, looked up once in the generator's shared
    label embedding, as BigGAN does); ``gain`` and ``bias`` are linear maps without bias of
    their own, at PyTorch's default initialisation. Why not a gain and a bias looked up per
    class (gain 1, bias 0 at the start)? Adam moves each of those by about ``lr`` a step, so
    after the 600 steps of a digits run (lr 2e-4) a label could shift a channel by 0.1 at most:
    measured, the labels were still ignored at step 400 (conditional accuracy 11 %). A linear
    map of a code with ``embed_dim`` N(0, 1) numbers starts with a per-class modulation of
    about 0.6 and learns ``embed_dim`` times faster.
    """

    def __init__(self, channels: int, embed_dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(embed_dim, channels, bias=False)
        self.bias = nn.Linear(embed_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * (1 + self.gain(code)[:, :, None, None]) + self.bias(code)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    """``G(z, y)``: DCGAN's generator on ``z`` alone, each batch norm conditioned on ``y``.

    ``(N, nz)`` noise and ``(N,)`` int64 labels -> ``(N, channels, S, S)`` in [-1, 1]. The
    layer layout and widths are those of :func:`~ganzoo.core.dcgan_layers.generator_layers`
    (``ups[i]`` the transposed convolutions, ``norms[i]`` their conditional batch norms);
    ``embed`` is the label embedding all the norms share (``embed_dim`` numbers a class).
    """

    def __init__(self, nz: int, ngf: int, channels: int, image_size: int, num_classes: int, embed_dim: int) -> None:
        super().__init__()
        self.nz = nz
        self.embed = nn.Embedding(num_classes, embed_dim)
        width = ngf * 2 ** (stages(image_size) - 1)
        ups: list[nn.Module] = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False)]
        norms: list[nn.Module] = [ConditionalBatchNorm2d(width, embed_dim)]
        while width > ngf:
            ups.append(nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False))
            norms.append(ConditionalBatchNorm2d(width // 2, embed_dim))
            width //= 2
        self.ups, self.norms = nn.ModuleList(ups), nn.ModuleList(norms)
        self.out = nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        code = self.embed(labels)
        h = z.reshape(z.shape[0], self.nz, 1, 1)
        for up, norm in zip(self.ups, self.norms):
            h = torch.relu(norm(up(h), code))
        return torch.tanh(self.out(h))


class ConcatGenerator(nn.Module):
    """``G(z, y)``: a learned embedding of the label (``embed_dim`` numbers) concatenated to ``z``,
    then DCGAN's generator on the ``nz + embed_dim`` inputs, as Mirza and Osindero (arXiv
    1411.1784) feed ``y`` to the generator's first layer."""

    def __init__(self, nz: int = 100, ngf: int = 64, channels: int = 3, image_size: int = 64, num_classes: int = 10,
                 embed_dim: int = 20) -> None:
        super().__init__()
        self.nz = nz
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.main = nn.Sequential(*generator_layers(nz + embed_dim, ngf, channels, image_size))

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = torch.cat((z.reshape(z.shape[0], self.nz), self.embed(labels)), dim=1)
        return self.main(h[:, :, None, None])


def conditional_generator(config: dict) -> nn.Module:
    """The initialised class-conditional generator that ``config`` asks for (``g_condition``:
    ``concat``, the default for files written before the setting existed, or ``batchnorm``)."""
    size, channels, classes = int(config["image_size"]), int(config["channels"]), int(config["num_classes"])
    if classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {classes}; train on a labelled dataset")
    condition = config.get("g_condition", "concat")
    if condition not in G_CONDITIONS:
        raise ValueError(f"unknown g_condition {condition!r}; use one of {', '.join(G_CONDITIONS)}")
    generator: nn.Module
    if condition == "batchnorm":
        generator = ConditionalGenerator(int(config["nz"]), int(config["ngf"]), channels, size, classes, int(config["embed_dim"]))
        for module in generator.modules():  # its batch norms have no affine weights; their maps keep PyTorch's init
            if isinstance(module, nn.ConvTranspose2d):
                init_weights(module)
    else:
        generator = ConcatGenerator(int(config["nz"]), int(config["ngf"]), channels, size, classes, int(config["embed_dim"]))
        generator.apply(init_weights)
    # The label embedding: N(0, 1), like the z it sits beside (or, with conditional batch norm, is mapped from).
    nn.init.normal_(generator.embed.weight, 0.0, 1.0)
    return generator


class LabelStdDev(nn.Module):
    """Per-label minibatch standard deviation: the spread of the samples that share a label.

    ProGAN's minibatch standard deviation (Karras et al., arXiv 1710.10196) lets a
    discriminator see how varied a batch is, over groups of random samples. A conditional
    generator that draws each label one way still makes a varied batch (its labels differ), so
    here the groups are the labels: for ``(N, C, H, W)`` features and ``(N,)`` labels it
    appends one feature map holding, for each sample, the standard deviation of the features
    over the samples of the batch with its label (averaged over C, H and W; 0 for a label
    drawn once). The fakes of a step are drawn for the real batch's labels, so both batches
    form the same groups, and the discriminator can reject a generator whose samples of a
    label are all alike. No parameters; ``num_classes`` sizes the per-label sums (no host sync
    to find the largest label).
    """

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = int(num_classes)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        n, classes = x.shape[0], self.num_classes
        flat = x.reshape(n, -1)
        count = flat.new_zeros(classes).index_add_(0, labels, flat.new_ones(n))
        total = flat.new_zeros(classes, flat.shape[1]).index_add_(0, labels, flat)
        mean = total / count.clamp(min=1)[:, None]
        squares = flat.new_zeros(classes, flat.shape[1]).index_add_(0, labels, (flat - mean[labels]) ** 2)
        std = (squares / count.clamp(min=1)[:, None] + 1e-8).sqrt().mean(dim=1)
        std = torch.where(count > 1, std, torch.zeros_like(std))
        return torch.cat([x, std[labels].view(n, 1, 1, 1).expand(n, 1, *x.shape[2:])], dim=1)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}"
