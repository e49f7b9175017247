"""A column's finite values as a sorted tally: distinct values and how often each occurs.

Everything the audit reads off a sorted sample (quantiles, the PSI bins' counts, KS,
Wasserstein, a value's count, the mode, the grid the values lie on) it can read off a
:class:`Tally`, which is how a saved :class:`~mlwatch.Baseline` keeps a reference and how a
window too large for memory is summarised batch by batch.

A tally is **exact** while the column has at most :data:`POINTS` distinct values (counts,
codes, ages, ratings, most columns of a log): then every statistic from it equals the one
from the sorted sample. Past that it is **compressed** to about :data:`POINTS` weighted
points: the sorted values are cut into blocks of about ``n / POINTS`` rows and each block
is kept as its mean and its count, blocks narrowing toward the tails (where a block's
values spread widest) as in t-digest. A value common enough to fill a block on its own (at
least ``n / POINTS`` rows: a default, a cap, a frozen reading) keeps its own exact point,
and so do the minimum and the maximum. A compressed tally carries two error bounds, both
measured when it is built (not worst cases), and added up over merges:

* ``rank_error``, the largest gap between its distribution function and the data's,
  ``sup_x |F_tally(x) - F(x)|``: a KS statistic read from tallies is within the sum of the
  two sides' rank errors of the exact one (each at most ``2 / POINTS``, 0.0005);
* ``w_error``, the Wasserstein-1 distance between the tally and the data, in the data's
  units: a Wasserstein distance read from tallies is within the sum of the two sides'.

>>> t = Tally.from_sorted(np.array([1.0, 2.0, 2.0, 5.0]))
>>> t.values.tolist(), t.counts.tolist(), t.exact
([1.0, 2.0, 5.0], [1, 2, 1], True)
>>> t.quantile(np.array([0.0, 0.5, 1.0])).tolist()
[1.0, 2.0, 5.0]
>>> round(ks(t, Tally.from_sorted(np.array([2.0, 3.0]))), 2)
0.25
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POINTS = 4096          # distinct values kept exactly; the points a compressed tally keeps


@dataclass(frozen=True, eq=False)
class Tally:
    """Sorted distinct ``values`` (float64) with their ``counts`` (int64, positive)."""

    values: np.ndarray
    counts: np.ndarray
    exact: bool = True
    rank_error: float = 0.0
    w_error: float = 0.0

    # ---- building
    @classmethod
    def from_sorted(cls, sorted_values: np.ndarray, *, points: int = POINTS, keep=()) -> "Tally":
        """The tally of sorted finite values, compressed when they hold more than ``points``
        distinct values (the values in ``keep`` kept exactly)."""
        sorted_values = np.asarray(sorted_values, dtype=float)
        if sorted_values.size == 0:
            return cls(np.zeros(0), np.zeros(0, np.int64))
        starts = np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))
        counts = np.diff(np.append(starts, sorted_values.size)).astype(np.int64)
        exact = cls(sorted_values[starts], counts)
        return exact if starts.size <= points else exact.compress(points, keep=keep)

    @classmethod
    def from_counts(cls, values: np.ndarray, counts: np.ndarray, *, points: int = POINTS) -> "Tally":
        """The tally of values with counts, in any order, repeats allowed (summed)."""
        values = np.asarray(values, dtype=float)
        counts = np.asarray(counts, dtype=np.int64)
        keep = counts > 0
        values, counts = values[keep], counts[keep]
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
        if values.size == 0:
            return cls(np.zeros(0), np.zeros(0, np.int64))
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        exact = cls(values[starts], np.add.reduceat(counts, starts))
        return exact if starts.size <= points else exact.compress(points)

    def compress(self, points: int = POINTS, *, keep=()) -> "Tally":
        """About ``points`` weighted points: blocks of about ``n / points`` rows, each kept as
        its mean and count; values holding a block's worth of rows, the minimum and the
        maximum kept exactly, and so are the values in ``keep`` (a default such as 0 or -1
        whose count a check reads). The bounds grow by what this compression measurably
        loses."""
        v, c = self.values, self.counts
        if v.size <= points:
            return self
        n = int(c.sum())
        heavy = c * points >= n
        heavy[0] = heavy[-1] = True
        if len(keep):
            heavy |= np.isin(v, np.asarray(keep, dtype=float))
        before = np.cumsum(c) - c
        # blocks narrow toward both tails (t-digest's arcsine scale): a tail block spans a wide
        # range of values, and its width is what the Wasserstein bound pays for
        slot = np.floor(points * (np.arcsin(2 * before / n - 1) / np.pi + 0.5)).astype(np.int64)
        start = np.ones(v.size, bool)
        start[1:] = heavy[1:] | heavy[:-1] | (slot[1:] != slot[:-1])
        starts = np.flatnonzero(start)
        block_counts = np.add.reduceat(c, starts)
        means = np.add.reduceat(c * v, starts) / block_counts
        block = np.cumsum(start) - 1
        mean_of = means[block]
        below = np.add.reduceat(c * (v < mean_of), starts)
        above = np.add.reduceat(c * (v > mean_of), starts)
        rank = float(np.maximum(below, above).max()) / n
        with np.errstate(over="ignore", invalid="ignore"):
            moved = float(np.sum(c * np.abs(v - mean_of))) / n
        # a block's mean lies within it, so the means stay sorted; equal neighbours (possible
        # only through rounding) are folded together
        compressed = Tally(means, block_counts, False, self.rank_error + rank, self.w_error + moved)
        return compressed._folded()

    def _folded(self) -> "Tally":
        same = np.flatnonzero(self.values[1:] == self.values[:-1])
        if same.size == 0:
            return self
        starts = np.flatnonzero(np.concatenate([[True], self.values[1:] != self.values[:-1]]))
        return Tally(self.values[starts], np.add.reduceat(self.counts, starts), self.exact,
                     self.rank_error, self.w_error)

    def merge(self, other: "Tally", *, points: int = POINTS, keep=()) -> "Tally":
        """The tally of both samples: exact when both are and the union holds at most
        ``points`` distinct values; otherwise compressed, its bounds the row-weighted mean
        of the two sides' plus what the compression loses."""
        n, m = self.n, other.n
        if n == 0 or m == 0:
            return other if n == 0 else self
        merged = Tally.from_counts(np.concatenate([self.values, other.values]),
                                   np.concatenate([self.counts, other.counts]), points=np.iinfo(np.int64).max)
        rank = (n * self.rank_error + m * other.rank_error) / (n + m)
        moved = (n * self.w_error + m * other.w_error) / (n + m)
        merged = Tally(merged.values, merged.counts, self.exact and other.exact, rank, moved)
        return merged if merged.exact and merged.values.size <= points else \
            Tally(merged.values, merged.counts, False, rank, moved).compress(points, keep=keep)

    # ---- reading
    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def size(self) -> int:
        """Rows tallied (the length of the sorted sample it stands for)."""
        return self.n

    @property
    def minimum(self) -> float:
        return float(self.values[0])

    @property
    def maximum(self) -> float:
        return float(self.values[-1])

    def cumulative(self) -> np.ndarray:
        return np.cumsum(self.counts)

    def count_le(self, x) -> np.ndarray:
        """Rows at or below each ``x``."""
        cum = np.concatenate([[0], self.cumulative()])
        return cum[np.searchsorted(self.values, x, side="right")]

    def count_lt(self, x) -> np.ndarray:
        """Rows strictly below each ``x``."""
        cum = np.concatenate([[0], self.cumulative()])
        return cum[np.searchsorted(self.values, x, side="left")]

    def count_at(self, x) -> np.ndarray:
        """Rows equal to each ``x`` (for a compressed tally, exact for the values it keeps
        exactly, 0 for the others: each holds fewer than ``n / POINTS`` rows)."""
        return self.count_le(x) - self.count_lt(x)

    def at_rank(self, index: np.ndarray) -> np.ndarray:
        """The sorted sample's values at 0-based positions ``index``."""
        return self.values[np.searchsorted(self.cumulative(), np.asarray(index), side="right")]

    def quantile(self, probabilities) -> np.ndarray:
        """``numpy.quantile`` (linear) of the sample the tally stands for."""
        probabilities = np.asarray(probabilities, dtype=float)
        position = probabilities * (self.n - 1)
        lo = np.floor(position).astype(np.int64)
        hi = np.minimum(lo + 1, self.n - 1)
        a, b = self.at_rank(lo), self.at_rank(hi)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(a == b, a, (1 - (position - lo)) * a + (position - lo) * b)

    def counts_in_bins(self, edges: np.ndarray) -> np.ndarray:
        """Rows in each right-closed bin ``(e[i-1], e[i]]`` (first and last open), as
        :func:`mlwatch.stats.binning.counts_in_bins`."""
        return np.diff(self.count_le(edges), prepend=0, append=self.n)

    def mode(self) -> tuple[float, int]:
        """The most frequent value and its count (smallest value on ties)."""
        best = int(np.argmax(self.counts))
        return float(self.values[best]), int(self.counts[best])

    @property
    def distinct(self) -> int:
        """Distinct values (for a compressed tally, the points it keeps: fewer than the
        data's)."""
        return int(self.values.size)

    def repeats(self) -> int:
        """Distinct values that occur more than once (at least 1)."""
        return max(int(np.count_nonzero(self.counts > 1)), 1)

    def std(self) -> float:
        """Population standard deviation (numpy's ``std``)."""
        n = self.n
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(np.sum(self.counts * self.values)) / n
            return float(np.sqrt(np.sum(self.counts * (self.values - mean) ** 2) / n))

    def scaled(self, factor: float) -> "Tally":
        """The tally of the values times a positive ``factor`` (the bounds scale with them)."""
        return Tally(self.values * factor, self.counts, self.exact, self.rank_error, self.w_error * factor)

    def expand(self) -> np.ndarray:
        """The sorted sample itself (exact tallies), or the tally's points repeated."""
        return np.repeat(self.values, self.counts)


def as_tally(values) -> Tally:
    """A :class:`Tally` as it is, or the exact tally of a sorted array."""
    return values if isinstance(values, Tally) else Tally.from_sorted(values, points=np.iinfo(np.int64).max)


def _on_union(a: Tally, b: Tally) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    points = np.union1d(a.values, b.values)
    return points, a.count_le(points) / a.n, b.count_le(points) / b.n


def ks(a: Tally, b: Tally) -> float:
    """The two-sample KS statistic of two tallies (exact for exact tallies; otherwise within
    ``a.rank_error + b.rank_error``)."""
    _, fa, fb = _on_union(a, b)
    return float(np.max(np.abs(fa - fb)))


def wasserstein(a: Tally, b: Tally) -> float:
    """The Wasserstein-1 distance of two tallies (exact for exact tallies; otherwise within
    ``a.w_error + b.w_error``)."""
    points, fa, fb = _on_union(a, b)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.abs(fa - fb)[:-1] * np.diff(points)))
