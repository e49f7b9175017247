"""The verdict: DESIGN.md's decision matrix, in one sentence a person can read aloud.

| finding on the audited slice | kind | action |
|---|---|---|
| a pipeline signature (unit change, re-mapped categories, stale or defaulted values) | ``skew`` | fix the pipeline, do not retrain |
| null spikes, out-of-range values, new categories, type changes | ``data_quality`` | fix the data, then look again |
| performance fell while the inputs did not shift | ``concept_drift`` | retrain on recent labelled data |
| the inputs shifted | ``data_drift`` | monitor; retrain only if performance drops |
| nothing beyond noise | ``none`` | nothing to do |

When several apply, the most actionable comes first (skew, data quality, concept drift,
data drift) and the others are listed as secondary findings. Signatures come from step 6;
without them skew is not claimed and defaulted or stale values count as data quality.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

KINDS = ("none", "data_drift", "concept_drift", "skew", "data_quality")
ORDER = ("skew", "data_quality", "concept_drift", "data_drift")
ACTIONS = {
    "skew": "fix the pipeline, do not retrain",
    "data_quality": "fix the data upstream, then look again",
    "concept_drift": "retrain on recent labelled data",
    "data_drift": "monitor; retrain only if performance drops",
    "none": "nothing to do",
}
PIPELINE_SIGNATURES = ("unit_change", "encoding_permutation", "constant", "clipping", "default_flood")
QUALITY_CHECKS = ("null_rate", "non_finite", "out_of_range", "new_category", "missing_category", "type_change",
                  "constant", "value_spike")


@dataclass(frozen=True)
class Verdict:
    kind: str
    summary: str
    action: str
    secondary: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "summary": self.summary, "action": self.action, "secondary": list(self.secondary)}


def decide(overall, slices, audit, *, prediction: str | None = None, trace=None,
           slice_events: dict | None = None, drop=None, explained_share: float = 0.5) -> Verdict:
    """The verdict from steps 3-5 and, when given, step 6's trace (signatures, onsets, triggers)."""
    scoring = overall.scoring
    top = slices.table.filter(pl.col("significant")).head(1) if slices is not None else pl.DataFrame()
    where = top["slice"][0] if top.height else None
    scope = f" on {where}" if where else ""
    broken = top.height > 0 or overall.degraded
    inputs = [f for f in audit.drifted if f != prediction]
    # a drop that the shift of an input explains (the model on the inputs it now sees) is
    # covariate shift, even when that shift is below the material PSI: not concept drift
    shifted = None
    if drop is not None and drop.height and broken:
        best = drop.row(0, named=True)
        if best["mix_share"] >= explained_share and best["feature"] != prediction:
            shifted = best
            inputs = list(dict.fromkeys(inputs + [best["feature"]]))
    failed = audit.failed_checks.filter(pl.col("check").is_in(QUALITY_CHECKS))
    faults = trace.table.filter(pl.col("pipeline_fault")) if trace is not None else pl.DataFrame()
    found: dict[str, str] = {}
    if faults.height:
        row = faults.row(0, named=True)
        when = f" since {row['onset']}" if row.get("onset") else ""
        cause = f" (likely trigger: {row['event']}, {row['event_time']})" if row.get("event") else ""
        others = faults["feature"].to_list()[1:]
        also = f"; also {', '.join(others)}" if others else ""
        found["skew"] = f"a training-serving skew{scope}: {row['sentence']}{when}{cause}{also}"
    if failed.height:
        listed = "; ".join(list(dict.fromkeys(failed["detail"].to_list()))[:2])
        names = ", ".join(dict.fromkeys(failed["feature"].to_list()))
        found["data_quality"] = f"data quality broke{scope} ({names}: {listed})"
    if broken and not inputs and not scoring.proxy:
        trigger = (slice_events or {}).get(where) if where else None
        cause = f" (likely trigger: {trigger['event']}, {trigger['event_time']})" if trigger else ""
        found["concept_drift"] = _performance(overall, top) + cause + " while its inputs did not shift"
    if inputs:
        found["data_drift"] = f"inputs shifted{scope} ({', '.join(inputs[:4])}{', ...' if len(inputs) > 4 else ''})"
    if not found:
        held = _performance(overall, top) if broken else (
            f"{scoring.loss_name} {overall.metric_reference:.4g} -> {overall.metric_current:.4g}, no slice degraded")
        note = " (labels missing: judged on proxies)" if scoring.proxy else ""
        return Verdict("none", f"Nothing is wrong beyond noise{note}: {held}, no feature drifted, data quality holds.",
                       ACTIONS["none"])
    kind = next(k for k in ORDER if k in found)
    summary = found[kind][0].upper() + found[kind][1:]
    if kind == "data_drift":
        explained = (f" ({shifted['mix_share']:.0%} of that drop is the model on the new mix of {shifted['feature']})"
                     if shifted else "")
        summary += (f", and {_performance(overall, top)}{explained}: retrain on data that covers the shift."
                    if broken and not scoring.proxy
                    else f"; performance held ({scoring.loss_name} {overall.metric_reference:.4g} -> "
                         f"{overall.metric_current:.4g}): monitor, retrain only if it drops.")
    else:
        summary += f": {ACTIONS[kind]}."
    secondary = tuple(found[k] for k in ORDER if k in found and k != kind)
    return Verdict(kind, summary, ACTIONS[kind], secondary)


def _performance(overall, top: pl.DataFrame) -> str:
    name = overall.scoring.loss_name
    if top.height:
        row = top.row(0, named=True)
        when = f", since {row['onset']}" if row.get("onset") else ""
        return (f"{name} fell from {row['metric_reference']:.3g} to {row['metric_current']:.3g} on {row['slice']} "
                f"({row['n_current']:,} rows{when})") if overall.scoring.higher_is_better else \
            (f"{name} rose from {row['metric_reference']:.3g} to {row['metric_current']:.3g} on {row['slice']} "
             f"({row['n_current']:,} rows{when})")
    return f"global {name} went from {overall.metric_reference:.3g} to {overall.metric_current:.3g}"
