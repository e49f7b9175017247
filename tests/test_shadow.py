"""Step 7: champion against challenger on the same rows."""

import json

import matplotlib
import numpy as np
import polars as pl
import pytest
from scipy import stats

from mlwatch import gallery
from mlwatch.cli import main
from mlwatch.steps.shadow import ShadowComparison, shadow


@pytest.fixture(scope="module")
def scored(acs):
    """Real rows with the stored model's scores as the champion."""
    _, current = acs
    return current.filter(pl.col("year") == 2018).select("SEX", "MAR", "DIS", "employed", "predicted_probability")


def _challenger(frame, better=None, worse=None, seed=0):
    """The champion's scores, made sharper (toward the label) on 30 % of the ``better`` rows
    and pushed the wrong way on 30 % of the ``worse`` rows (boolean arrays)."""
    rng = np.random.default_rng(seed)
    y = frame["employed"].to_numpy()
    p = frame["predicted_probability"].to_numpy().copy()
    for mask, sign in ((better, 1), (worse, -1)):
        if mask is not None:
            m = np.asarray(mask) & (rng.random(frame.height) < 0.3)
            p[m] = np.clip(p[m] + sign * (y[m] - p[m]) * 0.9 + sign * (y[m] - 0.5) * 0.2, 0, 1)
    return frame.with_columns(challenger=pl.Series(p))


def _is(frame, column, value):
    return (frame[column].cast(pl.String) == value).to_numpy()


def _everywhere(frame):
    return np.ones(frame.height, dtype=bool)


def test_mcnemar_matches_the_exact_binomial_by_hand():
    y = np.array([1, 1, 1, 0, 0, 0, 1, 0, 1, 0] * 30)
    a = np.array([0.9, 0.2, 0.8, 0.1, 0.7, 0.3, 0.4, 0.2, 0.9, 0.6] * 30)
    b = np.array([0.9, 0.8, 0.8, 0.1, 0.3, 0.3, 0.6, 0.2, 0.9, 0.6] * 30)
    frame = pl.DataFrame({"y": y, "a": a, "b": b})
    result = shadow(frame, "a", "b", target="y")
    right_a, right_b = (a >= 0.5) == y, (b >= 0.5) == y
    only_b, only_a = int((right_b & ~right_a).sum()), int((right_a & ~right_b).sum())
    row = result.table.row(0, named=True)
    assert row["p_value"] == pytest.approx(stats.binomtest(only_b, only_a + only_b, 0.5).pvalue)
    assert row["difference"] == pytest.approx(right_b.mean() - right_a.mean())
    assert result.verdict == "promote"


def test_better_on_one_segment_worse_on_another_is_held(scored):
    frame = _challenger(scored, better=_is(scored, "SEX", "2"), worse=_is(scored, "DIS", "1"))
    result = shadow(frame, "predicted_probability", "challenger", target="employed", segments=["SEX", "DIS"],
                    targeted={"SEX": "2"})
    assert result.verdict == "hold"
    rows = {r["segment"]: r for r in result.table.iter_rows(named=True)}
    assert rows["SEX=2"]["better"] and rows["DIS=1"]["worse"]
    assert any(r.startswith("significantly worse on") and "DIS=1" in r for r in result.reasons)


def test_clean_improvement_is_promoted_and_a_worse_model_rejected(scored):
    better = _challenger(scored, better=_everywhere(scored))
    assert shadow(better, "predicted_probability", "challenger", target="employed", segments=["SEX"]).verdict == "promote"
    worse = _challenger(scored, worse=_everywhere(scored))
    assert shadow(worse, "predicted_probability", "challenger", target="employed").verdict == "reject"


@pytest.mark.parametrize("metric", ["log_loss", "auc"])
def test_paired_bootstrap_metrics(scored, metric):
    frame = _challenger(scored.head(8000), better=np.ones(8000, dtype=bool))
    result = shadow(frame, "predicted_probability", "challenger", target="employed", metric=metric, n_boot=200)
    row = result.table.row(0, named=True)
    assert row["low"] <= row["difference"] <= row["high"]
    gain = row["difference"] if metric == "auc" else -row["difference"]
    assert gain > 0 and row["p_value"] < 0.05 and result.verdict == "promote"


def test_regression_mae(flight_model):
    _, current, _ = flight_model
    frame = current.with_columns(challenger=pl.col("prediction") * 0.5 + pl.col("arr_delay") * 0.5)
    result = shadow(frame.head(5000), "prediction", "challenger", target="arr_delay", segments=["origin"], n_boot=200)
    assert result.metric == "mae" and result.verdict == "promote"


def test_without_labels(scored):
    frame = _challenger(scored, better=_everywhere(scored))
    result = shadow(frame, "predicted_probability", "challenger", segments=["SEX"])
    assert result.verdict == "hold" and "no labels" in result.reasons[0]
    all_row = result.table.row(0, named=True)
    decisions_a = scored["predicted_probability"].to_numpy() >= 0.5
    decisions_b = frame["challenger"].to_numpy() >= 0.5
    assert all_row["flips"] == int((decisions_a != decisions_b).sum())
    assert result.table["flips"][1:].sum() == all_row["flips"]
    assert 0 < result.score_psi and 0.5 < result.rank_correlation < 1


def test_protocol_plots_and_cli(scored, tmp_path, capsys):
    frame = _challenger(scored, better=_everywhere(scored))
    result = shadow(frame, "predicted_probability", "challenger", target="employed", segments=["SEX"])
    back = ShadowComparison.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.table.equals(result.table) and back.verdict == result.verdict
    for kind in ("segments", "scores"):
        ax = result.plot(kind=kind)
        assert ax.get_title() and ax.get_xlabel()
        matplotlib.pyplot.close(ax.figure)
    current = tmp_path / "current.parquet"
    frame.write_parquet(current)
    code = main(["shadow", str(current), str(current), "--champion", "predicted_probability", "--challenger",
                 "challenger", "--target", "employed", "--segments", "SEX,DIS", "--json", str(tmp_path / "s.json"),
                 "--html", str(tmp_path / "s.html")])
    assert code == 0
    assert capsys.readouterr().out.startswith("PROMOTE")
    assert json.loads((tmp_path / "s.json").read_text())["verdict"] == "promote"
    assert main(["shadow", str(current), str(current), "--champion", "nope", "--challenger", "challenger"]) == 2


def test_a_segment_shown_better_is_not_also_too_small_to_judge():
    """A challenger that corrects the bike model's under-prediction (x 1.1) is significantly
    better on every season; the non-inferiority test, which small segments cannot pass, has
    nothing left to judge there (the reasons once named the same seasons under both)."""
    from mlwatch.simulate import Injection, simulate

    case = simulate("bike", Injection("none"), seed=3)
    current = case.current.with_columns(challenger=pl.col("prediction") * 1.1)
    result = shadow(current, "prediction", "challenger", target=case.roles["target"], segments=["season"],
                    metric="mae")
    better = result.table.filter(pl.col("better"))["segment"].to_list()
    assert better and result.verdict == "promote"
    undecided = next((r for r in result.reasons if r.startswith("too few rows to judge")), "")
    assert not any(segment in undecided for segment in better), result.reasons


def test_a_slice_broken_late_is_also_compared_where_it_broke():
    """``since``: the targeted slice's rows from its start on are a row of their own, marked
    targeted (so not held against the fix), with both metrics checked by hand; the fix's gain
    there is not diluted by the slice's rows before the break."""
    import datetime as dt

    rng = np.random.default_rng(3)
    n = 4000
    day = rng.integers(0, 40, n)
    region = rng.choice(["north", "south"], n)
    y = rng.random(n) < 0.5
    champion = np.where(y, 0.8, 0.2)
    broken = (region == "north") & (day >= 30)
    champion = np.where(broken & (rng.random(n) < 0.5), 1 - champion, champion)     # wrong on half of them
    frame = pl.DataFrame({"day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in day], "region": region,
                          "y": y.astype(int), "champion": champion, "challenger": np.where(y, 0.8, 0.2)})
    result = shadow(frame, "champion", "challenger", target="y", segments=["region"], targeted={"region": "north"},
                    since=("day", "2024-01-31"))
    row = result.table.filter(pl.col("segment") == "region=north from 2024-01-31 on").row(0, named=True)
    late = frame.filter((pl.col("region") == "north") & (pl.col("day") >= dt.date(2024, 1, 31)))
    assert row["n"] == late.height == int(broken.sum()) and row["targeted"]
    right = lambda column: float(((late[column] >= 0.5) == (late["y"] == 1)).mean())   # noqa: E731
    assert (row["metric_champion"], row["metric_challenger"]) == (pytest.approx(right("champion")), 1.0)
    whole = result.table.filter(pl.col("segment") == "region=north").row(0, named=True)
    assert row["difference"] > 2 * whole["difference"] > 0
    assert result.options["since"] == ["day", "2024-01-31"]
    assert ShadowComparison.from_dict(result.to_dict()).table.equals(result.table)


def test_the_command_line_targets_one_slice_and_where_it_broke(tmp_path, capsys):
    """``--targeted carrier=UA`` reached shadow() as {"carrier": ["UA"]}: no row was the
    targeted one, so the slice a fix is aimed at was held to non-inferiority like any other.
    ``--since`` adds its rows from the break on; both are checked against the library."""
    case = gallery.load("flights_unit_skew")
    current = tmp_path / "current.parquet"
    case.current.write_parquet(current)
    args = ["shadow", str(current), str(current), "--champion", "prediction", "--challenger", "challenger",
            "--target", case.roles["target"], "--segments", "carrier", "--targeted", "carrier=UA"]
    assert main(args + ["--since", "time_hour=2013-08-30 23:00", "--json", str(tmp_path / "s.json")]) == 0
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["options"]["targeted"] == {"carrier": "UA"}
    marked = {r["segment"]: r["n"] for r in saved["segments"] if r["targeted"]}
    direct = shadow(case.current, "prediction", "challenger", target=case.roles["target"], segments=["carrier"],
                    targeted={"carrier": "UA"}, since=("time_hour", "2013-08-30 23:00"))
    assert marked == {r["segment"]: r["n"] for r in direct.table.filter(pl.col("targeted")).iter_rows(named=True)}
    assert set(marked) == {"carrier=UA", "carrier=UA from 2013-08-30 23:00 on"}
    capsys.readouterr()
    assert main(args[:-2] + ["--since", "time_hour=2013-08-30"]) == 2
    assert "give the slice too" in capsys.readouterr().err
    assert main(args + ["--since", "time_hour=last tuesday"]) == 2
    assert "neither an ISO time nor a number" in capsys.readouterr().err
    assert main(args + ["--targeted", "carrier=AA"]) == 2
    assert "one value a column" in capsys.readouterr().err
