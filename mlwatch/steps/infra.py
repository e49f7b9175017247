"""Step 2, infra: a five-minute look at the serving system.

When the serving log has latency, status/error or fallback columns (named, or recognised
by common names), the current window's time buckets get p50/p95/p99 latency, error and
fallback rates and throughput, each flagged when it departs from the reference: p95
latency over ``latency_factor`` times the reference's, or an error/fallback rate that rose
by at least one point and beyond noise. When the log has none of them, it says so in
one line and the incident moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats.noise import benjamini_hochberg
from mlwatch.stats.quality import increase_p_value
from mlwatch.steps.scoring import format_time, time_buckets

SCHEMA = "mlwatch.infra/1"
NAMES = {
    "latency": ("latency_ms", "latency", "response_time_ms", "response_time", "duration_ms", "elapsed_ms"),
    "status": ("status_code", "http_status", "status"),
    "error": ("error", "is_error", "failed", "exception"),
    "fallback": ("fallback", "is_fallback", "used_fallback", "default_response"),
}
TABLE_SCHEMA = {"bucket": pl.String, "n": pl.Int64, "p50": pl.Float64, "p95": pl.Float64, "p99": pl.Float64,
                "error_rate": pl.Float64, "fallback_rate": pl.Float64, "flagged": pl.Boolean, "why": pl.String}


@dataclass(frozen=True, eq=False, repr=False)
class InfraResult(Result):
    """Serving health per current time bucket (``table``; a first row ``reference`` gives
    the baseline); ``columns`` says which log columns were found."""

    table: pl.DataFrame
    columns: dict[str, str | None]
    sentence: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return any(self.columns.values())

    @property
    def healthy(self) -> bool:
        return not bool(self.table["flagged"].any()) if self.table.height else True

    SCHEMA = SCHEMA

    def _sections(self):
        return (Section(frame=self.table, alert="flagged"),) if self.available else ()

    def plot(self, ax=None, **kws):
        """p95 latency and error rate per bucket, flagged buckets marked."""
        from mlwatch.plots.infra import plot_infra

        return plot_infra(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "columns": self.columns, "buckets": records(self.table), "sentence": self.sentence,
                "available": self.available, "healthy": self.healthy, "options": plain(self.options)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "InfraResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["buckets"], TABLE_SCHEMA), payload["columns"], payload["sentence"],
                   payload.get("options", {}))


def find_columns(frame: pl.DataFrame, **given: str | None) -> dict[str, str | None]:
    """The latency, status, error and fallback columns: as given, or by common names.

    >>> find_columns(pl.DataFrame({"latency_ms": [1.0], "x": [1]}))
    {'latency': 'latency_ms', 'status': None, 'error': None, 'fallback': None}
    """
    lower = {c.lower(): c for c in frame.columns}
    out = {}
    for role, names in NAMES.items():
        if given.get(role):
            data.require_columns(frame, [given[role]], name="current")
            out[role] = given[role]
        else:
            out[role] = next((lower[n] for n in names if n in lower), None)
    return out


def infra(reference, current, *, time: str | None = None, every: str | None = None, latency: str | None = None,
          status: str | None = None, error: str | None = None, fallback: str | None = None,
          latency_factor: float = 1.5, alpha: float = 0.05) -> InfraResult:
    """Serving health of the current window against the reference, per time bucket
    (``every``: a polars duration; by default about 30 buckets). Rate rises are tested
    one-sided and corrected across buckets (Benjamini-Hochberg)."""
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    columns = find_columns(cur, latency=latency, status=status, error=error, fallback=fallback)
    options = {"time": time, "latency_factor": latency_factor, "alpha": alpha}
    if not any(columns.values()):
        return InfraResult(pl.DataFrame(schema=TABLE_SCHEMA), columns,
                           "No latency, status, error or fallback column in the serving log: infrastructure "
                           "check skipped (name them with latency=, status=, error=, fallback=).", options)
    # a column the reference log lacks has no baseline: reported, never flagged
    base = _health(ref, {role: c if c in ref.columns else None for role, c in columns.items()})
    if time:
        data.require_columns(cur, [time], name="current")
        _, b_cur, starts = time_buckets(ref[time] if time in ref.columns else cur[time][:0], cur[time], every=every)
        labels = [format_time(s) for s in starts]
        parts = cur.with_columns(pl.Series("_bucket", b_cur)).partition_by("_bucket", as_dict=True, maintain_order=True)
        buckets = [(labels[int(k[0])], part) for k, part in sorted(parts.items(), key=lambda kv: kv[0][0])]
    else:
        buckets = [("current", cur)]
    healths = [(label, _health(part, columns)) for label, part in buckets]
    rate_p = {key: benjamini_hochberg([_rate_p(base, h, key) for _, h in healths])
              for key in ("error_rate", "fallback_rate")}
    rows = [{"bucket": "reference", **base, "flagged": False, "why": ""}]
    for k, (label, row) in enumerate(healths):
        why = _departures(base, row, latency_factor, alpha, {key: p[k] for key, p in rate_p.items()})
        rows.append({"bucket": label, **row, "flagged": bool(why), "why": "; ".join(why)})
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA)
    flagged = table.filter(pl.col("flagged"))
    found = ", ".join(f"{role} ({col})" for role, col in columns.items() if col)
    sentence = (f"Serving log has {found}: " +
                (f"{flagged.height} bucket(s) depart from the reference, first {flagged['bucket'][0]}: {flagged['why'][0]}."
                 if flagged.height else "every bucket within the reference's range; the serving system looks healthy."))
    return InfraResult(table, columns, sentence, options)


def _health(frame: pl.DataFrame, columns: dict[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": frame.height, "p50": None, "p95": None, "p99": None, "error_rate": None,
                           "fallback_rate": None}
    if columns["latency"]:
        lat = frame[columns["latency"]].cast(pl.Float64).drop_nulls().drop_nans()
        if lat.len():
            q = np.quantile(lat.to_numpy(), [0.5, 0.95, 0.99])
            out.update(p50=float(q[0]), p95=float(q[1]), p99=float(q[2]))
    errors = None
    if columns["error"]:
        errors = frame[columns["error"]].cast(pl.Float64).fill_null(0) > 0
    if columns["status"]:
        code = frame[columns["status"]].cast(pl.Float64, strict=False)
        bad = (code >= 500) | code.is_null()
        errors = bad if errors is None else (errors | bad)
    if errors is not None and frame.height:
        out["error_rate"] = float(errors.mean())
    if columns["fallback"] and frame.height:
        out["fallback_rate"] = float((frame[columns["fallback"]].cast(pl.Float64).fill_null(0) > 0).mean())
    return out


def _rate_p(base: dict, row: dict, key: str) -> float:
    if base[key] is None or row[key] is None:
        return 1.0
    return increase_p_value(round(base[key] * base["n"]), base["n"], round(row[key] * row["n"]), row["n"])


def _departures(base: dict, row: dict, latency_factor: float, alpha: float, p_adjusted: dict) -> list[str]:
    why = []
    if base["p95"] is not None and row["p95"] is not None and row["n"] >= 20 and row["p95"] > latency_factor * base["p95"]:
        why.append(f"p95 latency {row['p95']:.4g} vs {base['p95']:.4g}")
    for key, name in (("error_rate", "error rate"), ("fallback_rate", "fallback rate")):
        if base[key] is not None and row[key] is not None and row[key] - base[key] >= 0.01 and p_adjusted[key] < alpha:
            why.append(f"{name} {row[key]:.2%} vs {base[key]:.2%}")
    return why
