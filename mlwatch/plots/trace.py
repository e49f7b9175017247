"""Renderers of :class:`~mlwatch.steps.trace.TraceResult` and :class:`~mlwatch.steps.trace.ChangeTrace`."""

from __future__ import annotations

import datetime as dt

import numpy as np

from mlwatch.plots._base import axes_or_new


def _when(text: str):
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return float(text)


def plot_trace(result, ax=None, *, max_events: int = 8):
    """One line a feature: the onset (dot) and its uncertainty window (bar), coloured by
    group; the upstream events as dashed vertical lines, the likely triggers in red."""
    table = result.table.filter(result.table["onset"].is_not_null())
    ax = axes_or_new(ax, figsize=(9, 0.5 * max(table.height, 1) + 2))
    if table.height == 0:
        ax.text(0.5, 0.5, "no onset found (no time column, or no clear change in time)", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b2", "#937860"]
    y = np.arange(table.height)[::-1]
    for yi, row in zip(y, table.iter_rows(named=True)):
        color = colors[(row["group"] or 1) % len(colors)]
        low, onset, high = _when(row["onset_low"]), _when(row["onset"]), _when(row["onset_high"])
        ax.plot([low, high], [yi, yi], color=color, lw=6, alpha=0.35, solid_capstyle="butt")
        ax.plot([onset], [yi], "o", color=color, markersize=8)
    triggers = set(table["event"].drop_nulls().to_list())
    for event in result.events[:max_events]:
        red = event["description"] in triggers
        ax.axvline(_when(event["time"]), color="#d43f3a" if red else "#888888", ls="--", lw=1.2 if red else 0.8)
        ax.annotate(event["description"], (_when(event["time"]), y.max() + 0.5), rotation=20, fontsize="small",
                    color="#d43f3a" if red else "#555555", ha="left", va="bottom")
    ax.set_yticks(y, [f"{f} ({s or 'no signature'})" for f, s in table.select("feature", "signature").iter_rows()])
    ax.set_ylim(-0.7, y.max() + 1.5)
    ax.set_xlabel("time (dot: onset; bar: 95 % window)")
    ax.set_ylabel("feature (signature)")
    ax.set_title("When did each feature change, and what happened upstream?")
    return ax


def plot_change_trace(result, ax=None, *, line_kws: dict | None = None):
    """The series (chunk means) with the detector's detections as vertical lines."""
    ax = axes_or_new(ax, figsize=(9, 3.4))
    series = result.series
    ax.plot(series["position"].to_numpy(), series["mean"].to_numpy(), color="#4c72b0", lw=1,
            label="value (mean of consecutive chunks)" if result.n > series.height else "value", **(line_kws or {}))
    for k, position in enumerate(result.positions):
        ax.axvline(position, color="#d43f3a", lw=1, alpha=0.8, label="detection" if k == 0 else None)
    ax.set_xlabel("position in the stream")
    ax.set_ylabel("value")
    ax.set_title(f"{result.detector}: {len(result.positions)} change(s) in {result.n:,} values")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
