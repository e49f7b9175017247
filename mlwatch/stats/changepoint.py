"""Retrospective change points (when did it start?).

:func:`mean_shift` works on a bucketed series: a single mean shift is located where
splitting the buckets in two explains most of the variance of the bucket means, weighted
by the rows each bucket holds (the likelihood ratio of a one-change Gaussian model):
``n1 n2 / (n1 + n2) (mean2 - mean1)**2`` over all splits, from cumulative sums, so any
number of buckets costs one pass. :func:`cusum_start` dates a sustained move in a
standardised series (the start of the CUSUM run that raised the alarm).
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


def _splits(n: np.ndarray, s: np.ndarray, direction: str, min_rows: int):
    """Before and after means and the statistic of every split (``-inf`` where not allowed)."""
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
    return before, after, stat


@dataclass(frozen=True)
class RateRise:
    index: int            # first bucket of the later segment
    low: int              # the earliest and latest splits inside the likelihood-ratio window
    high: int
    statistic: float      # the likelihood ratio of the best split (chi-square, 1 degree of freedom)


def rate_rise(counts, marked, *, level: float = 0.01, window: float = 3.84) -> RateRise | None:
    """When the share of marked rows (rows in the bins that carry a change) rose: the best
    single split of the buckets, its binomial likelihood ratio (the split statistic of
    :func:`mean_shift` over ``p (1 - p)``), and the window of splits whose ratio is within
    ``window`` of the best (3.84: a 95 % interval for the change point). None unless the
    best ratio passes the chi-square test at ``level``, Bonferroni over the splits.
    Buckets without rows are skipped; indices count the buckets with rows.

    >>> rise = rate_rise([100] * 8, [5, 4, 6, 5, 40, 42, 38, 41])
    >>> rise.index, rise.low, rise.high
    (4, 4, 4)
    >>> rate_rise([100] * 8, [5, 4, 6, 5, 6, 4, 5, 6]) is None
    True
    """
    from scipy import stats as _st

    n = np.asarray(counts, dtype=float)
    s = np.asarray(marked, dtype=float)
    if n.size < 2:
        return None
    p = s.sum() / max(n.sum(), 1)
    _, _, stat = _splits(n, s, "up", 1)
    lr = np.where(np.isfinite(stat), stat, 0.0) / max(p * (1 - p), 1e-12)
    best = int(np.argmax(lr))
    if lr[best] <= 0 or lr[best] < _st.chi2.isf(level / lr.size, 1):
        return None
    close = np.flatnonzero(lr >= lr[best] - window)
    return RateRise(best + 1, int(close.min()) + 1, int(close.max()) + 1, float(lr[best]))


def mean_shift(counts, sums, *, direction: str = "any", min_rows: int = 1, earliest: int = 1) -> MeanShift | None:
    """The best single split of a bucketed series into a before and an after.

    ``counts`` are rows per bucket, ``sums`` the sum of the value per bucket. With
    ``direction="up"`` only rises count (a loss that got worse). Splits that leave fewer
    than ``min_rows`` on a side are not considered, nor those whose after starts before
    bucket ``earliest`` (the first bucket of a current window: a change between two windows
    begins after the reference). None when no split qualifies.

    >>> shift = mean_shift([10] * 6, [1, 1, 1, 5, 5, 5], direction="up")
    >>> shift.index, shift.before, shift.after, round(shift.statistic, 6)
    (3, 0.1, 0.5, 2.4)
    >>> mean_shift([10] * 6, [1, 1, 1, 5, 5, 5], direction="up", earliest=4).index
    4
    """
    n = np.asarray(counts, dtype=float)
    s = np.asarray(sums, dtype=float)
    if n.size < 2:
        return None
    before, after, stat = _splits(n, s, direction, min_rows)
    stat[:max(earliest, 1) - 1] = -np.inf
    best = int(np.argmax(stat))
    if not np.isfinite(stat[best]):
        return None
    return MeanShift(best + 1, float(before[best]), float(after[best]), float(stat[best]))


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


def _window_splits(times, values, low: float, high: float):
    """The rows in time order (those with a finite time and value) and, for each split
    between distinct times in ``[low, high)``, the number of rows before it; None without
    such a split."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(t) & np.isfinite(v)
    order = np.argsort(t[keep], kind="stable")
    t, v = t[keep][order], v[keep][order]
    if t.size < 2:
        return None
    k = np.flatnonzero(np.diff(t) > 0) + 1          # rows before each split between distinct times
    k = k[(t[k] >= low) & (t[k] < high)]
    return (t, v, k) if k.size else None


def row_split(times, codes, *, low: float, high: float, rising: int = 1, quantile: float = 0.5) -> float | None:
    """The time, to the row, at which the mix of row categories changed. The splits between
    distinct ``times`` in ``[low, high)`` (the window a bucketed search such as
    :func:`rate_rise` allows) at which category ``rising`` is more frequent after than
    before are weighted by their multinomial likelihood; the median of those weights (the
    change's posterior under a flat prior) is the split, and the time of the first row
    after it is returned.
    ``codes`` are small non-negative integers (0 for an unmarked row; a clip marks the
    rows on its bound 1 and those beyond it 2, which vanish at the change). None when no
    split in the window has the category rising. Another ``quantile`` of the posterior gives
    the ends of the change's interval (0.95: the latest it is likely to have begun).

    >>> row_split([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1], low=0, high=7)
    4.0
    >>> row_split([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1], low=5, high=7)
    5.0
    """
    found = row_posterior(times, codes, low=low, high=high, rising=rising)
    return None if found is None else found.quantile(quantile)


def row_posterior(times, codes, *, low: float, high: float, rising: int = 1) -> "SplitPosterior | None":
    """The posterior of :func:`row_split`'s change over its splits (None when no split in the
    window has category ``rising`` more frequent after than before)."""
    from scipy.special import xlogy

    found = _window_splits(times, codes, low, high)
    if found is None:
        return None
    t, c, k = found
    c = c.astype(np.int64)
    categories = int(c.max()) + 1
    cumulative = np.zeros((t.size + 1, max(categories, rising + 1)))
    np.add.at(cumulative, (np.arange(1, t.size + 1), c), 1.0)
    cumulative = np.cumsum(cumulative, axis=0)
    before = cumulative[k]
    after = cumulative[-1] - before
    n_before = k.astype(float)[:, None]
    n_after = (t.size - k).astype(float)[:, None]
    loglik = xlogy(before, before / n_before).sum(axis=1) + xlogy(after, after / n_after).sum(axis=1)
    up = after[:, rising] / n_after[:, 0] > before[:, rising] / n_before[:, 0]
    if not up.any():
        return None
    # the median of the change's posterior (a flat prior on the splits): where the marked rows
    # are sparse (rain converted to millimetres shows only when it rains), the likelihood is
    # nearly flat between the last row before the change and the first after it, and its
    # maximum sits at an end of that gap; the median sits inside it
    return SplitPosterior(t[k - 1], t[k], np.where(up, np.exp(loglik - loglik[up].max()), 0.0))


@dataclass(frozen=True)
class SplitPosterior:
    """A change point's posterior over the splits between distinct row times: for each, the
    time of the last row before it and of the first row after it, and its weight (relative
    probability under a flat prior on the splits). Where the weights are Bayes factors
    against no change at all, up to one factor, ``log_scale`` is that factor's log (each
    split's Bayes factor is ``weight * exp(log_scale)``); None where they are not."""

    before: np.ndarray
    after: np.ndarray
    weight: np.ndarray
    log_scale: float | None = None

    def quantile(self, q: float) -> float:
        """The time of the first row after the split at quantile ``q`` of the posterior."""
        at = int(np.searchsorted(np.cumsum(self.weight), q * self.weight.sum()))
        return float(self.after[min(at, self.after.size - 1)])

    def explains(self, when: float, lag: float) -> float:
        """The posterior probability that a cause at ``when`` started the change within
        ``lag`` of it: the splits whose gap (last row before, first row after] meets
        ``[when, when + lag)`` (the rows cannot date a change inside a gap).

        >>> p = SplitPosterior(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 1.0]))
        >>> p.explains(2.5, lag=1.0), p.explains(0.5, lag=1.0), p.explains(4.5, lag=1.0)
        (0.75, 0.25, 0.0)
        """
        consistent = self._meeting(when, lag)
        return float(self.weight[consistent].sum() / max(self.weight.sum(), 1e-300))

    def given(self, when: float, lag: float) -> "SplitPosterior | None":
        """The posterior given that a cause at ``when`` started the change within ``lag`` of
        it (the splits that meet ``[when, when + lag)``, their weights renormalised by
        :meth:`quantile`); None where the rows rule that out (no such split has weight).
        An upstream event named as the trigger is prior knowledge of when the change began:
        the rows alone may only place it within days.

        >>> p = SplitPosterior(np.arange(0.0, 10.0), np.arange(1.0, 11.0), np.r_[np.ones(5), 8 * np.ones(5)])
        >>> p.quantile(0.5), p.given(2.5, lag=1.0).quantile(0.5), p.given(20.0, lag=1.0) is None
        (8.0, 3.0, True)
        """
        keep = self._meeting(when, lag) & (self.weight > 0)
        if not keep.any():
            return None
        return SplitPosterior(self.before[keep], self.after[keep], self.weight[keep], self.log_scale)

    def _meeting(self, when: float, lag: float) -> np.ndarray:
        """The splits whose gap (last row before, first row after] meets ``[when, when + lag)``."""
        return (self.after >= when) & (self.before < when + lag)

    def bayes_factor(self, when: float, lag: float) -> float:
        """How much the rows raise the odds that the change began within ``lag`` of
        ``when``: its posterior probability (:meth:`explains`) over its prior one (the share
        of the splits it covers, the prior being flat on them): the marginal likelihood of
        "it began there" over that of "it began somewhere in the window". 0 where no split
        is consistent with it (a time outside the window).

        >>> p = SplitPosterior(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 1.0]))
        >>> p.bayes_factor(2.5, lag=0.1), p.bayes_factor(0.5, lag=1.0), p.bayes_factor(9.0, lag=1.0)
        (1.5, 0.75, 0.0)
        """
        covered = self._meeting(when, lag)
        prior = float(covered.mean()) if covered.size else 0.0
        return self.explains(when, lag) / prior if prior > 0 else 0.0

    def cause_chances(self, causes, lag: float) -> np.ndarray:
        """The posterior probability that each of ``causes`` (times) started the change
        within ``lag`` after it. The hypotheses, a third of the prior each: one of the
        causes did (shared equally among those the window can tell about: a time outside it
        has chance 0), something at no listed time did (the change beginning anywhere, a
        flat prior on the splits), or, where the weights are Bayes factors against no change
        (``log_scale`` known), nothing changed at all: a posterior no sharper than the prior,
        or one that only says the rows near the window's end could differ (what a window
        with no change looks like to this model), names no cause.

        >>> p = SplitPosterior(np.arange(0.0, 10.0), np.arange(1.0, 11.0), np.r_[np.ones(5), 8 * np.ones(5)])
        >>> p.cause_chances([-5.0, 6.5], lag=1.0).round(3).tolist()
        [0.0, 0.64]

        The same shape, a change anywhere 33 times less likely than none (4.5 e^-5 = 1/33):

        >>> SplitPosterior(p.before, p.after, p.weight, log_scale=-5.0).cause_chances([-5.0, 6.5], lag=1.0).round(3).tolist()
        [0.0, 0.05]
        """
        factors = np.array([self.bayes_factor(float(t), lag) for t in causes], dtype=float)
        told = int((factors > 0).sum())
        if not told:
            return factors
        rest = 1.0
        if self.log_scale is not None:        # + "no change": 1 over a change anywhere's factor
            rest += float(np.exp(-self.log_scale - np.log(np.mean(self.weight))))
        return factors / (factors.sum() + told * rest)


def shift_posterior(times, codes, shares, *, low: float, high: float, alpha: float = 1.0) -> SplitPosterior | None:
    """The posterior of a change after which the rows' bins (``codes``, small non-negative
    integers) stop following the reference's ``shares`` and follow shares of their own,
    unknown. A split between distinct ``times`` in ``[low, high)`` is weighed by the evidence
    of the rows after it: the Dirichlet-multinomial marginal likelihood of their bins (a
    uniform prior on the new shares for ``alpha=1``) over their likelihood under ``shares``.
    Rows before ``low`` are before every split. None without a split in the window.

    The new shares are not those of the whole current window: rows before the change that
    fall where the changed rows pile up would then be read as changed, and the change dated
    early (500 simulated shifts of 10 to 40 rows after 0 to 40 unchanged ones: the median
    off by 9.3 rows on average that way, 4.5 this way; the 95 % window held the truth 79 % of
    the time that way, 95 % this way: ``tests/test_stats_properties.py``).

    >>> shares = np.full(4, 0.25)
    >>> post = shift_posterior(np.arange(12), [0, 1, 2, 3, 0, 1, 3, 3, 3, 3, 3, 3], shares, low=1, high=12)
    >>> post.quantile(0.5)
    6.0
    """
    from scipy.special import gammaln

    found = _window_splits(times, codes, low, high)
    if found is None:
        return None
    t, c, k = found
    c = c.astype(np.int64)
    share = np.asarray(shares, dtype=float)
    size = max(share.size, int(c.max()) + 1)
    share = np.concatenate([share, np.full(size - share.size, share.min(initial=1.0))])
    after = (t.size - k).astype(float)
    loglik = gammaln(size * alpha) - gammaln(size * alpha + after)
    for b in range(size):           # a pass over the rows per bin (a dozen), not per split
        cumulative = np.concatenate([[0], np.cumsum(c == b)])
        a = cumulative[-1] - cumulative[k]
        loglik += gammaln(alpha + a) - gammaln(alpha) - a * np.log(share[b])
    # no row after a split is no change: its log evidence is 0, the scale of the weights
    return SplitPosterior(t[k - 1], t[k], np.exp(loglik - loglik.max()), float(loglik.max()))


def change_from_reference(reference, current, times, *, bins: int = 10) -> SplitPosterior | None:
    """The posterior of a change, among the ``current`` values in the order of their
    ``times``, from the distribution the ``reference`` values hold to another
    (:func:`shift_posterior` on the values cut at the reference's deciles), the split before
    the first value included (every current value may have changed). The before is the
    reference's, known to all its values, not the few current values before a split. None
    with fewer than two current values.

    Twenty values spread like the reference's, then twenty in its top decile (the 19th and
    20th of the first twenty, 92.5 and 97.5, are already there):

    >>> current = np.concatenate([np.arange(2.5, 100, 5), 90 + np.arange(20) / 2])
    >>> post = change_from_reference(np.arange(100.0), current, np.arange(40))
    >>> post.quantile(0.5), post.quantile(0.025), post.quantile(0.975)
    (18.0, 14.0, 19.0)
    """
    import polars as pl

    from mlwatch.stats.binning import reference_codes

    t = np.asarray(times, dtype=float)
    if t.size < 2 or not np.isfinite(t).any():
        return None
    _, codes, shares = reference_codes(pl.Series(np.asarray(reference, dtype=float)),
                                       pl.Series(np.asarray(current, dtype=float)), "numeric", bins)
    start = float(np.nanmin(t))
    # a row before the first: the split before every current value
    return shift_posterior(np.append(start - 1.0, t), np.append(0, codes), shares, low=start,
                           high=float(np.nanmax(t)) + 1.0)
