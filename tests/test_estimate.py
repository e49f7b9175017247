"""Label-free performance estimation (CBPE): the expected metric equals the realised one
when labels are drawn from the calibrated scores; on real data with the labels withheld the
realised metric falls in the estimate's interval; a slice whose scores moved is found."""

import numpy as np
import polars as pl
import pytest

from mlwatch.errors import DataError
from mlwatch.simulate import simulate
from mlwatch.steps.estimate import EstimateResult, _expected, isotonic, estimate_performance


@pytest.mark.parametrize("metric", ["accuracy", "precision", "recall", "f1", "log_loss", "roc_auc"])
def test_the_expected_metric_is_the_mean_of_realised_ones(metric):
    """Labels drawn Bernoulli(q) many times: their metrics average to the closed form."""
    from sklearn import metrics as skm

    rng = np.random.default_rng(1)
    p = rng.beta(2, 3, 3_000)
    q = np.clip(p + 0.05, 0, 1)
    realised = []
    for _ in range(300):
        y = (rng.random(p.size) < q).astype(int)
        pred = (p >= 0.5).astype(int)
        realised.append({"accuracy": lambda: skm.accuracy_score(y, pred), "precision": lambda: skm.precision_score(y, pred),
                         "recall": lambda: skm.recall_score(y, pred), "f1": lambda: skm.f1_score(y, pred),
                         "log_loss": lambda: skm.log_loss(y, p), "roc_auc": lambda: skm.roc_auc_score(y, p)}[metric]())
    assert _expected(metric, p, q, 0.5) == pytest.approx(np.mean(realised), abs=3 * np.std(realised) / np.sqrt(300) + 2e-3)


def test_the_calibration_map_is_monotone_and_scipys():
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(2)
    p = rng.random(2_000)
    y = (rng.random(2_000) < p ** 2).astype(float)
    calibrate = isotonic(p, y)
    grid = np.linspace(0, 1, 101)
    assert np.all(np.diff(calibrate(grid)) >= -1e-12)
    order = np.argsort(p)
    np.testing.assert_allclose(calibrate(p[order]), np.clip(isotonic_regression(y[order]).x, 1e-6, 1 - 1e-6),
                               atol=1e-12)


@pytest.fixture(scope="module")
def acs():
    return simulate("acs", "none", n=20_000, seed=5)


def test_without_labels_the_realised_metric_falls_in_the_interval(acs):
    kw = acs.investigate_kwargs()
    r = estimate_performance(acs.reference, acs.current, target=kw["target"], prediction=kw["prediction"],
                             segments=kw["segments"])
    t = r.table.filter(pl.col("n_current") >= 500)
    inside = ((t["realised"] >= t["low"]) & (t["realised"] <= t["high"])).mean()
    # one split of 24 slices (benchmarks/bench_estimate.py measures the rate over many: about 90 %)
    assert inside >= 0.75
    assert r.check is not None and abs(r.check["gap"]) < 0.015 and r.check["n_labelled"] == acs.current.height
    assert "no concept drift" in r.sentence and "current rows whose labels arrived" in r.sentence
    again = EstimateResult.from_dict(r.to_dict())
    assert again.table.equals(r.table) and again.sentence == r.sentence


def test_a_slice_whose_rows_moved_where_the_model_is_unsure_is_found_without_labels(acs):
    kw = acs.investigate_kwargs()
    target, score = kw["target"], kw["prediction"]
    # a covariate shift inside SEX=2: its rows re-drawn toward scores near 0.5 (labels kept, so
    # the relation holds and the realised accuracy falls too); the labels then withheld
    cur = acs.current
    women = cur.filter(pl.col("SEX").cast(pl.String) == "2")
    p = women[score].to_numpy()
    w = np.exp(-(((p - 0.5) / 0.15) ** 2))
    drawn = women[np.random.default_rng(0).choice(women.height, women.height, replace=True, p=w / w.sum())]
    shifted = pl.concat([cur.filter(pl.col("SEX").cast(pl.String) != "2"), drawn])
    r = estimate_performance(acs.reference, shifted.with_columns(pl.lit(None, pl.Float64).alias(target)),
                             target=target, prediction=score, segments=["SEX", "MAR"])
    assert r.worst is not None and r.worst["slice"] == "SEX=2" and r.worst["change"] < -0.1
    assert r.check is None and "fell most on SEX=2" in r.sentence
    labelled = estimate_performance(acs.reference, shifted, target=target, prediction=score, segments=["SEX"])
    row = labelled.table.filter(pl.col("slice") == "SEX=2").row(0, named=True)
    assert row["low"] <= row["realised"] <= row["high"]           # and it is what the labels say


def test_bad_input_fails_clearly(acs):
    kw = acs.investigate_kwargs()
    with pytest.raises(DataError, match="0/1 labels"):
        estimate_performance(acs.reference.with_columns(pl.lit(3).alias(kw["target"])), acs.current,
                             target=kw["target"], prediction=kw["prediction"], task="classification")
    with pytest.raises(DataError, match="probabilities"):
        estimate_performance(acs.reference, acs.current.with_columns(pl.lit(2.0).alias(kw["prediction"])),
                             target=kw["target"], prediction=kw["prediction"])
    with pytest.raises(DataError, match="both classes"):
        estimate_performance(acs.reference.with_columns(pl.lit(1).alias(kw["target"])), acs.current,
                             target=kw["target"], prediction=kw["prediction"])


def test_the_figure_says_what_it_shows(acs):
    import matplotlib
    matplotlib.use("Agg")
    kw = acs.investigate_kwargs()
    r = estimate_performance(acs.reference, acs.current, target=kw["target"], prediction=kw["prediction"],
                             segments=["SEX"])
    ax = r.plot()
    assert "without labels" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


# --- regression: direct loss estimation ---------------------------------------------------

@pytest.fixture(scope="module")
def bike():
    return simulate("bike", "none", n=4_000, seed=4)


def _withheld(case):
    target = case.investigate_kwargs()["target"]
    return case.current.with_columns(pl.lit(None, dtype=pl.Float64).alias(target))


def test_direct_loss_estimation_covers_the_realised_mae_of_a_regression(bike):
    kwargs = bike.investigate_kwargs()
    r = estimate_performance(bike.reference, bike.current, target=kwargs["target"], prediction=kwargs["prediction"],
                             segments=["season", "weathersit"], features=list(kwargs["features"]))
    assert r.metric == "mae" and r.options["method"] == "direct loss estimation"
    # the realised column is the plain MAE of the labelled current rows (checked by hand)
    error = (bike.current[kwargs["target"]] - bike.current[kwargs["prediction"]]).abs().mean()
    assert r.population["realised"] == pytest.approx(error, rel=1e-12)
    assert r.population["low"] <= r.population["realised"] <= r.population["high"]
    slices = r.table.slice(1).filter(pl.col("realised").is_not_null())
    covered = ((slices["low"] <= slices["realised"]) & (slices["realised"] <= slices["high"])).mean()
    assert slices.height >= 4 and covered >= 0.75
    assert "direct loss estimation" in r.sentence and "no concept drift" in r.sentence


def test_rmse_is_estimated_on_the_squared_scale(bike):
    kwargs = bike.investigate_kwargs()
    r = estimate_performance(bike.reference, _withheld(bike), target=kwargs["target"],
                             prediction=kwargs["prediction"], metric="rmse", features=list(kwargs["features"]))
    truth = float(np.sqrt(((bike.current[kwargs["target"]] - bike.current[kwargs["prediction"]]) ** 2).mean()))
    reference = float(np.sqrt(((bike.reference[kwargs["target"]] - bike.reference[kwargs["prediction"]]) ** 2).mean()))
    assert r.population["reference"] == pytest.approx(reference, rel=1e-12)
    assert r.population["low"] <= truth <= r.population["high"] and r.population["n_labelled"] == 0
    assert r.population["low"] < r.population["estimated"] < r.population["high"]


def test_a_regression_investigation_without_labels_reports_the_estimate(bike):
    from mlwatch import investigate

    findings = investigate(bike.reference, _withheld(bike), multivariate=False, **bike.investigate_kwargs())
    assert findings.scoring.proxy == "prediction" and findings.estimate is not None
    assert findings.estimate.metric == "mae" and findings.to_dict()["estimate"]["options"]["method"] == \
        "direct loss estimation"


def test_direct_loss_estimation_fails_clearly(bike):
    kwargs = bike.investigate_kwargs()
    with pytest.raises(DataError, match="at least 50 rows"):
        estimate_performance(bike.reference.head(20), bike.current, target=kwargs["target"],
                             prediction=kwargs["prediction"], task="regression")
    with pytest.raises(DataError, match="finite prediction"):
        estimate_performance(bike.reference, bike.current.with_columns(pl.lit(float("nan")).alias(kwargs["prediction"])),
                             target=kwargs["target"], prediction=kwargs["prediction"], task="regression")
