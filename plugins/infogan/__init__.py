"""InfoGAN (Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel, arXiv 1606.03657).

A GAN whose generator reads, beside the noise, a categorical code (10 values) and two continuous
codes in [-1, 1], and whose discriminator carries a second head Q, on the same body, that reads
the codes back from the fakes. Maximising how well Q recovers them (a lower bound on the mutual
information between codes and images) makes each code steer one factor of the images: on the
digits the categorical code comes to pick the digit, with no label ever seen.

Kept import-cheap: only specs here; the modules live in ``nets.py``, the objective in ``loss.py``.
"""

from ganzoo import ArchitectureSpec, LossSpec, ModelSpec, hookimpl

PAPER = "1606.03657"


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="infogan",
            task="noise",
            builder="ganzoo_plugins.infogan.nets:build",
            summary="DCGAN nets with latent codes (categorical_code values, continuous_codes in [-1, 1]) after the noise; "
                    "the discriminator's body also feeds a Q head that reads the codes back",
            paper=PAPER,
            # The paper's MNIST latent: 62 noise dims, one 10-way categorical code, two continuous codes.
            defaults={"nz": 62, "categorical_code": 10, "continuous_codes": 2, "ngf": 64, "ndf": 64, "q_hidden": 128,
                      "image_size": 32, "channels": 1, "d_norm": "batch"},
            image_sizes=(16, 32, 64, 128),
        )
    )


@hookimpl
def register_losses(register):
    register(
        LossSpec(
            name="infogan",
            builder="ganzoo_plugins.infogan.loss:InfoGANLoss",
            summary="Non-saturating GAN loss + info_weight x Q's code loss (cross-entropy of the categorical code, "
                    "Gaussian NLL of the continuous ones), added to both the generator's and the discriminator's objectives",
            paper=PAPER,
            defaults={"info_weight": 1.0, "continuous_weight": 1.0},
            tasks=("noise",),
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="infogan",
            architecture="infogan",
            loss="infogan",
            summary="GAN with interpretable latent codes: the categorical code learns the digit classes without labels",
            paper=PAPER,
            dataset="digits",
            # The paper's MNIST settings: Adam, generator lr 1e-3, discriminator (and Q) lr 2e-4, beta1 0.5.
            training={"optimizer": "adam", "lr": 1e-3, "lr_d": 2e-4, "betas": (0.5, 0.999), "n_critic": 1,
                      "batch_size": 64, "steps": 2000},
        )
    )
