"""An example ganzoo plugin: the specs it registers, and nothing heavier.

ganzoo imports this module (through the ``ganzoo`` entry point in ``pyproject.toml``) every
time it lists or builds anything, so it only describes the pieces: the torch code lives in
``nets.py`` and ``ragan.py`` and is imported through the ``builder`` strings when a model
is built. Do not import torch here.
"""

from ganzoo import ArchitectureSpec, LossSpec, ModelSpec, hookimpl

RAGAN_PAPER = "1807.00734"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="mlp",
            task="noise",
            builder="ganzoo_example.nets:build",
            summary="Fully connected generator and discriminator (flattened images), any image size",
            defaults={"nz": 64, "hidden": 256, "layers": 2, "image_size": 16, "channels": 1},
        )
    )


@hookimpl
def register_losses(register):
    register(
        LossSpec(
            name="ragan",
            builder="ganzoo_example.ragan:RaGANLoss",
            summary="Relativistic average standard GAN: is real data more realistic than the average fake?",
            paper=RAGAN_PAPER,
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="mlp-ragan",
            architecture="mlp",
            loss="ragan",
            summary="Small fully connected GAN with the relativistic average loss, on 16x16 digits",
            paper=RAGAN_PAPER,
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1, "batch_size": 64, "steps": 2000},
            architecture_config={"image_size": 16},
            dataset="digits",
        )
    )
