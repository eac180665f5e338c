"""Train ganzoo's digits feature network and write ``ganzoo/eval/assets/digits-features.safetensors``.

    OMP_NUM_THREADS=1 python scripts/train_digits_features.py [--steps 3000] [--out PATH]

It trains on the seeded training split of scikit-learn's digits at 32x32 (the images
``--dataset digits`` gives every model) and records the held-out accuracy in the file.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganzoo.io import weights
from ganzoo.data.datasets import load_dataset
from ganzoo.eval.digits_features import ASSET, HELD_OUT_FRACTION, IMAGE_SIZE, SPLIT_SEED, train_digits_features
from ganzoo.core.model import count_parameters
from ganzoo.plugin.discovery import get_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ASSET))
    args = parser.parse_args()
    data = load_dataset(get_registry(), "digits", IMAGE_SIZE)
    start = time.perf_counter()
    result = train_digits_features(data.images, data.labels, steps=args.steps, seed=args.seed)
    seconds = time.perf_counter() - start
    meta = {
        "role": "digits-features",
        "heldout_accuracy": f"{result.accuracy:.4f}",
        "split": f"seed {SPLIT_SEED}, held-out fraction {HELD_OUT_FRACTION} of {len(data)} images",
        "steps": str(args.steps),
        "seed": str(args.seed),
        "num_params": str(count_parameters(result.net)),
        "command": f"python scripts/train_digits_features.py --steps {args.steps} --seed {args.seed}",
        "torch": torch.__version__,
    }
    weights.save_module(result.net, args.out, meta)
    print(f"held-out accuracy {result.accuracy:.4f} after {args.steps} steps ({seconds:.0f} s); wrote {args.out}")


if __name__ == "__main__":
    main()
