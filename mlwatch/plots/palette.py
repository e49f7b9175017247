"""The colours every figure shares, by meaning: a colour says the same thing in every plot.

Blue is the reference window and orange the current one, everywhere; red is worse (broken,
drifted, significantly worse), green better; purple marks upstream events and onsets; grey
is context (not significant, the population, noise bands). Series that are none of these
(the model's loss, the KPI, contributions) get their own dark and brown tones, never the
window colours.
"""

from __future__ import annotations

REFERENCE = "#4c72b0"
CURRENT = "#dd8452"
WORSE = "#c44e52"
BETTER = "#55a868"
EVENT = "#8172b2"
NEUTRAL = "#8c8c8c"
LIGHT = "#d0d0d0"
MODERATE = "#e8a33c"
MODEL = "#2f2f2f"
KPI = "#937860"
RISE = "#6b6b6b"          # a contribution that raised the mean output
FALL = "#b8b8b8"          # one that lowered it

WINDOWS = {"reference": REFERENCE, "current": CURRENT}
SEVERITY = {"none": LIGHT, "minor": "#a9b8cc", "moderate": MODERATE, "major": WORSE}
#: groups of features that changed together (trace): distinct from the semantic colours
GROUPS = ("#8172b2", "#937860", "#da8bc3", "#64b5cd", "#ccb974", "#2f2f2f")
#: sequential map for magnitudes (hexbin densities, heatmaps), diverging for feature values
SEQUENTIAL = "Greys"
DIVERGING = "coolwarm"
