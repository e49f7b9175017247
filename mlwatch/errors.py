"""The exceptions mlwatch raises on bad input.

Every error that comes from the data names the column (and the frame: reference or
current) so that a person in an incident can fix the input without reading a
traceback. They all derive from :class:`MlwatchError`, itself a ``ValueError``.
This module imports nothing of mlwatch, so every layer may raise these.
"""

from __future__ import annotations


class MlwatchError(ValueError):
    """Base class of every error mlwatch raises on purpose."""


class DataError(MlwatchError):
    """Bad input data. ``column`` and ``frame`` say where, when they are known."""

    def __init__(self, message: str, *, column: str | None = None, frame: str | None = None):
        super().__init__(message)
        self.column = column
        self.frame = frame


class MissingColumnError(DataError):
    """A column asked for (or needed) is not in a frame."""


class SchemaMismatchError(DataError):
    """A column has incompatible types in reference and current."""


class EmptyDataError(DataError):
    """A frame, or the slice of it that was asked for, has no rows."""


class AllNullError(DataError):
    """A column holds only nulls where values are needed."""


class MixedTypesError(DataError):
    """A column mixes values of different types (say numbers and strings)."""


class UnhashableColumnError(DataError):
    """A column holds lists, dicts or objects, which cannot be counted or binned."""


def check_choice(name: str, value: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``; else raise, listing the valid ones.

    >>> check_choice("kind", "numeric", ["categorical", "numeric"])
    'numeric'
    >>> check_choice("kind", "text", ["numeric", "categorical"])
    Traceback (most recent call last):
    ...
    mlwatch.errors.MlwatchError: unknown kind 'text'; expected one of: categorical, numeric
    """
    if value not in choices:
        raise MlwatchError(f"unknown {name} {value!r}; expected one of: {', '.join(sorted(choices))}")
    return value
