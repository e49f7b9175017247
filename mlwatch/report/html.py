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
    """Write ``text`` to ``path`` (parent folders created), atomically: into a temporary file
    beside it, then renamed over it, so a failed write (a full disk, a size limit, a kill)
    leaves the previous file whole. Fails loudly, naming the file."""
    import os
    import tempfile

    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder")
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as err:
        raise MlwatchError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
    return path


def check_writable(path) -> Path:
    """Fail before any work when ``path`` cannot be written: a folder, or a parent that is
    a file or cannot be created."""
    path = Path(path)
    if path.is_dir():
        raise MlwatchError(f"cannot write {path}: it is a folder")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise MlwatchError(f"cannot write {path}: {parent} is not a folder")
    import os

    if not os.access(parent, os.W_OK):
        raise MlwatchError(f"cannot write {path}: {parent} is not writable")
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
