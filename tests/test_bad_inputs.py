"""Hostile and careless input (issue 12): each case ends as the right result or a clear error
naming the option, column or file; on the command line as exit 2 and one line."""

import datetime as dt
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlwatch import audit, investigate
from mlwatch.cli import main
from mlwatch.errors import MissingColumnError, MlwatchError
from mlwatch.simulate import Injection, simulate
from mlwatch.steps.scoring import resolve_scoring
from mlwatch.steps.slices import find_slices


@pytest.fixture(scope="module")
def quiet_bike():
    return simulate("bike", Injection("none"), n=2000, seed=1)


@pytest.fixture
def files(tmp_path, winter_summer):
    reference, current = winter_summer
    cols = ["dep_delay", "air_time", "temp", "carrier", "origin"]
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    reference.select(cols).head(3000).write_parquet(ref)
    current.select(cols).head(3000).write_parquet(cur)
    return ref, cur


# ------------------------------------------------------------ silently wrong, no more

def test_an_input_lost_upstream_is_the_verdict_when_inferred(quiet_bike):
    kwargs = quiet_bike.investigate_kwargs()
    kwargs.pop("features")
    findings = investigate(quiet_bike.reference, quiet_bike.current.drop("hum"), **kwargs)
    primary = findings.verdict.primary
    assert findings.verdict.kind == "data_quality"
    assert (primary.feature, primary.test) == ("hum", "column_missing")
    assert "missing from current" in findings.verdict.summary


def test_an_input_the_user_named_must_be_there(quiet_bike):
    with pytest.raises(MissingColumnError, match="current: no column 'hum'") as err:
        investigate(quiet_bike.reference, quiet_bike.current.drop("hum"), **quiet_bike.investigate_kwargs())
    assert err.value.column == "hum"


def test_an_all_none_column_is_a_null_spike_of_the_reference_type():
    ref = pl.DataFrame({"x": np.arange(300.0), "y": ["a", "b", "c"] * 100})
    cur = ref.with_columns(pl.lit(None).alias("x"))            # dtype Null, as pandas writes all-None
    assert cur.schema["x"] == pl.Null
    failed = audit(ref, cur).failed_checks
    assert failed.select("feature", "check").rows() == [("x", "null_rate")]
    with pytest.raises(MlwatchError, match="reference: column 'x' has no value"):
        audit(cur, ref)


def test_durations_and_times_of_day_are_audited_as_seconds():
    ref = pl.DataFrame({"wait": [dt.timedelta(minutes=i % 50) for i in range(500)],
                        "at": [dt.time(i % 24, i % 60) for i in range(500)]})
    cur = pl.DataFrame({"wait": [dt.timedelta(minutes=10 + i % 50) for i in range(500)],
                        "at": [dt.time(i % 24, i % 60) for i in range(500)]})
    result = audit(ref, cur)
    rows = {r["feature"]: r for r in result.table.iter_rows(named=True)}
    assert rows["wait"]["kind"] == "numeric" and rows["wait"]["drifted"]
    assert rows["at"]["kind"] == "numeric" and not rows["at"]["drifted"]
    assert result.table.filter(pl.col("feature") == "wait")["wasserstein"][0] == pytest.approx(
        600 / np.std([60.0 * (i % 50) for i in range(500)]), rel=1e-9)


def test_values_near_the_largest_float_give_finite_statistics_and_no_warning(rng):
    ref = pl.DataFrame({"x": rng.normal(size=500) * 1e307})
    cur = pl.DataFrame({"x": rng.normal(size=500) * 1e307 + 5e307})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = audit(ref, cur).table.row(0, named=True)
    small = audit(ref.select(pl.col("x") / 1e300), cur.select(pl.col("x") / 1e300)).table.row(0, named=True)
    assert np.isfinite(row["wasserstein"]) and row["wasserstein"] == pytest.approx(small["wasserstein"], rel=1e-9)
    assert row["drifted"]


# --------------------------------------------------------------- options at the door

@pytest.mark.parametrize("option, value, message", [
    ("bins", 0, "bins must be between 2 and 1000"),
    ("bins", 2.5, "bins must be a finite whole number"),
    ("psi_threshold", float("nan"), "psi_threshold must be a finite number"),
    ("alpha", 7, "alpha must be between 0 and 1"),
    ("ks_threshold", -0.1, "ks_threshold must be 0 or more"),
])
def test_audit_options_are_checked(option, value, message):
    frame = pl.DataFrame({"x": np.arange(100.0)})
    with pytest.raises(MlwatchError, match=message):
        audit(frame, frame, **{option: value})


def test_slice_options_are_checked(quiet_bike):
    ref, cur = quiet_bike.reference, quiet_bike.current
    kwargs = quiet_bike.investigate_kwargs()
    scoring = resolve_scoring(ref, cur, prediction=kwargs["prediction"], target=kwargs["target"])
    with pytest.raises(MlwatchError, match="min_support must be 1 or more, got 0"):
        find_slices(ref, cur, scoring, segments=["weekday"], min_support=0)


@pytest.mark.parametrize("flag, value", [("--psi-threshold", "nan"), ("--alpha", "7"), ("--alpha", "0"),
                                         ("--bins", "0"), ("--bins", "ten")])
def test_cli_options_are_checked(files, capsys, flag, value):
    ref, cur = files
    with pytest.raises(SystemExit) as ended:
        main(["audit", str(ref), str(cur), flag, value])
    assert ended.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert flag in error and value in error


# ------------------------------------------------------------------- the boundary

def test_an_unexpected_error_is_one_line_and_the_traceback_waits_for_debug(files, capsys, monkeypatch):
    import mlwatch.steps.audit as audit_module

    def broken(*args, **kwargs):
        raise pl.exceptions.ComputeError("something deep inside polars\nwith a second line")

    monkeypatch.setattr(audit_module, "audit", broken)
    ref, cur = files
    assert main(["audit", str(ref), str(cur)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "mlwatch: error: ComputeError: something deep inside polars (--debug for the traceback)"
    with pytest.raises(pl.exceptions.ComputeError):
        main(["--debug", "audit", str(ref), str(cur)])


def test_an_unwritable_output_fails_before_any_work(files, tmp_path, capsys):
    ref, cur = files
    folder = tmp_path / "taken"
    folder.mkdir()
    assert main(["audit", str(ref), str(cur), "--html", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "it is a folder" in err and "reading" not in err        # nothing was read


def test_the_flag_not_the_suffix_decides_the_format(files, tmp_path):
    ref, cur = files
    md, page = tmp_path / "x.html", tmp_path / "report"
    assert main(["audit", str(ref), str(cur), "--markdown", str(md), "--html", str(page)]) == 0
    assert md.read_text().startswith("# Audit of")
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("the good report\n")
    script = textwrap.dedent(f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)       # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        from mlwatch.report.html import write_text
        from mlwatch.errors import MlwatchError
        try:
            write_text({str(target)!r}, "x" * 100_000)
        except MlwatchError as err:
            print("failed:", err)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "failed: cannot write" in done.stdout, done.stderr
    assert target.read_text() == "the good report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]       # no temporary file left


def test_the_markdown_postmortem_carries_no_live_html(quiet_bike):
    events = pl.DataFrame({"time": [dt.datetime(2012, 8, 1)],
                           "description": ["<script>alert(1)</script> deploy [x](javascript:y)"]})
    kwargs = quiet_bike.investigate_kwargs()
    kwargs["events"] = events
    findings = investigate(quiet_bike.reference, quiet_bike.current, **kwargs)
    text = findings.postmortem(title="<img src=x onerror=alert(1)>", owner="<b>me</b>").to_markdown()
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


# ---------------------------------------------------------------- time, labels, codes

def test_time_zones_on_one_side_only_are_compared_in_utc():
    case = simulate("bike", Injection("unit_change", feature="temp", magnitude=(1.8, 32.0)), n=2000, seed=4)
    kwargs = case.investigate_kwargs()
    t = kwargs["time"]
    plain = investigate(case.reference, case.current, **kwargs)
    aware_ref = case.reference.with_columns(pl.col(t).dt.replace_time_zone("UTC"))
    new_york = case.current.with_columns(pl.col(t).dt.replace_time_zone("UTC").dt.convert_time_zone("America/New_York"))
    zoned = investigate(aware_ref, new_york, **kwargs)
    as_text = investigate(case.reference, case.current.with_columns(pl.col(t).cast(pl.String)), **kwargs)
    assert zoned.verdict.primary.onset == plain.verdict.primary.onset == as_text.verdict.primary.onset
    assert zoned.verdict.kind == plain.verdict.kind == "skew"


@pytest.mark.parametrize("broken, message", [
    (pl.lit("not a date"), "current: time column 'time' holds text that is not dates"),
    (pl.lit(None, dtype=pl.Datetime("us")), "current: time column 'time' is empty"),
])
def test_a_bad_time_column_is_named(quiet_bike, broken, message):
    kwargs = quiet_bike.investigate_kwargs()
    assert kwargs["time"] == "time"
    with pytest.raises(MlwatchError, match=message):
        investigate(quiet_bike.reference, quiet_bike.current.with_columns(broken.alias("time")), **kwargs)


@pytest.mark.parametrize("labels, message", [
    ([0, 1, 2, 0] * 50, "target 'y' is not binary \\(values 0, 1, 2\\)"),
    (["yes", "no"] * 100, "target 'y' holds text labels \\('no', 'yes'\\)"),
])
def test_classification_needs_binary_labels(labels, message):
    frame = pl.DataFrame({"y": labels, "p": np.linspace(0, 1, 200), "g": ["a", "b"] * 100})
    with pytest.raises(MlwatchError, match=message):
        investigate(frame, frame, target="y", prediction="p", task="classification")


def test_classification_needs_probabilities():
    frame = pl.DataFrame({"y": [0, 1] * 100, "p": np.linspace(-3, 3, 200)})
    with pytest.raises(MlwatchError, match="prediction 'p' holds values outside \\[0, 1\\] \\(-3 to 3\\)"):
        resolve_scoring(frame, frame, prediction="p", target="y", metric="log_loss")


def test_integer_codes_are_segments_one_value_each(rng):
    n = 8000
    carrier = rng.integers(0, 16, n)
    y = rng.random(n) < 0.2
    ref = pl.DataFrame({"carrier": carrier, "y": y.astype(int), "p": np.full(n, 0.2)})
    broken = (carrier == 7) & (rng.random(n) < 0.6)
    cur = ref.with_columns(pl.Series("y", np.where(broken, 1 - y, y).astype(int)))
    scoring = resolve_scoring(ref, cur, prediction="p", target="y")
    found = find_slices(ref, cur, scoring, segments=["carrier"], max_depth=1)
    assert found.top == {"carrier": "7"} and found.options["segment_kinds"] == {"carrier": "categorical"}
    cut = find_slices(ref, cur, scoring, segments=["carrier"], max_depth=1, kinds={"carrier": "numeric"})
    assert cut.options["segment_kinds"] == {"carrier": "numeric"} and cut.top != {"carrier": "7"}


# ----------------------------------------------------------------- frames and files

def test_duplicate_column_names_are_named():
    import pandas as pd

    with pytest.raises(MlwatchError, match="current: column 'a' appears more than once"):
        audit(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"]))


def test_a_lazy_frame_that_fails_names_its_side(tmp_path):
    frame = pl.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(MlwatchError, match="current: the lazy frame failed to collect"):
        audit(frame, pl.scan_parquet(tmp_path / "none" / "*.parquet"))


def test_a_csv_that_writes_na_gets_advice_the_cli_can_follow(tmp_path, capsys):
    pl.DataFrame({"x": [1.0, 2.0, 3.0] * 50}).write_csv(tmp_path / "r.csv")
    (tmp_path / "c.csv").write_text("x\n" + "1.5\nNA\n2\n" * 50)
    assert main(["audit", str(tmp_path / "r.csv"), str(tmp_path / "c.csv")]) == 2
    assert "--null-values NA" in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "r.csv"), str(tmp_path / "c.csv"), "--null-values", "NA",
                 "--json", str(tmp_path / "a.json")]) == 0
    import json

    checks = json.loads((tmp_path / "a.json").read_text())["quality"]
    assert any(c["check"] == "null_rate" and c["failed"] and c["current"] == pytest.approx(1 / 3) for c in checks)


# ---------------------------------------------------------------------- model files

@pytest.fixture(scope="module")
def categorical_model(tmp_path_factory):
    import lightgbm as lgb
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=2000), "c": pd.Categorical(rng.choice(["a", "b", "c"], 2000))})
    y = (frame.x + (frame.c == "b") + rng.normal(size=2000) > 0.5).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(frame, y), 20)
    path = tmp_path_factory.mktemp("model") / "model.txt"
    booster.save_model(path)
    return path, booster, frame


def test_a_lightgbm_model_trained_on_pandas_categoricals_scores_polars_text(categorical_model):
    from mlwatch.models import as_scorer, load_model

    path, booster, frame = categorical_model
    scorer = as_scorer(load_model(path))
    as_text = pl.from_pandas(frame.assign(c=frame.c.astype(str)))
    np.testing.assert_allclose(scorer.predict(as_text), booster.predict(frame), rtol=1e-12)
    unseen = as_text.with_columns(pl.lit("zzz").alias("c"))       # a code it never saw: missing to it
    assert np.isfinite(scorer.predict(unseen)).all()
    with pytest.raises(MlwatchError, match="model: column 'x' holds String but the model reads it as a number"):
        scorer.predict(as_text.with_columns(pl.col("x").cast(pl.String)))


@pytest.mark.parametrize("name, content, trust", [
    ("broken.txt", b"tree\nversion=v4\nnonsense\n", False),
    ("broken.pkl", b"\x80\x04garbage", True),
    ("broken.skops", b"not a zip", False),
])
def test_a_corrupt_model_file_is_one_clear_error(tmp_path, name, content, trust):
    from mlwatch.models import load_model

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MlwatchError, match=f"model: cannot read {path}"):
        load_model(path, trust=trust)


# ------------------------------------------------------------- whatever comes in

_KINDS = ("int", "float", "text", "bool", "date", "aware", "null", "duration", "mixed_nan")


def _column(kind: str, n: int, draw_rng: np.random.Generator) -> pl.Series:
    missing = draw_rng.random(n) < draw_rng.choice([0.0, 0.3, 1.0], p=[0.6, 0.3, 0.1])
    if kind == "int":
        values = pl.Series(draw_rng.integers(-5, 5, n))
    elif kind == "float":
        values = pl.Series(draw_rng.choice([0.5, -1e308, 1e308, np.inf, np.nan, 3.0], n))
    elif kind == "text":
        values = pl.Series(draw_rng.choice(["a", "b", "", "NA", "é"], n))
    elif kind == "bool":
        values = pl.Series(draw_rng.random(n) < 0.5)
    elif kind in ("date", "aware"):
        values = pl.Series([dt.datetime(2024, 1, 1) + dt.timedelta(hours=int(h)) for h in draw_rng.integers(0, 99, n)])
        if kind == "aware":
            values = values.dt.replace_time_zone("Asia/Tokyo")
    elif kind == "duration":
        values = pl.Series([dt.timedelta(seconds=int(s)) for s in draw_rng.integers(0, 99, n)])
    elif kind == "null":
        return pl.Series([None] * n)
    else:
        values = pl.Series(draw_rng.normal(size=n)).fill_nan(None)
    return pl.select(pl.when(pl.Series(missing)).then(None).otherwise(values)).to_series()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=4), st.lists(st.sampled_from(_KINDS), min_size=1,
       max_size=4), st.integers(0, 2**31), st.integers(1, 60), st.integers(1, 60))
def test_audit_of_anything_is_a_result_or_a_clear_error(ref_kinds, cur_kinds, seed, n, m):
    rng = np.random.default_rng(seed)
    ref = pl.DataFrame([_column(k, n, rng).alias(f"c{i}") for i, k in enumerate(ref_kinds)])
    cur = pl.DataFrame([_column(k, m, rng).alias(f"c{i}") for i, k in enumerate(cur_kinds)])
    try:
        result = audit(ref, cur)
    except MlwatchError as err:
        assert str(err)                       # a message, naming what is wrong
        return
    assert result.table.height == ref.width
    for column in ("psi", "js", "hellinger", "p_value_adjusted"):       # never a silent NaN
        assert not result.table[column].is_nan().any(), column


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31), st.sampled_from(["UTC", "Asia/Tokyo", None]), st.sampled_from(_KINDS),
       st.booleans())
def test_investigate_of_hostile_frames_is_a_verdict_or_a_clear_error(seed, zone, extra, drop_label):
    rng = np.random.default_rng(seed)
    n = 400
    time = pl.Series([dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(2 * n)])
    if zone:
        time = time.dt.replace_time_zone(zone)
    frame = pl.DataFrame({"t": time, "g": rng.choice(["x", "y", "z"], 2 * n), "f": rng.normal(size=2 * n),
                          "y": rng.integers(0, 2, 2 * n), "p": rng.random(2 * n),
                          "e": _column(extra, 2 * n, rng)})
    ref, cur = frame.head(n), frame.tail(n)
    if drop_label:
        cur = cur.with_columns(pl.lit(None, dtype=pl.Int64).alias("y"))
    try:
        findings = investigate(ref, cur, target="y", prediction="p", time="t")
    except MlwatchError as err:
        assert str(err)
        return
    assert findings.verdict.kind in ("none", "skew", "data_quality", "concept_drift", "data_drift")


def test_an_inferred_input_empty_in_the_reference_is_left_out_and_said(quiet_bike):
    kwargs = quiet_bike.investigate_kwargs()
    kwargs.pop("features")
    ref = quiet_bike.reference.with_columns(pl.lit(None, dtype=pl.Float64).alias("hum"))
    findings = investigate(ref, quiet_bike.current, **kwargs)
    assert findings.left_out == ("hum",) and "hum" not in findings.roles.features
    assert findings.to_dict()["roles"]["left_out"] == ["hum"]
    with pytest.raises(MlwatchError, match="reference: column 'hum' has no value"):
        investigate(ref, quiet_bike.current, **quiet_bike.investigate_kwargs())      # named: an error


def test_dates_and_durations_as_inputs_are_traced_as_numbers(quiet_bike):
    kwargs = quiet_bike.investigate_kwargs()
    kwargs.pop("features")
    start = dt.datetime(2020, 1, 1)
    ref = quiet_bike.reference.with_columns(
        booked=pl.lit(start) + pl.duration(hours=pl.int_range(pl.len())), wait=pl.duration(minutes=pl.int_range(pl.len()) % 30))
    cur = quiet_bike.current.with_columns(
        booked=pl.lit(start) + pl.duration(hours=pl.int_range(pl.len()) + 5000),          # every date later
        wait=pl.duration(minutes=pl.int_range(pl.len()) % 30 + 20))                       # every wait longer
    findings = investigate(ref, cur, **kwargs)
    drifted = set(findings.audit.drifted if findings.population_audit is None else findings.population_audit.drifted)
    assert {"booked", "wait"} <= drifted
    traced = {r["feature"]: r["signature"] for r in findings.trace.table.iter_rows(named=True)}
    assert traced.get("wait") in ("shift", "scale") and traced.get("booked") in ("shift", "scale")


# ------------------------------------------------- what already held, kept holding

@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_no_pickle_is_loaded_without_trust(tmp_path, suffix):
    import pickle

    from mlwatch.models import load_model

    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(MlwatchError, match="refusing to unpickle"):
        load_model(path)
    assert main(["investigate", str(path), str(path), "--prediction", "p", "--model", str(path)]) == 2


def test_inputs_are_never_modified(quiet_bike):
    import pandas as pd

    kwargs = quiet_bike.investigate_kwargs()
    ref, cur = quiet_bike.reference.clone(), quiet_bike.current.clone()
    pandas_ref, pandas_cur = ref.to_pandas(), cur.to_pandas()
    investigate(ref, cur, **kwargs)
    investigate(pandas_ref, pandas_cur, **kwargs)
    audit(ref, cur)
    assert ref.equals(quiet_bike.reference) and cur.equals(quiet_bike.current)
    pd.testing.assert_frame_equal(pandas_ref, quiet_bike.reference.to_pandas())
    pd.testing.assert_frame_equal(pandas_cur, quiet_bike.current.to_pandas())


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_every_value_placed_in_html_is_escaped(quiet_bike, tmp_path):
    kwargs = quiet_bike.investigate_kwargs()
    kwargs.pop("features")
    ref = quiet_bike.reference.with_columns(pl.lit("a").alias(HOSTILE))
    cur = quiet_bike.current.with_columns(pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit(HOSTILE))
                                          .otherwise(pl.lit("a")).alias(HOSTILE))
    kwargs["events"] = pl.DataFrame({"time": [dt.datetime(2012, 8, 1)], "description": [HOSTILE]})
    findings = investigate(ref, cur, **kwargs)
    page = findings.postmortem(title=HOSTILE, owner=HOSTILE).to_html()
    for text in (page, findings.summary("html"), audit(ref, cur).summary("html")):
        assert "<script>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in page


def _written(name: str, content: bytes | None):
    def make(folder):
        path = folder / name
        if name.endswith("/"):
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)
        return path
    return make


@pytest.mark.parametrize("make, message", [
    (_written("absent.parquet", None), "no such file"),
    (_written("empty/", None), "cannot scan"),          # a folder is a parquet dataset: this one has none
    (_written("x.xlsx", b"PK"), "neither parquet"),
    (_written("x.parquet", b"not parquet"), "cannot read"),
    (_written("x.csv", b""), "cannot read"),
    (_written("h.csv", b"a,b\n"), "no rows"),
])
def test_bad_files_exit_2_with_one_line(tmp_path, files, capsys, make, message):
    ref, _ = files
    bad = make(tmp_path)
    assert main(["audit", str(ref), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 + sum(line.startswith("[mlwatch]") for line in err[:-1]) and message in err[-1]
    assert str(bad) in err[-1] or "current" in err[-1]


def test_no_network_is_used(quiet_bike, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("mlwatch opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    findings = investigate(quiet_bike.reference, quiet_bike.current, **quiet_bike.investigate_kwargs())
    assert findings.postmortem().to_html()
