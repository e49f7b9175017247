"""Shared plumbing of the renderers: axes, time axes, legends, PNG export."""

from __future__ import annotations

import datetime as dt

import numpy as np


def axes_or_new(ax=None, *, figsize=(7, 4)):
    """``ax`` itself, or the Axes of a new figure of ``figsize`` (nothing global changes)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def seaborn():
    """seaborn, imported on first use (it takes a second)."""
    import seaborn as sns

    return sns


def times(labels) -> tuple[np.ndarray, bool]:
    """Time labels (ISO dates and datetimes, or numbers such as years) as values for an axis:
    datetimes when every label is a date, else floats. Returns ``(values, are_dates)``.

    >>> times(["2013-08-15", "2013-08-16T06:00"])[1], times(["2017", "2018"])
    (True, (array([2017., 2018.]), False))
    """
    labels = [str(label) for label in labels]
    try:
        return np.array([dt.datetime.fromisoformat(t).replace(tzinfo=None) for t in labels], dtype="datetime64[us]"), True
    except ValueError:
        return np.array([float(t) for t in labels]), False


def time_value(label: str):
    """One time label as a point on the axis :func:`times` builds."""
    values, _ = times([label])
    return values[0]


def date_axis(ax, are_dates: bool, *, axis: str = "x") -> None:
    """A concise date axis (ticks that name the month once, the day after) when the values are
    dates; whole numbers (years) without thousands separators otherwise."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    if are_dates:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        target.set_major_locator(locator)
        target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    else:
        target.set_major_locator(MaxNLocator(nbins=7, integer=True))
        target.set_major_formatter(StrMethodFormatter("{x:.0f}"))


def legend_below(ax, handles=None, *, ncol: int = 2, clearance: float = 0.62, **kws):
    """The legend under the axes, below its tick labels and axis label (``clearance`` inches
    under the axes), outside the data and clear of the title. ``handles`` default to the
    labelled artists of the axes."""
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    if not handles:
        return None
    height = max(ax.get_position().height * ax.figure.get_figheight(), 0.5)
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -clearance / height), ncol=ncol,
                     frameon=False, fontsize="small", **kws)


def shorten(text: str, width: int = 48) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (tick labels that stay readable)."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def wrapped(text: str, width: int = 48) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces (titles and axis
    labels that stay inside a narrow figure, whole).

    >>> print(wrapped("Global mean error (prediction - target): masked, a slice broke", 44))
    Global mean error (prediction - target):
    masked, a slice broke
    """
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width, break_on_hyphens=False)) or str(text)


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (for reports)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
