"""Retrospective change points (when did it start?).

:func:`pettitt` finds one change in a series of observations in time order from their
ranks (robust to the heavy tails of per-row losses). :func:`mean_shift` works on a
bucketed series: a single mean shift is located where splitting the buckets in two explains most of the
variance of the bucket means, weighted by the rows each bucket holds (the likelihood
ratio of a one-change Gaussian model): ``n1 n2 / (n1 + n2) (mean2 - mean1)**2`` over all
splits, from cumulative sums, so any number of buckets costs one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MeanShift:
    index: int            # first bucket of the later segment
    before: float         # weighted mean before
    after: float          # weighted mean after
    statistic: float      # n1 n2 / (n1 + n2) * (after - before)**2


def mean_shift(counts, sums, *, direction: str = "any", min_rows: int = 1) -> MeanShift | None:
    """The best single split of a bucketed series into a before and an after.

    ``counts`` are rows per bucket, ``sums`` the sum of the value per bucket. With
    ``direction="up"`` only rises count (a loss that got worse). Splits that leave fewer
    than ``min_rows`` on a side are not considered. None when no split qualifies.

    >>> shift = mean_shift([10] * 6, [1, 1, 1, 5, 5, 5], direction="up")
    >>> shift.index, shift.before, shift.after, round(shift.statistic, 6)
    (3, 0.1, 0.5, 2.4)
    """
    n = np.asarray(counts, dtype=float)
    s = np.asarray(sums, dtype=float)
    if n.size < 2:
        return None
    cn, cs = np.cumsum(n)[:-1], np.cumsum(s)[:-1]
    total_n, total_s = n.sum(), s.sum()
    n2 = total_n - cn
    valid = (cn >= min_rows) & (n2 >= min_rows)
    before = np.divide(cs, cn, out=np.zeros_like(cs), where=cn > 0)
    after = np.divide(total_s - cs, n2, out=np.zeros_like(cs), where=n2 > 0)
    stat = np.where(valid, cn * n2 / np.maximum(total_n, 1) * (after - before) ** 2, -np.inf)
    if direction == "up":
        stat = np.where(after > before, stat, -np.inf)
    elif direction == "down":
        stat = np.where(after < before, stat, -np.inf)
    best = int(np.argmax(stat))
    if not np.isfinite(stat[best]):
        return None
    return MeanShift(best + 1, float(before[best]), float(after[best]), float(stat[best]))


@dataclass(frozen=True)
class RankShift:
    index: int            # first observation of the later segment
    statistic: float      # Pettitt's K = max |U_t|
    p_value: float        # Pettitt's approximation 2 exp(-6 K^2 / (n^3 + n^2)), capped at 1


def pettitt(values, *, direction: str = "any", splits=None) -> RankShift | None:
    """Pettitt's rank test for one change in a series in time order: robust to outliers
    and heavy tails (a few huge losses do not place the change), ties by midranks.

    ``U_t = 2 sum_{i <= t} rank_i - t (n + 1)``: negative when the later values are larger.
    With ``direction="up"`` only rises count. ``splits`` restricts the candidate changes
    to those indices (first observation after the split), say the first row of each time
    bucket, so rows tied in time are never cut apart.

    >>> x = np.r_[np.zeros(50), np.ones(50)] + np.random.default_rng(0).normal(0, 0.3, 100)
    >>> shift = pettitt(x, direction="up")
    >>> shift.index, shift.p_value < 1e-6
    (50, True)
    """
    from scipy.stats import rankdata

    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 4:
        return None
    ranks = rankdata(x)
    t = np.arange(1, n)
    u = 2 * np.cumsum(ranks)[:-1] - t * (n + 1)
    score = {"up": -u, "down": u}.get(direction, np.abs(u))
    if splits is not None:
        allowed = np.zeros(n - 1, dtype=bool)
        idx = np.asarray(splits, dtype=int)
        allowed[idx[(idx >= 1) & (idx < n)] - 1] = True
        score = np.where(allowed, score, -np.inf)
    best = int(np.argmax(score))
    k = float(score[best])
    if not k > 0:
        return None
    p = min(1.0, 2 * np.exp(-6 * k**2 / (n**3 + n**2)))
    return RankShift(best + 1, k, float(p))


def cusum_start(z, *, k: float = 0.5, h: float = 5.0, direction: str = "up") -> tuple[int, int] | None:
    """Tabular CUSUM on standardised values (``z`` in standard deviations of the no-change
    level): ``S_t = max(0, S_{t-1} + z_t - k)``, alarm when ``S_t > h``. Returns the index
    of the alarm and of the start of the run that raised it (the first value after ``S``
    was last zero): when the sustained change began. ``direction`` "down" watches falls,
    "any" both (the earlier alarm). None without an alarm. NaN values are skipped.

    >>> cusum_start([0.1, -0.3, 0.2, 1.5, 1.4, 1.6, 1.5, 1.7])
    (7, 3)
    """
    values = np.asarray(z, dtype=float)
    if direction == "any":
        found = [r for r in (cusum_start(values, k=k, h=h), cusum_start(-values, k=k, h=h)) if r is not None]
        return min(found) if found else None
    if direction == "down":
        values = -values
    total, start = 0.0, 0
    for i, v in enumerate(values):       # a loop over time buckets (tens to hundreds), not rows
        if not np.isfinite(v):
            continue
        total = max(0.0, total + v - k)
        if total == 0.0:
            start = i + 1
        elif total > h:
            return i, start
    return None
