"""Renderers of :class:`~mlwatch.steps.shadow.ShadowComparison`."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, shorten


def plot_segments(result, ax=None, *, max_segments: int = 20):
    """The challenger's gain per segment with the paired 95 % interval, right is better:
    for a metric where higher is better (accuracy, AUC) the gain is the table's
    ``difference`` (challenger minus champion); for a loss (MAE, log loss) it is minus the
    difference. Red where significantly worse, green where significantly better."""
    table = result.table.filter(result.table["difference"].is_not_null()).head(max_segments)
    ax = axes_or_new(ax, figsize=(8, 0.4 * max(table.height, 1) + 2.4))
    if table.height == 0:
        ax.text(0.5, 0.5, "no labels: see the score comparison (kind='scores')", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_title(f"Shadow scoring: {result.verdict}")
        ax.set_axis_off()
        return ax
    from mlwatch.stats.metrics import HIGHER_IS_BETTER

    higher = HIGHER_IS_BETTER[result.metric]
    sign = 1 if higher else -1
    y = np.arange(table.height)[::-1]
    gain = sign * table["difference"].to_numpy()
    ends = np.vstack([sign * table["low"].to_numpy(), sign * table["high"].to_numpy()])
    low, high = ends.min(axis=0), ends.max(axis=0)          # a sign flip swaps the ends
    better, worse = table["better"].fill_null(False).to_list(), table["worse"].fill_null(False).to_list()
    colors = [palette.BETTER if b else palette.WORSE if w else palette.NEUTRAL for b, w in zip(better, worse)]
    for yi, d, lo, hi, c in zip(y, gain, low, high, colors):
        ax.errorbar([d], [yi], xerr=[[d - lo], [hi - d]], fmt="o", color=c, capsize=3)
    ax.axvline(0, color="black", lw=0.8)
    handles = [Line2D([], [], marker="o", ls="", color=palette.BETTER, label="significantly better"),
               Line2D([], [], marker="o", ls="", color=palette.NEUTRAL, label="no significant difference"),
               Line2D([], [], marker="o", ls="", color=palette.WORSE, label="significantly worse")]
    margin = result.options.get("margin")
    if margin:
        ax.axvline(-margin, color=palette.WORSE, ls=":", lw=1)
        handles.append(Line2D([], [], color=palette.WORSE, ls=":", label=f"non-inferiority margin (-{margin:g})"))
    legend_below(ax, handles, ncol=2)
    since = result.options.get("since")
    late = f" from {since[1]} on" if since else None       # the targeted slice where it broke: two lines
    ax.set_yticks(y, [f"{shorten(s[: -len(late)])}\n({late.strip()})" if late and s.endswith(late) else shorten(s)
                      for s in table["segment"].to_list()])
    formula = "challenger - champion" if higher else "champion - challenger"
    ax.set_xlabel(f"gain in {result.metric} = {formula}\n(right: challenger better; whiskers: paired 95 %)")
    ax.set_ylabel("segment")
    ax.set_title(f"Shadow scoring: {result.verdict.upper()}")
    return ax


def plot_scores(result, ax=None, *, gridsize: int = 40):
    """Challenger score against champion score on the same rows (hexagonal density, its
    colour bar in rows), with the diagonal and, for classifiers, the decision threshold."""
    ax = axes_or_new(ax, figsize=(6, 5))
    if result.scores.height == 0:
        raise ValueError("this result was rebuilt from JSON and holds no scores to draw")
    a, b = result.scores["champion"].to_numpy(), result.scores["challenger"].to_numpy()
    cells = ax.hexbin(a, b, gridsize=gridsize, cmap="Blues", mincnt=1)
    ax.figure.colorbar(cells, ax=ax, label="rows")
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--", label="same score")
    threshold = result.options.get("threshold")
    if threshold is not None and 0 <= lo and hi <= 1:
        ax.axvline(threshold, color=palette.WORSE, lw=0.8)
        ax.axhline(threshold, color=palette.WORSE, lw=0.8, label=f"decision threshold ({threshold:g})")
    ax.set_xlabel("champion score")
    ax.set_ylabel("challenger score")
    ax.set_title(f"Scores on the same rows (rank correlation {result.rank_correlation:.3f})")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
