"""Step 7, shadow: is the challenger (the fix) really better than the champion, everywhere?

Both models score the same live rows. Without labels: how their score distributions differ
(PSI, KS), how often they agree at the decision threshold and how many decisions flip
(overall and per segment), and the rank correlation of their scores. With labels: paired
tests on the same rows — McNemar's exact test (binomial on the discordant pairs) for
accuracy, a paired bootstrap for AUC, log-loss, MAE and RMSE — overall and per segment,
Benjamini-Hochberg across segments, and a non-inferiority check on the segments the fix
was not aimed at (the challenger may not be worse there by more than ``margin``).

The verdict: **promote** when the challenger is significantly better overall and
non-inferior on every segment it was not aimed at (segments whose paired interval is wider
than four margins are too small to judge: listed, not blocking); **reject** when it is
significantly worse overall; **hold** otherwise, with the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import MlwatchError, check_choice
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats import drift, metrics, noise
from mlwatch.steps.scoring import time_axis, time_position
from mlwatch.steps.slices import slice_label

SCHEMA = "mlwatch.shadow/1"
TABLE_SCHEMA = {
    "segment": pl.String, "n": pl.Int64, "metric_champion": pl.Float64, "metric_challenger": pl.Float64,
    "difference": pl.Float64, "low": pl.Float64, "high": pl.Float64, "p_value": pl.Float64,
    "p_value_adjusted": pl.Float64, "better": pl.Boolean, "worse": pl.Boolean, "non_inferior": pl.Boolean,
    "targeted": pl.Boolean, "agreement": pl.Float64, "flips": pl.Int64,
}


@dataclass(frozen=True, eq=False, repr=False)
class ShadowComparison(Result):
    """Champion against challenger on the same rows: ``table`` has the whole population
    first, then the targeted slice when it joins several columns, then a row per segment
    value; ``verdict`` is promote, hold or reject."""

    table: pl.DataFrame
    verdict: str
    reasons: tuple[str, ...]
    metric: str | None
    score_psi: float
    score_ks: float
    rank_correlation: float
    scores: pl.DataFrame = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        return f"{self.verdict.upper()}: " + "; ".join(self.reasons) + "."

    SCHEMA = SCHEMA

    def _sections(self):
        scores = (f"Challenger scores against champion scores: PSI {self.score_psi:.3f}, KS {self.score_ks:.3f}, "
                  f"rank correlation {self.rank_correlation:.3f}.")
        return (Section(text=scores), Section(frame=self.table, alert="worse"))

    def plot(self, ax=None, *, kind: str = "segments", **kws):
        """``"segments"``: the metric difference per segment with paired 95 % intervals;
        ``"scores"``: challenger score against champion score."""
        from mlwatch.plots.shadow import plot_scores, plot_segments

        check_choice("plot kind", kind, ("segments", "scores"))
        return (plot_segments if kind == "segments" else plot_scores)(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "verdict": self.verdict, "reasons": list(self.reasons), "metric": self.metric,
                "score_psi": self.score_psi, "score_ks": self.score_ks, "rank_correlation": self.rank_correlation,
                "segments": records(self.table), "options": plain(self.options)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "ShadowComparison":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["segments"], TABLE_SCHEMA), payload["verdict"],
                   tuple(payload["reasons"]), payload["metric"], payload["score_psi"], payload["score_ks"],
                   payload["rank_correlation"], pl.DataFrame(), payload.get("options", {}))


def shadow(current, champion, challenger, *, target: str | None = None, segments: Sequence[str] = (),
           targeted: Mapping[str, Any] | None = None, metric: str | None = None, threshold: float = 0.5,
           margin: float = 0.01, alpha: float = 0.05, n_boot: int = 500, random_state: int = 0,
           features: Sequence[str] | None = None, since: tuple[str, str] | None = None) -> ShadowComparison:
    """Compare ``champion`` and ``challenger`` on the rows of ``current``.

    Parameters
    ----------
    current
        The rows both models score (a frame, or a parquet/CSV path), with the label when known.
    champion, challenger
        Prediction columns of ``current``, or models (scored on ``features`` of ``current``).
    target
        The label column; without it only the label-free comparison is made.
    segments
        Columns to compare per value.
    targeted
        The slice the fix was aimed at (``{"region": "north"}``); every other segment must be
        non-inferior: the challenger no worse than ``margin`` (in metric units, lower bound
        of the paired 95 % interval).
    metric
        accuracy (default for 0/1 labels), auc, log_loss, mae (default otherwise) or rmse.
    since
        ``(time column, start)``: the targeted slice broke from ``start`` on (the slice search
        read it on the window's later half), so it is also compared on those rows alone, the
        row ``"<slice> from <start> on"``: a fix is validated where the damage is, not diluted
        by the rows before it.
    """
    if since is not None and not targeted:
        raise MlwatchError("shadow: since says when the targeted slice broke; give the slice too (targeted)")
    frame = data.to_frame(current, name="current")
    frame = frame.with_columns(_score(champion, frame, "champion", features).alias("_champion"),
                               _score(challenger, frame, "challenger", features).alias("_challenger"))
    data.require_columns(frame, list(segments) + ([target] if target else []), name="current")
    frame = frame.filter(pl.col("_champion").is_finite() & pl.col("_challenger").is_finite())
    if target:
        frame = frame.filter(pl.col(target).is_not_null())
    if frame.height == 0:
        raise data.EmptyDataError("current: no row has both models' scores (and the label)", frame="current")
    a, b = frame["_champion"].to_numpy(), frame["_challenger"].to_numpy()
    classification = _looks_binary(frame[target]) if target else (a.min() >= 0 and a.max() <= 1)
    if metric is None and target:
        metric = "accuracy" if classification else "mae"
    if metric:
        metrics.check_metric("classification" if metric in metrics.METRICS["classification"] else "regression", metric)
    y = frame[target].cast(pl.Float64).to_numpy() if target else None
    rng = np.random.default_rng(random_state)
    groups = [("all", np.ones(frame.height, dtype=bool))]
    if targeted:
        data.require_columns(frame, list(targeted), name="current")
        inside = np.ones(frame.height, dtype=bool)
        for column, value in targeted.items():
            inside &= (frame[column].cast(pl.String) == str(value)).fill_null(False).to_numpy()
        if len(targeted) > 1:                # the broken slice itself, when no segment row is it
            groups.append((slice_label(targeted), inside))
        if since is not None:                # and where it broke
            column, start = since
            data.require_columns(frame, [column], name="current")
            try:
                time_position(str(start))
            except ValueError:
                raise MlwatchError(f"shadow: since {start!r} is neither an ISO time nor a number "
                                   f"(the start of {column!r} from which the slice broke)") from None
            groups.append((f"{slice_label(targeted)} from {start} on",
                           inside & (np.nan_to_num(time_axis(frame[column]), nan=-np.inf) >= time_position(str(start)))))
    for column in segments:
        values = frame[column].cast(pl.String).fill_null("(missing)")
        for value in values.unique(maintain_order=True).sort().to_list():
            groups.append((f"{column}={value}", (values == value).to_numpy()))
    rows = []
    for name, mask in groups:
        row = {"segment": name, "n": int(mask.sum())}
        if classification:
            da, db = a[mask] >= threshold, b[mask] >= threshold
            row["agreement"] = float(np.mean(da == db)) if mask.any() else None
            row["flips"] = int(np.sum(da != db))
        if y is not None and mask.sum() >= 2:
            row.update(_paired(metric, y[mask], a[mask], b[mask], threshold, n_boot, rng))
        rows.append(row)
    table = pl.DataFrame([{k: r.get(k) for k in TABLE_SCHEMA} for r in rows], schema=TABLE_SCHEMA)
    table = _decide_rows(table, metric, targeted, margin, alpha)
    verdict, reasons = _verdict(table, metric, targeted, margin)
    psi_value = drift.psi(a, b).value
    ks_value = drift.ks(a, b).value
    from scipy.stats import spearmanr
    rho = float(spearmanr(a, b).statistic) if np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")
    scores = pl.DataFrame({"champion": a, "challenger": b}).sample(min(5000, frame.height), seed=random_state)
    return ShadowComparison(table, verdict, tuple(reasons), metric, float(psi_value), float(ks_value), rho, scores,
                            {"target": target, "segments": list(segments), "targeted": dict(targeted or {}),
                             "since": list(since) if since is not None else None,
                             "threshold": threshold, "margin": margin, "alpha": alpha, "n_boot": n_boot})


def _score(model_or_column, frame: pl.DataFrame, name: str, features) -> pl.Series:
    if isinstance(model_or_column, str):
        data.require_columns(frame, [model_or_column], name="current")
        if not frame[model_or_column].dtype.is_numeric():
            raise data.DataError(f"data: {name} column {model_or_column!r} must be numeric", column=model_or_column)
        return frame[model_or_column].cast(pl.Float64)
    from mlwatch.models import as_scorer

    return pl.Series(as_scorer(model_or_column, features=features).predict(frame), dtype=pl.Float64)


def _looks_binary(series: pl.Series) -> bool:
    values = series.drop_nulls().unique()
    return values.len() <= 2 and values.cast(pl.Float64).is_in([0.0, 1.0]).all()


def _metric_value(metric: str, y, p, threshold) -> float:
    if metric == "auc":
        return metrics.auc_delong(y, p)[0]
    loss = metrics.row_losses(metric, y, p, threshold=threshold)
    return float(metrics.from_mean_loss(metric, loss.mean()))


def _paired(metric: str, y, a, b, threshold, n_boot, rng) -> dict:
    """Both metrics, their difference (challenger - champion, in the direction 'better is
    positive' for accuracy/AUC and 'lower is better' kept as is for losses), a paired 95 %
    interval and a p-value (McNemar exact for accuracy, paired bootstrap otherwise)."""
    out = {"metric_champion": None, "metric_challenger": None}
    try:
        ma, mb = _metric_value(metric, y, a, threshold), _metric_value(metric, y, b, threshold)
    except MlwatchError:                 # AUC on a segment with one class: no comparison there
        return out
    out.update(metric_champion=ma, metric_challenger=mb, difference=mb - ma)
    if metric == "accuracy":
        from scipy.stats import binomtest

        right_a, right_b = (a >= threshold) == (y >= 0.5), (b >= threshold) == (y >= 0.5)
        only_b, only_a = int(np.sum(right_b & ~right_a)), int(np.sum(right_a & ~right_b))
        p = binomtest(only_b, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
        diff = (right_b.astype(float) - right_a.astype(float))
        se = np.sqrt(max(np.var(diff, ddof=1), 1e-300) / diff.size) if diff.size > 1 else 0.0
        out.update(low=mb - ma - 1.959964 * se, high=mb - ma + 1.959964 * se, p_value=float(p))
        return out
    index = rng.integers(0, y.size, (n_boot, y.size))
    diffs = []
    for i in index:
        try:
            diffs.append(_metric_value(metric, y[i], b[i], threshold) - _metric_value(metric, y[i], a[i], threshold))
        except MlwatchError:
            continue
    diffs = np.asarray(diffs)
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    share = min(np.mean(diffs <= 0), np.mean(diffs >= 0))
    out.update(low=float(lo), high=float(hi), p_value=float(min(1.0, 2 * share + 1 / (diffs.size + 1))))
    return out


def _decide_rows(table: pl.DataFrame, metric, targeted, margin, alpha) -> pl.DataFrame:
    if metric is None or table["p_value"].null_count() == table.height:
        return table.with_columns(p_value_adjusted=pl.lit(None, dtype=pl.Float64), better=pl.lit(None, dtype=pl.Boolean),
                                  worse=pl.lit(None, dtype=pl.Boolean), non_inferior=pl.lit(None, dtype=pl.Boolean),
                                  targeted=_targeted(table, targeted))
    higher = metrics.HIGHER_IS_BETTER[metric]
    p = table["p_value"].to_numpy().astype(float)
    adjusted = p.copy()
    seg = np.arange(table.height) > 0
    ok = seg & np.isfinite(p)
    if ok.any():
        adjusted[ok] = noise.benjamini_hochberg(p[ok])
    gain = table["difference"].to_numpy() * (1 if higher else -1)
    worst = (table["low"] if higher else -table["high"]).to_numpy()      # the pessimistic end, as a gain
    significant = np.where(np.isfinite(adjusted), adjusted < alpha, False)
    # non-inferior: the pessimistic end within the margin; undetermined (null) where the
    # interval is wider than four margins: too few rows there to judge either way
    width = (table["high"] - table["low"]).to_numpy()
    decided = np.isfinite(width) & (width <= 4 * margin)
    non_inferior = [bool(w > -margin) if d else None for w, d in zip(np.nan_to_num(worst, nan=-np.inf), decided)]
    return table.with_columns(
        p_value_adjusted=pl.Series(adjusted), better=pl.Series(significant & (gain > 0)),
        worse=pl.Series(significant & (gain < 0)), non_inferior=pl.Series(non_inferior, dtype=pl.Boolean),
        targeted=_targeted(table, targeted))


def _targeted(table: pl.DataFrame, targeted) -> pl.Series:
    names = {f"{k}={v}" for k, v in (targeted or {}).items()} | ({slice_label(targeted)} if targeted else set())
    late = f"{slice_label(targeted)} from " if targeted else None
    return pl.Series([s in names or (late is not None and s.startswith(late)) for s in table["segment"].to_list()],
                     dtype=pl.Boolean)


def _named(segments: list[str], shown: int = 4) -> str:
    """The first ``shown`` segments, and how many more.

    >>> _named(["a", "b", "c", "d", "e", "f"])
    'a, b, c, d and 2 more'
    """
    more = len(segments) - shown
    return ", ".join(segments[:shown]) + (f" and {more} more" if more > 0 else "")


def _verdict(table: pl.DataFrame, metric, targeted, margin) -> tuple[str, list[str]]:
    overall = table.row(0, named=True)
    if metric is None or overall["metric_champion"] is None:
        flips = overall["flips"]
        return "hold", [f"no labels: the models agree on {overall['agreement']:.1%} of decisions "
                        f"({flips:,} flips); promote only once labels show the challenger better"
                        if overall["agreement"] is not None else "no labels: nothing to compare on the metric yet"]
    reasons = [f"{metric} {overall['metric_champion']:.4g} -> {overall['metric_challenger']:.4g} overall "
               f"(95 % [{overall['low']:+.3g}, {overall['high']:+.3g}], p={overall['p_value']:.2g})"]
    higher = metrics.HIGHER_IS_BETTER[metric]
    gain = overall["difference"] * (1 if higher else -1)
    significant = overall["p_value"] < 0.05
    rest = table[1:]
    worse = rest.filter(pl.col("worse") & ~pl.col("targeted"))["segment"].to_list()
    inferior = rest.filter((pl.col("non_inferior") == False) & ~pl.col("targeted"))["segment"].to_list()  # noqa: E712
    # a segment shown better needs no non-inferiority test to be judged
    undecided = rest.filter(pl.col("non_inferior").is_null() & ~pl.col("better") & ~pl.col("targeted"))[
        "segment"].to_list()
    better = rest.filter(pl.col("better"))["segment"].to_list()
    if better:
        reasons.append(f"better on {_named(better)}")
    if undecided:
        reasons.append(f"too few rows to judge {_named(undecided)}")
    if significant and gain < 0:
        return "reject", reasons + ["significantly worse overall"]
    if worse:
        return "hold", reasons + [f"significantly worse on {_named(worse)}"]
    if inferior:
        return "hold", reasons + [f"not shown non-inferior (margin {margin:g}) on {_named(inferior)}"]
    if significant and gain > 0:
        return "promote", reasons + ["no segment worse beyond the margin"]
    return "hold", reasons + ["no significant gain overall"]
