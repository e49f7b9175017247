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
# # Postmortem template
#
# Point the parameters at a reference and a current file (parquet or CSV) and run all: the
# investigation runs and the write-up comes out as HTML, Markdown and JSON. The defaults use
# a gallery incident.

# %% tags=["parameters"]
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

# %% [markdown]
# ## The investigation
#
# Steps 1 to 6 and the verdict, on the files above (or the gallery incident).

# %%
from mlwatch import gallery, investigate

if reference is None:
    case = gallery.load(gallery_incident)
    reference, current, events = case.reference, case.current, case.events
findings = investigate(reference, current, target=target, prediction=prediction, time=time, segments=segments,
                       events=events)
print(findings.summary())

# %% [markdown]
# The gallery incident is census data: its slices are ACS PUMS codes. Spelled out:

# %%
from mlwatch.datasets import explain_codes

for label in findings.slices.significant.table["slice"]:
    print(explain_codes(label))

# %% [markdown]
# ## The write-up
#
# Timeline, impact, root cause, evidence, the fix and its validation, follow-ups. The HTML is
# self-contained (figures embedded); the Markdown pastes into a wiki or a GitHub issue; the
# JSON round-trips.

# %%
postmortem = findings.postmortem(owner=owner)
for suffix in (".html", ".md", ".json"):
    print(postmortem.write(output + suffix))

# %%
from IPython.display import Markdown
Markdown(postmortem.to_markdown())
