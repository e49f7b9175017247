"""SHAP attribution stability: values cross-checked against shap, a planted inversion found,
a stable model on a stable window left alone; model files loaded safely."""

import json
import pickle

import lightgbm as lgb
import matplotlib
import numpy as np
import polars as pl
import pytest
import shap
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor

from mlwatch.errors import MlwatchError
from mlwatch.models import as_scorer, load_model
from mlwatch.steps.attribution import AttributionResult, attribution

NUMERIC = ["dep_delay", "distance", "hour", "temp", "wind_speed"]


@pytest.fixture(scope="module")
def late_model(flights):
    """LightGBM: will the flight arrive more than 15 minutes late? Trained on January-June."""
    data = flights.drop_nulls(["late", *NUMERIC])
    train = data.filter(pl.col("month") <= 6)
    model = lgb.LGBMClassifier(n_estimators=60, num_leaves=15, verbose=-1, random_state=0)
    model.fit(train.select(NUMERIC).to_pandas(), train["late"].to_numpy())
    return model, data


def test_native_contributions_equal_shap(late_model):
    model, data = late_model
    rows = data.head(300)
    phi, base = as_scorer(model).contributions(rows)
    expected = shap.TreeExplainer(model).shap_values(rows.select(NUMERIC).to_pandas())
    expected = np.asarray(expected)
    expected = expected[:, :, -1] if expected.ndim == 3 else expected
    assert phi == pytest.approx(expected, abs=1e-9)
    raw = model.predict(rows.select(NUMERIC).to_pandas(), raw_score=True)
    assert base + phi.sum(1) == pytest.approx(raw, abs=1e-9)          # additivity in log-odds


def test_sklearn_models_go_through_tree_shap(flights):
    data = flights.drop_nulls(["late", "arr_delay", *NUMERIC]).sample(3000, seed=1)
    x = data.select(NUMERIC).to_pandas()
    classifier = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(x, data["late"].to_numpy())
    phi, base = as_scorer(classifier).contributions(data.head(200))
    assert base + phi.sum(1) == pytest.approx(classifier.decision_function(x.head(200)), abs=1e-6)
    regressor = RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0).fit(x, data["arr_delay"].to_numpy())
    phi, base = as_scorer(regressor).contributions(data.head(200))
    assert base + phi.sum(1) == pytest.approx(regressor.predict(x.head(200)), abs=1e-6)


def test_stable_model_on_a_stable_window_is_not_flagged(late_model):
    model, data = late_model
    summer = data.filter(pl.col("month").is_between(7, 12)).sample(fraction=1.0, seed=2, shuffle=True)
    half = summer.height // 2
    result = attribution(summer.head(half), summer.tail(half), model, n_samples=2000, n_boot=100)
    assert result.inverted == []
    assert not result.table["attribution_drifted"].any()
    low, high = result.rank_correlation_interval
    assert result.rank_correlation > 0.9 and low > 0.6
    # the change of the mean output splits exactly into the features' contributions
    assert result.table["contribution"].sum() == pytest.approx(result.output_current - result.output_reference)
    assert (result.table["contribution_low"] <= 0).all() and (result.table["contribution_high"] >= 0).all()


def test_planted_sign_inversion_is_detected(late_model):
    """dep_delay pushes 'late' up; in the current window the relation flips (late when the
    departure was early): dep_delay now pushes against the outcome."""
    model, data = late_model
    window = data.filter(pl.col("month").is_between(7, 12))
    flipped = window.with_columns(late=(pl.col("dep_delay") < 0).cast(pl.Int8))
    result = attribution(window, flipped, model, explain="loss", target="late", n_samples=1500, n_boot=100)
    assert "dep_delay" in result.inverted
    row = result.table.filter(pl.col("feature") == "dep_delay").row(0, named=True)
    assert row["direction_reference"] > 0.3 and row["direction_current"] < -0.3
    assert result.options["explain"] == "loss"
    control = attribution(window, window.sample(fraction=1.0, seed=9), model, explain="loss", target="late",
                          n_samples=1500, n_boot=100)
    assert control.inverted == []


def test_result_protocol_and_plots(late_model):
    model, data = late_model
    winter, summer = data.filter(pl.col("month") <= 3), data.filter(pl.col("month").is_between(7, 9))
    result = attribution(winter, summer, model, n_samples=1000, n_boot=50)
    assert "temp" in result.table.filter(pl.col("attribution_drifted"))["feature"].to_list()   # summer heat
    back = AttributionResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.table.equals(result.table) and back.rank_correlation == result.rank_correlation
    assert result.sentence in result.summary()
    ax = result.plot()
    assert len(ax.collections) == 2 * min(8, len(NUMERIC)) and "SHAP value" in ax.get_xlabel()
    matplotlib.pyplot.close(ax.figure)
    ax = result.plot(kind="waterfall")
    assert len(ax.patches) == len(NUMERIC)
    matplotlib.pyplot.close(ax.figure)
    with pytest.raises(ValueError, match="rebuilt from JSON"):
        back.plot()


def test_model_files_are_loaded_without_unpickling(late_model, tmp_path):
    model, data = late_model
    native = tmp_path / "model.txt"
    model.booster_.save_model(native)
    loaded = load_model(native)
    rows = data.head(50)
    assert as_scorer(loaded).predict(rows) == pytest.approx(as_scorer(model).predict(rows))
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps(model))
    with pytest.raises(MlwatchError, match="refusing to unpickle"):
        load_model(pickled)
    assert as_scorer(load_model(pickled, trust=True)).predict(rows) == pytest.approx(as_scorer(model).predict(rows))
    with pytest.raises(MlwatchError, match="cannot tell the format"):
        other = tmp_path / "model.bin"
        other.write_bytes(b"\x00\x01")
        load_model(other)


def test_skops_models_need_trust_for_unknown_types(flights, tmp_path):
    import skops.io as sio

    data = flights.drop_nulls(["late", *NUMERIC]).sample(2000, seed=3)
    model = GradientBoostingClassifier(n_estimators=10).fit(data.select(NUMERIC).to_pandas(), data["late"].to_numpy())
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    if untrusted:
        with pytest.raises(MlwatchError, match="skops does not trust"):
            load_model(path)
    loaded = load_model(path, trust=True)
    assert as_scorer(loaded).predict(data.head(20)) == pytest.approx(as_scorer(model).predict(data.head(20)))
