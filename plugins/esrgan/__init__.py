"""ESRGAN (Wang et al., arXiv 1809.00219): the RRDB generator (Residual-in-Residual Dense
Blocks, no batch norm, residual scaling 0.2), SRGAN's VGG-style discriminator judged with the
relativistic average loss (``ragan-bce``), a perceptual loss on VGG19 features before activation,
and L1 pre-training of the PSNR-oriented net.

Two models share the ``esrgan`` architecture (whose defaults are the paper's: 23 RRDBs, nf 64,
gc 32, 16.7 M parameters at x4):

- ``esrgan-psnr``: the PSNR-oriented RRDB net alone, trained on L1 (the paper's "RRDB_PSNR"
  stage; lr 2e-4), as ``srresnet`` is SRGAN's;
- ``esrgan``: the same net pre-trained on L1 (``pretrain_content``), then trained with
  ``vgg-pre + 0.01 * l1`` content and ``5e-3`` relativistic adversarial loss (lr 1e-4), the
  paper's weights. It needs the ImageNet VGG19 weights (never downloaded: see ``--set
  vgg_weights=PATH``).

For CPU budgets both train ``CPU_DESIGN``: 3 RRDBs (45 convs) at nf 32, gc 16, 578,755
parameters, predicting the residual over bicubic like ``srresnet``. On one CPU thread a step
(16 crops of 64 px) takes about 1.3 s, a little more than ``srresnet``'s CPU design, so the
demo trains in CPU minutes while still stacking residual-in-residual blocks; at the paper's 23
blocks of nf 64 a forward and backward pass costs some 13 times more.
``--set residual=none --set num_blocks=23 --set nf=64 --set gc=32`` gives the paper's generator
back (16,697,987 parameters).

Kept import-cheap: only specs here; the modules live in ``nets.py``.
"""

from ganzoo import ArchitectureSpec, ModelSpec, hookimpl

PAPER = "1809.00219"
#: The generator the models train by default on CPU (see the module docstring).
CPU_DESIGN = {"residual": "bicubic", "num_blocks": 3, "nf": 32, "gc": 16}


@hookimpl
def register_architectures(register):
    register(
        ArchitectureSpec(
            name="esrgan",
            task="superres",
            builder="ganzoo_plugins.esrgan.nets:build",
            summary="RRDBNet (23 Residual-in-Residual Dense Blocks, no BN, nearest x2 upsampling stages) and "
                    "SRGAN's VGG-style discriminator",
            paper=PAPER,
            defaults={"scale": 4, "channels": 3, "image_size": 128, "num_blocks": 23, "nf": 64, "gc": 32, "ndf": 64,
                      "residual": "none"},
        )
    )


@hookimpl
def register_models(register):
    register(
        ModelSpec(
            name="esrgan-psnr",
            architecture="esrgan",
            loss="ragan-bce",
            summary="4x super-resolution, PSNR-oriented: the RRDB net on L1 (ESRGAN's first stage), over bicubic",
            paper=PAPER,
            dataset="photos-sr",
            architecture_config=CPU_DESIGN,
            training={"optimizer": "adam", "lr": 2e-4, "betas": (0.9, 0.999), "batch_size": 16, "steps": 500,
                      "pretrain_steps": 500, "content": "l1", "ema": 0.999, "sample_every": 250,
                      "checkpoint_every": 250},
        )
    )
    register(
        ModelSpec(
            name="esrgan",
            architecture="esrgan",
            loss="ragan-bce",
            summary="4x super-resolution: L1 pre-training, then VGG54-before-activation + 0.01 L1 content and "
                    "5e-3 relativistic average adversarial loss",
            paper=PAPER,
            dataset="photos-sr",
            architecture_config=CPU_DESIGN,
            training={"optimizer": "adam", "lr": 1e-4, "betas": (0.9, 0.999), "batch_size": 16, "steps": 1200,
                      "pretrain_steps": 1000, "pretrain_content": "l1", "content": "vgg-pre+0.01*l1",
                      "adversarial_weight": 5e-3, "sample_every": 200, "checkpoint_every": 200},
        )
    )
