"""Architecture and loss settings (``--set ngf=32``, a weights file's ``ganzoo.config``): what a
value must be, judged by the kind of the setting's default, and how large a size may get.

One checker for the command line, ``ganzoo.train``/``ganzoo.create`` and files read back, so a
hostile ``image_size`` of 2^30 in a weights file is refused by the same rule, in the same words,
as ``--set image_size=1073741824``. Torch-free.
"""

from __future__ import annotations

import math
from typing import Any

from ganzoo.core.options import MAX_COUNT
from ganzoo.errors import ConfigError

#: The largest whole-number architecture or loss setting (a width, a latent size, a count):
#: far beyond any net that fits in memory (those are refused by counting parameters), it stops
#: 2^30 before anything, even a meta-device net, is built.
MAX_SETTING = 2**20
#: Tighter bounds of particular settings: no GAN here is trained on images above 4096 pixels.
SETTING_MAXIMA = {"image_size": MAX_COUNT}
#: Most items of a list setting (``g_hidden``: the widths of the hidden layers).
MAX_LIST_ITEMS = 1024


def check_setting(owner: str, key: str, value: Any, default: Any) -> None:
    """An architecture's or loss's setting must be of the kind of its default (a whole number,
    a finite number, text, true/false, a list of such), and a whole number must be in range: at
    least 1 where the default is (a width, a latent size, a count: 0 builds nothing), at least 0
    where the default is 0, and at most :data:`MAX_SETTING` (``image_size``: 4096). Checked
    before anything is built, so the message names the setting and what it accepts."""
    def refuse(what: str) -> None:
        shown = list(default) if isinstance(default, tuple) else default
        raise ConfigError(f"{owner}: {key} must be {what} (its default is {shown!r}), got {value!r}")

    if default is None:
        return
    if isinstance(default, bool):
        if not isinstance(value, bool):
            refuse("true or false")
    elif isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool):
            refuse("a whole number")
        low, high = (1 if default >= 1 else 0 if default == 0 else -MAX_SETTING), SETTING_MAXIMA.get(key, MAX_SETTING)
        if low == 1 and value < 1:
            refuse("a whole number >= 1")
        if not low <= value <= high:
            refuse(f"a whole number from {low} to {high}")
    elif isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            refuse("a number")
        if not math.isfinite(value):
            refuse("a finite number")
    elif isinstance(default, str) and not isinstance(value, str):
        refuse("text")
    elif isinstance(default, (list, tuple)) and default:
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(default[0], int):
            value = [value]  # one whole number for a list of them: a one-item list (``--set g_hidden=64``)
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_LIST_ITEMS:
            refuse(f"a list of 1 to {MAX_LIST_ITEMS} items")
        for item in value:
            check_setting(owner, f"each item of {key}", item, default[0])


def image_size_problem(arch: Any, size: Any) -> str:
    """Why an architecture cannot build ``size`` (it lists the sizes it supports), or ""."""
    if arch.image_sizes and size not in arch.image_sizes:
        sizes = ", ".join(str(s) for s in arch.image_sizes)
        return f"architecture {arch.name!r} supports image sizes {sizes}, not {size!r}"
    return ""
