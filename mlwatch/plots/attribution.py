"""Renderers of :class:`~mlwatch.steps.attribution.AttributionResult`."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below


def plot_beeswarm(result, ax=None, *, max_features: int = 8, max_points: int = 400, random_state: int = 0):
    """For the top features (by reference importance): each row's SHAP value, jittered,
    reference (circles, upper) against current (triangles, lower), coloured by the
    feature's value (its rank within the window, colour bar; grey for categories).
    Inverted features are named in red."""
    if result.shap_reference.width == 0:
        raise ValueError("this result was rebuilt from JSON and holds no SHAP values to draw; run attribution() again")
    import matplotlib as mpl

    top = result.table.sort("rank_reference").head(max_features)["feature"].to_list()
    ax = axes_or_new(ax, figsize=(9, 0.7 * len(top) + 2.6))
    rng = np.random.default_rng(random_state)
    cmap = mpl.colormaps[palette.DIVERGING]
    for k, feature in enumerate(top):
        y0 = len(top) - 1 - k
        for offset, phi, values, marker in ((0.18, result.shap_reference, result.values_reference, "o"),
                                            (-0.18, result.shap_current, result.values_current, "^")):
            shap_values = phi[feature].to_numpy()
            pick = rng.choice(shap_values.size, min(max_points, shap_values.size), replace=False)
            raw = values[feature]
            colors = (cmap(raw.rank().to_numpy()[pick] / max(raw.len(), 1)) if raw.dtype.is_numeric()
                      else palette.NEUTRAL)
            jitter = rng.uniform(-0.08, 0.08, pick.size)
            ax.scatter(shap_values[pick], y0 + offset + jitter, c=colors, s=7, marker=marker, linewidths=0)
    ax.set_yticks(np.arange(len(top))[::-1], top)
    ax.axvline(0, color="black", lw=0.6)
    inverted = set(result.inverted)
    for tick in ax.get_yticklabels():
        if tick.get_text() in inverted:
            tick.set_color(palette.WORSE)
    ax.figure.colorbar(mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0, 1), cmap=cmap), ax=ax,
                       label="feature value (rank in its window: low to high)")
    legend_below(ax, [Line2D([], [], marker="o", ls="", color=palette.NEUTRAL, label="reference rows (upper)"),
                       Line2D([], [], marker="^", ls="", color=palette.NEUTRAL, label="current rows (lower)")]
              + ([Patch(color=palette.WORSE, label="red name: effect inverted")] if inverted else []), ncol=3)
    ax.set_xlabel(f"SHAP value ({result.output})")
    ax.set_ylabel("feature")
    ax.set_title("Is the model still reasoning the same way?")
    return ax


def plot_waterfall(result, ax=None, *, max_features: int = 10):
    """The change of the mean output from reference to current, split by feature, with the
    bootstrap intervals; the rest summed in one bar."""
    table = result.table.sort(pl.col("contribution").abs(), descending=True)
    shown, rest = table.head(max_features), table[max_features:]
    names = shown["feature"].to_list() + (["(others)"] if rest.height else [])
    values = shown["contribution"].to_list() + ([float(rest["contribution"].sum())] if rest.height else [])
    low = shown["contribution_low"].to_list() + ([values[-1]] if rest.height else [])
    high = shown["contribution_high"].to_list() + ([values[-1]] if rest.height else [])
    ax = axes_or_new(ax, figsize=(9, 0.45 * len(names) + 2.6))
    start = result.output_reference
    lefts, y = [], np.arange(len(names))[::-1]
    for v in values:
        lefts.append(start)
        start += v
    ax.barh(y, values, left=lefts, color=[palette.RISE if v > 0 else palette.FALL for v in values])
    ends = np.asarray(lefts) + np.asarray(values)
    ax.errorbar(ends, y, xerr=[np.abs(np.asarray(values) - np.asarray(low)), np.abs(np.asarray(high) - np.asarray(values))],
                fmt="none", ecolor="black", capsize=3, lw=0.8)
    ax.axvline(result.output_reference, color=palette.REFERENCE, ls="--", lw=1.2)
    ax.axvline(result.output_current, color=palette.CURRENT, ls="--", lw=1.2)
    legend_below(ax, [Patch(color=palette.RISE, label="raised the mean"), Patch(color=palette.FALL, label="lowered it"),
                       Line2D([], [], color=palette.REFERENCE, ls="--", label=f"reference mean {result.output_reference:.4g}"),
                       Line2D([], [], color=palette.CURRENT, ls="--", label=f"current mean {result.output_current:.4g}"),
                       Line2D([], [], color="black", marker="|", ls="", label="95 % bootstrap interval")], ncol=3)
    ax.set_yticks(y, names)
    ax.set_xlabel(f"mean {result.output}")
    ax.set_ylabel("feature")
    ax.set_title("Which features moved the mean output?")
    return ax
