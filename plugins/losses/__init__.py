"""First-party adversarial losses (specs only; the math lives in submodules)."""

from ganzoo import LossSpec, hookimpl


@hookimpl
def register_losses(register):
    register(
        LossSpec(
            name="bce",
            builder="ganzoo_plugins.losses.bce:BCELoss",
            summary="Original minimax objective with the non-saturating generator loss; optional one-sided label smoothing",
            paper="1406.2661",
            defaults={"real_label": 1.0},
        )
    )
