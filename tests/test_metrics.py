"""Metrics, intervals and comparison tests against scipy and hand computations."""

import numpy as np
import pytest
from scipy import stats

from mlwatch.stats import metrics
from mlwatch.stats.changepoint import cusum_start, mean_shift
from mlwatch.stats.decompose import mix_rate


def test_wilson_interval_matches_scipy():
    k, n = 137, 900
    value, low, high = metrics.metric_interval("accuracy", n, k, k)       # k errors
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert value == pytest.approx(1 - k / n)
    assert (low, high) == pytest.approx((1 - ci.high, 1 - ci.low), abs=1e-9)


def test_mean_loss_interval_matches_scipy_t(rng):
    x = rng.exponential(2.0, 300)
    value, low, high = metrics.metric_interval("mae", x.size, x.sum(), (x**2).sum())
    ci = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert value == pytest.approx(x.mean()) and (low, high) == pytest.approx(ci)


def test_rmse_interval_is_the_root_of_the_mse_interval(rng):
    e = rng.normal(0, 3, 500) ** 2
    value, low, high = metrics.metric_interval("rmse", e.size, e.sum(), (e**2).sum())
    ci = stats.t.interval(0.95, e.size - 1, loc=e.mean(), scale=stats.sem(e))
    assert value == pytest.approx(np.sqrt(e.mean())) and (low, high) == pytest.approx(np.sqrt(ci))


def test_welch_one_sided_matches_scipy(rng):
    a, b = rng.normal(1.0, 1.0, 400), rng.normal(1.15, 1.6, 250)
    ours = metrics.increase_p_values(a.size, a.sum(), (a**2).sum(), b.size, b.sum(), (b**2).sum(), binary=False)
    ref = stats.ttest_ind(b, a, equal_var=False, alternative="greater").pvalue
    assert float(ours) == pytest.approx(ref, rel=1e-9)
    two = metrics.increase_p_values(a.size, a.sum(), (a**2).sum(), b.size, b.sum(), (b**2).sum(), binary=False,
                                    two_sided=True)
    assert float(two) == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-9)


def test_two_proportion_test_by_hand():
    p1, p2, pooled = 90 / 1000, 130 / 1100, 220 / 2100
    z = (p2 - p1) / np.sqrt(pooled * (1 - pooled) * (1 / 1000 + 1 / 1100))
    ours = metrics.increase_p_values(1000, 90, 90, 1100, 130, 130, binary=True)
    assert float(ours) == pytest.approx(stats.norm.sf(z))


def test_auc_matches_mann_whitney_and_delong_matches_bootstrap(rng):
    y = rng.integers(0, 2, 3000)
    score = rng.normal(y * 0.8, 1.0)
    auc, var = metrics.auc_delong(y, score)
    u = stats.mannwhitneyu(score[y == 1], score[y == 0]).statistic
    assert auc == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()))
    boot = []
    for _ in range(400):
        i = rng.integers(0, y.size, y.size)
        boot.append(metrics.auc_delong(y[i], score[i])[0])
    assert np.sqrt(var) == pytest.approx(np.std(boot), rel=0.15)


def test_row_losses_by_hand():
    y, p = np.array([1, 0, 1, 0]), np.array([0.9, 0.2, 0.4, 0.6])
    assert metrics.row_losses("accuracy", y, p).tolist() == [0, 0, 1, 1]
    expected = -np.array([np.log(0.9), np.log(0.8), np.log(0.4), np.log(0.4)])
    assert metrics.row_losses("log_loss", y, p) == pytest.approx(expected)
    assert metrics.row_losses("rmse", np.array([3.0]), np.array([1.0])).tolist() == [4.0]


def test_unknown_metric_lists_the_valid_ones():
    with pytest.raises(ValueError, match="expected one of: accuracy, auc, log_loss"):
        metrics.check_metric("classification", "mae")


def test_mix_rate_is_exact_and_separates_the_two():
    n_r, l_r, n_c, l_c = [100, 300, 50], [0.1, 0.2, 0.5], [250, 150, 0], [0.15, 0.2, np.nan]
    mix, rate = mix_rate(n_r, l_r, n_c, l_c)
    before = np.dot(np.array(n_r) / 450, l_r)
    after = (250 * 0.15 + 150 * 0.2) / 400
    assert mix + rate == pytest.approx(after - before)
    only_rate = mix_rate([100, 100], [0.1, 0.2], [100, 100], [0.3, 0.2])
    assert only_rate == pytest.approx((0.0, 0.1))


def test_change_points():
    shift = mean_shift([100] * 10, [5] * 4 + [20] * 6, direction="up")
    assert shift.index == 4 and shift.before == pytest.approx(0.05) and shift.after == pytest.approx(0.2)
    assert mean_shift([100] * 10, [20] * 4 + [5] * 6, direction="up") is None      # no rise to find
    # tabular CUSUM by hand: S = max(0, S + z - 0.5); the run that raises the alarm starts at 3
    assert cusum_start([0.1, -0.3, 0.2, 1.5, 1.4, 1.6, 1.5, 1.7]) == (7, 3)
    assert cusum_start([-1.5, -1.4, -1.6, -1.5, -1.7], direction="down") == (4, 0)
    assert cusum_start([0.2, -0.2] * 20) is None
