"""Univariate drift statistics, reference before current.

Two layers: kernels on summaries (:class:`~mlwatch.stats.binning.Bins` counts, sorted
arrays) that the audit calls once per feature, and the registered array-level tests
(``psi``, ``ks``, ``chi2``, ``js``, ``wasserstein``, ``hellinger``) that take raw values
and return a :class:`DriftStatistic`.

Choices, each a keyword with this default:

* PSI smoothing: a bin empty on one side counts as half an observation (``smoothing=0.5``),
  so PSI stays finite and one bin empty by chance in a small slice does not explode it;
  the usual ``1e-4`` floor on shares turns such a bin into a contribution of ~0.7.
* Jensen-Shannon is the distance (square root of the divergence) in base 2, in [0, 1].
* Wasserstein is divided by the reference standard deviation: 0.1 means a tenth of a
  standard deviation whatever the unit, so features compare (Evidently's "normed" variant).
* The p-value of a binned test is the chi-square test of homogeneity on the same bins
  PSI is computed on; KS has its own (exact below 10,000 values a side, as scipy's
  ``method='auto'``, else Kolmogorov's limit with Stephens' small-sample correction).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from mlwatch.errors import MlwatchError, check_choice
from mlwatch.stats import noise
from mlwatch.stats.ecdf import ks_sorted, wasserstein_sorted
from mlwatch.stats.binning import Bins, categorical_bins, numeric_bins
from mlwatch.stats.registry import register

EXACT_KS_MAX_N = 10_000


@dataclass(frozen=True, eq=False)
class DriftStatistic:
    """One drift statistic between a reference and a current sample."""

    name: str
    value: float
    p_value: float | None
    noise_floor: float
    n_reference: int
    n_current: int
    bins: Bins | None = None
    contributions: np.ndarray | None = None

    @property
    def above_noise(self) -> bool:
        """True when the value is beyond what sampling alone gives (95 % by default)."""
        return self.value > self.noise_floor


# ---------------------------------------------------------------- kernels on bins

def psi_from_bins(bins: Bins, *, smoothing: float = 0.5) -> tuple[float, np.ndarray]:
    """PSI and its per-bin contributions ``(q - p) ln(q / p)``.

    Bins empty on both sides contribute 0; a bin empty on one side counts ``smoothing``
    observations there.

    >>> b = Bins(("a", "b"), np.array([50, 50]), np.array([80, 20]), np.full(2, np.nan), np.full(2, np.nan))
    >>> value, contributions = psi_from_bins(b)
    >>> round(value, 4), contributions.round(4).tolist()
    (0.4159, [0.141, 0.2749])
    """
    if smoothing <= 0:
        raise ValueError("smoothing must be positive")
    ref = bins.reference.astype(float)
    cur = bins.current.astype(float)
    used = (ref + cur) > 0
    p = np.where(ref > 0, ref, smoothing) / max(ref.sum(), 1.0)
    q = np.where(cur > 0, cur, smoothing) / max(cur.sum(), 1.0)
    contributions = np.where(used, (q - p) * np.log(q / p), 0.0)
    return float(contributions.sum()), contributions


def _shares(bins: Bins) -> tuple[np.ndarray, np.ndarray]:
    ref, cur = bins.reference.astype(float), bins.current.astype(float)
    return ref / ref.sum(), cur / cur.sum()


def js_from_bins(bins: Bins) -> float:
    """Jensen-Shannon distance, base 2 (0 = same shares, 1 = disjoint)."""
    p, q = _shares(bins)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum()
    return float(np.sqrt(max((kl_p + kl_q) / 2, 0.0)))


def hellinger_from_bins(bins: Bins) -> float:
    """Hellinger distance ``sqrt(sum (sqrt p - sqrt q)**2 / 2)``, in [0, 1]."""
    p, q = _shares(bins)
    return float(np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2) / 2))


def chi2_from_bins(bins: Bins) -> tuple[float, int, float]:
    """Chi-square test of homogeneity on the 2 x B table: statistic, dof, p-value.

    Same numbers as ``scipy.stats.chi2_contingency(table, correction=False)`` once the
    bins empty on both sides are dropped.
    """
    from scipy import stats as _st
    b = bins.nonempty()
    table = np.vstack([b.reference, b.current]).astype(float)
    n_bins = table.shape[1]
    if n_bins < 2:
        return 0.0, 0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = n_bins - 1
    return statistic, dof, float(_st.chi2.sf(statistic, dof))


# -------------------------------------------------------- kernels on sorted values

def ks_wasserstein_sorted(sorted_reference: np.ndarray, sorted_current: np.ndarray) -> tuple[float, float]:
    """Exact two-sample KS statistic and (raw) Wasserstein-1 distance from sorted samples
    (see :mod:`mlwatch.stats.ecdf` for how they avoid a full merge).

    >>> ks_wasserstein_sorted(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    (0.3333333333333333, 1.0)
    """
    if sorted_reference.size == 0 or sorted_current.size == 0:
        raise MlwatchError("KS and Wasserstein need at least one finite value on each side")
    return ks_sorted(sorted_reference, sorted_current), wasserstein_sorted(sorted_reference, sorted_current)


def ks_p_value(statistic: float, sorted_reference: np.ndarray, sorted_current: np.ndarray) -> float:
    """Two-sided KS p-value: exact for small samples (scipy), asymptotic for large ones."""
    from scipy import stats as _st
    n, m = sorted_reference.size, sorted_current.size
    if max(n, m) <= EXACT_KS_MAX_N:
        with warnings.catch_warnings():  # scipy falls back to the asymptotic p-value itself
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
            return float(_st.ks_2samp(sorted_reference, sorted_current, method="auto").pvalue)
    root = np.sqrt(n * m / (n + m))
    # Kolmogorov's limit with Stephens' (1970) correction: within 0.3 % of scipy's kstwo for
    # p >= 0.01 and 3 % at p = 1e-8 at these sizes, in constant time (kstwo.sf can take a
    # second a call here: seen 0.8 s at n = 500,000, D = 0.003)
    return float(_st.kstwobign.sf((root + 0.12 + 0.11 / root) * statistic))


def wasserstein_scale(sorted_reference: np.ndarray, sorted_current: np.ndarray) -> float:
    """What the Wasserstein distance is divided by: the reference standard deviation
    (the pooled one when the reference is constant; 1 when both are the same constant)."""
    scale = float(np.std(sorted_reference))
    if scale == 0.0:
        scale = float(np.std(np.concatenate([sorted_reference, sorted_current])))
    return scale if scale > 0 else 1.0


# ------------------------------------------------------------- array-level tests

def finite_sorted(values) -> tuple[np.ndarray, int]:
    """The finite values, sorted, and how many were null, NaN or infinite."""
    arr = _as_float(values)
    finite = arr[np.isfinite(arr)]
    finite.sort()
    return finite, arr.size - finite.size


def _as_float(values) -> np.ndarray:
    if isinstance(values, pl.Series):
        if not values.dtype.is_numeric():
            raise MlwatchError(f"expected numeric values, got a {values.dtype} series {values.name!r}")
        return values.cast(pl.Float64).to_numpy()
    try:
        return np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as err:
        raise MlwatchError(f"expected numeric values: {err}") from None


def _is_numeric(values) -> bool:
    if isinstance(values, pl.Series):
        return values.dtype.is_numeric()
    arr = np.asarray(values)
    return arr.dtype.kind in "iuf"


def _bins_for(reference, current, kind: str, n_bins: int) -> Bins:
    kind = check_choice("kind", kind, ("auto", "numeric", "categorical"))
    if kind == "auto":
        kind = "numeric" if _is_numeric(reference) and _is_numeric(current) else "categorical"
    if kind == "numeric":
        sa, na = finite_sorted(reference)
        sb, nb = finite_sorted(current)
        if sa.size == 0:
            raise MlwatchError("the reference has no finite value to cut bins on")
        return numeric_bins(sa, sb, n_missing_reference=na, n_missing_current=nb, bins=n_bins)
    return categorical_bins(_as_series(reference), _as_series(current))


def _as_series(values) -> pl.Series:
    if isinstance(values, pl.Series):
        return values
    return pl.Series(values=list(np.asarray(values, dtype=object)), dtype=pl.String, strict=False)


def _binned_floor(name: str, bins: Bins) -> float:
    n_used = bins.nonempty().labels.__len__()
    floor = {"psi": noise.psi_noise_floor, "js": noise.js_noise_floor,
             "hellinger": noise.hellinger_noise_floor, "chi2": _chi2_floor}[name]
    return floor(bins.n_reference, bins.n_current, n_used)


def _chi2_floor(n_reference: int, n_current: int, n_bins: int) -> float:
    from scipy import stats as _st
    return float(_st.chi2.ppf(0.95, max(n_bins - 1, 1)))


def _binned(name: str, reference, current, kind: str, bins: int, smoothing: float) -> DriftStatistic:
    b = _bins_for(reference, current, kind, bins)
    if b.n_reference == 0 or b.n_current == 0:
        raise MlwatchError(f"{name} needs at least one value on each side")
    _, _, p_value = chi2_from_bins(b)
    contributions = None
    if name == "psi":
        value, contributions = psi_from_bins(b, smoothing=smoothing)
    elif name == "js":
        value = js_from_bins(b)
    elif name == "hellinger":
        value = hellinger_from_bins(b)
    else:
        value = chi2_from_bins(b)[0]
    return DriftStatistic(name, value, p_value, _binned_floor(name, b), b.n_reference, b.n_current,
                          bins=b, contributions=contributions)


@register("psi")
def psi(reference, current, *, kind: str = "auto", bins: int = 10, smoothing: float = 0.5) -> DriftStatistic:
    """Population Stability Index on reference-quantile bins (numeric) or categories.

    >>> rng = np.random.default_rng(0)
    >>> r = psi(rng.normal(size=5000), rng.normal(0.5, 1, size=5000))
    >>> round(r.value, 2), r.value > r.noise_floor
    (0.27, True)
    >>> psi(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value  # doctest: +NUMBER
    0.416
    """
    return _binned("psi", reference, current, kind, bins, smoothing)


@register("chi2")
def chi2(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Chi-square test of homogeneity on the PSI bins (statistic and p-value).

    >>> r = chi2(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20)
    >>> round(r.value, 2), r.p_value < 1e-4
    (19.78, True)
    """
    return _binned("chi2", reference, current, kind, bins, 0.5)


@register("js")
def js(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Jensen-Shannon distance (base 2) on the PSI bins.

    >>> round(js(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value, 4)
    0.2704
    """
    return _binned("js", reference, current, kind, bins, 0.5)


@register("hellinger")
def hellinger(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Hellinger distance on the PSI bins.

    >>> round(hellinger(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value, 4)
    0.2265
    """
    return _binned("hellinger", reference, current, kind, bins, 0.5)


def _sorted_pair(reference, current, name: str) -> tuple[np.ndarray, np.ndarray]:
    sa, _ = finite_sorted(reference)
    sb, _ = finite_sorted(current)
    if sa.size == 0 or sb.size == 0:
        raise MlwatchError(f"{name} needs at least one finite value on each side")
    return sa, sb


@register("ks")
def ks(reference, current) -> DriftStatistic:
    """Two-sample Kolmogorov-Smirnov statistic (exact) and p-value; nulls, NaN and inf left out.

    >>> r = ks([0.0, 1.0, 2.0, 3.0], [2.5, 3.5, 4.5, 5.5])
    >>> r.value, round(r.p_value, 4)
    (0.75, 0.2286)
    """
    sa, sb = _sorted_pair(reference, current, "ks")
    d, _ = ks_wasserstein_sorted(sa, sb)
    return DriftStatistic("ks", d, ks_p_value(d, sa, sb), noise.ks_noise_floor(sa.size, sb.size),
                          sa.size, sb.size)


@register("wasserstein")
def wasserstein(reference, current) -> DriftStatistic:
    """Wasserstein-1 distance divided by the reference standard deviation.

    >>> r = wasserstein([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(r.value, 4)    # moved by 1, the reference sd is 1.118
    0.8944
    """
    sa, sb = _sorted_pair(reference, current, "wasserstein")
    _, w = ks_wasserstein_sorted(sa, sb)
    scale = wasserstein_scale(sa, sb)
    return DriftStatistic("wasserstein", w / scale, None,
                          noise.wasserstein_noise_floor(sa, sb.size, scale), sa.size, sb.size)
