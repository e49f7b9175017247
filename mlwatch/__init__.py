"""mlwatch: debug a production model that went quietly wrong.

``import mlwatch`` stays light: the names below are imported on first use, and
matplotlib, scipy, ipywidgets and shap only by the functions that need them.
"""

from __future__ import annotations

import importlib

from mlwatch.errors import DataError, MlwatchError

__version__ = "0.1.0"

_LAZY = {
    "Baseline": "mlwatch.baseline",
    "sql": "mlwatch.sources",
    "SQL": "mlwatch.sources",
    "Incident": "mlwatch.incident",
    "investigate": "mlwatch.incident",
    "Findings": "mlwatch.steps.investigate",
    "resolve_scoring": "mlwatch.steps.scoring",
    "Scoring": "mlwatch.steps.scoring",
    "signal": "mlwatch.steps.signal",
    "SignalResult": "mlwatch.steps.signal",
    "infra": "mlwatch.steps.infra",
    "InfraResult": "mlwatch.steps.infra",
    "overall": "mlwatch.steps.overall",
    "OverallResult": "mlwatch.steps.overall",
    "find_slices": "mlwatch.steps.slices",
    "SliceSearch": "mlwatch.steps.slices",
    "SliceResult": "mlwatch.steps.slices",
    "audit": "mlwatch.steps.audit",
    "AuditOptions": "mlwatch.steps.audit",
    "AuditResult": "mlwatch.steps.audit",
    "segment_drift": "mlwatch.steps.segments",
    "SegmentDriftResult": "mlwatch.steps.segments",
    "trace": "mlwatch.steps.trace",
    "TraceResult": "mlwatch.steps.trace",
    "run_detector": "mlwatch.steps.trace",
    "ChangeTrace": "mlwatch.steps.trace",
    "attribution": "mlwatch.steps.attribution",
    "AttributionResult": "mlwatch.steps.attribution",
    "shadow": "mlwatch.steps.shadow",
    "estimate_performance": "mlwatch.steps.estimate",
    "EstimateResult": "mlwatch.steps.estimate",
    "multivariate_drift": "mlwatch.steps.multivariate",
    "MultivariateResult": "mlwatch.steps.multivariate",
    "ShadowComparison": "mlwatch.steps.shadow",
    "simulate": "mlwatch.simulate",
    "Postmortem": "mlwatch.report.postmortem",
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
