"""The domain classifier: calm on a no-drift split of real data, and it sees a flipped
correlation no marginal shows, naming both features; its fold AUC is scikit-learn's."""

import numpy as np
import polars as pl
import pytest

pytest.importorskip("lightgbm")

from mlwatch.errors import DataError  # noqa: E402
from mlwatch.simulate import flip_correlation, simulate  # noqa: E402
from mlwatch.steps.multivariate import MultivariateResult, _fold_test, multivariate_drift  # noqa: E402


def _inputs(case):
    kwargs = case.investigate_kwargs()
    return [*kwargs["features"], *kwargs["segments"]]


def _flipped(current, feature, segment, value):
    return flip_correlation(current, feature, {segment: value})


@pytest.fixture(scope="module")
def flights():
    return simulate("flights", "none", n=4_000, seed=3)


def test_a_no_drift_split_cannot_be_told_apart(flights):
    r = multivariate_drift(flights.reference, flights.current, features=_inputs(flights), n_threads=1)
    assert not r.drifted and abs(r.auc - 0.5) < 0.03 and r.low <= 0.5 + 0.03
    assert "cannot be told apart" in r.sentence and r.separating == []


def test_a_flipped_correlation_is_seen_and_named_with_calm_marginals(flights):
    # dewp and temp move together in the NYC weather (Spearman about 0.9)
    current = _flipped(flights.current, "dewp", "origin", "EWR")
    r = multivariate_drift(flights.reference, current, features=_inputs(flights), time="time_hour", n_threads=1)
    assert r.drifted and r.auc > 0.6 and r.p_value < 1e-6
    assert {"dewp", "temp"} <= set(r.table["feature"].head(3).to_list())
    assert r.calm_marginals and "how they go together" in r.sentence
    assert not r.table.filter(pl.col("feature") == "dewp")["marginal_drifted"][0]
    if r.pairs.height:                  # shap installed: the pair interacts
        assert "dewp" in r.pairs.row(0, named=True).values()
    assert r.buckets.height > 1 and r.buckets["auc"].min() > 0.5
    again = MultivariateResult.from_dict(r.to_dict())
    assert again.table.equals(r.table) and again.sentence == r.sentence and again.separating == r.separating


def test_the_fold_auc_is_scikit_learns():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=600), 1)           # ties on purpose
    y = (rng.random(600) < 1 / (1 + np.exp(-scores))).astype(float)
    auc, z = _fold_test(scores, y)
    assert auc == pytest.approx(roc_auc_score(y, scores), abs=1e-12) and z > 2


def test_bad_input_fails_clearly(flights):
    with pytest.raises(DataError, match="at least 50 are needed"):
        multivariate_drift(flights.reference.head(20), flights.current, features=["temp"])
    with pytest.raises(DataError, match="no column 'nope'"):
        multivariate_drift(flights.reference, flights.current, features=["nope"])


def test_the_figure_says_what_it_shows(flights):
    import matplotlib
    matplotlib.use("Agg")
    r = multivariate_drift(flights.reference, _flipped(flights.current, "dewp", "origin", "EWR"),
                           features=_inputs(flights), n_threads=1, pairs=False)
    ax = r.plot()
    assert "AUC" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_dates_and_times_are_never_default_features(flights):
    # a timestamp tells any two windows apart; by default it is left out (flights: time_hour)
    r = multivariate_drift(flights.reference, flights.current, exclude=["late", "prediction"], n_threads=1,
                           pairs=False)
    assert "time_hour" not in r.options["features"] and "temp" in r.options["features"]
    assert not r.drifted


# --- the verdict reads the domain classifier -------------------------------------------------

def test_the_verdict_names_a_joint_change_no_marginal_shows():
    from mlwatch import investigate
    from mlwatch.steps.investigate import Findings

    case = simulate("flights", "none", n=20_000, seed=3)
    current = _flipped(case.current, "dewp", "origin", "EWR")
    findings = investigate(case.reference, current, **case.investigate_kwargs())
    verdict = findings.verdict
    assert verdict.kind == "data_drift" and verdict.primary.test == "multivariate"
    assert {"dewp", "temp"} <= set(findings.multivariate.separating[:3])
    assert "dewp" in verdict.summary and "temp" in verdict.summary and "own distribution held" in verdict.summary
    assert verdict.action.startswith("monitor")
    assert verdict.family["groups"]["joint"] == {"level": 0.0025, "tests": 1, "rejected": 1}
    # no marginal test saw it: every input's audit stayed calm
    assert not findings.audit.table.filter(pl.col("feature").is_in(["dewp", "temp"]))["drifted"].any()
    again = Findings.from_dict(findings.to_dict())
    assert again.verdict.primary.test == "multivariate" and again.multivariate.drifted
    report = findings.postmortem(owner="test").to_markdown()
    assert "joint distribution of dewp" in report and "joint\\_shift begins" in report


def test_a_no_drift_split_leaves_the_joint_group_unrejected(flights):
    from mlwatch import investigate

    findings = investigate(flights.reference, flights.current, **flights.investigate_kwargs())
    assert findings.verdict.kind == "none"
    assert findings.verdict.family["groups"]["joint"]["rejected"] == 0


def test_the_combined_fold_statistic_is_no_wider_than_a_standard_normal_under_no_drift():
    """The folds' models share training rows, so their z are correlated; Stouffer's
    sum / sqrt(folds) then spreads like a normal of variance near 5/3 and flags too often. The
    mean z the test uses stays within a standard normal (measured on 80 no-drift splits of the
    flights table at 200 rows a side, where the correlation is largest)."""
    from scipy import stats

    z = []
    for seed in range(80):
        case = simulate("flights", "none", n=200, seed=seed)
        r = multivariate_drift(case.reference, case.current, features=_inputs(case), max_rows=200, folds=3,
                               n_threads=1, pairs=False, seed=seed)
        z.append(stats.norm.isf(r.p_value))
    assert np.var(z) < 1.35 and np.mean(np.array(z) > stats.norm.isf(0.05)) <= 0.1


def test_category_codes_do_not_depend_on_what_the_process_saw_before():
    # a Categorical's codes come from the process's string cache, in the order its strings
    # were first seen: the domain classifier's trees (and a scorecard incident's verdict, a
    # joint shift or none) depended on which investigation had run before in the process
    from mlwatch.steps.multivariate import design_matrix

    pl.Series(["zeta", "mu", "alpha"], dtype=pl.Categorical)       # seen first, in this order
    a = pl.DataFrame({"c": pl.Series(["mu", "alpha", None], dtype=pl.Categorical), "x": [1.0, 2.0, 3.0]})
    b = pl.DataFrame({"c": pl.Series(["zeta", "mu", "alpha"], dtype=pl.Categorical), "x": [4.0, 5.0, 6.0]})
    x, categorical = design_matrix(a, b, ["c", "x"], {"c": "categorical", "x": "numeric"})
    assert categorical == [0]
    np.testing.assert_array_equal(x[:, 0], [1.0, 0.0, np.nan, 2.0, 1.0, 0.0])     # alpha, mu, zeta: sorted
    np.testing.assert_array_equal(x[:, 1], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # and the same drift result whatever came first
    ref = pl.DataFrame({"c": ["mu", "alpha"] * 200, "x": np.arange(400.0)})
    cur = pl.DataFrame({"c": ["alpha", "zeta"] * 200, "x": np.arange(400.0)})
    first = multivariate_drift(ref, cur, pairs=False)
    pl.Series([f"noise{i}" for i in range(50)] + ["zeta"], dtype=pl.Categorical)
    assert multivariate_drift(ref, cur, pairs=False).table.equals(first.table)
