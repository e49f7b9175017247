"""The verdict: DESIGN.md's decision matrix, in one sentence a person can read aloud, behind
one multiple-testing design.

| finding | kind | action |
|---|---|---|
| a pipeline signature (unit change, re-mapped codes, stale, clipped or defaulted values) | ``skew`` | fix the pipeline |
| null spikes, out-of-range values, new or lost categories, type changes | ``data_quality`` | fix the data, then look again |
| performance fell while the inputs did not shift | ``concept_drift`` | retrain on recent labelled data |
| the inputs shifted materially | ``data_drift`` | monitor; retrain only if performance drops |
| nothing beyond noise | ``none`` | nothing to do |

**The family behind it.** Every test that can raise a verdict belongs to one of five
groups, each with a share of the level ``alpha`` (5 %):

* the global metric's rise (``alpha / 10``);
* every slice candidate's rise beyond the rest of the population, Benjamini-Hochberg
  inside the slice search (``3 alpha / 10``);
* every feature's drift test and every data-quality check on the whole population,
  Benjamini-Hochberg across them (``3 alpha / 10``);
* every feature's drift inside every segment (:mod:`mlwatch.steps.segments`),
  Benjamini-Hochberg across the pairs (``3 alpha / 10``);
* readings frozen inside one segment, readings capped inside one from some date on, and
  values off the reference's grid in a segment or the population (:mod:`mlwatch.steps.frozen`),
  each Bonferroni across what it scanned (``alpha / 20`` each, on top of the segments' share);
* the domain classifier on the whole population (:mod:`mlwatch.steps.multivariate`,
  ``alpha / 20``, on top as well; it also needs an AUC of 0.55, which a few thousand rows a
  side never reach by chance). The union bound below is then ``1.2 alpha``, measured at most
  3.5 % on the random splits.

The tests run on the broken slice (its drift tests and quality checks, BH at ``alpha``)
are *gated*: they are only run once a slice has been found, which under no change is
already a false verdict. Under no change at all, a false verdict therefore needs a false
rejection in one of the four groups, and the chance of that is at most the sum of their
levels, ``alpha`` (the union bound, whatever the dependence between groups; within a
group, BH's family-wise rate under the global null is its level for independent or
positively dependent tests, which the slices, nested in one another, and the features,
sharing rows, are). Signatures (step 6) add no test: a signature names *how* a feature
whose drift test was rejected changed; it is read only on rejected features.

**Evidence, not precedence, decides between kinds.** Each candidate finding carries its
adjusted p-value and the rows it concerns. Its strength is ``-log10`` of the adjusted
p-value, capped at 10 (beyond that, a smaller p-value measures the sample size, not the
finding). The strongest finding's kind wins; findings within two orders of magnitude of it (or also
decisive) tie, and the most actionable of the tied kinds comes first (skew, data quality,
concept drift, data drift): a pipeline fault found beyond doubt is named before a data
drift found beyond doubt, but a weak finding on a hundred rows never outranks a strong
one. A segment's view of a change the whole population shows (the rest of the population
changed too) adds no evidence of its own and is left out. Concept drift is the finding of a broken slice
(or a degraded global metric) that no
input explains: no cause on its rows found with evidence within two orders of magnitude of
the fall's, and no input whose new mix explains the drop.

**Drift no marginal shows.** When the domain classifier tells the windows apart by
features no other finding names (each feature's own distribution held), that is
``data_drift`` with the separating features named and dated by the classifier's AUC per
time bucket: a correlation that flipped, two inputs that stopped moving together.

**Without labels** the slice search and the global step read the *estimated* metric
(:mod:`mlwatch.steps.scoring`'s ``"estimated"`` proxy): a slice whose estimated metric fell
is where the audit looks, and the sentence says the metric is an estimate. An estimate moves
only when the inputs do, so it is never concept drift; when no input explains the fall, the
model's scores moved on that slice, which is reported as the data drift it is.

**Minor drift counts where it explains a fault.** A feature whose change is significant
but below the material thresholds is not data drift; if its signature is a pipeline
fault (a unit change on 5 % of the rows), it is skew.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

import numpy as np
import polars as pl

from mlwatch.stats.quality import DATA_CHECKS, PIPELINE_CHECKS
from mlwatch.stats.signatures import PIPELINE
from mlwatch.steps.scoring import time_position
from mlwatch.steps.slices import slice_label, slice_predicate

KINDS = ("none", "data_drift", "concept_drift", "skew", "data_quality")
ORDER = ("skew", "data_quality", "concept_drift", "data_drift")
ACTIONS = {
    "skew": "fix the pipeline, do not retrain",
    "data_quality": "fix the data upstream, then look again",
    "concept_drift": "retrain on recent labelled data",
    "data_drift": "monitor; retrain only if performance drops",
    "none": "nothing to do",
}
PIPELINE_SIGNATURES = PIPELINE          # unit change, re-mapped codes, stale, clipped, defaulted values
PILES = ("stuck", "clipping", "default_flood")    # the faults that pile rows on one value
QUALITY_CHECKS = DATA_CHECKS
SKEW_CHECKS = PIPELINE_CHECKS           # stale, defaulted, re-scaled values: pipeline faults
BUDGET = {"global": 0.1, "slices": 0.3, "inputs": 0.3, "segments": 0.3}   # shares of alpha; they add up to 1
JOINT = 0.05             # the domain classifier's share of alpha, on top (see the module)
DECISIVE = 10.0          # -log10 p beyond which evidence is decisive
TIE = 2.0                # orders of magnitude within which findings tie


def levels(alpha: float = 0.05) -> dict[str, float]:
    """The level of each group of the verdict's family.

    >>> levels(0.05)
    {'global': 0.005, 'slices': 0.015, 'inputs': 0.015, 'segments': 0.015}
    """
    return {group: round(alpha * share, 12) for group, share in BUDGET.items()}


def joint_level(alpha: float = 0.05) -> float:
    """The domain classifier's level on the whole population (on top of :func:`levels`)."""
    return round(alpha * JOINT, 12)


@dataclass(frozen=True)
class Finding:
    """One candidate finding: the kind it would make the verdict, where, its evidence."""

    kind: str
    test: str                  # "global", "slice", "drift" or a quality check's name
    scope: str                 # "population" or the slice's label
    feature: str | None
    p_value_adjusted: float
    rows: int
    sentence: str
    signature: str | None = None
    onset: str | None = None          # when the change began (step 6, or the slice's onset)
    event: str | None = None          # the upstream event that likely triggered it
    event_time: str | None = None
    described: bool = False           # the sentence is the signature's (it says how)
    confined: bool = False            # a change that lives in its segment (nothing outside it changed)
    onset_low: str | None = None      # the window it likely began in (step 6: its posterior's central 95 %)
    onset_high: str | None = None
    driver: str | None = None         # the input whose new mix explains this one's change (step 6)

    @property
    def strength(self) -> float:
        """``-log10`` of the adjusted p-value, capped at :data:`DECISIVE`."""
        return float(min(-np.log10(max(self.p_value_adjusted, 1e-300)), DECISIVE))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "test": self.test, "scope": self.scope, "feature": self.feature,
                "p_value_adjusted": float(self.p_value_adjusted), "strength": self.strength, "rows": self.rows,
                "signature": self.signature, "sentence": self.sentence, "onset": self.onset, "event": self.event,
                "event_time": self.event_time, "described": self.described, "confined": self.confined,
                "onset_low": self.onset_low, "onset_high": self.onset_high, "driver": self.driver}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "Finding":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in names})


def _traced(kind: str, test: str, scope: str, feature: str, p_value: float, rows: int, sentence: str | None,
            traced: dict) -> Finding:
    """A finding about a feature, with step 6's signature, onset and likely trigger (if any)
    and the sentence that says them (the signature's, when ``sentence`` is None)."""
    onset, event = traced.get("onset"), traced.get("event")
    described = sentence is None and bool(traced.get("sentence"))
    text = (traced.get("sentence") if sentence is None else sentence) or f"{feature} changed"
    return Finding(kind, test, scope, feature, p_value, rows, text + _when(onset, event, traced.get("event_time")),
                   traced.get("signature"), onset, event, traced.get("event_time") if event else None, described,
                   bool(traced.get("confined", False)), *_window(traced, onset), traced.get("driver"))


@dataclass(frozen=True)
class Verdict:
    kind: str
    summary: str
    action: str
    secondary: tuple[str, ...] = field(default_factory=tuple)
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    family: dict[str, Any] = field(default_factory=dict)

    @property
    def primary(self) -> Finding | None:
        """The finding the verdict is named after (None when it is ``none``)."""
        return self.findings[0] if self.findings else None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "summary": self.summary, "action": self.action, "secondary": list(self.secondary),
                "findings": [f.to_dict() for f in self.findings], "family": self.family}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "Verdict":
        return cls(payload["kind"], payload["summary"], payload["action"], tuple(payload.get("secondary", ())),
                   tuple(Finding.from_dict(f) for f in payload.get("findings", ())), dict(payload.get("family", {})))


def decide(overall, slices, audit, *, prediction: str | None = None, trace=None, slice_events: dict | None = None,
           drop=None, population=None, population_trace=None, segments=None, segment_traces=(), frozen=(),
           joint=None, joint_slice=None, drivers: Mapping[str, Mapping[str, str]] | None = None,
           explained_share: float = 0.5, alpha: float = 0.05) -> Verdict:
    """The verdict from steps 3-6 (see the module docstring for the design).

    ``audit`` and ``trace`` are steps 5 and 6 on the audited scope: the most degraded
    significant slice, or the whole population when none is. ``population`` and
    ``population_trace`` are the same on the whole population when a slice was audited
    (None otherwise). ``segments`` is the search for inputs that changed inside a segment
    (:func:`mlwatch.steps.segments.segment_drift`), ``segment_traces`` step 6 on each of its
    specific pairs, in order (then on the ``frozen`` pairs of
    :func:`mlwatch.steps.frozen.frozen_segments` and
    :func:`mlwatch.steps.frozen.capped_segments`). ``drop`` is
    :func:`mlwatch.steps.overall.explain_drop` on the audited scope. ``joint`` and
    ``joint_slice`` are the domain classifier (:func:`mlwatch.steps.multivariate.multivariate_drift`)
    on the population (at :func:`joint_level`) and on the audited slice (at ``alpha``).
    ``drivers`` says, by scope, which inputs moved because another's mix did
    (:func:`mlwatch.steps.trace.drivers`): the driver is named before them.
    """
    scoring = overall.scoring
    top = slices.table.filter(pl.col("significant")).head(1) if slices is not None else pl.DataFrame()
    where = top["slice"][0] if top.height else None
    findings: list[Finding] = []
    if where is not None:
        findings += _causes(audit, trace, where, prediction)
        findings += _causes(population, population_trace, "population", prediction)
    else:
        findings += _causes(audit, trace, "population", prediction)
    seen = {f.feature for f in findings}
    relabelled = _relabel_causes(segments, segment_traces)
    remapped = {f.feature for f in relabelled}
    # inside a re-mapped label every input seems to move: the audited slice's too, when a
    # re-mapped column defines it (spring's rows are summer's now: warmer, more humid)
    findings = [f for f in findings if not _names(f.scope, remapped)] + relabelled
    findings += _frozen_causes(frozen, segment_traces, findings)
    findings += [f for f in _segment_causes(segments, segment_traces, prediction)
                 if (f.confined or f.feature not in seen)     # a segment's view of a change everyone saw adds nothing
                 and not _names(f.scope, remapped)]           # inside a re-mapped label: its echo
    findings = _without_echoes(findings)
    findings = _widened(findings, (trace, *segment_traces))
    findings += _joint_causes(joint, "population", findings)
    if where is not None and not _names(where, remapped):
        findings += _joint_causes(joint_slice, where, findings)
    symptom = _symptom(overall, top, slice_events)
    if symptom is not None and any(_names(symptom.scope, {f.feature}) and _meet(symptom.scope, f.scope)
                                   for f in relabelled):
        # a re-mapped label's rows are another label's now: the model errs there, the swap's echo
        symptom = None
    if symptom is not None and scoring.proxy and not findings:
        # an estimated fall no input explains: the model's scores moved there
        findings.append(replace(symptom, kind="data_drift", test="estimate", feature=prediction,
                                sentence=f"the model's scores moved: {_performance(overall, top)}"))
    shifted = None
    if symptom is not None and not scoring.proxy:
        on_scope = [f for f in findings if f.scope == symptom.scope]
        if drop is not None and drop.height:
            best = drop.row(0, named=True)
            if best["mix_share"] >= explained_share and best["feature"] != prediction:
                shifted = best
        if shifted is not None and not any(f.kind == "data_drift" and f.feature == shifted["feature"]
                                           for f in on_scope):
            findings.append(Finding("data_drift", "mix", symptom.scope, shifted["feature"], symptom.p_value_adjusted,
                                    symptom.rows, f"{shifted['mix_share']:.0%} of its fall is the model on the new "
                                    f"mix of {shifted['feature']}", None,
                                    symptom.onset, symptom.event, symptom.event_time,
                                    onset_low=symptom.onset_low, onset_high=symptom.onset_high))
        elif shifted is None and not _explained(symptom, on_scope):
            findings.append(symptom)
    # after the symptom is read: the slice's changes explain its drop wherever they are placed
    findings = _not_the_slices_own(findings, segments)
    if where is not None:
        findings = _everyones_mix(findings, segments, population)
    findings = _at_home(findings, population_trace if where is not None else trace, (trace, *segment_traces))
    findings = _sharpest_dates(findings)
    family = _family(overall, slices, audit if where is None else population, segments, alpha, joint)
    if not findings:
        return _nothing(overall, top, audit if where is None else population, family)
    findings = [replace(f, driver=(drivers or {}).get(f.scope, {}).get(f.feature) or f.driver) for f in findings]
    primary = _primary(findings)
    summary = _sentence(primary, findings, overall, top, shifted, symptom)
    if scoring.proxy == "estimated" and symptom is not None and primary.test != "estimate" and _fell_itself(top):
        summary += f" Meanwhile {_performance(overall, top)} (an estimate: it assumes no concept drift)."
    if scoring.proxy:
        summary += " (Reached without labels: on the inputs and the model's scores.)"
    secondary = tuple(dict.fromkeys(_describe(f) for f in sorted(findings, key=_rank)
                                    if f.kind != primary.kind))
    ranked = (primary,) + tuple(f for f in sorted(findings, key=_rank) if f is not primary)
    return Verdict(primary.kind, summary, ACTIONS[primary.kind], secondary, ranked, family)


def _without_echoes(findings: list[Finding]) -> list[Finding]:
    """Without the findings inside a label another finding reads as re-mapped on rows they
    share: weathersit's 'Clear' and 'Mist' swapped on spring working days fills spring's
    misty rows with clear days, drier ones, and that humidity "shift" is the swap's echo, not a
    cause (it outranked the swap, "monitor" for a pipeline fault).

    >>> swap = Finding("skew", "segment_drift", "season=spring & workingday=Yes", "weathersit", 1e-3, 710, "",
    ...                signature="encoding_permutation")
    >>> echo = replace(swap, kind="data_drift", scope="season=spring & weathersit=Mist", feature="hum", signature="shift")
    >>> apart = replace(echo, scope="season=fall & weathersit=Mist")
    >>> [f.scope for f in _without_echoes([echo, swap, apart])]
    ['season=spring & workingday=Yes', 'season=fall & weathersit=Mist']
    """
    swaps = [f for f in findings if f.kind == "skew" and f.signature == "encoding_permutation" and f.feature]
    if not swaps:
        return findings

    def echo(f: Finding) -> bool:
        return any(f is not s and f.feature != s.feature and _names(f.scope, {s.feature}) and _meet(f.scope, s.scope)
                   for s in swaps)
    return [f for f in findings if not echo(f)]


def _meet(a: str, b: str) -> bool:
    """Whether two scopes can hold the same rows: no column set to two values."""
    parts = [slice_predicate(scope) or {} for scope in (a, b)]
    return all(parts[1].get(column, value) == value for column, value in parts[0].items())


def _names(scope: str, columns: set) -> bool:
    """Whether ``scope`` (``"a=1 & b=2"`` or ``"population"``) holds a condition on one of ``columns``."""
    return scope != "population" and any(part.split("=", 1)[0] in columns for part in scope.split(" & "))


def _on(scope: str) -> str:
    return "" if scope == "population" else f" on {scope}"


def _causes(audit, trace, scope: str, prediction: str | None) -> list[Finding]:
    """The findings of one audit (and its trace) that can explain an incident."""
    if audit is None:
        return []
    signatures = {}
    if trace is not None:
        for row in trace.table.iter_rows(named=True):
            signatures[row["feature"]] = row
    out = []
    for row in audit.table.filter(pl.col("significant")).iter_rows(named=True):
        feature = row["feature"]
        if feature == prediction:
            continue
        traced = signatures.get(feature, {})
        rows = int(row["n_current"])
        if traced.get("signature") in PIPELINE_SIGNATURES:
            out.append(_traced("skew", "drift", scope, feature, row["p_value_adjusted"], rows, None, traced))
        elif row["drifted"]:
            out.append(_traced("data_drift", "drift", scope, feature, row["p_value_adjusted"], rows,
                               None if traced.get("sentence") else f"{feature} shifted (PSI {row['psi']:.2f})",
                               traced))
    for row in audit.significant_checks.filter(~pl.col("failed")).iter_rows(named=True):
        # significant but immaterial: a finding only when a pipeline fault's signature explains it
        feature, traced = row["feature"], signatures.get(row["feature"], {})
        if feature != prediction and traced.get("signature") in PIPELINE_SIGNATURES:
            out.append(_traced("skew", row["check"], scope, feature, row["p_value_adjusted"], int(audit.n_current),
                               None, traced))
    for row in audit.failed_checks.iter_rows(named=True):
        feature = row["feature"]
        if feature == prediction:
            continue
        traced = signatures.get(feature, {})
        name = traced.get("signature")
        if row["check"] in QUALITY_CHECKS:
            kind = "data_quality"
        elif row["check"] == "value_spike" and name in ("shift", "scale"):
            kind = "data_drift"       # step 6 read the rows holding the value as genuine: the mix moved
        elif row["check"] in SKEW_CHECKS:
            kind = "skew"
        else:
            continue
        own = (name in PIPELINE_SIGNATURES if kind == "skew" else name in SEGMENT_KINDS) and row["check"] != "column_missing"
        out.append(_traced(kind, row["check"], scope, feature, row["p_value_adjusted"], int(audit.n_current),
                           None if own else row["detail"] if row["check"] == "column_missing"
                           else f"{feature}: {row['detail']}", traced))
        if name in PIPELINE_SIGNATURES and kind != "skew":
            # the check's rejection is about this feature, and its signature says how it changed:
            # skew, with this test's evidence (the strongest of the feature's tests wins)
            out.append(_traced("skew", row["check"], scope, feature, row["p_value_adjusted"], int(audit.n_current),
                               None, traced))
    return out


SEGMENT_KINDS = {"null_spike": "data_quality", "new_category": "data_quality", "missing_category": "data_quality"}
# a segment's own drift that is no fault: confined to it (the rest of the rows held), material
# at the audit's bar (5 rows in 100 beyond sampling: a campaign, a new client); where the rest
# moved too, a population's slow change shows more in some segments than in others (widowed
# men's ages, 2015 against 2016-2018), and the segment must move twice as far
SEGMENT_DRIFT_TV = 0.05
SEGMENT_WIDE_DRIFT_TV = 0.1
MOVED_MEMBERSHIP = 1e-3     # a segment whose share of the rows changed this surely holds other rows


def _by_scope(traces) -> dict[tuple[str, str], dict]:
    """Step 6's rows by (scope, feature), the scope written as the segment tables write it."""
    traced = {}
    for result in traces:
        where = result.options.get("where") or {}
        label = " & ".join(f"{k}={v}" for k, v in where.items()) or "population"
        for row in result.table.iter_rows(named=True):
            traced[(label, row["feature"])] = row
    return traced


def _relabel_causes(segments, traces) -> list[Finding]:
    """A segment column whose labels were re-mapped (its values' current rows look like other
    values' reference rows): skew, on the rows where it happened, with the evidence of the
    segment's change, dated by step 6 on the input that moved most inside the re-mapped label."""
    if segments is None or not getattr(segments, "relabelled", pl.DataFrame()).height:
        return []
    traced = _by_scope(traces)
    out = []
    for row in segments.relabelled.unique("column", keep="first", maintain_order=True).iter_rows(named=True):
        witness = _first_shown(traced.get((row["segment"], row.get("witness")), {}),
                               traced.get((_partner(row), row.get("witness")), {}))
        found = {k: witness[k] for k in ("onset", "onset_low", "onset_high", "event", "event_time") if witness.get(k)}
        share, mix = row.get("share"), row.get("tv_mix")
        part = "" if share is None or share >= 0.95 else f"{share:.0%} of "
        mix = row["tv_other"] if mix is None else mix
        sentence = (f"{row['column']} looks re-mapped{_on(row['scope'])}: {part}its rows labelled {row['value']!r} now "
                    f"look like the reference's {row['looks_like']!r} rows (their inputs are {mix:.2f} from "
                    f"that mix, {row['tv_own']:.2f} from their own label's): the encoding changed upstream")
        out.append(_traced("skew", "relabelled", row["scope"], row["column"], row["p_value_adjusted"],
                           int(row["n_current"]), sentence,
                           {**found, "signature": "encoding_permutation", "sentence": None,
                            "confined": row["scope"] != "population"}))
    return out


def _partner(row: dict) -> str:
    """The segment of a re-mapped label's rows with the label they now look like instead."""
    return slice_label({**slice_predicate(row["segment"]), row["column"]: row["looks_like"]})


def _first_shown(own: dict, partner: dict) -> dict:
    """Of a re-mapping's dating on its label's rows (``own``) and on the rows of the label they
    look like (``partner``: two codes swapped change both), the earlier, where it falls
    inside the other's window: a swap began no later than the first row either shows it in
    (codes swapped on Thursdays, 'fall' seen first three days after 'spring'). An onset
    outside the other's window is another change."""
    if not (own.get("onset") and partner.get("onset") and own.get("onset_low") and own.get("onset_high")):
        return own
    at = time_position(partner["onset"])
    inside = time_position(own["onset_low"]) <= at <= time_position(own["onset_high"])
    return partner if inside and at < time_position(own["onset"]) else own


def _segment_causes(segments, traces, prediction: str | None) -> list[Finding]:
    """The inputs that changed inside one segment and not in the population, named by the
    signature step 6 reads there (a pipeline fault is skew; nulls and new or lost
    categories data quality; any other change, data drift, when it moved at least a tenth
    of the segment's rows: a population has many segments, and the small ones wander)."""
    if segments is None:
        return []
    traced = _by_scope(traces)
    out = []
    for row in segments.specific.iter_rows(named=True):
        # a segment whose share of rows moved holds other rows than before (its defining column
        # was re-mapped): what changed inside it is a consequence, not a cause
        if row["feature"] == prediction or row["membership_p_value"] < MOVED_MEMBERSHIP:
            continue
        found = traced.get((row["segment"], row["feature"]), {})
        name = found.get("signature")
        kind = "skew" if name in PIPELINE_SIGNATURES else SEGMENT_KINDS.get(name, "data_drift")
        # the lower bar only where the rest showed no change at all: "confined" also forgives
        # the rest an immaterial move (to place a fault), but a drift that is no fault needs
        # the stricter proof that nothing else moved
        held = row["confined"] and row["rest_p_value"] >= segments.options["alpha"]
        bar = SEGMENT_DRIFT_TV if held else SEGMENT_WIDE_DRIFT_TV
        if kind == "data_drift" and row["tv"] - row["tv_expected"] < bar:
            continue
        sentence = None if found.get("sentence") else f"{row['feature']} changed ({row['tv']:.0%} of rows moved bin)"
        out.append(_traced(kind, "segment_drift", row["segment"], row["feature"], row["p_value_adjusted"],
                           int(row["n_current"]), sentence, {**found, "confined": row["confined"]}))
    for row in segments.minor.iter_rows(named=True):
        # too small to be material, but a pipeline fault's signature explains it: skew there
        found = traced.get((row["segment"], row["feature"]), {})
        if (row["feature"] != prediction and row["membership_p_value"] >= MOVED_MEMBERSHIP
                and found.get("signature") in PIPELINE_SIGNATURES):
            out.append(_traced("skew", "segment_drift", row["segment"], row["feature"], row["p_value_adjusted"],
                               int(row["n_current"]), None,
                               {**found, "confined": row["rest_p_value"] >= segments.options["alpha"]}))
    return out


def _widened(findings: list[Finding], traces) -> list[Finding]:
    """A fault step 6 found wider than the scope it traced (labels re-mapped the same way in
    the rows around it, its row's ``home``: :func:`mlwatch.steps.trace._remapped_wider`),
    placed on that wider scope, once. A scope whose own column was re-mapped never gets here
    (:func:`decide` drops its findings as echoes first): with SEX's labels swapped, RELP's
    householders and spouses swap among the men and among the women alike, an echo the
    widening would take for RELP re-mapped on both."""
    homes = {key: row for key, row in _by_scope([t for t in traces if t is not None]).items()
             if key[0] != "population" and row.get("home")}
    out, placed = [], set()
    for f in findings:
        home = homes.get((f.scope, f.feature))
        if home is not None and f.signature == home["signature"]:
            if (home["home"], f.feature) in placed:
                continue
            placed.add((home["home"], f.feature))
            f = replace(f, scope=home["home"], rows=int(home["home_rows"]), confined=home["home"] != "population")
        out.append(f)
    # the same fault read on a scope inside the one it was placed on is a view of it (SEX
    # swapped on every row, placed on the population from the widowed, also read as the
    # married's re-mapped labels)
    widened = {(f.feature, f.signature): frozenset() if f.scope == "population" else _predicates(f.scope)
               for f in out if (f.scope, f.feature) in placed}
    return [f for f in out if (f.scope, f.feature) in placed or (f.feature, f.signature) not in widened
            or not widened[(f.feature, f.signature)] <= _predicates(f.scope)]


def _frozen_causes(frozen, traces, found: list[Finding]) -> list[Finding]:
    """A reading frozen (or capped) inside one segment is skew there, dated by step 6 on that
    segment."""
    traced, out = _by_scope(traces), []
    for item in frozen:
        scope = slice_label(item["where"]) or "population"
        if any(f.scope == scope and f.feature == item["feature"] and f.kind == "skew" for f in found):
            continue
        name = item["signature"].name
        reading = traced.get((scope, item["feature"]), {})
        if reading.get("signature") != name:
            reading = {"signature": name, "sentence": item["signature"].sentence}
        out.append(_traced("skew", name, scope, item["feature"], item["p_value"],
                           int(item["signature"].evidence["rows"]), None, {**reading, "confined": True}))
    return out


def _symptom(overall, top: pl.DataFrame, slice_events: dict | None) -> Finding | None:
    """The performance finding (a broken slice, else a degraded global metric), as the
    concept drift it is when nothing else explains it."""
    if overall.scoring.proxy not in (None, "estimated"):
        return None
    if top.height and overall.degraded and _shared(top, overall.scoring, overall):
        # labels flipped on half of every row fall furthest where the model was right: the
        # worst slice is where the population's fall shows most, not where it lives
        row = top.row(0, named=True)
        trigger, cause = _trigger(slice_events, "population")
        return Finding("concept_drift", "global", "population", None, overall.p_value,
                       int(overall.table["n"][1]),
                       f"{_performance(overall, pl.DataFrame())} (most on {row['slice']}: "
                       f"{row['metric_reference']:.3g} to {row['metric_current']:.3g}){cause} while the inputs "
                       "did not shift", None, overall.onset, trigger.get("event"), trigger.get("event_time"),
                       onset_low=overall.onset_low, onset_high=overall.onset_high)
    if top.height:
        row = top.row(0, named=True)
        trigger, cause = _trigger(slice_events, row["slice"])
        return Finding("concept_drift", "slice", row["slice"], None, row["p_value_adjusted"], int(row["n_current"]),
                       _performance(overall, top) + cause + " while its inputs did not shift", None, row.get("onset"),
                       trigger.get("event"), trigger.get("event_time"), onset_low=row.get("onset_low"),
                       onset_high=row.get("onset_high"))
    if overall.degraded:
        trigger, cause = _trigger(slice_events, "population")
        return Finding("concept_drift", "global", "population", None, overall.p_value,
                       int(overall.table["n"][1]), _performance(overall, top) + cause + " while the inputs did not shift",
                       None, overall.onset, trigger.get("event"), trigger.get("event_time"), onset_low=overall.onset_low,
                       onset_high=overall.onset_high)
    return None


def _explained(symptom: Finding, on_scope: list[Finding]) -> bool:
    """Whether the findings on a broken slice's scope can explain its fall: one of them holds
    evidence within :data:`TIE` orders of magnitude of the fall's. A rare value no current row
    of the slice carries (11 rows of 1,700 in the reference, p 0.002) is no cause of a fall at
    p 1e-10: the fall is then concept drift, beside it."""
    return any(f.strength >= symptom.strength - TIE for f in on_scope)


def _trigger(slice_events: dict | None, scope: str) -> tuple[dict, str]:
    """The likely trigger of a performance change on ``scope`` and its words in the sentence."""
    trigger = (slice_events or {}).get(scope) or {}
    return trigger, (f" (likely trigger: {trigger['event']}, {trigger['event_time']})" if trigger else "")


def _shared(top: pl.DataFrame, scoring, overall=None) -> bool:
    """Whether the rest of the population moved the way the broken slice did, by half its
    move or more: the slice then fell most, not alone.

    Accuracy is read on the room each side had to fall: labels flipped on a share ``f`` of
    every row take ``f (2a - 1)`` from an accuracy ``a``, so the same flips take twice as much
    from a slice the model got right 99 % of the time as from the rest at 75 %. Each move is
    divided by its ``2a - 1`` (the rest's ``a`` from the population's and the slice's
    reference values) before the two are compared: SCHL=2's fall of 0.53 against the rest's
    0.25 (under half) is 0.54 against 0.39 of their rooms. Near chance (``a`` under 0.6) the
    moves are compared as they are: ``2a - 1`` would magnify the rest's noise."""
    row = top.row(0, named=True)
    rest, delta = row.get("rest_delta"), row["delta"]
    if rest is None or not np.isfinite(rest):
        return False
    if scoring.metric == "accuracy" and not scoring.proxy and overall is not None:
        n, total = row["n_reference"], int(overall.table["n"][0])
        a_slice = row["metric_reference"]
        a_rest = (total * float(overall.table["metric"][0]) - n * a_slice) / max(total - n, 1)
        if min(a_slice, a_rest) >= 0.6:
            rest, delta = rest / (2 * a_rest - 1), delta / (2 * a_slice - 1)
    return (np.sign(rest) == np.sign(delta)
            and abs(rest) >= 0.5 * abs(delta) and (scoring.two_sided or (delta < 0) == scoring.higher_is_better))


def _fell_itself(top: pl.DataFrame) -> bool:
    """Whether the broken slice's own metric fell more than the rest's moved (not a slice
    that held while the rest improved: an estimate's "relative" fall is seldom worth a word)."""
    if not top.height:
        return True
    row = top.row(0, named=True)
    rest = row.get("rest_delta")
    return rest is None or not np.isfinite(rest) or abs(rest) < 0.5 * abs(row["delta"])


def _joint_causes(result, scope: str, found: list[Finding]) -> list[Finding]:
    """The domain classifier's drift, when it names features no other finding does (their
    own distributions held: the change is in how they go together)."""
    if result is None or not result.drifted:
        return []
    named = result.separating[:3]
    if not named or any(f.feature in named for f in found):
        return []
    together = " and ".join([", ".join(named[:-1]), named[-1]]) if len(named) > 1 else named[0]
    whose = "each one's" if len(named) > 1 else "its"
    sentence = (f"the joint distribution of {together} moved while {whose} own "
                f"distribution held (a classifier tells current from reference rows: AUC {result.auc:.2f}, "
                f"{result.low:.2f}-{result.high:.2f})")
    if result.pairs.height:
        pair = result.pairs.row(0, named=True)
        sentence += f"; {pair['feature_a']} and {pair['feature_b']} interact most"
    onset = result.onset
    if onset is not None and onset == result.buckets["bucket"][0]:
        when = f", from the start of the current window ({onset})"
    else:
        when = f", since {onset}" if onset else ""
    return [Finding("data_drift", "multivariate", scope, named[0], result.p_value, int(result.n_current),
                    sentence + when, "joint_shift", onset, described=True)]


def _predicates(label: str) -> frozenset:
    return frozenset(part.strip() for part in label.split(" & "))


def _not_the_slices_own(findings: list[Finding], segments, alike_share: float = 0.7) -> list[Finding]:
    """The broken slice's findings about a change the whole population shows alike, placed on
    the population: the feature changed on the population too, and inside the slice the
    segment search measured the change no larger than in the population (total variation in
    the population at least ``alike_share`` of the slice's) and saw the rest of the rows
    change as well. A fallback enabled for every row, or codes re-mapped in every row, is no
    fault of the slice where the model happened to suffer most; a fault confined to a slice
    moves the population by the slice's share of it only. A population finding of the same
    feature and kind makes the slice's redundant; otherwise it keeps its kind and reading
    (a re-mapping the population's dilution reads as a mere shift) on the population."""
    if segments is None or not segments.n_tests:
        return findings
    population = [f for f in findings if f.scope == "population" and f.feature]
    changed, same = {f.feature for f in population}, {(f.feature, f.kind) for f in population}
    level = segments.options.get("alpha", 0.05)
    alike = {(_predicates(r["segment"]), r["feature"]) for r in segments.table.filter(
        pl.col("significant") & (pl.col("tv_population") >= alike_share * pl.col("tv"))
        & (pl.col("rest_p_value") < level)).select("segment", "feature").iter_rows(named=True)}
    # a pipeline fault the population reads as another fault (skew there too), that also
    # changed the rows outside the slice, is the population's, however much more the slice
    # moved: a cap on every age moves the widowed most, and there a pile at the cap reads as a
    # default flood. Read alike (a unit change on one carrier, diluted in the population while
    # the season moved the other carriers), it stays the slice's.
    read: dict[str, set] = {}
    for f in population:
        if f.kind == "skew":
            read.setdefault(f.feature, set()).add(f.signature)
    beyond = {(_predicates(r["segment"]), r["feature"]) for r in segments.table.filter(
        pl.col("significant") & (pl.col("rest_p_value") < level)).select("segment", "feature").iter_rows(named=True)}
    # the same pipeline fault read in two segments that share no row (MAR=1 and MAR=2) is
    # neither segment's but their common part's (carrier=B6 for B6 at JFK and B6 at EWR), the
    # population's when they have none, whatever the population's diluted view says (two codes
    # swapped in every row barely move a half-and-half column, and move it wholly among widows)
    scopes: dict[tuple, dict[str, float]] = {}
    for f in findings:
        if f.scope != "population" and f.feature and f.signature in PIPELINE_SIGNATURES:
            held = scopes.setdefault((f.feature, f.signature), {})
            held[f.scope] = min(held.get(f.scope, 1.0), f.p_value_adjusted)
    common = {}
    for key, found in scopes.items():
        labels = _through_their_meeting(found)
        if any(_disjoint(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]):
            shared = set.intersection(*(set(_predicates(label)) for label in labels))
            common[key] = " & ".join(p for p in labels[0].split(" & ") if p.strip() in shared) or "population"
    out, placed = [], set()
    for f in findings:
        if (f.feature, f.signature) in common and f.scope != "population":
            if (f.feature, f.signature) not in placed:
                placed.add((f.feature, f.signature))
                where = common[(f.feature, f.signature)]
                out.append(replace(f, scope=where, sentence=f.sentence.replace(f" on {f.scope}", _on(where))))
        elif (f.scope != "population" and f.kind == "skew" and (f.feature, "skew") in same
              and f.signature not in read.get(f.feature, ()) and (_predicates(f.scope), f.feature) in beyond):
            continue
        elif f.scope == "population" or f.feature not in changed or (_predicates(f.scope), f.feature) not in alike:
            out.append(f)
        elif (f.feature, f.kind) not in same and (f.kind != "skew" or f.signature == "encoding_permutation"):
            # only re-mapped codes hide in the population's dilution (two swapped codes of like
            # frequencies barely move it); a flood, a clip or a unit change on every row shows
            # there as itself, so a population that reads a genuine shift is believed
            out.append(replace(f, scope="population", sentence=f.sentence.replace(f" on {f.scope}", "")))
    return out


def _through_their_meeting(found: dict[str, float]) -> list[str]:
    """The scopes a pipeline fault was read on (with their least p-values), less those that
    see another scope's fault through the rows the two share: a scope ``A`` where the same
    fault reads on ``A & B`` too is ``B``'s view when ``B`` reads it more significantly.
    Distances capped at LaGuardia read on LaGuardia (p 4e-18), on Southwest at LaGuardia and
    on Southwest (2e-8: its long flights leave from there): Southwest is LaGuardia's fault
    seen through its flights, and with it in the list LaGuardia and Southwest share no row,
    so the fault read as everyone's.

    >>> _through_their_meeting({"origin=LGA": 4e-18, "carrier=WN & origin=LGA": 2e-8, "carrier=WN": 2e-8,
    ...                         "carrier=UA & origin=LGA": 3e-4})
    ['origin=LGA', 'carrier=WN & origin=LGA', 'carrier=UA & origin=LGA']
    >>> _through_their_meeting({"MAR=1": 1e-9, "MAR=2": 1e-6})      # no meeting read: both stay
    ['MAR=1', 'MAR=2']
    """
    labels = list(found)
    parts = {label: _predicates(label) for label in labels}

    def seen_through(a: str) -> bool:
        return any(b != a and found[b] < found[a] and not parts[b] <= parts[a]
                   and any(parts[c] == parts[a] | parts[b] for c in labels) for b in labels)
    return [label for label in labels if not seen_through(label)]


def _everyones_mix(findings: list[Finding], segments, population) -> list[Finding]:
    """The broken slice's data drift that the population's change predicts, placed on the
    population: the population audit saw the feature change (below its material threshold,
    maybe), the rest of the rows changed too, and the population's change applied to the
    slice's reference rows explains more than half of the slice's (step 4's segment search,
    ``tv_predicted`` under half of ``tv``). A mix tilted towards group quarters moves the
    students most, and it is everyone's mix that moved; a shift confined to the slice leaves
    the rest as it was, and the population's change does not predict it."""
    if segments is None or not segments.n_tests or population is None:
        return findings
    level = segments.options.get("alpha", 0.05)
    moved = set(population.table.filter(pl.col("significant"))["feature"].to_list())
    explained = {(_predicates(r["segment"]), r["feature"]) for r in segments.table.filter(
        pl.col("significant") & (pl.col("rest_p_value") < level) & (pl.col("tv_predicted") < pl.col("tv") / 2))
        .select("segment", "feature").iter_rows(named=True)}
    own = {f.feature: f for f in findings if f.scope == "population" and f.kind == "data_drift"}
    out: list[Finding] = []
    for f in findings:
        if f.scope == "population" and any(g is f for g in out):
            continue                       # already in the place of the slice's view of it
        if (f.kind != "data_drift" or f.scope == "population" or f.feature not in moved
                or f.signature in PIPELINE_SIGNATURES or (_predicates(f.scope), f.feature) not in explained):
            out.append(f)
        elif f.feature in own:             # the population's own reading, where the slice's stood
            if not any(g is own[f.feature] for g in out):
                out.append(own[f.feature])
        else:
            own[f.feature] = replace(f, scope="population", confined=False,
                                     sentence=f"{f.sentence.replace(f' on {f.scope}', '')} on {f.scope}, where "
                                              "the population's change shows most (the rest of the rows moved alike)")
            out.append(own[f.feature])
    return out


def _at_home(findings: list[Finding], population_trace, traces=()) -> list[Finding]:
    """A fault that marks its rows (nulls, new codes, converted or clipped values, a default),
    placed where step 6 found nine in ten of the rows it marked on the population (its
    ``home``), whatever scope the test that saw it read: the rows say where it lives, better
    than the slice the model suffered most in or the population's diluted view."""
    if population_trace is None or "home" not in population_trace.table.columns:
        return findings
    homes = {r["feature"]: r for r in population_trace.table.filter(pl.col("home").is_not_null()).iter_rows(named=True)}
    # step 6 inside the home dates the fault there best (the segment search's finding, or any
    # of step 6's readings on that scope that saw the same fault: the population's rows outside
    # it add only noise, a stray marked row among them moves its date), then step 6 on the
    # population, which read the rows the fault marked
    inside = {(f.scope, f.feature): f for f in findings if f.test == "segment_drift"}
    scoped = _by_scope(t for t in traces if t is not None)
    out = []
    read_whole = {(f.feature, f.signature) for f in findings if f.scope == "population"}
    for f in findings:
        home = homes.get(f.feature)
        if home is not None and f.signature == home["signature"] and f.scope != home["home"]:
            if home["home"] == "population" and (f.feature, f.signature) in read_whole:
                continue        # the population's own reading says it, with its own share of rows
            own = inside.get((home["home"], f.feature))
            there = scoped.get((home["home"], f.feature), {})
            if own is not None:
                onset, event, at, low, high = own.onset, own.event, own.event_time, own.onset_low, own.onset_high
            else:
                dated = there if there.get("signature") == home["signature"] and there.get("onset") else home
                onset, event = dated["onset"], dated["event"]
                at = dated["event_time"] if event else None
                low, high = _window(dated, onset)
            # one timeline: the sentence says the dates the finding carries (after it, when it
            # said none: replacing an empty string would write them between every letter)
            said = _when(f.onset, f.event, f.event_time)
            if there.get("signature") == f.signature and there.get("sentence"):
                # the home's own reading says the share on the home's rows, which the finding
                # now counts (nulls in 9.7 % of the audited slice's rows said of a segment
                # where they are 54 %)
                sentence = there["sentence"] + _when(onset, event, at)
            elif said:
                sentence = f.sentence.replace(said, _when(onset, event, at))
            else:
                sentence = f.sentence + _when(onset, event, at)
            signature = f.signature
            if there.get("signature") in PILES and f.signature in PILES and there["signature"] != f.signature:
                # a pile on one value read on the home's own rows names it better than the
                # population's view, where the home's rows mix with everyone's: a run of one
                # value (the population's rows interleave, no run shows there: a frozen sensor,
                # not a cap or a default); the mean written into the ages of the never married,
                # most of them younger, which empties the population's lower tail onto it as a
                # cap would
                signature, onset, event = there["signature"], there["onset"], there["event"]
                at = there["event_time"] if event else None
                low, high = _window(there, onset)
                sentence = there["sentence"] + _when(onset, event, at)
            f = replace(f, scope=home["home"], rows=int(home["home_rows"]), confined=home["home"] != "population",
                        onset=onset,
                        event=event, event_time=at, sentence=sentence, onset_low=low, onset_high=high,
                        signature=signature)
        out.append(f)
    return out


def _sharpest_dates(findings: list[Finding]) -> list[Finding]:
    """Findings that say the same change (kind, scope, feature and signature) with different
    dates take the dates of the one whose stated window is narrowest, when it meets every
    other's window: the reading whose rows date it most sharply (a re-mapping read from the
    rows whose inputs tell their true label is dated to the hour; the same re-mapping read from
    its labels' shares, to the week). Windows that do not meet contradict each other: each
    finding keeps its own (a window of one row's time is no proof of sharpness; bike
    weekdays swapped on non-working days, seed 21 incident 2100183: the input that dated the
    relabelled reading put it two days late, at one hour).

    >>> a = Finding("skew", "segment_drift", "s=1", "x", 1e-9, 9, "x swapped since 2024-01-09", "encoding_permutation",
    ...             "2024-01-09", None, None, True, True, "2024-01-02", "2024-01-12")
    >>> b = replace(a, test="relabelled", sentence="x re-mapped since 2024-01-05 02:00", onset="2024-01-05 02:00",
    ...             onset_low="2024-01-05", onset_high="2024-01-05 06:00")
    >>> [(f.onset, f.sentence) for f in _sharpest_dates([a, b])]
    [('2024-01-05 02:00', 'x swapped since 2024-01-05 02:00'), ('2024-01-05 02:00', 'x re-mapped since 2024-01-05 02:00')]
    >>> late = replace(b, onset="2024-01-20", onset_low="2024-01-20", onset_high="2024-01-20")
    >>> [f.onset for f in _sharpest_dates([a, late])]
    ['2024-01-09', '2024-01-20']
    """
    def span(f: Finding) -> tuple[float, float] | None:
        try:
            return time_position(f.onset_low), time_position(f.onset_high)
        except (TypeError, ValueError):
            return None

    groups: dict[tuple, list[tuple[Finding, tuple[float, float]]]] = {}
    for f in findings:
        window = span(f) if f.feature and f.signature and f.onset and f.onset_low and f.onset_high else None
        if window is not None:
            groups.setdefault((f.kind, f.scope, f.feature, f.signature), []).append((f, window))
    sharpest: dict[tuple, Finding] = {}
    for key, dated in groups.items():
        agreeing = [(f, (low, high)) for f, (low, high) in dated
                    if all(low <= other_high and other_low <= high for _, (other_low, other_high) in dated)]
        if agreeing:
            sharpest[key] = min(agreeing, key=lambda item: item[1][1] - item[1][0])[0]
    out = []
    for f in findings:
        best = sharpest.get((f.kind, f.scope, f.feature, f.signature))
        if best is not None and best is not f and f.onset and best.onset != f.onset:
            said = _when(f.onset, f.event, f.event_time)
            told = _when(best.onset, best.event, best.event_time)
            sentence = f.sentence.replace(said, told) if said and said in f.sentence else f.sentence + told
            f = replace(f, onset=best.onset, onset_low=best.onset_low, onset_high=best.onset_high, event=best.event,
                        event_time=best.event_time, sentence=sentence)
        out.append(f)
    return out


def _window(traced: Mapping[str, Any], onset: str | None) -> tuple[str | None, str | None]:
    """Step 6's window for an onset it gave (none for an onset from elsewhere)."""
    if onset is None or traced.get("onset") != onset:
        return None, None
    return traced.get("onset_low"), traced.get("onset_high")


def _when(onset: str | None, event: str | None, event_time: str | None) -> str:
    """The words :func:`_traced` puts after a finding's reading: since when, and its likely trigger."""
    return (f" since {onset}" if onset else "") + (f" (likely trigger: {event}, {event_time})" if event else "")


def _disjoint(a: str, b: str) -> bool:
    """Whether two slice labels share no row: one column holds different values in them."""
    left = dict(part.split("=", 1) for part in _predicates(a))
    right = dict(part.split("=", 1) for part in _predicates(b))
    return any(column in right and right[column] != value for column, value in left.items())


def _rank(f: Finding) -> tuple:
    return (-round(f.strength / TIE), ORDER.index(f.kind), -f.strength)


def _primary(findings: list[Finding]) -> Finding:
    """The strongest finding; those within :data:`TIE` orders of magnitude of it (or also
    decisive) tie, and the most actionable kind among them wins."""
    best = max(f.strength for f in findings)
    tied = [f for f in findings if f.strength >= min(best - TIE, DECISIVE)]
    # of the most actionable kind: the segment a change is confined to says more than its
    # diluted population view of the same feature (not than another feature's drift), and the
    # finding that says how (its signature's sentence) reads best
    # and an input whose new mix explains others' changes comes before what moved with it: the
    # one that carried the most (a tilt of DREM carries AGEP, which carries ESP inside a slice)
    carried = Counter(driver for driver, _ in {(f.driver, f.feature) for f in findings if f.driver})
    return min(tied, key=lambda f: (ORDER.index(f.kind), -carried[f.feature], not _outranks_its_view(f, tied),
                                    not f.described, -f.strength))


def _outranks_its_view(f: Finding, tied: list[Finding]) -> bool:
    """Whether ``f`` is a segment's confined change whose feature a tied finding of the same
    kind also names (its diluted view), or no tied finding of the kind is a population's."""
    if not f.confined:
        return False
    same_kind = [g for g in tied if g.kind == f.kind and g is not f]
    return any(g.feature == f.feature for g in same_kind) or not any(g.scope == "population" for g in same_kind)


def _describe(f: Finding) -> str:
    return {"skew": "a training-serving skew", "data_quality": "data quality broke",
            "concept_drift": "performance fell", "data_drift": "inputs shifted"}[f.kind] + \
        f"{_on(f.scope)} ({f.sentence})"


def _sentence(primary: Finding, findings: list[Finding], overall, top: pl.DataFrame, shifted, symptom) -> str:
    scoring = overall.scoring
    same = [f for f in findings if f.kind == primary.kind and f is not primary]
    also = sorted({f.feature for f in same if f.feature and f.feature != primary.feature})
    if primary.kind == "skew":
        text = f"A training-serving skew{_on(primary.scope)}: {primary.sentence}" + \
            (f"; also {', '.join(also)}" if also else "")
    elif primary.kind == "data_quality":
        features = list(dict.fromkeys([primary.feature] + [f.feature for f in same]))
        first = {}                                   # one sentence a feature, the primary's first
        for f in [primary, *same]:
            first.setdefault(f.feature, f.sentence)
        listed = "; ".join(list(first.values())[:2])
        text = f"Data quality broke{_on(primary.scope)} ({', '.join(features)}: {listed})"
    elif primary.kind == "concept_drift":
        text = primary.sentence[0].upper() + primary.sentence[1:]
    else:
        features = [f for f in dict.fromkeys([primary.feature] + [f.feature for f in same]) if f]
        listed = f" ({', '.join(features[:4])}{', ...' if len(features) > 4 else ''})" if features else ""
        if primary.test == "multivariate":
            text = f"Inputs shifted together{_on(primary.scope)}: {primary.sentence}"
        elif primary.test == "estimate":
            text = primary.sentence[0].upper() + primary.sentence[1:] + ", and no input moved materially"
            return text + ": look at what feeds the model there; monitor, retrain only if labels confirm the drop."
        else:
            text = f"Inputs shifted{_on(primary.scope)}{listed}"
        carried = list(dict.fromkeys(f.feature for f in findings if f.driver == primary.feature and f.feature
                                     and f.feature != primary.feature))
        if carried:
            text += (f"; {_listed(carried[:3])}{' and more' if len(carried) > 3 else ''} moved with "
                     f"{primary.feature}'s new mix")
        if symptom is not None and not scoring.proxy:
            explained = (f" ({shifted['mix_share']:.0%} of that drop is the model on the new mix of "
                         f"{shifted['feature']})" if shifted else "")
            return text + f", and {_performance(overall, top)}{explained}: retrain on data that covers the shift."
        if symptom is not None:         # an estimated fall: the sentence goes on with it
            return text + ": monitor, and retrain only if the labels confirm the fall."
        return text + (f"; performance held ({scoring.loss_name} {overall.metric_reference:.4g} -> "
                       f"{overall.metric_current:.4g}): monitor, retrain only if it drops.")
    return text + f": {ACTIONS[primary.kind]}."


def _listed(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _nothing(overall, top: pl.DataFrame, audit, family: dict) -> Verdict:
    scoring = overall.scoring
    held = (f"{scoring.loss_name} {overall.metric_reference:.4g} -> {overall.metric_current:.4g}, "
            "no slice degraded")
    note = " (labels missing: judged on proxies)" if scoring.proxy else ""
    minor = audit.significant if audit is not None else []
    tail = (f"; minor changes below the material thresholds in {', '.join(minor[:3])}"
            f"{', ...' if len(minor) > 3 else ''}" if minor else "")
    return Verdict("none", f"Nothing is wrong beyond noise{note}: {held}, no feature drifted materially, data "
                           f"quality holds{tail}.", ACTIONS["none"], family=family)


def _family(overall, slices, audit, segments, alpha: float, joint=None) -> dict[str, Any]:
    """What the family held: each group's level, tests and rejections."""
    level = levels(alpha)
    out = {"alpha": alpha, "groups": {
        "global": {"level": level["global"], "tests": 1, "rejected": int(bool(overall.degraded))},
        "slices": {"level": level["slices"], "tests": int(slices.n_candidates) if slices is not None else 0,
                   "rejected": int(slices.table["significant"].sum()) if slices is not None and slices.table.height
                   else 0},
    }}
    if audit is not None:
        rejected = int(audit.table["significant"].sum()) + int(audit.failed_checks.height)
        out["groups"]["inputs"] = {"level": level["inputs"], "tests": audit.table.height + audit.quality.height,
                                   "rejected": rejected}
    if segments is not None:
        out["groups"]["segments"] = {"level": level["segments"], "tests": segments.n_tests,
                                     "rejected": int(segments.table["significant"].sum()) if segments.n_tests else 0}
    if joint is not None:
        out["groups"]["joint"] = {"level": joint_level(alpha), "tests": 1, "rejected": int(joint.drifted)}
    return out


def _performance(overall, top: pl.DataFrame) -> str:
    name = overall.scoring.loss_name
    if top.height:
        row = top.row(0, named=True)
        when = f", since {row['onset']}" if row.get("onset") else ""
        verb = "moved" if overall.scoring.two_sided else "fell" if overall.scoring.higher_is_better else "rose"
        rest = row.get("rest_delta")
        moved = ""
        if rest is not None and np.isfinite(rest) and abs(rest) >= 0.5 * abs(row["delta"]):
            better = (rest > 0) == overall.scoring.higher_is_better
            moved = (f", while the rest moved by {rest:+.3g}" if overall.scoring.two_sided else
                     f", while the rest {'improved' if better else 'worsened'} by {abs(rest):.3g}")
        late = f" from {row['since']} on" if row.get("since") else ""       # read on the window's later half
        return (f"{name} {verb} from {row['metric_reference']:.3g} to {row['metric_current']:.3g} on {row['slice']}"
                f"{late} ({row['n_current']:,} rows{when}{moved})")
    when = f" since {overall.onset}" if overall.onset else ""
    return f"global {name} went from {overall.metric_reference:.3g} to {overall.metric_current:.3g}{when}"
