"""The original GAN (Goodfellow et al., arXiv 1406.2661): fully connected nets on flattened images.

Kept import-cheap: only specs here; the modules, and the notes on how they follow the
paper, live in ``nets.py``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1406.2661"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="gan",
            task="noise",
            builder="ganzoo_plugins.gan.nets:build",
            summary="Fully connected (MLP) generator and discriminator on flattened images, dropout in D; any image size",
            paper=PAPER,
            defaults={
                "nz": 100,
                "g_hidden": (256, 512, 1024),
                "d_hidden": (512, 256),
                "g_norm": "batch",
                "d_activation": "leaky_relu",
                "maxout_pieces": 5,
                "dropout": 0.5,
                "image_size": 16,
                "channels": 1,
            },
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="gan",
            architecture="gan",
            loss="bce",
            summary="The original fully connected GAN with the non-saturating loss",
            paper=PAPER,
            # Adam(2e-4, beta1 0.5), the settings Radford et al. (arXiv 1511.06434) found stable
            # for GANs, in place of the paper's SGD with momentum; k = 1 discriminator step per
            # generator step as in the paper. 3,000 steps (about 107 passes over the digits)
            # give clean, varied digits; see nets.py for why the generator has batch norm.
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1, "batch_size": 64, "steps": 3000},
            # The digits are 8x8 at heart: 16x16 keeps every detail and a quarter of the pixels
            # that the flattened nets' widest layers pay for at 32x32.
            architecture_config={"image_size": 16},
            dataset="digits",
        )
    )
