"""The one error type a user sees: ``LauraError`` and its kinds.

The CLI prints any ``LauraError`` as one line (``laura VERB: error: MESSAGE``) and exits with 2;
everything else is a bug and keeps its traceback. Each message names the file or config key and
the problem. The kinds derive from ``ValueError`` too, so callers that catch bad input as
``ValueError`` keep working.
"""

from __future__ import annotations


class LauraError(ValueError):
    """Bad input from the user: a file, a config key, an option, an experiment directory."""


class ConfigError(LauraError):
    """A config file, key or value is wrong."""


class DataError(LauraError):
    """A data file (Kaldi table, manifest, audio) is missing, malformed or inconsistent."""


class CheckpointError(LauraError):
    """A weights or checkpoint file cannot be loaded (refused, torn, or another model's)."""


class ExperimentError(LauraError):
    """An experiment or output directory would be damaged by the command (refused before
    writing)."""


class TrainingError(LauraError):
    """Training diverged or cannot start (NaN/Inf loss, features or statistics; zero budget)."""
