"""Renderers of :class:`~mlwatch.steps.shadow.ShadowComparison`."""

from __future__ import annotations

import numpy as np

from mlwatch.plots._base import axes_or_new


def plot_segments(result, ax=None, *, max_segments: int = 20):
    """Challenger minus champion per segment with the paired 95 % interval (right is
    better); red where significantly worse, green where significantly better."""
    table = result.table.filter(result.table["difference"].is_not_null()).head(max_segments)
    ax = axes_or_new(ax, figsize=(7, 0.4 * max(table.height, 1) + 1.8))
    if table.height == 0:
        ax.text(0.5, 0.5, "no labels: see the score comparison", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    from mlwatch.stats.metrics import HIGHER_IS_BETTER

    sign = 1 if HIGHER_IS_BETTER[result.metric] else -1
    y = np.arange(table.height)[::-1]
    diff = sign * table["difference"].to_numpy()
    ends = np.vstack([sign * table["low"].to_numpy(), sign * table["high"].to_numpy()])
    low, high = ends.min(axis=0), ends.max(axis=0)          # a sign flip swaps the ends
    colors = ["#55a868" if b else "#c44e52" if w else "#4c72b0"
              for b, w in zip(table["better"].fill_null(False), table["worse"].fill_null(False))]
    for yi, d, lo, hi, c in zip(y, diff, low, high, colors):
        ax.errorbar([d], [yi], xerr=[[d - lo], [hi - d]], fmt="o", color=c, capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    margin = result.options.get("margin")
    if margin:
        ax.axvline(-margin, color="#c44e52", ls=":", lw=1, label=f"non-inferiority margin ({margin:g})")
        ax.legend(fontsize="small", frameon=False)
    ax.set_yticks(y, table["segment"].to_list())
    ax.set_xlabel(f"challenger - champion, {result.metric} (right: challenger better)")
    ax.set_ylabel("segment")
    ax.set_title(f"Shadow scoring: {result.verdict}")
    return ax


def plot_scores(result, ax=None, *, gridsize: int = 40):
    """Challenger score against champion score on the same rows (hexagonal density), with
    the diagonal and, for classifiers, the decision threshold."""
    ax = axes_or_new(ax, figsize=(5, 5))
    if result.scores.height == 0:
        raise ValueError("this result was rebuilt from JSON and holds no scores to draw")
    a, b = result.scores["champion"].to_numpy(), result.scores["challenger"].to_numpy()
    ax.hexbin(a, b, gridsize=gridsize, cmap="Blues", mincnt=1)
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="same score")
    threshold = result.options.get("threshold")
    if threshold is not None and 0 <= lo and hi <= 1:
        ax.axvline(threshold, color="#c44e52", lw=0.8)
        ax.axhline(threshold, color="#c44e52", lw=0.8, label="decision threshold")
    ax.set_xlabel("champion score")
    ax.set_ylabel("challenger score")
    ax.set_title(f"Scores on the same rows (rank correlation {result.rank_correlation:.3f})")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
