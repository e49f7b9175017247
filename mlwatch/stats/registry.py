"""Drift statistics registered by name.

>>> from mlwatch.stats import get_test, available_tests
>>> available_tests()
['chi2', 'hellinger', 'js', 'ks', 'psi', 'wasserstein']
>>> get_test("psi").__name__
'psi'
>>> get_test("kl")
Traceback (most recent call last):
...
mlwatch.errors.MlwatchError: unknown drift test 'kl'; expected one of: chi2, hellinger, js, ks, psi, wasserstein
"""

from __future__ import annotations

from typing import Callable

from mlwatch.errors import check_choice

_TESTS: dict[str, Callable] = {}


def register(name: str) -> Callable[[Callable], Callable]:
    """Class the decorated function as the drift test ``name``."""

    def decorate(func: Callable) -> Callable:
        if name in _TESTS:
            raise ValueError(f"drift test {name!r} is already registered")
        _TESTS[name] = func
        return func

    return decorate


def get_test(name: str) -> Callable:
    """The drift test registered as ``name``."""
    return _TESTS[check_choice("drift test", name, _TESTS)]


def available_tests() -> list[str]:
    """Names of the registered drift tests, sorted."""
    return sorted(_TESTS)
