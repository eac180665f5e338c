"""Pix2Pix (Isola et al., arXiv 1611.07004): U-Net generator, PatchGAN discriminator, GAN + 100 L1.

Kept import-cheap: only specs here; the modules live in ``nets.py``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1611.07004"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="pix2pix",
            task="paired",
            builder="ganzoo_plugins.pix2pix.nets:build",
            summary="U-Net generator with skips and dropout; 70x70 PatchGAN discriminator that sees the input too",
            paper=PAPER,
            defaults={"image_size": 256, "input_channels": 3, "channels": 3, "ngf": 64, "ndf": 64,
                      "norm": "batch", "dropout": True, "n_layers": 3},
            image_sizes=(32, 64, 128, 256),
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="pix2pix",
            architecture="pix2pix",
            loss="bce",
            summary="Image-to-image translation: conditional GAN + 100 x L1 to the target",
            paper=PAPER,
            dataset="edges2photos",
            # Half the paper's widths so the offline demo trains in CPU minutes;
            # --set ngf=64 --set ndf=64 gives the paper's (and the reference's) nets.
            architecture_config={"ngf": 32, "ndf": 32},
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "batch_size": 8, "steps": 1000,
                      "content": "l1", "content_weight": 100.0, "sample_every": 250, "checkpoint_every": 250},
        )
    )
