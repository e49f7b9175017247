"""Renderers of :class:`~mlwatch.steps.audit.AuditResult`. Each takes an Axes (or makes
one) and returns it; nothing here calls ``plt.show()`` or changes global style."""

from __future__ import annotations

import numpy as np
import polars as pl
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, legend_below, seaborn, shorten
from mlwatch.stats.drift import carrying


def plot_audit(result, ax=None, *, max_features: int = 30, bar_kws: dict | None = None):
    """Horizontal bars of PSI per feature, coloured by severity, with the material and
    major bands and each feature's noise floor as a tick."""
    table = result.table.sort("psi", descending=True, nulls_last=True).head(max_features).reverse()
    ax = axes_or_new(ax, figsize=(8, 0.32 * table.height + 2.6))
    y = np.arange(table.height)
    psi = table["psi"].fill_null(0.0).to_numpy()
    ax.barh(y, psi, color=[palette.SEVERITY[s] for s in table["severity"]], **(bar_kws or {}))
    ax.scatter(table["noise_floor"].fill_null(np.nan).to_numpy(), y, marker="|", color="black", s=120, zorder=3)
    opts = result.options
    material, major = opts["psi_threshold"], opts["major_threshold"]
    top = max(float(np.nanmax(psi, initial=0.0)) * 1.1, major * 1.3)
    ax.axvspan(material, major, color=palette.MODERATE, alpha=0.12, lw=0)
    ax.axvspan(major, top, color=palette.WORSE, alpha=0.10, lw=0)
    ax.axvline(material, color=palette.MODERATE, ls="--", lw=1)
    ax.axvline(major, color=palette.WORSE, ls="--", lw=1)
    ax.set_yticks(y, [shorten(f, 36) for f in table["feature"].to_list()])
    ax.set_xlim(0, top)
    ax.set_xlabel("PSI (reference vs current)")
    ax.set_ylabel("feature")
    where = opts.get("where")
    scope = (" where " + ", ".join(f"{k}={v}" for k, v in where.items())) if where else ""
    ax.set_title(shorten(f"Feature drift{scope}: {len(result.drifted)} of {result.table.height} drifted", 70))
    handles = [Patch(color=palette.SEVERITY[s], label=s) for s in ("none", "minor", "moderate", "major")]
    handles += [Line2D([], [], color="black", marker="|", ls="", markersize=10, label="noise floor (95 %)"),
                Line2D([], [], color=palette.MODERATE, ls="--", label=f"material (PSI {material:g})"),
                Line2D([], [], color=palette.WORSE, ls="--", label=f"major (PSI {major:g})")]
    legend_below(ax, handles, ncol=4, title="severity", title_fontsize="small")
    return ax


def plot_feature_bins(result, feature: str, ax=None, *, max_bins: int = 25, share_of_psi: float = 0.8,
                      bar_kws: dict | None = None):
    """Reference and current shares per PSI bin of one feature; the bins that together
    carry ``share_of_psi`` of the PSI are outlined in red and starred."""
    bins = result.feature_bins(feature)
    row = result.table.filter(pl.col("feature") == feature).row(0, named=True)
    if bins.height > max_bins:  # many categories: keep the bins that carry the drift
        bins = bins.sort("contribution", descending=True).head(max_bins)
    ax = axes_or_new(ax, figsize=(max(7, 0.45 * bins.height + 2), 4.6))
    x = np.arange(bins.height)
    width = 0.4
    kws = bar_kws or {}
    ax.bar(x - width / 2, bins["reference_share"].to_numpy(), width, color=palette.REFERENCE, **kws)
    cur = ax.bar(x + width / 2, bins["current_share"].to_numpy(), width, color=palette.CURRENT, **kws)
    for i in np.flatnonzero(carrying(bins["contribution"].to_numpy(), share_of_psi)):
        cur[i].set_edgecolor(palette.WORSE)
        cur[i].set_linewidth(2)
        ax.annotate("*", (x[i] + width / 2, cur[i].get_height()), ha="center", va="bottom",
                    color=palette.WORSE, fontsize=14)
    tallest = float(max(bins["reference_share"].max() or 0, bins["current_share"].max() or 0))
    ax.set_ylim(0, tallest * 1.18 + 1e-9)          # room for the stars under the title
    # the legend over the lower half of the bars, clear of the tallest and its star
    shares = np.maximum(bins["reference_share"].fill_null(0).to_numpy(), bins["current_share"].fill_null(0).to_numpy())
    half = bins.height // 2
    right_taller = shares[half:].max(initial=0) > shares[:half].max(initial=0)
    ax.set_xticks(x, [shorten(b, 24) for b in bins["bin"].to_list()], rotation=90, fontsize="small")
    ax.set_xlabel("bin (reference quantiles)" if row["kind"] in ("numeric", "datetime") else "category")
    ax.set_ylabel("share of rows")
    ax.set_title(shorten(f"{feature}: PSI {row['psi']:.3f} (noise floor {row['noise_floor']:.3g}), {row['severity']}",
                         70))
    ax.legend(handles=[Patch(color=palette.REFERENCE, label="reference"), Patch(color=palette.CURRENT, label="current"),
                       Patch(facecolor=palette.CURRENT, edgecolor=palette.WORSE, lw=2,
                             label=f"* carries the drift ({share_of_psi:.0%} of the PSI)")],
              frameon=False, fontsize="small", loc="upper left" if right_taller else "upper right")
    return ax


def plot_distribution(result, feature: str, ax=None, *, scale: str | None = None, ecdf_kws: dict | None = None):
    """The key evidence: the raw distribution of one numeric feature in both windows, as the
    empirical CDF of each window (from the audit's quantiles, minimum and maximum included,
    so no open outer bin hides changed values). A flood is a vertical jump of the current
    curve at its value, a unit change a curve shifted by the factor (on the log axis used
    when the values are positive and span more than two orders of magnitude; a symmetric
    log axis when a long tail would squeeze the bulk). The share of missing values of each
    window is in the legend, a failed value-spike check written on the axes."""
    quantiles = result.quantiles.filter(pl.col("feature") == feature)
    if quantiles.height == 0:
        return plot_feature_bins(result, feature, ax=ax)
    ax = axes_or_new(ax, figsize=(8, 4.6))
    scale = scale or _scale(quantiles)
    null_rate = result.quality.filter((pl.col("check") == "null_rate") & (pl.col("feature") == feature))
    shares = (null_rate["reference"][0], null_rate["current"][0]) if null_rate.height else (0.0, 0.0)
    labels = {w: w + (f" ({share:.1%} missing)" if share else "") for w, share in zip(("reference", "current"), shares)}
    frame = quantiles.filter(pl.col("value").is_finite()).with_columns(
        window=pl.col("window").replace_strict(labels, return_dtype=pl.String)).to_pandas()
    kws = {"linewidth": 2, **(ecdf_kws or {})}
    seaborn().ecdfplot(data=frame, x="value", hue="window", hue_order=list(labels.values()),
                       palette={labels[w]: palette.WINDOWS[w] for w in labels}, ax=ax, **kws)
    if scale == "log":
        ax.set_xscale("log")
    elif scale == "symlog":
        ax.set_xscale("symlog", linthresh=_spread(quantiles))
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title("window")
        legend.set_frame_on(False)
    spike = result.quality.filter((pl.col("feature") == feature) & (pl.col("check") == "value_spike") & pl.col("failed"))
    if spike.height:
        ax.annotate(shorten(spike["detail"][0], 80), (0.01, 1.0), xycoords="axes fraction", xytext=(0, -4),
                    textcoords="offset points", ha="left", va="top", fontsize="small", color=palette.WORSE)
    row = result.table.filter(pl.col("feature") == feature).row(0, named=True)
    ax.set_xlabel(f"{feature}" + {"log": " (log scale)", "symlog": " (symmetric log scale)"}.get(scale, "")
                  + f"; range: reference {_range(quantiles, 'reference')}, current {_range(quantiles, 'current')}")
    ax.set_ylabel("share of the window's values at or below")
    ax.set_title(shorten(f"{feature} before and after: PSI {row['psi']:.3f}, {row['severity']}", 70))
    return ax


def _spread(quantiles: pl.DataFrame) -> float:
    """The reference's interquartile range (the linear part of a symmetric log axis)."""
    ref = quantiles.filter(pl.col("window") == "reference")
    q = dict(zip(ref["p"].round(3).to_list(), ref["value"].to_list()))
    spread = abs(q.get(0.75, 1.0) - q.get(0.25, 0.0))
    return spread if np.isfinite(spread) and spread > 0 else 1.0


def _scale(quantiles: pl.DataFrame) -> str:
    values = quantiles["value"].to_numpy()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "linear"
    if finite.min() > 0 and finite.max() / finite.min() > 100:
        return "log"
    return "symlog" if finite.max() - finite.min() > 20 * _spread(quantiles) else "linear"


def _range(quantiles: pl.DataFrame, window: str) -> str:
    values = quantiles.filter(pl.col("window") == window)["value"]
    return f"{values.min():.3g} to {values.max():.3g}" if values.len() else "none"
