"""The Result protocol shared by every public computation.

A Result is a frozen dataclass with a tidy polars ``table``, ``to_pandas()``,
``to_dict()``/``from_dict()`` that round-trip through JSON, ``summary(fmt)`` as text,
Markdown or HTML, ``_repr_html_()`` (never raises in a notebook) and ``plot(ax=None)``
whose renderer lives in :mod:`mlwatch.plots` and is imported only when called.

This module holds the pieces every Result shares: JSON-safe records (non-finite floats
become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` so the JSON stays standard) and
table rendering with every value escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any, Iterable, Mapping

import polars as pl

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class ResultMixin:
    """What every Result gets for free once it has ``table`` and ``summary``."""

    table: pl.DataFrame

    def to_pandas(self):
        """The table as a pandas DataFrame."""
        return self.table.to_pandas()

    def _repr_html_(self) -> str:
        try:
            return self.summary("html")
        except Exception as err:  # a notebook display must never raise; show why instead
            return f"<pre>{html.escape(type(self).__name__)}: cannot render ({html.escape(repr(err))})</pre>"

    def summary(self, fmt: str = "text") -> str:  # pragma: no cover - every Result overrides
        raise NotImplementedError


def json_value(value: Any) -> Any:
    """A value JSON can hold: non-finite floats as strings, numpy scalars as Python ones."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-safe dicts.

    >>> records(pl.DataFrame({"a": [1.0, float("inf")], "b": ["x", None]}))
    [{'a': 1.0, 'b': 'x'}, {'a': 'inf', 'b': None}]
    """
    return [{k: json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def frame_from_records(rows: Iterable[Mapping[str, Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The inverse of :func:`records` for a known schema.

    >>> frame_from_records([{"a": "inf"}], {"a": pl.Float64})["a"].to_list()
    [inf]
    """
    rows = list(rows)
    columns = {}
    for name, dtype in schema.items():
        values = [row.get(name) for row in rows]
        if dtype == pl.Float64:
            values = [_NON_FINITE.get(v, v) if isinstance(v, str) else v for v in values]
        columns[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(columns, schema=dict(schema))


def _cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(json_value(value))
        return f"{value:.{digits}g}"
    return str(value)


def text_table(frame: pl.DataFrame, *, max_rows: int = 20) -> str:
    """A plain-text table, columns aligned, for terminals and logs."""
    shown = frame.head(max_rows)
    cells = [[_cell(v) for v in row] for row in shown.iter_rows()]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(shown.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(shown.columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    if frame.height > max_rows:
        lines.append(f"... {frame.height - max_rows} more rows")
    return "\n".join(lines)


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"} |
                                  {"<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " "})


def md_escape(text) -> str:
    """``text`` as literal Markdown: no raw HTML (``<script>``, ``<img onerror=...>``), no
    link, emphasis or table syntax from data, on one line, for GitHub and wikis alike.

    >>> print(md_escape("<img src=x onerror=alert(1)> a_b | [x](javascript:y)"))
    &lt;img src=x onerror=alert(1)&gt; a\\_b \\| \\[x\\](javascript:y)
    """
    return str(text).translate(_MARKDOWN_SPECIAL)


def markdown_table(frame: pl.DataFrame, *, max_rows: int = 20) -> str:
    """A GitHub-flavoured Markdown table (every value escaped, :func:`md_escape`)."""
    shown = frame.head(max_rows)
    esc = md_escape

    lines = ["| " + " | ".join(esc(c) for c in shown.columns) + " |",
             "|" + "|".join("---" for _ in shown.columns) + "|"]
    lines += ["| " + " | ".join(esc(_cell(v)) for v in row) + " |" for row in shown.iter_rows()]
    if frame.height > max_rows:
        lines.append(f"\n_{frame.height - max_rows} more rows_")
    return "\n".join(lines)


def html_table(frame: pl.DataFrame, *, alert: str | None = None, max_rows: int = 20) -> str:
    """An HTML table with every value escaped; rows whose boolean column ``alert`` is
    true are highlighted.

    >>> print(html_table(pl.DataFrame({"v": ["<b>"], "bad": [True]}), alert="bad"))
    <table class="mlwatch"><thead><tr><th>v</th><th>bad</th></tr></thead><tbody><tr style="background:#fde2e1"><td>&lt;b&gt;</td><td>True</td></tr></tbody></table>
    """
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = []
    for row in shown.iter_rows(named=True):
        style = ' style="background:#fde2e1"' if alert and row.get(alert) else ""
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row.values())
        body.append(f"<tr{style}>{cells}</tr>")
    more = f"<p>{frame.height - max_rows} more rows</p>" if frame.height > max_rows else ""
    return (f'<table class="mlwatch"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{more}')
