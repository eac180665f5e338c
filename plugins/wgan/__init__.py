"""Wasserstein GANs on DCGAN-style nets: ``wgan`` (weight clipping) and ``wgan-gp`` (gradient penalty).

- ``wgan``: Arjovsky, Chintala and Bottou, arXiv 1701.07875. The ``wasserstein`` loss (critic
  weights clipped to [-0.01, 0.01] after every critic step), RMSprop, 5 critic steps per
  generator step. The DCGAN discriminator already ends without a sigmoid, so it serves as the
  critic (batch norm kept, as in the paper's DCGAN critic). The paper's lr is 5e-5; on the
  digits that is visibly slower to converge in a CPU-sized run than 1e-4 (same optimizer,
  clipping and n_critic), so 1e-4 is the default here: ``--lr 5e-5`` gives the paper's value.
- ``wgan-gp``: Gulrajani et al., arXiv 1704.00028. The ``wgan-gp`` loss (gradient penalty,
  lambda 10, no clipping), Adam lr 1e-4 betas (0, 0.9), 5 critic steps, and a critic with
  layer norm instead of batch norm (``d_norm="layer"``), since the penalty is per sample.

Both use DCGAN nets at half the DCGAN widths (``ngf = ndf = 32``) and batches of 32, so that
the default run on the digits (32x32) shows recognisable digits after a few CPU minutes;
``--set ngf=64 --set ndf=64 --batch-size 64`` gives the papers' sizes.

Kept import-cheap: only specs here; the nets are ``ganzoo_plugins.dcgan``'s and the losses
``ganzoo_plugins.losses``'.
"""

from ganzoo import ModelSpec, hookimpl

#: Half-width DCGAN nets: each critic step is ~4x cheaper than at 64, which matters with n_critic = 5.
NETS = {"ngf": 32, "ndf": 32}


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="wgan",
            architecture="dcgan",
            loss="wasserstein",
            summary="Wasserstein GAN: DCGAN nets, critic weights clipped to 0.01, RMSprop, 5 critic steps",
            paper="1701.07875",
            training={"optimizer": "rmsprop", "lr": 1e-4, "n_critic": 5, "batch_size": 32, "steps": 1200},
            architecture_config=dict(NETS),
        )
    )
    register(
        ModelSpec(
            name="wgan-gp",
            architecture="dcgan",
            loss="wgan-gp",
            summary="WGAN with gradient penalty: DCGAN nets, layer-norm critic, Adam(1e-4, 0, 0.9), 5 critic steps",
            paper="1704.00028",
            training={"optimizer": "adam", "lr": 1e-4, "betas": (0.0, 0.9), "n_critic": 5, "batch_size": 32, "steps": 800},
            architecture_config={**NETS, "d_norm": "layer"},
        )
    )
