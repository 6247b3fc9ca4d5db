"""Exceptions for the data layer.

`DataError` derives from `ValueError` so callers that already catch bad-input errors keep working;
its message always names the offending file (and line, where one exists).
"""


class DataError(ValueError):
    """A data file (Kaldi table, manifest, audio) is missing, malformed or inconsistent."""
