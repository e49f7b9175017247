"""The postmortem: JSON round trip, escaping, the exports."""

import json

import polars as pl
import pytest

from mlwatch import gallery, investigate
from mlwatch.errors import MlwatchError
from mlwatch.report.postmortem import Postmortem


@pytest.fixture(scope="module")
def findings():
    case = gallery.load("flights_null_spike")
    return investigate(case.reference, case.current, events=case.events, challenger="challenger",
                       **case.investigate_kwargs())


def test_json_round_trips(findings, tmp_path):
    postmortem = findings.postmortem(owner="oncall")
    path = postmortem.write(tmp_path / "p.json")
    payload = json.loads(path.read_text())
    again = Postmortem.from_dict(payload)
    assert again.to_dict() == payload
    assert again.to_markdown() == postmortem.to_markdown()
    assert payload["verdict"]["kind"] == "data_quality"
    assert any("weather feed migrated" in t["what"] for t in payload["timeline"])
    assert any("data-quality monitor" in f for f in payload["followups"])


def test_markdown_and_html(findings, tmp_path):
    postmortem = findings.postmortem()
    md = postmortem.write(tmp_path / "p.md").read_text()
    assert md.startswith("# Incident postmortem: data quality") and "## Follow-ups" in md and "- [ ]" in md
    page = postmortem.write(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("data:image/png;base64,") >= 4
    with pytest.raises(MlwatchError, match="use .html, .md or .json"):
        postmortem.write(tmp_path / "p.pdf")


def test_html_escapes_a_hostile_category_value(tmp_path):
    case = gallery.load("acs_concept_drift")
    evil = "<script>alert(1)</script>"
    current = case.current.with_columns(pl.when(pl.col("SCHL").cast(pl.String) == "21").then(pl.lit(evil))
                                        .otherwise(pl.col("SCHL").cast(pl.String)).alias("SCHL"))
    findings = investigate(case.reference, current, **case.investigate_kwargs())
    page = findings.postmortem(title=evil).to_html()
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_root_cause_says_the_window_its_change_likely_began_in(findings):
    """Step 6's onset comes with the central 95 % of its posterior: the finding carries it
    (JSON too) and it holds both the onset given and the gallery's true onset. A tilt on the
    few rows a day of Saturdays (the scorecard's bike 51) is dated only to within days: the
    timeline says so, and the window holds the truth."""
    from mlwatch.simulate import Injection, simulate

    primary = findings.verdict.primary
    assert primary.onset_low is not None and primary.onset_low <= primary.onset <= primary.onset_high
    assert primary.onset_low[:10] <= gallery.load("flights_null_spike").truth["onset"] <= primary.onset_high
    assert findings.verdict.to_dict()["findings"][0]["onset_low"] == primary.onset_low
    case = simulate("bike", Injection("covariate_shift"), n=4367, seed=825_830_814)      # the scorecard job 51
    assert case.truth["slice"] == {"weekday": "Sat"}
    tilted = investigate(case.reference, case.current, **case.investigate_kwargs())
    p = tilted.verdict.primary
    assert (tilted.verdict.kind, p.scope) == ("data_drift", "weekday=Sat")
    assert p.onset_low < p.onset_high and p.onset_low <= case.truth["onset"].replace("T", " ") <= p.onset_high
    root = next(t["what"] for t in tilted.postmortem().to_dict()["timeline"] if "(the root cause" in t["what"])
    assert f"likely began between {p.onset_low} and {p.onset_high}" in root


def test_a_broken_slices_timeline_says_the_window_its_errors_likely_began_to_change_in():
    """A concept drift on a regression (bike demand on Tuesdays scaled by 1.57 on 42 % of
    the rows from 15 September) is dated to the row on the slice's signed errors: the finding
    carries the window of its posterior, the timeline says it, and the trigger (the policy
    change three hours before the onset) is named from the onset's bucket."""
    from mlwatch.simulate import Injection, simulate

    case = simulate("bike", Injection("concept_drift"), n=4367, seed=900_000)
    assert case.truth["slice"] == {"weekday": "Tue"}
    found = investigate(case.reference, case.current, **case.investigate_kwargs())
    p = found.verdict.primary
    assert (found.verdict.kind, p.scope, p.event) == ("concept_drift", "weekday=Tue", case.truth["event"])
    assert p.onset_low <= case.truth["onset"].replace("T", " ") <= p.onset_high
    assert p.onset_low < p.onset <= p.onset_high
    document = found.to_dict()          # the JSON holds the window (and reads back)
    assert (document["slices"][0]["onset_low"], document["slices"][0]["onset_high"]) == (p.onset_low, p.onset_high)
    assert type(found).from_dict(json.loads(json.dumps(document))).verdict.primary.onset_low == p.onset_low
    degrade = next(t["what"] for t in found.postmortem().to_dict()["timeline"] if "starts to degrade" in t["what"])
    assert degrade == f"weekday=Tue: mae starts to degrade (likely began between {p.onset_low} and {p.onset_high})"


def test_a_concept_drift_with_no_event_at_its_onset_takes_the_event_its_errors_likely_followed():
    """Bike demand in summer scaled from 5 September, 14:00; the policy change came at 07:16.
    The errors' posterior puts the median at 4 September, 19:00 (the first changed rows are
    few), so the bucket rule finds no event up to the end of that day's bucket; the event
    after which the change most likely began (its window runs to 6 September) is named, as
    for a tilt (``python benchmarks/bench_diagnosis.py --count 1600 --kinds concept_drift
    --labels available``: triggers 121 -> 122 of 160, none named wrongly). Given that event,
    the change is dated by the first rows after it (``trace.onset_given``): one timeline, the
    cause before the change it explains."""
    from mlwatch.simulate import Injection, simulate
    from mlwatch.steps.scorecard import score

    case = simulate("bike", Injection("concept_drift"), n=4367, seed=940_021)
    found = investigate(case.reference, case.current, **case.investigate_kwargs())
    p = found.verdict.primary
    assert (found.verdict.kind, p.scope) == ("concept_drift", "season=summer")
    assert p.onset_low < case.truth["event_time"].replace("T", " ") <= p.onset_high
    assert (p.event, p.event_time) == (case.truth["event"], "2012-09-05 07:16")
    assert p.event_time < p.onset == "2012-09-05 20:00" <= p.onset_high
    assert score(case, found)["onset"]


@pytest.fixture(scope="module")
def fahrenheit():
    case = gallery.load("bike_fahrenheit")
    return case, investigate(case.reference, case.current, events=case.events, challenger="challenger",
                             **case.investigate_kwargs())


def test_a_bias_has_no_better_side_in_the_impact_table(fahrenheit):
    # a regression's bias is read when its errors moved without growing: the Fahrenheit case's
    # spring non-working days went from -60.6 to -8.7 (forecasts pushed up by the hotter-looking
    # inputs), which "lower is better" called worse. Numbers checked by hand on the rows
    import datetime as dt

    case, found = fahrenheit
    impact = found.postmortem().to_dict()["impact"]
    assert impact["metric"] == "mean error (prediction - target)" and impact["two_sided"]
    bias = (pl.col("prediction") - pl.col("cnt")).mean()
    assert impact["global"]["reference"] == pytest.approx(case.reference.select(bias).item())
    assert impact["global"]["current"] == pytest.approx(case.current.select(bias).item())
    s = impact["slice"]
    since = dt.datetime.strptime(s["since_rows"], "%Y-%m-%d %H:%M")
    rows = case.current.filter((pl.col("season") == "spring") & (pl.col("workingday") == "No")
                               & (pl.col("time") >= since))
    assert (s["name"], s["n_current"]) == ("season=spring & workingday=No", rows.height)
    assert s["current"] == pytest.approx(rows.select(bias).item())
    assert abs(s["current"]) < abs(s["reference"])

    md = found.postmortem().to_markdown()
    assert "(0 is best, a move either way is the change)" in md and "lower is better" not in md
    change = s["current"] - s["reference"]
    assert f"{change:+.3g} (closer to 0)" in md and "(worse)" not in md
    # the fix is shadow-scored where the slice broke, on the same 189 rows as its impact (it was
    # scored on all 355 of the slice's rows and set beside the later half's metric)
    fix = found.shadow.table.filter(pl.col("segment") == f"{s['name']} from {s['since_rows']} on").row(0, named=True)
    assert fix["n"] == rows.height and fix["targeted"]
    assert fix["metric_champion"] == pytest.approx((rows["prediction"] - rows["cnt"]).abs().mean())
    assert fix["metric_challenger"] == pytest.approx((rows["challenger"] - rows["cnt"]).abs().mean())
    assert f"mae {fix['metric_challenger']:.4g} (was {fix['metric_champion']:.4g}) (shadow: reject)" in md
    assert "season=spring & workingday=No: mean error (prediction - target) starts to move" in [
        t["what"] for t in found.postmortem().to_dict()["timeline"]]


def test_a_population_s_cause_is_traced_on_the_population_before_the_audited_slice(fahrenheit):
    # the slice's trace dates the unit change by its own first row after the onset (Saturday
    # 17:00 for a change made on Friday at 17:00); shown alone beside the verdict, it read as
    # a second onset. Each trace section now says where it was read
    _, found = fahrenheit
    assert found.verdict.primary.scope == "population"
    traces = [s for s in found.postmortem().evidence if s.heading.startswith("trace")]
    assert [s.heading for s in traces] == ["trace on the population", "trace on season=spring & workingday=No"]
    onsets = [{r["feature"]: r["onset"] for r in s.table}["temp"] for s in traces]
    assert onsets == [found.verdict.primary.onset, "2012-09-22 17:00"]
    assert "weekday: no signature stands out: the distribution changed shape" in traces[1].text


def test_a_step_1_move_beside_a_verdict_of_none_is_told_as_small():
    # a control (two random windows of hotel bookings, labels for the first half): step 1's
    # sustained move, read against the reference buckets' spread alone, was told in the
    # timeline as "the model's mae moved" under a verdict that nothing is wrong
    from mlwatch.simulate import Injection, simulate

    case = simulate("hotel", Injection("none"), n=5000, seed=5, labels="partial")
    found = investigate(case.reference, case.current, **case.investigate_kwargs())
    assert found.verdict.kind == "none" and found.signal.metric_left == "2017-04-04"
    postmortem = found.postmortem(figures=False)
    assert {"time": "2017-04-04", "what": "the model's mae moved (step 1), by less than matters: the verdict is "
                                          "that nothing is wrong"} in postmortem.timeline
    assert postmortem.followups[0].startswith("Investigate again once the labels after 2017-06-11 arrive")


def test_a_fix_within_noise_is_not_said_to_make_things_worse():
    # the ACS covariate drift's retrained challenger: accuracy 81.62 % -> 81.61 %, p 0.97. Its
    # share of the change was -1 %, and the impact table said the fix "makes it worse"
    case = gallery.load("acs_covariate_drift")
    found = investigate(case.reference, case.current, events=case.events, challenger="challenger",
                        **case.investigate_kwargs())
    fix = found.postmortem(figures=False).to_dict()["impact"]["fix"]
    assert fix["on"] == "all" and fix["low"] < 0 < fix["high"] and found.shadow.verdict == "hold"
    md = found.postmortem(figures=False).to_markdown()
    assert f"{100 * fix['challenger']:.1f} %; no change beyond noise (shadow: hold)" in md
    assert "makes it worse" not in md


def test_a_fix_scored_on_other_rows_than_the_impact_says_so():
    # findings whose shadow has no row for where the slice broke (saved before step 7 took
    # `since`): the fix's metric is on all the slice's rows, the impact's on its later half;
    # no share of the change is computed across the two
    from mlwatch.report.postmortem import _impact_rows

    impact = {"metric": "accuracy", "higher_is_better": True, "two_sided": False,
              "global": {"reference": 0.83, "current": 0.81, "n_current": 1000},
              "slice": {"name": "SEX=2 & MAR=1", "n_current": 300, "share": None, "since_rows": "2018",
                        "reference": 0.76, "current": 0.55, "onset": "2018"},
              "fix": {"on": "SEX=2 & MAR=1", "rows": "all", "metric": "accuracy", "n": 900, "champion": 0.70,
                      "challenger": 0.72, "low": 0.01, "high": 0.03, "verdict": "hold"}}
    rows, _ = _impact_rows(impact)
    assert rows["with the fix"][1] == "72.0 % (was 70.0 %) on all 900 of its current rows (shadow: hold)"
    impact["fix"].update(rows="since", n=300)           # the same rows: the share it recovers
    rows, _ = _impact_rows(impact)
    assert rows["with the fix"][1] == f"72.0 %; recovers {(0.72 - 0.55) / (0.76 - 0.55):.0%} of the change (shadow: hold)"
