"""Step 1, signal: is it the business metric or the model metric that moved, and which first?

Both series are bucketed over time (reference and current together) and standardised
against their reference buckets (``*_z``: standard deviations of the reference bucket
values; with fewer than three reference buckets, the sampling error of each bucket mean).
The noise band is +/- ``band`` of those (drawn; a few days outside it are weather, not a
move). A series *moved* when it shifted in a sustained way — for the model's loss upwards,
for the KPI either way — on its standardized values clipped at +/- 3 (a storm day counts as
three standard deviations, not eight): either the best single split of the current window
is beyond noise (Bonferroni over the splits, 5 %), and it moved *from* that split; or the
whole current window sits above the reference level (one-sided t-test, 1 %), and it moved
from the window's first bucket. A sustained shift is dated from where it began, not from
where it became undeniable, nor from the first day of the window when it began on the
tenth. The one that moved first moved first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats.changepoint import mean_shift
from mlwatch.steps.scoring import Scoring, format_time, time_buckets

SCHEMA = "mlwatch.signal/1"
TABLE_SCHEMA = {"bucket": pl.String, "window": pl.String, "n": pl.Int64, "metric": pl.Float64,
                "metric_z": pl.Float64, "kpi": pl.Float64, "kpi_z": pl.Float64}


@dataclass(frozen=True, eq=False, repr=False)
class SignalResult(Result):
    """Per time bucket: rows, the model metric and the KPI standardised against their
    reference buckets (``*_z``; for the model, positive is worse); when each moved."""

    table: pl.DataFrame
    scoring: Scoring
    metric_left: str | None
    kpi_left: str | None
    kpi_name: str | None
    sentence: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def first_mover(self) -> str | None:
        """"model", "kpi", "both" (same bucket) or None (neither left its band)."""
        m, k = self.metric_left, self.kpi_left
        if m is None and k is None:
            return None
        if k is None or (m is not None and m < k):
            return "model"
        if m is None or k < m:
            return "kpi"
        return "both"

    SCHEMA = SCHEMA

    def _sections(self):
        return (Section(frame=self.table.filter(pl.col("window") == "current")),)

    def plot(self, ax=None, **kws):
        """Both series over time with their reference bands, in band units."""
        from mlwatch.plots.signal import plot_signal

        return plot_signal(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "scoring": vars(self.scoring), "buckets": records(self.table),
                "metric_left": self.metric_left, "kpi_left": self.kpi_left, "kpi_name": self.kpi_name,
                "first_mover": self.first_mover, "sentence": self.sentence, "options": plain(self.options)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "SignalResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["buckets"], TABLE_SCHEMA), Scoring(**payload["scoring"]),
                   payload["metric_left"], payload["kpi_left"], payload["kpi_name"], payload["sentence"],
                   payload.get("options", {}))


def signal(reference, current, scoring: Scoring, *, time: str, kpi: str | None = None,
           every: str | None = None, band: float = 3.0) -> SignalResult:
    """The model metric and a business KPI (a numeric column of the same rows, averaged
    per bucket: conversion, revenue) over time, and which left its noise band first.

    ``every`` is a polars duration ("1d", "1w"); by default about 30 buckets cover the
    current window.
    """
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    data.require_columns(ref, [time] + ([kpi] if kpi else []), name="reference")
    data.require_columns(cur, [time] + ([kpi] if kpi else []), name="current")
    b_ref, b_cur, starts = time_buckets(ref[time], cur[time], every=every)
    n_buckets = len(starts)
    loss_ref, ok_ref = scoring.losses(ref, name="reference")
    loss_cur, ok_cur = scoring.losses(cur, name="current")
    buckets = np.concatenate([b_ref, b_cur])
    ok = np.concatenate([ok_ref, ok_cur])
    losses = np.concatenate([loss_ref, loss_cur])
    n = np.bincount(buckets[ok], minlength=n_buckets)
    mean_loss = _ratio(np.bincount(buckets[ok], losses[ok], n_buckets), n)
    in_current = np.bincount(b_cur, minlength=n_buckets) > 0
    in_reference = np.bincount(b_ref, minlength=n_buckets) > 0
    window = np.where(in_current & ~in_reference, "current", np.where(in_reference & ~in_current, "reference", "both"))
    is_ref = window == "reference"
    metric = np.asarray(scoring.value(mean_loss), dtype=float)
    sign = 1.0 if not scoring.higher_is_better else -1.0      # positive z = worse
    var_loss = float(np.var(loss_ref[ok_ref])) if ok_ref.any() else 0.0
    metric_z = sign * _z(metric, is_ref & (n > 0), sampling_sd=np.sqrt(var_loss / np.maximum(n, 1)))
    kpi_values = kpi_z = None
    if kpi:
        values = np.concatenate([ref[kpi].cast(pl.Float64).to_numpy(), cur[kpi].cast(pl.Float64).to_numpy()])
        present = np.isfinite(values)
        counts = np.bincount(buckets[present], minlength=n_buckets)
        kpi_values = _ratio(np.bincount(buckets[present], values[present], n_buckets), counts)
        var_kpi = float(np.nanvar(values[: ref.height]))
        kpi_z = _z(kpi_values, is_ref & (counts > 0), sampling_sd=np.sqrt(var_kpi / np.maximum(counts, 1)))
    labels = [format_time(s) for s in starts]
    is_cur = window != "reference"
    metric_left = _moved(labels, metric_z, is_cur, band, "up")
    kpi_left = _moved(labels, kpi_z, is_cur, band, "any") if kpi_z is not None else None
    table = pl.DataFrame({"bucket": labels, "window": window.tolist(), "n": n.astype(np.int64), "metric": metric,
                          "metric_z": metric_z, "kpi": kpi_values, "kpi_z": kpi_z}, schema=TABLE_SCHEMA)
    sentence = _sentence(scoring, kpi, metric_left, kpi_left)
    return SignalResult(table, scoring, metric_left, kpi_left, kpi, sentence,
                        {"time": time, "kpi": kpi, "every": every, "band": band})


def _ratio(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _z(values: np.ndarray, reference: np.ndarray, *, sampling_sd: np.ndarray) -> np.ndarray:
    """Standardised against the reference buckets (NaN where the bucket is empty)."""
    ref_values = values[reference]
    centre = float(np.mean(ref_values)) if ref_values.size else float(np.nanmean(values))
    if ref_values.size >= 3 and np.std(ref_values, ddof=1) > 0:
        spread = np.full(values.shape, float(np.std(ref_values, ddof=1)))
    else:                                  # too few reference buckets: the sampling error of each bucket
        spread = np.maximum(sampling_sd, 1e-12)
    return (values - centre) / spread


def _moved(labels: list[str], z: np.ndarray, current: np.ndarray, band: float, direction: str) -> str | None:
    """When a series moved in a sustained way (see the module docstring), or None."""
    from scipy import stats as _st

    idx = np.flatnonzero(current)
    finite = idx[np.isfinite(z[idx])]
    if finite.size < 2:
        return None
    clipped = np.clip(z[finite], -3.0, 3.0)
    shift = mean_shift(np.ones(clipped.size), clipped, direction=direction)
    threshold = float(_st.chi2.isf(0.05 / max(clipped.size - 1, 1), 1)) * max(float(np.var(clipped)), 1.0)
    if shift is not None and shift.statistic > threshold:
        return labels[finite[shift.index]]
    level = float(np.mean(clipped)) / max(float(np.std(clipped, ddof=1)), 1.0) * np.sqrt(clipped.size)
    raised = abs(level) if direction == "any" else level
    if raised > float(_st.norm.isf(0.01 / (2 if direction == "any" else 1))):
        return labels[finite[0]]
    return None


def _sentence(scoring: Scoring, kpi: str | None, metric_left: str | None, kpi_left: str | None) -> str:
    name = scoring.loss_name
    model = f"the model's {name} moved from {metric_left}" if metric_left else \
        f"the model's {name} stayed within its noise band"
    if not kpi:
        return model[0].upper() + model[1:] + " (no business KPI given)."
    business = f"{kpi} moved from {kpi_left}" if kpi_left else f"{kpi} stayed within its band"
    if metric_left and (kpi_left is None or metric_left < kpi_left):
        lead = "A model-metric anomaly: the model moved first"
    elif kpi_left and (metric_left is None or kpi_left < metric_left):
        lead = "A business-metric anomaly first: look at the business side (pricing, traffic, seasonality) before the model"
    elif metric_left and kpi_left:
        lead = "Both moved in the same bucket"
    else:
        lead = "Neither moved beyond noise"
    return f"{lead}: {model}; {business}."
