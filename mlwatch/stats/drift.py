"""Univariate drift statistics, reference before current.

Two layers: one :class:`FeatureSummary` per feature (the bins every binned statistic
shares and, for numbers, the sorted finite values), and the registered tests
(:mod:`mlwatch.stats.registry`) that read it: ``psi``, ``chi2``, ``js``, ``hellinger``,
``kl`` and ``tv`` on the bins, ``ks`` and ``wasserstein`` on the sorted values. Each
returns a :class:`DriftStatistic` with its value, p-value, noise floor and *expected*
value under no drift (the bias to take off before a reading is called material). The
functions of the same names run a test on two arrays.

Choices, each a keyword with this default:

* Empty bins: a bin empty on one side counts as ``max(smoothing / n, floor)`` of that side
  (``smoothing=0.5`` observations, ``floor=1e-4``) in PSI and KL, so they stay finite, one
  bin empty by chance in a small slice does not explode them, and at large n a category
  that only one side has weighs what it weighs with the other tools of the field (the 1e-4
  floor on shares), not ``log(2n)``.
* Jensen-Shannon is the distance (square root of the divergence) in base 2, in [0, 1].
* KL is ``KL(reference || current)`` in nats (``scipy.stats.entropy(p, q)``).
* Total variation is ``sum |q - p| / 2``: the share of rows that would have to change bin.
* Wasserstein is divided by the reference standard deviation: 0.1 means a tenth of a
  standard deviation whatever the unit, so features compare (Evidently's "normed" variant).
* The p-value of a binned test is the chi-square test of homogeneity on the same bins;
  KS has its own (exact below 10,000 values a side, as scipy's ``method='auto'``, else
  Kolmogorov's limit with Stephens' small-sample correction).
* The noise floor and the expected value under no drift of a binned statistic come from
  the null itself where a bin is sparse: 1,000 seeded draws of two multinomial samples of
  the two sizes from the pooled shares (:meth:`FeatureSummary.null`). The chi-square
  approximations in :mod:`mlwatch.stats.noise` agree with the draws where every bin is full
  (and are used there: the draws cost 0.2 s an audit at a million rows), and run hot where
  bins are sparse (a long-tailed categorical at n = 200: 9 % of runs above the Hellinger
  floor instead of 5 %, because a cell empty on one side doubles its Hellinger term).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from mlwatch.errors import MlwatchError, check_choice
from mlwatch.stats import noise
from mlwatch.stats.binning import Bins, categorical_bins, numeric_bins
from mlwatch.stats.ecdf import ks_sorted, wasserstein_sorted
from mlwatch.stats import tally
from mlwatch.stats.registry import register
from mlwatch.stats.tally import Tally, as_tally

# scipy's exact two-sample KS p-value up to this many values a side; beyond it Kolmogorov's
# limit with Stephens' correction, which at 5,000 a side reads p = 0.01 as 0.0102 and p = 1e-4
# as 0.96e-4 (checked against scipy's exact distribution), in constant time instead of 2 ms a
# column at 10,000 (a wide table pays that thousands of times)
EXACT_KS_MAX_N = 5_000
SHARE_FLOOR = 1e-4
HUGE = 1e150          # magnitude beyond which a column is rescaled before squares and differences
NULL_DRAWS = 1_000
NOISE_LEVEL = 0.95
SPARSE_COUNT = 50


@dataclass(frozen=True, eq=False)
class DriftStatistic:
    """One drift statistic between a reference and a current sample."""

    name: str
    value: float
    p_value: float | None
    noise_floor: float
    n_reference: int
    n_current: int
    expected: float = 0.0
    bins: Bins | None = None
    contributions: np.ndarray | None = None

    @property
    def above_noise(self) -> bool:
        """True when the value is beyond what sampling alone gives (95 % by default)."""
        return self.value > self.noise_floor

    @property
    def excess(self) -> float:
        """The value less its expectation under no drift: the debiased effect size."""
        return self.value - self.expected


@dataclass(frozen=True, eq=False)
class FeatureSummary:
    """One feature's two samples as the tests read them: the shared bins and, for a
    numeric feature, the sorted finite values of each side (None for categories)."""

    kind: str
    bins: Bins
    sorted_reference: np.ndarray | None = None
    sorted_current: np.ndarray | None = None

    @property
    def used_bins(self) -> int:
        """Bins holding a value on either side (the degrees of freedom plus one)."""
        return int(np.count_nonzero((self.bins.reference + self.bins.current) > 0))

    @cached_property
    def chi2(self) -> tuple[float, int, float]:
        """The chi-square test of homogeneity on the bins (statistic, dof, p-value), which
        every binned test reports as its p-value: computed once."""
        return chi2_from_bins(self.bins)

    @cached_property
    def _sparse(self) -> bool:
        """Whether a bin is sparse enough (under 50 expected rows on the smaller side) that
        the chi-square approximations of the null would be off."""
        b = self.bins.nonempty()
        n, m = b.n_reference, b.n_current
        pooled = b.reference + b.current
        return bool(n + m == 0 or (pooled * min(n, m) / (n + m)).min() < SPARSE_COUNT)

    @cached_property
    def _null_draws(self) -> tuple[np.ndarray, np.ndarray]:
        b = self.bins.nonempty()
        n, m = b.n_reference, b.n_current
        shares = (b.reference + b.current) / max(n + m, 1)
        rng = np.random.default_rng(20261201)
        return rng.multinomial(n, shares, size=NULL_DRAWS), rng.multinomial(m, shares, size=NULL_DRAWS)

    def null(self, name: str, *, smoothing: float = 0.5, floor: float = SHARE_FLOOR) -> tuple[float, float]:
        """The mean and the :data:`NOISE_LEVEL` quantile of the binned statistic ``name``
        when nothing changed: two multinomial samples of these sizes from the pooled shares,
        :data:`NULL_DRAWS` draws (seeded, so the same data gives the same floor); where
        every bin holds at least 50 expected rows, the chi-square approximations of
        :mod:`mlwatch.stats.noise`, which agree with the draws there."""
        key = ("_null", name, smoothing, floor)
        if key not in self.__dict__:
            if self._sparse:
                reference, current = self._null_draws
                values = _binned_statistic(name, reference, current, smoothing, floor)
                self.__dict__[key] = (float(values.mean()), float(np.quantile(values, NOISE_LEVEL)))
            else:
                self.__dict__[key] = _analytic_null(name, self.bins.nonempty())
        return self.__dict__[key]


def summarise(reference, current, *, kind: str = "auto", bins: int = 10) -> FeatureSummary:
    """The :class:`FeatureSummary` of two samples (arrays, lists or polars Series).

    ``kind`` is ``"numeric"``, ``"categorical"`` or ``"auto"`` (numeric when both are).
    """
    kind = check_choice("kind", kind, ("auto", "numeric", "categorical"))
    if kind == "auto":
        kind = "numeric" if _is_numeric(reference) and _is_numeric(current) else "categorical"
    if kind == "numeric":
        sa, na = finite_sorted(reference)
        sb, nb = finite_sorted(current)
        if sa.size == 0:
            raise MlwatchError("the reference has no finite value to cut bins on")
        b = numeric_bins(sa, sb, n_missing_reference=na, n_missing_current=nb, bins=bins)
        return FeatureSummary("numeric", b, sa, sb)
    return FeatureSummary("categorical", categorical_bins(_as_series(reference), _as_series(current)))


# ---------------------------------------------------------------- kernels on bins

def _smoothed_shares(bins: Bins, smoothing: float, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if smoothing <= 0:
        raise MlwatchError(f"smoothing must be positive, got {smoothing}")
    ref = bins.reference.astype(float)
    cur = bins.current.astype(float)
    n, m = max(ref.sum(), 1.0), max(cur.sum(), 1.0)
    p = np.where(ref > 0, ref / n, max(smoothing / n, floor))
    q = np.where(cur > 0, cur / m, max(smoothing / m, floor))
    return p, q, (ref + cur) > 0


def psi_from_bins(bins: Bins, *, smoothing: float = 0.5, floor: float = SHARE_FLOOR) -> tuple[float, np.ndarray]:
    """PSI and its per-bin contributions ``(q - p) ln(q / p)``.

    Bins empty on both sides contribute 0; a bin empty on one side counts
    ``max(smoothing / n, floor)`` of that side.

    >>> b = Bins(("a", "b"), np.array([50, 50]), np.array([80, 20]), np.full(2, np.nan), np.full(2, np.nan))
    >>> value, contributions = psi_from_bins(b)
    >>> round(value, 4), contributions.round(4).tolist()
    (0.4159, [0.141, 0.2749])
    """
    p, q, used = _smoothed_shares(bins, smoothing, floor)
    contributions = np.where(used, (q - p) * np.log(q / p), 0.0)
    return float(contributions.sum()), contributions


def carrying(contributions: np.ndarray, share: float = 0.8) -> np.ndarray:
    """Which bins carry the drift: the largest contributions that together make ``share``
    of the total (a boolean mask; all False when nothing contributes).

    >>> carrying(np.array([0.01, 0.5, 0.02, 0.3]), 0.8).tolist()
    [False, True, False, True]
    """
    contributions = np.asarray(contributions, dtype=float)
    top = np.zeros(contributions.size, dtype=bool)
    total = contributions.sum()
    if total <= 0:
        return top
    order = np.argsort(contributions)[::-1]
    cumulative = np.cumsum(contributions[order]) / total
    top[order[: int(np.searchsorted(cumulative, share) + 1)]] = True
    return top


def kl_from_bins(bins: Bins, *, smoothing: float = 0.5, floor: float = SHARE_FLOOR) -> float:
    """``KL(reference || current)`` in nats on the bins, empty bins smoothed as in PSI.

    >>> b = Bins(("a", "b"), np.array([50, 50]), np.array([80, 20]), np.full(2, np.nan), np.full(2, np.nan))
    >>> round(kl_from_bins(b), 4)       # scipy.stats.entropy([.5, .5], [.8, .2])
    0.2231
    """
    p, q, used = _smoothed_shares(bins, smoothing, floor)
    p, q = p[used] / p[used].sum(), q[used] / q[used].sum()
    return float(np.sum(p * np.log(p / q)))


def _shares(bins: Bins) -> tuple[np.ndarray, np.ndarray]:
    ref, cur = bins.reference.astype(float), bins.current.astype(float)
    return ref / max(ref.sum(), 1.0), cur / max(cur.sum(), 1.0)


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


def tv_from_bins(bins: Bins) -> float:
    """Total variation distance ``sum |q - p| / 2``, in [0, 1]."""
    p, q = _shares(bins)
    return float(np.abs(q - p).sum() / 2)


def chi2_from_bins(bins: Bins) -> tuple[float, int, float]:
    """Chi-square test of homogeneity on the 2 x B table: statistic, dof, p-value.

    Same numbers as ``scipy.stats.chi2_contingency(table, correction=False)`` once the
    bins empty on both sides are dropped.
    """
    from scipy import stats as _st
    b = bins.nonempty()
    table = np.vstack([b.reference, b.current]).astype(float)
    n_bins = table.shape[1]
    if n_bins < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = n_bins - 1
    return statistic, dof, float(_st.chi2.sf(statistic, dof))


def _analytic_null(name: str, bins: Bins) -> tuple[float, float]:
    """Mean and 95th percentile of a binned statistic under no drift, by the chi-square
    approximations (full bins only)."""
    n, m, used = bins.n_reference, bins.n_current, len(bins.labels)
    pooled = (bins.reference + bins.current) / max(n + m, 1)
    return {"psi": (noise.psi_expected(n, m, used), noise.psi_noise_floor(n, m, used)),
            "kl": (noise.kl_expected(n, m, used), noise.kl_noise_floor(n, m, used)),
            "js": (noise.js_expected(n, m, used), noise.js_noise_floor(n, m, used)),
            "hellinger": (noise.hellinger_expected(n, m, used), noise.hellinger_noise_floor(n, m, used)),
            "tv": (noise.tv_expected(pooled, n, m), noise.tv_noise_floor(n, m, used))}[name]


def _binned_statistic(name: str, reference: np.ndarray, current: np.ndarray, smoothing: float = 0.5,
                      floor: float = SHARE_FLOOR) -> np.ndarray:
    """A binned statistic on many pairs of histograms at once (rows of two count matrices)."""
    ref, cur = reference.astype(float), current.astype(float)
    n = np.maximum(ref.sum(axis=1, keepdims=True), 1.0)
    m = np.maximum(cur.sum(axis=1, keepdims=True), 1.0)
    p, q = ref / n, cur / m
    used = (ref + cur) > 0
    if name in ("psi", "kl"):
        ps = np.where(ref > 0, p, np.maximum(smoothing / n, floor))
        qs = np.where(cur > 0, q, np.maximum(smoothing / m, floor))
        if name == "psi":
            return np.where(used, (qs - ps) * np.log(qs / ps), 0.0).sum(axis=1)
        ps, qs = np.where(used, ps, 0.0), np.where(used, qs, 0.0)
        ps, qs = ps / ps.sum(axis=1, keepdims=True), qs / qs.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(used, ps * np.log(ps / qs), 0.0).sum(axis=1)
    if name == "js":
        mid = (p + q) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            div = (np.where(p > 0, p * np.log2(p / mid), 0.0) + np.where(q > 0, q * np.log2(q / mid), 0.0)).sum(axis=1)
        return np.sqrt(np.maximum(div / 2, 0.0))
    if name == "hellinger":
        return np.sqrt(((np.sqrt(p) - np.sqrt(q)) ** 2).sum(axis=1) / 2)
    if name == "tv":
        return np.abs(q - p).sum(axis=1) / 2
    raise MlwatchError(f"no binned statistic {name!r}")


def _binned(name: str, summary: FeatureSummary, value: float, contributions: np.ndarray | None = None,
            **options) -> DriftStatistic:
    b = summary.bins
    expected, floor = summary.null(name, **options)
    return DriftStatistic(name, value, summary.chi2[2], floor, b.n_reference, b.n_current, expected, b,
                          contributions)


def _sizes(summary: FeatureSummary, name: str) -> tuple[int, int, int]:
    n, m = summary.bins.n_reference, summary.bins.n_current
    if n == 0 or m == 0:
        raise MlwatchError(f"{name} needs at least one value on each side")
    return n, m, summary.used_bins


def psi_kernel(summary: FeatureSummary, *, smoothing: float = 0.5, floor: float = SHARE_FLOOR) -> DriftStatistic:
    _sizes(summary, "psi")
    value, contributions = psi_from_bins(summary.bins, smoothing=smoothing, floor=floor)
    return _binned("psi", summary, value, contributions, smoothing=smoothing, floor=floor)


def chi2_kernel(summary: FeatureSummary) -> DriftStatistic:
    n, m, used = _sizes(summary, "chi2")
    statistic, dof, p_value = summary.chi2
    dof = max(used - 1, 1)
    return DriftStatistic("chi2", statistic, p_value, noise._chi2_quantile(0.95, int(dof)), n, m, float(dof),
                          summary.bins)


def js_kernel(summary: FeatureSummary) -> DriftStatistic:
    _sizes(summary, "js")
    return _binned("js", summary, js_from_bins(summary.bins))


def hellinger_kernel(summary: FeatureSummary) -> DriftStatistic:
    _sizes(summary, "hellinger")
    return _binned("hellinger", summary, hellinger_from_bins(summary.bins))


def kl_kernel(summary: FeatureSummary, *, smoothing: float = 0.5, floor: float = SHARE_FLOOR) -> DriftStatistic:
    _sizes(summary, "kl")
    return _binned("kl", summary, kl_from_bins(summary.bins, smoothing=smoothing, floor=floor),
                   smoothing=smoothing, floor=floor)


def tv_kernel(summary: FeatureSummary) -> DriftStatistic:
    _sizes(summary, "tv")
    return _binned("tv", summary, tv_from_bins(summary.bins))


def _sorted_pair(summary: FeatureSummary, name: str) -> tuple[np.ndarray, np.ndarray]:
    sa, sb = summary.sorted_reference, summary.sorted_current
    if sa is None or sb is None:
        raise MlwatchError(f"{name} needs numeric values")
    if sa.size == 0 or sb.size == 0:
        raise MlwatchError(f"{name} needs at least one finite value on each side")
    return sa, sb


def _tallies(sa, sb) -> tuple[Tally, Tally] | None:
    """Both sides as tallies when either is one (a saved baseline, a summarised window)."""
    if isinstance(sa, Tally) or isinstance(sb, Tally):
        return as_tally(sa), as_tally(sb)
    return None


def ks_kernel(summary: FeatureSummary) -> DriftStatistic:
    sa, sb = _sorted_pair(summary, "ks")
    tallies = _tallies(sa, sb)
    d = ks_sorted(sa, sb) if tallies is None else tally.ks(*tallies)
    return DriftStatistic("ks", d, ks_p_value(d, sa, sb), noise.ks_noise_floor(sa.size, sb.size), sa.size, sb.size,
                          noise.ks_expected(sa.size, sb.size))


def wasserstein_kernel(summary: FeatureSummary) -> DriftStatistic:
    sa, sb = _sorted_pair(summary, "wasserstein")
    tallies = _tallies(sa, sb)
    if tallies is not None:
        sa, sb = tallies
        big = max(abs(sa.minimum), abs(sa.maximum), abs(sb.minimum), abs(sb.maximum))
    else:
        big = max(abs(sa[0]), abs(sa[-1]), abs(sb[0]), abs(sb[-1]))
    if big > HUGE:
        # differences and squares of values near 1e308 overflow; the distance in standard
        # deviations is the same in smaller units (a power of two: the rescale is exact)
        factor = 2.0 ** -np.ceil(np.log2(big))
        sa, sb = (sa * factor, sb * factor) if tallies is None else (sa.scaled(factor), sb.scaled(factor))
    scale = wasserstein_scale(sa, sb)
    value = (wasserstein_sorted(sa, sb) if tallies is None else tally.wasserstein(sa, sb)) / scale
    return DriftStatistic("wasserstein", value if np.isfinite(value) else float("inf"), None,
                          noise.wasserstein_noise_floor(sa, sb.size, scale), sa.size, sb.size,
                          noise.wasserstein_expected(sa, sb.size, scale))


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


def ks_p_value(statistic: float, sorted_reference, sorted_current) -> float:
    """Two-sided KS p-value: exact for small samples (scipy), asymptotic for large ones.
    The samples are sorted arrays or tallies."""
    from scipy import stats as _st
    n, m = sorted_reference.size, sorted_current.size
    if max(n, m) <= EXACT_KS_MAX_N:
        a, b = (v.expand() if isinstance(v, Tally) else v for v in (sorted_reference, sorted_current))
        with warnings.catch_warnings():  # scipy falls back to the asymptotic p-value itself
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
            return float(_st.ks_2samp(a, b, method="auto").pvalue)
    root = np.sqrt(n * m / (n + m))
    # Kolmogorov's limit with Stephens' (1970) correction: within 0.3 % of scipy's kstwo for
    # p >= 0.01 and 3 % at p = 1e-8 at these sizes, in constant time (kstwo.sf can take a
    # second a call here: seen 0.8 s at n = 500,000, D = 0.003)
    return float(_st.kstwobign.sf((root + 0.12 + 0.11 / root) * statistic))


def wasserstein_scale(sorted_reference, sorted_current) -> float:
    """What the Wasserstein distance is divided by: the reference standard deviation
    (the pooled one when the reference is constant; 1 when both are the same constant).
    The samples are sorted arrays or tallies."""
    tallies = _tallies(sorted_reference, sorted_current)
    with np.errstate(over="ignore", invalid="ignore"):
        if tallies is None:
            scale = float(np.std(sorted_reference))
            if scale == 0.0:
                scale = float(np.std(np.concatenate([sorted_reference, sorted_current])))
        else:
            scale = tallies[0].std()
            if scale == 0.0:
                scale = tallies[0].merge(tallies[1], points=np.iinfo(np.int64).max).std()
    return scale if scale > 0 and np.isfinite(scale) else 1.0


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


def _as_series(values) -> pl.Series:
    if isinstance(values, pl.Series):
        return values
    return pl.Series(values=list(np.asarray(values, dtype=object)), dtype=pl.String, strict=False)


@register("psi", kernel=psi_kernel)
def psi(reference, current, *, kind: str = "auto", bins: int = 10, smoothing: float = 0.5) -> DriftStatistic:
    """Population Stability Index on reference-quantile bins (numeric) or categories.

    >>> rng = np.random.default_rng(0)
    >>> r = psi(rng.normal(size=5000), rng.normal(0.5, 1, size=5000))
    >>> round(r.value, 2), r.value > r.noise_floor, round(r.expected, 4)
    (0.27, True, 0.0036)
    >>> psi(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value  # doctest: +NUMBER
    0.416
    """
    return psi_kernel(summarise(reference, current, kind=kind, bins=bins), smoothing=smoothing)


@register("chi2", kernel=chi2_kernel, p_column="chi2_p_value")
def chi2(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Chi-square test of homogeneity on the PSI bins (statistic and p-value).

    >>> r = chi2(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20)
    >>> round(r.value, 2), r.p_value < 1e-4
    (19.78, True)
    """
    return chi2_kernel(summarise(reference, current, kind=kind, bins=bins))


@register("js", kernel=js_kernel)
def js(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Jensen-Shannon distance (base 2) on the PSI bins.

    >>> round(js(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value, 4)
    0.2704
    """
    return js_kernel(summarise(reference, current, kind=kind, bins=bins))


@register("hellinger", kernel=hellinger_kernel)
def hellinger(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Hellinger distance on the PSI bins.

    >>> round(hellinger(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value, 4)
    0.2265
    """
    return hellinger_kernel(summarise(reference, current, kind=kind, bins=bins))


@register("kl", kernel=kl_kernel)
def kl(reference, current, *, kind: str = "auto", bins: int = 10, smoothing: float = 0.5) -> DriftStatistic:
    """Kullback-Leibler divergence ``KL(reference || current)`` (nats) on the PSI bins.

    >>> round(kl(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value, 4)
    0.2231
    """
    return kl_kernel(summarise(reference, current, kind=kind, bins=bins), smoothing=smoothing)


@register("tv", kernel=tv_kernel)
def tv(reference, current, *, kind: str = "auto", bins: int = 10) -> DriftStatistic:
    """Total variation distance on the PSI bins: the share of rows that changed bin.

    >>> tv(["a"] * 50 + ["b"] * 50, ["a"] * 80 + ["b"] * 20).value
    0.3
    """
    return tv_kernel(summarise(reference, current, kind=kind, bins=bins))


@register("ks", kernel=ks_kernel, kinds=("numeric",), p_column="ks_p_value")
def ks(reference, current) -> DriftStatistic:
    """Two-sample Kolmogorov-Smirnov statistic (exact) and p-value; nulls, NaN and inf left out.

    >>> r = ks([0.0, 1.0, 2.0, 3.0], [2.5, 3.5, 4.5, 5.5])
    >>> r.value, round(r.p_value, 4)
    (0.75, 0.2286)
    """
    return ks_kernel(summarise(reference, current, kind="numeric"))


@register("wasserstein", kernel=wasserstein_kernel, kinds=("numeric",))
def wasserstein(reference, current) -> DriftStatistic:
    """Wasserstein-1 distance divided by the reference standard deviation.

    >>> r = wasserstein([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(r.value, 4)    # moved by 1, the reference sd is 1.118
    0.8944
    """
    return wasserstein_kernel(summarise(reference, current, kind="numeric"))
