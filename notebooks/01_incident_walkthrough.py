# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # An incident, from the alarm to the validated fix
#
# Late August 2013. A model scores every departure from New York with the probability that it
# arrives more than 15 minutes late. The service answers, latency is fine — and the delay
# alerts for one airline have gone quiet while its passengers complain as much as ever.
# This notebook walks the seven steps of the incident on that case (the gallery incident
# `flights_unit_skew`, built from the real NYC flights of 2013), and ends with the postmortem.

# %%
import mlwatch
from mlwatch import gallery

case = gallery.load("flights_unit_skew")
incident = mlwatch.Incident(case.reference, case.current, **case.investigate_kwargs())
incident

# %% [markdown]
# ## 1. Signal: the business metric or the model metric?
#
# First question of any incident: did the *business* move (traffic, season, pricing) or the
# *model*? Each series is standardised against its own reference weeks; a CUSUM dates when a
# sustained move began.

# %%
signal = incident.signal()
print(signal.sentence)
signal.plot();

# %% [markdown]
# ## 2. Infra: five minutes, no more
#
# The serving log here has no latency or status column, so the step says so and moves on.

# %%
print(incident.infra().summary())

# %% [markdown]
# ## 3. Never trust the global metric
#
# Late summer is calm: fewer delays everywhere, so the global log-loss *improves*. A global
# dashboard would say all is well.

# %%
slices = incident.slices()
overall = incident.overall(slices=slices)
print(overall.sentence)
overall.plot();

# %% [markdown]
# ## 4. Which segment broke?
#
# The slice search compares each segment with the rest of the population over the same two
# windows: a carrier whose loss stayed flat while everyone else improved *is* broken.

# %%
print(slices.summary())
slices.plot();

# %% [markdown]
# ## 5. Which features drifted on the broken slice?
#
# The audit restricted to that slice: PSI with its noise floor, KS, Jensen-Shannon,
# Wasserstein, and the data-quality checks.

# %%
audit = incident.audit(where=slices.top)
print(audit.summary())
audit.plot();

# %% [markdown]
# The key evidence is the raw values themselves. Each window's distribution of `dep_delay` on
# the slice (its empirical CDF, minimum and maximum included, on a symmetric log axis): in the
# current window most delays sit at zero, the signature of delays that arrive in hours
# instead of minutes.

# %%
audit.plot(feature="dep_delay");

# %% [markdown]
# ## 6. Trace it upstream: what, since when, which event?
#
# The signature names *what* happened to the feature; the onset dates it; the event log
# (deploys, migrations) says which upstream change explains it.

# %%
trace = incident.trace(features=audit.drifted, where=slices.top, events=case.events)
print(trace.summary())
trace.plot();

# %% [markdown]
# A unit change in one carrier's feed since a deploy: a **training-serving skew**. The fix is
# in the pipeline, not in a retrain. How is the model reasoning now? SHAP attributions on the
# broken slice, reference against current:

# %%
attribution = incident.attribution(case.model(), where=slices.top, n_samples=1500, n_boot=100)
print(attribution.sentence)
attribution.plot(kind='waterfall');

# %% [markdown]
# ## 7. Validate the fix with shadow scoring
#
# The challenger is the same model fed with repaired inputs. Both score the same live rows;
# paired tests per segment decide.

# %%
shadow = incident.shadow("challenger", targeted=slices.top)
print(shadow.sentence)
shadow.plot();

# %% [markdown]
# ## The whole investigation in one call, and the postmortem
#
# `investigate()` runs the steps and decides; the postmortem is the snapshot to paste into
# the write-up (HTML with the figures, Markdown, JSON).

# %%
findings = incident.investigate(events=case.events, challenger="challenger")
print(findings)
postmortem = findings.postmortem(owner="ml-oncall")
postmortem.write("out/walkthrough_postmortem.html")
print(postmortem.to_markdown()[:1500])

# %% [markdown]
# ## When the labels are late
#
# Here the delays were known. Often they arrive days later: then the model's own scores,
# calibrated on the reference window where labels were known, give the *expected* performance
# on every segment (confidence-based performance estimation). It sees inputs moving where the
# model is unsure; it cannot see the relation between inputs and labels change, and says so.
# A unit change that makes the model *confidently* wrong is such a change: the estimate holds
# while the realised metric falls, which is why the audit and the trace, not the estimate,
# found this incident.

# %%
import polars as pl

labels_late = case.current.with_columns(pl.lit(None, pl.Float64).alias(incident.roles.target))
estimate = mlwatch.estimate_performance(case.reference, labels_late, target=incident.roles.target,
                                       prediction=incident.roles.prediction, segments=incident.roles.segments,
                                       metric="log_loss")
print(estimate.sentence)
estimate.plot();

# %% [markdown]
# `investigate` does this by itself when the labels are missing: its slice search then runs on
# the *estimated* metric (each row's expected loss under the calibrated scores), the estimate
# per segment is reported beside the verdict, and every sentence says it is an estimate. On
# this incident the verdict still comes from the inputs — the unit change on one carrier — and
# says so without a single label.

# %%
blind = mlwatch.investigate(case.reference, labels_late, **case.investigate_kwargs())
print(blind.verdict.summary)

# %% [markdown]
# ## Explore
#
# The same investigation as an app, one tab a step: pick another slice, another feature, move
# the PSI threshold. The latest result is `app.result`. Where no widget front end runs (this
# notebook exported to HTML, or viewed on GitHub), the app shows a picture of its current
# state instead.

# %%
app = mlwatch.explore(incident, findings)
app
