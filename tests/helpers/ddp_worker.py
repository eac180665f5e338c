"""One torchrun rank of ``tests/training/test_distributed.py``: what the CLI cannot see from outside.

Run as ``python -m torch.distributed.run --standalone --nproc-per-node=2 -m tests.helpers.ddp_worker OUT``
with the repository root on ``PYTHONPATH``. Each rank trains tiny runs and writes into ``OUT``:

* ``{straight,split-2,split-4,wgan-gp}.rank{R}.safetensors`` -- the rank's own parameters after
  a 4-step DCGAN run, a 2-step one, the same resumed to 4 steps, and 2 WGAN-GP steps;
* ``grad.rank{R}.json`` -- WGAN-GP's critic-step gradients under DDP (``autograd.grad`` with
  ``create_graph`` inside) against one process on the whole batch: ``worst`` difference, ``scale``.

The test compares them across ranks and against each other.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: Tiny DCGAN settings: every step takes milliseconds; 8 images = 4 per process.
TINY_CONFIG = dict(image_size=16, batch_size=8, ngf=8, ndf=8, nz=16, num_samples=16, log_every=1, sample_every=1000)


def main(out: Path) -> None:
    import torch
    import torch.distributed as dist

    import ganzoo
    from ganzoo.core.config import resolve_config
    from ganzoo.io import weights
    from ganzoo.plugin.discovery import get_registry
    from ganzoo.training import distributed
    from ganzoo.training.trainer import Trainer
    from ganzoo_plugins.losses.wgan_gp import WGANGPLoss, gradient_penalty, interpolate

    rank = int(os.environ["RANK"])
    registry = get_registry()

    def fit(trainer: Trainer, tag: str) -> None:
        trainer.fit()
        params = {f"{role}.{k}": v.detach().clone() for role, net in (("g", trainer.generator), ("d", trainer.discriminator))
                  for k, v in distributed.unwrap(net).named_parameters()}
        weights.save_tensors(params, out / f"{tag}.rank{rank}.safetensors", {})

    def new(model: str, run: str, **settings) -> Trainer:
        return Trainer(resolve_config(registry, model, {**TINY_CONFIG, **settings}), out / run, progress=False)

    common = dict(checkpoint_every=2)
    fit(new("dcgan", "straight", steps=4, **common), "straight")
    fit(new("dcgan", "split", steps=2, **common), "split-2")
    fit(Trainer.from_run_dir(out / "split", steps=4, progress=False), "split-4")
    fit(new("wgan-gp", "wgan-gp", steps=2, n_critic=2), "wgan-gp")

    # WGAN-GP's critic step under DDP against one process on the whole batch: the same gradients.
    dist.init_process_group("gloo")
    try:
        torch.manual_seed(0)  # the same critic on every rank (as the trainer builds its nets)
        net = ganzoo.create("wgan-gp", image_size=16, channels=1, ngf=8, ndf=8).discriminator
        reference = ganzoo.create("wgan-gp", image_size=16, channels=1, ngf=8, ndf=8).discriminator
        reference.load_state_dict(net.state_dict())
        loss = WGANGPLoss()
        g = torch.Generator().manual_seed(0)
        real, fake, eps = torch.randn(8, 1, 16, 16, generator=g), torch.randn(8, 1, 16, 16, generator=g), torch.rand(8, generator=g)

        def critic_loss(d, part):
            return loss.discriminator_loss(d(real[part]), d(fake[part])) + loss.gp_weight * gradient_penalty(d, interpolate(real[part], fake[part], eps[part]))

        critic_loss(reference, slice(None)).backward()
        wrapped = distributed.data_parallel(net, torch.device("cpu"))
        critic_loss(wrapped, slice(4 * rank, 4 * rank + 4)).backward()
        worst = max((a.grad - b.grad).abs().max().item() for a, b in zip(reference.parameters(), net.parameters()))
        scale = max(a.grad.abs().max().item() for a in reference.parameters())
        (out / f"grad.rank{rank}.json").write_text(json.dumps({"worst": worst, "scale": scale}))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
