"""Renderer of :class:`~mlwatch.steps.signal.SignalResult`."""

from __future__ import annotations

import numpy as np
import polars as pl

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, date_axis, legend_below, seaborn, times


def plot_signal(result, ax=None, *, line_kws: dict | None = None):
    """Model metric and KPI over time (a real time axis), each standardised against its
    reference buckets; the grey band is the reference noise band, and for the model up is worse."""
    table = result.table
    ax = axes_or_new(ax, figsize=(9, 4))
    when, are_dates = times(table["bucket"].to_list())
    model = f"model {result.scoring.loss_name} (up = worse)"
    series = {model: table["metric_z"].to_numpy()}
    if result.kpi_name:
        series[f"KPI {result.kpi_name}"] = table["kpi_z"].to_numpy()
    long = pl.DataFrame({"time": np.tile(when, len(series)), "series": np.repeat(list(series), table.height),
                         "z": np.concatenate(list(series.values()))})
    band = result.options.get("band", 3.0)
    ax.axhspan(-band, band, color=palette.LIGHT, alpha=0.5, lw=0, label=f"reference noise band (±{band:g})")
    seaborn().lineplot(data=long.to_pandas(), x="time", y="z", hue="series", marker="o", markersize=4, ax=ax,
                       palette={model: palette.MODEL, f"KPI {result.kpi_name}": palette.KPI}, **(line_kws or {}))
    current = np.flatnonzero(table["window"].to_numpy() != "reference")
    if current.size:
        ax.axvline(when[current[0]], color=palette.EVENT, ls=":", lw=1.2, label="current window starts")
    date_axis(ax, are_dates)
    ax.set_xlabel("time")
    ax.set_ylabel("standard deviations from the reference")
    ax.set_title("Signal: which moved first, the model or the business?")
    legend_below(ax, ncol=2)
    return ax
