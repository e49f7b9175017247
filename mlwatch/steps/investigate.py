"""Steps 1 to 6 in one call, and the findings they add up to (the ``mlwatch.findings/1`` JSON).

The step-5 audit runs on the whole population, and again on the most degraded significant
slice when there is one; the prediction column is always audited like a feature. Step 6
traces the features whose change was significant or that failed a data-quality check.
Every test that can raise the verdict belongs to one multiple-testing family
(:mod:`mlwatch.steps.verdict`), so that when nothing changed the verdict is ``none`` in at
least 94 % of investigations by the union bound (measured: at least 96.5 %), at every sample
size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable, Mapping

import numpy as np
import polars as pl

from mlwatch import data, sources
from mlwatch.errors import DataError, MlwatchError, SchemaError, check_choice
from mlwatch.results import Result, Section, json_value, records
from mlwatch.steps.audit import AuditResult, audit
from mlwatch.steps.estimate import METRICS as ESTIMATED
from mlwatch.steps.estimate import EstimateResult, estimate_performance
from mlwatch.steps.multivariate import MultivariateResult, multivariate_drift
from mlwatch.steps.infra import InfraResult, infra
from mlwatch.steps.overall import OverallResult, error_posterior, explain_drop, overall
from mlwatch.steps.scoring import Scoring, format_time
from mlwatch.steps.frozen import capped_segments, frozen_segments, off_grid_segments
from mlwatch.steps.segments import SegmentDriftResult, segment_drift
from mlwatch.steps.signal import SignalResult, signal
from mlwatch.steps.slices import SliceResult, find_slices, slice_predicate
from mlwatch.steps.trace import TraceResult, drivers, trace
from mlwatch.steps.verdict import Verdict, decide, joint_level, levels

SCHEMA = "mlwatch.findings/1"
MAX_TRACED_SEGMENTS = 3
MAX_TRACED_MINOR = 2          # significant but immaterial segment changes read for a pipeline signature
JOINT_ROWS = 5_000        # rows a side the domain classifier reads inside an investigation
JOINT_FOLDS = 3
BIAS_SUPPORT = 100        # rows a side a slice needs in the search of a regression's bias

# The steps' own documents under "results", so that from_dict rebuilds every Result.
_STEP_RESULTS = {"signal": SignalResult, "infra": InfraResult, "overall": OverallResult, "slices": SliceResult,
                 "audit": AuditResult, "trace": TraceResult, "population_audit": AuditResult,
                 "population_trace": TraceResult, "segments": SegmentDriftResult, "estimate": EstimateResult,
                 "multivariate": MultivariateResult, "multivariate_slice": MultivariateResult}


@dataclass(frozen=True, eq=False, repr=False)
class Findings(Result):
    """What steps 1-6 found. ``table`` is the audit of the broken slice; every step's
    Result is kept (``signal`` is None without a time column)."""

    roles: data.Roles
    scoring: Scoring
    signal: SignalResult | None
    infra: InfraResult
    overall: OverallResult
    slices: SliceResult
    audit: AuditResult
    trace: TraceResult
    verdict: Verdict
    audited_slice: dict[str, str] | None
    slice_events: dict[str, dict[str, str]] = field(default_factory=dict)
    attribution: Any = None          # an AttributionResult when a model was given
    shadow: Any = None               # a ShadowComparison when a challenger was given
    population_audit: AuditResult | None = None     # the audit of everything, when a slice was audited
    population_trace: TraceResult | None = None
    segments: SegmentDriftResult | None = None      # inputs that changed inside a segment
    segment_traces: tuple[TraceResult, ...] = ()    # step 6 on each of its specific pairs
    left_out: tuple[str, ...] = ()                  # inferred inputs with no value in the reference
    rows: dict[str, dict[str, int]] | None = None   # {side: {"read", "total"}} when steps 1-4, 6 read a sample
    estimate: EstimateResult | None = None          # labels missing: performance estimated per segment
    multivariate: MultivariateResult | None = None  # the domain classifier on the population
    multivariate_slice: MultivariateResult | None = None    # and on the audited slice
    labels_end: str | None = None    # the last labelled row's time, when labels stop before the window ends

    SCHEMA = SCHEMA

    @property
    def table(self) -> pl.DataFrame:
        return self.audit.table

    @property
    def sentence(self) -> str:
        return f"Verdict: {self.verdict.kind} — {self.verdict.summary}"

    def _sections(self):
        """The global metric, the action, the top slices and features as small tables."""
        slices = self.slices.table.select("slice", "n_current", "metric_reference", "metric_current", "delta",
                                          "significant", "onset")
        features = self.audit.table.select("feature", "kind", "psi", "ks", "severity", "top_bin").join(
            self.trace.table.select("feature", "signature", "onset"), on="feature", how="left", maintain_order="left")
        where = f" on {_label(self.audited_slice)}" if self.audited_slice else " (whole population)"
        also = (Section(text="Also: " + "; ".join(self.verdict.secondary)),) if self.verdict.secondary else ()
        for extra in (self.estimate, self.multivariate, self.multivariate_slice):
            if extra is not None and (extra is self.estimate or extra.drifted):
                also += (Section(text=extra.sentence),)
        if self.rows:
            also += (Section(text="Rows: steps 1-4 and 6 read a uniform sample (" + "; ".join(
                f"{side} {v['read']:,} of {v['total']:,}" for side, v in self.rows.items())
                + "); step 5 audited every row."),)
        return (Section(text=self.overall.sentence), Section(text=f"Action: {self.verdict.action}"), *also,
                Section("Slices", slices, alert="significant", max_rows=5),
                Section(f"Features{where}", features, max_rows=8))

    def postmortem(self, **options):
        """The postmortem of these findings (:class:`mlwatch.report.postmortem.Postmortem`)."""
        from mlwatch.report.postmortem import Postmortem

        return Postmortem.from_findings(self, **options)

    def plot(self, ax=None, *, step: str = "slices", **kws):
        """The figure of one step: ``"slices"``, ``"audit"``, ``"overall"``, ``"signal"``, ``"infra"``
        or ``"trace"``."""
        check_choice("step", step, ("slices", "audit", "overall", "signal", "infra", "trace"))
        result = getattr(self, step)
        if result is None:
            raise MlwatchError(f"no {step} step in these findings (it needs a time column)")
        return result.plot(ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        """The ``mlwatch.findings/1`` document (DESIGN.md): the contract's keys, plus more."""
        o = self.overall
        slices = self.slices.to_dict()["slices"]
        for row, label in zip(slices, self.slices.table["slice"].to_list()):
            row.update(self.slice_events.get(label, {}))
        features, quality = _audit_records(self.audit, self.trace)
        population = None
        if self.population_audit is not None:
            population_features, population_quality = _audit_records(self.population_audit, self.population_trace)
            population = {"features": population_features, "quality": population_quality,
                          "trace": records(self.population_trace.table) if self.population_trace is not None else []}
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
                       "mix": records(o.mix), "summary": o.sentence,
                       "onset": o.onset, "onset_low": o.onset_low, "onset_high": o.onset_high},
            "slices": slices,
            "audited_slice": self.audited_slice,
            "features": features,
            "quality": quality,
            "verdict": self.verdict.to_dict(),
            "signal": self.signal.to_dict() if self.signal is not None else None,
            "infra": {"available": self.infra.available, "healthy": self.infra.healthy,
                      "summary": self.infra.sentence, "buckets": records(self.infra.table)},
            "roles": {"target": self.roles.target, "prediction": self.roles.prediction, "time": self.roles.time,
                      "segments": list(self.roles.segments), "features": list(self.roles.features),
                      "left_out": list(self.left_out)},
            "trace": records(self.trace.table),
            "events": list(self.trace.events),
            "attribution": self.attribution.to_dict() if self.attribution is not None else None,
            "shadow": self.shadow.to_dict() if self.shadow is not None else None,
            "population": population,
            "sampled": self.rows,
            "estimate": self.estimate.to_dict() if self.estimate is not None else None,
            "multivariate": ({"population": self.multivariate.to_dict(),
                              "slice": self.multivariate_slice.to_dict() if self.multivariate_slice is not None
                              else None} if self.multivariate is not None else None),
            "results": self._results(),
            "segment_drift": ({"pairs": records(self.segments.specific), "n_tests": self.segments.n_tests,
                               "relabelled": records(self.segments.relabelled),
                               "summary": self.segments.sentence,
                               "traces": [{"where": t.options.get("where"), "features": records(t.table)}
                                          for t in self.segment_traces]}
                              if self.segments is not None else None),
        }


    def _results(self) -> dict[str, Any]:
        """Every step's own document, for :meth:`from_dict`."""
        out = {name: (getattr(self, name).to_dict() if getattr(self, name) is not None else None) for name in _STEP_RESULTS}
        out["segment_traces"] = [t.to_dict() for t in self.segment_traces]
        out["scoring"] = vars(self.scoring)
        out["roles"] = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.roles).items()}
        out["audited_slice"] = self.audited_slice
        out["slice_events"] = self.slice_events
        out["left_out"] = list(self.left_out)
        out["rows"] = self.rows
        out["labels_end"] = self.labels_end
        return out

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "Findings":
        """Findings rebuilt from their ``mlwatch.findings/1`` document (its ``results`` key)."""
        cls._check_schema(payload)
        saved = payload.get("results")
        if not isinstance(saved, Mapping):
            raise SchemaError("Findings.from_dict: this findings document has no 'results' key (written by an "
                              "mlwatch before 0.2, or trimmed); only its verdict and tables can be read, as JSON")
        steps = {name: (kind.from_dict(saved[name]) if saved.get(name) is not None else None)
                 for name, kind in _STEP_RESULTS.items()}
        roles = data.Roles(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved["roles"].items()})
        attribution = shadow = None
        if payload.get("attribution") is not None:
            from mlwatch.steps.attribution import AttributionResult
            attribution = AttributionResult.from_dict(payload["attribution"])
        if payload.get("shadow") is not None:
            from mlwatch.steps.shadow import ShadowComparison
            shadow = ShadowComparison.from_dict(payload["shadow"])
        return cls(roles, Scoring(**saved["scoring"]), steps["signal"], steps["infra"], steps["overall"],
                   steps["slices"], steps["audit"], steps["trace"], Verdict.from_dict(payload["verdict"]),
                   saved["audited_slice"], dict(saved["slice_events"]), attribution, shadow, steps["population_audit"],
                   steps["population_trace"], steps["segments"],
                   tuple(TraceResult.from_dict(t) for t in saved["segment_traces"]), tuple(saved["left_out"]),
                   saved.get("rows"), steps["estimate"], steps["multivariate"], steps["multivariate_slice"],
                   saved.get("labels_end"))


def _audit_records(audit_result: AuditResult, traced: TraceResult | None) -> tuple[list[dict], list[dict]]:
    """The ``features`` and ``quality`` entries of the findings document for one audit."""
    signatures = traced.signatures if traced is not None else {}
    onsets = traced.onsets if traced is not None else {}
    features = [{"feature": r["feature"], "kind": r["kind"], "psi": r["psi"], "ks": r["ks"],
                 "p_value": r["p_value"], "drifted": r["drifted"], "signature": signatures.get(r["feature"]),
                 "onset": onsets.get(r["feature"]),
                 "p_value_adjusted": r["p_value_adjusted"], "js": r["js"], "wasserstein": r["wasserstein"],
                 "noise_floor": r["noise_floor"], "severity": r["severity"], "top_bin": r["top_bin"],
                 "kl": r["kl"], "tv": r["tv"], "psi_expected": r["psi_expected"], "significant": r["significant"],
                 "material": r["material"], "material_by": r["material_by"]}
                for r in records(audit_result.table)]
    quality = [{"feature": r["feature"], "check": r["check"], "reference": r["reference"],
                "current": r["current"], "failed": r["failed"], "detail": r["detail"], "p_value": r["p_value"],
                "p_value_adjusted": r["p_value_adjusted"], "material": r["material"]}
               for r in records(audit_result.quality)]
    return features, quality


def _label(predicate: Mapping[str, str]) -> str:
    return " & ".join(f"{k}={v}" for k, v in predicate.items())


def run(incident, *, kpi: str | None = None, events=None, model=None, challenger: str | None = None,
        alpha: float = 0.05, progress: Callable[[str], None] | None = None, multivariate: bool = True) -> Findings:
    """Steps 1-7 on ``incident`` (an :class:`~mlwatch.incident.Incident`, which holds the data,
    the roles and the scoring) and the verdict; what :meth:`Incident.investigate` runs.
    Labels missing, the slices are searched on the estimated metric (a classifier with
    labelled reference rows) and the per-segment estimate is reported beside them; with
    ``multivariate``, the domain classifier on the population and the audited slice, which the
    verdict reads (drift no marginal shows)."""
    if not 0 < alpha < 1:
        raise MlwatchError(f"alpha must be between 0 and 1, got {alpha}")
    say = progress or (lambda message: None)
    level = levels(alpha)
    ref, cur, scoring, left_out = incident.reference, incident.current, incident.scoring, incident.left_out
    roles = incident.without((kpi, challenger))
    target, prediction, time = roles.target, roles.prediction, roles.time
    say("step 1: signal" if time else "step 1: signal skipped (no time column)")
    sig = signal(ref, cur, scoring, time=time, kpi=kpi) if time else None
    say("step 2: infra")
    inf = infra(ref, cur, time=time)
    say(f"step 4: slices over {', '.join(roles.segments) or 'no segment column'}")
    # a regression's errors can move without growing (a biased model whose target moved towards
    # its predictions): with labels, its bias is searched too, each search at half the level
    signed = replace(scoring, metric="bias") if (scoring.task == "regression" and not scoring.proxy
                                                  and scoring.metric != "bias") else None
    share = 2 if signed is not None else 1
    sl = find_slices(ref, cur, scoring, segments=roles.segments, time=time, alpha=level["slices"] / share)
    say("step 3: overall")
    ov = overall(ref, cur, scoring, segments=roles.segments, slices=sl, alpha=level["global"] / share, time=time)
    if signed is not None and sl.top is None and not ov.degraded:
        say("steps 3-4: the model's errors (prediction - target), overall and by slice")
        # signed errors are heavy-tailed (room prices): on fewer than 100 rows a side a few
        # outliers read as a shift (2 of 120 no-drift hotel splits at the default 50)
        moved = find_slices(ref, cur, signed, segments=roles.segments, time=time, alpha=level["slices"] / share,
                            min_support=BIAS_SUPPORT)
        moved_overall = overall(ref, cur, signed, segments=roles.segments, slices=moved, alpha=level["global"] / share,
                                time=time)
        if moved_overall.degraded and _everywhere(moved):
            ov = moved_overall            # every slice's errors moved one way: the population's
        elif moved.top is not None or moved_overall.degraded:
            sl, ov = moved, moved_overall
    where = sl.top
    # the segment columns are model inputs too
    columns = list(dict.fromkeys([*roles.features, *roles.segments, prediction]))
    if incident.features_named:        # a column the user named must be there
        data.require_columns(cur, columns, name="current")
    # an input lost upstream is an incident, not a column to skip: the audit reports it and
    # the later steps see it as missing in every row
    source, (cur, vanished) = cur, data.fill_missing_columns(ref, cur, columns)
    if vanished:
        say(f"step 5: {', '.join(vanished)} missing from current")
    say(f"step 5: audit of {len(columns)} columns on everything")
    # every row where it lives when the other steps read a sample of it
    audited = incident.sources if incident.sources is not None else (ref, source)
    # never all the rows in memory
    summarised = True if incident.sources is not None and sources.summarisable(incident.sources[1]) else None
    everything = audit(*audited, features=columns, alpha=level["inputs"], missing_columns="report", scan=summarised)
    au, population_audit = everything, None
    if where:
        inside = [c for c in columns if c not in where]      # the columns the slice does not fix
        say(f"step 5: audit of {len(inside)} columns on {_label(where)}")
        au, population_audit = (audit(*audited, features=inside, where=where, alpha=alpha, missing_columns="report",
                                      scan=summarised), everything)
    say("step 5: inputs inside every segment")
    seg = segment_drift(ref, cur, segments=roles.segments, features=columns, alpha=level["segments"],
                        outputs=[prediction])
    say("step 6: trace" + (" with onsets" if time else ""))
    # the model's output moves because its inputs did: it is no root cause, and its onset must
    # not date (or steal the trigger of) the inputs it moves with
    traced = partial(trace, ref, cur, time=time, events=events, outputs=[c for c in (prediction, target) if c],
                     segments=roles.segments)
    tr = traced(features=_suspects(au, prediction), where=where)
    population_trace = (traced(features=_suspects(population_audit, prediction))
                        if population_audit is not None else None)
    segment_traces = tuple(traced(features=[row["feature"]],
                                  where=dict(zip(row["column"].split(" & "), row["value"].split(" & "))))
                           for row in pl.concat([seg.specific.head(MAX_TRACED_SEGMENTS),
                                                 seg.minor.head(MAX_TRACED_MINOR)]).iter_rows(named=True)
                           if row["feature"] != prediction)
    # a segment column re-mapped: dated by the input that moved most inside the re-mapped label
    # (the label's own share may not move at all when two equal codes swap), and inside the label
    # its rows now look like: a swap shows first in whichever of the two has the first row after it
    segment_traces += tuple(traced(features=[row["witness"]], where=where_)
                            for row in seg.relabelled.unique("column", keep="first", maintain_order=True).head(2)
                            .iter_rows(named=True)
                            for where_ in (slice_predicate(row["segment"]),
                                           {**slice_predicate(row["segment"]), row["column"]: row["looks_like"]}))
    # readings frozen inside one segment: interleaved with the other segments' rows, the
    # population's time order shows no run (a third of the segment group's level)
    # and capped inside one segment from some date on: a tail that only thinned in the window's
    # histogram is gone in time order (each a sixth of the segment group's level); and values
    # off the reference's grid, a dozen of them where the reference had none (a sixth too)
    frozen = sorted((frozen_segments(ref, cur, segments=roles.segments, features=roles.features, time=time,
                                     alpha=level["segments"] / 6)
                     + capped_segments(ref, cur, segments=roles.segments, features=roles.features, time=time,
                                       alpha=level["segments"] / 6) if time else [])
                    + off_grid_segments(ref, cur, segments=roles.segments, features=roles.features,
                                        alpha=level["segments"] / 6), key=lambda f: f["p_value"])
    segment_traces += tuple(traced(features=[f["feature"]], where=f["where"], known={f["feature"]: f["signature"]})
                            for f in frozen[:MAX_TRACED_MINOR])
    slice_events = _slice_triggers(ref, cur, time, sl, events, ov.onset) if time and events is not None else {}
    sl, ov = _dated_by_triggers(sl, ov, slice_events)
    drop = None
    if (where or ov.degraded) and not scoring.proxy:
        drop = explain_drop(ref, cur, ov.scoring, features=[c for c in au.table["feature"].to_list() if c != prediction],
                            where=where)
    joint = joint_slice = None
    if multivariate:
        inputs = [c for c in columns if c != prediction and c in cur.columns]
        joint = _joint(ref, cur, inputs, time, None, joint_level(alpha), say)
        if where:
            joint_slice = _joint(ref, cur, [c for c in inputs if c not in where], time, where, alpha, say)
    decided = partial(decide, ov, sl, au, prediction=prediction, trace=tr, slice_events=slice_events, drop=drop,
                      population=population_audit, population_trace=population_trace, segments=seg,
                      segment_traces=segment_traces, frozen=frozen[:MAX_TRACED_MINOR], joint=joint,
                      joint_slice=joint_slice, alpha=alpha)
    verdict = decided()
    moved = _drivers(ref, cur, verdict)
    if moved:       # inputs that drifted together: the one whose mix carried the others first
        verdict = decided(drivers=moved)
    labels_end, unlabelled = _unlabelled_tail(cur, scoring, time) or (None, None)
    if unlabelled:
        verdict = replace(verdict, summary=f"{verdict.summary} {unlabelled}")
    cause = verdict.primary
    if where and cause is not None and cause.feature and cause.onset and cause.scope in (_label(where), "population"):
        # one timeline: the slice broke when its cause began
        sl = sl.dated_by(_label(where), cause.onset, cause.feature, cause.onset_low, cause.onset_high)
    attributed = None
    if model is not None:
        say("attribution: SHAP on 2,000 rows a side" + (f" of {_label(where)}" if where else ""))
        attributed = incident.attribution(model, where=where)
    shadowed = None
    if challenger is not None:
        from mlwatch.steps.shadow import shadow

        say(f"step 7: shadow scoring of {challenger} against {prediction}")
        labelled = target if not scoring.proxy else None
        # a bias has no better side: the challenger is compared on the absolute error then
        compared = {"auc": None, "bias": "mae"}.get(scoring.metric, scoring.metric)
        # a slice read on the window's later half broke there: the fix is compared on those rows too
        since = None
        if where and time and "since" in sl.table.columns:
            read = sl.table.filter(pl.col("slice") == _label(where))["since"]
            since = (time, read[0]) if read.len() and read[0] else None
        shadowed = shadow(cur, prediction, challenger, target=labelled, segments=roles.segments, targeted=where,
                          metric=compared if labelled else None, since=since)
    estimated = _estimate(ref, cur, scoring, roles, say) if scoring.proxy else None
    return Findings(roles, scoring, sig, inf, ov, sl, au, tr, verdict, where, slice_events, attributed, shadowed,
                    population_audit, population_trace, seg, segment_traces, left_out, incident.rows, estimated,
                    joint, joint_slice, labels_end)


def _unlabelled_tail(cur: pl.DataFrame, scoring: Scoring, time: str | None,
                     least: float = 0.05) -> tuple[str, str] | None:
    """When the labels stop before the current window ends (at least a share ``least`` of its
    rows after the last labelled one), the last labelled time and what the verdict cannot see:
    a change of the target's relation to the inputs there. None with labels to the end, or
    none at all.

    >>> import datetime as dt
    >>> days = [dt.datetime(2024, 1, d) for d in range(1, 11)]
    >>> cur = pl.DataFrame({"t": days, "y": [1, 0, 1, 1, None, 0, 1] + [None] * 3})
    >>> end, sentence = _unlabelled_tail(cur, Scoring("p", "y", "classification", "accuracy"), "t")
    >>> print(end, sentence[:70])
    2024-01-07 Labels end at 2024-01-07: the current window's 3 later rows (30%) have
    """
    target = scoring.target
    if scoring.proxy or not time or not target or target not in cur.columns or time not in cur.columns:
        return None
    times = cur[time]
    last = times.filter(cur[target].is_not_null()).max()
    if last is None:
        return None
    after = int((times > last).sum())
    if after < max(least * cur.height, 1):
        return None
    end = format_time(last)
    return end, (f"Labels end at {end}: the current window's {after:,} later rows ({after / cur.height:.0%}) have "
                 "none, and a change there of the target's relation to the inputs (concept drift) cannot be seen yet.")


def _estimate(ref: pl.DataFrame, cur: pl.DataFrame, scoring: Scoring, roles, say) -> EstimateResult | None:
    """Labels missing: the model's performance estimated per segment, from its calibrated
    scores (classification, CBPE) or a model of its loss (regression, direct loss
    estimation), when the reference has labels."""
    if not scoring.target or scoring.target not in ref.columns:
        return None
    segments = [s for s in roles.segments if s in cur.columns]
    try:
        if scoring.task == "regression":
            say(f"labels missing: {scoring.metric} estimated by a model of the loss (direct loss estimation)")
            features = [c for c in dict.fromkeys([*roles.features, *roles.segments])
                        if c in ref.columns and c in cur.columns and c not in (scoring.target, scoring.prediction)]
            return estimate_performance(ref, cur, target=scoring.target, prediction=scoring.prediction,
                                        segments=segments, task="regression",
                                        metric=scoring.metric if scoring.metric != "bias" else "mae",
                                        features=features)
        metric = {"auc": "roc_auc"}.get(scoring.metric, scoring.metric)
        say(f"labels missing: {metric.replace('_', ' ')} estimated from the calibrated scores (CBPE)")
        return estimate_performance(ref, cur, target=scoring.target, prediction=scoring.prediction,
                                    segments=segments, task="classification",
                                    metric=metric if metric in ESTIMATED else "accuracy", threshold=scoring.threshold)
    except ImportError as err:
        say(f"no performance estimate: {err}")
    except DataError as err:          # scores that are not probabilities, one class only: say why, go on
        say(f"no performance estimate: {err}")
    return None


def _joint(ref: pl.DataFrame, cur: pl.DataFrame, inputs: list[str], time, where, alpha: float, say):
    """The domain classifier on the inputs (population or slice) at level ``alpha``, when
    LightGBM is there and the rows are enough."""
    if not inputs:
        return None
    say("multivariate drift: a classifier of current against reference rows" + (f" on {_label(where)}" if where else ""))
    try:
        # one thread: investigations often run side by side (benchmarks, notebooks), and a second
        # thread saves little on 5,000 rows a side
        return multivariate_drift(ref, cur, features=inputs, where=where, time=time, max_rows=JOINT_ROWS,
                                  folds=JOINT_FOLDS, alpha=alpha, n_threads=1)
    except ImportError:
        say("multivariate drift skipped: it needs LightGBM (pip install 'mlwatch[explain]')")
    except DataError as err:
        say(f"multivariate drift skipped: {err}")
    return None


def _drivers(ref: pl.DataFrame, cur: pl.DataFrame, verdict: Verdict) -> dict[str, dict[str, str]]:
    """On a data drift's scope and on the population, which of the inputs the findings name
    there moved because another's mix did (:func:`mlwatch.steps.trace.drivers`), by scope."""
    primary = verdict.primary
    if verdict.kind != "data_drift" or primary is None:
        return {}
    out = {}
    for scope in dict.fromkeys([primary.scope, "population"]):
        moved = list(dict.fromkeys(f.feature for f in verdict.findings if f.kind == "data_drift" and f.scope == scope
                                   and f.feature and f.feature in cur.columns))
        found = drivers(ref, cur, features=moved, where=slice_predicate(scope)) if len(moved) > 1 else {}
        if found:
            out[scope] = found
    return out


def _suspects(result: AuditResult | None, prediction: str) -> list[str]:
    """The input features whose change was significant, or whose quality check was (failed
    or only significant: the trace then reads whether a pipeline fault explains it)."""
    if result is None:
        return []
    found = dict.fromkeys(result.significant + result.failed_checks["feature"].to_list()
                          + result.significant_checks["feature"].to_list())
    return [f for f in found if f != prediction]


def _everywhere(slices: SliceResult) -> bool:
    """Whether the top slice's change is the population's: no significant slice, or the rest
    of the rows moved the same way by at least half as much (a target scaled on every row
    moves the errors most where the target is largest: that slice is not where it lives), or
    more than the slice did."""
    top = slices.table.filter(pl.col("significant")).head(1)
    if not top.height:
        return True
    row = top.row(0, named=True)
    rest = row.get("rest_delta")
    if rest is None or not np.isfinite(rest):
        return False
    # a slice that held while every other row's errors moved stands out as much as one that
    # moved alone: the rest moved more than it did, so the change is the rest's, the population's
    return (rest * row["delta"] > 0 and abs(rest) >= 0.5 * abs(row["delta"])) or abs(rest) > abs(row["delta"])


def _bucket_start(onset: str, positions: list[float], like) -> float | None:
    """The start of the time bucket holding ``onset`` (a time as :func:`format_time` writes
    it), None before the first bucket or when it does not read as a time of the axis.

    >>> _bucket_start("1970-01-02T06:00:00", [0.0, 86400.0, 172800.0], dt.datetime(1970, 1, 1))
    86400.0
    >>> _bucket_start("2017", [2016.0, 2017.0], 2016.0), _bucket_start("2015", [2016.0, 2017.0], 2016.0)
    (2017.0, None)
    """
    from mlwatch.steps.trace import _as_number

    try:
        value = _as_number(dt.datetime.fromisoformat(onset) if isinstance(like, (dt.date, dt.datetime)) else float(onset))
    except ValueError:
        return None
    index = int(np.searchsorted(np.asarray(positions), value, side="right")) - 1
    return float(positions[index]) if index >= 0 else None


def _dated_by_triggers(slices: SliceResult, overall_: OverallResult, triggers: dict):
    """The slices (and the global metric, ``"population"``) whose change is dated anew given
    its likely trigger (:func:`_slice_triggers`), their windows kept."""
    for scope, found in triggers.items():
        if "onset" not in found:
            continue
        if scope == "population":
            overall_ = replace(overall_, onset=found["onset"])
            continue
        row = slices.table.filter(pl.col("slice") == scope).row(0, named=True)
        slices = slices.dated_by(scope, found["onset"], row["onset_from"], row["onset_low"], row["onset_high"])
    return slices, overall_


def _slice_triggers(ref: pl.DataFrame, cur: pl.DataFrame, time: str, slices: SliceResult, events,
                    overall_onset: str | None = None) -> dict:
    """The upstream event that best explains each significant slice's onset (and the global
    metric's, under ``"population"``), and, with labels, the onset given that event
    (:func:`~mlwatch.steps.trace.onset_given`) under ``"onset"``."""
    from mlwatch.steps.scoring import format_time, time_buckets, time_label
    from mlwatch.steps.trace import _as_number, check_event_times, likely_trigger, load_events, onset_given

    listed = load_events(events)
    _, _, starts = time_buckets(ref[time], cur[time])
    check_event_times(listed, starts[0])
    positions = [_as_number(t) for t in starts]
    width = float(np.median(np.diff(positions))) if len(positions) > 1 else 1.0
    out = {}
    dated = [(row["slice"], predicate, row["onset"]) for row, predicate in zip(slices.table.iter_rows(named=True),
                                                                               slices.predicates)
             if row["significant"] and row["onset"] is not None]
    for scope, predicate, onset in dated + ([("population", None, overall_onset)] if overall_onset else []):
        # an onset read to the row (the errors' shift) is held to its bucket, as a bucket's is
        at = _bucket_start(onset, positions, starts[0])
        if at is None:
            continue
        found, posterior = likely_trigger(at, at, width, listed), None
        if listed and slices.scoring.proxy is None:
            posterior = error_posterior(ref, cur, slices.scoring, time, predicate)
        if found is None and posterior is not None:
            # no event at the onset: the one after which the errors most likely began to move
            found = likely_trigger(at, at, width, listed, posterior=posterior)
        if found is not None:
            out[scope] = {"event": found[1], "event_time": format_time(found[0])}
            # the errors dated given their trigger: the rows of a slice date a change within days
            moved = onset_given(posterior, _as_number(found[0]), width)
            if moved is not None:
                out[scope]["onset"] = time_label(moved, starts[0])
    return out

