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


class SchemaError(MlwatchError):
    """A document given to ``from_dict`` (or a file read back) is not the kind of Result asked for."""


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


def check_number(name: str, value, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False):
    """``value`` if it is a finite number inside the bounds, else a :class:`MlwatchError`
    naming the option (``nan`` and ``inf`` included: no threshold can then be crossed).

    >>> check_number("alpha", 0.05, low=0, high=1, low_open=True, high_open=True)
    0.05
    >>> check_number("bins", 0, low=2, integer=True)
    Traceback (most recent call last):
    ...
    mlwatch.errors.MlwatchError: bins must be 2 or more, got 0
    """
    import math
    import numbers

    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
        raise MlwatchError(f"{name} must be a finite {'whole ' if integer else ''}number, got {value!r}")
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        if high is None:
            raise MlwatchError(f"{name} must be {'more than' if low_open else f'{low:g} or more'}"
                               f"{f' {low:g}' if low_open else ''}, got {value!r}")
        raise MlwatchError(f"{name} must be between {low:g} and {high:g}"
                           f"{' (exclusive)' if low_open or high_open else ''}, got {value!r}")
    return value
