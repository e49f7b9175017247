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
# # PSI and its cousins, on a broken slice
#
# PSI compares the share of rows in bins: bins cut at the reference's deciles, or one per
# category common enough in the two samples pooled (the rare ones share a bin, whichever side
# they came from: choosing bins by which side saw a category biases every test run on them),
# plus a bin for missing values. It is read with two numbers beside it: the threshold of a
# material change (0.1; 0.25 is major) and the **noise floor**, what sampling alone gives at
# these sample sizes.

# %%
import numpy as np
import polars as pl
from mlwatch import audit, datasets
from mlwatch.stats import noise, psi

flights = datasets.flights()
winter, summer = flights.filter(pl.col("month") <= 3), flights.filter(pl.col("month").is_between(7, 9))

# %% [markdown]
# ## Binning and per-bin contributions
#
# Every bin's contribution `(q - p) ln(q / p)` is kept, so a person sees *which* range carries
# the drift, not just a number.

# %%
result = psi(winter["temp"], summer["temp"])
print(round(result.value, 2), "noise floor", round(result.noise_floor, 5))
pl.DataFrame({"bin": result.bins.labels, "reference": result.bins.reference, "current": result.bins.current,
              "contribution": result.contributions})

# %% [markdown]
# ## Why small slices lie
#
# Under no drift PSI is biased upward: about `(B - 1)(1/n + 1/m)` on average. Two random
# samples of the *same* month, at several sizes:

# %%
june = flights.filter(pl.col("month") == 6)["dep_delay"].drop_nulls()
rows = []
for n in (50, 200, 1000, 10000):
    values = [psi(june.sample(n, seed=s), june.sample(n, seed=s + 1000)).value for s in range(100)]
    rows.append({"n": n, "mean PSI, no drift": np.mean(values), "share above 0.1": np.mean(np.array(values) > 0.1),
                 "expected (B-1)(1/n+1/m)": noise.psi_expected(n, n, 11), "95 % noise floor": noise.psi_noise_floor(n, n, 11)})
pl.DataFrame(rows)

# %% [markdown]
# At 50 rows a side, PSI above 0.1 is the rule, not an alarm. mlwatch calls a feature drifted
# only when its change is **significant** (the chi-square test on the same bins, or KS, after
# Benjamini-Hochberg across every feature and quality check) **and material net of that
# bias**: PSI less its expectation above 0.1, or 5 % of the rows moved (KS; total variation for
# categories), or a Wasserstein distance of a tenth of a standard deviation. The column
# `material_by` says which.
#
# ## The audit of a broken slice
#
# The incident of notebook 01: United's delays arrive in hours. The audit on the slice:

# %%
from mlwatch import gallery
case = gallery.load("flights_unit_skew")
result = audit(case.reference, case.current, features=case.roles["features"], where={"carrier": "UA"})
print(result.summary())
result.plot();

# %%
result.plot(feature="dep_delay", kind="bins");

# %% [markdown]
# The outlined, starred bins carry 80 % of the PSI: the delays piled near zero. Bins cut at the
# reference's deciles are open at both ends, though, so they cannot show *how far* values
# moved. The raw distributions can: each window's empirical CDF, from the audit's quantiles
# (minimum and maximum included). The quality checks and the signature (step 6) say why.

# %%
result.plot(feature="dep_delay");
