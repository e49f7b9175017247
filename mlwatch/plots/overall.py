"""Renderers of :class:`~mlwatch.steps.overall.OverallResult`."""

from __future__ import annotations

import numpy as np

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, wrapped


def plot_overall(result, ax=None, *, errorbar_kws: dict | None = None):
    """The global metric in the reference and current windows, with 95 % intervals."""
    ax = axes_or_new(ax, figsize=(5, 3.4))
    table = result.table
    value = table["metric"].to_numpy()
    low, high = table["low"].to_numpy(), table["high"].to_numpy()
    x = np.arange(table.height)
    kws = {"fmt": "o", "capsize": 6, "markersize": 8, **(errorbar_kws or {})}
    for i, window in zip(x, table["window"].to_list()):
        ax.errorbar([i], [value[i]], yerr=[[value[i] - low[i]], [high[i] - value[i]]],
                    color=palette.WINDOWS.get(window, palette.NEUTRAL), **kws)
    ax.set_xticks(x, table["window"].to_list())
    ax.set_xlim(-0.6, table.height - 0.4)
    ax.set_ylabel(result.scoring.loss_name)
    ax.set_xlabel("window (whiskers: 95 % interval)")
    verdict = "masked, a slice broke" if result.masked else ("degraded" if result.degraded else "within noise")
    ax.set_title(wrapped(f"Global {result.scoring.loss_name}: {verdict}", 44))
    return ax


def plot_mix(result, ax=None, *, bar_kws: dict | None = None):
    """The change of the mean loss split into mix (traffic moved) and rate (the model
    moved within segments), one pair of bars per segment column."""
    mix = result.mix
    ax = axes_or_new(ax, figsize=(7, 0.5 * max(mix.height, 1) + 2.2))
    y = np.arange(mix.height)
    kws = bar_kws or {}
    ax.barh(y + 0.2, mix["mix"].to_numpy(), 0.4, color=palette.EVENT, label="mix (segment shares moved)", **kws)
    ax.barh(y - 0.2, mix["rate"].to_numpy(), 0.4, color=palette.WORSE, label="rate (loss moved within segments)",
            **kws)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, mix["segment"].to_list())
    ax.set_xlabel("change of the mean loss, current minus reference (right: worse)")
    ax.set_ylabel("segmented by")
    ax.set_title("Did the traffic change, or the model?")
    legend_below(ax, ncol=2)
    return ax
