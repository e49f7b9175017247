"""Renderer of :class:`~mlwatch.steps.signal.SignalResult`."""

from __future__ import annotations

import numpy as np

from mlwatch.plots._base import axes_or_new


def plot_signal(result, ax=None, *, line_kws: dict | None = None):
    """Model metric and KPI over time, each standardised against its reference buckets
    (the shaded band is the noise band; for the model, up is worse)."""
    table = result.table
    ax = axes_or_new(ax, figsize=(9, 3.6))
    x = np.arange(table.height)
    kws = {"marker": "o", "markersize": 3, **(line_kws or {})}
    band = result.options.get("band", 3.0)
    ax.axhspan(-band, band, color="#999999", alpha=0.15, lw=0, label="reference noise band")
    ax.plot(x, table["metric_z"].to_numpy(), color="#c44e52", label=f"model {result.scoring.loss_name} (up = worse)", **kws)
    if result.kpi_name:
        ax.plot(x, table["kpi_z"].to_numpy(), color="#4c72b0", label=f"KPI {result.kpi_name}", **kws)
    current = np.flatnonzero(table["window"].to_numpy() != "reference")
    if current.size:
        ax.axvline(current[0] - 0.5, color="black", ls=":", lw=1, label="current window starts")
    step = max(1, table.height // 12)
    ax.set_xticks(x[::step], [b[:10] for b in table["bucket"].to_list()[::step]], rotation=30, ha="right",
                  fontsize="small")
    ax.set_xlabel("time bucket")
    ax.set_ylabel("standard deviations from the reference")
    ax.set_title("Signal: which moved first, the model or the business?")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
