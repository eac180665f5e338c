"""SNGAN (Miyato, Kataoka, Koyama and Yoshida, "Spectral Normalization for Generative
Adversarial Networks", arXiv 1802.05957): a ResNet generator and a ResNet discriminator whose
every layer is spectrally normalised, trained with the hinge loss, Adam(2e-4, betas 0, 0.9)
and 5 discriminator steps per generator step (the paper's CIFAR-10 ResNet setting).

The architecture's defaults are the paper's CIFAR-10 nets (``ngf`` 256, ``ndf`` 128: 4.28 M and
1.05 M parameters at 32 px RGB, as Mimicry's SNGAN-32). The ``sngan`` model trains narrower
nets (``ngf = ndf = 32``) on batches of 32: on one CPU thread (measured on the digits, a shared
2-core machine) a generator step (five discriminator steps, then the generator's) took about
18 s at ``ngf = ndf = 64`` with batches of 64 and about 2.7 s at 32 with batches of 32, which
is what lets a CPU run of a few hundred steps finish in minutes.
``--set ngf=256 --set ndf=128 --batch-size 64`` trains the paper's sizes.

Kept import-cheap: only specs here; the modules live in ``nets.py``, the loss is
``ganzoo_plugins.losses``' ``hinge``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1802.05957"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="sngan",
            task="noise",
            builder="ganzoo_plugins.sngan.nets:build",
            summary="ResNet generator (up-sampling residual blocks from 4x4) and ResNet discriminator with spectral "
                    "norm on every conv and linear layer, global sum pooling; the defaults are the paper's CIFAR-10 widths",
            paper=PAPER,
            defaults={"nz": 128, "ngf": 256, "ndf": 128, "image_size": 32, "channels": 3},
            image_sizes=(16, 32, 64, 128),
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="sngan",
            architecture="sngan",
            loss="hinge",
            summary="Spectrally normalised ResNet GAN: hinge loss, Adam(2e-4, 0, 0.9), 5 discriminator steps",
            paper=PAPER,
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.0, 0.9), "n_critic": 5, "batch_size": 32, "steps": 600},
            # CPU-sized widths (see the module docstring); --set ngf=256 --set ndf=128 for the paper's.
            architecture_config={"ngf": 32, "ndf": 32},
        )
    )
