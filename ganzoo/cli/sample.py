"""``ganzoo sample``: draw a grid from saved weights, or translate/upscale images (``--input``).

Drawing images needs torch, and ``ganzoo.io.images``/``ganzoo.data.datasets`` import it: those
imports (and PIL's, about 0.05 s) stay inside the functions, so that ``--help`` and the listing
commands, which import this module to build the parser, start without them.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from ganzoo.api import load
from ganzoo.cli.commands import help_of
from ganzoo.cli.output import console, positive_int
from ganzoo.errors import GanzooError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("sample", help=help_of("sample"))
    p.add_argument("weights", metavar="WEIGHTS",
                   help="a generator .safetensors file, a run folder, or pretrained weights by name (ganzoo list "
                        "--pretrained, e.g. dcgan.digits)")
    p.add_argument("-n", type=positive_int, default=64, help="number of images (default 64); with --labels, per class")
    p.add_argument("-o", "--output", help="PNG file to write (default samples.png); with --input, a folder (default outputs)")
    p.add_argument("--input", metavar="IMAGE_OR_FOLDER",
                   help="image-to-image models: translate/upscale this image or every image in this folder")
    p.add_argument("--direction", choices=("AtoB", "BtoA"),
                   help="with --input, unpaired models (cyclegan): translate A to B (default) or B to A")
    p.add_argument("--force", action="store_true", help="overwrite output files that exist already")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nrow", type=positive_int, help="images per row (default: square; a class model's default is one column per class)")
    p.add_argument("--labels", metavar="CLASSES",
                   help="class-conditional models: one row of -n images per class, e.g. 0-9, 1,3,7 or class names")
    p.add_argument("--codes", action="store_true",
                   help="models with latent codes (infogan): one row per categorical value, a continuous code swept "
                        "from -2 to 2 along the columns (--nrow of them, default 10)")
    p.add_argument("--sweep", type=_sweep, default=None, metavar="INDEX|noise",
                   help="with --codes, the continuous code swept along the columns (default 0), or 'noise': "
                        "one noise vector per column, continuous codes at 0")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_sample)


def _sweep(text: str) -> int | str:
    """``--sweep``: a continuous code's index, or ``noise``."""
    if text == "noise":
        return text
    try:
        index = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a continuous code's index (0, 1, ...) or 'noise', got {text!r}") from None
    if index < 0:
        raise argparse.ArgumentTypeError(f"a continuous code's index is 0 or more, got {index}")
    return index


def cmd_sample(args: argparse.Namespace) -> int:
    import torch  # (see the module docstring)

    from ganzoo.io.images import save_grid

    _check_output(args)
    model = load(args.weights, device=args.device)
    card = model.card
    if args.input is not None:
        return _transform_images(model, args)
    if args.direction is not None:
        raise GanzooError("--direction goes with --input (the images to translate)")
    if model.is_image_to_image:
        raise GanzooError(f"model {card.model!r} turns images into images; give them with --input IMAGE_OR_FOLDER")
    if args.codes:
        if args.labels is not None:
            raise GanzooError("--codes lays the grid out by latent code; leave out --labels")
        columns = args.nrow or 10
        code = 0 if args.sweep is None else args.sweep
        images = model.sample_codes(columns, seed=args.seed, code=None if code == "noise" else code)
        _save_exclusively(save_grid, images, args.output, args.force, nrow=columns)
        codes = model.codes
        swept = f"continuous code {code} from -2 to 2" if codes.continuous and code != "noise" else "the noise"
        what = f"{codes.categories} rows (categorical code values) x {columns} columns ({swept})"
    elif args.sweep is not None:
        raise GanzooError("--sweep goes with --codes")
    elif args.labels is not None:
        # One row per requested class, n images each; every row uses the same noise (the same
        # seed), so a column shows one style drawn in every class.
        classes = model.class_indices(_label_tokens(args.labels, model.class_names))
        if args.nrow is not None and args.nrow != args.n:
            raise GanzooError(f"with --labels each row holds one class and -n images; leave out --nrow (got {args.nrow}, -n {args.n})")
        images = torch.cat([model.sample(args.n, seed=args.seed, labels=index) for index in classes])
        _save_exclusively(save_grid, images, args.output, args.force, nrow=args.n)
        names = ", ".join(model.class_names[i] for i in classes)
        what = f"{len(classes)} row{'s' * (len(classes) != 1)} of {args.n} samples (classes {names})"
    else:
        images = model.sample(args.n, seed=args.seed)
        nrow = args.nrow
        what = f"{args.n} samples"
        if model.num_classes:  # the images cycle through the classes: one column per class
            nrow = nrow or min(model.num_classes, args.n)
            shown = model.class_names[: min(model.num_classes, args.n)]
            what += f" cycling through classes {', '.join(shown)}" + (", ..." if len(shown) < model.num_classes else "")
        _save_exclusively(save_grid, images, args.output, args.force, nrow=nrow)
    console().print(f"wrote {what} of {card.model} (step {card.step}) to {args.output}")
    return 0


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an ``-o`` that could not be written before the model is loaded: a file (a folder
    with ``--input``) under a file, in a read-only place, with a name too long, a folder where a
    file is meant, or a file that exists (without ``--force``)."""
    from ganzoo.io.atomic import check_writable
    from ganzoo.io.output_file import check_new_file

    folder = args.input is not None
    args.output = args.output or ("outputs" if folder else "samples.png")
    if folder:
        check_writable(args.output, folder=True)
    else:
        check_new_file(args.output, args.force)


def _save_exclusively(save: Any, images: Any, path: str, force: bool, **grid: Any) -> None:
    """Write the grid (``save``: ``save_grid`` or ``save_comparison``) by the one write rule;
    without ``--force`` never over a file, even one another process wrote meanwhile."""
    from ganzoo.io.output_file import publish

    publish(path, force, lambda: save(images, path, overwrite=force, **grid))


def _label_tokens(text: str, names: list[str]) -> list[int | str]:
    """``--labels`` text -> class indices and names: ``0-9``, ``1,3,7``, ``cat,dog``, or a mix.

    A whole item that is a class name stays a name (so names with ``-`` or ``,`` work); ``A-B``
    with whole numbers is a range (either direction); anything else is checked by the model.
    """
    folded = {name.casefold() for name in names}
    if text.strip().casefold() in folded:
        return [text.strip()]
    tokens: list[int | str] = []
    for item in (part.strip() for part in text.split(",")):
        span = re.fullmatch(r"(\d+)\s*-\s*(\d+)", item)
        if item.casefold() in folded or not span:
            tokens.append(item)
        else:
            a, b = int(span[1]), int(span[2])
            tokens.extend(range(a, b + 1) if a <= b else range(a, b - 1, -1))
    return tokens


def _transform_images(model: Any, args: argparse.Namespace) -> int:
    """Write each translated/upscaled image (at the input's size, times ``scale`` for
    super-resolution) and a side-by-side comparison into a folder."""
    from ganzoo.data.datasets import IMAGE_SUFFIXES  # (see the module docstring)
    from ganzoo.io.images import read_image, save_comparison, save_grid
    from ganzoo.io.output_file import check_new_files

    if not model.is_image_to_image:
        raise GanzooError(f"model {model.card.model!r} draws images from noise; --input is for image-to-image models")
    task = model.task.facing(args.direction)  # a one-way model refuses BtoA here, before anything is read
    source = Path(args.input).expanduser()
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    elif source.is_file():
        files = [source]
    else:
        raise GanzooError(f"--input {str(source)!r} does not exist")
    if not files:
        raise GanzooError(f"--input folder {str(source)!r} holds no images")
    out = Path(args.output or "outputs")
    if out.suffix.lower() == ".png":
        raise GanzooError("with --input, -o names a folder (one output and one comparison image per input)")
    targets = [(out / f"{f.stem}.png", out / f"{f.stem}.compare.png") for f in files]
    check_new_files([p for pair in targets for p in pair], args.force)
    # every input readable before -o is made; kept as decoded pictures (a byte a channel), made
    # tensors one at a time: inputs keep their size now, and a folder of photos can be large
    pictures = [read_image(file) for file in files]
    out.mkdir(parents=True, exist_ok=True)
    for picture, (output_path, compare_path) in zip(pictures, targets):
        tensor = model.input_tensor(picture)
        output = model.transform(tensor, direction=args.direction)  # any size: large images go in tiles
        _save_exclusively(save_grid, output[None], output_path, args.force, nrow=1, padding=0)
        row = task.comparison(tensor[None].to(output.device), output[None], output[None])[:-1]  # input, (bicubic,) output
        _save_exclusively(save_comparison, row, compare_path, args.force, labels=task.comparison_labels[:len(row)])
    console().print(f"{model.task.verb} {len(files)} image(s) with {model.card.model} into {out} (each with a .compare.png beside it)")
    return 0
