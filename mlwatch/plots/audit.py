"""Renderers of :class:`~mlwatch.steps.audit.AuditResult`. Each takes an Axes (or makes
one) and returns it; nothing here calls ``plt.show()`` or changes global style."""

from __future__ import annotations

import numpy as np
import polars as pl

from mlwatch.plots._base import axes_or_new

SEVERITY_COLORS = {"none": "#b0b7c3", "minor": "#8fb3d9", "moderate": "#f0a030", "major": "#d43f3a"}


def plot_audit(result, ax=None, *, max_features: int = 30, bar_kws: dict | None = None):
    """Horizontal bars of PSI per feature, coloured by severity, with the material
    (0.1) and major (0.25) bands and each feature's noise floor as a tick."""
    table = result.table.sort("psi", descending=True).head(max_features).reverse()
    ax = axes_or_new(ax, figsize=(7, 0.32 * table.height + 1.6))
    y = np.arange(table.height)
    psi = table["psi"].to_numpy()
    colors = [SEVERITY_COLORS[s] for s in table["severity"]]
    ax.barh(y, psi, color=colors, **(bar_kws or {}))
    ax.scatter(table["noise_floor"].to_numpy(), y, marker="|", color="black", s=120, zorder=3,
               label="noise floor (95 %)")
    opts = result.options
    top = max(float(psi.max(initial=0.0)) * 1.1, opts["major_threshold"] * 1.3)
    ax.axvspan(opts["psi_threshold"], opts["major_threshold"], color="#f0a030", alpha=0.12, lw=0)
    ax.axvspan(opts["major_threshold"], top, color="#d43f3a", alpha=0.10, lw=0)
    ax.axvline(opts["psi_threshold"], color="#f0a030", ls="--", lw=1, label=f"material (PSI {opts['psi_threshold']:g})")
    ax.axvline(opts["major_threshold"], color="#d43f3a", ls="--", lw=1, label=f"major (PSI {opts['major_threshold']:g})")
    ax.set_yticks(y, table["feature"].to_list())
    ax.set_xlim(0, top)
    ax.set_xlabel("PSI (reference vs current)")
    ax.set_ylabel("feature")
    where = opts.get("where")
    scope = (" where " + ", ".join(f"{k}={v}" for k, v in where.items())) if where else ""
    ax.set_title(f"Feature drift{scope}: {len(result.drifted)} of {result.table.height} drifted")
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return ax


def plot_feature_bins(result, feature: str, ax=None, *, max_bins: int = 25, share_of_psi: float = 0.8,
                      bar_kws: dict | None = None):
    """Reference and current shares per PSI bin of one feature; the bins that together
    carry ``share_of_psi`` of the PSI are outlined in red and starred."""
    bins = result.feature_bins(feature)
    row = result.table.filter(pl.col("feature") == feature).row(0, named=True)
    if bins.height > max_bins:  # many categories: keep the bins that carry the drift
        bins = bins.sort("contribution", descending=True).head(max_bins)
    ax = axes_or_new(ax, figsize=(max(6, 0.45 * bins.height + 2), 4))
    x = np.arange(bins.height)
    width = 0.4
    kws = bar_kws or {}
    ax.bar(x - width / 2, bins["reference_share"].to_numpy(), width, color="#4c72b0", label="reference", **kws)
    cur = ax.bar(x + width / 2, bins["current_share"].to_numpy(), width, color="#dd8452", label="current", **kws)
    for i in _carrying(bins["contribution"].to_numpy(), share_of_psi):
        cur[i].set_edgecolor("#d43f3a")
        cur[i].set_linewidth(2)
        ax.annotate("*", (x[i] + width / 2, cur[i].get_height()), ha="center", va="bottom",
                    color="#d43f3a", fontsize=14)
    ax.set_xticks(x, bins["bin"].to_list(), rotation=45, ha="right", fontsize="small")
    ax.set_xlabel("bin (reference quantiles)" if row["kind"] in ("numeric", "datetime") else "category")
    ax.set_ylabel("share of rows")
    ax.set_title(f"{feature}: PSI {row['psi']:.3f} (noise floor {row['noise_floor']:.3g}), {row['severity']}")
    ax.legend(frameon=False)
    return ax


def _carrying(contributions: np.ndarray, share: float) -> list[int]:
    """Indices of the largest contributions that together make ``share`` of the total."""
    total = contributions.sum()
    if total <= 0:
        return []
    order = np.argsort(contributions)[::-1]
    cumulative = np.cumsum(contributions[order]) / total
    n = int(np.searchsorted(cumulative, share) + 1)
    return [int(i) for i in order[:n]]
