"""mlwatch: debug a production model that went quietly wrong.

``import mlwatch`` stays light: the names below are imported on first use, and
matplotlib, scipy, ipywidgets and shap only by the functions that need them.
"""

from __future__ import annotations

import importlib

from mlwatch.errors import DataError, MlwatchError

__version__ = "0.1.0"

_LAZY = {
    "audit": "mlwatch.steps.audit",
    "AuditResult": "mlwatch.steps.audit",
    "Incident": "mlwatch.incident",
    "investigate": "mlwatch.steps.investigate",
    "Findings": "mlwatch.steps.investigate",
    "find_slices": "mlwatch.steps.slices",
    "explore": "mlwatch.widgets",
}
__all__ = ["DataError", "MlwatchError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlwatch' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
