"""SRGAN (Ledig et al., arXiv 1609.04802): SRResNet generator, VGG-style discriminator,
VGG19 content loss + 1e-3 adversarial loss, optional MSE pre-training (SRResNet).

Kept import-cheap: only specs here; the modules live in ``nets.py``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1609.04802"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="srgan",
            task="superres",
            builder="ganzoo_plugins.srgan.nets:build",
            summary="SRResNet (16 residual blocks, PReLU, PixelShuffle x2 stages) and the paper's VGG-style discriminator",
            paper=PAPER,
            defaults={"scale": 4, "channels": 3, "image_size": 96, "n_blocks": 16, "width": 64, "ndf": 64,
                      "residual": "none", "norm": "batch"},
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="srgan",
            architecture="srgan",
            loss="bce",
            summary="4x super-resolution: VGG54 content + 1e-3 adversarial loss after MSE pre-training",
            paper=PAPER,
            dataset="photos-sr",
            training={"optimizer": "adam", "lr": 1e-4, "betas": (0.9, 0.999), "batch_size": 8, "steps": 1200,
                      "pretrain_steps": 1000, "content": "vgg", "adversarial_weight": 1e-3,
                      "sample_every": 200, "checkpoint_every": 200},
        )
    )
