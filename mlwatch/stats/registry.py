"""Drift tests registered by name.

A registered test is a documented function of two samples and its *kernel*: the same
test on one feature's :class:`~mlwatch.stats.drift.FeatureSummary` (the shared bins and,
for numbers, the sorted values), returning a :class:`~mlwatch.stats.drift.DriftStatistic`.
The audit summarises each feature once and runs the kernel of every test registered for
its kind; calling a test on two arrays summarises them first.

>>> from mlwatch.stats import get_test, available_tests
>>> available_tests()
['chi2', 'hellinger', 'js', 'kl', 'ks', 'psi', 'tv', 'wasserstein']
>>> get_test("psi").kinds
('numeric', 'categorical')
>>> round(get_test("ks")([0.0, 1.0, 2.0, 3.0], [2.5, 3.5, 4.5, 5.5]).value, 2)
0.75
>>> get_test("kolmogorov")
Traceback (most recent call last):
...
mlwatch.errors.MlwatchError: unknown drift test 'kolmogorov'; expected one of: chi2, hellinger, js, kl, ks, psi, tv, wasserstein
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from mlwatch.errors import check_choice

_TESTS: dict[str, "DriftTest"] = {}


@dataclass(frozen=True)
class DriftTest:
    """A registered drift test: ``function(reference, current, **options)`` (documented,
    with examples), ``kernel(summary, **options)``, the kinds of feature it applies to, and
    ``p_column``, the audit column of its own p-value (None when it has no p-value of its
    own or shares the chi-square's)."""

    name: str
    function: Callable[..., Any]
    kernel: Callable[..., Any]
    kinds: tuple[str, ...]
    p_column: str | None = None

    def __call__(self, reference, current, **options):
        """The test on two samples (arrays, lists or polars Series)."""
        return self.function(reference, current, **options)


def register(name: str, *, kernel: Callable[..., Any], kinds: tuple[str, ...] = ("numeric", "categorical"),
             p_column: str | None = None) -> Callable[[Callable], Callable]:
    """Register the decorated function of two samples, and its ``kernel`` on a summary, as
    the drift test ``name``."""

    def decorate(function: Callable) -> Callable:
        if name in _TESTS:
            raise ValueError(f"drift test {name!r} is already registered")
        _TESTS[name] = DriftTest(name, function, kernel, tuple(kinds), p_column)
        return function

    return decorate


def get_test(name: str) -> DriftTest:
    """The drift test registered as ``name``."""
    return _TESTS[check_choice("drift test", name, _TESTS)]


def available_tests() -> list[str]:
    """Names of the registered drift tests, sorted (the built-in ones register when
    :mod:`mlwatch.stats` is imported, which importing this module does first)."""
    return sorted(_TESTS)


def registered_for(kind: str) -> list[DriftTest]:
    """The registered tests that apply to a feature of ``kind`` (numeric or categorical),
    in the order they were registered."""
    return [t for t in _TESTS.values() if kind in t.kinds]
