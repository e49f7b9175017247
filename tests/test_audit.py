"""The step-5 audit on real data: results, slices, the Result protocol, plots."""

import json

import matplotlib
import numpy as np
import polars as pl
import pytest

from mlwatch import AuditResult, audit
from mlwatch.plots import palette
from mlwatch.errors import MissingColumnError, MlwatchError

FEATURES = ["dep_delay", "air_time", "distance", "hour", "temp", "humid", "carrier", "dest"]


@pytest.fixture(scope="module")
def seasonal(winter_summer):
    reference, current = winter_summer
    return audit(reference, current, features=FEATURES)


def test_real_seasonal_drift_is_found_and_ranked(seasonal):
    table = seasonal.table
    assert table["feature"][0] == "temp"                     # winter vs summer: the obvious one
    temp = table.row(0, named=True)
    assert temp["severity"] == "major" and temp["psi"] > 5 and temp["top_bin"].endswith("+inf)")
    assert set(table.columns) >= {"feature", "kind", "psi", "ks", "js", "wasserstein", "chi2", "hellinger",
                                  "p_value", "p_value_adjusted", "noise_floor", "drifted", "severity"}
    assert table.filter(pl.col("kind") == "categorical")["ks"].null_count() == 2
    # the table is most drifted first
    drifted = table.filter(pl.col("drifted"))["psi"].to_list()
    assert drifted == sorted(drifted, reverse=True)


def test_bins_sum_to_psi_and_shares_to_one(seasonal):
    bins = seasonal.bins
    per_feature = bins.group_by("feature").agg(pl.col("contribution").sum(), pl.col("reference_share").sum(),
                                               pl.col("current_share").sum())
    joined = per_feature.join(seasonal.table.select("feature", "psi"), on="feature")
    assert joined["contribution"].to_numpy() == pytest.approx(joined["psi"].to_numpy())
    assert joined["reference_share"].to_numpy() == pytest.approx(1.0)
    assert joined["current_share"].to_numpy() == pytest.approx(1.0)


def test_injected_shift_in_one_slice_is_found_only_there(winter_summer):
    """Shift air_time by 30 minutes for JFK only: the slice audit flags it, EWR's does not."""
    reference, _ = winter_summer
    current = reference.sample(fraction=1.0, seed=3)
    current = current.with_columns(pl.when(pl.col("origin") == "JFK").then(pl.col("air_time") + 30)
                                   .otherwise(pl.col("air_time")).alias("air_time"))
    jfk = audit(reference, current, features=["air_time", "distance", "temp"], where={"origin": "JFK"})
    ewr = audit(reference, current, features=["air_time", "distance", "temp"], where={"origin": "EWR"})
    assert jfk.drifted == ["air_time"]
    assert ewr.drifted == []
    assert jfk.options["where"] == {"origin": "JFK"} and jfk.n_current == current.filter(pl.col("origin") == "JFK").height


def test_to_dict_round_trips_through_json(seasonal):
    payload = json.loads(json.dumps(seasonal.to_dict()))
    back = AuditResult.from_dict(payload)
    assert back.table.equals(seasonal.table)
    assert back.bins.equals(seasonal.bins)           # -inf/+inf bin bounds survive as strings
    assert back.quality.equals(seasonal.quality)
    assert back.options == seasonal.options
    assert json.dumps(back.to_dict()) == json.dumps(payload)
    with pytest.raises(MlwatchError, match="expected a .mlwatch.audit/1. document"):
        AuditResult.from_dict({"schema": "other"})


def test_summary_formats(seasonal):
    text = seasonal.summary()
    assert text.startswith("Audit of 8 features") and "temp" in text
    md = seasonal.summary("markdown")
    assert "| feature |" in md
    assert "<table" in seasonal.summary("html") and seasonal._repr_html_() == seasonal.summary("html")
    with pytest.raises(MlwatchError, match="unknown format 'pdf'"):
        seasonal.summary("pdf")
    assert seasonal.to_pandas().shape == seasonal.table.shape


def test_html_escapes_category_values(rng):
    evil = "<script>alert(1)</script>"
    ref = pl.DataFrame({"c": rng.choice(["a", "b"], 500)})
    cur = pl.DataFrame({"c": np.where(rng.random(500) < 0.5, evil, "a")})
    result = audit(ref, cur)
    page = result._repr_html_()
    assert evil not in page and "&lt;script&gt;" in page
    from mlwatch.report import audit_report
    report = audit_report(result, title=evil)
    assert evil not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report


def test_only_and_feature_bins(seasonal):
    sub = seasonal.only(["temp", "carrier"])
    assert set(sub.table["feature"]) == {"temp", "carrier"}
    assert set(sub.bins["feature"]) == {"temp", "carrier"}
    carrier = seasonal.feature_bins("carrier")
    # every carrier flies thousands of times a quarter: a bin each, the missing bin last, no (rare) bin
    assert carrier["bin"].to_list()[-1] == "(missing)" and "(rare)" not in carrier["bin"].to_list()
    assert carrier.height == 17
    with pytest.raises(MissingColumnError, match="no feature 'nope'"):
        seasonal.feature_bins("nope")


def test_plot_psi_per_feature(seasonal):
    ax = seasonal.plot()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.patches) >= len(FEATURES)                 # one bar a feature (+ band patches)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "temp"   # largest on top
    assert {round(line.get_xdata()[0], 2) for line in ax.get_lines()} == {0.1, 0.25}
    assert ax.get_title().startswith("Feature drift") and ax.get_xlabel().startswith("PSI")
    matplotlib.pyplot.close(ax.figure)


def test_plot_feature_highlights_drift_bins(seasonal):
    fig, ax = matplotlib.pyplot.subplots()
    out = seasonal.plot(ax=ax, feature="temp", kind="bins")
    assert out is ax
    bars = [p for p in ax.patches]
    assert len(bars) == 2 * seasonal.feature_bins("temp").height
    outlined = [b for b in bars if b.get_linewidth() == 2]
    assert outlined and all(b.get_edgecolor()[:3] == matplotlib.colors.to_rgb(palette.WORSE) for b in outlined)
    assert "* carries the drift (80% of the PSI)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_ylabel() == "share of rows" and "temp" in ax.get_title()
    matplotlib.pyplot.close(fig)


def test_key_evidence_shows_the_raw_values_a_unit_change_moved():
    """A tenth of the rows arrive x60: the ECDF of each window is drawn from the audit's
    quantiles, on a log axis, and the current curve reaches the changed values that the top
    PSI bin (open above) would hide."""
    rng = np.random.default_rng(11)
    ref = pl.DataFrame({"minutes": rng.gamma(3.0, 10.0, 20_000)})
    cur_values = rng.gamma(3.0, 10.0, 20_000)
    cur_values[:2_000] *= 60
    result = audit(ref, pl.DataFrame({"minutes": cur_values}))
    q = result.quantiles.filter(pl.col("window") == "current")
    assert q.height == 101 and q["value"].max() == pytest.approx(cur_values.max())
    assert q["value"].to_numpy() == pytest.approx(np.quantile(cur_values, np.linspace(0, 1, 101)))
    ax = result.plot(feature="minutes")
    assert ax.get_xscale() == "log" and "(log scale)" in ax.get_xlabel()
    lines = {line.get_color(): line.get_xdata() for line in ax.get_lines()}
    current = np.asarray(lines[palette.CURRENT], dtype=float)
    assert np.nanmax(current) == pytest.approx(cur_values.max()) and np.nanmax(current) > 20 * ref["minutes"].max() / 60
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["reference", "current"]
    matplotlib.pyplot.close(ax.figure)


def test_plot_caps_many_categories(seasonal):
    ax = seasonal.plot(feature="dest", max_bins=10)
    assert len(ax.get_xticklabels()) == 10
    matplotlib.pyplot.close(ax.figure)


def test_options_are_validated_and_kept(winter_summer):
    reference, current = winter_summer
    result = audit(reference, current, features=["temp"], bins=20, psi_threshold=0.2)
    assert result.feature_bins("temp").height == 21          # 20 quantile bins + missing
    assert result.options["bins"] == 20 and result.options["psi_threshold"] == 0.2
