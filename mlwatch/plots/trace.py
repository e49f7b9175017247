"""Renderers of :class:`~mlwatch.steps.trace.TraceResult` and :class:`~mlwatch.steps.trace.ChangeTrace`."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from mlwatch.plots import palette
from mlwatch.plots._base import axes_or_new, date_axis, legend_below, shorten, time_value, times


def plot_trace(result, ax=None, *, max_events: int = 8):
    """One line a feature, in the table's order from the top: the onset (dot) and its 95 %
    window (bar), coloured by the group of features that changed together; the upstream
    events as dashed vertical lines (the likely triggers in purple, solid), numbered, and
    named in the legend under the axes so that no label covers another."""
    table = result.table.filter(result.table["onset"].is_not_null())
    ax = axes_or_new(ax, figsize=(9, 0.5 * max(table.height, 1) + 2.8))
    if table.height == 0:
        ax.text(0.5, 0.5, "no onset found (no time column, or no clear change in time)", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_title("When did each feature change?")
        ax.set_axis_off()
        return ax
    _, are_dates = times(table["onset"].to_list())
    y = np.arange(table.height)[::-1]
    for yi, row in zip(y, table.iter_rows(named=True)):
        color = palette.GROUPS[((row["group"] or 1) - 1) % len(palette.GROUPS)]
        low, onset, high = (time_value(row[k]) for k in ("onset_low", "onset", "onset_high"))
        ax.plot([low, high], [yi, yi], color=color, lw=6, alpha=0.35, solid_capstyle="butt")
        ax.plot([onset], [yi], "o", color=color, markersize=8)
    triggers = set(table["event"].drop_nulls().to_list())
    handles = [Line2D([], [], color=palette.NEUTRAL, marker="o", lw=6, alpha=0.5,
                      label="onset (dot) and 95 % window (bar)")]
    for k, event in enumerate(result.events[:max_events], start=1):
        trigger = event["description"] in triggers
        when = time_value(event["time"])
        color = palette.EVENT if trigger else palette.NEUTRAL
        ax.axvline(when, color=color, ls="-" if trigger else "--", lw=1.4 if trigger else 0.8)
        ax.annotate(str(k), (when, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2 - 11 * ((k - 1) % 3)),
                    textcoords="offset points", ha="left", va="top", fontsize="small", color=color)
        handles.append(Line2D([], [], color=color, ls="-" if trigger else "--",
                              label=f"{k}: {shorten(event['description'], 60)}" + (" (likely trigger)" if trigger else "")))
    ax.set_yticks(y, [shorten(f"{f} ({s or 'no signature'})", 40)
                      for f, s in table.select("feature", "signature").iter_rows()])
    ax.set_ylim(-0.7, y.max() + 0.9)
    _frame_times(ax, [time_value(t) for column in ("onset_low", "onset_high") for t in table[column].to_list()]
                 + [time_value(e["time"]) for e in result.events[:max_events]], are_dates)
    date_axis(ax, are_dates)
    ax.set_xlabel("time")
    ax.set_ylabel("feature (signature)")
    ax.set_title("When did each feature change, and what happened upstream?")
    legend_below(ax, handles, ncol=1)
    return ax


def _frame_times(ax, points, are_dates: bool) -> None:
    """x limits around the onsets and events, a twentieth wider on each side (at least a day,
    or one unit of a numeric time such as a year)."""
    values = np.array(points, dtype="datetime64[us]" if are_dates else float)
    low, high = values.min(), values.max()
    pad = (high - low) / 20
    least = np.timedelta64(1, "D") if are_dates else 1.0
    pad = max(pad, least) if not are_dates else max(pad.astype("timedelta64[us]"), least)
    ax.set_xlim(low - pad, high + pad)


def plot_change_trace(result, ax=None, *, line_kws: dict | None = None):
    """The series (chunk means) with the detector's detections as vertical lines."""
    ax = axes_or_new(ax, figsize=(9, 3.6))
    series = result.series
    ax.plot(series["position"].to_numpy(), series["mean"].to_numpy(), color=palette.MODEL, lw=1,
            label="value (mean of consecutive chunks)" if result.n > series.height else "value", **(line_kws or {}))
    for k, position in enumerate(result.positions):
        ax.axvline(position, color=palette.EVENT, lw=1.2, alpha=0.9, label="detection" if k == 0 else None)
    ax.set_xlabel("position in the stream")
    ax.set_ylabel("value")
    ax.set_title(f"{result.detector}: {len(result.positions)} change(s) in {result.n:,} values")
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
