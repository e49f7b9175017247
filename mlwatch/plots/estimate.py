"""Renderer of :class:`~mlwatch.steps.estimate.EstimateResult`."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, shorten


def plot_estimate(result, ax=None, *, max_slices: int = 12, errorbar_kws: dict | None = None):
    """The population and each slice: the realised reference metric (open marker) and the
    estimated current metric with its 95 % sampling interval (red where the change is
    significant)."""
    table = result.table.head(max_slices + 1)
    ax = axes_or_new(ax, figsize=(9, 0.45 * table.height + 2.2))
    y = np.arange(table.height)[::-1]
    est, lo, hi = (table[c].to_numpy() for c in ("estimated", "low", "high"))
    colors = [palette.WORSE if s else palette.NEUTRAL for s in table["significant"].to_list()]
    for yi, e, a, b, color in zip(y, est, lo, hi, colors):
        ax.errorbar(e, yi, xerr=[[e - a], [b - e]], fmt="o", color=color, capsize=3, **(errorbar_kws or {}))
    ax.plot(table["reference"].to_numpy(), y, "o", mfc="none", color=palette.REFERENCE, markersize=8)
    ax.set_yticks(y, [shorten(s) for s in table["slice"].to_list()])
    name = result.metric.replace("_", " ")
    ax.set_xlabel(f"{name} (estimated current, realised reference)")
    ax.set_ylabel("slice")
    ax.set_title(f"Estimated {name} without labels (assumes no concept drift)")
    legend_below(ax, [Line2D([], [], marker="o", ls="", color=palette.WORSE, label="estimated: changed"),
                       Line2D([], [], marker="o", ls="", color=palette.NEUTRAL, label="estimated: within noise"),
                       Line2D([], [], marker="o", ls="", mfc="none", color=palette.REFERENCE,
                              label="realised, reference")],
                 ncol=3)
    return ax
