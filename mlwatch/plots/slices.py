"""Renderers of :class:`~mlwatch.steps.slices.SliceResult`."""

from __future__ import annotations

import numpy as np
import polars as pl

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, seaborn, shorten, wrapped


def plot_slices(result, ax=None, *, max_slices: int = 10, errorbar_kws: dict | None = None):
    """Metric of the top slices in reference (blue) and current (orange), 95 % intervals;
    the overall values as dashed lines. Significant slices are written in bold red; a slice
    read on the current window's later half says from when (its current metric is that half's)."""
    table = result.table.head(max_slices)
    ax = axes_or_new(ax, figsize=(9, 0.45 * max(table.height, 1) + 3))
    name = result.scoring.loss_name
    if table.height == 0:
        return _nothing(ax, f"Which slice broke: {name}")
    y = np.arange(table.height)[::-1]
    kws = {"fmt": "o", "capsize": 3, **(errorbar_kws or {})}
    for window, offset in (("reference", 0.15), ("current", -0.15)):
        value = table[f"metric_{window}"].to_numpy()
        low, high = table[f"{window}_low"].to_numpy(), table[f"{window}_high"].to_numpy()
        ax.errorbar(value, y + offset, xerr=[value - low, high - value], color=palette.WINDOWS[window],
                    label=f"{window} (95 % interval)", **kws)
    ax.axvline(result.metric_reference, color=palette.REFERENCE, ls="--", lw=1, alpha=0.6, label="overall, reference")
    ax.axvline(result.metric_current, color=palette.CURRENT, ls="--", lw=1, alpha=0.6, label="overall, current")
    # a slice read on the window's later half shows that half's current metric
    since = table["since"].to_list() if "since" in table.columns else [None] * table.height
    ax.set_yticks(y, [shorten(s) + (f"\n(from {w[:10]} on)" if w else "") for s, w in zip(table["slice"].to_list(), since)])
    for tick, significant in zip(ax.get_yticklabels(), table["significant"].to_list()):
        tick.set_fontweight("bold" if significant else "normal")
        tick.set_color(palette.WORSE if significant else "black")
    ax.set_xlabel(name + (" (proxy: labels missing)" if result.scoring.proxy else ""))
    ax.set_ylim(-0.6, table.height - 0.4)
    ax.set_ylabel("slice")
    ax.set_title(wrapped(f"Which slice broke (red: significantly): {name}", 56))
    legend_below(ax, ncol=2)
    return ax


def plot_heatmap(result, ax=None, *, max_slices: int = 12, heatmap_kws: dict | None = None):
    """Slice by window: the metric of each top slice in reference and current and their
    difference, as an annotated heatmap (colour: the metric)."""
    table = result.table.head(max_slices)
    ax = axes_or_new(ax, figsize=(7, 0.42 * max(table.height, 1) + 2.2))
    name = result.scoring.loss_name
    if table.height == 0:
        return _nothing(ax, f"Slices by window: {name}")
    grid = table.select(pl.col("slice").map_elements(shorten, return_dtype=pl.String),
                        reference=pl.col("metric_reference"), current=pl.col("metric_current")).to_pandas()
    grid = grid.set_index("slice")
    kws = {"annot": True, "fmt": ".3g", "cmap": palette.SEQUENTIAL, "linewidths": 0.5,
           "cbar_kws": {"label": name}, **(heatmap_kws or {})}
    seaborn().heatmap(grid, ax=ax, **kws)
    ax.set_xlabel("window")
    ax.set_ylabel("slice")
    ax.set_title(f"Slices by window: {name}")
    ax.tick_params(axis="y", rotation=0)
    return ax


def _nothing(ax, title: str):
    ax.text(0.5, 0.5, "no slice to compare (no segment column)", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title)
    ax.set_axis_off()
    return ax
