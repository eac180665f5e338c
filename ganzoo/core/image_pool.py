"""A history of generated images for the discriminator (Shrivastava et al., arXiv 1612.07828).

CycleGAN updates its discriminators on a buffer of the last ``size`` fakes rather than only the
newest ones, which damps the oscillation of the adversarial game. As in the reference
(junyanz/pytorch-CycleGAN-and-pix2pix ``ImagePool``), per image of a batch: while the pool is
not full, the image is stored and returned; afterwards, with probability 1/2 a stored image is
returned instead and the new one takes its place, else the new image is returned.

Its random numbers come from a generator of its own (seeded by the run), and its whole state
(the fixed-size buffer, how full it is, the generator) goes into checkpoints, so a resumed run
draws what the uninterrupted one would have.
"""

from __future__ import annotations

from typing import Any

import torch


class ImagePool:
    """``query(images) -> images``: the batch to show the discriminator (see the module docstring)."""

    def __init__(self, size: int, shape: tuple[int, ...], seed: int) -> None:
        self.size = int(size)
        self.buffer = torch.zeros((self.size, *shape))
        self.count = 0
        self.generator = torch.Generator().manual_seed(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        images = images.detach()
        if self.buffer.device != images.device:  # kept in fp32 whatever the forward passes' precision
            self.buffer = self.buffer.to(images.device)
        out = []
        for image in images:
            if self.count < self.size:
                self.buffer[self.count] = image
                self.count += 1
                out.append(image)
            elif torch.rand((), generator=self.generator).item() > 0.5:
                slot = int(torch.randint(0, self.size, (), generator=self.generator))
                out.append(self.buffer[slot].to(images.dtype, copy=True))
                self.buffer[slot] = image
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        return {"buffer": self.buffer, "count": torch.tensor(self.count), "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.buffer = state["buffer"].clone()
        self.count = int(state["count"])
        self.generator.set_state(state["generator"].to(torch.uint8).cpu())
