"""Renderer of :class:`~mlwatch.steps.multivariate.MultivariateResult`."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, shorten


def plot_multivariate(result, ax=None, *, max_features: int = 10, bar_kws: dict | None = None):
    """Each feature's share of the separation between the windows (mean |SHAP| of the domain
    classifier on held-out rows; red: its marginal drifted too, grey: it did not), the AUC
    and its interval in the title."""
    table = result.table.head(max_features)
    ax = axes_or_new(ax, figsize=(9, 0.4 * max(table.height, 1) + 2.2))
    y = np.arange(table.height)[::-1]
    colors = [palette.WORSE if d else palette.NEUTRAL for d in table["marginal_drifted"].fill_null(False).to_list()]
    ax.barh(y, table["share"].to_numpy(), color=colors, **{"height": 0.6, **(bar_kws or {})})
    ax.set_yticks(y, [shorten(f) for f in table["feature"].to_list()])
    ax.set_xlabel("share of the separation (mean |SHAP| on held-out rows)")
    ax.set_ylabel("feature")
    state = "told apart" if result.drifted else "not told apart"
    ax.set_title(f"Reference against current: {state}, AUC {result.auc:.3f} ({result.low:.3f}-{result.high:.3f})")
    legend_below(ax, [Patch(color=palette.WORSE, label="its marginal drifted"),
                       Patch(color=palette.NEUTRAL, label="its marginal did not")], ncol=2)
    return ax
