"""Data-quality checks, reference before current.

Each check returns a :class:`QualityCheck`: the value on each side, a p-value, whether
the change is ``material``, ``failed``, and a sentence. A check fails only when the
change is both material (a minimum share) and beyond sampling noise, for the same reason
the drift decision needs both: small slices must not raise alarms, huge ones must not
flag trifles. Alone, a check tests at ``alpha``; the audit puts every check's p-value in
one Benjamini-Hochberg family with the drift tests and decides ``failed`` there.

The p-values are valid at every sample size: rates are compared with Fisher's exact
test (a z-test calls 3 nulls out of 200 against none significant; Fisher does not);
values beyond the reference's range are counted against their exact distribution under
exchangeability; a check that picks its value from the data (the value whose share rose
most) pays for the choice (Bonferroni over the candidates).

Checks: ``null_rate``, ``non_finite`` (NaN/inf), ``out_of_range``, ``new_category``,
``missing_category``, ``type_change``, ``constant``, ``value_spike`` (one value's mass
jumped: a default or sentinel such as 0, -1, 999, or an imputed mean), ``off_grid``
(values off the grid the reference lies on: whole numbers turning into fractions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlwatch.stats.tally import Tally, as_tally

SENTINELS = (0.0, -1.0, 999.0, -999.0, 9999.0, -9999.0, 99999.0, 1e9)
DEFAULT_LABELS = frozenset({"", "unknown", "other", "none", "null", "nan", "n/a", "na", "-1", "0", "default",
                            "missing", "?"})
#: checks whose failure is bad data (fix the data, then look again)
DATA_CHECKS = ("column_missing", "null_rate", "non_finite", "out_of_range", "new_category", "missing_category",
               "type_change")
#: checks whose failure says a pipeline wrote the values: stale, defaulted, re-scaled (skew)
PIPELINE_CHECKS = ("constant", "value_spike", "off_grid")
CHECKS = DATA_CHECKS + PIPELINE_CHECKS
GRIDS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.01)


@dataclass(frozen=True)
class QualityCheck:
    feature: str
    check: str
    reference: float | str | None
    current: float | str | None
    failed: bool
    detail: str
    p_value: float = 1.0
    material: bool = False


def increase_p_value(k_reference: int, n_reference: int, k_current: int, n_current: int) -> float:
    """One-sided p-value that the current share ``k/n`` exceeds the reference one:
    Fisher's exact test (the hypergeometric tail, ``scipy.stats.fisher_exact`` with
    ``alternative="less"`` on the 2 x 2 table).

    >>> round(increase_p_value(10, 1000, 30, 1000), 5)
    0.001
    >>> round(increase_p_value(0, 200, 3, 200), 3)      # a z-test says 0.04
    0.124
    >>> increase_p_value(0, 100, 0, 100)
    1.0
    """
    from scipy import stats as _st
    if n_reference == 0 or n_current == 0 or k_current == 0:
        return 1.0
    total = k_reference + k_current
    return float(min(1.0, _st.hypergeom.sf(k_current - 1, n_reference + n_current, total, n_current)))


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
    material = cur > min_rate and cur > ref
    return QualityCheck(feature, "null_rate", ref, cur, material and p < alpha,
                        f"null rate {ref:.2%} -> {cur:.2%} (p={p:.2g})", p, material)


def column_missing(feature: str, n_current: int) -> QualityCheck:
    """The column is gone from the current data: dropped or renamed upstream. Every row lost
    its value, which is no question of sampling (p = 0).

    >>> column_missing("age", 500).failed
    True
    """
    return QualityCheck(feature, "column_missing", 1.0, 0.0, True,      # the share of rows that have it
                        f"the column is missing from current, all {n_current:,} rows "
                        "(dropped or renamed upstream)", 0.0, True)


def non_finite(feature: str, counts_reference: tuple[int, int], n_reference: int,
               counts_current: tuple[int, int], n_current: int, *, min_share: float = 0.001,
               alpha: float = 0.05) -> QualityCheck:
    """NaN and +/-inf values (``counts`` = (n_nan, n_inf)); they are left out of KS and
    Wasserstein and counted in PSI's missing bin. Fails when their share rose above
    ``min_share`` and significantly.

    >>> non_finite("x", (0, 0), 1000, (0, 30), 1000).failed
    True
    """
    k_ref, k_cur = sum(counts_reference), sum(counts_current)
    ref, cur = _share(k_ref, n_reference), _share(k_cur, n_current)
    p = increase_p_value(k_ref, n_reference, k_cur, n_current)
    material = cur > min_share and cur > ref
    return QualityCheck(feature, "non_finite", ref, cur, material and p < alpha,
                        f"current has {counts_current[0]} NaN and {counts_current[1]} inf "
                        f"(reference {counts_reference[0]} and {counts_reference[1]})", p, material)


def out_of_range(feature: str, reference, current, *, min_share: float = 0.01, alpha: float = 0.05) -> QualityCheck:
    """Share of current values outside the reference's range *and* beyond Tukey's far-out
    fences (quartiles -/+ 3 interquartile ranges). ``reference`` and ``current`` are the
    finite values, sorted, or their :class:`~mlwatch.stats.tally.Tally`.

    The fences keep a season from failing it (September a few degrees cooler than any day
    of July is drift, not broken data), while a unit change, a sentinel far from the data
    or a corrupted feed lands far beyond them. The p-value is that of the count of current
    values beyond the reference's range under no drift (:func:`beyond_range_p_value`);
    the fences only make it conservative. The check fails when the share is above
    ``min_share`` and the count is significant.

    >>> out_of_range("x", np.arange(100.0), np.arange(50.0, 150.0)).current    # within the fences
    0.0
    >>> out_of_range("x", np.arange(100.0), np.r_[np.arange(90.0), np.full(10, 6000.0)]).failed
    True
    """
    a, b = as_tally(reference), as_tally(current)
    n, m = a.n, b.n
    if n == 0 or m == 0:
        return QualityCheck(feature, "out_of_range", None, None, False, "no finite values to compare")
    q1, q3 = (float(q) for q in a.quantile(np.array([0.25, 0.75])))
    low = min(a.minimum, q1 - 3 * (q3 - q1))
    high = max(a.maximum, q3 + 3 * (q3 - q1))
    below = int(b.count_lt(low))
    above = m - int(b.count_le(high))
    share = (below + above) / m
    expected = 2 / (n + 1)
    p = beyond_range_p_value(below + above, n, m)
    material = share > min_share
    return QualityCheck(feature, "out_of_range", expected, share, material and p < alpha,
                        f"{below} below {low:.4g} and {above} above {high:.4g} (the reference range "
                        f"{a.minimum:.4g} to {a.maximum:.4g}, widened to the far-out fences)",
                        p, material)


def beyond_range_p_value(k: int, n_reference: int, n_current: int) -> float:
    """P(at least ``k`` of ``n_current`` values fall outside the range of ``n_reference``
    values) when all come from one distribution.

    The values are exchangeable, so the chance that the ``j`` most extreme of the pooled
    sample at one end are all current is ``r(j) = (m)_j / (n + m)_j`` (falling factorials),
    whatever the distribution; summing over how the ``k`` split between the two ends gives
    ``(k + 1) r(k) - k r(k + 1)``. Counting each current value as an independent
    ``2 / (n + 1)`` chance (binomial) is wrong here: the values share one reference range,
    and at n = m = 200 three values beyond it happen a quarter of the time.

    >>> round(beyond_range_p_value(1, 1000, 1000), 3)      # one reference extreme is beaten: likely
    0.75
    >>> round(beyond_range_p_value(3, 200, 200), 3)
    0.312
    >>> beyond_range_p_value(40, 2000, 2000) < 1e-10
    True
    """
    from scipy.special import gammaln

    if k <= 0:
        return 1.0
    n, m = n_reference, n_current

    def r(j: int) -> float:
        if j > m:
            return 0.0
        return float(np.exp(gammaln(m + 1) - gammaln(m - j + 1) - gammaln(n + m + 1) + gammaln(n + m - j + 1)))

    return float(min(1.0, max(0.0, (k + 1) * r(k) - k * r(k + 1))))


def off_grid(feature: str, reference, current, *, min_share: float = 0.005, alpha: float = 0.05,
             reference_grid: tuple[float | None, int] | None = None) -> QualityCheck:
    """Share of current values off the grid every reference value lies on (whole numbers,
    halves, quarters, tenths, twentieths, hundredths: the coarsest that holds 99.9 % of
    them). A count divided upstream (minutes sent as hours), an age in months sent as
    years, a rounding removed: values that were whole turn into fractions, which a
    distribution test barely sees when they fall among the reference's values. Fails when
    the share off the grid rose by ``min_share``, at least doubled, and significantly
    (Fisher). Not applicable (p-value 1) when the reference lies on no grid.

    ``reference`` and ``current`` are the finite values, sorted, or their tallies;
    ``reference_grid`` the reference's (grid step, values off it) when they were counted
    before (a saved baseline's compressed tally keeps block means, on no grid).

    >>> ages = np.arange(18.0, 90.0).repeat(30)
    >>> off_grid("age", ages, np.sort(np.r_[ages[:2000], ages[2000:2100] / 60])).failed
    True
    >>> off_grid("age", ages, ages + 1).failed
    False
    """
    a, b = as_tally(reference), as_tally(current)
    n, m = a.n, b.n
    if n == 0 or m == 0:
        return QualityCheck(feature, "off_grid", None, None, False, "no finite values to compare")
    step, k_ref = reference_grid if reference_grid is not None else (grid_step(a), None)
    if step is None:
        return QualityCheck(feature, "off_grid", None, None, False, "the reference lies on no grid")
    if k_ref is None:
        k_ref = off_grid_count(a, step)
    k_cur = off_grid_count(b, step)
    ref, cur = k_ref / n, k_cur / m
    p = increase_p_value(k_ref, n, k_cur, m)
    material = cur - ref >= min_share and cur >= 2 * ref
    grid = "whole numbers" if step == 1.0 else f"multiples of {step:g}"
    return QualityCheck(feature, "off_grid", ref, cur, material and p < alpha,
                        f"{cur:.2%} of current values are off the grid of {grid} the reference lies on "
                        f"(reference {ref:.2%})", p, material)


def grid_step(values) -> float | None:
    """The coarsest of :data:`GRIDS` that holds 99.9 % of ``values`` (a sample of 10,000 of
    them, evenly spread in rank when ``values`` is a tally), or None.

    >>> grid_step(np.array([1.0, 2.0, 7.0])), grid_step(np.array([0.25, 1.75])), grid_step(np.array([np.pi]))
    (1.0, 0.25, None)
    """
    if isinstance(values, Tally):
        if values.n == 0:
            return None
        probe = values.at_rank(np.linspace(0, values.n - 1, min(values.n, 10_000)).astype(np.int64))
    else:
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None
        probe = values[np.linspace(0, values.size - 1, min(values.size, 10_000)).astype(np.int64)]
    # a glance first: when one in 64 spread values is off a grid, 99.9 % of them cannot be on it
    # (most columns of measurements are on none, and a wide table asks thousands of times)
    glance = probe[:: max(1, probe.size // 64)]
    return next((g for g in GRIDS if np.sum(~_on_grid(glance, g)) <= 1 and np.mean(_on_grid(probe, g)) >= 0.999),
                None)


def off_grid_count(values, step: float) -> int:
    """Values off the grid of ``step`` (sorted values or a tally), tested once per distinct
    value."""
    t = as_tally(values)
    return int(t.counts[~_on_grid(t.values, step)].sum())


def lattice_step(sorted_values: np.ndarray) -> float | None:
    """The grid a column's values lie on (:func:`grid_step`), or whole numbers when 99 % of
    them are (counts with a few stray fractions), else None."""
    return grid_step(sorted_values) or (1.0 if float(np.mean(sorted_values == np.round(sorted_values))) >= 0.99
                                        else None)


def off_grid_mask(values: np.ndarray, step: float) -> np.ndarray:
    """Per value: finite and off the grid of ``step``."""
    values = np.asarray(values, dtype=float)
    return np.isfinite(values) & ~_on_grid(values, step)


def on_grid_steps(values: np.ndarray, step: float) -> np.ndarray:
    """``values`` counted in steps of the grid, those on it snapped to whole numbers
    (0.03 / 0.01 is 2.9999999999999996 in floating point).

    >>> on_grid_steps(np.array([0.03, 0.0254, 1.5]), 0.01).tolist()
    [3.0, 2.54, 150.0]
    """
    scaled = np.asarray(values, dtype=float) / step
    return np.where(_on_grid(values, step), np.round(scaled), scaled)


def _on_grid(values: np.ndarray, step: float) -> np.ndarray:
    scaled = values / step
    return np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))


def new_categories(feature: str, reference_counts: dict, current_counts: dict, *,
                   min_share: float = 0.005, alpha: float = 0.05, max_listed: int = 5) -> QualityCheck:
    """Share of current rows whose category the reference never saw.

    Under no drift, a category that the two sides hold ``c`` times together has all ``c``
    rows on the current side with the hypergeometric chance ``C(m, c) / C(n + m, c)``: the
    long tail of rare categories is "new" by chance, a category in hundreds of current rows
    is not. The p-value is the chance that categories absent from the reference hold this
    many current rows (:func:`one_sided_mass_p_value`); the check fails when their share is
    above ``min_share`` and 1.5 times its expectation, and significant.

    >>> new_categories("c", {"a": 50, "b": 50}, {"a": 40, "b": 40, "z": 20}).failed
    True
    >>> new_categories("c", {"a": 95, "b": 4, "x": 1}, {"a": 95, "b": 4, "y": 1}).failed     # the long tail
    False
    """
    n, m = sum(reference_counts.values()), sum(current_counts.values())
    if m == 0 or n == 0:
        return QualityCheck(feature, "new_category", None, None, False, "no values to compare")
    new = {k: v for k, v in current_counts.items() if k not in reference_counts}
    share = sum(new.values()) / m
    pooled = np.fromiter((reference_counts.get(k, 0) + current_counts.get(k, 0)
                          for k in set(reference_counts) | set(current_counts)), dtype=np.int64)
    p, expected = one_sided_mass_p_value(pooled, n, m, sum(new.values()))
    material = share > min_share and share >= 1.5 * expected / m
    listed = ", ".join(f"{k!s} ({v})" for k, v in sorted(new.items(), key=lambda kv: -kv[1])[:max_listed])
    detail = f"{len(new)} new categories, {share:.2%} of rows" + (f": {listed}" if listed else "")
    return QualityCheck(feature, "new_category", expected / m, share, material and p < alpha, detail, p, material)


def missing_categories(feature: str, reference_counts: dict, current_counts: dict, *,
                       min_share: float = 0.005, alpha: float = 0.05, max_listed: int = 5) -> QualityCheck:
    """Reference categories absent from the current data, as a share of reference rows.

    The mirror of :func:`new_categories`: the chance that categories absent from the
    current side hold this many reference rows when nothing changed. The check fails when
    the share lost is at least ``min_share`` and 1.5 times its expectation, and significant.

    >>> missing_categories("c", {"a": 60, "b": 40}, {"a": 100}).failed
    True
    >>> missing_categories("c", {"a": 190, "b": 3, "c": 7}, {"a": 197, "c": 3}).failed   # about 0.5**3: chance
    False
    """
    n, m = sum(reference_counts.values()), sum(current_counts.values())
    if n == 0 or m == 0:
        return QualityCheck(feature, "missing_category", None, None, False, "no values to compare")
    lost = {k: v for k, v in reference_counts.items() if k not in current_counts}
    share = sum(lost.values()) / n
    pooled = np.fromiter((reference_counts.get(k, 0) + current_counts.get(k, 0)
                          for k in set(reference_counts) | set(current_counts)), dtype=np.int64)
    p, expected = one_sided_mass_p_value(pooled, m, n, sum(lost.values()))
    material = share >= min_share and share >= 1.5 * expected / n
    listed = ", ".join(f"{k!s} ({v / n:.2%})" for k, v in sorted(lost.items(), key=lambda kv: -kv[1])[:max_listed])
    detail = f"{len(lost)} reference categories absent, {share:.2%} of reference rows" + (
        f": {listed}" if listed else "")
    return QualityCheck(feature, "missing_category", expected / n, share, material and p < alpha, detail, p, material)


def one_sided_mass_p_value(pooled_counts: np.ndarray, n_without: int, n_with: int, observed: int,
                           *, negligible: float = 1e-15) -> tuple[float, float]:
    """The chance, when nothing changed, that the categories with *no* row on one side (of
    ``n_without`` rows) hold at least ``observed`` rows on the other (of ``n_with``), and
    the expected number of such rows.

    Given the pooled counts ``c_k``, the rows are dealt to the sides at random: category
    ``k`` is all on one side with the hypergeometric chance ``pi_k = C(n_with, c_k) /
    C(n_without + n_with, c_k)``, and the rows held by categories all on that side are
    ``sum c_k I_k`` with ``I_k`` ~ Bernoulli(``pi_k``), nearly independent. Its exact tail
    comes from one convolution per category whose ``pi_k`` is not negligible (capped at
    ``observed``); the others, by the union bound, add at most the sum of their ``pi_k``.

    >>> p, expected = one_sided_mass_p_value(np.array([190, 7, 3]), 200, 200, 7)
    >>> round(p, 4), round(expected, 3)          # the 7 rows of "b" all on one side, about 0.5 ** 7
    (0.0074, 0.424)
    """
    from scipy.special import gammaln

    c = np.asarray(pooled_counts, dtype=np.int64)
    c = c[c > 0]
    total = n_without + n_with
    with np.errstate(invalid="ignore"):
        log_pi = np.where(c <= n_with, gammaln(n_with + 1) - gammaln(n_with - c + 1) - gammaln(total + 1)
                          + gammaln(total - c + 1), -np.inf)
    pi = np.exp(log_pi)
    expected = float(np.sum(c * pi))
    if observed <= 0:
        return 1.0, expected
    kept = pi > negligible
    bound = float(pi[~kept].sum())
    weights, chances = c[kept], pi[kept]
    if weights.sum() < observed:
        return float(min(1.0, bound)), expected
    probs = np.zeros(observed + 1)
    probs[0] = 1.0
    for w, chance in zip(weights, chances):
        moved = np.zeros_like(probs)
        if w >= observed:
            moved[observed] = probs.sum()
        else:
            moved[w:observed] = probs[:observed - w]
            moved[observed] = probs[observed - w:].sum()
        probs = (1 - chance) * probs + chance * moved
    return float(min(1.0, probs[observed] + bound)), expected


def _excess_p_value(excess: float, variance: float) -> float:
    """One-sided z-test p-value that ``excess`` > 0 given its variance."""
    from scipy import stats as _st

    if excess <= 0:
        return 1.0
    if variance <= 0:
        return 0.0
    return float(_st.norm.sf(excess / np.sqrt(variance)))


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
    failed = changed and breaks            # a fact, not a sample: its p-value is 0 or 1
    return QualityCheck(feature, "type_change", None, None, failed, detail, 0.0 if failed else 1.0, failed)


def constant(feature: str, n_distinct_reference: int, n_distinct_current: int, n_current: int,
             value: str | None = None, *, min_rows: int = 10, reference_mode_share: float | None = None,
             alpha: float = 0.05) -> QualityCheck:
    """Fails when the current column is frozen at one value and the reference was not
    (stale features). A reference that was constant too is noted, not failed.

    Under no drift, ``m`` current values are all one value with probability about
    ``s ** m`` for the reference's most common value's share ``s`` (``reference_mode_share``;
    without it the check is taken as certain): a column that is 0 in 90 % of rows is
    constant across 20 rows 12 % of the time.

    >>> constant("x", 5, 1, 20, "0", reference_mode_share=0.9).failed
    False
    >>> constant("x", 5, 1, 200, "0", reference_mode_share=0.9).failed
    True
    """
    material = n_distinct_current == 1 and n_distinct_reference > 1 and n_current >= min_rows
    if not material:
        p = 1.0
    elif reference_mode_share is None:
        p = 0.0
    else:
        p = float(min(1.0, reference_mode_share ** n_current))
    if n_distinct_current == 1:
        detail = f"current is constant at {value}" + (" (so was the reference)" if n_distinct_reference == 1 else "")
    else:
        detail = f"{n_distinct_current} distinct values (reference {n_distinct_reference})"
    return QualityCheck(feature, "constant", float(n_distinct_reference), float(n_distinct_current),
                        material and p < alpha, detail, p, material)


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


def rising_value(reference, current) -> tuple[float, float]:
    """The value whose share rose most from the reference to the current (sorted arrays or
    tallies), and by how much.

    >>> rising_value(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 3.0, 3.0, 3.0]))
    (3.0, 0.5)
    """
    a, b = as_tally(reference), as_tally(current)
    gain = b.counts / b.n - a.count_at(b.values) / a.n
    best = int(np.argmax(gain))
    return float(b.values[best]), float(gain[best])


def spiked_value(reference, current, *, sentinels=SENTINELS, min_share: float = 0.01) -> float:
    """The value :func:`value_spike` reads: of the sentinels and the value whose share rose
    most (when any value can hold ``min_share`` of the current rows), the one that gained most.

    >>> spiked_value(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 3.0, 3.0, 3.0]), min_share=0.5)
    3.0
    """
    a, b = as_tally(reference), as_tally(current)
    candidates = {float(v) for v in sentinels}
    # no value can hold more than m - (distinct values) + 1 rows: skip the search when that is small
    if b.n and b.n - b.distinct + 1 >= min_share * b.n:
        candidates.add(rising_value(a, b)[0])
    ordered = sorted(candidates)
    gains = b.count_at(ordered) / max(b.n, 1) - a.count_at(ordered) / max(a.n, 1)
    return ordered[int(np.argmax(gains))]


def value_spike(feature: str, reference, current, *, sentinels=SENTINELS, min_increase: float = 0.05,
                min_pile: float = 0.01, alpha: float = 0.05) -> QualityCheck:
    """The single value whose share rose most: the current mode or a sentinel (0, -1, 999, ...).

    Fails when its share rose, at least doubled, and the rise is beyond noise: a sentinel
    (often a legitimate value too: calm wind is 0) by ``min_increase`` (absolute, 5 %); any
    other value by ``min_pile`` (1 %) when it also holds twice the share of the reference's
    own most frequent value, so a coarse-grained column (temperatures read to a tenth of a
    degree, counts) does not fail because a new common value appeared. That catches a
    default or imputed value flooding in, a cap piling values on a bound and a frozen sensor
    repeating one reading, even in one slice (a few per cent of the rows: a pile no decile
    test sees). ``reference`` and ``current`` are the finite values, sorted, or their tallies
    (a compressed tally keeps every sentinel and every value holding a block's worth of
    rows exactly: the counts this check reads).

    >>> rng = np.random.default_rng(0)
    >>> ref = np.sort(rng.normal(50, 10, 2000)); cur = np.sort(np.r_[rng.normal(50, 10, 1700), np.full(300, -1.0)])
    >>> check = value_spike("age", ref, cur)
    >>> check.failed, check.detail
    (True, 'value -1 holds 15.00% of current rows (reference 0.00%)')
    """
    a, b = as_tally(reference), as_tally(current)
    n, m = a.n, b.n
    if n == 0 or m == 0:
        return QualityCheck(feature, "value_spike", None, None, False, "no finite values to compare")
    sentinels = {float(v) for v in sentinels}
    best = spiked_value(a, b, sentinels=sentinels, min_share=min(min_increase, min_pile))
    k_ref, k_cur = int(a.count_at(best)), int(b.count_at(best))
    ref, cur = k_ref / n, k_cur / m
    # the value was picked as the one whose share rose most: pay for every value it could have been
    chances = len(sentinels) + (b.repeats() if best not in sentinels else 0)
    p = min(1.0, increase_p_value(k_ref, n, k_cur, m) * chances)
    if best in sentinels:
        material = cur - ref >= min_increase and cur >= 2 * ref
    else:
        material = cur - ref >= min_pile and cur >= 2 * ref and cur >= 2 * a.mode()[1] / n
    return QualityCheck(feature, "value_spike", ref, cur, material and p < alpha,
                        f"value {best:.6g} holds {cur:.2%} of current rows (reference {ref:.2%})", p, material)


def category_spike(feature: str, reference_counts: dict, current_counts: dict, *,
                   min_increase: float = 0.05, alpha: float = 0.05) -> QualityCheck:
    """The category of the reference whose share rose most. Fails when it looks like a
    default (a label such as 'unknown', 'other', '', '-1', or a category the reference
    barely had, under 1 %) and its share rose by ``min_increase`` and at least doubled: a mix
    that moved between ordinary categories is drift, for the PSI to say, not broken data; a
    code the reference never had is a new category, for ``new_categories`` to say."""
    n, m = sum(reference_counts.values()), sum(current_counts.values())
    if n == 0 or m == 0 or not current_counts:
        return QualityCheck(feature, "value_spike", None, None, False, "no values to compare")
    known = [k for k in current_counts if k in reference_counts]     # a code the reference never had is new_category's
    if not known:
        return QualityCheck(feature, "value_spike", None, None, False, "no category of the reference to compare")
    best = max(known, key=lambda k: current_counts[k] / m - reference_counts.get(k, 0) / n)
    k_ref, k_cur = reference_counts.get(best, 0), current_counts[best]
    ref, cur = k_ref / n, k_cur / m
    p = min(1.0, increase_p_value(k_ref, n, k_cur, m) * len(known))      # picked among them all
    looks_default = str(best).strip().lower() in DEFAULT_LABELS or ref < 0.01
    material = cur - ref >= min_increase and cur >= 2 * ref and looks_default
    return QualityCheck(feature, "value_spike", ref, cur, material and p < alpha,
                        f"category {best!s} holds {cur:.2%} of current rows (reference {ref:.2%})", p, material)


def _share(k: int, n: int) -> float:
    return k / n if n else 0.0
