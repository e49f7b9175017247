"""When labels are late: the model's performance estimated from its own scores, per slice.

**Confidence-based performance estimation** (CBPE; Kim et al., the method NannyML ships):
the model's scores are calibrated on the reference window, where labels are known
(isotonic regression, ``scipy.optimize.isotonic_regression``), so that a calibrated score
``q`` is the chance the row is positive. On the current rows, each row's label is then a
Bernoulli(``q``) draw, and every metric has an expected value:

* accuracy: the mean of ``q`` over rows predicted positive and of ``1 - q`` over the others
  (the expected confusion matrix gives precision, recall and F1 the same way);
* log-loss: the mean of ``-(q log p + (1 - q) log(1 - p))`` for the model's score ``p``;
* ROC-AUC: the area under the expected ROC curve (expected true and false positives above
  every threshold of the scores).

**Intervals** hold the realised metric's sampling spread (labels drawn from the calibrated
scores 200 times, on at most 20,000 rows of the slice, the spread scaled to its size) and the
calibration's own error (the map refitted on 20 bootstrap resamples of the reference rows
that calibrate it, at most 20,000 of them, the spread scaled to all of them by the cube root of
the ratio), added in quadrature. They cannot hold a change of the relation between
inputs and labels.

**The assumption**: no concept drift. The estimate sees the inputs (and so the scores)
move; it cannot see the labels' relation to them change. A slice whose realised metric
falls while its estimate holds is concept drift, which only labels show.

**Regression: direct loss estimation** (NannyML's DLE): a LightGBM model of each row's
loss (absolute error for MAE, squared error for RMSE) from the inputs and the model's
prediction is fitted on the reference, cross-fitted (each reference row's estimate comes
from a model that did not see it), and applied to the current rows; a slice's estimated MAE
is the mean of its rows' estimated losses, plus the mean out-of-fold residual of its
reference rows (the slice's own when it has ``min_rows`` of them: the loss model's bias
there). The interval is the normal one of a mean of the residuals: their spread over the
slice's current rows (the realised metric's sampling error) and over the reference rows that
measured the bias, added; for RMSE it is read on the squared scale and square-rooted.

**Per slice**: every value of every segment column (at least ``min_rows`` current rows)
gets its estimate and interval beside its realised reference metric. A model calibrated on
the population is seldom calibrated inside a slice whose base rate differs, so a slice with
at least ``min_rows`` labelled reference rows of both classes is calibrated on its own rows
(measured: on the flights table, 56 % of slices covered with the population's calibration,
see ``benchmarks/bench_estimate.py``); the slices are ranked
by the estimated fall, which is tested against the reference's sampling error. Where labels
arrived for part of the current window, the estimate is compared with the realised metric on
those rows (``check``): the estimate's own test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import DataError, check_choice, check_number
from mlwatch.results import Result, Section, frame_from_records, plain, records

SCHEMA = "mlwatch.estimate/1"
METRICS = ("accuracy", "precision", "recall", "f1", "log_loss", "roc_auc")
REGRESSION_METRICS = ("mae", "rmse")
HIGHER_IS_BETTER = {"accuracy": True, "precision": True, "recall": True, "f1": True, "log_loss": False,
                    "roc_auc": True, "mae": False, "rmse": False}
LOSS_FOLDS = 3
LOSS_PARAMS = {"objective": "regression", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50,
               "verbose": -1, "seed": 0, "deterministic": True, "force_col_wise": True}
LOSS_ROUNDS = 200
DRAWS = 200
DRAW_ROWS = 20_000
REFITS = 20
EPS = 1e-6
TABLE_SCHEMA = {"slice": pl.String, "column": pl.String, "value": pl.String, "n_reference": pl.Int64,
                "n_current": pl.Int64, "reference": pl.Float64, "estimated": pl.Float64, "low": pl.Float64,
                "high": pl.Float64, "change": pl.Float64, "p_value": pl.Float64, "significant": pl.Boolean,
                "realised": pl.Float64, "n_labelled": pl.Int64}


@dataclass(frozen=True, eq=False, repr=False)
class EstimateResult(Result):
    """Estimated performance without labels: ``table`` has a row for the population and a row
    per slice (realised reference metric, estimated current metric with its interval, the
    change and its test; ``realised`` on the current rows whose labels arrived)."""

    table: pl.DataFrame
    metric: str
    calibrated: bool
    adjustment: float
    sentence: str
    options: dict[str, Any] = field(default_factory=dict)

    SCHEMA = SCHEMA

    @property
    def population(self) -> dict[str, Any]:
        return self.table.row(0, named=True)

    @property
    def worst(self) -> dict[str, Any] | None:
        """The significant slice whose estimated metric fell most, or None."""
        fell = pl.col("change") > 0 if not HIGHER_IS_BETTER[self.metric] else pl.col("change") < 0
        rows = self.table.slice(1).filter(pl.col("significant") & fell)
        if rows.height == 0:
            return None
        order = rows["change"] if not HIGHER_IS_BETTER[self.metric] else -rows["change"]
        return rows.with_columns(order.alias("_o")).sort("_o", descending=True).drop("_o").row(0, named=True)

    @property
    def check(self) -> dict[str, Any] | None:
        """Estimated against realised on the labelled current rows of the population, when some arrived."""
        p = self.population
        if not p["n_labelled"]:
            return None
        return {"n_labelled": p["n_labelled"], "realised": p["realised"], "estimated": p["estimated"],
                "gap": p["estimated"] - p["realised"]}

    def _sections(self):
        return (Section(text="Assumes no concept drift: an estimate cannot see the relation between inputs and "
                             "labels change."),
                Section("Estimated by slice", self.table, alert="significant", max_rows=10))

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "metric": self.metric, "calibrated": self.calibrated,
                "adjustment": self.adjustment, "summary": self.sentence, "population": plain(self.population),
                "worst": plain(self.worst), "check": plain(self.check), "slices": records(self.table),
                "options": plain(self.options), "assumption": "no concept drift"}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "EstimateResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["slices"], TABLE_SCHEMA), payload["metric"], payload["calibrated"],
                   payload["adjustment"], payload["summary"], dict(payload.get("options") or {}))

    def plot(self, ax=None, **kws):
        from mlwatch.plots.estimate import plot_estimate

        return plot_estimate(self, ax=ax, **kws)


def estimate_performance(reference, current, *, target: str, prediction: str, segments: Sequence[str] = (),
                         metric: str | None = None, task: str | None = None, features: Sequence[str] | None = None,
                         threshold: float = 0.5, min_rows: int = 500, alpha: float = 0.05,
                         seed: int = 0) -> EstimateResult:
    """Estimated ``metric`` of a model on ``current`` without its labels (see the module).

    Classification (CBPE): ``prediction`` holds the model's probability of the positive class,
    ``target`` the reference's labels (0/1); ``metric`` one of :data:`METRICS` (accuracy).
    Regression (direct loss estimation; ``task="regression"``, or a target that is not 0/1):
    ``metric`` ``"mae"`` (the default) or ``"rmse"``, the loss modelled from ``features``
    (default: every shared column but the target, the prediction and dates) and the
    prediction; needs LightGBM. Current labels, where some arrived, are the check.
    ``segments`` are columns whose values are the slices. Assumes no concept drift."""
    check_number("min_rows", min_rows, low=1, integer=True)
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    if task is None:
        task = "regression" if metric in REGRESSION_METRICS else _task_of(reference, target)
    check_choice("task", task, ("classification", "regression"))
    if task == "regression":
        return _direct_loss(reference, current, target=target, prediction=prediction, segments=segments,
                            metric=metric or "mae", features=features, min_rows=min_rows, alpha=alpha, seed=seed)
    metric = metric or "accuracy"
    check_choice("metric", metric, METRICS)
    check_number("threshold", threshold, low=0, high=1, low_open=True, high_open=True)
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    data.require_columns(ref, [target, prediction, *segments], name="reference")
    data.require_columns(cur, [prediction, *segments], name="current")
    y_ref, p_ref = _labels(ref[target], "reference"), _scores(ref[prediction], "reference")
    known = ~np.isnan(y_ref)
    if known.sum() < 50 or len(np.unique(y_ref[known])) < 2:
        raise DataError(f"reference: {target!r} needs labels of both classes on at least 50 rows to calibrate the "
                        "scores", column=target, frame="reference")
    calibrate = isotonic(p_ref[known], y_ref[known])
    adjustment = float(np.mean(np.abs(calibrate(p_ref[known]) - p_ref[known])))
    p_cur = _scores(cur[prediction], "current")
    q_cur = calibrate(p_cur)
    y_cur = _labels(cur[target], "current") if target in cur.columns else np.full(cur.height, np.nan)
    rng = np.random.default_rng(seed)
    rows = [_row("population", None, None, np.ones(ref.height, bool), np.ones(cur.height, bool), y_ref, p_ref,
                 p_cur, q_cur, y_cur, metric, threshold, rng, calibrated_on=known)]
    for label, column, value, inside_ref, inside_cur in _slices(ref, cur, segments, min_rows):
        # a model calibrated on the population is seldom calibrated inside a slice (its base
        # rate differs): the slice's own reference rows calibrate it when they are enough
        own = inside_ref & known
        alone = own.sum() >= min_rows and len(np.unique(y_ref[own])) == 2
        q = isotonic(p_ref[own], y_ref[own])(p_cur) if alone else q_cur
        rows.append(_row(label, column, value, inside_ref, inside_cur, y_ref, p_ref, p_cur, q, y_cur, metric,
                         threshold, rng, calibrated_on=own if alone else known))
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA)
    table = _tested(table, alpha)
    result = EstimateResult(table, metric, adjustment >= 0.01, adjustment, "",
                            {"target": target, "prediction": prediction, "segments": list(segments),
                             "threshold": threshold, "min_rows": min_rows, "alpha": alpha, "seed": seed})
    return _with_sentence(result)


def _slices(ref: pl.DataFrame, cur: pl.DataFrame, segments: Sequence[str], min_rows: int):
    """Every value of every segment column with at least ``min_rows`` current rows: its label,
    column, value and its rows in each window (missing values are the value ``(missing)``)."""
    for column in segments:
        r, c = ref[column].cast(pl.String).fill_null("(missing)"), cur[column].cast(pl.String).fill_null("(missing)")
        for value in sorted(set(c.unique().to_list())):
            inside_cur = (c == value).to_numpy()
            if inside_cur.sum() >= min_rows:
                yield f"{column}={value}", column, value, (r == value).to_numpy(), inside_cur


def _task_of(reference, target: str) -> str:
    """Classification when the reference's labels are 0/1 (or true/false), else regression."""
    frame = data.to_frame(reference, name="reference")
    data.require_columns(frame, [target], name="reference")
    values = frame[target].drop_nulls()
    if values.dtype == pl.Boolean:
        return "classification"
    if not values.dtype.is_numeric():
        raise DataError(f"reference: target {target!r} holds text; a performance estimate needs 0/1 labels or "
                        "numbers", column=target, frame="reference")
    return "classification" if values.cast(pl.Float64).is_in([0.0, 1.0]).all() else "regression"


def _direct_loss(reference, current, *, target: str, prediction: str, segments: Sequence[str], metric: str,
                 features: Sequence[str] | None, min_rows: int, alpha: float, seed: int) -> EstimateResult:
    """Direct loss estimation for a regression model (see the module)."""
    check_choice("metric for regression", metric, REGRESSION_METRICS)
    try:
        import lightgbm as lgb
    except ImportError:
        raise ImportError("a regression model's performance estimate needs LightGBM: "
                          "pip install 'mlwatch[explain]'") from None
    from mlwatch.steps.multivariate import design_matrix

    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    data.require_columns(ref, [target, prediction, *segments], name="reference")
    data.require_columns(cur, [prediction, *segments], name="current")
    names = list(dict.fromkeys(features if features is not None else
                               [c for c in ref.columns if c in cur.columns and c not in (target, prediction)
                                and not ref.schema[c].is_temporal()]))
    y_ref = ref[target].cast(pl.Float64, strict=False).to_numpy().astype(float)
    p_ref = _values(ref[prediction], "reference")
    p_cur = _values(cur[prediction], "current")
    known = np.isfinite(y_ref)
    if known.sum() < max(50, 10 * LOSS_FOLDS):
        raise DataError(f"reference: {target!r} needs values on at least 50 rows to model the loss", column=target,
                        frame="reference")
    a, b, schema = data.align(ref, cur, names) if names else (ref.select(), cur.select(), None)
    x, categorical = design_matrix(a, b, names, schema.kinds) if names else (np.empty((ref.height + cur.height, 0)), [])
    x = np.column_stack([x, np.r_[p_ref, p_cur]])
    x_ref, x_cur = x[:ref.height], x[ref.height:]
    squared = metric == "rmse"
    loss = (y_ref - p_ref) ** 2 if squared else np.abs(y_ref - p_ref)
    rows = np.flatnonzero(known)
    fold = np.random.default_rng(seed).permutation(rows.size) % LOSS_FOLDS
    fitted = np.full(ref.height, np.nan)
    estimated = np.zeros(cur.height)
    for k in range(LOSS_FOLDS):
        train = rows[fold != k]
        model = lgb.train({**LOSS_PARAMS, "num_threads": 1}, lgb.Dataset(x_ref[train], loss[train],
                          categorical_feature=categorical), num_boost_round=LOSS_ROUNDS)
        fitted[rows[fold == k]] = model.predict(x_ref[rows[fold == k]])
        estimated += model.predict(x_cur) / LOSS_FOLDS
    fitted, estimated = np.maximum(fitted, 0.0), np.maximum(estimated, 0.0)
    residual = loss - fitted                      # out of fold, on the labelled reference rows
    y_cur = cur[target].cast(pl.Float64, strict=False).to_numpy().astype(float) if target in cur.columns else \
        np.full(cur.height, np.nan)
    out = [_loss_row("population", None, None, np.ones(ref.height, bool), np.ones(cur.height, bool), known, loss,
                     residual, estimated, y_cur, p_cur, squared, min_rows)]
    for label, column, value, inside_ref, inside_cur in _slices(ref, cur, segments, min_rows):
        out.append(_loss_row(label, column, value, inside_ref, inside_cur, known, loss, residual, estimated, y_cur,
                             p_cur, squared, min_rows))
    table = _tested(pl.DataFrame(out, schema=TABLE_SCHEMA), alpha)
    bias = float(np.mean(residual[known]))
    result = EstimateResult(table, metric, False, bias, "",
                            {"target": target, "prediction": prediction, "segments": list(segments), "features": names,
                             "min_rows": min_rows, "alpha": alpha, "seed": seed, "method": "direct loss estimation"})
    return _with_sentence(result)


def _values(series: pl.Series, name: str) -> np.ndarray:
    values = series.cast(pl.Float64, strict=False).to_numpy().astype(float)
    if not np.isfinite(values).all():
        raise DataError(f"{name}: {series.name!r} must hold a finite prediction on every row to estimate "
                        "performance", column=series.name, frame=name)
    return values


def _loss_row(label, column, value, inside_ref, inside_cur, known, loss, residual, estimated, y_cur, p_cur,
              squared: bool, min_rows: int) -> dict:
    """One slice's realised reference metric and estimated current metric with its interval."""
    own = inside_ref & known
    # the loss model's bias: the slice's own when its reference rows are enough
    measured = own if own.sum() >= min_rows else known
    bias, spread = float(np.mean(residual[measured])), float(np.std(residual[measured]))
    n = int(inside_cur.sum())
    mean = float(np.mean(estimated[inside_cur])) + bias
    se = spread * np.sqrt(1 / n + 1 / measured.sum())
    low, high = max(mean - 1.96 * se, 0.0), max(mean + 1.96 * se, 0.0)
    scale = np.sqrt if squared else (lambda v: v)
    labelled = inside_cur & np.isfinite(y_cur)
    error = (y_cur - p_cur)[labelled]
    realised = float(scale(np.mean(error ** 2 if squared else np.abs(error)))) if labelled.any() else None
    return {"slice": label, "column": column, "value": value, "n_reference": int(own.sum()), "n_current": n,
            "reference": float(scale(np.mean(loss[own]))) if own.any() else float("nan"),
            "estimated": float(scale(max(mean, 0.0))), "low": float(scale(low)), "high": float(scale(high)),
            "change": None, "p_value": None, "significant": False, "realised": realised,
            "n_labelled": int(labelled.sum())}


def _labels(series: pl.Series, name: str) -> np.ndarray:
    values = series.cast(pl.Float64, strict=False).to_numpy().astype(float)
    bad = ~np.isnan(values) & ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise DataError(f"{name}: {series.name!r} must hold 0/1 labels for a performance estimate (found "
                        f"{values[bad][0]:g})", column=series.name, frame=name)
    return values


def _scores(series: pl.Series, name: str) -> np.ndarray:
    values = series.cast(pl.Float64, strict=False).to_numpy().astype(float)
    if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
        raise DataError(f"{name}: {series.name!r} must hold probabilities in [0, 1] on every row to estimate "
                        "performance", column=series.name, frame=name)
    return values


def isotonic(p: np.ndarray, y: np.ndarray, *, knots: bool = False):
    """The calibration map: isotonic regression of the labels on the scores (scipy), read
    between the fitted points by linear interpolation (with ``knots``: the points and their
    calibrated values)."""
    from scipy.optimize import isotonic_regression

    # tied scores are one point, weighted by their rows, at their labels' mean (as
    # scikit-learn's IsotonicRegression): the map cannot depend on the order of tied rows
    points, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=y, minlength=points.size) / counts
    level = np.clip(isotonic_regression(means, weights=counts.astype(float)).x, EPS, 1 - EPS)
    if knots:
        return points, level
    return lambda s: np.interp(s, points, level)


def _expected(metric: str, p: np.ndarray, q: np.ndarray, threshold: float) -> float:
    """The metric expected when each label is Bernoulli(q) (see the module)."""
    positive = p >= threshold
    tp, fp = q[positive].sum(), (1 - q[positive]).sum()
    fn = q[~positive].sum()
    if metric == "accuracy":
        return float((tp + (1 - q[~positive]).sum()) / p.size)
    if metric == "precision":
        return float(tp / (tp + fp)) if positive.any() else float("nan")
    if metric == "recall":
        return float(tp / (tp + fn)) if tp + fn > 0 else float("nan")
    if metric == "f1":
        return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn > 0 else float("nan")
    if metric == "log_loss":
        s = np.clip(p, EPS, 1 - EPS)
        return float(np.mean(-(q * np.log(s) + (1 - q) * np.log(1 - s))))
    order = np.argsort(-p, kind="stable")                     # roc_auc: the expected curve
    tpr = np.concatenate([[0], np.cumsum(q[order])]) / q.sum()
    fpr = np.concatenate([[0], np.cumsum(1 - q[order])]) / (1 - q).sum()
    return float(np.trapezoid(tpr, fpr))


def _realised(metric: str, y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    """The metric on known labels (the same formulas with q = y)."""
    if y.size == 0 or (metric == "roc_auc" and len(np.unique(y)) < 2):
        return float("nan")
    if metric == "roc_auc":
        from mlwatch.stats.metrics import auc_delong

        return float(auc_delong(y, p)[0])
    return _expected(metric, p, y, threshold)


def _interval(metric: str, p: np.ndarray, q: np.ndarray, threshold: float, rng: np.random.Generator,
              p_cal: np.ndarray, y_cal: np.ndarray) -> tuple[float, float]:
    """The 95 % interval of the realised metric: its sampling spread when labels are
    Bernoulli(q), drawn :data:`DRAWS` times on at most :data:`DRAW_ROWS` rows and scaled to
    all rows, widened by the calibration's own error (the expected metric under maps refitted
    on :data:`REFITS` bootstrap resamples of the calibrating reference rows ``p_cal, y_cal``)."""
    m = min(p.size, DRAW_ROWS)
    pick = rng.choice(p.size, m, replace=False) if m < p.size else np.arange(p.size)
    ps, qs = p[pick], q[pick]
    draws = np.array([_realised(metric, (rng.random(m) < qs).astype(float), ps, threshold) for _ in range(DRAWS)])
    draws = draws[np.isfinite(draws)]
    if draws.size < DRAWS // 2:
        return float("nan"), float("nan")
    centre = _expected(metric, p, q, threshold)
    scale = np.sqrt(m / p.size)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    mid = np.mean(draws)
    # the calibration's error, on at most DRAW_ROWS calibrating rows, scaled to all of them by
    # the cube root (an isotonic fit's pointwise rate: wider than the square root, so on the safe side)
    k = min(p_cal.size, DRAW_ROWS)
    refits = []
    for _ in range(REFITS):
        again = rng.integers(0, p_cal.size, k)
        if len(np.unique(y_cal[again])) == 2:
            refits.append(_expected(metric, ps, isotonic(p_cal[again], y_cal[again])(ps), threshold))
    spread = 1.96 * float(np.nanstd(refits)) * (k / p_cal.size) ** (1 / 3) if len(refits) > 2 else 0.0
    below, above = (mid - lo) * scale, (hi - mid) * scale
    return float(centre - np.hypot(below, spread)), float(centre + np.hypot(above, spread))


def _row(label, column, value, inside_ref, inside_cur, y_ref, p_ref, p_cur, q_cur, y_cur, metric, threshold, rng,
         *, calibrated_on: np.ndarray):
    known = inside_ref & ~np.isnan(y_ref)
    p, q = p_cur[inside_cur], q_cur[inside_cur]
    labelled = inside_cur & ~np.isnan(y_cur)
    low, high = _interval(metric, p, q, threshold, rng, p_ref[calibrated_on], y_ref[calibrated_on])
    return {"slice": label, "column": column, "value": value, "n_reference": int(known.sum()),
            "n_current": int(inside_cur.sum()),
            "reference": _realised(metric, y_ref[known], p_ref[known], threshold),
            "estimated": _expected(metric, p, q, threshold), "low": low, "high": high, "change": None,
            "p_value": None, "significant": False,
            "realised": _realised(metric, y_cur[labelled], p_cur[labelled], threshold) if labelled.any() else None,
            "n_labelled": int(labelled.sum())}


def _tested(table: pl.DataFrame, alpha: float) -> pl.DataFrame:
    """The change of each slice's metric, estimated current against realised reference, and
    its two-sided test (the estimate's interval and the reference's binomial-like error as
    normal errors), Benjamini-Hochberg across the slices (the population apart)."""
    from scipy import stats

    est, ref = table["estimated"].to_numpy(), table["reference"].to_numpy()
    se_est = (table["high"].to_numpy() - table["low"].to_numpy()) / (2 * 1.96)
    # the reference's sampling error, as the estimate's at the reference's size
    se_ref = se_est * np.sqrt(table["n_current"].to_numpy() / np.maximum(table["n_reference"].to_numpy(), 1))
    se = np.sqrt(se_est ** 2 + se_ref ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (est - ref) / se, 0.0)          # no spread (a slice all of one class): no evidence
    p = 2 * stats.norm.sf(np.abs(z))
    adjusted = p.copy()
    if p.size > 1:
        adjusted[1:] = stats.false_discovery_control(np.nan_to_num(p[1:], nan=1.0))
    return table.with_columns(change=pl.Series(est - ref), p_value=pl.Series(adjusted),
                              significant=pl.Series(np.nan_to_num(adjusted, nan=1.0) < alpha))


def _with_sentence(r: EstimateResult) -> EstimateResult:
    p, worst = r.population, r.worst
    name = r.metric.replace("_", " ")
    text = (f"Estimated {name} without labels: {p['estimated']:.3f} ({p['low']:.3f}-{p['high']:.3f}) against "
            f"{p['reference']:.3f} realised on the reference")
    if worst is not None:
        text += (f"; it fell most on {worst['slice']}: {worst['reference']:.3f} -> {worst['estimated']:.3f} "
                 f"({worst['low']:.3f}-{worst['high']:.3f}, {worst['n_current']:,} rows)")
    text += ". An estimate, assuming no concept drift"
    if r.check is not None:
        c = r.check
        inside = p["low"] <= c["realised"] <= p["high"]
        text += (f"; on the {c['n_labelled']:,} current rows whose labels arrived it is {c['realised']:.3f} realised "
                 + ("(inside the estimate's interval)" if inside else "(outside the estimate's interval: the "
                    "relation between inputs and labels may have changed)"))
    if r.options.get("method") == "direct loss estimation":
        text += " (each row's loss modelled from its inputs and prediction on the reference: direct loss estimation)."
    else:
        text += (f" (scores calibrated on the reference, mean adjustment {r.adjustment:.3f})." if r.calibrated else
                 f" (the scores were already calibrated on the reference: mean adjustment {r.adjustment:.3f}).")
    return EstimateResult(r.table, r.metric, r.calibrated, r.adjustment, text, r.options)


__all__ = ["EstimateResult", "estimate_performance"]
