"""A self-contained HTML document from blocks: every value escaped, figures inlined as PNG."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

from mlwatch.errors import MlwatchError

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table.mlwatch{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.mlwatch th,table.mlwatch td{border:1px solid #ddd;padding:3px 8px;text-align:left}
table.mlwatch th{background:#f4f5f7}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}
img{max-width:100%}
"""


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    """A table already rendered by :func:`mlwatch.results.html_table` (values escaped there)."""

    html: str


@dataclass(frozen=True)
class Figure:
    png: bytes
    caption: str = ""


def _render(block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Table):
        return block.html
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        caption = f"<figcaption>{html.escape(block.caption)}</figcaption>" if block.caption else ""
        return f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{data}">{caption}</figure>'
    raise TypeError(f"cannot render a {type(block).__name__}")


def html_document(title: str, blocks) -> str:
    """A whole HTML page; the title and every text block are escaped.

    >>> page = html_document("<script>x</script>", [Paragraph("a < b")])
    >>> "<script>" in page, "a &lt; b" in page
    (False, True)
    """
    body = "\n".join(_render(b) for b in blocks)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` (parent folders created); fail loudly if it cannot."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise MlwatchError(f"cannot write {path}: {err.strerror or err}") from None
    return path


def _figure(draw, **kws) -> bytes:
    from matplotlib.figure import Figure as MplFigure

    from mlwatch.plots._base import figure_png

    fig = MplFigure(figsize=kws.pop("figsize", (8, 5)), layout="constrained")
    draw(fig.add_subplot())
    return figure_png(fig)


def audit_blocks(result, *, max_feature_plots: int = 6) -> list:
    """The audit's blocks: summary, PSI per feature, the table, the failed data-quality
    checks, the bins of the drifted features."""
    from mlwatch.results import html_table

    n_features = result.table.height
    blocks = [Paragraph(result.summary("text").split("\n", 1)[0]),
              Figure(_figure(lambda ax: result.plot(ax=ax), figsize=(8, 0.3 * n_features + 2)),
                     "PSI per feature; bars coloured by severity; ticks mark each feature's noise floor."),
              Table(html_table(result.table.drop("n_reference", "n_current"), alert="drifted", max_rows=200))]
    failed = result.failed_checks
    blocks += [Heading("Data quality", 3),
               Table(html_table(failed.select("feature", "check", "reference", "current", "detail"), max_rows=200))
               if failed.height else Paragraph("Every data-quality check passed.")]
    drifted = result.drifted[:max_feature_plots]
    if drifted:
        blocks.append(Heading("Where the drift sits", 3))
    for feature in drifted:
        blocks.append(Figure(_figure(lambda ax, f=feature: result.plot(ax=ax, feature=f), figsize=(8, 4)),
                             f"{feature}: reference vs current share per bin; outlined bins carry 80 % of the PSI."))
    return blocks


def audit_report(result, *, title: str = "mlwatch audit", max_feature_plots: int = 6) -> str:
    """The audit as a self-contained HTML page."""
    return html_document(title, audit_blocks(result, max_feature_plots=max_feature_plots))


def findings_report(findings, *, title: str = "mlwatch investigation") -> str:
    """Steps 1-5 and the verdict as a self-contained HTML page."""
    from mlwatch.results import html_table

    v = findings.verdict
    blocks = [Heading(f"Verdict: {v.kind.replace('_', ' ')}"), Paragraph(v.summary)]
    blocks += [Paragraph("Also: " + s) for s in v.secondary]
    if findings.signal is not None:
        blocks += [Heading("1. Signal"), Paragraph(findings.signal.sentence),
                   Figure(_figure(lambda ax: findings.signal.plot(ax=ax), figsize=(9, 3.6)))]
    blocks += [Heading("2. Infra"), Paragraph(findings.infra.sentence)]
    if findings.infra.available:
        blocks.append(Table(html_table(findings.infra.table, alert="flagged", max_rows=100)))
    o = findings.overall
    blocks += [Heading("3. Global metric"), Paragraph(o.sentence),
               Figure(_figure(lambda ax: o.plot(ax=ax), figsize=(5, 3.2)))]
    if o.mix.height:
        blocks += [Figure(_figure(lambda ax: o.plot(ax=ax, kind="mix"), figsize=(7, 0.5 * o.mix.height + 2)),
                          "The change of the mean loss split into mix (traffic moved) and rate (the model moved).")]
    sl = findings.slices
    blocks += [Heading("4. Slices"), Paragraph(sl.summary("text").split("\n", 1)[0])]
    if sl.table.height:
        blocks += [Figure(_figure(lambda ax: sl.plot(ax=ax), figsize=(8, 0.45 * min(sl.table.height, 10) + 2))),
                   Table(html_table(sl.table, alert="significant"))]
    where = findings.audited_slice
    scope = " & ".join(f"{k}={val}" for k, val in where.items()) if where else "the whole population"
    blocks += [Heading(f"5. Audit of {scope}")] + audit_blocks(findings.audit)
    tr = findings.trace
    blocks += [Heading("6. Trace")]
    if tr.table.height:
        blocks += [Paragraph(line) for line in tr.summary("text").split("\n\n", 1)[0].split("\n")]
        blocks.append(Table(html_table(tr.table.drop("sentence"), alert="pipeline_fault")))
        if tr.table["onset"].drop_nulls().len():
            blocks.append(Figure(_figure(lambda ax: tr.plot(ax=ax), figsize=(9, 0.5 * tr.table.height + 2.5)),
                                 "Onset of each feature's change with its 95 % window, and the upstream events."))
    else:
        blocks.append(Paragraph("No feature drifted or failed a check: nothing to trace."))
    if findings.attribution is not None:
        blocks += [Heading("Attribution stability")] + attribution_blocks(findings.attribution)
    if findings.shadow is not None:
        blocks += [Heading("7. Shadow scoring")] + shadow_blocks(findings.shadow)
    return html_document(title, blocks)


def attribution_blocks(result) -> list:
    from mlwatch.results import html_table

    return [Paragraph(result.sentence),
            Figure(_figure(lambda ax: result.plot(ax=ax), figsize=(8, 6)),
                   "SHAP values of the top features, reference (circles) and current (triangles)."),
            Figure(_figure(lambda ax: result.plot(ax=ax, kind="waterfall"), figsize=(8, 5)),
                   "The change in the mean output split by feature, with 95 % bootstrap intervals."),
            Table(html_table(result.table, alert="inverted", max_rows=50))]


def shadow_blocks(result) -> list:
    from mlwatch.results import html_table

    blocks = [Paragraph(result.sentence)]
    if result.metric is not None:
        blocks.append(Figure(_figure(lambda ax: result.plot(ax=ax), figsize=(7, 0.4 * result.table.height + 2)),
                             "Challenger minus champion per segment, paired 95 % intervals (right: better)."))
    if result.scores.height:
        blocks.append(Figure(_figure(lambda ax: result.plot(ax=ax, kind="scores"), figsize=(5, 5))))
    return blocks + [Table(html_table(result.table, alert="worse", max_rows=100))]


def shadow_report(result, *, title: str = "mlwatch shadow scoring") -> str:
    """The champion/challenger comparison as a self-contained HTML page."""
    return html_document(title, shadow_blocks(result))
