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

import polars as pl

from mlwatch.errors import MlwatchError
from mlwatch.report.html import Figure, Heading, Paragraph, Table, _figure, html_document, write_text
from mlwatch.results import html_table, json_value, markdown_table, md_escape, records
from mlwatch.steps.slices import slice_label

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
        impact = _impact(findings)
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
        rows, note = _impact_rows(self.impact)
        lines += ["", "## Impact", "", e(note), "", markdown_table(rows, max_rows=10)]
        lines += ["", "## Root cause", ""]
        first, others = _split_causes(self.root_cause)
        lines.append(e(_cause(first)) if first else e(self.summary))
        for section in filter(_is_key, self.evidence):
            lines += _markdown_section(section, "### ")
        if others:
            lines += ["", "Other changes found on the way (not the cause):", ""] + [f"- {e(_cause(c))}" for c in others]
        lines += ["", "## Fix and its validation", "", f"- {e(self.fix['action'])}"]
        if "shadow" in self.fix:
            lines.append(f"- Shadow scoring: {e(self.fix['shadow'])}")
        lines += ["", "## Follow-ups", ""] + [f"- [ ] {e(f)}" for f in self.followups]
        for section in self.evidence:
            if not _is_key(section):
                lines += _markdown_section(section, "## Evidence: ")
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        blocks = [Paragraph(f"{self.created} — owner: {self.owner}"),
                  Heading(f"Verdict: {self.verdict['kind'].replace('_', ' ')}"), Paragraph(self.summary),
                  Paragraph(f"Action: {self.fix['action']}"), Heading("Timeline")]
        blocks += [Paragraph(f"{t['time']} — {t['what']}") for t in self.timeline] or [Paragraph("(no time column)")]
        rows, note = _impact_rows(self.impact)
        blocks += [Heading("Impact"), Paragraph(note), Table(html_table(rows, max_rows=10))]
        first, others = _split_causes(self.root_cause)
        blocks += [Heading("Root cause"), Paragraph(_cause(first) if first else self.summary)]
        for section in filter(_is_key, self.evidence):
            blocks += _html_section(section, Heading(section.heading[:1].upper() + section.heading[1:], level=3))
        if others:
            blocks += [Paragraph("Other changes found on the way (not the cause):")] + \
                [Paragraph("– " + _cause(c)) for c in others]
        blocks += [Heading("Fix and its validation"), Paragraph(self.fix["action"])]
        if "shadow" in self.fix:
            blocks.append(Paragraph("Shadow scoring: " + self.fix["shadow"]))
        blocks += [Heading("Follow-ups")] + [Paragraph("☐ " + f) for f in self.followups]
        for section in self.evidence:
            if not _is_key(section):
                blocks += _html_section(section, Heading(f"Evidence: {section.heading}"))
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


def _is_key(section: Section) -> bool:
    return section.heading.startswith("key evidence")


def _markdown_section(section: Section, prefix: str) -> list[str]:
    e = md_escape
    lines = ["", f"{prefix}{e(section.heading[:1].upper() + section.heading[1:])}", ""] + [e(t) for t in section.text]
    if section.table:
        lines += ["", markdown_table(pl.DataFrame(section.table), max_rows=15)]
    return lines


def _html_section(section: Section, heading) -> list:
    blocks = [heading] + [Paragraph(t) for t in section.text]
    if section.figure:
        blocks.append(Figure(base64.b64decode(section.figure), section.caption))
    if section.table:
        blocks.append(Table(html_table(pl.DataFrame(section.table), max_rows=30)))
    return blocks


def _split_causes(causes: list[dict[str, Any]]):
    """The verdict's own cause (None when the verdict names no input, as for concept drift)
    and the other changes found on the way."""
    if causes and causes[0].get("own", causes[0].get("dated")):       # "own" since Dec 2026
        return causes[0], causes[1:]
    return None, causes


def _cause(cause: dict[str, Any]) -> str:
    """A root-cause entry as one sentence: its own, dated unless the sentence says when."""
    scope = cause.get("scope")
    where = f"On {scope}: " if scope and scope != "population" and f"on {scope}" not in cause["sentence"] else ""
    if cause.get("dated"):
        return where + cause["sentence"]
    return (where + cause["sentence"] + (f" (from {cause['onset']})" if cause["onset"] else "")
            + (f"; likely trigger: {cause['event']} ({cause['event_time']})" if cause["event"] else ""))


def _impact(findings) -> dict[str, Any]:
    """The damage in numbers: the global metric, the broken slice's (rows, share of traffic,
    onset) and, when a fix was shadow-scored on the same metric, what it recovers there."""
    # the metric the numbers are on: a regression's bias when its errors moved without growing
    o, sl, scoring = findings.overall, findings.slices, findings.overall.scoring
    higher = scoring.higher_is_better
    impact: dict[str, Any] = {"metric": scoring.loss_name, "higher_is_better": higher, "two_sided": scoring.two_sided,
                              "global": {"reference": json_value(o.metric_reference),
                                         "current": json_value(o.metric_current),
                                         "n_current": int(o.table["n"][1])}}
    top = sl.table.filter(sl.table["significant"]).head(1)
    if top.height:
        row = top.row(0, named=True)
        # read on the window's later half (since): its rows there, not a share of the whole window's
        impact["slice"] = {"name": row["slice"], "n_current": row["n_current"],
                           "share": None if row.get("since") else row["n_current"] / max(sl.n_current, 1),
                           "since_rows": row.get("since"), "reference": row["metric_reference"],
                           "current": row["metric_current"], "onset": row["onset"]}
    shadow = findings.shadow
    if shadow is not None and shadow.metric is not None:
        label = impact.get("slice", {}).get("name", "all")
        since = impact.get("slice", {}).get("since_rows")
        # where the slice broke when it was read there (the rows its impact is on), else all its rows
        present = set(shadow.table["segment"].to_list())
        name = next((n for n in [f"{label} from {since} on"] * bool(since) + [label] if n in present), None)
        r = shadow.table.filter(pl.col("segment") == name).row(0, named=True) if name else None
        if r is not None and r["metric_challenger"] is not None:
            impact["fix"] = {"on": label, "rows": "since" if name != label else "all",
                             "metric": shadow.metric, "n": r["n"], "champion": r["metric_champion"],
                             "challenger": r["metric_challenger"], "low": r["low"], "high": r["high"],
                             "verdict": shadow.verdict}
    return impact


def _impact_rows(impact: dict[str, Any]):
    """The impact as a small table for people, and the sentence that states its signs."""
    metric, higher = impact["metric"], impact["higher_is_better"]
    two_sided = impact.get("two_sided", False)
    percent = metric in ("accuracy", "auc")

    def value(v) -> str:
        return "" if v is None else f"{100 * v:.1f} %" if percent else f"{v:.4g}"

    def change(a, b) -> str:
        if a is None or b is None:
            return ""
        d = b - a
        if d == 0:
            word = "no change"
        elif two_sided:         # a bias is best at 0, a mean prediction has no best: a move is the news
            word = ("closer to 0" if abs(b) < abs(a) else "further from 0") if metric.startswith("mean error") else \
                ("up" if d > 0 else "down")
        else:
            word = "better" if (d > 0) == higher else "worse"
        return (f"{100 * d:+.1f} points" if percent else f"{d:+.3g}") + f" ({word})"

    g = impact["global"]
    rows = [{"where": f"everything ({g['n_current']:,} current rows)", "reference": value(g["reference"]),
             "current": value(g["current"]), "change": change(g["reference"], g["current"]), "with the fix": ""}]
    if "slice" in impact:
        s = impact["slice"]
        counted = (f"{s['n_current']:,} rows from {s['since_rows']} on" if s.get("since_rows")
                   else f"{s['n_current']:,} rows, {s['share']:.1%} of traffic")
        rows.append({"where": f"{s['name']} ({counted}" + (f", since {s['onset']})" if s.get("onset") else ")"),
                     "reference": value(s["reference"]), "current": value(s["current"]),
                     "change": change(s["reference"], s["current"]), "with the fix": ""})
    fix = impact.get("fix")
    if fix is not None:
        target = next((r for r in rows if r["where"].startswith(fix["on"] + " (")), rows[0])
        base = impact.get("slice") if fix["on"] != "all" else impact["global"]
        # the shadow compares on all the slice's current rows; a slice read on the window's later
        # half has its current metric there, and the two are not the same rows
        later = base is not None and bool(base.get("since_rows")) and fix.get("rows") != "since"
        same = fix["metric"] == metric and not later
        named = "" if fix["metric"] == metric else f"{fix['metric']} "
        shown = value(fix["challenger"]) if same else f"{named}{value(fix['challenger'])} (was {value(fix['champion'])})"
        if later and fix.get("n"):
            shown += f" on all {fix['n']:,} of its current rows"
        recovered = ""
        unmeasured = fix.get("low") is not None and fix["low"] <= 0 <= fix["high"]
        if unmeasured:       # 0 inside the paired interval: no share of anything to report
            recovered = "; no change beyond noise"
        elif same and base is not None and base["current"] != base["reference"]:
            share = (fix["challenger"] - base["current"]) / (base["reference"] - base["current"])
            recovered = ("; recovers all of the change, and more (the rest moved meanwhile)" if share > 1
                         else f"; recovers {share:.0%} of the change" if share >= 0 else "; makes it worse")
        target["with the fix"] = f"{shown}{recovered} (shadow: {fix['verdict']})"
    sides = ("0 is best, a move either way is the change" if metric.startswith("mean error")
             else "no side is better, a move is the change") if two_sided else f"{'higher' if higher else 'lower'} is better"
    note = (f"Metric: {metric} ({sides}). Change = current minus reference"
            + (", in percentage points" if percent else "") + "; 'with the fix' is the candidate fix scored on "
            "the same current rows (the counterfactual), and the share of the change it recovers.")
    return pl.DataFrame(rows), note


def _root_cause(findings) -> list[dict[str, Any]]:
    """The verdict's own finding first, then its other findings, then the traced features it
    did not read, one entry a feature, each saying where it was read. The audited slice's trace
    alone (its rows only) read the flights case's population-wide weather drifts as moves of
    United's flights, dated hours from the timeline's."""
    causes, seen = [], set()
    kind = findings.verdict.kind
    for f in sorted(findings.verdict.findings, key=lambda f: f.kind != kind):      # stable: its own kind first
        if f.feature and f.feature not in seen and (f.kind == kind or f.signature):
            seen.add(f.feature)
            causes.append({"feature": f.feature, "signature": f.signature, "sentence": f.sentence, "onset": f.onset,
                           "event": f.event, "event_time": f.event_time, "scope": f.scope, "dated": True,
                           "own": f.kind == kind})
    where = findings.trace.options.get("where")
    for r in findings.trace.table.iter_rows(named=True):
        if r["signature"] and r["feature"] not in seen and r["feature"] != findings.roles.prediction:
            seen.add(r["feature"])
            causes.append({"feature": r["feature"], "signature": r["signature"], "sentence": r["sentence"],
                           "onset": r["onset"], "event": r["event"], "event_time": r["event_time"],
                           "scope": slice_label(where) if where else "population"})
    return causes


def _timeline(findings) -> list[dict[str, str]]:
    items = [(e["time"], f"upstream: {e['description']}") for e in findings.trace.events]
    primary = findings.verdict.primary
    if primary is not None and primary.feature and primary.onset:
        where = "" if primary.scope == "population" else f" on {primary.scope}"
        items.append((primary.onset, f"{primary.feature}: {primary.signature or 'change'} begins{where} "
                                     f"(the root cause{_likely_between(primary.onset_low, primary.onset_high, '; ')})"))
    if findings.signal is not None and findings.signal.metric_left:
        # step 1's sustained move is read against the reference buckets' spread alone: beside a
        # verdict of none it is a move the tests and the material threshold set aside
        small = ", by less than matters: the verdict is that nothing is wrong" if findings.verdict.kind == "none" else ""
        items.append((findings.signal.metric_left, f"the model's {findings.scoring.loss_name} moved (step 1){small}"))
    if findings.signal is not None and findings.signal.kpi_left:
        items.append((findings.signal.kpi_left, f"the business KPI {findings.signal.kpi_name} moved"))
    for row in findings.slices.table.filter(findings.slices.table["significant"]).iter_rows(named=True):
        if row["onset"]:
            window = _likely_between(row["onset_low"], row["onset_high"], " (")
            moves = "starts to move" if findings.slices.scoring.two_sided else "starts to degrade"
            items.append((row["onset"], f"{row['slice']}: {findings.slices.scoring.loss_name} {moves}"
                                        + (f"{window})" if window else "")))
    dated = {primary.feature} if primary is not None else set()
    for f in findings.verdict.findings[1:]:          # the other findings, once a feature
        if f.feature and f.onset and f.feature not in dated:
            dated.add(f.feature)
            where = "" if f.scope == "population" else f" on {f.scope}"
            window = _likely_between(f.onset_low, f.onset_high, " (")
            items.append((f.onset, f"{f.feature}: {f.signature or 'change'} begins{where}" + (f"{window})" if window else "")))
    return [{"time": t, "what": w} for t, w in sorted(items, key=lambda p: p[0])]


def _likely_between(low: str | None, high: str | None, lead: str = "") -> str:
    """The window a change likely began in, as words (empty without one, or when it is the
    onset itself: a frozen sensor's first repeat)."""
    if not low or low == high:
        return ""
    return f"{lead}likely began between {low} and {high}"


def _followups(findings) -> list[str]:
    kind = findings.verdict.kind
    where = findings.audited_slice
    scope = " & ".join(f"{k}={v}" for k, v in where.items()) if where else "the whole population"
    items = []
    if kind == "skew":       # the verdict's faulty inputs first (read where it placed them), then the slice's
        features = list(dict.fromkeys([f.feature for f in findings.verdict.findings if f.kind == "skew" and f.feature]
                                      + [c["feature"] for c in findings.trace.table.iter_rows(named=True)
                                         if c["pipeline_fault"]]))
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
    if findings.labels_end:
        items.append(f"Investigate again once the labels after {findings.labels_end} arrive: a change of the target's "
                     "relation to the inputs (concept drift) there cannot be seen yet.")
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

    sections = _key_evidence(findings, picture)
    sections += [Section("global metric", [findings.overall.sentence], records(findings.overall.table),
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
    # step 6 where the verdict placed its cause first: a population's fault traced on the audited
    # slice alone dates it by the slice's first row after the onset (a Saturday's, for a change
    # made on Friday), which read beside the verdict's onset looks like a contradiction
    traces = [findings.trace]
    primary = findings.verdict.primary
    if (findings.trace.options.get("where") and findings.population_trace is not None
            and primary is not None and primary.scope == "population"):
        traces.insert(0, findings.population_trace)
    for tr in traces:
        if tr.table.height:
            where = tr.options.get("where")
            sections.append(Section("trace" + (f" on {slice_label(where)}" if where else
                                               " on the population" if len(traces) > 1 else ""),
                                    [r["sentence"] for r in tr.table.iter_rows(named=True)],
                                    records(tr.table.drop("sentence")),
                                    picture(lambda ax, tr=tr: tr.plot(ax=ax), (9, 0.5 * tr.table.height + 2.5))
                                    if tr.table["onset"].drop_nulls().len() else None))
    if findings.estimate is not None:
        es = findings.estimate
        sections.append(Section("performance without labels", [es.sentence],
                                records(es.table.select("slice", "n_current", "reference", "estimated", "low", "high",
                                                        "change", "significant")),
                                picture(lambda ax: es.plot(ax=ax), (8, 0.45 * min(es.table.height, 13) + 2.2)),
                                "Estimated from the calibrated scores (CBPE); assumes no concept drift."))
    for joint in (findings.multivariate, findings.multivariate_slice):
        if joint is not None and joint.drifted:
            sections.append(Section("joint distribution" + (" on the slice" if joint.options.get("where") else ""),
                                    [joint.sentence], records(joint.table.head(8)),
                                    picture(lambda ax, j=joint: j.plot(ax=ax), (8, 0.4 * min(joint.table.height, 10) + 2.2)),
                                    "A classifier of current against reference rows: the features it separates them by."))
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


def _key_evidence(findings, picture) -> list[Section]:
    """The root cause's raw values before and after (the audit that holds the verdict's
    feature: on its slice, or the population's): what a reader of the postmortem should see
    first. Nothing when the verdict names no input."""
    primary = findings.verdict.primary
    if primary is None or not primary.feature:
        return []
    audits = [findings.audit] + ([findings.population_audit] if findings.population_audit is not None else [])
    if primary.scope == "population":
        audits.reverse()
    held = next((a for a in audits if primary.feature in a.table["feature"].to_list()), None)
    if held is None:
        return []
    feature = primary.feature
    row = held.table.filter(pl.col("feature") == feature).row(0, named=True)
    where = held.options.get("where")
    scope = slice_label(where) if where else "the whole population"
    numeric = held.quantiles.filter(pl.col("feature") == feature).height > 0
    caption = (f"{feature} on {scope}: each window's distribution of its values (empirical CDF, extremes included)"
               if numeric else f"{feature} on {scope}: the share of rows in each category, reference against current")
    checks = held.failed_checks.filter(pl.col("feature") == feature)
    text = [f"{feature} on {scope}: PSI {row['psi']:.3f} ({row['severity']}); "
            + (f"failed checks: {', '.join(checks['check'].to_list())}." if checks.height else "no quality check failed.")]
    return [Section(f"key evidence, {feature} before and after", text,
                    records(checks.select("check", "reference", "current", "detail")),
                    picture(lambda ax: held.plot(ax=ax, feature=feature), (8, 4.6)), caption)]
