"""Renderer of :class:`~mlwatch.steps.infra.InfraResult`."""

from __future__ import annotations

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, date_axis, legend_below, times


def plot_infra(result, ax=None, *, line_kws: dict | None = None):
    """p95 latency per current bucket against the reference's (dashed), or the error rate
    when there is no latency; buckets that depart from the reference in red."""
    ax = axes_or_new(ax, figsize=(9, 3.8))
    if not result.available:
        ax.text(0.5, 0.5, "no serving-log columns: infra check skipped", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_title("Infra: no serving logs")
        ax.set_axis_off()
        return ax
    table = result.table
    column, name = ("p95", "p95 latency") if table["p95"].null_count() < table.height else ("error_rate", "error rate")
    current = table[1:]
    when, are_dates = times(current["bucket"].to_list())
    values = current[column].to_numpy()
    ax.plot(when, values, marker="o", markersize=4, color=palette.MODEL, label=f"{name}, current", **(line_kws or {}))
    ax.axhline(table[column][0], color=palette.REFERENCE, ls="--", lw=1, label=f"{name}, reference")
    flagged = current["flagged"].to_numpy()
    if flagged.any():
        ax.scatter(when[flagged], values[flagged], color=palette.WORSE, zorder=3, s=50, label="departs from reference")
    date_axis(ax, are_dates)
    ax.set_xlabel("time")
    ax.set_ylabel(name)
    ax.set_title(f"Infra: {name} per bucket ({'healthy' if result.healthy else 'unhealthy'})")
    legend_below(ax, ncol=3)
    return ax
