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

import dataclasses
import html
import math
from typing import Any, ClassVar, Iterable, Mapping, NamedTuple, Sequence

import polars as pl

from mlwatch.errors import MlwatchError, SchemaError, check_choice

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class Section(NamedTuple):
    """One block of a Result's summary: a table (``frame``, rows whose boolean column ``alert``
    is true highlighted in HTML) or a short paragraph (``text``), under an optional title."""

    title: str | None = None
    frame: pl.DataFrame | None = None
    alert: str | None = None
    text: str | None = None
    max_rows: int = 20


class Result:
    """The contract every Result keeps (STYLE.md, point 5).

    A subclass is a frozen dataclass that provides ``table``, ``sentence`` (the headline a
    person reads first), ``_sections()`` (the blocks under it), ``to_dict()``/``from_dict()``
    (tagged with the class's ``SCHEMA``) and ``plot(ax=None, **kws)``. From the two
    presentation hooks this base builds ``summary(fmt)`` for text, Markdown and HTML, the
    notebook's ``_repr_html_`` (which never raises), ``str()`` (the short text summary, so
    ``print(result)`` reads like a report, not a dump) and ``to_pandas()``.
    """

    SCHEMA: ClassVar[str]
    table: pl.DataFrame
    sentence: str

    def _sections(self) -> Sequence[Section]:
        """The blocks under the headline; by default the whole table."""
        return (Section(frame=self.table),)

    def to_pandas(self):
        """The table as a pandas DataFrame."""
        return self.table.to_pandas()

    def summary(self, fmt: str = "text") -> str:
        """The headline sentence and the tables under it, as ``fmt``: text, markdown or html."""
        check_choice("format", fmt, ("text", "markdown", "html"))
        sections = [s for s in self._sections() if s.text or (s.frame is not None and s.frame.height)]
        if fmt == "text":
            blocks = [self.sentence]
            for s in sections:
                body = s.text if s.text is not None else text_table(s.frame, max_rows=s.max_rows)
                blocks.append((f"{s.title}:\n" if s.title else "") + body)
            return "\n\n".join(blocks)
        if fmt == "markdown":
            blocks = [md_escape(self.sentence)]
            for s in sections:
                if s.title:
                    blocks.append(f"**{md_escape(s.title)}**")
                blocks.append(md_escape(s.text) if s.text is not None else markdown_table(s.frame, max_rows=s.max_rows))
            return "\n\n".join(blocks)
        out = [f"<p><strong>{html.escape(self.sentence)}</strong></p>"]
        for s in sections:
            if s.title:
                out.append(f"<p>{html.escape(s.title)}</p>")
            out.append(f"<p>{html.escape(s.text)}</p>" if s.text is not None else
                       html_table(s.frame, alert=s.alert, max_rows=s.max_rows))
        return f'<div class="mlwatch-result">{"".join(out)}</div>'

    def _repr_html_(self) -> str:
        try:
            return self.summary("html")
        except Exception as err:  # a notebook display must never raise; show why instead
            return f"<pre>{html.escape(type(self).__name__)}: cannot render ({html.escape(repr(err))})</pre>"

    def __str__(self) -> str:
        return self.summary("text")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.sentence}>"

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every Result overrides
        raise NotImplementedError

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]):  # pragma: no cover - every Result overrides
        raise NotImplementedError

    @classmethod
    def _check_schema(cls, payload: Any) -> Mapping[str, Any]:
        """``payload`` if it is a dict tagged with this class's schema, else a :class:`SchemaError`."""
        found = payload.get("schema") if isinstance(payload, Mapping) else type(payload).__name__
        if found != cls.SCHEMA:
            raise SchemaError(f"{cls.__name__}.from_dict: expected a {cls.SCHEMA!r} document, got schema {found!r}")
        return payload


def plain(value: Any) -> Any:
    """``value`` with tuples as lists and dataclasses as dicts, recursively: what an options
    mapping looks like after a JSON round trip.

    >>> plain({"where": ("a", 1), "n": [1, (2, 3)]})
    {'where': ['a', 1], 'n': [1, [2, 3]]}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return json_value(value)


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

    >>> page = html_table(pl.DataFrame({"v": ["<b>"], "bad": [True]}), alert="bad")
    >>> print(page[page.index("<tbody>"):page.index("</tbody>")])
    <tbody><tr style="background:#fde2e1"><td>&lt;b&gt;</td><td>True</td></tr>
    """
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = []
    for row in shown.iter_rows(named=True):
        style = ' style="background:#fde2e1"' if alert and row.get(alert) else ""
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row.values())
        body.append(f"<tr{style}>{cells}</tr>")
    more = f"<p>{frame.height - max_rows} more rows</p>" if frame.height > max_rows else ""
    return (f'<div class="mlwatch-table" style="overflow-x:auto"><table class="mlwatch"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table></div>{more}')


def options_from(cls, options, **keywords):
    """An instance of the options dataclass ``cls``: ``options`` when one was given (a
    keyword given as well must agree with it, or be left at its default), else one built
    from ``keywords``.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Opts:
    ...     bins: int = 10
    ...     alpha: float = 0.05
    >>> options_from(Opts, Opts(bins=20), bins=10, alpha=0.05)
    Opts(bins=20, alpha=0.05)
    >>> options_from(Opts, Opts(bins=20), bins=30, alpha=0.05)
    Traceback (most recent call last):
    ...
    mlwatch.errors.MlwatchError: bins is 30 as a keyword but 20 in the options object; give it once
    """
    if options is None:
        return cls(**keywords)
    if not isinstance(options, cls):
        raise MlwatchError(f"options must be a {cls.__name__}, not {type(options).__name__}")
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for name, value in keywords.items():
        held = getattr(options, name)
        if value != defaults.get(name) and value != held:
            raise MlwatchError(f"{name} is {value!r} as a keyword but {held!r} in the options object; give it once")
    return options
