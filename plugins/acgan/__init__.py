"""ACGAN: auxiliary classifier GAN (Odena, Olah and Shlens, arXiv 1610.09585).

A class-conditional GAN whose discriminator never reads the label: beside "real or fake" it
says which class an image shows, and the generator is trained to draw images of the class it
was asked for that this classifier recognises. Sampling takes labels as ``cgan`` does
(``ganzoo sample NAME --labels 0-9``, ``model.sample(labels=...)``).

Kept import-cheap: only specs here; the modules live in ``nets.py``, the objective in ``loss.py``.
"""

from ganzoo import ArchitectureSpec, LossSpec, ModelSpec, hookimpl

PAPER = "1610.09585"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="acgan",
            task="class",
            builder="ganzoo_plugins.acgan.nets:build",
            summary="Class-conditional DCGAN generator (label embedding beside z, or conditional batch norm); "
                    "a DCGAN discriminator without the label, with a real/fake logit and an auxiliary class head",
            paper=PAPER,
            defaults={
                "nz": 100,
                "ngf": 64,
                "ndf": 64,
                "image_size": 32,
                "channels": 1,
                "d_norm": "batch",
                "num_classes": 10,
                "embed_dim": 10,
                "g_condition": "concat",
            },
            image_sizes=(16, 32, 64, 128),
        )
    )


@hookimpl
def register_losses(register):
    register(
        LossSpec(
            name="acgan",
            builder="ganzoo_plugins.acgan.loss:ACGANLoss",
            summary="Source loss on the logit column (adversarial: bce, hinge, lsgan or wgan-gp) + aux_weight x "
                    "cross-entropy of the class head: on reals and (x fake_class_weight) fakes for D, on fakes for G",
            paper=PAPER,
            defaults={"aux_weight": 1.0, "adversarial": "bce", "fake_class_weight": 1.0},
            tasks=("class",),
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="acgan",
            architecture="acgan",
            loss="acgan",
            summary="Auxiliary classifier GAN: draw images of a chosen class (ganzoo sample --labels)",
            paper=PAPER,
            dataset="digits",
            # cgan's recipe (Adam 2e-4, beta1 0.5, as the paper's), at half DCGAN's widths for a CPU demo.
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1, "batch_size": 64, "steps": 2000},
            architecture_config={"ngf": 32, "ndf": 32},
            # The class head learns from real images only (the paper also trains it on the fakes:
            # --set fake_class_weight=1). Measured on the digits: with 1, labels drifted to other
            # digits (conditional accuracy 0.48 after 5,000 steps); with 0, 0.99 after 2,000.
            loss_config={"fake_class_weight": 0.0},
        )
    )
