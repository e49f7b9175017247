"""A seeded subset of the random-incident scorecard (``benchmarks/bench_diagnosis.py``): 40
incidents nobody tuned anything for, ten a bundled table, with and without labels."""

import warnings

import numpy as np
import polars as pl
import pytest

from mlwatch import investigate
from mlwatch.datasets import tables
from mlwatch.simulate import KINDS, Injection, simulate
from mlwatch.steps.scorecard import CHECKS, score

warnings.filterwarnings("ignore", category=FutureWarning)


@pytest.fixture(scope="module")
def scorecard():
    runs = []
    for i in range(40):
        table = tables()[i % 4]
        labels = "withheld" if i % 5 == 4 else "available"
        kinds = [k for k in KINDS if not (labels == "withheld" and k == "concept_drift")]
        try:
            case = simulate(table, Injection(kinds[(i * 7) % len(kinds)]), n=3000, seed=1000 + i, labels=labels)
        except Exception:            # a kind the table has no column for
            continue
        findings = investigate(case.reference, case.current, multivariate=False, **case.investigate_kwargs())
        runs.append((case, findings, score(case, findings)))
    return runs


def test_controls_stay_quiet(scorecard):
    controls = [s for case, _, s in scorecard if case.truth["kind"] == "none"]
    assert controls and all(s["verdict"] for s in controls)


def test_the_diagnosis_is_mostly_right(scorecard):
    """A regression guard on this seeded subset at 3,000 rows a side, where the verdict is
    right in 32 of 37 incidents (the full scorecard, 498 incidents at up to 10,000 rows a
    side, measures 98 % with labels and 99 % without: see the README; the goal is 95 %), and
    the feature and signature mostly right whenever the verdict is."""
    assert len(scorecard) >= 30
    rate = {c: np.mean([s[c] for _, _, s in scorecard if s[c] is not None]) for c in CHECKS}
    assert rate["verdict"] >= 0.8, rate
    right = [(case, s) for case, _, s in scorecard if s["verdict"] and s["feature"] is not None]
    assert np.mean([s["feature"] for _, s in right]) >= 0.9
    assert np.mean([s["signature"] for _, s in right]) >= 0.85


def test_a_pipeline_fault_is_never_called_concept_drift(scorecard):
    for case, findings, _ in scorecard:
        if case.truth["verdict"] == "skew":
            assert findings.verdict.kind != "concept_drift", case.truth


def test_an_onset_is_right_anywhere_the_slices_rows_cannot_tell_from_the_truth():
    """The rows of a slice that lives on Mondays cannot date a change that began on a Thursday
    before the next Monday: that Monday is right, a day after it (a bucket) too, two days after
    it or a day before the last Monday are not."""
    import datetime as dt
    from types import SimpleNamespace

    hours = pl.datetime_range(dt.datetime(2012, 8, 1), dt.datetime(2012, 8, 31, 23), "1h", eager=True)
    current = pl.DataFrame({"t": hours, "day": hours.dt.weekday().cast(pl.String)})   # "1" is a Monday
    reference = current.with_columns(pl.col("t").dt.offset_by("-31d"))
    case = SimpleNamespace(current=current, reference=reference, roles={"time": "t"},
                           truth={"kind": "concept_drift", "verdict": "concept_drift", "slice": {"day": "1"},
                                  "feature": None, "onset": "2012-08-09T17:00:00", "event": None})

    def right(onset: str) -> bool:
        primary = SimpleNamespace(scope="day=1", onset=onset, feature=None, signature=None, event=None)
        findings = SimpleNamespace(verdict=SimpleNamespace(kind="concept_drift", primary=primary, findings=(primary,)))
        return score(case, findings)["onset"]

    assert right("2012-08-13") and right("2012-08-14 00:00") and right("2012-08-06 23:00") and right("2012-08-06")
    assert not right("2012-08-15 01:00") and not right("2012-08-05 22:00")
    case.truth["slice"] = None            # every row: the truth's own hour, give or take a bucket (a day)
    assert right("2012-08-10 17:00") and not right("2012-08-13")
    # a fault that showed first in a row on the 20th (a cap few values reached): no row before
    # it told the change from the reference, so up to that row (and a bucket) is right too
    case.truth["first_changed"] = "2012-08-20T05:00:00"
    assert right("2012-08-20 05:00") and right("2012-08-21 05:00") and right("2012-08-10 17:00")
    assert not right("2012-08-21 06:00") and not right("2012-08-08 15:00")


def test_a_slice_is_right_by_its_rows_where_no_row_tells_two_scopes_apart():
    """Scorecard incident 2950116: Delta's distances capped at 2,446 miles, found on Delta at
    JFK. Only JFK flies Delta that far, so both scopes change the same rows: ``same_rows``
    holds where the strict check does not. The population, or Delta at LaGuardia, would cap
    other rows (other carriers' long flights; none at all) and does not hold."""
    import datetime as dt
    from types import SimpleNamespace

    from mlwatch.steps.scorecard import same_rows

    hours = pl.datetime_range(dt.datetime(2013, 9, 1), dt.datetime(2013, 9, 2, 23), "1h", eager=True)
    carrier = ["DL", "DL", "DL", "DL", "UA", "UA", "UA", "UA"] * 6
    origin = ["JFK", "LGA", "LGA", "EWR", "JFK", "LGA", "EWR", "EWR"] * 6
    distance = [2475.0, 1000.0, 760.0, 500.0, 2586.0, 700.0, 2565.0, 1400.0] * 6
    current = pl.DataFrame({"t": hours, "carrier": carrier, "origin": origin, "distance": distance})
    after = (current["t"] >= dt.datetime(2013, 9, 2)).to_numpy()
    changed = after & (current["carrier"] == "DL").to_numpy() & (current["distance"] > 2446).to_numpy()
    current = current.with_columns(pl.Series("distance", np.where(changed, 2446.0, current["distance"])))
    truth = {"kind": "clipping", "verdict": "skew", "slice": {"carrier": "DL"}, "feature": "distance", "signature": "clipping",
             "onset": "2013-09-02T00:00:00", "details": {"bound": 2446.0, "side": "upper"}, "event": None}
    reference = current.with_columns(pl.col("t").dt.offset_by("-2d"))
    case = SimpleNamespace(reference=reference, current=current, roles={"time": "t"}, truth=truth, changed=changed)

    def checks(scope: str) -> tuple[bool, bool]:
        primary = SimpleNamespace(kind="skew", scope=scope, onset="2013-09-02", feature="distance",
                                  signature="clipping", event=None)
        findings = SimpleNamespace(verdict=SimpleNamespace(kind="skew", primary=primary, findings=(primary,)))
        return score(case, findings)["slice"], same_rows(case, findings)

    assert checks("carrier=DL") == (True, True)
    assert checks("carrier=DL & origin=JFK") == (False, True)     # a quarter of Delta's rows, all it capped
    assert checks("population") == (False, False)                 # UA's long flights are not capped
    assert checks("carrier=DL & origin=LGA") == (False, False)
    case.changed = None
    assert checks("carrier=DL")[1] is None


def test_simulate_marks_the_rows_it_changed():
    case = simulate("bike", Injection("clipping", feature="temp", fraction=1.0, onset=0.5), n=2000, seed=4)
    truth = case.truth
    assert case.changed.sum() == truth["n_changed"] > 0
    capped = case.current.filter(pl.Series(case.changed))["temp"]
    assert (capped == truth["details"]["bound"]).all()
    assert simulate("bike", "none", n=2000, seed=4).changed.sum() == 0


def test_the_truth_dates_the_first_row_the_incident_changed():
    """``first_changed`` is the time of the earliest current row whose value the incident
    changed: nulls written into a tenth of the rows show first some rows after the onset."""
    case = simulate("bike", Injection("null_spike", feature="hum", onset=0.5, fraction=0.1), n=2000, seed=3)
    time = case.roles["time"]
    nulls = case.current.filter(pl.col("hum").is_null())[time]
    assert case.reference["hum"].null_count() == 0 and nulls.len() == case.truth["n_changed"] > 0
    assert case.truth["first_changed"] == nulls.min().isoformat()
    from_onset = case.current.filter(pl.col(time) >= pl.lit(case.truth["onset"]).str.to_datetime())[time]
    assert case.truth["first_changed"] > from_onset.min().isoformat()


def test_the_truth_counts_no_null_left_null_as_changed_and_dates_a_caps_last_unchanged_row():
    """The scorecard's incident 136: a cap on wind speed for one carrier from 8 September. A
    null left null was counted as changed (so "first changed" was a null of 15 August, before
    the onset); and the last row before the onset past the bound bounds what the rows can tell
    on the early side: the rows short of the bound after it look the same with the cap or not."""
    from mlwatch import datasets
    from mlwatch.steps.scorecard import _knowable, _position, _rows

    flights = datasets.model_table("flights")
    seed = int(np.random.default_rng(136).integers(1 << 31))
    case = simulate(flights, Injection("clipping"), n=10_000, seed=seed)
    truth, time = case.truth, case.roles["time"]
    assert (truth["feature"], truth["slice"]) == ("wind_speed", {"carrier": "EV"})
    assert truth["first_changed"] >= truth["onset"] > truth["last_unchanged"]
    onset = pl.lit(truth["onset"]).str.to_datetime().dt.replace_time_zone("UTC")
    on_bound = case.current.filter((pl.col("carrier") == "EV") & (pl.col(time) >= onset)
                                   & (pl.col("wind_speed") == truth["details"]["bound"]))
    assert 0 < truth["n_changed"] <= on_bound.height          # every changed row sits on the bound; no null does
    low, high = _knowable(case, _rows(case.current, truth["slice"]))
    assert low == _position(truth["last_unchanged"]) and high == _position(truth["first_changed"])


def test_a_plant_that_changes_no_value_is_refused_and_a_whole_number_written_as_a_float_is_no_change():
    """A factor of 0.01 on a count that is 0 on every row it reached changes nothing: there is
    no incident to find, and ``simulate`` says so rather than score a tool on it (a fresh
    random incident on hotel, seed 700062 of a scratch scorecard, was such a plant). A count
    read back as a float (0 -> 0.0) was counted as changed: every row of the window."""
    from mlwatch.errors import MlwatchError

    base = simulate("hotel", "none", n=3000, seed=5)
    frame = pl.concat([base.reference, base.current]).with_columns(
        pl.lit(0).alias("previous_cancellations"))
    with pytest.raises(MlwatchError, match="changed no value of 'previous_cancellations'"):
        simulate(frame, Injection("unit_change", feature="previous_cancellations", magnitude=(0.01, 0.0)),
                 n=3000, seed=5, roles=base.roles)
    case = simulate("hotel", Injection("unit_change", feature="previous_bookings_not_canceled",
                                       magnitude=(0.01, 0.0), onset=0.5, fraction=1.0, where={}), n=3000, seed=5)
    moved = (case.current["previous_bookings_not_canceled"] % 1 != 0).sum()
    assert 0 < case.truth["n_changed"] == moved < case.truth["n_affected"]


def test_strength_is_the_slice_searchs_statistic_at_the_true_slice():
    """A concept drift's strength is the |z| a reader who knew the slice would compute: on every
    row, Welch's t of the current against the reference loss (scipy's, by hand), the larger of
    the absolute error's and the bias's for a regression; on a slice, the difference in
    differences against the rest, which a change of the rest's rows alike cancels."""
    from scipy.stats import ttest_ind

    from mlwatch.steps.scorecard import strength

    case = simulate("bike", Injection("concept_drift", where={}, magnitude=0.5, fraction=0.5, onset=0.2), n=3000, seed=5)
    errors = [(frame["prediction"] - frame["cnt"]).cast(pl.Float64).to_numpy() for frame in (case.reference,
                                                                                                case.current)]
    by_hand = max(abs(ttest_ind(np.abs(errors[1]), np.abs(errors[0]), equal_var=False).statistic),
                  abs(ttest_ind(errors[1], errors[0], equal_var=False).statistic))
    assert strength(case) == pytest.approx(by_hand, rel=1e-9) and by_hand > 4
    mondays = simulate("bike", Injection("concept_drift", where={"weekday": "Mon"}, magnitude=-0.4, fraction=0.3,
                                         onset=0.5), n=4367, seed=5)

    def welch_difference(loss):     # four means, each with its own sample variance (no weekday: the rest)
        cells = [loss(frame)[(frame["weekday"] == "Mon").fill_null(False).to_numpy() == inside]
                 for inside in (True, False) for frame in (mondays.reference, mondays.current)]
        rise = (cells[1].mean() - cells[0].mean()) - (cells[3].mean() - cells[2].mean())
        return abs(rise) / np.sqrt(sum(c.var(ddof=1) / c.size for c in cells))

    error = lambda frame: (frame["prediction"] - frame["cnt"]).cast(pl.Float64).to_numpy()   # noqa: E731
    assert strength(mondays) == pytest.approx(max(welch_difference(lambda f: np.abs(error(f))),
                                                  welch_difference(error)), rel=1e-9)
    assert strength(simulate("bike", Injection("none"), n=3000, seed=5)) is None
