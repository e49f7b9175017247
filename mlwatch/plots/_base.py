"""Shared plumbing of the renderers."""

from __future__ import annotations


def axes_or_new(ax=None, *, figsize=(7, 4)):
    """``ax`` itself, or the Axes of a new figure of ``figsize`` (nothing global changes)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (for reports)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
