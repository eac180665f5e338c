"""The one exception family users see.

Every message says what went wrong *and* what to do; the CLI prints it on one line
(exit code 2, or ``exit_code`` of the subclass) instead of a traceback.
"""

from __future__ import annotations


class GanzooError(Exception):
    """Base class for errors caused by input the user can fix."""

    exit_code = 2


class UnknownNameError(GanzooError, LookupError):
    """A model, architecture, loss, dataset or plugin name that is not registered."""


class ConfigError(GanzooError, ValueError):
    """An override or combination of settings that cannot work."""


class DataError(GanzooError):
    """A dataset that is missing, empty, unreadable or of the wrong shape."""


class WeightsError(GanzooError):
    """A weights file that is not safetensors, or does not fit the architecture."""


class NonFiniteWeights(WeightsError):
    """Weights holding NaN or inf: never written, never loaded (they draw nothing)."""


class PluginError(GanzooError):
    """A plugin that failed to load (raised only in strict mode)."""


class RunFolderError(GanzooError):
    """A run folder that exists already, or cannot be resumed."""


class TrainingDiverged(GanzooError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""

    exit_code = 1


class TrainingInterrupted(GanzooError):
    """Ctrl-C during training: a checkpoint was saved and the run can be resumed."""

    exit_code = 130
