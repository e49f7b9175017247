"""Write the curated notebooks (run: python notebooks/build_notebooks.py).

The notebooks are generated so that their prose and code stay reviewable in one place; the
test suite executes every one of them (tests/test_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, **metadata):
    cell = new_code_cell(text.strip())
    cell.metadata.update(metadata)
    return cell


NOTEBOOKS = {
"01_incident_walkthrough.ipynb": [
    md("""
# An incident, from the alarm to the validated fix

Late August 2013. A model scores every departure from New York with the probability that it
arrives more than 15 minutes late. The service answers, latency is fine — and the delay
alerts for one airline have gone quiet while its passengers complain as much as ever.
This notebook walks the seven steps of the incident on that case (the gallery incident
`flights_unit_skew`, built from the real NYC flights of 2013), and ends with the postmortem.
"""),
    code("""
import mlwatch
from mlwatch import gallery

case = gallery.load("flights_unit_skew")
incident = mlwatch.Incident(case.reference, case.current, **case.investigate_kwargs())
incident
"""),
    md("""
## 1. Signal: the business metric or the model metric?

First question of any incident: did the *business* move (traffic, season, pricing) or the
*model*? Each series is standardised against its own reference weeks; a CUSUM dates when a
sustained move began.
"""),
    code("""
signal = incident.signal()
print(signal.sentence)
signal.plot();
"""),
    md("""
## 2. Infra: five minutes, no more

The serving log here has no latency or status column, so the step says so and moves on.
"""),
    code("print(incident.infra().summary())"),
    md("""
## 3. Never trust the global metric

Late summer is calm: fewer delays everywhere, so the global log-loss *improves*. A global
dashboard would say all is well.
"""),
    code("""
slices = incident.slices()
overall = incident.overall(slices=slices)
print(overall.sentence)
overall.plot();
"""),
    md("""
## 4. Which segment broke?

The slice search compares each segment with the rest of the population over the same two
windows: a carrier whose loss stayed flat while everyone else improved *is* broken.
"""),
    code("""
print(slices.summary())
slices.plot();
"""),
    md("""
## 5. Which features drifted on the broken slice?

The audit restricted to that slice: PSI with its noise floor, KS, Jensen-Shannon,
Wasserstein, and the data-quality checks.
"""),
    code("""
audit = incident.audit(where=slices.top)
print(audit.summary())
audit.plot();
"""),
    code("audit.plot(feature='dep_delay');"),
    md("""
## 6. Trace it upstream: what, since when, which event?

The signature names *what* happened to the feature; the onset dates it; the event log
(deploys, migrations) says which upstream change explains it.
"""),
    code("""
trace = incident.trace(features=audit.drifted, where=slices.top, events=case.events)
print(trace.summary())
trace.plot();
"""),
    md("""
A unit change in one carrier's feed since a deploy: a **training-serving skew**. The fix is
in the pipeline, not in a retrain. How is the model reasoning now? SHAP attributions on the
broken slice, reference against current:
"""),
    code("""
attribution = incident.attribution(case.model(), where=slices.top, n_samples=1500, n_boot=100)
print(attribution.sentence)
attribution.plot(kind='waterfall');
"""),
    md("""
## 7. Validate the fix with shadow scoring

The challenger is the same model fed with repaired inputs. Both score the same live rows;
paired tests per segment decide.
"""),
    code("""
shadow = incident.shadow("challenger", targeted=slices.top)
print(shadow.sentence)
shadow.plot();
"""),
    md("""
## The whole investigation in one call, and the postmortem

`investigate()` runs the steps and decides; the postmortem is the snapshot to paste into
the write-up (HTML with the figures, Markdown, JSON).
"""),
    code("""
findings = incident.investigate(events=case.events, challenger="challenger")
print(findings.verdict.summary)
postmortem = findings.postmortem(owner="ml-oncall")
postmortem.write("out/walkthrough_postmortem.html")
print(postmortem.to_markdown()[:1500])
"""),
    md("""
## Explore

The same investigation as an app, one tab a step: pick another slice, another feature, move
the PSI threshold. The latest result is `app.result`.
"""),
    code("""
app = mlwatch.explore(incident, findings)
app
"""),
],
"02_psi_audit.ipynb": [
    md("""
# PSI and its cousins, on a broken slice

PSI compares the share of rows in bins: bins cut at the reference's deciles, or one per
category common enough in the two samples pooled (the rare ones share a bin, whichever side
they came from: choosing bins by which side saw a category biases every test run on them),
plus a bin for missing values. It is read with two numbers beside it: the threshold of a
material change (0.1; 0.25 is major) and the **noise floor**, what sampling alone gives at
these sample sizes.
"""),
    code("""
import numpy as np
import polars as pl
from mlwatch import audit, datasets
from mlwatch.stats import noise, psi

flights = datasets.flights()
winter, summer = flights.filter(pl.col("month") <= 3), flights.filter(pl.col("month").is_between(7, 9))
"""),
    md("""
## Binning and per-bin contributions

Every bin's contribution `(q - p) ln(q / p)` is kept, so a person sees *which* range carries
the drift, not just a number.
"""),
    code("""
result = psi(winter["temp"], summer["temp"])
print(round(result.value, 2), "noise floor", round(result.noise_floor, 5))
pl.DataFrame({"bin": result.bins.labels, "reference": result.bins.reference, "current": result.bins.current,
              "contribution": result.contributions})
"""),
    md("""
## Why small slices lie

Under no drift PSI is biased upward: about `(B - 1)(1/n + 1/m)` on average. Two random
samples of the *same* month, at several sizes:
"""),
    code("""
june = flights.filter(pl.col("month") == 6)["dep_delay"].drop_nulls()
rows = []
for n in (50, 200, 1000, 10000):
    values = [psi(june.sample(n, seed=s), june.sample(n, seed=s + 1000)).value for s in range(100)]
    rows.append({"n": n, "mean PSI, no drift": np.mean(values), "share above 0.1": np.mean(np.array(values) > 0.1),
                 "expected (B-1)(1/n+1/m)": noise.psi_expected(n, n, 11), "95 % noise floor": noise.psi_noise_floor(n, n, 11)})
pl.DataFrame(rows)
"""),
    md("""
At 50 rows a side, PSI above 0.1 is the rule, not an alarm. mlwatch calls a feature drifted
only when its change is **significant** (the chi-square test on the same bins, or KS, after
Benjamini-Hochberg across every feature and quality check) **and material net of that
bias**: PSI less its expectation above 0.1, or 5 % of the rows moved (KS; total variation for
categories), or a Wasserstein distance of a tenth of a standard deviation. The column
`material_by` says which.

## The audit of a broken slice

The incident of notebook 01: United's delays arrive in hours. The audit on the slice:
"""),
    code("""
from mlwatch import gallery
case = gallery.load("flights_unit_skew")
result = audit(case.reference, case.current, features=case.roles["features"], where={"carrier": "UA"})
print(result.summary())
result.plot();
"""),
    code("result.plot(feature='dep_delay');"),
    md("""
The outlined bins carry 80 % of the PSI: the delays piled near zero. The quality checks and
the signature (step 6) say why.
"""),
],
"03_shap_stability.ipynb": [
    md("""
# Is the model still reasoning the way it did?

SHAP values on a seeded sample of each window: the importance ranking, each feature's
direction of effect, attribution drift, and which features moved the mean score — all with
bootstrap intervals, so noise and change can be told apart.
"""),
    code("""
import lightgbm as lgb
import polars as pl
from mlwatch import datasets
from mlwatch.steps.attribution import attribution

features = ["dep_delay", "distance", "hour", "temp", "wind_speed"]
flights = datasets.flights().drop_nulls(["late", *features])
train = flights.filter(pl.col("month") <= 6)
model = lgb.LGBMClassifier(n_estimators=60, num_leaves=15, verbose=-1, random_state=0)
model.fit(train.select(features).to_pandas(), train["late"].to_numpy())
"""),
    md("""
## A stable window: nothing to flag

Two random halves of the second half-year.
"""),
    code("""
later = flights.filter(pl.col("month") >= 7).sample(fraction=1.0, shuffle=True, seed=1)
half = later.height // 2
stable = attribution(model, later.head(half), later.tail(half), n_samples=1500, n_boot=100)
print(stable.sentence)
stable.plot();
"""),
    md("""
## Winter against summer

The inputs moved (the summer is hotter); which features moved the mean score?
"""),
    code("""
seasonal = attribution(model, flights.filter(pl.col("month") <= 3), flights.filter(pl.col("month").is_between(7, 9)),
                       n_samples=1500, n_boot=100)
print(seasonal.sentence)
seasonal.plot(kind="waterfall");
"""),
    md("""
## A sign inversion

Suppose the world changed: late arrivals now come from flights that left *early* (a
different delay policy). The model did not change, so its SHAP values on the prediction
look the same — but with labels, each feature's push can be checked against the outcome.
`dep_delay` now pushes against it: its effect inverted.
"""),
    code("""
window = flights.filter(pl.col("month").is_between(7, 12))
flipped = window.with_columns(late=(pl.col("dep_delay") < 0).cast(pl.Int8))
inverted = attribution(model, window, flipped, target="late", n_samples=1500, n_boot=100)
print(inverted.sentence)
inverted.table.select("feature", "direction_reference", "direction_current", "inverted")
"""),
],
"04_shadow_scoring.ipynb": [
    md("""
# Champion against challenger, segment by segment

A fix is promoted when it is better overall *and* not worse on the segments it was not aimed
at. Paired tests on the same rows: McNemar for accuracy, a paired bootstrap otherwise.
"""),
    code("""
import polars as pl
from mlwatch import gallery
from mlwatch.steps.shadow import shadow

case = gallery.load("acs_concept_drift")
current = case.current.filter(pl.col("year") == 2018)
"""),
    md("""
The champion is the production model; the challenger was retrained on recent labels after
married women's employment was redefined in 2018.
"""),
    code("""
result = shadow(current, "prediction", "challenger", target="employed", segments=["SEX", "MAR", "DIS"],
                targeted={"SEX": "2", "MAR": "1"})
print(result.sentence)
result.plot();
"""),
    code("result.plot(kind='scores');"),
    md("""
## Without labels

Labels often arrive weeks later. Until then: how far apart are the scores, how many
decisions flip, where?
"""),
    code("""
unlabelled = shadow(current, "prediction", "challenger", segments=["SEX", "MAR"])
print(unlabelled.sentence)
unlabelled.table.select("segment", "n", "agreement", "flips")
"""),
    md("""
## The quick fix that is worse

In the weather-feed incident, someone proposed to fill the missing readings with the median.
Shadow scoring says no: the model handles missing values better on its own.
"""),
    code("""
weather = gallery.load("flights_null_spike")
print(shadow(weather.current, "prediction", "challenger", target="late", metric="log_loss",
             segments=["origin"], n_boot=200).sentence)
"""),
],
"05_teaching_drift.ipynb": [
    md("""
# Teaching drift: move a slider, watch the statistics react

Real census answers (2015 against 2016, no drift between them to begin with). The sliders
inject a fault into the second half of the current window: a shift, a change of scale, a
change of unit, a null spike, a re-encoded category, or concept drift (labels flipped for
women). PSI, KS, the signature, the slice finder and ADWIN react.
"""),
    code("""
from mlwatch.widgets import drift_playground, inject

playground = drift_playground(n=10000)
playground
"""),
    md("""
The same, without the sliders (what a notebook cell can do with the public functions):
each fault, and what mlwatch names it.
"""),
    code("""
import polars as pl
from mlwatch.stats.signatures import signature

rows = []
for name, settings in {"shift": {"shift": 1.0}, "scale": {"scale": 2.0}, "unit change": {"unit": 1 / 60},
                       "null spike": {"null_share": 0.4}, "re-encoded category": {"remap": True}}.items():
    current = inject(playground.base, **settings)
    rows.append({"fault": name, "AGEP signature": signature(playground.reference["AGEP"], current["AGEP"]).name,
                 "SCHL signature": signature(playground.reference["SCHL"], current["SCHL"]).name})
pl.DataFrame(rows)
"""),
    md("""
Try it: set `playground.controls["unit"].value` to a unit, or flip labels with the last
slider — the slice finder names `SEX=2`. The numbers are in `playground.result`.
"""),
    code("""
playground.controls["concept"].value = 0.5
print(playground.result.slices.summary().split("\\n")[0])
"""),
    md("""
## Incidents made to order

`mlwatch.simulate` injects one incident into two windows of a real table and keeps the
ground truth beside it, so you can test what you learned (or your own monitors) on
incidents nobody tuned anything for. Here: the bike-sharing table's temperature feed
switches to Fahrenheit on part of the rows. Change the kind (`"stuck"`, `"clipping"`,
`"encoding_permutation"`, `"concept_drift"`, ...), the seed or `labels="withheld"` and run
it again; leave the injection empty for a random one.
"""),
    code("""
from mlwatch import investigate
from mlwatch.simulate import Injection, simulate

case = simulate("bike", Injection("unit_change", feature="temp", magnitude=(1.8, 32.0)), n=3000, seed=4)
findings = investigate(case.reference, case.current, **case.investigate_kwargs())
print("truth:", {k: case.truth[k] for k in ("verdict", "slice", "feature", "signature", "onset", "event")})
print("found:", findings.verdict.summary)
"""),
],
"06_postmortem_template.ipynb": [
    md("""
# Postmortem template

Point the parameters at a reference and a current file (parquet or CSV) and run all: the
investigation runs and the write-up comes out as HTML, Markdown and JSON. The defaults use
a gallery incident.
"""),
    code("""
reference = None      # path of the reference window (parquet/CSV); None: a gallery incident
current = None        # path of the current window
target = "employed"
prediction = "prediction"
time = "year"
segments = ["SEX", "MAR", "SCHL", "DIS", "CIT", "RAC1P"]
events = None         # path of an event log with time, description
gallery_incident = "acs_concept_drift"
owner = "(to assign)"
output = "out/postmortem"
""", tags=["parameters"]),
    md("""
## The investigation

Steps 1 to 6 and the verdict, on the files above (or the gallery incident).
"""),
    code("""
from mlwatch import gallery, investigate

if reference is None:
    case = gallery.load(gallery_incident)
    reference, current, events = case.reference, case.current, case.events
findings = investigate(reference, current, target=target, prediction=prediction, time=time, segments=segments,
                       events=events)
print(findings.summary())
"""),
    md("""
## The write-up

Timeline, impact, root cause, evidence, the fix and its validation, follow-ups. The HTML is
self-contained (figures embedded); the Markdown pastes into a wiki or a GitHub issue; the
JSON round-trips.
"""),
    code("""
postmortem = findings.postmortem(owner=owner)
for suffix in (".html", ".md", ".json"):
    print(postmortem.write(output + suffix))
"""),
    code("""
from IPython.display import Markdown
Markdown(postmortem.to_markdown())
"""),
],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                      "language": "python"}})
        nbformat.write(notebook, HERE / name)
        print(HERE / name)


if __name__ == "__main__":
    main()
