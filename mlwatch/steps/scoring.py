"""How the model is scored, shared by steps 1, 3 and 4: which columns, which metric, and
what stands in for the metric when the labels have not arrived yet.

With labels, a slice's "loss" is the per-row loss of the metric. Without them (no target
column in the current data, or more than half of it null), classification with labelled
reference rows falls back to the **estimated** loss (CBPE, as in
:mod:`mlwatch.steps.estimate`): the scores are calibrated on the reference labels
(isotonic), and each row's loss is its expected value when its label is a Bernoulli draw of
its calibrated score. Both windows are scored the same way, so a slice's change is the
change of its estimated metric: it moves when the inputs (and so the scores) move, and
cannot see the relation between inputs and labels change (no concept drift is assumed).
Without reference labels of both classes, classification falls back to *confidence
collapse* (the share of scores within ``margin`` of the decision threshold) and regression
to the mean prediction (tested both ways); the results say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from mlwatch.data import require_columns
from mlwatch.errors import DataError, check_choice
from mlwatch.stats import metrics

MIN_LABELLED_SHARE = 0.5
MIN_CALIBRATION = 200          # labelled reference rows the "estimated" proxy calibrates on
CALIBRATION_POINTS = 512       # knots kept of the calibration map


@dataclass(frozen=True)
class Scoring:
    """The model's columns and metric. ``proxy`` is set when the current labels are missing."""

    prediction: str
    target: str | None = None
    task: str = "classification"
    metric: str = "accuracy"
    threshold: float = 0.5
    margin: float = 0.1
    proxy: str | None = None          # None, "estimated", "confidence" or "prediction"
    calibration: tuple | None = None  # "estimated": the isotonic map, (scores, calibrated probabilities)

    def __post_init__(self):
        if self.calibration is not None:       # read back from JSON as lists
            object.__setattr__(self, "calibration", tuple(tuple(float(v) for v in part) for part in self.calibration))

    @property
    def estimated_metric(self) -> str:
        """The metric the "estimated" proxy estimates: the user's when it decomposes into row
        losses (accuracy, log-loss), else accuracy (AUC's slices would be scored on log-loss,
        which an expected value does not make clearer)."""
        return self.metric if self.metric in ("accuracy", "log_loss") else "accuracy"

    def calibrated(self, scores: np.ndarray) -> np.ndarray:
        """The reference's calibration map applied to ``scores`` (the "estimated" proxy)."""
        points, level = self.calibration
        return np.interp(scores, points, level)

    @property
    def binary_loss(self) -> bool:
        """Whether the per-row loss is 0/1 (proportion tests apply)."""
        return self.proxy == "confidence" or (self.proxy is None and self.metric == "accuracy")

    @property
    def two_sided(self) -> bool:
        """Whether a change of the loss is tested both ways: the mean prediction (labels
        missing) and the bias of a regression (prediction - target) have no worse side."""
        return self.proxy == "prediction" or (self.proxy is None and self.metric == "bias")

    @property
    def loss_name(self) -> str:
        if self.proxy == "estimated":
            return f"estimated {self.estimated_metric.replace('_', '-')}"
        if self.proxy == "confidence":
            return f"share of scores within {self.margin:g} of the threshold"
        if self.proxy == "prediction":
            return "mean prediction"
        if self.metric == "bias":
            return "mean error (prediction - target)"
        return self.metric

    def losses(self, frame: pl.DataFrame, *, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-row loss and the mask of rows it is defined on (labelled, prediction present)."""
        pred = frame[self.prediction].cast(pl.Float64).to_numpy()
        ok = np.isfinite(pred)
        if self.proxy == "estimated":
            p = np.where(ok, np.clip(pred, 0.0, 1.0), 0.5)
            q = self.calibrated(p)
            ones, zeros = (metrics.row_losses(self.estimated_metric, np.full(p.size, y), p, threshold=self.threshold)
                           for y in (1.0, 0.0))
            return np.where(ok, q * ones + (1 - q) * zeros, 0.0), ok
        if self.proxy == "confidence":
            return (np.abs(pred - self.threshold) < self.margin).astype(float), ok
        if self.proxy == "prediction":
            return np.where(ok, pred, 0.0), ok
        y = frame[self.target].cast(pl.Float64).to_numpy()
        ok &= np.isfinite(y)
        if not ok.any():
            raise DataError(f"{name}: no row has both {self.target!r} and {self.prediction!r}",
                            column=self.target, frame=name)
        return np.where(ok, metrics.row_losses(self.metric, np.where(ok, y, 0), np.where(ok, pred, 0),
                                               threshold=self.threshold), 0.0), ok

    def row_errors(self, reference: pl.DataFrame, current: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """What a change of the relation between the inputs and the target shows in, row by
        row, on each side (rows holding both columns, those :meth:`losses` keeps): a
        regression's signed error (prediction - target) over the errors its prediction
        usually has (:func:`standardised`: a rush hour's errors are ten times a night's; a
        scaled target moves them one way, which their size alone loses); a classifier's
        log-loss (a flipped confident prediction costs ten times a flipped doubtful one,
        which the 0/1 error of accuracy throws away)."""
        metric = "bias" if self.task == "regression" else "log_loss"
        errors = [metrics.row_losses(metric, frame[self.target].cast(pl.Float64).to_numpy(),
                                     frame[self.prediction].cast(pl.Float64).to_numpy()) for frame in (reference, current)]
        if self.task != "regression":
            return errors[0], errors[1]
        return standardised(*errors, reference[self.prediction], current[self.prediction])

    def value(self, mean_loss):
        """The reported metric from a mean loss (the label-free proxies are reported as they are,
        the estimated metric as the metric)."""
        if self.proxy == "estimated":
            return metrics.from_mean_loss(self.estimated_metric, mean_loss)
        return mean_loss if self.proxy else metrics.from_mean_loss(self.metric, mean_loss)

    def interval(self, n, total, total_sq) -> tuple[float, float, float]:
        """The metric and its 95 % interval from the sums of the row losses (``n`` rows,
        their ``total`` and ``total_sq``): the metric's own interval, or the loss's for a proxy."""
        if self.proxy == "estimated":       # expected losses are not 0/1: the normal interval
            lo, hi = metrics.loss_interval(n, total, total_sq, binary=False)
            ends = sorted((float(self.value(lo)), float(self.value(hi))))
            return float(self.value(total / n)), ends[0], ends[1]
        if self.proxy:
            lo, hi = metrics.loss_interval(n, total, total_sq, binary=self.binary_loss)
            return float(total / n), float(lo), float(hi)
        return metrics.metric_interval(self.metric, n, total, total_sq)

    @property
    def higher_is_better(self) -> bool:
        if self.proxy == "estimated":
            return metrics.HIGHER_IS_BETTER[self.estimated_metric]
        return False if self.proxy else metrics.HIGHER_IS_BETTER[self.metric]


def standardised(loss_ref, loss_cur, pred_ref: pl.Series, pred_cur: pl.Series, bins: int = 10):
    """Each row's loss over the reference's mean absolute loss of rows with a like prediction
    (the reference's prediction deciles).

    >>> ref, cur = standardised(np.array([1.0, 3.0, 10.0, 30.0]), np.array([2.0, 40.0]),
    ...                         pl.Series([1.0, 2.0, 10.0, 20.0]), pl.Series([1.5, 15.0]), bins=2)
    >>> ref.tolist(), cur.tolist()
    ([0.5, 1.5, 0.5, 1.5], [1.0, 2.0])
    """
    p_ref = pred_ref.cast(pl.Float64).to_numpy()
    p_cur = pred_cur.cast(pl.Float64).to_numpy()
    edges = np.unique(np.quantile(p_ref, np.linspace(0, 1, bins + 1)[1:-1]))
    b_ref, b_cur = np.searchsorted(edges, p_ref), np.searchsorted(edges, p_cur)
    n = np.bincount(b_ref, minlength=edges.size + 1)
    scale = np.bincount(b_ref, np.abs(loss_ref), edges.size + 1) / np.maximum(n, 1)
    scale = np.where(scale > 0, scale, max(float(np.mean(np.abs(loss_ref))), 1e-12))
    return loss_ref / scale[b_ref], loss_cur / scale[b_cur]


def resolve_scoring(reference: pl.DataFrame, current: pl.DataFrame, *, prediction: str,
                    target: str | None = None, task: str | None = None, metric: str | None = None,
                    threshold: float = 0.5, margin: float = 0.1) -> Scoring:
    """Check the columns and fill in the task (binary target: classification), the metric
    (accuracy; MAE for regression) and the label-free proxy when current labels are missing.

    >>> ref = pl.DataFrame({"y": [0, 1, 1, 0], "p": [0.2, 0.8, 0.6, 0.4]})
    >>> s = resolve_scoring(ref, ref, prediction="p", target="y")
    >>> s.task, s.metric, s.threshold, s.proxy
    ('classification', 'accuracy', 0.5, None)
    >>> resolve_scoring(ref, ref.drop("y"), prediction="p", target="y").proxy
    'confidence'

    (Four reference rows are too few to calibrate on: with at least :data:`MIN_CALIBRATION`
    labelled reference rows of both classes, the proxy is ``"estimated"``.)
    """
    require_columns(reference, [prediction] + ([target] if target else []), name="reference")
    require_columns(current, [prediction], name="current")
    for side, frame in (("reference", reference), ("current", current)):
        if not frame[prediction].dtype.is_numeric():
            raise DataError(f"{side}: prediction column {prediction!r} must be numeric "
                            f"(a score, probability or value), not {frame[prediction].dtype}",
                            column=prediction, frame=side)
    if task is None:
        task = _infer_task(reference[target] if target else None, reference[prediction])
    check_choice("task", task, metrics.METRICS)
    metric = metrics.check_metric(task, metric or ("accuracy" if task == "classification" else "mae"))
    proxy = None
    if target is None or target not in current.columns or \
            current[target].null_count() > (1 - MIN_LABELLED_SHARE) * current.height:
        proxy = "confidence" if task == "classification" else "prediction"
    if target is not None and reference[target].null_count() == reference.height:
        raise DataError(f"reference: target {target!r} has no value", column=target, frame="reference")
    if task == "classification":
        sides = [("reference", reference)] + ([("current", current)] if target in current.columns else [])
        for side, frame in sides if target is not None else ():
            _check_binary_labels(frame[target], side)
        for side, frame in (("reference", reference), ("current", current)):
            _check_probabilities(frame[prediction], side)
    calibration = None
    if proxy == "confidence" and target is not None:
        calibration = _calibration(reference[prediction], reference[target])
        proxy = "estimated" if calibration is not None else proxy
    return Scoring(prediction, target, task, metric, threshold, margin, proxy, calibration)


def _calibration(scores: pl.Series, labels: pl.Series) -> tuple | None:
    """The isotonic map of the reference's labels on its scores (at most
    :data:`CALIBRATION_POINTS` knots), or None without :data:`MIN_CALIBRATION` labelled rows
    of both classes."""
    from mlwatch.steps.estimate import isotonic

    both = pl.DataFrame({"p": scores.cast(pl.Float64), "y": labels.cast(pl.Float64)}).filter(
        pl.col("p").is_finite() & pl.col("y").is_not_null() & pl.col("y").is_finite())
    p, y = both["p"].clip(0.0, 1.0).to_numpy(), both["y"].to_numpy()
    if p.size < MIN_CALIBRATION or np.unique(y).size < 2:
        return None
    points, level = isotonic(p, y, knots=True)
    if points.size > CALIBRATION_POINTS:        # the map read at its quantiles: it is monotone, little is lost
        keep = np.unique(np.linspace(0, points.size - 1, CALIBRATION_POINTS).round().astype(int))
        points, level = points[keep], level[keep]
    return tuple(points.tolist()), tuple(level.tolist())


def _check_binary_labels(labels: pl.Series, side: str) -> None:
    """The binary metrics need 0/1 (or true/false) labels: a third class or text labels would
    be scored as something else without a word."""
    if labels.dtype == pl.Boolean or labels.dtype == pl.Null:
        return
    if not labels.dtype.is_numeric():
        seen = labels.drop_nulls().cast(pl.String).unique().sort().head(5).to_list()
        raise DataError(f"{side}: target {labels.name!r} holds text labels ({', '.join(map(repr, seen))}); "
                        f"classification needs 0/1 or true/false: map them first, for example "
                        f"pl.col({labels.name!r}) == {seen[-1] if seen else 'yes'!r}", column=labels.name, frame=side)
    values = labels.drop_nulls().cast(pl.Float64)
    odd = values.filter(~values.is_in([0.0, 1.0]))
    if odd.len():
        classes = values.unique().sort().head(6).to_list()
        raise DataError(f"{side}: target {labels.name!r} is not binary (values {', '.join(f'{c:g}' for c in classes)}"
                        f"{' ...' if values.n_unique() > 6 else ''}); classification scores 0/1 labels against a "
                        "probability of 1 (several classes: one column per class, scored one against the rest)",
                        column=labels.name, frame=side)


def _check_probabilities(scores: pl.Series, side: str) -> None:
    """A classifier's scores are probabilities: log-loss, accuracy at a threshold and the
    confidence proxy mean nothing outside [0, 1]."""
    finite = scores.cast(pl.Float64)
    finite = finite.filter(finite.is_finite())
    if finite.len() and (finite.min() < 0 or finite.max() > 1):
        raise DataError(f"{side}: prediction {scores.name!r} holds values outside [0, 1] "
                        f"({finite.min():.4g} to {finite.max():.4g}); classification needs probabilities "
                        "(a logit or margin: apply the sigmoid first; a value: task='regression')",
                        column=scores.name, frame=side)


def _infer_task(target: pl.Series | None, prediction: pl.Series) -> str:
    values = target if target is not None else prediction
    if values.dtype == pl.Boolean or not values.dtype.is_numeric():
        return "classification"          # text labels: the label check says what to do
    distinct = values.drop_nulls().unique()
    if distinct.len() <= 2 and distinct.cast(pl.Float64).is_in([0.0, 1.0]).all():
        return "classification"
    if target is None and prediction.min() >= 0 and prediction.max() <= 1:
        return "classification"
    return "regression"


def time_buckets(reference: pl.Series, current: pl.Series, *, n_buckets: int = 30,
                 every: str | None = None) -> tuple[np.ndarray, np.ndarray, list]:
    """Bucket index of every reference and current row on one shared time grid, and the
    bucket start times. ``every`` is a polars duration ("1d", "1w", "1h"); by default
    the coarsest of hour/day/week/month that gives at least ``n_buckets`` buckets over the
    current window (numeric times, such as a year, are their own buckets)."""
    both = pl.concat([reference.rename("t"), current.rename("t")])
    if not both.dtype.is_temporal():
        if not both.dtype.is_numeric():
            raise DataError(f"time column {reference.name!r} must be a date, datetime or number, "
                            f"not {both.dtype}", column=reference.name)
        starts, codes = np.unique(both.cast(pl.Float64).to_numpy(), return_inverse=True)
        return codes[:reference.len()], codes[reference.len():], starts.tolist()
    if every is None:
        span = (current.max() - current.min()) if current.len() else None
        every = _every_for(span, n_buckets)
    truncated = both.cast(pl.Datetime("us")).dt.truncate(every)
    starts, codes = np.unique(truncated.to_physical().to_numpy(), return_inverse=True)
    labels = pl.Series(starts).cast(pl.Datetime("us")).to_list()
    return codes[:reference.len()], codes[reference.len():], labels


def current_start(current_buckets: np.ndarray, used: np.ndarray) -> int:
    """The position, among the ``used`` buckets (a mask of the buckets with rows), of the first
    bucket holding a current row: the earliest a change between the windows can start (1 when
    the current window starts the grid, or holds no row).

    >>> current_start(np.array([3, 4]), np.array([True, False, True, True, True]))
    2
    """
    indices = np.flatnonzero(used)
    if not len(current_buckets) or not indices.size:
        return 1
    return max(int(np.searchsorted(indices, int(np.min(current_buckets)))), 1)


def _every_for(span, n_buckets: int) -> str:
    if span is None or not isinstance(span, dt.timedelta):
        return "1d"
    for every, size in (("1mo", dt.timedelta(days=30)), ("1w", dt.timedelta(weeks=1)),
                        ("1d", dt.timedelta(days=1)), ("1h", dt.timedelta(hours=1))):
        if span / size >= n_buckets:
            return every
    return "1h"


def format_time(value) -> str:
    """A bucket start as text a person reads and ``datetime.fromisoformat`` parses back: the
    date alone at midnight, then minutes, seconds only when there are some; the number for a
    numeric time axis.

    >>> import datetime as dt
    >>> format_time(dt.datetime(2024, 3, 4)), format_time(dt.datetime(2024, 3, 4, 16)), format_time(2017.0)
    ('2024-03-04', '2024-03-04 16:00', '2017')
    """
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 and not value.microsecond else "auto")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return f"{value:g}"


def time_position(text: str) -> float:
    """A time label (:func:`format_time`'s, or any ISO time) as a number on :func:`time_axis`'s
    scale: seconds since 1970, a naive time read as UTC; a number as itself.

    >>> time_position("1970-01-02"), time_position("1970-01-01 01:00"), time_position("2017")
    (86400.0, 3600.0, 2017.0)
    """
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        return float(text)


def time_axis(times: pl.Series) -> np.ndarray:
    """A time column as numbers on the axis events and buckets use (seconds for dates)."""
    if times.dtype.is_temporal():
        naive = times.cast(pl.Datetime("us"))
        if getattr(naive.dtype, "time_zone", None):
            naive = naive.dt.replace_time_zone(None)
        return naive.cast(pl.Int64).to_numpy().astype(float) / 1e6
    return times.cast(pl.Float64).to_numpy()


def time_label(position: float, like) -> str:
    """A number on the time axis as text, a date when the axis holds dates."""
    if isinstance(like, (dt.date, dt.datetime)):
        return format_time(dt.datetime(1970, 1, 1) + dt.timedelta(seconds=position))
    return format_time(position)
