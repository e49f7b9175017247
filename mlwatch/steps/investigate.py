"""Steps 1 to 5 in one call, and the findings they add up to (the ``mlwatch.findings/1`` JSON).

The step-5 audit runs on the most degraded significant slice, or on the whole population
when no slice is significant; the prediction column is always audited like a feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import polars as pl

from mlwatch import data
from mlwatch.errors import MlwatchError, check_choice
from mlwatch.results import ResultMixin, html_table, json_value, markdown_table, records, text_table
from mlwatch.steps.audit import AuditResult, audit
from mlwatch.steps.infra import InfraResult, infra
from mlwatch.steps.overall import OverallResult, overall
from mlwatch.steps.scoring import Scoring, resolve_scoring
from mlwatch.steps.signal import SignalResult, signal
from mlwatch.steps.slices import SliceResult, find_slices
from mlwatch.steps.verdict import Verdict, decide

SCHEMA = "mlwatch.findings/1"


@dataclass(frozen=True, eq=False)
class Findings(ResultMixin):
    """What steps 1-5 found. ``table`` is the audit of the broken slice; every step's
    Result is kept (``signal`` is None without a time column)."""

    roles: data.Roles
    scoring: Scoring
    signal: SignalResult | None
    infra: InfraResult
    overall: OverallResult
    slices: SliceResult
    audit: AuditResult
    verdict: Verdict
    audited_slice: dict[str, str] | None
    events: tuple[dict[str, str], ...] = ()

    @property
    def table(self) -> pl.DataFrame:
        return self.audit.table

    def summary(self, fmt: str = "text") -> str:
        """The verdict sentence, then the top slices and features as small tables."""
        check_choice("format", fmt, ("text", "markdown", "html"))
        slices = self.slices.table.select("slice", "n_current", "metric_reference", "metric_current", "delta",
                                          "significant", "onset").head(5)
        features = self.audit.table.select("feature", "kind", "psi", "ks", "severity", "top_bin").head(8)
        where = f" on {_label(self.audited_slice)}" if self.audited_slice else " (whole population)"
        lines = [f"Verdict: {self.verdict.kind} — {self.verdict.summary}", self.overall.sentence]
        if self.verdict.secondary:
            lines.append("Also: " + "; ".join(self.verdict.secondary))
        if fmt == "text":
            return "\n".join(lines + ["", "Slices:", text_table(slices), "", f"Features{where}:", text_table(features)])
        if fmt == "markdown":
            return "\n\n".join(lines + ["**Slices**", markdown_table(slices), f"**Features{where}**",
                                        markdown_table(features)])
        import html as _html
        return "".join(f"<p>{_html.escape(line)}</p>" for line in lines) + "<p>Slices</p>" + \
            html_table(slices, alert="significant") + f"<p>Features{_html.escape(where)}</p>" + \
            html_table(features)

    def plot(self, ax=None, *, step: str = "slices", **kws):
        """The figure of one step: ``"slices"``, ``"audit"``, ``"overall"``, ``"signal"`` or ``"infra"``."""
        check_choice("step", step, ("slices", "audit", "overall", "signal", "infra"))
        result = getattr(self, step)
        if result is None:
            raise MlwatchError(f"no {step} step in these findings (it needs a time column)")
        return result.plot(ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        """The ``mlwatch.findings/1`` document (DESIGN.md): the contract's keys, plus more."""
        o = self.overall
        slices = self.slices.to_dict()["slices"]
        features = [{"feature": r["feature"], "kind": r["kind"], "psi": r["psi"], "ks": r["ks"],
                     "p_value": r["p_value"], "drifted": r["drifted"], "signature": None, "onset": None,
                     "p_value_adjusted": r["p_value_adjusted"], "js": r["js"], "wasserstein": r["wasserstein"],
                     "noise_floor": r["noise_floor"], "severity": r["severity"], "top_bin": r["top_bin"]}
                    for r in records(self.audit.table)]
        quality = [{"feature": r["feature"], "check": r["check"], "reference": r["reference"],
                    "current": r["current"], "failed": r["failed"], "detail": r["detail"]}
                   for r in records(self.audit.quality)]
        return {
            "schema": SCHEMA,
            "task": self.scoring.task,
            "metric": self.scoring.metric,
            "labels": "missing" if self.scoring.proxy else "available",
            "proxy": self.scoring.proxy,
            "global": {"reference": json_value(o.metric_reference), "current": json_value(o.metric_current),
                       "delta": json_value(o.delta), "n_reference": int(o.table["n"][0]),
                       "n_current": int(o.table["n"][1]), "p_value": json_value(o.p_value),
                       "degraded": o.degraded, "masked": o.masked, "mix_only": o.mix_only,
                       "reference_interval": [json_value(o.table["low"][0]), json_value(o.table["high"][0])],
                       "current_interval": [json_value(o.table["low"][1]), json_value(o.table["high"][1])],
                       "mix": records(o.mix), "summary": o.sentence},
            "slices": slices,
            "audited_slice": self.audited_slice,
            "features": features,
            "quality": quality,
            "verdict": self.verdict.to_dict(),
            "signal": self.signal.to_dict() if self.signal is not None else None,
            "infra": {"available": self.infra.available, "healthy": self.infra.healthy,
                      "summary": self.infra.sentence, "buckets": records(self.infra.table)},
            "roles": {"target": self.roles.target, "prediction": self.roles.prediction, "time": self.roles.time,
                      "segments": list(self.roles.segments), "features": list(self.roles.features)},
            "events": list(self.events),
        }


def _label(predicate: Mapping[str, str]) -> str:
    return " & ".join(f"{k}={v}" for k, v in predicate.items())


def investigate(reference, current, *, target: str | None, prediction: str, time: str | None = None,
                segments: Sequence[str] | None = None, features: Sequence[str] | None = None,
                task: str | None = None, metric: str | None = None, kpi: str | None = None,
                events=None, progress: Callable[[str], None] | None = None) -> Findings:
    """Run steps 1-5 and decide.

    ``segments`` default to the low-cardinality text/categorical columns; ``features`` to
    every other column but target, prediction and time. ``events`` (a frame or file with
    ``time`` and ``description`` columns) is carried into the findings for step 6.
    ``progress`` receives a line as each step starts.
    """
    say = progress or (lambda message: None)
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    roles = data.infer_roles(ref, target=target, prediction=prediction, time=time, segments=segments,
                             features=[f for f in features if f not in (target, prediction, time)] if features else None)
    if kpi and kpi in roles.features:
        roles = data.Roles(roles.target, roles.prediction, roles.time, roles.segments,
                           tuple(f for f in roles.features if f != kpi))
    scoring = resolve_scoring(ref, cur, prediction=prediction, target=target, task=task, metric=metric)
    say("step 1: signal" if time else "step 1: signal skipped (no time column)")
    sig = signal(ref, cur, scoring, time=time, kpi=kpi) if time else None
    say("step 2: infra")
    inf = infra(ref, cur, time=time)
    say(f"step 4: slices over {', '.join(roles.segments) or 'no segment column'}")
    sl = find_slices(ref, cur, scoring, segments=roles.segments, time=time)
    say("step 3: overall")
    ov = overall(ref, cur, scoring, segments=roles.segments, slices=sl)
    where = sl.top
    # the segment columns are model inputs too: audit those the slice does not fix
    audited = [c for c in dict.fromkeys([*roles.features, *roles.segments, prediction])
               if c in cur.columns and c not in (where or {})]
    say(f"step 5: audit of {len(audited)} columns " + (f"on {_label(where)}" if where else "on everything"))
    au = audit(ref, cur, features=audited, where=where)
    verdict = decide(ov, sl, au, prediction=prediction)
    return Findings(roles, scoring, sig, inf, ov, sl, au, verdict, where, _events(events))


def _events(events) -> tuple[dict[str, str], ...]:
    if events is None:
        return ()
    frame = data.to_frame(events, name="events")
    data.require_columns(frame, ["time", "description"], name="events")
    return tuple({"time": str(t), "description": str(d)} for t, d in frame.select("time", "description").iter_rows())
