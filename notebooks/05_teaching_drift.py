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
# # Teaching drift: move a slider, watch the statistics react
#
# Real census answers (2015 against 2016, little drift between them to begin with). The sliders
# inject a fault into the second half of the current window: a shift, a change of scale, a
# change of unit, a null spike, a re-encoded category, or concept drift (labels flipped for
# women). PSI, KS, the signature, the slice finder and ADWIN react.

# %%
from mlwatch.widgets import drift_playground, inject

playground = drift_playground(n=10000)
playground

# %% [markdown]
# Without a live kernel (this notebook read on GitHub or exported to HTML) the app above is a
# picture of its state. The figures it draws are also here, as plain output: the audit of
# `AGEP` (age) on the left, ADWIN's detections on the right. Move a slider and run this cell
# again to keep a picture of what you found.

# %%
playground.picture()

# %% [markdown]
# The same, without the sliders (what a notebook cell can do with the public functions):
# each fault, and what mlwatch names it.

# %%
import polars as pl
from mlwatch.stats.signatures import signature

rows = []
for name, settings in {"shift": {"shift": 1.0}, "scale": {"scale": 2.0}, "unit change": {"unit": 1 / 60},
                       "null spike": {"null_share": 0.4}, "re-encoded category": {"remap": True}}.items():
    current = inject(playground.base, **settings)
    rows.append({"fault": name, "AGEP signature": signature(playground.reference["AGEP"], current["AGEP"]).name,
                 "SCHL signature": signature(playground.reference["SCHL"], current["SCHL"]).name})
pl.DataFrame(rows)

# %% [markdown]
# Try it: set `playground.controls["unit"].value` to a unit, or flip labels with the last
# slider — the slice finder names `SEX=2` (census code: female). The numbers are in
# `playground.result`.

# %%
from mlwatch.datasets import explain_codes

playground.controls["concept"].value = 0.5
print(playground.result.slices.sentence)
print("broken:", [explain_codes(s) for s in playground.result.slices.significant.table["slice"]])
playground.picture()

# %% [markdown]
# ## Incidents made to order
#
# `mlwatch.simulate` injects one incident into two windows of a real table and keeps the
# ground truth beside it, so you can test what you learned (or your own monitors) on
# incidents nobody tuned anything for. Here: the bike-sharing table's temperature feed
# switches to Fahrenheit on part of the rows. Change the kind (`"stuck"`, `"clipping"`,
# `"encoding_permutation"`, `"concept_drift"`, ...), the seed or `labels="withheld"` and run
# it again; leave the injection empty for a random one.

# %%
from mlwatch import investigate
from mlwatch.simulate import Injection, simulate

case = simulate("bike", Injection("unit_change", feature="temp", magnitude=(1.8, 32.0)), n=3000, seed=4)
findings = investigate(case.reference, case.current, **case.investigate_kwargs())
print("truth:", {k: case.truth[k] for k in ("verdict", "slice", "feature", "signature", "onset", "event")})
print("found:", findings.verdict.summary)
