"""Renderer of :class:`~mlwatch.steps.segments.SegmentDriftResult`."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, shorten


def plot_segments(result, ax=None, *, max_pairs: int = 10, bar_kws: dict | None = None):
    """Total variation of each top (segment, feature) pair inside its segment (red: the
    segment's own change; grey: not its own) against the same feature's in the whole
    population (light)."""
    table = result.table.head(max_pairs)
    ax = axes_or_new(ax, figsize=(10, 0.45 * max(table.height, 1) + 2.4))
    if table.height == 0:
        ax.text(0.5, 0.5, "no segment and feature pair tested", ha="center", va="center", transform=ax.transAxes)
        ax.set_title("Inputs inside segments")
        ax.set_axis_off()
        return ax
    y = np.arange(table.height)[::-1]
    kws = {"height": 0.38, **(bar_kws or {})}
    colors = [palette.WORSE if s else palette.NEUTRAL for s in table["specific"].to_list()]
    ax.barh(y + 0.2, table["tv"].to_numpy(), color=colors, **kws)
    ax.barh(y - 0.2, table["tv_population"].to_numpy(), color=palette.LIGHT, **kws)
    ax.set_yticks(y, [shorten(f"{f} in {s}") for f, s in zip(table["feature"], table["segment"])])
    ax.set_xlabel("total variation distance, reference to current")
    ax.set_ylabel("feature in segment")
    ax.set_title("Inputs that moved inside segments, against the population")
    legend_below(ax, [Patch(color=palette.WORSE, label="inside the segment: its own change"),
                       Patch(color=palette.NEUTRAL, label="inside the segment: as in the population"),
                       Patch(color=palette.LIGHT, label="whole population")], ncol=2)
    return ax
