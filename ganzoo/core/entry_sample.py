"""The sample grid of a zoo entry: what ``ganzoo zoo add`` and ``scripts/build_zoo.py`` draw.

One picture per entry, drawn the same way for ganzoo's own zoo and a plugin's: 64 samples of
seed 0; a row per class for a class-conditional model; a row per categorical code value for
InfoGAN; input, output and target rows for an image-to-image model (given the pairs to show);
for an unpaired model, A images, their translations to B, B images and theirs to A.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganzoo.core.model import GanModel
from ganzoo.io.images import save_grid


def draw_sample(model: GanModel, path: Path, pairs: tuple[torch.Tensor, torch.Tensor] | None = None,
                exclusive: bool = False) -> Path:
    """Write the entry's grid to ``path`` (``exclusive``: never over an existing file); an
    image-to-image model needs ``pairs`` (inputs, targets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if model.is_image_to_image:
        if pairs is None:
            raise ValueError("an image-to-image model's sample needs input/target pairs to show")
        inputs, targets = pairs
        if model.card.task == "unpaired":  # both ways: A, A -> B, B, B -> A (a row each)
            images = torch.cat([inputs, model.transform(inputs), targets, model.transform(targets, direction="BtoA")])
            save_grid(images, path, nrow=len(inputs), overwrite=not exclusive)
            return path
        outputs = model.transform(inputs)
        rows = model.task.comparison(inputs, outputs, targets)
        images, nrow = rows, len(rows) // len(outputs)
    elif model.codes is not None and model.codes.categories:  # a row per code value, a column per noise vector
        images, nrow = model.sample_codes(10, seed=0, code=None), 10
    elif model.num_classes:
        images, nrow = torch.cat([model.sample(8, seed=0, labels=i) for i in range(model.num_classes)]), 8
    else:
        images, nrow = model.sample(64, seed=0), 8
    save_grid(images, path, nrow=nrow, overwrite=not exclusive)
    return path
