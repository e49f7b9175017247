"""Pure numerics: drift statistics, bins, noise floors and data-quality checks.

Nothing here draws, reads files or imports widgets; kernels take numpy arrays or
polars Series and return numbers or small frozen dataclasses.
"""

from mlwatch.stats import noise, quality
from mlwatch.stats.binning import Bins, categorical_bins, numeric_bins, quantile_edges
from mlwatch.stats.drift import (DriftStatistic, FeatureSummary, chi2, hellinger, js, kl, ks, psi, summarise, tv,
                                 wasserstein)
from mlwatch.stats.noise import benjamini_hochberg
from mlwatch.stats.registry import DriftTest, available_tests, get_test, register, registered_for

__all__ = [
    "Bins", "DriftStatistic", "DriftTest", "FeatureSummary", "available_tests", "benjamini_hochberg",
    "categorical_bins", "chi2", "get_test", "hellinger", "js", "kl", "ks", "noise", "numeric_bins", "psi",
    "quality", "quantile_edges", "register", "summarise", "registered_for", "tv", "wasserstein",
]
