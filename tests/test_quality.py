"""Data-quality checks: faults injected into real columns fail them; the untouched data passes."""

import numpy as np
import polars as pl
import pytest

from mlwatch import audit
from mlwatch.stats import quality

FEATURES = ["dep_delay", "air_time", "distance", "temp", "carrier", "origin"]


@pytest.fixture(scope="module")
def halves(flights):
    """Two random halves of the same months: no drift, real data."""
    winter = flights.filter(pl.col("month") <= 3).select(FEATURES).sample(fraction=1.0, shuffle=True, seed=1)
    half = winter.height // 2
    return winter.head(half), winter.tail(winter.height - half)


def _failed(result):
    return {(r["feature"], r["check"]) for r in result.failed_checks.iter_rows(named=True)}


def test_control_passes_every_check(halves):
    reference, current = halves
    assert _failed(audit(reference, current)) == set()


def test_null_spike(halves):
    reference, current = halves
    broken = current.with_columns(pl.when(pl.int_range(pl.len()) % 10 == 0).then(None)
                                  .otherwise(pl.col("air_time")).alias("air_time"))
    assert ("air_time", "null_rate") in _failed(audit(reference, broken))


def test_small_null_rate_below_one_percent_is_tolerated(halves):
    reference, current = halves
    broken = current.with_columns(pl.when(pl.int_range(pl.len()) % 400 == 0).then(None)
                                  .otherwise(pl.col("distance")).alias("distance"))
    assert ("distance", "null_rate") not in _failed(audit(reference, broken))


def test_unit_change_goes_out_of_range(halves):
    reference, current = halves
    broken = current.with_columns(pl.col("air_time") * 60)    # minutes -> seconds upstream
    check = audit(reference, broken).quality.filter(
        (pl.col("feature") == "air_time") & (pl.col("check") == "out_of_range")).row(0, named=True)
    assert check["failed"] and check["current"] > 0.9


def test_default_flood_and_sentinel(halves):
    reference, current = halves
    mean = reference["temp"].mean()
    imputed = current.with_columns(pl.when(pl.int_range(pl.len()) % 5 == 0).then(pl.lit(mean))
                                   .otherwise(pl.col("temp")).alias("temp"))
    check = audit(reference, imputed).quality.filter(
        (pl.col("feature") == "temp") & (pl.col("check") == "value_spike")).row(0, named=True)
    assert check["failed"] and check["current"] == pytest.approx(0.2, abs=0.01)
    sentinel = current.with_columns(pl.when(pl.int_range(pl.len()) % 10 == 0).then(pl.lit(-1.0))
                                    .otherwise(pl.col("dep_delay")).alias("dep_delay"))
    check = audit(reference, sentinel).quality.filter(
        (pl.col("feature") == "dep_delay") & (pl.col("check") == "value_spike")).row(0, named=True)
    assert check["failed"] and check["detail"].startswith("value -1 holds")


def test_stale_constant_column(halves):
    reference, current = halves
    frozen = current.with_columns(pl.lit(1089).alias("distance"))
    failed = _failed(audit(reference, frozen))
    assert ("distance", "constant") in failed


def test_lost_and_new_categories(halves):
    reference, current = halves
    lost = current.filter(pl.col("carrier") != "EV")          # a whole carrier stops flowing
    assert ("carrier", "missing_category") in _failed(audit(reference, lost))
    renamed = current.with_columns(pl.col("origin").replace({"JFK": "KJFK"}))   # re-coded upstream
    failed = _failed(audit(reference, renamed))
    assert ("origin", "new_category") in failed and ("origin", "missing_category") in failed


def test_rare_categories_unseen_by_chance_do_not_fail(rng):
    """Zipf-distributed categories: both halves miss some rare ones by chance."""
    probs = 1 / np.arange(1, 3001) ** 1.1
    probs /= probs.sum()
    names = np.array([f"p{i}" for i in range(3000)])
    alarms = 0
    for n, m in [(20_000, 20_000), (20_000, 5_000), (5_000, 40_000)] * 4:
        ref = pl.DataFrame({"product": names[rng.choice(3000, n, p=probs)]})
        cur = pl.DataFrame({"product": names[rng.choice(3000, m, p=probs)]})
        failed = _failed(audit(ref, cur))
        alarms += ("product", "new_category") in failed
        alarms += ("product", "missing_category") in failed
    assert alarms <= 1        # 24 checks at alpha 0.05


def test_rate_increase_test_is_fishers_exact_test():
    """One-sided Fisher's exact test, against scipy's, at small and large counts."""
    from scipy import stats
    for k1, n1, k2, n2 in ((30, 1000, 52, 1100), (0, 200, 3, 200), (5, 50, 9, 40), (400, 100_000, 520, 100_000)):
        expected = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="less").pvalue
        assert quality.increase_p_value(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-9)


def test_beyond_range_p_value_is_exact_under_exchangeability(rng):
    """Against simulation, on a skewed and a uniform distribution (the count does not depend on it)."""
    for draw in (lambda k: rng.lognormal(0, 1, k), lambda k: rng.random(k)):
        counts = np.array([((b < a.min()) | (b > a.max())).sum()
                           for a, b in ((draw(150), draw(100)) for _ in range(6000))])
        for k in (1, 2, 4):
            simulated = (counts >= k).mean()
            assert quality.beyond_range_p_value(k, 150, 100) == pytest.approx(simulated, abs=0.02)
