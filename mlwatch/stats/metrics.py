"""Model metrics with confidence intervals, per-row losses, and the tests that compare them.

Every decomposable metric is the mean of a per-row loss (0/1 error for accuracy, log-loss,
absolute error, squared error), so a slice's metric, its interval and its comparison with
the reference all come from three sums: rows, sum of losses, sum of squared losses. That
is what lets the slice search score tens of thousands of slices with a few ``bincount``s.
AUC is not decomposable; it gets DeLong's variance.
"""

from __future__ import annotations

import numpy as np

from mlwatch.errors import MlwatchError, check_choice

METRICS = {"classification": ("accuracy", "auc", "log_loss"), "regression": ("mae", "rmse", "bias")}
# bias (the mean of prediction - target) has no better side: its change is tested both ways
HIGHER_IS_BETTER = {"accuracy": True, "auc": True, "log_loss": False, "mae": False, "rmse": False, "bias": False}
EPS = 1e-15


def check_metric(task: str, metric: str) -> str:
    """``metric`` if it belongs to ``task``; else a clear error."""
    check_choice("task", task, METRICS)
    return check_choice(f"metric for {task}", metric, METRICS[task])


def row_losses(metric: str, y_true: np.ndarray, y_pred: np.ndarray, *, threshold: float = 0.5) -> np.ndarray:
    """Per-row loss whose mean gives ``metric`` (for accuracy: the error rate; for bias, the
    signed error ``prediction - target``).

    >>> row_losses("accuracy", np.array([1, 0, 1]), np.array([0.9, 0.7, 0.2]))
    array([0., 1., 1.])
    >>> row_losses("mae", np.array([1.0, 2.0]), np.array([1.5, 1.0]))
    array([0.5, 1. ])
    >>> row_losses("bias", np.array([1.0, 2.0]), np.array([1.5, 1.0]))
    array([ 0.5, -1. ])
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    if metric == "accuracy":
        return ((p >= threshold) != (y >= 0.5)).astype(float)
    if metric in ("log_loss", "auc"):   # AUC's slices are scored on log-loss, which decomposes
        p = np.clip(p, EPS, 1 - EPS)
        return -(y * np.log(p) + (1 - y) * np.log1p(-p))
    if metric == "mae":
        return np.abs(y - p)
    if metric == "rmse":
        return (y - p) ** 2
    if metric == "bias":
        return p - y
    raise MlwatchError(f"unknown metric {metric!r}")


def from_mean_loss(metric: str, mean_loss):
    """The metric from the mean per-row loss (accuracy = 1 - error, rmse = sqrt(mse))."""
    if metric == "accuracy":
        return 1.0 - mean_loss
    if metric == "rmse":
        return np.sqrt(mean_loss)
    return mean_loss


def loss_interval(n, total, total_sq, *, binary: bool, level: float = 0.95):
    """Interval of the mean loss from sums (vectorised): Wilson for 0/1 losses, normal
    (t for small n) for the others."""
    from scipy import stats as _st

    n = np.asarray(n, dtype=float)
    mean = np.divide(total, n, out=np.zeros_like(n), where=n > 0)
    z = _st.norm.ppf(0.5 + level / 2)
    if binary:
        denom = 1 + z**2 / np.maximum(n, 1)
        centre = (mean + z**2 / (2 * np.maximum(n, 1))) / denom
        half = z * np.sqrt(mean * (1 - mean) / np.maximum(n, 1) + z**2 / (4 * np.maximum(n, 1) ** 2)) / denom
        return centre - half, centre + half
    var = np.maximum(np.asarray(total_sq) / np.maximum(n, 1) - mean**2, 0.0) * n / np.maximum(n - 1, 1)
    crit = _st.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    half = crit * np.sqrt(var / np.maximum(n, 1))
    return mean - half, mean + half


def metric_interval(metric: str, n, total, total_sq, *, level: float = 0.95):
    """(value, low, high) of a decomposable metric from its loss sums.

    >>> value, low, high = metric_interval("accuracy", 1000, 150, 150)
    >>> round(value, 3), round(low, 3), round(high, 3)
    (0.85, 0.827, 0.871)
    """
    lo, hi = loss_interval(n, total, total_sq, binary=metric == "accuracy", level=level)
    mean = np.asarray(total, dtype=float) / np.maximum(np.asarray(n, dtype=float), 1)
    if metric == "rmse":
        lo = np.maximum(lo, 0.0)
    value, a, b = from_mean_loss(metric, mean), from_mean_loss(metric, lo), from_mean_loss(metric, hi)
    if metric == "accuracy":   # 1 - error flips the ends
        a, b = b, a
    return _scalar(value), _scalar(a), _scalar(b)


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


def increase_p_values(n_ref, sum_ref, sq_ref, n_cur, sum_cur, sq_cur, *, binary: bool,
                      two_sided: bool = False, shift: float = 0.0) -> np.ndarray:
    """p-values that the current mean loss exceeds the reference one (vectorised).

    0/1 losses: pooled two-proportion z-test; others: Welch's t-test. ``two_sided``
    tests any change (used for label-free proxies such as the mean prediction).

    >>> round(float(increase_p_values(1000, 100, 100, 1000, 140, 140, binary=True)), 4)
    0.003
    """
    from scipy import stats as _st

    stat, df, degenerate = increase_statistics(n_ref, sum_ref, sq_ref, n_cur, sum_cur, sq_cur, binary=binary,
                                               shift=shift)
    if binary:
        p = 2 * _st.norm.sf(np.abs(stat)) if two_sided else _st.norm.sf(stat)
    else:
        p = 2 * _st.t.sf(np.abs(stat), df) if two_sided else _st.t.sf(stat, df)
    return np.where(degenerate, 1.0, p)


def increase_statistics(n_ref, sum_ref, sq_ref, n_cur, sum_cur, sq_cur, *, binary: bool, shift: float = 0.0):
    """The z (0/1 losses) or Welch t statistic of the rise of the mean loss beyond
    ``shift`` (the whole population's rise, when a slice is compared with it), its degrees
    of freedom, and where it is undefined (fewer than two rows a side). The statistic is
    what ranks slices: it is largest at the slice that holds a drop whole, larger than
    at its parents (diluted) and its children (fewer rows)."""
    n1, n2 = np.asarray(n_ref, dtype=float), np.asarray(n_cur, dtype=float)
    m1 = np.asarray(sum_ref, dtype=float) / np.maximum(n1, 1)
    m2 = np.asarray(sum_cur, dtype=float) / np.maximum(n2, 1)
    if binary:
        pooled = (np.asarray(sum_ref) + np.asarray(sum_cur)) / np.maximum(n1 + n2, 1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(n1, 1) + 1 / np.maximum(n2, 1)))
        stat = np.divide(m2 - m1 - shift, se, out=np.zeros_like(se), where=se > 0)
        df = np.full_like(se, np.inf)
    else:
        v1 = np.maximum(np.asarray(sq_ref) / np.maximum(n1, 1) - m1**2, 0) * n1 / np.maximum(n1 - 1, 1)
        v2 = np.maximum(np.asarray(sq_cur) / np.maximum(n2, 1) - m2**2, 0) * n2 / np.maximum(n2 - 1, 1)
        a, b = v1 / np.maximum(n1, 1), v2 / np.maximum(n2, 1)
        se = np.sqrt(a + b)
        stat = np.divide(m2 - m1 - shift, se, out=np.zeros_like(se), where=se > 0)
        df = np.divide((a + b) ** 2, a**2 / np.maximum(n1 - 1, 1) + b**2 / np.maximum(n2 - 1, 1),
                       out=np.ones_like(se), where=(a + b) > 0)
    degenerate = (n1 < 2) | (n2 < 2)
    return np.where(degenerate, 0.0, stat), df, degenerate


def difference_statistics(inside, outside, *, binary: bool):
    """The statistic of a slice's change *beyond the rest's* (difference in differences).

    ``inside`` and ``outside`` are each the six sums (rows, loss sum, squared-loss sum, in
    reference then current) of the slice and of the rest of the population, as arrays
    (vectorised over slices). The statistic is

        ((mean_in_cur - mean_in_ref) - (mean_out_cur - mean_out_ref)) / se

    with ``se`` counting the noise of all four means: the rest's change is an estimate,
    not a constant (a slice of 85 % of the rows compared with a rest taken as exact is
    flagged a quarter of the time under no change). 0/1 losses take the variance pooled
    over the two windows within the slice and within the rest (the null of no change
    there); other losses Welch's, with Satterthwaite's degrees of freedom over the four
    means. Returns the statistic, its degrees of freedom (inf for 0/1 losses), the change
    beyond the rest, and where the test is undefined (fewer than two rows in a cell).

    >>> inside = (1000, 100, 100, 1000, 160, 160)            # 10 % -> 16 % errors
    >>> outside = (9000, 900, 900, 9000, 900, 900)            # 10 % -> 10 %
    >>> z, _, rise, _ = difference_statistics(inside, outside, binary=True)
    >>> round(float(z), 2), round(float(rise), 3)
    (3.9, 0.06)
    """
    n1, s1, q1, n2, s2, q2 = (np.asarray(v, dtype=float) for v in inside)
    n3, s3, q3, n4, s4, q4 = (np.asarray(v, dtype=float) for v in outside)
    means = [s / np.maximum(n, 1) for s, n in ((s1, n1), (s2, n2), (s3, n3), (s4, n4))]
    rise = (means[1] - means[0]) - (means[3] - means[2])
    if binary:
        p_in = (s1 + s2) / np.maximum(n1 + n2, 1)
        p_out = (s3 + s4) / np.maximum(n3 + n4, 1)
        var = (p_in * (1 - p_in) * (1 / np.maximum(n1, 1) + 1 / np.maximum(n2, 1))
               + p_out * (1 - p_out) * (1 / np.maximum(n3, 1) + 1 / np.maximum(n4, 1)))
        df = np.full_like(var, np.inf)
    else:
        parts = []
        for (n, s, q), mean in zip(((n1, s1, q1), (n2, s2, q2), (n3, s3, q3), (n4, s4, q4)), means):
            v = np.maximum(q / np.maximum(n, 1) - mean**2, 0) * n / np.maximum(n - 1, 1)
            parts.append((v / np.maximum(n, 1), n))
        var = sum(a for a, _ in parts)
        df = np.divide(var**2, sum(a**2 / np.maximum(n - 1, 1) for a, n in parts),
                       out=np.ones_like(var), where=var > 0)
    se = np.sqrt(var)
    stat = np.divide(rise, se, out=np.zeros_like(se), where=se > 0)
    degenerate = (n1 < 2) | (n2 < 2) | (n3 < 2) | (n4 < 2)
    return np.where(degenerate, 0.0, stat), df, rise, degenerate


def difference_p_values(inside, outside, *, binary: bool, two_sided: bool = False) -> np.ndarray:
    """p-values of :func:`difference_statistics`: that the slice's loss rose beyond the
    rest's (one-sided), or changed otherwise than the rest's (``two_sided``)."""
    from scipy import stats as _st

    stat, df, _, degenerate = difference_statistics(inside, outside, binary=binary)
    tail = _st.norm.sf if binary else (lambda x: _st.t.sf(x, df))
    p = 2 * tail(np.abs(stat)) if two_sided else tail(stat)
    return np.where(degenerate, 1.0, np.minimum(p, 1.0))


# --------------------------------------------------------------------------- AUC

def auc_delong(y_true: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """ROC AUC and DeLong's variance (the fast midrank algorithm of Sun & Xu, 2014).

    >>> auc, var = auc_delong(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> auc, round(var, 4)
    (0.75, 0.125)
    """
    from scipy.stats import rankdata

    y = np.asarray(y_true) >= 0.5
    s = np.asarray(score, dtype=float)
    pos, neg = s[y], s[~y]
    m, n = pos.size, neg.size
    if m == 0 or n == 0:
        raise MlwatchError("AUC needs both classes among the labels")
    all_ranks = rankdata(np.concatenate([pos, neg]))
    pos_ranks, neg_ranks = rankdata(pos), rankdata(neg)
    v10 = (all_ranks[:m] - pos_ranks) / n          # per positive: share of negatives below it
    v01 = 1 - (all_ranks[m:] - neg_ranks) / m      # per negative: share of positives above it
    auc = float(v10.mean())
    var = (np.var(v10, ddof=1) / m if m > 1 else 0.0) + (np.var(v01, ddof=1) / n if n > 1 else 0.0)
    return auc, float(var)
