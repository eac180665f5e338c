"""The ``ganzoo`` commands: which module serves each, and its one-line help.

Listed here so that ``ganzoo --help`` can show every command while a run of one command imports
only its own module (``ganzoo list`` never loads the ``run`` parser's option machinery).
"""

from __future__ import annotations

#: Command -> (module under ``ganzoo.cli``, help).
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("catalog", "list models (or losses, architectures, datasets, pretrained weights)"),
    "info": ("catalog", "describe a model, architecture, loss, dataset or pretrained weights"),
    "plugins": ("catalog", "list discovered plugins and their status"),
    "run": ("run", "train a model"),
    "sample": ("sample", "draw samples from saved weights into a PNG grid, or translate/upscale images"),
    "eval": ("evaluate", "measure a model's quality next to the real-vs-real floor or the baseline"),
    "export": ("export", "write a generator as an ONNX file with a dynamic batch axis"),
    "convert": ("convert", "turn a pytorch/examples dcgan, pix2pix U-Net or SRGAN checkpoint into a ganzoo weights file"),
    "push": ("push", "upload a generator and its model card to the Hugging Face Hub (ganzoo[hub])"),
    "plot": ("plot", "plot runs: losses, metrics, sample grids and discriminator outputs over training, into a PNG"),
    "install": ("install", "pip install plugin distributions, never replacing ganzoo, torch or torchvision"),
    "uninstall": ("install", "pip uninstall plugin distributions"),
    "cache": ("cache", "list or clear the decoded-image cache of large image folders ($GANZOO_HOME/cache)"),
    "new-plugin": ("new_plugin", "write a new plugin distribution from the template, ready to install and test"),
    "zoo": ("zoo", "turn a finished run into pretrained weights a plugin ships: `zoo add RUN_DIR NAME` (fp16 file + WeightsSpec)"),
}


def help_of(command: str) -> str:
    return COMMANDS[command][1]


def command_in(argv: list[str]) -> str | None:
    """The command ``argv`` names (the first word after the global options), if any."""
    words = iter(argv)
    for word in words:
        if word == "--threads":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
