"""The pretrained zoo: generator weights ganzoo ships, trained with its own CLI.

``zoo.json`` is the manifest (written by ``scripts/build_zoo.py`` from finished runs): per
entry the file, its sha256 and size, the exact command that made it and its metrics from
``ganzoo eval``, and the quality bars it must keep meeting (``"bars"``, read by the build
script and the test suite, not part of the weights' spec). Reading it is cheap (no torch),
so ``ganzoo list --pretrained`` stays fast.
"""

import json
from pathlib import Path

from ganzoo import WeightsSpec, hookimpl

MANIFEST = Path(__file__).with_name("zoo.json")
PACKAGE = __name__


@hookimpl
def register_weights(register):
    for entry in json.loads(MANIFEST.read_text(encoding="utf-8")):
        entry = dict(entry)
        entry.pop("bars", None)
        entry["file"] = f"{PACKAGE}:{entry['file']}"
        if entry.get("sample"):
            entry["sample"] = f"{PACKAGE}:{entry['sample']}"
        register(WeightsSpec(**entry))
