"""The two top complaints about peers: small slices raise false alarms; huge samples flag trifles."""

import polars as pl
import pytest

from mlwatch import audit

FEATURES = ["dep_delay", "air_time", "distance", "hour", "temp", "humid", "carrier", "origin"]


@pytest.fixture(scope="module")
def pool(flights):
    """One window of real data; any two disjoint random samples of it do not drift."""
    return flights.filter(pl.col("month").is_between(4, 6)).select(FEATURES).drop_nulls()


@pytest.mark.parametrize("n", [50, 200, 2_000, 40_000])
def test_no_drift_false_alarm_rate_is_near_nominal(pool, n):
    flagged, significant, tests = 0, 0, 0
    for seed in range(30):
        sample = pool.sample(2 * n, seed=seed, shuffle=True)
        result = audit(sample.head(n), sample.tail(n))
        flagged += result.table["drifted"].sum()
        significant += (result.table["p_value"] < 0.05).sum()
        tests += result.table.height
    assert flagged / tests <= 0.02                 # BH at 5 % and a material PSI: almost never
    assert significant / tests <= 0.10             # raw p-values keep their nominal 5 % (with slack)


def test_small_slice_psi_above_threshold_is_noise_not_drift(pool):
    """At 60 rows a side, PSI routinely exceeds 0.1 by chance; the noise floor says so."""
    sample = pool.sample(120, seed=11, shuffle=True)
    result = audit(sample.head(60), sample.tail(60), features=["dep_delay", "air_time", "temp"])
    assert (result.table["noise_floor"] > 0.25).all()
    assert result.drifted == []


def test_small_slice_real_drift_is_still_found(pool):
    sample = pool.sample(600, seed=5, shuffle=True)
    current = sample.tail(300).with_columns(pl.col("air_time") * 1.6)
    result = audit(sample.head(300), current, features=["air_time", "distance", "temp"])
    assert result.drifted == ["air_time"]


def test_huge_sample_immaterial_shift_is_minor_not_drifted(rng):
    n = 400_000
    reference = pl.DataFrame({"x": rng.normal(0, 1, n)})
    current = pl.DataFrame({"x": rng.normal(0.03, 1, n)})   # 3 % of a sd: real, but immaterial
    row = audit(reference, current).table.row(0, named=True)
    assert row["p_value_adjusted"] < 1e-6                   # everything is significant at this size
    assert not row["drifted"] and row["severity"] == "minor" and row["psi"] < 0.01
