"""A plugin's nets failing inside ``forward`` during training: one line naming the plugin and the remedy.

Nets receive channels-last image batches by default (``--no-channels-last`` turns that off), so
the usual ``h.view(N, -1)`` of a flattening discriminator fails with torch's long RuntimeError.
The choice here is to say so in one line rather than to switch the run to contiguous memory on
the fly: a silent switch would change a run's speed and memory format behind the user's back,
and the net would still break in anyone's own channels-last code. Other exceptions raised
inside a third-party architecture's step are that plugin's bug and become one
:class:`~ganzoo.errors.PluginError` as well; ``ganzoo --debug`` shows the traceback.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from ganzoo.errors import GanzooError, PluginError
from ganzoo.plugin.calls import blame
from ganzoo.plugin.discovery import CORE_DISTRIBUTION
from ganzoo.plugin.isolation import describe
from ganzoo.plugin.specs import ArchitectureSpec

#: The start of torch's message for ``view`` on a tensor whose strides it cannot keep.
VIEW_ERROR = "view size is not compatible with input tensor's size and stride"


@contextlib.contextmanager
def net_failures(spec: ArchitectureSpec, channels_last: bool) -> Iterator[None]:
    """Exceptions from a training step as one :class:`PluginError` (see the module's docstring)."""
    try:
        yield
    except (GanzooError, KeyboardInterrupt, MemoryError, OSError):  # OSError: the trainer reports failed writes
        raise
    except RuntimeError as exc:
        if VIEW_ERROR in str(exc) and channels_last:
            raise PluginError(
                f"the nets of {blame(spec)} failed in forward on a channels-last batch (Tensor.view cannot flatten "
                "it); in the net use .reshape(...) or .flatten(1) instead of .view(...), or train with "
                "--no-channels-last (`ganzoo --debug ...` shows the traceback)") from exc
        _third_party_bug(spec, exc)
        raise
    except Exception as exc:  # noqa: BLE001 - TypeError, IndexError, ... from a plugin's forward
        _third_party_bug(spec, exc)
        raise


def _third_party_bug(spec: ArchitectureSpec, exc: Exception) -> None:
    if "out of memory" in str(exc).lower():  # torch.OutOfMemoryError and friends: not a plugin's bug
        return
    if spec.source is not None and spec.source.distribution != CORE_DISTRIBUTION:
        raise PluginError(f"training with {blame(spec)} failed: {describe(exc)}; this is probably a bug of that plugin "
                          "(`ganzoo --debug ...` shows the traceback)") from exc
