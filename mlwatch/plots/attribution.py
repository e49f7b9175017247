"""Renderers of :class:`~mlwatch.steps.attribution.AttributionResult`."""

from __future__ import annotations

import numpy as np
import polars as pl

from mlwatch.plots._base import axes_or_new


def plot_beeswarm(result, ax=None, *, max_features: int = 8, max_points: int = 400, random_state: int = 0):
    """For the top features (by reference importance): each row's SHAP value, reference
    (upper strip) against current (lower strip), coloured by the feature's value (its
    rank within the window; grey for categories). Inverted features are named in red."""
    if result.shap_reference.width == 0:
        raise ValueError("this result was rebuilt from JSON and holds no SHAP values to draw; run attribution() again")
    import matplotlib as mpl

    top = result.table.sort("rank_reference").head(max_features)["feature"].to_list()
    ax = axes_or_new(ax, figsize=(8, 0.7 * len(top) + 1.8))
    rng = np.random.default_rng(random_state)
    cmap = mpl.colormaps["coolwarm"]
    for k, feature in enumerate(top):
        y0 = len(top) - 1 - k
        for offset, phi, values, marker in ((0.18, result.shap_reference, result.values_reference, "o"),
                                            (-0.18, result.shap_current, result.values_current, "^")):
            shap_values = phi[feature].to_numpy()
            pick = rng.choice(shap_values.size, min(max_points, shap_values.size), replace=False)
            raw = values[feature]
            if raw.dtype.is_numeric():
                order = raw.rank().to_numpy()[pick] / max(raw.len(), 1)
                colors = cmap(order)
            else:
                colors = "#999999"
            jitter = rng.uniform(-0.08, 0.08, pick.size)
            ax.scatter(shap_values[pick], y0 + offset + jitter, c=colors, s=6, marker=marker, linewidths=0)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_yticks(np.arange(len(top))[::-1], top)
    inverted = set(result.inverted)
    for tick in ax.get_yticklabels():
        if tick.get_text() in inverted:
            tick.set_color("#d43f3a")
    ax.set_xlabel(f"SHAP value ({result.output}); circles: reference, triangles: current")
    ax.set_ylabel("feature (red: effect inverted)")
    ax.set_title("Is the model still reasoning the same way? (colour: feature value, low blue - high red)")
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
    ax = axes_or_new(ax, figsize=(8, 0.45 * len(names) + 2))
    start = result.output_reference
    lefts, y = [], np.arange(len(names))[::-1]
    for v in values:
        lefts.append(start)
        start += v
    colors = ["#c44e52" if v > 0 else "#4c72b0" for v in values]
    ax.barh(y, values, left=lefts, color=colors)
    ends = np.asarray(lefts) + np.asarray(values)
    ax.errorbar(ends, y, xerr=[np.asarray(values) - np.asarray(low), np.asarray(high) - np.asarray(values)],
                fmt="none", ecolor="black", capsize=3, lw=0.8)
    ax.axvline(result.output_reference, color="#4c72b0", ls="--", lw=1, label="reference mean")
    ax.axvline(result.output_current, color="#dd8452", ls="--", lw=1, label="current mean")
    ax.set_yticks(y, names)
    ax.set_xlabel(f"mean {result.output}")
    ax.set_ylabel("feature")
    ax.set_title("Which features moved the mean output (bars: contribution, whiskers: 95 % bootstrap)")
    ax.legend(fontsize="small", frameon=False)
    return ax
