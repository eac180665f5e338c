"""Train ganzoo's Fashion-MNIST feature network and write ``ganzoo/eval/assets/fashion-features.safetensors``.

    python scripts/train_fashion_features.py [--steps 3500] [--batch-size 128] [--out PATH]

It trains on Fashion-MNIST's official training split at 32x32 (the images ``--dataset
fashion-mnist`` gives every model; ``apt-get install dataset-fashion-mnist``, ``--data-root`` or
``--download``) and records its accuracy on the official test split in the file.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganzoo.core.model import count_parameters
from ganzoo.data.datasets import load_dataset
from ganzoo.eval.digits_features import IMAGE_SIZE, train_feature_net
from ganzoo.eval.fashion_features import ASSET, FLIP, NORM, SHIFT, WIDTH
from ganzoo.io import weights
from ganzoo.plugin.discovery import get_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3500)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--shift", type=int, default=SHIFT, help="random shifts of up to N pixels")
    parser.add_argument("--flip", action=argparse.BooleanOptionalAction, default=FLIP, help="random left-right mirroring")
    parser.add_argument("--out", default=str(ASSET))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_dataset(get_registry(), "fashion-mnist", IMAGE_SIZE, args.data_root, args.download)
    assert data.test is not None
    images = torch.cat([data.images, data.test.images])
    labels = torch.cat([data.labels, data.test.labels])
    train = torch.arange(len(data))
    held = torch.arange(len(data), len(images))
    start = time.perf_counter()
    result = train_feature_net(images, labels, train, held, steps=args.steps, batch_size=args.batch_size,
                               seed=args.seed, width=WIDTH, norm=NORM, shift=args.shift, flip=args.flip)
    seconds = time.perf_counter() - start
    meta = {
        "role": "fashion-features",
        "heldout_accuracy": f"{result.accuracy:.4f}",
        "split": f"Fashion-MNIST official: trained on the {len(train)} training images, accuracy on the {len(held)} test images",
        "steps": str(args.steps),
        "batch_size": str(args.batch_size),
        "seed": str(args.seed),
        "width": str(WIDTH),
        "norm": "batch" if NORM else "none",
        "augment": f"shift {args.shift}, flip {args.flip}",
        "num_params": str(count_parameters(result.net)),
        "command": (f"python scripts/train_fashion_features.py --steps {args.steps} --batch-size {args.batch_size} "
                    f"--seed {args.seed} --shift {args.shift} --{'' if args.flip else 'no-'}flip"),
        "torch": torch.__version__,
        "train_seconds": f"{seconds:.0f}",
    }
    weights.save_module(result.net, args.out, meta)
    print(f"test accuracy {result.accuracy:.4f} after {args.steps} steps of {args.batch_size} ({seconds:.0f} s); wrote {args.out}")


if __name__ == "__main__":
    main()
