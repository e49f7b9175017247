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
# # Is the model still reasoning the way it did?
#
# SHAP values on a seeded sample of each window: the importance ranking, each feature's
# direction of effect, attribution drift, and which features moved the mean score — all with
# bootstrap intervals, so noise and change can be told apart.

# %%
import lightgbm as lgb
import polars as pl
from mlwatch import datasets
from mlwatch.steps.attribution import attribution

features = ["dep_delay", "distance", "hour", "temp", "wind_speed"]
flights = datasets.flights().drop_nulls(["late", *features])
train = flights.filter(pl.col("month") <= 6)
model = lgb.LGBMClassifier(n_estimators=60, num_leaves=15, verbose=-1, random_state=0)
model.fit(train.select(features).to_pandas(), train["late"].to_numpy())

# %% [markdown]
# ## A stable window: nothing to flag
#
# Two random halves of the second half-year.

# %%
later = flights.filter(pl.col("month") >= 7).sample(fraction=1.0, shuffle=True, seed=1)
half = later.height // 2
stable = attribution(later.head(half), later.tail(half), model, n_samples=1500, n_boot=100)
print(stable.sentence)
stable.plot();

# %% [markdown]
# ## Winter against summer
#
# The inputs moved (the summer is hotter); which features moved the mean score?

# %%
seasonal = attribution(flights.filter(pl.col("month") <= 3), flights.filter(pl.col("month").is_between(7, 9)), model,
                       n_samples=1500, n_boot=100)
print(seasonal.sentence)
seasonal.plot(kind="waterfall");

# %% [markdown]
# ## A sign inversion
#
# Suppose the world changed: late arrivals now come from flights that left *early* (a
# different delay policy). The model did not change, so its SHAP values on the prediction
# look the same — but with labels, each feature's push can be checked against the outcome.
# `dep_delay` now pushes against it: its effect inverted.

# %%
window = flights.filter(pl.col("month").is_between(7, 12))
flipped = window.with_columns(late=(pl.col("dep_delay") < 0).cast(pl.Int8))
inverted = attribution(window, flipped, model, target="late", n_samples=1500, n_boot=100)
print(inverted.sentence)
inverted.table.select("feature", "direction_reference", "direction_current", "inverted")

# %% [markdown]
# ## When no single feature moved: a classifier of the two windows
#
# Every marginal can stay calm while the inputs stopped moving together. Train a classifier
# to tell current rows from reference rows (cross-fitted, so its AUC is honest: 0.5 means the
# windows cannot be told apart); its SHAP values name the features that separate them, and
# its SHAP *interactions* the pairs. Below, two random halves of the same weeks, then the same
# halves with the dew point dealt in reverse rank order at Newark only: its distribution, and
# every other one, unchanged; its relation with the temperature flipped.

# %%
from mlwatch import multivariate_drift
from mlwatch.simulate import flip_correlation, simulate

split = simulate("flights", "none", n=5000, seed=3)
inputs = [*split.roles["features"], *split.roles["segments"]]
calm = multivariate_drift(split.reference, split.current, features=inputs)
print(calm.sentence)
joint = multivariate_drift(split.reference, flip_correlation(split.current, "dewp", {"origin": "EWR"}),
                           features=inputs, time="time_hour")
print(joint.sentence)
joint.plot();

# %% [markdown]
# `investigate` runs the same classifier on the population (and on the broken slice, when
# there is one), and its verdict reads it: drift that no marginal shows is `data_drift`, with
# the separating features named and dated by the classifier's AUC per week.

# %%
from mlwatch import investigate

together = investigate(split.reference, flip_correlation(split.current, "dewp", {"origin": "EWR"}),
                      **split.investigate_kwargs())
print(together.verdict.summary)
