"""Incidents with known answers, built from real data: the right slice comes first, the
verdict is right, and the untouched control stays quiet over many seeds."""

import datetime as dt

import numpy as np
import polars as pl

from mlwatch import Incident, investigate

SEGMENTS = ["SEX", "MAR", "SCHL", "DIS", "CIT"]
FEATURES = ["AGEP", "SCHL", "MAR", "RELP", "DIS", "CIT", "SEX", "RAC1P", "NATIVITY"]


def _acs_investigate(reference, current, **kws):
    return investigate(reference, current, target="employed", prediction="predicted_probability", time="year",
                       segments=SEGMENTS, features=FEATURES, **kws)


def test_concept_drift_in_one_segment(acs, rng):
    """Outcomes flip for 40 % of married women in 2018: their accuracy falls, their inputs do not move."""
    reference, current = acs
    broken = (pl.col("MAR").cast(pl.String) == "1") & (pl.col("SEX").cast(pl.String) == "2") & (pl.col("year") == 2018)
    flip = pl.Series(rng.random(current.height) < 0.4)
    current = current.with_columns(pl.when(broken & flip).then(1 - pl.col("employed")).otherwise(pl.col("employed"))
                                   .alias("employed"))
    findings = _acs_investigate(reference, current)
    top = findings.slices.table.row(0, named=True)
    assert findings.slices.predicates[0] == {"SEX": "2", "MAR": "1"}
    assert top["significant"] and top["onset"] == "2018"
    assert findings.slices.table["significant"].sum() == 1           # pruned: no near-duplicates
    assert findings.audited_slice == {"SEX": "2", "MAR": "1"}
    assert findings.verdict.kind == "concept_drift"
    assert "SEX=2 & MAR=1" in findings.verdict.summary and "retrain" in findings.verdict.summary
    assert findings.overall.masked                                    # the global metric barely moved


def test_covariate_shift_that_did_not_hurt_is_data_drift(acs):
    """Ages arrive 25 % lower (still inside the reference range, still whole years); the
    stored scores and the labels are untouched, so inputs shift and performance holds.
    (Ages turned into fractions would be a pipeline fault: see the off-grid check.)"""
    reference, current = acs
    current = current.with_columns((pl.col("AGEP") * 0.75).round())
    findings = _acs_investigate(reference, current)
    assert findings.slices.table.filter(pl.col("significant")).height == 0
    assert findings.audited_slice is None
    assert "AGEP" in findings.audit.drifted
    assert findings.verdict.kind == "data_drift" and "monitor" in findings.verdict.summary


def test_null_spike_is_data_quality(acs, rng):
    reference, current = acs
    holes = pl.Series(rng.random(current.height) < 0.15)
    current = current.with_columns(pl.when(holes).then(None).otherwise(pl.col("AGEP")).alias("AGEP"))
    findings = _acs_investigate(reference, current)
    failed = findings.audit.failed_checks
    assert ("AGEP", "null_rate") in set(zip(failed["feature"], failed["check"]))
    assert findings.verdict.kind == "data_quality" and "AGEP" in findings.verdict.summary


def test_fault_in_one_segment_after_a_date(flight_model):
    """Upstream sends dep_delay in hours for United from 2013-08-15: United's errors jump."""
    reference, current, predict = flight_model
    fault = (pl.col("carrier") == "UA") & (pl.col("time_hour") >= dt.datetime(2013, 8, 15, tzinfo=dt.timezone.utc))
    current = current.with_columns(pl.when(fault).then(pl.col("dep_delay") / 60).otherwise(pl.col("dep_delay"))
                                   .alias("dep_delay"))
    current = current.with_columns(prediction=predict(current))
    findings = investigate(reference, current, target="arr_delay", prediction="prediction", time="time_hour",
                           segments=["carrier", "origin"], features=["dep_delay", "distance", "hour"])
    assert findings.scoring.task == "regression" and findings.scoring.metric == "mae"
    assert findings.slices.predicates[0] == {"carrier": "UA"}
    onset = dt.datetime.fromisoformat(findings.slices.table["onset"][0])
    assert abs(onset - dt.datetime(2013, 8, 15)) <= dt.timedelta(days=1)
    assert findings.audit.drifted[:1] == ["dep_delay"]
    assert findings.verdict.kind == "skew" and "do not retrain" in findings.verdict.summary
    assert "dep_delay looks divided by 60" in findings.verdict.summary and "since 2013-08-15" in findings.verdict.summary
    dep = next(f for f in findings.to_dict()["features"] if f["feature"] == "dep_delay")
    assert dep["signature"] == "unit_change" and dep["onset"].startswith("2013-08-15")


def test_untouched_control_stays_quiet_over_many_seeds(acs):
    """Random halves of real data with no fault: no significant slice, verdict none."""
    reference, current = acs
    pool = pl.concat([reference, current.filter(pl.col("year") == 2016)])
    alarms = 0
    for seed in range(12):
        sample = pool.sample(40_000, seed=seed, shuffle=True)
        findings = investigate(sample.head(20_000), sample.tail(20_000), target="employed",
                               prediction="predicted_probability", segments=SEGMENTS, features=FEATURES)
        alarms += findings.verdict.kind != "none"
        assert findings.slices.table.filter(pl.col("significant")).height == 0 or findings.verdict.kind != "none"
    assert alarms <= 1                 # 12 incidents at a 5 % false-discovery rate


def test_labels_missing_falls_back_to_confidence(acs, rng):
    """Too few reference labels to calibrate the scores on (100): the share of scores near the
    threshold stands in for the metric."""
    reference, current = acs
    current = current.with_columns(pl.lit(None, dtype=pl.Int64).alias("employed"))
    reference = reference.with_columns(pl.when(pl.int_range(pl.len()) < 100).then(pl.col("employed"))
                                       .alias("employed"))
    # the model's scores collapse towards the threshold for one segment
    squeeze = pl.col("DIS").cast(pl.String) == "1"
    current = current.with_columns(pl.when(squeeze).then(0.5 + (pl.col("predicted_probability") - 0.5) * 0.1)
                                   .otherwise(pl.col("predicted_probability")).alias("predicted_probability"))
    findings = _acs_investigate(reference, current)
    assert findings.scoring.proxy == "confidence"
    assert findings.to_dict()["labels"] == "missing"
    assert findings.slices.predicates[0] == {"DIS": "1"}
    assert "proxy" in findings.overall.sentence
    assert "predicted_probability" in findings.audit.drifted           # the prediction is audited like a feature
    assert findings.verdict.kind != "concept_drift"                    # never claimed without labels


def test_incident_methods_call_the_steps(acs):
    reference, current = acs
    incident = Incident(reference.sample(20_000, seed=1), current.sample(20_000, seed=2), target="employed",
                        prediction="predicted_probability", time="year", segments=SEGMENTS, features=FEATURES)
    assert "20,000 reference rows" in repr(incident)
    assert incident.overall().table.height == 2
    assert incident.signal().table["window"].to_list()[0] == "reference"
    assert not incident.infra().available
    audit = incident.audit(where={"SEX": "1"})
    assert audit.options["where"] == {"SEX": "1"} and "predicted_probability" in audit.table["feature"].to_list()
    assert incident.investigate().verdict.kind in ("none", "data_drift")


def test_older_population_hurts_a_slice_through_its_mix(acs):
    """Rows drawn with three times the weight for the over-50s (P(x) moves, P(y | x) does not):
    the model finds them harder, accuracy dips everywhere alike; the verdict is data drift."""
    reference, current = acs
    weights = np.where(current["AGEP"].to_numpy() >= 50, 3.0, 1.0)
    rows = np.random.default_rng(7).choice(current.height, 80_000, replace=False, p=weights / weights.sum())
    findings = _acs_investigate(reference, current[rows])
    assert "AGEP" in findings.audit.drifted
    assert findings.verdict.kind == "data_drift"


def test_a_drop_explained_by_a_small_input_shift_is_not_concept_drift(acs):
    """Milder oversampling of the over-55s: the inputs shift (AGEP first) and no slice breaks
    beyond noise, so the verdict is data drift with performance held, never concept drift."""
    reference, current = acs
    current = current.filter(pl.col("year") == 2018)
    weights = np.where(current["AGEP"].to_numpy() >= 55, 2.0, 1.0)
    rows = np.random.default_rng(7).choice(current.height, 40_000, replace=False, p=weights / weights.sum())
    findings = investigate(reference, current[rows], target="employed", prediction="predicted_probability",
                           time="year", segments=["SEX", "MAR", "SCHL", "DIS", "CIT", "RAC1P"])
    # no slice broke beyond noise: the verdict reads the input shift, performance held
    assert findings.audited_slice is None and findings.verdict.kind == "data_drift"
    assert findings.verdict.primary.feature == "AGEP" and "performance held" in findings.verdict.summary


def test_without_labels_the_slices_are_searched_on_the_estimated_accuracy(acs):
    """CBPE's per-row expected error (scores calibrated on the reference labels) is the slice
    search's loss: a slice whose scores collapse towards the threshold is where the estimated
    accuracy falls, and the sentences say it is an estimate."""
    reference, current = acs
    current = current.with_columns(pl.lit(None, dtype=pl.Int64).alias("employed"))
    squeeze = pl.col("DIS").cast(pl.String) == "1"
    current = current.with_columns(pl.when(squeeze).then(0.5 + (pl.col("predicted_probability") - 0.5) * 0.1)
                                   .otherwise(pl.col("predicted_probability")).alias("predicted_probability"))
    findings = _acs_investigate(reference, current)
    top = findings.slices.table.row(0, named=True)
    assert findings.slices.predicates[0] == {"DIS": "1"} and top["metric_current"] < top["metric_reference"] - 0.1
    assert findings.overall.sentence.startswith("Global estimated accuracy")
    assert "estimated accuracy fell" in findings.verdict.summary and "assumes no concept drift" in \
        findings.verdict.summary
    assert findings.verdict.kind != "concept_drift"
    # the scoring (and its calibration map) survives the JSON document
    from mlwatch.steps.investigate import Findings

    assert Findings.from_dict(findings.to_dict()).scoring == findings.scoring
