"""Noise floors: what each distance reads when nothing drifted, for the sample sizes at hand.

Every binned distance is, for small differences between the two histograms, a function
of the same quadratic form ``Q = sum (q_i - p_i)**2 / p_i``, which under no drift is
distributed as ``(1/n + 1/m) * chi2(B - 1)`` (B bins, n reference and m current rows):

* PSI ~ Q, so E[PSI] ~ (B - 1)(1/n + 1/m), the small-sample bias peers ignore;
* Kullback-Leibler divergence ~ Q / 2 (either direction);
* Jensen-Shannon divergence ~ Q / 8 (nats), and the distance (base 2) is its square root
  over ln 2;
* squared Hellinger distance ~ Q / 8;
* total variation ``sum |q - p| / 2`` is at most ``sqrt(Q) / 2`` (Cauchy-Schwarz).

The noise floor reported is the ``level`` quantile (95 % by default) of that null
distribution: a reading below it is what sampling alone produces. The *expected* value
under no drift is the bias to take off before a reading is called material (the
``*_expected`` functions): without it, PSI's material threshold of 0.1 is met by noise
at small n and a fixed shift is flagged *less* often as the data grows. The KS floor is
the asymptotic Kolmogorov quantile, its mean ``sqrt(pi / 2) ln 2`` times ``sqrt(1/n + 1/m)``.
For the normalised Wasserstein distance the null mean is
``sqrt(2/pi) sqrt(1/n + 1/m) * int sqrt(F (1 - F)) dx / sd``; its 95th percentile sits
between 1.47 and 1.85 times the mean across normal, uniform, lognormal, t(3), bimodal and
exponential references (simulated with scipy), so the floor takes the upper ratio, 1.85.
"""

from __future__ import annotations

import functools

import numpy as np

from mlwatch.stats.tally import Tally

WASSERSTEIN_Q95_RATIO = 1.85


def _scale(n_reference: int, n_current: int) -> float:
    if n_reference <= 0 or n_current <= 0:
        raise ValueError("noise floors need at least one value on each side")
    return 1.0 / n_reference + 1.0 / n_current


def chi2_floor(n_reference: int, n_current: int, n_bins: int, level: float = 0.95) -> float:
    """The ``level`` quantile of ``sum (q - p)**2 / p`` under no drift."""
    return _scale(n_reference, n_current) * _chi2_quantile(level, max(n_bins - 1, 1))


@functools.lru_cache(maxsize=64)
def _kolmogorov_quantile(level: float) -> float:
    from scipy import stats as _st
    return float(_st.kstwobign.ppf(level))


@functools.lru_cache(maxsize=1024)
def _chi2_quantile(level: float, dof: int) -> float:
    """scipy's chi-square quantile, kept: a wide table asks for the same few thousands of times
    (0.1 ms a call)."""
    from scipy import stats as _st
    return float(_st.chi2.ppf(level, dof))


def psi_noise_floor(n_reference: int, n_current: int, n_bins: int, level: float = 0.95) -> float:
    """PSI that sampling alone exceeds with probability ``1 - level``.

    >>> round(psi_noise_floor(100, 100, 10), 3)     # a small slice: 0.1 is noise here
    0.338
    >>> round(psi_noise_floor(1_000_000, 1_000_000, 10), 6)
    3.4e-05
    """
    return chi2_floor(n_reference, n_current, n_bins, level)


def psi_expected(n_reference: int, n_current: int, n_bins: int) -> float:
    """Expected PSI under no drift: ``(B - 1)(1/n + 1/m)``.

    >>> psi_expected(1000, 1000, 10)
    0.018
    """
    return max(n_bins - 1, 1) * _scale(n_reference, n_current)


def kl_noise_floor(n_reference: int, n_current: int, n_bins: int, level: float = 0.95) -> float:
    """Kullback-Leibler divergence (nats) under no drift, ``level`` quantile: ``Q / 2``."""
    return chi2_floor(n_reference, n_current, n_bins, level) / 2.0


def kl_expected(n_reference: int, n_current: int, n_bins: int) -> float:
    """Expected KL divergence under no drift: ``(B - 1)(1/n + 1/m) / 2``."""
    return psi_expected(n_reference, n_current, n_bins) / 2.0


def _sqrt_chi2_mean(dof: int) -> float:
    """E[sqrt(X)] for X ~ chi2(dof): sqrt(2) Gamma((dof + 1) / 2) / Gamma(dof / 2)."""
    from scipy.special import gammaln
    return float(np.sqrt(2.0) * np.exp(gammaln((dof + 1) / 2) - gammaln(dof / 2)))


def js_expected(n_reference: int, n_current: int, n_bins: int) -> float:
    """Expected Jensen-Shannon distance (base 2) under no drift.

    >>> round(js_expected(1000, 1000, 10), 4)
    0.0554
    """
    dof = max(n_bins - 1, 1)
    return float(np.sqrt(_scale(n_reference, n_current) / 8.0 / np.log(2.0)) * _sqrt_chi2_mean(dof))


def hellinger_expected(n_reference: int, n_current: int, n_bins: int) -> float:
    """Expected Hellinger distance under no drift."""
    dof = max(n_bins - 1, 1)
    return float(np.sqrt(_scale(n_reference, n_current) / 8.0) * _sqrt_chi2_mean(dof))


def tv_noise_floor(n_reference: int, n_current: int, n_bins: int, level: float = 0.95) -> float:
    """Total variation distance under no drift, at most this with probability ``level``:
    ``sqrt(Q_level) / 2`` (an upper bound, by Cauchy-Schwarz)."""
    return float(np.sqrt(chi2_floor(n_reference, n_current, n_bins, level)) / 2.0)


def tv_expected(shares, n_reference: int, n_current: int) -> float:
    """Expected total variation distance under no drift, given the pooled ``shares`` of
    the bins: each bin's difference of shares is about normal with variance
    ``p (1 - p)(1/n + 1/m)``, whose absolute value has mean ``sqrt(2 / pi)`` sd.

    >>> round(tv_expected([0.5, 0.5], 1000, 1000), 4)
    0.0178
    """
    p = np.asarray(shares, dtype=float)
    return float(0.5 * np.sqrt(2 / np.pi) * np.sum(np.sqrt(p * (1 - p) * _scale(n_reference, n_current))))


KS_MEAN = float(np.sqrt(np.pi / 2) * np.log(2.0))     # mean of Kolmogorov's distribution


def ks_expected(n_reference: int, n_current: int) -> float:
    """Expected KS statistic under no drift (continuous values; ties make it smaller).

    >>> round(ks_expected(1000, 1000), 4)
    0.0388
    """
    return KS_MEAN * float(np.sqrt(_scale(n_reference, n_current)))


def js_noise_floor(n_reference: int, n_current: int, n_bins: int, level: float = 0.95) -> float:
    """Jensen-Shannon distance (base 2) under no drift, ``level`` quantile."""
    return float(np.sqrt(chi2_floor(n_reference, n_current, n_bins, level) / 8.0 / np.log(2.0)))


def hellinger_noise_floor(n_reference: int, n_current: int, n_bins: int, level: float = 0.95) -> float:
    """Hellinger distance under no drift, ``level`` quantile."""
    return float(np.sqrt(chi2_floor(n_reference, n_current, n_bins, level) / 8.0))


def ks_noise_floor(n_reference: int, n_current: int, level: float = 0.95) -> float:
    """KS statistic under no drift, ``level`` quantile (asymptotic Kolmogorov).

    >>> round(ks_noise_floor(1000, 1000), 4)
    0.0607
    """
    return _kolmogorov_quantile(level) * float(np.sqrt(_scale(n_reference, n_current)))


def wasserstein_expected(sorted_reference: np.ndarray, n_current: int, scale: float) -> float:
    """Expected normalised Wasserstein distance under no drift.

    ``scale`` is what the distance is divided by (the reference standard deviation);
    ``sorted_reference`` the reference's finite values sorted, or their tally.
    """
    n = sorted_reference.size
    if scale <= 0 or n < 2:
        return 0.0
    grid = np.linspace(0.0, 1.0, 201)
    if isinstance(sorted_reference, Tally):
        q = sorted_reference.quantile(grid)
    else:
        position = grid * (n - 1)                 # numpy.quantile (linear) read off the sorted array
        lo = np.floor(position).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        q = sorted_reference[lo] + (position - lo) * (sorted_reference[hi] - sorted_reference[lo])
    mid = (grid[1:] + grid[:-1]) / 2
    integral = float(np.sum(np.sqrt(mid * (1 - mid)) * np.diff(q)))
    return float(np.sqrt(2 / np.pi) * np.sqrt(_scale(n, n_current)) * integral / scale)


def wasserstein_noise_floor(sorted_reference: np.ndarray, n_current: int, scale: float) -> float:
    """Normalised Wasserstein distance under no drift, about its 95th percentile."""
    return WASSERSTEIN_Q95_RATIO * wasserstein_expected(sorted_reference, n_current, scale)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``).

    >>> benjamini_hochberg([0.01, 0.02, 0.5]).round(3).tolist()
    [0.03, 0.03, 0.5]
    >>> benjamini_hochberg([]).tolist()
    []
    """
    from scipy import stats as _st
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return _st.false_discovery_control(p, method="bh")
