"""DCGAN (Radford, Metz and Chintala, arXiv 1511.06434), laid out as pytorch/examples builds it.

Kept import-cheap: only specs here; the modules live in ``nets.py``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1511.06434"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="dcgan",
            task="noise",
            builder="ganzoo_plugins.dcgan.nets:build",
            summary="Transposed-conv generator, strided-conv discriminator, batch norm; depth follows the image size; "
                    "mbstd=G adds a minibatch std-dev layer (ProGAN, arXiv 1710.10196) to the discriminator",
            paper=PAPER,
            defaults={"nz": 100, "ngf": 64, "ndf": 64, "image_size": 64, "channels": 3, "d_norm": "batch", "mbstd": 0},
            image_sizes=(16, 32, 64, 128),
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="dcgan",
            architecture="dcgan",
            loss="bce",
            summary="Deep convolutional GAN with the non-saturating loss",
            paper=PAPER,
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1, "batch_size": 64, "steps": 1000},
        )
    )
