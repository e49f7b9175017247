"""Renderer of :class:`~mlwatch.steps.infra.InfraResult`."""

from __future__ import annotations

import numpy as np

from mlwatch.plots._base import axes_or_new


def plot_infra(result, ax=None, *, line_kws: dict | None = None):
    """p95 latency per current bucket against the reference's (dashed), or the error rate
    when there is no latency; flagged buckets in red."""
    ax = axes_or_new(ax, figsize=(9, 3.4))
    if not result.available:
        ax.text(0.5, 0.5, "no serving-log columns: infra check skipped", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_title("Infra")
        ax.set_axis_off()
        return ax
    table = result.table
    column, name = ("p95", "p95 latency") if table["p95"].null_count() < table.height else ("error_rate", "error rate")
    current = table[1:]
    x = np.arange(current.height)
    values = current[column].to_numpy()
    ax.plot(x, values, marker="o", color="#4c72b0", label=name, **(line_kws or {}))
    ax.axhline(table[column][0], color="#4c72b0", ls="--", lw=1, label=f"reference {name}")
    flagged = current["flagged"].to_numpy()
    ax.scatter(x[flagged], values[flagged], color="#d43f3a", zorder=3, s=50, label="departs from reference")
    step = max(1, current.height // 12)
    ax.set_xticks(x[::step], [b[:10] for b in current["bucket"].to_list()[::step]], rotation=30, ha="right",
                  fontsize="small")
    ax.set_xlabel("time bucket")
    ax.set_ylabel(name)
    ax.set_title(f"Infra: {name} per bucket")
    ax.legend(fontsize="small", frameon=False)
    return ax
