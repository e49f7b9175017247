"""Step 3, overall: never trust the global metric.

The global metric in both windows with 95 % intervals (Wilson for accuracy, t for the
mean losses, DeLong for AUC), the test of its change, the mix/rate split of that change
by each segment column, and the two ways the global number lies:

* **masking**: it is flat (within noise) while a sizeable slice degraded significantly;
* **mix only**: it moved, but because the traffic mix moved, not the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import check_choice
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats import metrics
from mlwatch.stats.binning import codes, quantile_edges
from mlwatch.stats.decompose import mix_rate
from mlwatch.steps.scoring import Scoring

SCHEMA = "mlwatch.overall/1"
MIX_SCHEMA = {"segment": pl.String, "change": pl.Float64, "mix": pl.Float64, "rate": pl.Float64,
              "mix_share": pl.Float64}


@dataclass(frozen=True, eq=False, repr=False)
class OverallResult(Result):
    """The global metric: ``table`` has a row per window (metric, interval, rows); ``mix``
    a row per segment column (the change of the mean loss split into mix and rate)."""

    table: pl.DataFrame
    mix: pl.DataFrame
    scoring: Scoring
    delta: float
    p_value: float
    degraded: bool
    masked: bool
    mix_only: bool
    sentence: str
    options: dict[str, Any] = field(default_factory=dict)
    onset: str | None = None          # when a degraded metric began to move (with ``time``)
    onset_low: str | None = None      # the window it likely began in (with labels: the row errors, read to the row)
    onset_high: str | None = None

    @property
    def metric_reference(self) -> float:
        return float(self.table["metric"][0])

    @property
    def metric_current(self) -> float:
        return float(self.table["metric"][1])

    SCHEMA = SCHEMA

    def _sections(self):
        return (Section(frame=self.table), Section("Change of the mean loss by segment column: mix and rate", self.mix))

    def plot(self, ax=None, *, kind: str = "metric", **kws):
        """``kind="metric"``: the metric in both windows with 95 % intervals; ``"mix"``: the
        change of the loss split into mix and rate for each segment column."""
        from mlwatch.plots.overall import plot_mix, plot_overall

        check_choice("plot kind", kind, ("metric", "mix"))
        return (plot_overall if kind == "metric" else plot_mix)(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "scoring": vars(self.scoring), "windows": records(self.table),
                "mix": records(self.mix), "delta": self.delta, "p_value": self.p_value,
                "degraded": self.degraded, "masked": self.masked, "mix_only": self.mix_only,
                "sentence": self.sentence, "options": plain(self.options), "onset": self.onset,
                "onset_low": self.onset_low, "onset_high": self.onset_high}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "OverallResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["windows"], WINDOW_SCHEMA), frame_from_records(payload["mix"], MIX_SCHEMA),
                   Scoring(**payload["scoring"]), payload["delta"], payload["p_value"], payload["degraded"],
                   payload["masked"], payload["mix_only"], payload["sentence"], payload.get("options", {}),
                   payload.get("onset"), payload.get("onset_low"), payload.get("onset_high"))


WINDOW_SCHEMA = {"window": pl.String, "n": pl.Int64, "metric": pl.Float64, "low": pl.Float64, "high": pl.Float64}


def overall(reference, current, scoring: Scoring, *, segments: Sequence[str] = (), slices=None,
            min_degradation: float = 0.1, alpha: float = 0.05, min_slice_share: float = 0.05,
            time: str | None = None) -> OverallResult:
    """The global metric reference vs current, its mix/rate split, and the masking check.

    ``slices`` (a :class:`~mlwatch.steps.slices.SliceResult`) lets the masking check see
    whether a slice of at least ``min_slice_share`` of the current rows broke while the
    global metric held. With ``time``, a degraded metric is dated: the single shift of the
    mean loss over the time buckets of both windows (:func:`~mlwatch.stats.changepoint.mean_shift`).
    """
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    loss_ref, ok_ref = scoring.losses(ref, name="reference")
    loss_cur, ok_cur = scoring.losses(cur, name="current")
    windows = []
    if scoring.metric == "auc" and not scoring.proxy:
        values = []
        for name, frame, ok in (("reference", ref, ok_ref), ("current", cur, ok_cur)):
            y = frame[scoring.target].cast(pl.Float64).to_numpy()[ok]
            auc, var = metrics.auc_delong(y, frame[scoring.prediction].cast(pl.Float64).to_numpy()[ok])
            half = 1.959964 * np.sqrt(var)
            windows.append({"window": name, "n": int(ok.sum()), "metric": auc, "low": auc - half, "high": auc + half})
            values.append((auc, var))
        from scipy import stats as _st
        z = (values[0][0] - values[1][0]) / np.sqrt(values[0][1] + values[1][1] or 1e-300)
        p_value = float(_st.norm.sf(z))                  # one-sided: AUC fell
    else:
        sums = []
        for name, loss, ok in (("reference", loss_ref, ok_ref), ("current", loss_cur, ok_cur)):
            l = loss[ok]
            sums.append((l.size, l.sum(), (l**2).sum()))
            value, low, high = scoring.interval(*sums[-1])
            windows.append({"window": name, "n": int(l.size), "metric": value, "low": low, "high": high})
        p_value = float(metrics.increase_p_values(*sums[0], *sums[1], binary=scoring.binary_loss,
                                                  two_sided=scoring.two_sided))
    table = pl.DataFrame(windows, schema=WINDOW_SCHEMA)
    ref_value, cur_value = windows[0]["metric"], windows[1]["metric"]
    delta = cur_value - ref_value
    worse = -delta if scoring.higher_is_better else delta
    # material: a rise of the loss of min_degradation of its reference level (accuracy: of
    # the error rate; AUC: of its distance above chance)
    scale = {"accuracy": 1 - ref_value, "auc": ref_value - 0.5}.get(scoring.metric, abs(ref_value)) \
        if not scoring.proxy else abs(ref_value)
    if scoring.metric == "bias" and not scoring.proxy:      # a bias near zero: of the errors' spread
        scale = float(np.std(loss_ref[ok_ref]))
    material = (abs(delta) if scoring.two_sided else worse) >= min_degradation * max(scale, 1e-12)
    degraded = bool(p_value < alpha and material)
    mix = _mix_table(ref.filter(pl.Series(ok_ref)), cur.filter(pl.Series(ok_cur)), loss_ref[ok_ref], loss_cur[ok_cur],
                     segments)
    broken = []
    if slices is not None and slices.table.height:
        sig = slices.table.filter(pl.col("significant") & (pl.col("n_current") >= min_slice_share * slices.n_current))
        broken = sig["slice"].to_list()
    masked = bool(not degraded and broken)
    change = float(np.mean(loss_cur[ok_cur]) - np.mean(loss_ref[ok_ref]))
    top_mix = mix.sort("mix_share", descending=True).row(0, named=True) if mix.height else None
    mix_only = bool(degraded and top_mix is not None and top_mix["mix_share"] >= 0.5)
    sentence = _sentence(scoring, ref_value, cur_value, p_value, degraded, masked, broken, mix_only, top_mix, change)
    onset = (None, None, None)
    if time and degraded and not scoring.proxy:
        onset = _error_onset(ref.filter(pl.Series(ok_ref)), cur.filter(pl.Series(ok_cur)), scoring, time)
    elif time and degraded:
        onset = (_onset(ref[time].filter(pl.Series(ok_ref)), cur[time].filter(pl.Series(ok_cur)), loss_ref[ok_ref],
                        loss_cur[ok_cur], "any" if scoring.two_sided else "up"), None, None)
    return OverallResult(table, mix, scoring, float(delta), p_value, degraded, masked, mix_only, sentence,
                         {"segments": list(segments), "min_degradation": min_degradation, "alpha": alpha,
                          "time": time}, *onset)


def error_posterior(reference: pl.DataFrame, current: pl.DataFrame, scoring: Scoring, time: str,
                    where: Mapping[str, Any] | None = None):
    """The posterior of the shift of the model's row errors on ``where`` (None: every
    labelled row) from the reference's, over the current rows
    (:meth:`~mlwatch.steps.scoring.Scoring.row_errors`,
    :func:`~mlwatch.stats.changepoint.change_from_reference`): how a change of the relation
    between the inputs and the target is dated, with labels. None without a split."""
    from mlwatch.stats.changepoint import change_from_reference
    from mlwatch.steps.scoring import time_axis

    (_, ok_ref), (_, ok_cur) = scoring.losses(reference, name="reference"), scoring.losses(current, name="current")
    ref, cur = reference.filter(pl.Series(ok_ref)), current.filter(pl.Series(ok_cur))
    errors_ref, errors_cur = scoring.row_errors(ref, cur)
    inside_ref, inside_cur = ((frame.select(data.where_condition(frame.schema, where, name=name)).to_series()
                               .fill_null(False).to_numpy() if where else np.ones(frame.height, dtype=bool))
                              for frame, name in ((ref, "reference"), (cur, "current")))
    return change_from_reference(errors_ref[inside_ref], errors_cur[inside_cur], time_axis(cur[time])[inside_cur])


def _error_onset(ref: pl.DataFrame, cur: pl.DataFrame, scoring: Scoring, time: str) -> tuple:
    """When the model began to err otherwise, with labels, to the row, and the window it
    likely began in: the median and central 95 % of :func:`error_posterior`."""
    from mlwatch.steps.scoring import time_label

    posterior = error_posterior(ref, cur, scoring, time)
    if posterior is None:
        return None, None, None
    like = cur[time].drop_nulls().first()
    return tuple(time_label(posterior.quantile(q), like) for q in (0.5, 0.025, 0.975))


def _onset(ref_times: pl.Series, cur_times: pl.Series, loss_ref: np.ndarray, loss_cur: np.ndarray,
           direction: str) -> str | None:
    """The start of the time bucket where the mean loss shifted (a per-row loss rises as the
    metric degrades; no earlier than the current window's first bucket), the losses clipped
    at their 1st and 99th percentiles so that a handful of huge errors does not place it."""
    from mlwatch.stats.changepoint import mean_shift
    from mlwatch.steps.scoring import current_start, format_time, time_buckets

    b_ref, b_cur, starts = time_buckets(ref_times, cur_times)
    buckets = np.concatenate([b_ref, b_cur])
    losses = np.concatenate([loss_ref, loss_cur])
    losses = np.clip(losses, *np.quantile(losses, [0.01, 0.99]))
    n = np.bincount(buckets, minlength=len(starts)).astype(float)
    used = n > 0
    sums = np.bincount(buckets, losses, len(starts))
    shift = mean_shift(n[used], sums[used], direction=direction, earliest=current_start(b_cur, used))
    return format_time(np.asarray(starts, dtype=object)[used][shift.index]) if shift is not None else None


def _mix_table(ref: pl.DataFrame, cur: pl.DataFrame, loss_ref: np.ndarray, loss_cur: np.ndarray,
               segments: Sequence[str]) -> pl.DataFrame:
    rows = []
    for column in segments:
        r = pl.DataFrame({"s": ref[column].cast(pl.String), "l": loss_ref}).group_by("s").agg(
            n_r=pl.len(), l_r=pl.col("l").mean())
        c = pl.DataFrame({"s": cur[column].cast(pl.String), "l": loss_cur}).group_by("s").agg(
            n_c=pl.len(), l_c=pl.col("l").mean())
        both = r.join(c, on="s", how="full", coalesce=True, nulls_equal=True).fill_null(0)
        mix, rate = mix_rate(both["n_r"], both["l_r"].to_numpy(), both["n_c"], both["l_c"].to_numpy())
        total = abs(mix) + abs(rate)
        rows.append({"segment": column, "change": mix + rate, "mix": mix, "rate": rate,
                     "mix_share": abs(mix) / total if total > 0 else 0.0})
    return pl.DataFrame(rows, schema=MIX_SCHEMA) if rows else pl.DataFrame(schema=MIX_SCHEMA)


def _sentence(scoring, ref_value, cur_value, p_value, degraded, masked, broken, mix_only, top_mix, change,
              alpha: float = 0.05) -> str:
    name = scoring.loss_name
    head = f"Global {name}: {ref_value:.4g} -> {cur_value:.4g} (p={p_value:.2g})"
    if scoring.proxy:
        head += " — labels missing, this is a proxy"
    if p_value > 1 - alpha and not scoring.two_sided and not scoring.proxy:
        held = "it improved"
    else:
        held = "within noise" if p_value >= alpha else "a small change, below the material threshold"
    if masked:
        return (f"{head}: {held}, but it hides {len(broken)} broken slice"
                f"{'s' if len(broken) > 1 else ''} ({', '.join(broken[:3])}). Don't trust the global metric.")
    if mix_only:
        return (f"{head}: it moved mostly because the traffic mix by {top_mix['segment']} moved "
                f"({top_mix['mix_share']:.0%} of the change is mix), not because the model got worse within segments.")
    if degraded:
        return f"{head}: {'moved' if scoring.two_sided else 'degraded'} beyond noise."
    return f"{head}: {held}."


DROP_SCHEMA = {"feature": pl.String, "change": pl.Float64, "mix": pl.Float64, "rate": pl.Float64,
               "mix_share": pl.Float64}


def explain_drop(reference, current, scoring: Scoring, *, features: Sequence[str], where=None,
                 bins: int = 10) -> pl.DataFrame:
    """How much of the rise of the loss (on a slice) the shift of each input explains.

    Each feature is cut in bins (reference quantiles; categories), and the change of the
    mean loss is split into mix (the rows moved between bins, each at its loss) and rate
    (the loss moved within bins). A large ``mix_share`` says the drop is what the model
    does on the inputs it now sees: covariate shift, not a changed relation (Simpson's
    paradox inside a slice). Sorted by ``mix_share``, largest first.
    """
    ref = data.apply_where(data.to_frame(reference, name="reference"), where, name="reference")
    cur = data.apply_where(data.to_frame(current, name="current"), where, name="current")
    loss_ref, ok_ref = scoring.losses(ref, name="reference")
    loss_cur, ok_cur = scoring.losses(cur, name="current")
    ref, cur = ref.filter(pl.Series(ok_ref)), cur.filter(pl.Series(ok_cur))
    loss_ref, loss_cur = loss_ref[ok_ref], loss_cur[ok_cur]
    rows = []
    for feature in features:
        if feature not in ref.columns or feature not in cur.columns:
            continue
        r, c = ref[feature], cur[feature]
        if r.dtype.is_temporal() and c.dtype.is_temporal():      # dates, durations: numbers on their axis
            r, c = r.to_physical().cast(pl.Float64), c.to_physical().cast(pl.Float64)
        if r.dtype.is_numeric() and c.dtype.is_numeric() and r.n_unique() > bins:
            a = r.cast(pl.Float64).to_numpy()
            finite = np.sort(a[np.isfinite(a)])
            if finite.size == 0:
                continue
            edges = quantile_edges(finite, bins)
            b = c.cast(pl.Float64).to_numpy()
            key_ref, key_cur = codes(a, edges), codes(b, edges)
            n_keys = edges.size + 2
        else:
            labels = sorted(set(r.cast(pl.String).drop_nulls().unique().to_list()) |
                            set(c.cast(pl.String).drop_nulls().unique().to_list()))
            enum = pl.Enum(labels)
            key_ref = r.cast(pl.String).cast(enum).to_physical().fill_null(len(labels)).to_numpy().astype(np.int64)
            key_cur = c.cast(pl.String).cast(enum).to_physical().fill_null(len(labels)).to_numpy().astype(np.int64)
            n_keys = len(labels) + 1
        n_r = np.bincount(key_ref, minlength=n_keys)
        n_c = np.bincount(key_cur, minlength=n_keys)
        l_r = np.divide(np.bincount(key_ref, loss_ref, n_keys), n_r, out=np.full(n_keys, np.nan), where=n_r > 0)
        l_c = np.divide(np.bincount(key_cur, loss_cur, n_keys), n_c, out=np.full(n_keys, np.nan), where=n_c > 0)
        mix, rate = mix_rate(n_r, l_r, n_c, l_c)
        total = abs(mix) + abs(rate)
        rows.append({"feature": feature, "change": mix + rate, "mix": mix, "rate": rate,
                     "mix_share": (mix / (mix + rate)) if (mix + rate) > 0 and mix > 0 else 0.0 if total else 0.0})
    table = pl.DataFrame(rows, schema=DROP_SCHEMA) if rows else pl.DataFrame(schema=DROP_SCHEMA)
    return table.sort("mix_share", descending=True)
