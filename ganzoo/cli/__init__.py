"""The ``ganzoo`` command: thin commands over the Python API."""

from ganzoo.cli.main import main

__all__ = ["main"]
