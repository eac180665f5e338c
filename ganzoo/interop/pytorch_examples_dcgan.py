"""pytorch/examples ``dcgan/main.py`` checkpoints: ``netG_epoch_N.pth`` and ``netD_epoch_N.pth``
(``torch.save(net.state_dict())`` of its ``Generator``/``Discriminator``, one ``nn.Sequential``
called ``main``).

ganzoo's DCGAN is that script's layout layer for layer (``plugins/dcgan/nets.py``), so the
tensors keep their names; only the settings are read off the shapes:

- generator: transposed convolutions at ``main.0, 3, 6, ...`` (each but the last followed by a
  batch norm), ``nz`` = inputs of the first, ``ngf`` and ``nc`` = inputs and outputs of the last,
  image size ``2 ** (convolutions + 1)`` (5 -> 64, the script's);
- discriminator: convolutions at ``main.0, 2, 5, ...``, ``ndf`` and ``nc`` from the first. Its
  last layer is the script's ``Sigmoid``, which ganzoo leaves out: the converted discriminator
  returns logits, ``sigmoid`` of which is the script's output.

A generator whose first width is not ``ngf * size / 8`` (an edited script) does not fit
ganzoo's net; the converter says which tensors differ.
"""

from __future__ import annotations

import re
from typing import Mapping

import torch

from ganzoo.interop.conversion import Conversion, tensor

NAME = "dcgan-examples"
SUMMARY = "pytorch/examples dcgan/main.py netG_epoch_*.pth or netD_epoch_*.pth"
#: The nz a discriminator file cannot tell (the script's default): ganzoo's config records one.
DEFAULT_NZ = 100

_KEY = re.compile(r"main\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)")


def matches(state: Mapping[str, torch.Tensor]) -> bool:
    return "main.0.weight" in state and all(_KEY.fullmatch(key) for key in state)


def read(state: Mapping[str, torch.Tensor]) -> Conversion:
    convolutions = sorted(int(_KEY.fullmatch(k)[1]) for k, v in state.items() if k.endswith(".weight") and v.ndim == 4)
    first = tensor(state, "main.0.weight", 4)
    size = 2 ** (len(convolutions) + 1)
    if "main.1.weight" in state:  # a batch norm right after the first layer: the generator
        last = tensor(state, f"main.{convolutions[-1]}.weight", 4)
        config = {"nz": int(first.shape[0]), "ngf": int(last.shape[0]), "channels": int(last.shape[1]), "image_size": size}
        summary = f"generator, nz {config['nz']}, ngf {config['ngf']}, {config['channels']} channel(s), {size}x{size}"
        return Conversion("dcgan", "dcgan", "generator", config, dict(state), summary)
    config = {"nz": DEFAULT_NZ, "ndf": int(first.shape[0]), "channels": int(first.shape[1]), "image_size": size}
    summary = f"discriminator, ndf {config['ndf']}, {config['channels']} channel(s), {size}x{size}"
    notes = ("the discriminator returns logits: sigmoid(D(x)) is the script's output",)
    return Conversion("dcgan", "dcgan", "discriminator", config, dict(state), summary, notes)
