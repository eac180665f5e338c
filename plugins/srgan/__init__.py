"""SRGAN (Ledig et al., arXiv 1609.04802): SRResNet generator, VGG-style discriminator,
VGG19 content loss + 1e-3 adversarial loss, optional MSE pre-training (SRResNet).

Two models share the ``srgan`` architecture (whose defaults are the paper's):

- ``srresnet``: the PSNR-oriented generator alone, trained on MSE; for CPU budgets it predicts
  the residual over bicubic upsampling, without batch norm, at width 32 and 8 blocks
  (``CPU_DESIGN``), its sub-pixel convolutions ICNR-initialised, and keeps an EMA generator:
  the choices measured in the README;
- ``srgan``: the same generator pre-trained on MSE, then trained adversarially with the
  paper's content and adversarial weights.

``--set residual=none --set norm=batch --set icnr=false --set width=64 --set n_blocks=16`` gives
the paper's generator back.

Kept import-cheap: only specs here; the modules live in ``nets.py``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1609.04802"
#: The generator the models train by default on CPU (see the module docstring).
CPU_DESIGN = {"residual": "bicubic", "norm": "none", "icnr": True, "width": 32, "n_blocks": 8}


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
                      "residual": "none", "norm": "batch", "icnr": False,
                      "unit_input": False},
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="srresnet",
            architecture="srgan",
            loss="bce",
            summary="4x super-resolution, PSNR-oriented: SRResNet on MSE, predicting the residual over bicubic",
            paper=PAPER,
            dataset="photos-sr",
            architecture_config=CPU_DESIGN,
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.9, 0.999), "batch_size": 16, "steps": 500,
                      "pretrain_steps": 500, "content": "mse", "ema": 0.999, "sample_every": 250, "checkpoint_every": 250},
        )
    )
    register(
        ModelSpec(
            name="srgan",
            architecture="srgan",
            loss="bce",
            summary="4x super-resolution: VGG54 content + 1e-3 adversarial loss after MSE pre-training",
            paper=PAPER,
            dataset="photos-sr",
            architecture_config=CPU_DESIGN,
            training={"optimizer": "adam", "lr": 1e-4, "betas": (0.9, 0.999), "batch_size": 16, "steps": 1200,
                      "pretrain_steps": 1000, "content": "vgg", "adversarial_weight": 1e-3,
                      "sample_every": 200, "checkpoint_every": 200},
        )
    )
