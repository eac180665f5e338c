"""First-party adversarial losses (specs only; the math lives in one submodule per loss).

Every loss works on raw discriminator outputs (logits / critic scores, shape ``(N,)``), so
any of them can be paired with any architecture whose discriminator ends without a sigmoid.

| name          | discriminator / critic minimises                               | generator minimises        |
|---------------|----------------------------------------------------------------|----------------------------|
| `bce`         | ``BCE(D(x), real_label) + BCE(D(G(z)), 0)``                    | ``-E[log D(G(z))]`` or the minimax ``E[log(1 - D(G(z)))]`` |
| `wasserstein` | ``E[C(G(z))] - E[C(x)]``, weights clipped to ``[-clip, clip]`` | ``-E[C(G(z))]``            |
| `wgan-gp`     | the same plus ``lambda E[(||grad C(xhat)||_2 - 1)^2]``          | ``-E[C(G(z))]``            |
| `hinge`       | ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``                   | ``-E[D(G(z))]``            |
| `lsgan`       | ``0.5 E[(D(x) - b)^2] + 0.5 E[(D(G(z)) - a)^2]``               | ``0.5 E[(D(G(z)) - c)^2]`` |
| `ragan-bce`   | ``BCE(C(x) - E[C(G(z))], 1) + BCE(C(G(z)) - E[C(x)], 0)``       | the same with the labels swapped |
"""

from ganzoo import LossSpec, hookimpl

_HERE = "ganzoo_plugins.losses"


@hookimpl
def register_losses(register):
    register(
        LossSpec(
            name="bce",
            builder=f"{_HERE}.bce:BCELoss",
            summary="Original GAN objective; non-saturating (default) or minimax generator loss, one-sided label smoothing via real_label",
            paper="1406.2661",
            defaults={"real_label": 1.0, "generator": "non-saturating"},
            scores="probability_logit",
        )
    )
    register(
        LossSpec(
            name="wasserstein",
            builder=f"{_HERE}.wasserstein:WassersteinLoss",
            summary="WGAN: critic maximises E[C(x)] - E[C(G(z))]; critic weights clipped to [-clip, clip] after every step",
            paper="1701.07875",
            defaults={"clip": 0.01},
            scores="critic",
        )
    )
    register(
        LossSpec(
            name="wgan-gp",
            builder=f"{_HERE}.wgan_gp:WGANGPLoss",
            summary="WGAN losses plus gp_weight * E[(|grad C(xhat)| - 1)^2] on real/fake interpolates (no clipping)",
            paper="1704.00028",
            defaults={"gp_weight": 10.0},
            scores="critic",
        )
    )
    register(
        LossSpec(
            name="hinge",
            builder=f"{_HERE}.hinge:HingeLoss",
            summary="Hinge loss: D minimises E[ReLU(1 - D(x))] + E[ReLU(1 + D(G(z)))], G minimises -E[D(G(z))]",
            paper="1705.02894",
            scores="critic",
        )
    )
    register(
        LossSpec(
            name="lsgan",
            builder=f"{_HERE}.lsgan:LSGANLoss",
            summary="Least squares: D regresses reals to b and fakes to a, G pushes fakes to c (a=0, b=1, c=1)",
            paper="1611.04076",
            defaults={"a": 0.0, "b": 1.0, "c": 1.0},
            scores="critic",
        )
    )
    register(
        LossSpec(
            name="ragan-bce",
            builder=f"{_HERE}.ragan:RaGANLoss",
            summary="Relativistic average GAN (BCE): D says whether x is more realistic than the average of the other "
                    "kind; G's loss is symmetric and uses the real scores too (ESRGAN)",
            paper="1807.00734",
            scores="critic",
        )
    )
