"""Property tests (hypothesis) for the drift statistics."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from mlwatch.stats import get_test

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, st.integers(5, 300), elements=finite)
categories = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=3, max_size=200)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_psi_non_negative(a, b):
    assert get_test("psi")(a, b).value >= 0


@settings(max_examples=60, deadline=None)
@given(samples)
def test_psi_of_a_sample_with_itself_is_zero(a):
    assert get_test("psi")(a, a.copy()).value == 0.0


@settings(max_examples=60, deadline=None)
@given(samples, samples, st.randoms(use_true_random=False))
def test_statistics_invariant_to_row_order(a, b, random):
    a2, b2 = a.copy(), b.copy()
    random.shuffle(a2)
    random.shuffle(b2)
    for name in ("psi", "ks", "js", "hellinger", "chi2", "wasserstein"):
        assert get_test(name)(a, b).value == get_test(name)(a2, b2).value


@settings(max_examples=60, deadline=None)
@given(categories, categories, st.permutations(["v", "w", "x", "y", "z"]))
def test_categorical_psi_unchanged_by_consistent_renaming(a, b, names):
    rename = dict(zip(["a", "b", "c", "d", "e"], names))
    before = get_test("psi")(a, b).value
    after = get_test("psi")([rename[x] for x in a], [rename[x] for x in b]).value
    assert abs(before - after) < 1e-12


@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful")
@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.integers(1, 200), elements=st.integers(-5, 5).map(float)),
       arrays(np.float64, st.integers(1, 200), elements=st.integers(-5, 5).map(float)))
def test_ks_and_wasserstein_match_scipy_on_tied_values(a, b):
    assert abs(get_test("ks")(a, b).value - stats.ks_2samp(a, b).statistic) < 1e-12
    if np.std(a) > 0:
        expected = stats.wasserstein_distance(a, b) / np.std(a)
        assert abs(get_test("wasserstein")(a, b).value - expected) < 1e-9
