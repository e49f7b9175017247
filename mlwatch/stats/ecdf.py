"""Exact KS and Wasserstein-1 from two sorted samples, without merging them whole.

Sorting each column is the floor for exact statistics; these kernels keep what comes
after it small.

* **Wasserstein** is computed in quantile space, ``W = int_0^1 |Q_ref(u) - Q_cur(u)| du``:
  both quantile functions are step functions on the grids ``i/n`` and ``j/m``, so the
  integral is a sum over the pieces of the union grid, whose breakpoints are known in
  closed form (integers over ``n*m``): no merge, no search. When ``n == m`` it is
  ``mean |ref - cur|``.
* **KS** is found by bounding: the gap between the two empirical CDFs is evaluated
  exactly on a grid of every 32nd value of each sample; inside a grid interval the gap
  cannot move by more than the counts the interval holds, so only the intervals whose
  bound beats the best grid value are merged exactly. Under drift or no drift that is a
  handful of intervals; the result is the exact statistic (tests hold it to scipy's).
  Below 24,000 values in all, two binary searches read the gap at every value instead:
  quicker there than the bounding's Python steps.
"""

from __future__ import annotations

import numpy as np

GRID_STEP = 32
BLOCK = 1 << 16
MAX_INTERVALS = 256   # beyond this many intervals to refine, one whole merge is quicker
DIRECT_MAX = 24_000   # values in both samples up to which the gap is read at every value (measured)


def wasserstein_sorted(sorted_reference: np.ndarray, sorted_current: np.ndarray) -> float:
    """Wasserstein-1 distance between two sorted samples (``scipy.stats.wasserstein_distance``).

    >>> round(wasserstein_sorted(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0])), 12)
    0.833333333333
    """
    a, b = sorted_reference, sorted_current
    n, m = a.size, b.size
    if n == m:
        return float(np.abs(a - b).mean())
    total = _pieces(a, b, ties_first=True) + _pieces(b, a, ties_first=False)
    return float(total / (n * m))


def _pieces(own: np.ndarray, other: np.ndarray, *, ties_first: bool) -> float:
    """Sum over the union-grid pieces that end at ``own``'s breakpoints of
    width x |Q_own - Q_other|, widths in units of 1 / (n m).

    ``own``'s i-th breakpoint is i * q (q = other's size); on the piece ending there the
    other quantile function is at index ceil(i q / p) - 1. Where breakpoints of both
    coincide, the piece goes to the side with ``ties_first`` and the other gets width 0.
    Worked in blocks that stay in the CPU cache: three times quicker than whole arrays.
    """
    p, q = own.size, other.size
    total = 0.0
    for start in range(1, p + 1, BLOCK):
        i = np.arange(start, min(start + BLOCK, p + 1), dtype=np.int64)
        at = i * q
        index = (at + (p - 1)) // p                       # ceil(i q / p)
        before = (index - 1) * p if ties_first else at // p * p
        width = np.minimum(at - before, q)
        # einsum, not np.dot: BLAS's own threads spin against each other when the audit's
        # threads call dot together (measured: twice slower on 2 threads than on one)
        total += float(np.einsum("i,i->", width.astype(np.float64), np.abs(own[i - 1] - other[index - 1])))
    return total


def ks_sorted(sorted_reference: np.ndarray, sorted_current: np.ndarray) -> float:
    """Two-sample KS statistic ``sup |F_ref - F_cur|`` from two sorted samples (exact).

    >>> ks_sorted(np.array([0.0, 1.0, 2.0, 3.0]), np.array([2.5, 3.5, 4.5, 5.5]))
    0.75
    """
    a, b = sorted_reference, sorted_current
    n, m = a.size, b.size
    if n + m <= DIRECT_MAX:       # two binary searches beat the bounding's Python steps here
        # each sample's own CDF at the last of its ties is its rank; the other's, a search
        last_a = np.flatnonzero(np.append(a[1:] != a[:-1], True))
        last_b = np.flatnonzero(np.append(b[1:] != b[:-1], True))
        at_a = np.abs((last_a + 1) / n - np.searchsorted(b, a[last_a], "right") / m)
        at_b = np.abs(np.searchsorted(a, b[last_b], "right") / n - (last_b + 1) / m)
        return float(max(at_a.max(initial=0.0), at_b.max(initial=0.0)))
    grid = np.unique(np.concatenate([a[::GRID_STEP], b[::GRID_STEP], [max(a[-1], b[-1])]]))
    ra = np.searchsorted(a, grid, side="right")
    rb = np.searchsorted(b, grid, side="right")
    gap = ra / n - rb / m
    best = float(np.abs(gap).max())
    # inside (grid[t-1], grid[t]] the gap moves between gap[t-1] - db/m and gap[t-1] + da/n
    da, db = np.diff(ra), np.diff(rb)
    start = gap[:-1]
    bound = np.maximum(np.abs(start + da / n), np.abs(start - db / m))
    candidates = np.flatnonzero(bound > best) + 1
    if candidates.size > MAX_INTERVALS:
        return _merged_gap_max(a, b, 0, 0, n, m)
    for t in candidates:
        lo_a, hi_a, lo_b, hi_b = ra[t - 1], ra[t], rb[t - 1], rb[t]
        inside_a, inside_b = a[lo_a:hi_a], b[lo_b:hi_b]
        # values tied at the interval's right end are already counted at the grid point
        inside_a = inside_a[inside_a < grid[t]]
        inside_b = inside_b[inside_b < grid[t]]
        if inside_a.size + inside_b.size:
            best = max(best, _merged_gap_max(inside_a, inside_b, lo_a, lo_b, n, m))
    return best


def _merged_gap_max(a: np.ndarray, b: np.ndarray, offset_a: int, offset_b: int, n: int, m: int) -> float:
    """max |F_ref - F_cur| over the points of ``a`` and ``b`` (sorted), given that
    ``offset_a``/``offset_b`` values of each sample lie below them."""
    pooled = np.concatenate([a, b])
    if pooled.size == 0:
        return 0.0
    order = np.argsort(pooled, kind="stable")
    values = pooled[order]
    cum_b = np.cumsum(order >= a.size)
    cum_a = np.arange(1, pooled.size + 1) - cum_b
    gap = np.abs((cum_a + offset_a) / n - (cum_b + offset_b) / m)
    last_of_tie = np.append(values[1:] != values[:-1], True)   # both CDFs are right only there
    return float(gap[last_of_tie].max())
