"""Data-quality checks, reference before current.

Each check returns a :class:`QualityCheck`: the value on each side, ``failed``, and a
sentence. A check fails only when the change is both material (a minimum share) and
beyond sampling noise (a one-sided test at ``alpha``), for the same reason the drift
decision needs both: small slices must not raise alarms, huge ones must not flag trifles.

Checks: ``null_rate``, ``non_finite`` (NaN/inf), ``out_of_range``, ``new_category``,
``missing_category``, ``type_change``, ``constant``, ``value_spike`` (one value's mass
jumped: a default or sentinel such as 0, -1, 999, or an imputed mean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SENTINELS = (0.0, -1.0, 999.0, -999.0, 9999.0, -9999.0, 99999.0, 1e9)
DEFAULT_LABELS = frozenset({"", "unknown", "other", "none", "null", "nan", "n/a", "na", "-1", "0", "default",
                            "missing", "?"})
CHECKS = ("null_rate", "non_finite", "out_of_range", "new_category", "missing_category",
          "type_change", "constant", "value_spike")


@dataclass(frozen=True)
class QualityCheck:
    feature: str
    check: str
    reference: float | str | None
    current: float | str | None
    failed: bool
    detail: str


def increase_p_value(k_reference: int, n_reference: int, k_current: int, n_current: int) -> float:
    """One-sided p-value that the current share ``k/n`` exceeds the reference one
    (pooled two-proportion z-test).

    >>> round(increase_p_value(10, 1000, 30, 1000), 5)
    0.0007
    >>> increase_p_value(0, 100, 0, 100)
    1.0
    """
    from scipy import stats as _st
    if n_reference == 0 or n_current == 0:
        return 1.0
    p1, p2 = k_reference / n_reference, k_current / n_current
    pooled = (k_reference + k_current) / (n_reference + n_current)
    if pooled in (0.0, 1.0):
        return 1.0
    z = (p2 - p1) / np.sqrt(pooled * (1 - pooled) * (1 / n_reference + 1 / n_current))
    return float(_st.norm.sf(z))


def null_rate(feature: str, n_null_reference: int, n_reference: int, n_null_current: int,
              n_current: int, *, min_rate: float = 0.01, alpha: float = 0.05) -> QualityCheck:
    """Fails when the current null rate exceeds ``min_rate`` and the reference's beyond noise.

    >>> null_rate("age", 0, 1000, 120, 1000).failed
    True
    >>> null_rate("age", 50, 1000, 55, 1000).failed    # 5.5 % vs 5 %: within noise
    False
    """
    ref, cur = _share(n_null_reference, n_reference), _share(n_null_current, n_current)
    p = increase_p_value(n_null_reference, n_reference, n_null_current, n_current)
    failed = cur > min_rate and p < alpha
    return QualityCheck(feature, "null_rate", ref, cur, failed,
                        f"null rate {ref:.2%} -> {cur:.2%} (p={p:.2g})")


def non_finite(feature: str, counts_reference: tuple[int, int], n_reference: int,
               counts_current: tuple[int, int], n_current: int, *, alpha: float = 0.05) -> QualityCheck:
    """NaN and +/-inf values (``counts`` = (n_nan, n_inf)); they are left out of KS and
    Wasserstein and counted in PSI's missing bin. Fails when the current has them and the
    reference had none, or had significantly fewer."""
    k_ref, k_cur = sum(counts_reference), sum(counts_current)
    ref, cur = _share(k_ref, n_reference), _share(k_cur, n_current)
    p = increase_p_value(k_ref, n_reference, k_cur, n_current)
    failed = k_cur > 0 and (k_ref == 0 or p < alpha)
    return QualityCheck(feature, "non_finite", ref, cur, failed,
                        f"current has {counts_current[0]} NaN and {counts_current[1]} inf "
                        f"(reference {counts_reference[0]} and {counts_reference[1]})")


def out_of_range(feature: str, sorted_reference: np.ndarray, sorted_current: np.ndarray, *,
                 min_share: float = 0.01, alpha: float = 0.05) -> QualityCheck:
    """Share of current values outside the reference's range *and* beyond Tukey's far-out
    fences (quartiles -/+ 3 interquartile ranges).

    The fences keep a season from failing it (September a few degrees cooler than any day
    of July is drift, not broken data), while a unit change, a sentinel far from the data
    or a corrupted feed lands far beyond them. With no drift a new value falls outside the
    range of n reference values with probability 2 / (n + 1); the check fails when the
    share is above ``min_share`` and significantly above that.

    >>> out_of_range("x", np.arange(100.0), np.arange(50.0, 150.0)).current    # within the fences
    0.0
    >>> out_of_range("x", np.arange(100.0), np.r_[np.arange(90.0), np.full(10, 6000.0)]).failed
    True
    """
    from scipy import stats as _st
    n, m = sorted_reference.size, sorted_current.size
    if n == 0 or m == 0:
        return QualityCheck(feature, "out_of_range", None, None, False, "no finite values to compare")
    q1, q3 = _sorted_quantile(sorted_reference, 0.25), _sorted_quantile(sorted_reference, 0.75)
    low = min(sorted_reference[0], q1 - 3 * (q3 - q1))
    high = max(sorted_reference[-1], q3 + 3 * (q3 - q1))
    below = int(np.searchsorted(sorted_current, low, side="left"))
    above = m - int(np.searchsorted(sorted_current, high, side="right"))
    share = (below + above) / m
    expected = 2 / (n + 1)
    p = float(_st.binom.sf(below + above - 1, m, expected))
    failed = share > min_share and p < alpha
    return QualityCheck(feature, "out_of_range", expected, share, failed,
                        f"{below} below {low:.4g} and {above} above {high:.4g} (the reference range "
                        f"{sorted_reference[0]:.4g} to {sorted_reference[-1]:.4g}, widened to the far-out fences)")


def _sorted_quantile(sorted_values: np.ndarray, q: float) -> float:
    """``numpy.quantile`` (linear) of an already sorted array, without another pass."""
    position = q * (sorted_values.size - 1)
    lo = int(np.floor(position))
    hi = min(lo + 1, sorted_values.size - 1)
    return float(sorted_values[lo] + (position - lo) * (sorted_values[hi] - sorted_values[lo]))


def new_categories(feature: str, reference_counts: dict, current_counts: dict, *,
                   min_share: float = 0.005, alpha: float = 0.05, max_listed: int = 5) -> QualityCheck:
    """Share of current rows whose category the reference never saw.

    Under no drift that share is about the Good-Turing missing mass of the reference
    (categories seen once / rows, with Esty's variance), so the rare categories of a long
    tail, unseen by chance, do not fail it; the check fails when the share is above
    ``min_share`` and 1.5 times that expectation, and beyond it (one-sided z-test).

    >>> new_categories("c", {"a": 50, "b": 50}, {"a": 40, "b": 40, "z": 20}).failed
    True
    """
    n, m = sum(reference_counts.values()), sum(current_counts.values())
    if m == 0 or n == 0:
        return QualityCheck(feature, "new_category", None, None, False, "no values to compare")
    new = {k: v for k, v in current_counts.items() if k not in reference_counts}
    share = sum(new.values()) / m
    singletons = sum(1 for v in reference_counts.values() if v == 1)
    doubletons = sum(1 for v in reference_counts.values() if v == 2)
    expected = singletons / n
    variance = (singletons * (1 - expected) + 2 * doubletons) / n**2 + share * (1 - share) / m
    failed = share > min_share and share >= 1.5 * expected and _above(share - expected, variance, alpha)
    listed = ", ".join(f"{k!s} ({v})" for k, v in sorted(new.items(), key=lambda kv: -kv[1])[:max_listed])
    detail = f"{len(new)} new categories, {share:.2%} of rows" + (f": {listed}" if listed else "")
    return QualityCheck(feature, "new_category", expected, share, failed, detail)


def missing_categories(feature: str, reference_counts: dict, current_counts: dict, *,
                       min_share: float = 0.005, alpha: float = 0.05, max_listed: int = 5) -> QualityCheck:
    """Reference categories absent from the current data, as a share of reference rows.

    A category seen c times in n reference rows is absent from m current rows by chance
    with probability about (n / (n + m))**c (the Poisson chance exp(-m p) averaged over
    p ~ Gamma(c, n), which keeps singletons from looking safer than they are); summed over
    categories that gives the share lost under no drift and its variance. The check fails
    when the share lost is at least ``min_share`` and 1.5 times that expectation, and
    beyond it (one-sided z-test).

    >>> missing_categories("c", {"a": 60, "b": 40}, {"a": 100}).failed
    True
    """
    n, m = sum(reference_counts.values()), sum(current_counts.values())
    if n == 0 or m == 0:
        return QualityCheck(feature, "missing_category", None, None, False, "no values to compare")
    lost = {k: v for k, v in reference_counts.items() if k not in current_counts}
    share = sum(lost.values()) / n
    counts = np.fromiter(reference_counts.values(), dtype=float)
    absent = (n / (n + m)) ** counts
    expected = float(np.sum(counts / n * absent))
    variance = float(np.sum((counts / n) ** 2 * absent * (1 - absent)))
    failed = share >= min_share and share >= 1.5 * expected and _above(share - expected, variance, alpha)
    listed = ", ".join(f"{k!s} ({v / n:.2%})" for k, v in sorted(lost.items(), key=lambda kv: -kv[1])[:max_listed])
    detail = f"{len(lost)} reference categories absent, {share:.2%} of reference rows" + (
        f": {listed}" if listed else "")
    return QualityCheck(feature, "missing_category", expected, share, failed, detail)


def _above(excess: float, variance: float, alpha: float) -> bool:
    """One-sided z-test that ``excess`` > 0 given its variance."""
    from scipy import stats as _st

    if excess <= 0:
        return False
    if variance <= 0:
        return True
    return float(_st.norm.sf(excess / np.sqrt(variance))) < alpha


def type_change(feature: str, reference_dtype: str, current_dtype: str, *, breaks: bool = True) -> QualityCheck:
    """The column's type differs between the two sides (intake made them comparable;
    the dtypes are in the detail). It fails when the change ``breaks`` what the values
    say (:meth:`mlwatch.data.Schema.type_change_breaks`); a storage change is noted.

    >>> type_change("age", "Int64", "String").detail
    'type Int64 -> String'
    >>> type_change("age", "Int64", "Float64", breaks=False).failed
    False
    """
    changed = reference_dtype != current_dtype
    detail = f"type {reference_dtype} -> {current_dtype}" if changed else f"type {reference_dtype}"
    if changed and not breaks:
        detail += " (same values, another storage type)"
    return QualityCheck(feature, "type_change", None, None, changed and breaks, detail)


def constant(feature: str, n_distinct_reference: int, n_distinct_current: int, n_current: int,
             value: str | None = None, *, min_rows: int = 10) -> QualityCheck:
    """Fails when the current column is frozen at one value and the reference was not
    (stale features). A reference that was constant too is noted, not failed."""
    failed = n_distinct_current == 1 and n_distinct_reference > 1 and n_current >= min_rows
    if n_distinct_current == 1:
        detail = f"current is constant at {value}" + (" (so was the reference)" if n_distinct_reference == 1 else "")
    else:
        detail = f"{n_distinct_current} distinct values (reference {n_distinct_reference})"
    return QualityCheck(feature, "constant", float(n_distinct_reference), float(n_distinct_current), failed, detail)


def distinct_count_sorted(sorted_values: np.ndarray) -> int:
    """Distinct values of a sorted array."""
    if sorted_values.size == 0:
        return 0
    return int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1])) + 1


def mode_sorted(sorted_values: np.ndarray) -> tuple[float, int]:
    """The most frequent value of a sorted array and its count (smallest value on ties).

    >>> mode_sorted(np.array([1.0, 2.0, 2.0, 3.0, 3.0, 3.0]))
    (3.0, 3)
    """
    if sorted_values.size == 0:
        raise ValueError("mode of an empty array")
    ends = np.flatnonzero(sorted_values[1:] != sorted_values[:-1])   # last index of each run but the final one
    bounds = np.concatenate([[-1], ends, [sorted_values.size - 1]])
    lengths = np.diff(bounds)
    best = int(np.argmax(lengths))
    return float(sorted_values[bounds[best + 1]]), int(lengths[best])


def _count_sorted(sorted_values: np.ndarray, value: float) -> int:
    return int(np.searchsorted(sorted_values, value, side="right") - np.searchsorted(sorted_values, value, side="left"))


def value_spike(feature: str, sorted_reference: np.ndarray, sorted_current: np.ndarray, *,
                sentinels=SENTINELS, min_increase: float = 0.05, alpha: float = 0.05) -> QualityCheck:
    """The single value whose share rose most: the current mode or a sentinel (0, -1, 999, ...).

    Fails when its share rose by at least ``min_increase`` (absolute), at least doubled,
    and the rise is beyond noise: the signature of a default or imputed value flooding in.
    A value that is not a sentinel must also hold twice the share of the reference's own
    most frequent value, so a coarse-grained column (temperatures read to a tenth of a
    degree, counts) does not fail because a new common value appeared.

    >>> rng = np.random.default_rng(0)
    >>> ref = np.sort(rng.normal(50, 10, 2000)); cur = np.sort(np.r_[rng.normal(50, 10, 1700), np.full(300, -1.0)])
    >>> check = value_spike("age", ref, cur)
    >>> check.failed, check.detail
    (True, 'value -1 holds 15.00% of current rows (reference 0.00%)')
    """
    n, m = sorted_reference.size, sorted_current.size
    if n == 0 or m == 0:
        return QualityCheck(feature, "value_spike", None, None, False, "no finite values to compare")
    sentinels = {float(v) for v in sentinels}
    candidates = set(sentinels)
    # no value can hold more than m - (distinct values) + 1 rows: skip the mode when that is small
    if m - distinct_count_sorted(sorted_current) + 1 >= min_increase * m:
        candidates.add(mode_sorted(sorted_current)[0])
    best = max(candidates, key=lambda v: _count_sorted(sorted_current, v) / m - _count_sorted(sorted_reference, v) / n)
    k_ref, k_cur = _count_sorted(sorted_reference, best), _count_sorted(sorted_current, best)
    ref, cur = k_ref / n, k_cur / m
    p = increase_p_value(k_ref, n, k_cur, m)
    failed = (cur - ref >= min_increase and cur >= 2 * ref and p < alpha
              and (best in sentinels or cur >= 2 * mode_sorted(sorted_reference)[1] / n))
    return QualityCheck(feature, "value_spike", ref, cur, failed,
                        f"value {best:.6g} holds {cur:.2%} of current rows (reference {ref:.2%})")


def category_spike(feature: str, reference_counts: dict, current_counts: dict, *,
                   min_increase: float = 0.05, alpha: float = 0.05) -> QualityCheck:
    """The category whose share rose most. Fails when it looks like a default (a label such
    as 'unknown', 'other', '', '-1', or a category the reference barely had, under 1 %)
    and its share rose by ``min_increase`` and at least doubled: a mix that moved between
    ordinary categories is drift, for the PSI to say, not broken data."""
    n, m = sum(reference_counts.values()), sum(current_counts.values())
    if n == 0 or m == 0 or not current_counts:
        return QualityCheck(feature, "value_spike", None, None, False, "no values to compare")
    best = max(current_counts, key=lambda k: current_counts[k] / m - reference_counts.get(k, 0) / n)
    k_ref, k_cur = reference_counts.get(best, 0), current_counts[best]
    ref, cur = k_ref / n, k_cur / m
    p = increase_p_value(k_ref, n, k_cur, m)
    looks_default = str(best).strip().lower() in DEFAULT_LABELS or ref < 0.01
    failed = cur - ref >= min_increase and cur >= 2 * ref and p < alpha and looks_default
    return QualityCheck(feature, "value_spike", ref, cur, failed,
                        f"category {best!s} holds {cur:.2%} of current rows (reference {ref:.2%})")


def _share(k: int, n: int) -> float:
    return k / n if n else 0.0
