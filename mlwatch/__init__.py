"""mlwatch: debug a production model that went quietly wrong.

``import mlwatch`` stays light: matplotlib, ipywidgets and shap are imported only by
the functions that draw, explore or explain.
"""

from mlwatch.errors import DataError, MlwatchError
from mlwatch.steps.audit import AuditResult, audit

__version__ = "0.1.0"
__all__ = ["AuditResult", "DataError", "MlwatchError", "audit"]
