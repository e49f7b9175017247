"""Every statistic against an independent reference: scipy, or a hand computation."""

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlwatch.stats import available_tests, get_test, noise
from mlwatch.stats.binning import Bins, numeric_bins, quantile_edges
from mlwatch.stats.drift import (DriftStatistic, chi2_from_bins, hellinger_from_bins, js_from_bins,
                                 ks_wasserstein_sorted, psi_from_bins)


def _pair(rng, n, m, shift=0.3):
    return rng.normal(size=n), rng.normal(shift, 1.2, size=m)


@pytest.mark.parametrize("n,m", [(30, 45), (400, 900), (5000, 5000), (20_000, 15_000), (300_000, 200_000)])
def test_ks_matches_scipy(rng, n, m):
    a, b = _pair(rng, n, m)
    ours = get_test("ks")(a, b)
    ref = stats.ks_2samp(a, b)
    assert ours.value == pytest.approx(ref.statistic, abs=1e-12)
    if max(n, m) <= 10_000:                       # scipy's own exact regime
        assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-300)
    else:                                         # beyond, an asymptotic formula: close where it matters
        assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-2) if ref.pvalue > 1e-10 else ours.p_value < 1e-10


def test_ks_with_ties_matches_scipy(rng):
    a = rng.poisson(3, 3000).astype(float)
    b = rng.poisson(3.4, 2000).astype(float)
    assert get_test("ks")(a, b).value == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


@pytest.mark.parametrize("n,m", [(50, 70), (3000, 1000), (100_000, 80_000)])
def test_wasserstein_matches_scipy_over_reference_sd(rng, n, m):
    a, b = _pair(rng, n, m)
    expected = stats.wasserstein_distance(a, b) / np.std(a)
    assert get_test("wasserstein")(a, b).value == pytest.approx(expected, rel=1e-9)


def test_wasserstein_with_ties(rng):
    a = rng.integers(0, 5, 1000).astype(float)
    b = rng.integers(1, 7, 1500).astype(float)
    _, w = ks_wasserstein_sorted(np.sort(a), np.sort(b))
    assert w == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)


def _bins(ref, cur):
    nan = np.full(len(ref), np.nan)
    return Bins(tuple(map(str, range(len(ref)))), np.array(ref), np.array(cur), nan, nan.copy())


def test_chi2_matches_scipy_contingency():
    b = _bins([120, 80, 0, 40, 60], [100, 120, 0, 20, 90])
    statistic, dof, p = chi2_from_bins(b)
    table = np.array([[120, 80, 40, 60], [100, 120, 20, 90]])
    ref = stats.chi2_contingency(table, correction=False)
    assert statistic == pytest.approx(ref.statistic)
    assert dof == ref.dof
    assert p == pytest.approx(ref.pvalue)


def test_js_matches_scipy_base2():
    b = _bins([120, 80, 0, 40], [100, 120, 15, 20])
    p, q = b.reference / b.reference.sum(), b.current / b.current.sum()
    assert js_from_bins(b) == pytest.approx(jensenshannon(p, q, base=2), rel=1e-12)


def test_hellinger_by_hand():
    b = _bins([50, 50], [80, 20])
    # sqrt(((sqrt .5 - sqrt .8)^2 + (sqrt .5 - sqrt .2)^2) / 2)
    expected = np.sqrt(((np.sqrt(.5) - np.sqrt(.8)) ** 2 + (np.sqrt(.5) - np.sqrt(.2)) ** 2) / 2)
    assert hellinger_from_bins(b) == pytest.approx(expected)


def test_psi_hand_fixture_categorical():
    # shares .4/.4/.2 -> .2/.5/.3: sum (q - p) ln(q / p)
    b = _bins([40, 40, 20], [20, 50, 30])
    expected = (-.2 * np.log(.5)) + (.1 * np.log(1.25)) + (.1 * np.log(1.5))
    value, contributions = psi_from_bins(b)
    assert value == pytest.approx(expected)
    assert contributions.tolist() == pytest.approx([-.2 * np.log(.5), .1 * np.log(1.25), .1 * np.log(1.5)])


def test_psi_empty_bin_counts_half_an_observation():
    b = _bins([50, 50], [100, 0])
    q_empty = 0.5 / 100
    expected = (1.0 - .5) * np.log(1.0 / .5) + (q_empty - .5) * np.log(q_empty / .5)
    assert psi_from_bins(b)[0] == pytest.approx(expected)


def test_psi_numeric_on_reference_deciles_by_hand():
    reference = np.arange(1.0, 101.0)            # deciles at 10.9, 20.8, ...
    current = np.r_[np.arange(1.0, 51.0), np.full(50, 1000.0)]  # half beyond the reference max
    r = get_test("psi")(reference, current)
    # current: bins 1-5 hold 10, 10, 10, 10, 10 (the 5th: 40.6 < x <= 50.5 holds 41..50 = 10), last bin 50 + 0
    b = r.bins
    assert b.reference[:10].tolist() == [10] * 10
    assert b.current[:10].tolist() == [10, 10, 10, 10, 10, 0, 0, 0, 0, 50]
    p = np.full(10, .1)
    q = np.array([.1] * 5 + [.005] * 4 + [.5])   # four empty bins count 0.5 of 100
    assert r.value == pytest.approx(np.sum((q - p) * np.log(q / p)))


def test_out_of_range_values_land_in_open_outer_bins():
    b = numeric_bins(np.arange(10.0), np.array([-100.0, 100.0]), bins=5)
    assert b.current[0] == 1 and b.current[-2] == 1


def test_quantile_edges_match_numpy(rng):
    x = np.sort(rng.lognormal(size=1001))
    expected = np.quantile(x, np.arange(1, 10) / 10)
    assert quantile_edges(x, 10) == pytest.approx(expected)


def test_noise_floor_formula():
    assert noise.psi_noise_floor(1000, 500, 10) == pytest.approx((1 / 1000 + 1 / 500) * stats.chi2.ppf(.95, 9))
    assert noise.psi_expected(200, 200, 10) == pytest.approx(9 * 0.01)
    assert noise.ks_noise_floor(400, 400) == pytest.approx(stats.kstwobign.ppf(.95) * np.sqrt(2 / 400))


def test_psi_noise_floor_is_the_95th_percentile_of_null_psi(rng):
    """Simulate PSI under no drift and compare its 95th percentile with the floor."""
    n = m = 500
    values = [get_test("psi")(rng.normal(size=n), rng.normal(size=m)).value for _ in range(400)]
    empirical = np.quantile(values, .95)
    assert np.mean(values) == pytest.approx(noise.psi_expected(n, m, 10), rel=0.2)
    assert empirical == pytest.approx(noise.psi_noise_floor(n, m, 10), rel=0.25)


def test_wasserstein_noise_floor_covers_null(rng):
    values, floor = [], None
    for _ in range(300):
        r = get_test("wasserstein")(rng.exponential(size=800), rng.exponential(size=600))
        values.append(r.value)
        floor = r.noise_floor
    share_above = np.mean(np.array(values) > floor)
    assert 0.005 <= share_above <= 0.10


def test_benjamini_hochberg_matches_scipy(rng):
    p = rng.uniform(size=50) ** 3
    assert noise.benjamini_hochberg(p) == pytest.approx(stats.false_discovery_control(p))


@pytest.mark.parametrize("name", available_tests())
def test_registered_test_conformance(name, rng):
    """Every registered test: a DriftStatistic, non-negative, ~0 on identical samples,
    larger under a real shift, p-value in [0, 1] when it has one."""
    test = get_test(name)
    a = rng.normal(size=2000)
    same = test(a, a.copy())
    shifted = test(a, rng.normal(1.0, 1.0, size=2000))
    assert isinstance(same, DriftStatistic) and same.name == name
    assert same.value == pytest.approx(0.0, abs=1e-12)
    assert shifted.value > same.value and shifted.value > shifted.noise_floor
    for r in (same, shifted):
        assert r.value >= 0 and np.isfinite(r.value) and r.noise_floor >= 0
        assert r.p_value is None or 0.0 <= r.p_value <= 1.0
    assert test.function.__doc__ and ">>>" in test.function.__doc__


@pytest.mark.parametrize("kind", ["normal", "shifted", "poisson", "mostly_zero", "disjoint", "identical"])
@pytest.mark.parametrize("n,m", [(60_000, 45_000), (50_000, 50_000), (7, 120_000), (5_000, 4_000), (300, 11_000)])
def test_ks_and_wasserstein_kernels_exact_on_large_samples(rng, kind, n, m):
    """The bounded KS search and the quantile-space Wasserstein agree with scipy to the last digit."""
    make = {
        "normal": lambda k, s: rng.normal(size=k),
        "shifted": lambda k, s: rng.normal(0.02 * s, 1, size=k),
        "poisson": lambda k, s: rng.poisson(3 + 0.1 * s, size=k).astype(float),
        "mostly_zero": lambda k, s: rng.poisson(0.05, size=k).astype(float),
        "disjoint": lambda k, s: rng.uniform(size=k) + 2 * s,
        "identical": lambda k, s: np.round(rng.normal(size=k), 1),
    }[kind]
    a, b = np.sort(make(n, 0)), np.sort(make(m, 1))
    d, w = ks_wasserstein_sorted(a, b)
    assert d == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    assert w == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-10, abs=1e-15)


@pytest.mark.parametrize("shift", [0.0, 0.004, 0.008, 0.012])
def test_ks_p_value_for_large_samples_is_close_to_scipy(rng, shift):
    a, b = rng.normal(size=200_000), rng.normal(shift, 1, size=150_000)
    ours, ref = get_test("ks")(a, b), stats.ks_2samp(a, b)
    assert ours.value == pytest.approx(ref.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-2)
