"""Exceptions for the data layer (kept here for imports; the types live in ``laura.errors``).

`DataError`'s message always names the offending file (and line, where one exists).
"""

from laura.errors import DataError

__all__ = ["DataError"]
