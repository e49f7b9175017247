"""Bins shared by the binned drift statistics (PSI, chi-square, Jensen-Shannon, Hellinger).

Numeric features are cut at the reference's quantiles; the outer bins are open-ended,
so a live value beyond the reference range still lands in a bin (the first or the
last). Categorical features get one bin per category common enough in the two sides
pooled, one for the rare categories together (a category the reference never saw is
rare or common by the same rule as any other: the bins must not depend on which side a
value came from, or the tests on them lose their nominal rates), and one for missing
values. Numeric features have a missing bin too: nulls, NaN and +/-inf all go there.

A :class:`Bins` holds counts only, which is what a saved baseline keeps and what two
partitions' summaries add up to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

MISSING = "(missing)"
RARE = "(rare)"


@dataclass(frozen=True, eq=False)
class Bins:
    """Counts of reference and current values in the same bins.

    ``lower``/``upper`` bound the numeric bins (right-closed: ``lower < x <= upper``);
    they are NaN for categorical bins and for the missing bin.
    """

    labels: tuple[str, ...]
    reference: np.ndarray
    current: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def n_reference(self) -> int:
        return int(self.reference.sum())

    @property
    def n_current(self) -> int:
        return int(self.current.sum())

    def nonempty(self) -> "Bins":
        """The bins where either side has a value (empty-in-both bins carry no information)."""
        keep = (self.reference + self.current) > 0
        return Bins(
            tuple(label for label, k in zip(self.labels, keep) if k),
            self.reference[keep], self.current[keep], self.lower[keep], self.upper[keep],
        )


def codes(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The bin of each value under interior ``edges``: bin ``i`` is ``(edges[i-1], edges[i]]``
    (the first open below, bin ``len(edges)`` open above); non-finite values (NaN, missing)
    go to bin ``len(edges) + 1``. The encoding every reference-quantile cut shares.

    >>> codes(np.array([0.0, 3.25, 4.0, 99.0, np.nan]), np.array([3.25, 5.5, 7.75]))
    array([0, 0, 1, 3, 4])
    """
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), np.searchsorted(edges, values, side="left"), edges.size + 1).astype(np.int64)


def quantile_edges(sorted_reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """Interior bin edges at the reference's quantiles 1/bins, ..., (bins-1)/bins.

    Linear interpolation as ``numpy.quantile``; tied quantiles collapse into one edge, so
    a column that is mostly zeros gets fewer, wider bins instead of empty ones.

    >>> quantile_edges(np.arange(1.0, 11.0), bins=4)
    array([3.25, 5.5 , 7.75])
    >>> quantile_edges(np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0]), bins=3)
    array([0.        , 0.33333333])
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    n = sorted_reference.size
    if n == 0:
        raise ValueError("cannot cut bins on an empty reference")
    position = np.arange(1, bins) / bins * (n - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = position - lo
    # a weighted mean of the two neighbours, not lo + frac * (hi - lo): the difference of
    # -1e308 and 1e308 overflows; equal neighbours stay exactly themselves
    a, b = sorted_reference[lo], sorted_reference[hi]
    edges = np.where(a == b, a, (1 - frac) * a + frac * b)
    return np.unique(edges)


def counts_in_bins(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values`` fall in each right-closed bin ``(e[i-1], e[i]]``.

    There are ``len(edges) + 1`` bins; the first and last are open-ended.

    >>> counts_in_bins(np.array([0.5, 1.0, 1.5, 9.0]), np.array([1.0, 2.0]))
    array([2, 1, 1])
    """
    cuts = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(cuts, prepend=0, append=sorted_values.size)


def numeric_bins(sorted_reference: np.ndarray, sorted_current: np.ndarray, *,
                 n_missing_reference: int = 0, n_missing_current: int = 0,
                 bins: int = 10, edges: np.ndarray | None = None) -> Bins:
    """Bins for a numeric feature from the finite values of both sides, sorted.

    >>> b = numeric_bins(np.arange(10.0), np.arange(10.0) + 5, bins=2, n_missing_current=1)
    >>> b.labels
    ('(-inf, 4.5]', '(4.5, +inf)', '(missing)')
    >>> b.reference.tolist(), b.current.tolist()
    ([5, 5, 0], [0, 10, 1])
    """
    if edges is None:
        edges = quantile_edges(sorted_reference, bins)
    bounds = np.concatenate([[-np.inf], edges, [np.inf]])
    labels = [f"({_fmt(a)}, {_fmt(b)}]" for a, b in zip(bounds[:-2], bounds[1:-1])]
    labels.append(f"({_fmt(bounds[-2])}, +inf)")
    labels.append(MISSING)
    reference = np.append(counts_in_bins(sorted_reference, edges), n_missing_reference)
    current = np.append(counts_in_bins(sorted_current, edges), n_missing_current)
    return Bins(tuple(labels), reference.astype(np.int64), current.astype(np.int64),
                np.append(bounds[:-1], np.nan), np.append(bounds[1:], np.nan))


def categorical_bins(reference: pl.Series, current: pl.Series, *, min_expected: float = 5.0) -> Bins:
    """Bins for a categorical feature: one per category common enough to test on its own,
    one for the rare ones together, one for missing values (see
    :func:`bins_from_category_counts`).

    >>> b = categorical_bins(pl.Series(["a"] * 30 + ["b"] * 20 + ["x"]), pl.Series(["a"] * 25 + ["b"] * 20 + ["z", None]))
    >>> b.labels, b.reference.tolist(), b.current.tolist()
    (('a', 'b', '(rare)', '(missing)'), [30, 20, 1, 0], [25, 20, 1, 1])
    """
    ref_counts, cur_counts = category_counts(reference, current)
    return bins_from_category_counts(ref_counts, cur_counts, reference.null_count(), current.null_count(),
                                     min_expected=min_expected)


def bins_from_category_counts(reference_counts: dict, current_counts: dict, n_missing_reference: int = 0,
                              n_missing_current: int = 0, *, min_expected: float = 5.0) -> Bins:
    """Bins from the value counts of :func:`category_counts` and the null counts.

    The bins are chosen from the *pooled* counts, symmetric in the two sides, so that
    choosing them does not bias the tests run on them: a category gets a bin of its own
    when its expected count on the smaller side is at least ``min_expected`` (the usual
    condition for the chi-square approximation, which the PSI, JS, Hellinger and KL noise
    floors rest on too); the others share the bin ``(rare)``. A category that only the
    current side has, in many rows, thus keeps a bin of its own (with no reference rows:
    the drift is plain to every test), while the long tail of categories each side sees a
    handful of times by chance is compared as one bin. Bins come most frequent first
    (pooled), ties by value.
    """
    values = list(dict.fromkeys([*reference_counts, *current_counts]))
    ref = np.fromiter((reference_counts.get(v, 0) for v in values), dtype=np.int64, count=len(values))
    cur = np.fromiter((current_counts.get(v, 0) for v in values), dtype=np.int64, count=len(values))
    n = int(ref.sum()) + n_missing_reference
    m = int(cur.sum()) + n_missing_current
    pooled = ref + cur
    smaller = min(n, m) / (n + m) if n + m else 0.0
    own = pooled * smaller >= min_expected
    order = sorted(np.flatnonzero(own), key=lambda i: (-pooled[i], values[i]))
    labels = [values[i] for i in order]
    ref_bins, cur_bins = [ref[order]], [cur[order]]
    if not own.all():
        labels.append(RARE)
        ref_bins.append([int(ref[~own].sum())])
        cur_bins.append([int(cur[~own].sum())])
    labels.append(MISSING)
    ref_bins.append([n_missing_reference])
    cur_bins.append([n_missing_current])
    nan = np.full(len(labels), np.nan)
    return Bins(tuple(labels), np.concatenate(ref_bins).astype(np.int64), np.concatenate(cur_bins).astype(np.int64),
                nan, nan.copy())


def category_counts(reference: pl.Series, current: pl.Series) -> tuple[dict[str, int], dict[str, int]]:
    """Value counts of each side as ``{category: count}`` (text), nulls left out, most
    frequent first (ties by value, so the order is reproducible).

    Categorical columns are counted on their codes with ``numpy.bincount`` (no query per
    column: at a few thousand rows a polars query's fixed cost is what an audit spends).

    >>> category_counts(pl.Series(["b", "a", "b", None]), pl.Series(["a"], dtype=pl.Categorical))
    ({'b': 2, 'a': 1}, {'a': 1})
    """
    return _counts(reference), _counts(current)


def _counts(series: pl.Series) -> dict[str, int]:
    if isinstance(series.dtype, (pl.Categorical, pl.Enum)):
        codes = series.to_physical().drop_nulls().to_numpy().astype(np.int64)
        counts = np.bincount(codes) if codes.size else np.zeros(0, np.int64)
        distinct = series.drop_nulls().unique()           # the few values present, with their codes
        pairs = zip(distinct.cast(pl.String).to_list(), counts[distinct.to_physical().to_numpy()].tolist())
    else:
        counted = series.drop_nulls().value_counts()
        pairs = zip(counted[counted.columns[0]].cast(pl.String).to_list(), counted["count"].to_list())
    return dict(sorted(((str(k), int(v)) for k, v in pairs), key=lambda kv: (-kv[1], kv[0])))


def _fmt(x: float) -> str:
    if np.isinf(x):
        return "-inf" if x < 0 else "+inf"
    return f"{x:.4g}"


def reference_codes(reference: pl.Series, current: pl.Series, kind: str,
                    bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bin of every value of each side and each bin's share of the reference (half a
    value added to every bin, so a bin the reference never fills is rare, not impossible).
    Numbers (``kind="numeric"``) are cut at the reference's quantiles, non-finite values in
    a bin of their own; categories are their own bins, missing values one more.

    >>> ref, cur, shares = reference_codes(pl.Series(["a", "a", "b", None]), pl.Series(["a", "c"]), "categorical")
    >>> ref.tolist(), cur.tolist(), shares.round(3).tolist()      # (missing) sorts first; c unseen
    ([1, 1, 2, 0], [1, 3], [0.25, 0.417, 0.25, 0.083])
    """
    if kind == "numeric":
        a, b = reference.cast(pl.Float64).to_numpy(), current.cast(pl.Float64).to_numpy()
        sorted_ref = np.sort(a[np.isfinite(a)])
        edges = quantile_edges(sorted_ref, bins) if sorted_ref.size else np.zeros(0)
        code_ref, code_cur = codes(a, edges), codes(b, edges)
    else:
        both = pl.concat([reference.cast(pl.String), current.cast(pl.String)]).fill_null(MISSING)
        coded = (both.rank("dense") - 1).cast(pl.Int64).to_numpy()
        code_ref, code_cur = coded[:reference.len()], coded[reference.len():]
    size = int(max(code_ref.max(initial=0), code_cur.max(initial=0))) + 1
    shares = (np.bincount(code_ref, minlength=size) + 0.5) / (code_ref.size + 0.5 * size)
    return code_ref, code_cur, shares
