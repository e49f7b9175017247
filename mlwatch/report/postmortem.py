"""The postmortem: a snapshot of an investigation, to paste into the write-up.

Built from the findings (every step's Result and figures): timeline, impact, root cause,
evidence, the fix and its shadow validation, follow-ups. Exports to a self-contained HTML
page (figures embedded, every value escaped), Markdown (for a wiki or a GitHub issue) and
JSON, which round-trips: ``Postmortem.from_dict(p.to_dict()).to_dict() == p.to_dict()``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlwatch.errors import MlwatchError
from mlwatch.report.html import Figure, Heading, Paragraph, Table, _figure, html_document, write_text
from mlwatch.results import html_table, json_value, markdown_table, md_escape, records

SCHEMA = "mlwatch.postmortem/1"


@dataclass
class Section:
    """A piece of evidence: a heading, sentences, a table (rows), a figure (PNG, base64)."""

    heading: str
    text: list[str] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    figure: str | None = None
    caption: str = ""


@dataclass
class Postmortem:
    title: str
    created: str
    verdict: dict[str, Any]
    summary: str
    timeline: list[dict[str, str]]
    impact: dict[str, Any]
    root_cause: list[dict[str, Any]]
    fix: dict[str, Any]
    followups: list[str]
    evidence: list[Section] = field(default_factory=list)
    owner: str = "(to assign)"

    # ------------------------------------------------------------- building
    @classmethod
    def from_findings(cls, findings, *, title: str | None = None, owner: str = "(to assign)",
                      figures: bool = True) -> "Postmortem":
        """The postmortem of ``findings`` (:class:`mlwatch.steps.investigate.Findings`)."""
        v = findings.verdict
        sl = findings.slices
        top = sl.table.filter(sl.table["significant"]).head(1)
        o = findings.overall
        impact = {"metric": findings.scoring.loss_name, "global_reference": json_value(o.metric_reference),
                  "global_current": json_value(o.metric_current)}
        if top.height:
            row = top.row(0, named=True)
            impact.update(slice=row["slice"], rows=row["n_current"], share=row["n_current"] / max(sl.n_current, 1),
                          slice_reference=row["metric_reference"], slice_current=row["metric_current"],
                          delta=row["delta"], onset=row["onset"])
        causes = _root_cause(findings)
        fix = {"action": v.action}
        if findings.shadow is not None:
            fix.update(shadow_verdict=findings.shadow.verdict, shadow=findings.shadow.sentence)
        evidence = _evidence(findings, figures)
        return cls(title or f"Incident postmortem: {v.kind.replace('_', ' ')}", dt.datetime.now().isoformat(
            timespec="seconds"), v.to_dict(), v.summary, _timeline(findings), impact, causes, fix,
            _followups(findings), evidence, owner)

    # ------------------------------------------------------------- exports
    def to_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["schema"] = SCHEMA
        return json.loads(json.dumps(payload, default=json_value))

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> "Postmortem":
        if payload.get("schema") != SCHEMA:
            raise MlwatchError(f"not a postmortem: schema {payload.get('schema')!r}")
        fields = {k: v for k, v in payload.items() if k != "schema"}
        fields["evidence"] = [Section(**s) for s in fields.get("evidence", [])]
        return cls(**fields)

    def to_markdown(self) -> str:
        """Markdown for a wiki or an issue: every value from the data, the events or the
        caller escaped (:func:`~mlwatch.results.md_escape`), so none becomes live HTML or a link."""
        e = md_escape
        lines = [f"# {e(self.title)}", "", f"*{e(self.created)} — owner: {e(self.owner)}*", "",
                 f"**Verdict: {e(self.verdict['kind'].replace('_', ' '))}.** {e(self.summary)}", "",
                 f"**Action:** {e(self.fix['action'])}", "", "## Timeline", ""]
        lines += [f"- {e(t['time'])} — {e(t['what'])}" for t in self.timeline] or ["- (no time column)"]
        lines += ["", "## Impact", ""] + [f"- {e(k.replace('_', ' '))}: {e(_fmt(v))}" for k, v in self.impact.items()]
        lines += ["", "## Root cause", ""]
        lines += [f"- {e(c['sentence'])}" + (f" (from {e(c['onset'])})" if c["onset"] else "") +
                  (f"; likely trigger: {e(c['event'])} ({e(c['event_time'])})" if c["event"] else "")
                  for c in self.root_cause] or ["- " + e(self.summary)]
        lines += ["", "## Fix and its validation", "", f"- {e(self.fix['action'])}"]
        if "shadow" in self.fix:
            lines.append(f"- Shadow scoring: {e(self.fix['shadow'])}")
        lines += ["", "## Follow-ups", ""] + [f"- [ ] {e(f)}" for f in self.followups]
        for section in self.evidence:
            lines += ["", f"## Evidence: {e(section.heading)}", ""] + [e(t) for t in section.text]
            if section.table:
                import polars as pl
                lines += ["", markdown_table(pl.DataFrame(section.table), max_rows=15)]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        blocks = [Paragraph(f"{self.created} — owner: {self.owner}"),
                  Heading(f"Verdict: {self.verdict['kind'].replace('_', ' ')}"), Paragraph(self.summary),
                  Paragraph(f"Action: {self.fix['action']}"), Heading("Timeline")]
        blocks += [Paragraph(f"{t['time']} — {t['what']}") for t in self.timeline] or [Paragraph("(no time column)")]
        blocks += [Heading("Impact")] + [Paragraph(f"{k.replace('_', ' ')}: {_fmt(v)}") for k, v in self.impact.items()]
        blocks += [Heading("Root cause")] + [Paragraph(c["sentence"] + (f" (from {c['onset']})" if c["onset"] else "")
                                                       + (f"; likely trigger: {c['event']}" if c["event"] else ""))
                                             for c in self.root_cause]
        blocks += [Heading("Fix and its validation"), Paragraph(self.fix["action"])]
        if "shadow" in self.fix:
            blocks.append(Paragraph("Shadow scoring: " + self.fix["shadow"]))
        blocks += [Heading("Follow-ups")] + [Paragraph("☐ " + f) for f in self.followups]
        for section in self.evidence:
            blocks += [Heading(f"Evidence: {section.heading}")] + [Paragraph(t) for t in section.text]
            if section.figure:
                blocks.append(Figure(base64.b64decode(section.figure), section.caption))
            if section.table:
                import polars as pl
                blocks.append(Table(html_table(pl.DataFrame(section.table), max_rows=30)))
        return html_document(self.title, blocks)

    def write(self, path, fmt: str | None = None) -> Path:
        """Write as ``fmt`` (``"html"``, ``"md"`` or ``"json"``), by default the file's
        suffix's (the file is replaced whole, or left as it was when writing fails)."""
        path = Path(path)
        exporters = {"html": self.to_html, "md": self.to_markdown, "markdown": self.to_markdown,
                     "json": lambda: json.dumps(self.to_dict(), indent=2) + "\n"}
        chosen = (fmt or path.suffix.lstrip(".")).lower()
        if chosen not in exporters:
            raise MlwatchError(f"postmortem: cannot write {path}: give fmt= or use .html, .md or .json")
        return write_text(path, exporters[chosen]())


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _root_cause(findings) -> list[dict[str, Any]]:
    """The verdict's own finding first, then the other findings and traced features, one
    entry a feature."""
    causes, seen = [], set()
    for f in findings.verdict.findings:
        if f.feature and f.feature not in seen and f.kind == findings.verdict.kind:
            seen.add(f.feature)
            causes.append({"feature": f.feature, "signature": f.signature, "sentence": f.sentence, "onset": f.onset,
                           "event": f.event, "event_time": f.event_time, "scope": f.scope})
    for r in findings.trace.table.iter_rows(named=True):
        if r["signature"] and r["feature"] not in seen and r["feature"] != findings.roles.prediction:
            seen.add(r["feature"])
            causes.append({"feature": r["feature"], "signature": r["signature"], "sentence": r["sentence"],
                           "onset": r["onset"], "event": r["event"], "event_time": r["event_time"]})
    return causes


def _timeline(findings) -> list[dict[str, str]]:
    items = [(e["time"], f"upstream: {e['description']}") for e in findings.trace.events]
    primary = findings.verdict.primary
    if primary is not None and primary.feature and primary.onset:
        where = "" if primary.scope == "population" else f" on {primary.scope}"
        items.append((primary.onset, f"{primary.feature}: {primary.signature or 'change'} begins{where} "
                                     "(the root cause)"))
    if findings.signal is not None and findings.signal.metric_left:
        items.append((findings.signal.metric_left, f"the model's {findings.scoring.loss_name} moved (step 1)"))
    if findings.signal is not None and findings.signal.kpi_left:
        items.append((findings.signal.kpi_left, f"the business KPI {findings.signal.kpi_name} moved"))
    for row in findings.slices.table.filter(findings.slices.table["significant"]).iter_rows(named=True):
        if row["onset"]:
            items.append((row["onset"], f"{row['slice']}: {findings.scoring.loss_name} starts to degrade"))
    dated = {primary.feature} if primary is not None else set()
    for f in findings.verdict.findings[1:]:          # the other findings, once a feature
        if f.feature and f.onset and f.feature not in dated:
            dated.add(f.feature)
            where = "" if f.scope == "population" else f" on {f.scope}"
            items.append((f.onset, f"{f.feature}: {f.signature or 'change'} begins{where}"))
    return [{"time": t, "what": w} for t, w in sorted(items, key=lambda p: p[0])]


def _followups(findings) -> list[str]:
    kind = findings.verdict.kind
    where = findings.audited_slice
    scope = " & ".join(f"{k}={v}" for k, v in where.items()) if where else "the whole population"
    items = []
    if kind == "skew":
        features = [c["feature"] for c in findings.trace.table.iter_rows(named=True) if c["pipeline_fault"]]
        items += [f"Fix the pipeline for {', '.join(features)} and backfill the affected rows; do not retrain on them.",
                  "Add a schema and unit contract test between the upstream job and the model's feature code."]
    if kind == "data_quality":
        failed = findings.audit.failed_checks
        for feature, check in list(dict.fromkeys(zip(failed["feature"], failed["check"])))[:4]:
            items.append(f"Add a data-quality monitor: {check.replace('_', ' ')} of {feature} (alert as soon as it fails).")
    if kind == "concept_drift":
        items.append(f"Retrain on recent labels; retraining trigger: {findings.scoring.loss_name} on {scope} "
                     "degrading beyond its noise band for a week.")
    if kind == "data_drift":
        items.append(f"Monitor the drifted inputs on {scope} (PSI beyond its noise floor and above 0.1); "
                     "retrain only if performance drops.")
    drifted = findings.audit.drifted[:4]
    if drifted:
        items.append(f"Add drift monitors on {', '.join(drifted)} (PSI with the noise floor, per segment).")
    if findings.trace.events:
        items.append("Route upstream changes (deploys, migrations) to the model owners' change log.")
    items += ["Save reference percentiles and histograms for every feature at launch (a baseline).",
              "Assign an owner for the model's monitors and for this follow-up list."]
    return items


def _evidence(findings, figures: bool) -> list[Section]:
    def picture(draw, size) -> str | None:
        return base64.b64encode(_figure(draw, figsize=size)).decode("ascii") if figures else None

    sections = [Section("global metric", [findings.overall.sentence], records(findings.overall.table),
                        picture(lambda ax: findings.overall.plot(ax=ax), (5, 3.2)), "The global metric, 95 % intervals.")]
    if findings.signal is not None:
        sections.append(Section("signal", [findings.signal.sentence], [],
                                picture(lambda ax: findings.signal.plot(ax=ax), (9, 3.6))))
    sl = findings.slices
    sections.append(Section("slices", [sl.summary("text").split("\n", 1)[0]],
                            records(sl.table.select("slice", "n_current", "metric_reference", "metric_current",
                                                    "delta", "p_value_adjusted", "significant", "onset")),
                            picture(lambda ax: sl.plot(ax=ax), (8, 0.45 * max(min(sl.table.height, 10), 1) + 2))
                            if sl.table.height else None))
    au = findings.audit
    sections.append(Section("feature audit", [au.summary("text").split("\n", 1)[0]],
                            records(au.table.select("feature", "kind", "psi", "noise_floor", "ks", "severity",
                                                    "top_bin", "drifted")),
                            picture(lambda ax: au.plot(ax=ax), (8, 0.3 * au.table.height + 2))))
    tr = findings.trace
    if tr.table.height:
        sections.append(Section("trace", [r["sentence"] for r in tr.table.iter_rows(named=True)],
                                records(tr.table.drop("sentence")),
                                picture(lambda ax: tr.plot(ax=ax), (9, 0.5 * tr.table.height + 2.5))
                                if tr.table["onset"].drop_nulls().len() else None))
    if findings.attribution is not None:
        at = findings.attribution
        sections.append(Section("attribution stability", [at.sentence], records(at.table),
                                picture(lambda ax: at.plot(ax=ax, kind="waterfall"), (8, 5))))
    if findings.shadow is not None:
        sh = findings.shadow
        sections.append(Section("shadow scoring", [sh.sentence], records(sh.table),
                                picture(lambda ax: sh.plot(ax=ax), (7, 0.4 * sh.table.height + 2))
                                if sh.metric else None))
    return sections
