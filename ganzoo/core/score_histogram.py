"""The discriminator's outputs on real and generated images, binned.

A run records one such histogram at each log step (under ``d_histogram`` in the step's line
of ``metrics.jsonl``, beside its losses: see :mod:`ganzoo.io.run_folder`), so ``ganzoo plot`` draws how well the discriminator tells the
two apart without ever running a model again. The record has a fixed size whatever the batch:
``BINS`` counts for each side and the ``BINS + 1`` bin edges.

Losses whose scores are logits (:attr:`ganzoo.core.losses.Loss.scores_are_logits`) are shown as
probabilities ``sigmoid(score)`` on fixed edges over [0, 1]; other critics (Wasserstein, hinge,
least squares) as raw scores on edges spanning this batch's smallest to largest score.
"""

from __future__ import annotations

from typing import Any

import torch

#: Bins per histogram: fine enough to see two humps part, small enough for a line per log step.
BINS = 20


def score_histogram(real: torch.Tensor, fake: torch.Tensor, probabilities: bool, bins: int = BINS) -> dict[str, Any]:
    """``{"values", "edges", "real", "fake"}`` for the discriminator outputs ``real`` and ``fake``
    (any shape: a patch discriminator's maps are flattened). Computed on the host, once per log
    step: the one copy off the device is the only wait it adds."""
    real, fake = (scores.detach().float().flatten().cpu() for scores in (real, fake))
    if probabilities:
        real, fake = real.sigmoid(), fake.sigmoid()
        low, high = 0.0, 1.0
    else:
        both = torch.cat((real, fake))
        both = both[torch.isfinite(both)]
        low, high = (both.min().item(), both.max().item()) if len(both) else (0.0, 1.0)
        if high - low < 1e-6:  # every score alike: one bin of width 1 around them
            low, high = low - 0.5, high + 0.5
    counts = [torch.histc(side, bins, low, high).long().tolist() for side in (real, fake)]
    edges = [float(f"{low + (high - low) * i / bins:.6g}") for i in range(bins + 1)]
    return {"values": "probability" if probabilities else "score", "edges": edges, "real": counts[0], "fake": counts[1]}
