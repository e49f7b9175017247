"""Checks that a rendered figure reads: no two labels overlap, nothing falls outside it."""

from __future__ import annotations

import itertools


def _texts(fig):
    """(name, Text) of every visible, non-empty text of the figure."""
    found = [("suptitle", fig._suptitle)] if getattr(fig, "_suptitle", None) is not None else []
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        found += [(f"ax{k} title", t) for t in (ax.title, ax._left_title, ax._right_title)]
        for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if not (ax.axison and axis.get_visible()):
                continue
            found.append((f"ax{k} {axis_name}label", axis.label))
            found.append((f"ax{k} {axis_name} offset", axis.get_offset_text()))
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                if low - 1e-9 * max(abs(low), abs(high), 1) <= tick.get_loc() <= high + 1e-9 * max(abs(low), abs(high), 1):
                    found += [(f"ax{k} {axis_name}tick {tick.label1.get_text()!r}", label)
                              for label in (tick.label1, tick.label2) if label.get_visible()]
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            found += [(f"ax{k} legend {t.get_text()!r}", t) for t in legend.get_texts()]
            found.append((f"ax{k} legend title", legend.get_title()))
        found += [(f"ax{k} text {t.get_text()!r}", t) for t in ax.texts]
    return [(name, t) for name, t in found if t is not None and t.get_visible() and t.get_text().strip()]


def problems(fig, *, tolerance: float = 1.0) -> list[str]:
    """What is wrong with ``fig`` once drawn: labels that overlap, labels outside the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    boxes = [(name, t.get_window_extent(renderer)) for name, t in _texts(fig)]
    out = []
    for name, box in boxes:
        if (box.x0 < page.x0 - tolerance or box.y0 < page.y0 - tolerance or box.x1 > page.x1 + tolerance
                or box.y1 > page.y1 + tolerance):
            out.append(f"{name} falls outside the figure")
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > tolerance and height > tolerance:
            out.append(f"{a} overlaps {b}")
    return out
