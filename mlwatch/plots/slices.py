"""Renderer of :class:`~mlwatch.steps.slices.SliceResult`."""

from __future__ import annotations

import numpy as np

from mlwatch.plots._base import axes_or_new


def plot_slices(result, ax=None, *, max_slices: int = 10, errorbar_kws: dict | None = None):
    """Metric of the top slices in reference (blue) and current (orange), 95 % intervals;
    the overall values as dashed lines. Significant slices are written in bold."""
    table = result.table.head(max_slices)
    ax = axes_or_new(ax, figsize=(8, 0.45 * max(table.height, 1) + 1.8))
    y = np.arange(table.height)[::-1]
    kws = {"fmt": "o", "capsize": 3, **(errorbar_kws or {})}
    for prefix, offset, color, label in (("reference", 0.15, "#4c72b0", "reference"),
                                         ("current", -0.15, "#dd8452", "current")):
        value = table[f"metric_{prefix}"].to_numpy()
        low, high = table[f"{prefix}_low"].to_numpy(), table[f"{prefix}_high"].to_numpy()
        ax.errorbar(value, y + offset, xerr=[value - low, high - value], color=color, label=label, **kws)
    ax.axvline(result.metric_reference, color="#4c72b0", ls="--", lw=1, alpha=0.6, label="overall, reference")
    ax.axvline(result.metric_current, color="#dd8452", ls="--", lw=1, alpha=0.6, label="overall, current")
    ax.set_yticks(y, table["slice"].to_list())
    for tick, significant in zip(ax.get_yticklabels(), table["significant"].to_list()):
        tick.set_fontweight("bold" if significant else "normal")
    name = result.scoring.loss_name
    ax.set_xlabel(name + (" (proxy: labels missing)" if result.scoring.proxy else ""))
    ax.set_ylabel("slice (bold: significant)")
    ax.set_title(f"Which slice broke: {name}, reference vs current")
    ax.legend(fontsize="small", frameon=False, loc="best")
    return ax
