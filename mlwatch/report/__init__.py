"""Reports: self-contained HTML (figures embedded), Markdown and JSON, built from Results."""

from mlwatch.report.html import (Figure, Heading, Paragraph, Table, audit_blocks, audit_report,
                                 html_document, write_text)

__all__ = ["Figure", "Heading", "Paragraph", "Table", "audit_blocks", "audit_report",
           "html_document", "write_text"]
