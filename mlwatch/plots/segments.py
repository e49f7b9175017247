"""Renderer of :class:`~mlwatch.steps.segments.SegmentDriftResult`."""

from __future__ import annotations

import numpy as np

from mlwatch.plots._base import axes_or_new


def plot_segments(result, ax=None, *, max_pairs: int = 10, bar_kws: dict | None = None):
    """Total variation of each top (segment, feature) pair inside its segment (dark: the
    segment's own change) against the same feature's in the whole population (light)."""
    table = result.table.head(max_pairs)
    ax = axes_or_new(ax, figsize=(8, 0.45 * max(table.height, 1) + 1.8))
    y = np.arange(table.height)[::-1]
    kws = {"height": 0.38, **(bar_kws or {})}
    colors = ["#c44e52" if s else "#8c8c8c" for s in table["specific"].to_list()]
    ax.barh(y + 0.2, table["tv"].to_numpy(), color=colors, label="inside the segment", **kws)
    ax.barh(y - 0.2, table["tv_population"].to_numpy(), color="#c7c7c7", label="whole population", **kws)
    ax.set_yticks(y, [f"{f} in {s}" for f, s in zip(table["feature"], table["segment"])])
    ax.set_xlabel("total variation distance, reference to current (share of rows that changed bin)")
    ax.set_ylabel("feature in segment (red: the segment's own change)")
    ax.set_title("Where the inputs moved: inside segments, against the population")
    ax.legend(fontsize="small", frameon=False, loc="lower right")
    return ax
