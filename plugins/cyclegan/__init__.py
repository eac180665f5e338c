"""CycleGAN (Zhu, Park, Isola and Efros, arXiv 1703.10593): unpaired translation A <-> B.

Two ResNet generators (G_AB, G_BA: reflection padding, instance norm, 6 or 9 residual blocks),
two 70x70 PatchGAN discriminators, least squares adversarial terms, cycle consistency (weight
10) and identity (0.5 of that), a pool of 50 past fakes per discriminator, Adam(2e-4, 0.5) with
the learning rates falling linearly to 0 over the second half of training. It runs through the
one training loop as the ``unpaired`` task (:mod:`ganzoo.core.unpaired`).

Kept import-cheap: only specs here; the modules live in ``nets.py``, the objective in ``loss.py``.
"""

from ganzoo import ArchitectureSpec, LossSpec, ModelSpec, hookimpl

PAPER = "1703.10593"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="cyclegan",
            task="unpaired",
            builder="ganzoo_plugins.cyclegan.nets:build",
            summary="Two ResNet generators (A->B, B->A) and two 70x70 PatchGAN discriminators, instance norm, any size divisible by 4",
            paper=PAPER,
            # The reference's resnet_9blocks and basic D at 256 px (--set n_blocks=6: resnet_6blocks).
            defaults={"image_size": 256, "channels": 3, "input_channels": 3, "ngf": 64, "ndf": 64, "n_blocks": 9,
                      "n_layers": 3, "norm": "instance", "dropout": False, "pool_size": 50},
        )
    )


@hookimpl
def register_losses(register):
    register(
        LossSpec(
            name="cyclegan",
            builder="ganzoo_plugins.cyclegan.loss:CycleGANLoss",
            summary="CycleGAN's objective: least squares GAN both ways + cycle_weight x cycle L1 + identity_weight x cycle_weight x identity L1",
            paper=PAPER,
            defaults={"cycle_weight": 10.0, "identity_weight": 0.5},
            tasks=("unpaired",),
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="cyclegan",
            architecture="cyclegan",
            loss="cyclegan",
            summary="Unpaired image-to-image translation both ways: two GANs tied by cycle consistency",
            paper=PAPER,
            dataset="edges2photos-unpaired",
            # CPU-sized so the offline demo trains in CPU minutes; the paper's nets at 256 px:
            # --image-size 256 --set ngf=64 --set ndf=64 --set n_blocks=9.
            architecture_config={"image_size": 64, "ngf": 32, "ndf": 32, "n_blocks": 6},
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "batch_size": 1, "steps": 1000,
                      "lr_decay": 0.5, "sample_every": 250, "checkpoint_every": 250},
        )
    )
