"""Incidents on real data, made to order, with their ground truth.

:func:`simulate` takes a real table with a time column (a bundled one, with the model
trained on an earlier window of it, or your own frame), draws a reference and a current
window, injects one incident into the current window, and returns both windows, an event
log (the true trigger among decoys) and the ground truth: what the verdict, the slice, the
feature, its signature, the onset and the trigger should be. Every choice left open (the
kind, the slice, the feature, the onset, the share of rows hit, the size of the change) is
drawn from ``seed``, so random incidents are reproducible; the notebooks use it to teach,
the tests and ``benchmarks/bench_diagnosis.py`` to measure the diagnosis on incidents
nobody tuned it for.

The windows (``shuffle=True``, the default) are a random draw of the table's rows, shuffled,
with the time stamps of the draw kept in order: the time axis has the table's real density
(hours, weekdays, seasons), but nothing but the injected incident differs between the two
windows, so the ground truth is the whole truth. ``shuffle=False`` keeps the rows in time
order (the current window follows the reference), real drift and all.

Kinds, and the verdict each should get (DESIGN.md's decision matrix):

======================== ============== ================================================
kind                     verdict        what is done to the rows hit
======================== ============== ================================================
none                     none           nothing (the control)
covariate_shift          data_drift     the rows are redrawn from the table, tilted
                                        towards high (or one category of) the feature:
                                        P(x) moves, P(y | x) holds
unit_change              skew           ``x * factor + offset`` of a real unit change
                                        (minutes and hours, °C and °F, miles and km...)
encoding_permutation     skew           two categories swapped (in one segment or all)
null_spike               data_quality   the feature is missing
default_flood            skew           the feature is a default: 0, -1, 999 or the mean
clipping                 skew           values beyond a quantile sit on it
stuck                    skew           the feature frozen at one value for a period (on a
                                        column that does not rest on one value)
new_category             data_quality   a category the reference never saw
concept_drift            concept_drift  labels flipped (classification) or the target
                                        scaled (regression): P(y | x) moves
======================== ============== ================================================

With ``labels="withheld"`` the current window has no labels (concept drift cannot be seen
then, and is not offered); with ``labels="partial"`` the later half of it has none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import polars as pl

from mlwatch import datasets
from mlwatch.errors import DataError, MlwatchError, check_choice
from mlwatch.stats.quality import grid_step

KINDS = ("none", "covariate_shift", "unit_change", "encoding_permutation", "null_spike", "default_flood",
         "clipping", "stuck", "new_category", "concept_drift")
VERDICTS = {"none": "none", "covariate_shift": "data_drift", "unit_change": "skew", "encoding_permutation": "skew",
            "null_spike": "data_quality", "default_flood": "skew", "clipping": "skew", "stuck": "skew",
            "new_category": "data_quality", "concept_drift": "concept_drift"}
SIGNATURES = {"covariate_shift": "shift", "unit_change": "unit_change", "encoding_permutation": "encoding_permutation",
              "null_spike": "null_spike", "default_flood": "default_flood", "clipping": "clipping", "stuck": "stuck",
              "new_category": "new_category"}
NUMERIC_KINDS = ("unit_change", "default_flood", "clipping", "stuck")
CATEGORICAL_KINDS = ("encoding_permutation", "new_category")
LABELS = ("available", "withheld", "partial")
MIN_CLIPPED = 0.03      # share of a column's values a simulated clip must move
WHOLE_KINDS = ("covariate_shift", "unit_change", "encoding_permutation", "clipping", "stuck")
UNIT_CHANGES = (          # (factor, offset, what changed): x -> x * factor + offset
    (60.0, 0.0, "hours sent as minutes"), (1 / 60, 0.0, "minutes sent as hours"),
    (1000.0, 0.0, "thousands sent as units"), (1 / 1000, 0.0, "units sent as thousands"),
    (100.0, 0.0, "a share sent as a percentage"), (1 / 100, 0.0, "a percentage sent as a share"),
    (1.609344, 0.0, "miles sent as kilometres"), (1 / 1.609344, 0.0, "kilometres sent as miles"),
    (2.54, 0.0, "inches sent as centimetres"), (1.8, 32.0, "degrees Celsius sent as Fahrenheit"),
    (5 / 9, -160 / 9, "degrees Fahrenheit sent as Celsius"), (1.0, 273.15, "degrees Celsius sent as kelvin"),
)
TRIGGERS = {
    "covariate_shift": "marketing campaign launched ({where})",
    "unit_change": "ingestion job v{version} deployed ({feature} feed)",
    "encoding_permutation": "category dictionary for {feature} regenerated ({where})",
    "null_spike": "{feature} source migrated to provider B ({where})",
    "default_flood": "fallback default enabled for {feature} ({where})",
    "clipping": "validation rule capping {feature} released",
    "stuck": "{feature} sensor firmware update ({where})",
    "new_category": "new {feature} codes introduced upstream",
    "concept_drift": "policy change for {where}",
}
DECOYS = ("dashboard migration", "model registry upgrade", "on-call rotation change", "feature store backup job",
          "logging library upgraded", "A/B test framework release", "monitoring alert thresholds edited")


@dataclass(frozen=True)
class Injection:
    """What to inject; every field left None is drawn at random.

    ``where`` is the slice (``{"carrier": "UA"}``; ``{}`` the whole population; a number,
    the share of rows the slice should hold, nearest found); ``fraction`` the share of the
    slice's rows after the onset that are hit; ``onset`` where in the current window the
    incident starts (0 its first row, 0.5 its middle); ``magnitude`` the size of the change:
    the tilt in standard deviations (covariate shift), ``(factor, offset)`` (unit change),
    the default value or ``"mean"`` (default flood), the quantile of the cap (clipping, below
    0.5 a lower bound), the period as a share of the window (stuck), the target's relative
    change (concept drift, regression).
    """

    kind: str | None = None
    feature: str | None = None
    where: Mapping[str, str] | float | None = None
    fraction: float | None = None
    onset: float | None = None
    magnitude: Any = None


@dataclass(frozen=True, eq=False)
class SimulatedIncident:
    """An incident made by :func:`simulate`: the two windows, the event log, the roles of
    the columns and the ground truth."""

    reference: pl.DataFrame
    current: pl.DataFrame
    events: pl.DataFrame
    roles: dict[str, Any]
    truth: dict[str, Any]
    injection: Injection = field(default_factory=Injection)
    #: the current rows whose value the incident changed (its target's, for a concept drift)
    changed: np.ndarray | None = field(default=None, repr=False)

    def investigate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`mlwatch.investigate` for this incident, its events
        included: ``investigate(case.reference, case.current, **case.investigate_kwargs())``."""
        return {**self.roles, "events": self.events}


def simulate(data: str | datasets.ModelTable | pl.DataFrame = "flights", injection: Injection | str | None = None,
             *, n: int | None = None, seed: int | None = None, labels: str = "available", shuffle: bool = True,
             roles: Mapping[str, Any] | None = None,
             score: Callable[[pl.DataFrame], pl.Series] | None = None) -> SimulatedIncident:
    """Draw two windows of a real table and inject one incident into the current one.

    Parameters
    ----------
    data
        A bundled table's name (:func:`mlwatch.datasets.tables`), a
        :class:`~mlwatch.datasets.ModelTable`, or your own frame (then ``roles``).
    injection
        An :class:`Injection`, a kind's name, or None for a random kind.
    n
        Rows a window (default: half the table, at most 20,000).
    seed
        Seeds every random choice.
    labels
        ``"available"``, ``"withheld"`` (no labels in the current window) or ``"partial"``
        (none in its later half).
    shuffle
        Windows of shuffled rows with the time stamps in order (no drift but the injected
        one), or ``False``: consecutive windows of the table as it is.
    roles
        With a frame: ``time`` (required), ``target``, ``prediction``, ``segments``,
        ``features`` (and ``task``, ``metric``).
    score
        With a frame: a function that scores a frame (called on the rows an input fault
        hit, so that the predictions follow the broken inputs); without it the stored
        predictions are kept.

    Examples
    --------
    >>> case = simulate("acs", Injection("unit_change", feature="AGEP", where={}, fraction=0.2,
    ...                                  magnitude=(60.0, 0.0)), n=2000, seed=1)
    >>> case.truth["verdict"], case.truth["signature"], case.truth["feature"]
    ('skew', 'unit_change', 'AGEP')
    >>> float(case.current["AGEP"].max()) > 1000
    True
    """
    check_choice("labels", labels, LABELS)
    table = _table(data, roles, score)
    rng = np.random.default_rng(seed)
    pool = table.frame
    size = n or min(pool.height // 2, 20_000)
    if not 10 <= 2 * size <= pool.height:
        raise MlwatchError(f"n={size} rows a window needs {2 * size:,} rows; the table has {pool.height:,}")
    reference, current, rest = _windows(pool, table.time, size, rng, shuffle)
    plan = _plan(table, reference, injection, rng, labels)
    current, truth, changed = _inject(table, plan, reference, current, rest, rng)
    if labels != "available" and table.target:
        current = _withhold(current, table, labels)
    events = _events(plan, truth, reference[table.time], current[table.time], rng)
    truth.update(labels=labels, n_reference=reference.height, n_current=current.height, seed=seed, table=table.name)
    return SimulatedIncident(reference, current, events, table.roles, truth, plan, changed)


def random_injections(table: datasets.ModelTable, count: int, *, seed: int = 0,
                      kinds: tuple[str, ...] = KINDS) -> list[Injection]:
    """``count`` injections of kinds drawn in turn from ``kinds`` (every other field left to
    :func:`simulate`'s seeded draw): the scorecard's incidents."""
    rng = np.random.default_rng(seed)
    offered = [k for k in kinds if _eligible(table, k)]
    return [Injection(offered[i % len(offered)]) for i in rng.permutation(count)]


# ---------------------------------------------------------------- the table

def _table(data, roles, score) -> datasets.ModelTable:
    if isinstance(data, str):
        return datasets.model_table(data)
    if isinstance(data, datasets.ModelTable):
        return data
    from mlwatch import data as intake

    frame = intake.to_frame(data, name="data")
    roles = dict(roles or {})
    if not roles.get("time"):
        raise DataError("simulate: give roles={'time': ..., 'target': ..., 'prediction': ...} with your frame",
                        frame="data")
    found = intake.infer_roles(frame, target=roles.get("target"), prediction=roles.get("prediction"),
                               time=roles["time"], segments=roles.get("segments"), features=roles.get("features"))
    model = _Scorer(score) if score is not None else None
    return datasets.ModelTable(name="data", frame=frame.sort(roles["time"], maintain_order=True),
                               target=found.target, time=found.time, segments=found.segments,
                               features=found.features, task=roles.get("task", "classification"),
                               metric=roles.get("metric", "accuracy"), model=model, categories={},
                               prediction=found.prediction or "prediction")


@dataclass(frozen=True)
class _Scorer:
    function: Callable[[pl.DataFrame], pl.Series]


def _rescore(table: datasets.ModelTable, frame: pl.DataFrame) -> pl.Series | None:
    if table.model is None:
        return None
    if isinstance(table.model, _Scorer):
        return pl.Series(table.prediction, table.model.function(frame)).cast(pl.Float64)
    return table.score(frame)


def _windows(pool: pl.DataFrame, time: str, size: int, rng: np.random.Generator, shuffle: bool):
    if shuffle:
        rows = rng.choice(pool.height, 2 * size, replace=False)
        drawn = pool[np.sort(rows)]                   # in time order: its time stamps, sorted
        stamps = drawn[time]
        drawn = drawn[rng.permutation(drawn.height)].with_columns(stamps.alias(time))
        rest = pool[np.setdiff1d(np.arange(pool.height), rows)]
        return drawn.head(size), drawn.tail(size), rest
    start = int(rng.integers(0, pool.height - 2 * size + 1))
    return pool.slice(start, size), pool.slice(start + size, size), pool


# ----------------------------------------------------------------- planning

def _kinds_of(table: datasets.ModelTable) -> dict[str, list[str]]:
    frame = table.frame
    numeric = [f for f in table.features if frame[f].dtype.is_numeric() and frame[f].n_unique() >= 10]
    categorical = [f for f in table.features if not frame[f].dtype.is_numeric() and frame[f].n_unique() >= 2]
    return {"numeric": numeric, "categorical": categorical, "any": numeric + categorical}


def _eligible(table: datasets.ModelTable, kind: str) -> bool:
    kinds = _kinds_of(table)
    if kind in NUMERIC_KINDS:
        return bool(kinds["numeric"]) and (kind != "stuck" or table.frame[table.time].dtype.is_temporal())
    if kind in CATEGORICAL_KINDS:
        return bool(kinds["categorical"])
    if kind == "concept_drift":
        return table.target is not None
    return True


def _plan(table, reference: pl.DataFrame, injection, rng: np.random.Generator, labels: str) -> Injection:
    plan = Injection(injection) if isinstance(injection, str) else (injection or Injection())
    kind = plan.kind
    if kind is None:
        offered = [k for k in KINDS if _eligible(table, k) and not (k == "concept_drift" and labels == "withheld")]
        kind = str(rng.choice(offered))
    check_choice("incident kind", kind, KINDS)
    if not _eligible(table, kind):
        raise MlwatchError(f"simulate: table {table.name!r} has no column for a {kind} incident")
    if kind == "concept_drift" and labels == "withheld":
        raise MlwatchError("simulate: concept drift cannot be seen without labels; choose another kind")
    feature = plan.feature
    if feature is None and kind not in ("none", "concept_drift"):
        pool = _kinds_of(table)["numeric" if kind in NUMERIC_KINDS else
                                "categorical" if kind in CATEGORICAL_KINDS else "any"]
        if kind == "clipping":      # a cap on a column piled at its ends (visibility: 10 miles) changes nothing
            pool = [f for f in pool if _clip_quantiles(reference[f])] or pool
        # a reading frozen on a column that rests at one value (days on a waiting list: 97 % zeros)
        # is that value, and changes next to nothing (2 to 4 of 5,479 rows on the hotel table)
        if kind == "stuck":
            pool = [f for f in pool if not _rests(reference[f])] or pool
        feature = str(rng.choice(pool))
    if feature is not None and feature not in table.frame.columns:
        raise MlwatchError(f"simulate: no column {feature!r} in the table")
    where = plan.where
    if isinstance(where, (int, float)) and not isinstance(where, bool):
        where = _slice_near(table, feature, float(where))
    elif where is None:
        where = {} if kind == "none" or rng.random() < 0.3 else _random_slice(table, feature, rng)
    fraction = plan.fraction
    if fraction is None:
        # a feed's unit, a regenerated dictionary, a validation cap or a frozen sensor touches
        # every row it processes from its deploy on; nulls, defaults and new codes some of them
        fraction = {"concept_drift": float(rng.uniform(0.25, 0.5)), "none": 0.0,
                    **dict.fromkeys(WHOLE_KINDS, 1.0)}.get(kind, float(rng.uniform(0.5, 1.0)))
    onset = plan.onset if plan.onset is not None else float(rng.uniform(0.1, 0.5))
    # a clip is drawn on the values of the rows it hits: a cap on long-haul distances changes
    # nothing for a carrier that flies short routes (a drawn feature is drawn again there)
    source = reference.filter(pl.Series(_slice_mask(reference, where))) if kind == "clipping" and where else reference
    if kind == "clipping" and plan.feature is None and plan.magnitude is None and not _clip_quantiles(source[feature]):
        tails = [f for f in _kinds_of(table)["numeric"] if _clip_quantiles(source[f])]
        if tails:
            feature = str(rng.choice(tails))
    # a tilt towards a category only moves a column that has a minority to tilt towards: holidays
    # on Saturdays (none in the slice) or on Thursdays (2 %) stay as they were (0 to 16 rows moved)
    if kind == "covariate_shift" and plan.feature is None:
        inside = reference.filter(pl.Series(_slice_mask(reference, where))) if where else reference
        if not _tiltable(inside[feature]):
            movable = [f for f in _kinds_of(table)["any"] if f not in where and _tiltable(inside[f])]
            if movable:
                feature = str(rng.choice(movable))
    magnitude = plan.magnitude if plan.magnitude is not None else _magnitude(kind, table, feature, source, rng)
    return Injection(kind, feature, dict(where), float(fraction), float(onset), magnitude)


def _tiltable(values: pl.Series) -> bool:
    """Whether a tilt can move a column: a number with a spread, or a category that holds
    between 3 and 40 % of the rows (the one :func:`_covariate_shift` favours)."""
    if values.dtype.is_numeric():
        return values.drop_nulls().n_unique() >= 10
    return bool(_minorities(values).height)


def _minorities(values: pl.Series) -> pl.DataFrame:
    """The categories holding between 3 and 40 % of the rows, in order of their names."""
    text = values.cast(pl.String)
    return (text.value_counts(normalize=True, name="share").drop_nulls().sort(text.name)
            .filter(pl.col("share").is_between(0.03, 0.4)))


def _slice_candidates(table, feature: str | None) -> list[tuple[dict[str, str], float]]:
    frame = table.frame
    segments = [s for s in table.segments if s != feature]
    out = []
    for column in segments:
        counts = frame[column].cast(pl.String).value_counts(normalize=True, name="share").drop_nulls(column).sort(column)
        out += [({column: value}, share) for value, share in counts.iter_rows()]
    for i, a in enumerate(segments):
        for b in segments[i + 1:]:
            counts = (frame.select(pl.col(a).cast(pl.String), pl.col(b).cast(pl.String)).drop_nulls()
                      .group_by(a, b).len().sort(a, b))
            total = frame.height
            out += [({a: x, b: y}, k / total) for x, y, k in counts.iter_rows()]
    return out


def _slice_near(table, feature: str | None, share: float) -> dict[str, str]:
    """The slice whose share of rows is nearest ``share``: one segment's value when one is
    within a factor 1.5 of it, else a pair's."""
    candidates = _slice_candidates(table, feature)
    if not candidates:
        return {}
    single = [c for c in candidates if len(c[0]) == 1 and abs(np.log(c[1] / share)) <= np.log(1.5)]
    return min(single or candidates, key=lambda c: (abs(np.log(c[1] / share)), len(c[0])))[0]


def _random_slice(table, feature: str | None, rng: np.random.Generator, low: float = 0.08,
                  high: float = 0.5) -> dict[str, str]:
    candidates = [c for c, share in _slice_candidates(table, feature) if low <= share <= high]
    if not candidates:
        return {}
    single = [c for c in candidates if len(c) == 1]
    chosen = single if single and rng.random() < 0.6 else candidates
    return dict(chosen[int(rng.integers(len(chosen)))])


def _magnitude(kind: str, table, feature: str | None, reference: pl.DataFrame, rng: np.random.Generator):
    if kind == "covariate_shift":
        return float(rng.uniform(0.4, 1.0))
    if kind == "unit_change":
        values = reference[feature].drop_nulls().cast(pl.Float64)
        offered = [u for u in UNIT_CHANGES if u[1] == 0.0 or float(values.min()) > -60]   # temperatures, not prices
        factor, offset, _ = offered[int(rng.integers(len(offered)))]
        return (factor, offset)
    if kind == "default_flood":
        return [0.0, -1.0, 999.0, "mean"][int(rng.integers(4))]
    if kind == "clipping":
        upper, lower = float(rng.uniform(0.85, 0.95)), float(rng.uniform(0.05, 0.15))
        offered = _clip_quantiles(reference[feature], (upper, lower) if rng.random() < 0.7 else (lower, upper))
        if not offered:
            raise MlwatchError(f"simulate: {feature!r} piles at both ends: a clip would change no value")
        return offered[0]
    if kind == "stuck":
        return float(rng.uniform(0.05, 0.15))
    if kind == "concept_drift" and table.task == "regression":
        return float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.6))
    return None


def _clip_quantiles(values: pl.Series, quantiles=(0.9, 0.1)) -> list[float]:
    """The ``quantiles`` at which a clip moves at least :data:`MIN_CLIPPED` of the values:
    strictly beyond the bound (above an upper one, below a lower one), and leaves as many
    strictly short of it (a cap at a column's minimum, rain capped at zero, freezes it: that
    is a frozen feed, not a clip)."""
    x = values.drop_nulls().cast(pl.Float64)
    x = x.filter(x.is_finite()).to_numpy()
    if x.size == 0:
        return []
    out = []
    for q in quantiles:
        bound = float(np.quantile(x, q))
        beyond = np.mean(x > bound) if q >= 0.5 else np.mean(x < bound)
        short = np.mean(x < bound) if q >= 0.5 else np.mean(x > bound)
        if beyond >= MIN_CLIPPED and short >= MIN_CLIPPED:
            out.append(float(q))
    return out


# ---------------------------------------------------------------- injecting

def _rests(values: pl.Series) -> bool:
    """Whether a column holds one value in at least half its rows (rain at zero): a reading
    frozen there is that value, most of the time, and changes next to nothing."""
    values = values.drop_nulls()
    return values.len() > 0 and float(values.value_counts(name="n")["n"].max()) >= 0.5 * values.len()


def flip_correlation(frame: pl.DataFrame, feature: str, where: Mapping[str, str]) -> pl.DataFrame:
    """A joint change no marginal shows: inside the rows of ``where``, ``feature``'s values are
    dealt back in reverse order of their rank (the largest to the row that held the smallest).
    Its rank correlation with every other column flips sign there, while its marginal, in the
    slice and overall, and every other column stay as they were: what a domain classifier
    (:func:`mlwatch.multivariate_drift`) should see and no marginal test can."""
    # the missing values stay where they are (and missing: not NaN)
    inside = np.flatnonzero(_slice_mask(frame, where) & frame[feature].is_not_null().to_numpy())
    values = frame[feature].to_numpy().copy()
    part = values[inside]
    order = np.argsort(part, kind="stable")
    flipped = np.empty_like(part)
    flipped[order] = part[order[::-1]]
    values[inside] = flipped
    return frame.with_columns(pl.Series(feature, values, dtype=frame.schema[feature], nan_to_null=True))


def _slice_mask(frame: pl.DataFrame, where: Mapping[str, str]) -> np.ndarray:
    mask = np.ones(frame.height, dtype=bool)
    for column, value in where.items():
        mask &= (frame[column].cast(pl.String) == str(value)).fill_null(False).to_numpy()
    return mask


def _onset_time(times: pl.Series, onset: float):
    position = min(int(onset * times.len()), times.len() - 1)
    return times[position]


def _inject(table, plan: Injection, reference: pl.DataFrame, current: pl.DataFrame, rest: pl.DataFrame,
            rng: np.random.Generator) -> tuple[pl.DataFrame, dict[str, Any], np.ndarray]:
    kind, feature, where = plan.kind, plan.feature, dict(plan.where or {})
    times = current[table.time]
    start = _onset_time(times, plan.onset)
    after = (times >= start).to_numpy()
    inside = _slice_mask(current, where)
    truth: dict[str, Any] = {"kind": kind, "verdict": VERDICTS[kind], "signature": SIGNATURES.get(kind),
                             "feature": feature, "slice": where or None, "onset": _format(start),
                             "fraction": plan.fraction, "magnitude": plan.magnitude, "event": None}
    if kind == "none":
        truth.update(onset=None, n_affected=0, feature=None)
        return current, truth, np.zeros(current.height, dtype=bool)
    if kind == "stuck":
        span = times.max() - times.min()
        end = start + span * float(plan.magnitude)
        hit = inside & after & (times < end).to_numpy()
        truth["onset_end"] = _format(end)
    else:
        hit = inside & after & (rng.random(current.height) < plan.fraction)
    if not hit.any():
        raise MlwatchError(f"simulate: no current row in {where or 'the population'} after the onset; "
                           "give another slice or an earlier onset")
    truth["n_affected"] = int(hit.sum())
    original, changed = current, hit
    if kind == "covariate_shift" and isinstance(plan.magnitude, (tuple, list)):
        sd = float(plan.magnitude[1])
        x = current[feature].cast(pl.Float64)
        moved = x + sd * float(reference[feature].cast(pl.Float64).std())
        step = grid_step(reference[feature].drop_nulls().cast(pl.Float64).to_numpy())
        if step is not None:      # values on a grid stay on it (a younger population, not fractional ages)
            moved = (moved / step).round() * step
        truth["details"] = {"added_sd": sd}
        current = current.with_columns(pl.select(pl.when(pl.Series(hit)).then(moved).otherwise(x)).to_series()
                                       .alias(feature))
    elif kind == "covariate_shift":
        current = _covariate_shift(table, current, rest, hit, where, feature, float(plan.magnitude), rng, truth)
    elif kind == "concept_drift":
        current = _concept_drift(table, current, hit, plan, rng)
    else:
        source = (reference.filter(pl.Series(_slice_mask(reference, where)))
                  if kind in ("clipping", "encoding_permutation") and where else reference)
        scores = source[table.prediction] if table.prediction in source.columns else None
        current = current.with_columns(_faulty(kind, current[feature], source[feature], hit, plan, rng, truth, scores)
                                       .alias(feature))
    # the rows whose value the incident actually changed (a cap leaves the values under it)
    column = table.target if kind == "concept_drift" else feature
    if column is not None and column in current.columns:
        before, now = original[column], current[column]
        if kind != "concept_drift" or before.dtype == now.dtype:
            # a null left null is no change, nor a whole number written as a float (0 -> 0.0)
            numeric = before.dtype.is_numeric() and now.dtype.is_numeric()
            as_values = (lambda x: x.cast(pl.Float64).fill_nan(None)) if numeric else (lambda x: x.cast(pl.String))
            differs = as_values(before).ne_missing(as_values(now))
            changed = differs.to_numpy()
            truth["n_changed"] = int(differs.sum())
            if not truth["n_changed"]:
                raise MlwatchError(f"simulate: the {kind} changed no value of {column!r} in "
                                   f"{where or 'the population'} after the onset (a factor on zeros, a cap above "
                                   "every value): nothing to find; give another feature, slice or onset")
            # the earliest row that shows the change (a cap or a tenth of the rows shows it late)
            truth["first_changed"] = _format(times.filter(differs).min())
    if kind == "clipping" and plan.fraction == 1.0:
        # the last row before the onset the cap would have changed: no row between it and the
        # first row changed tells an onset apart from another (the late side of first_changed)
        x, bound = original[feature].cast(pl.Float64), truth["details"]["bound"]
        past = (x > bound if truth["details"]["side"] == "upper" else x < bound).fill_null(False).to_numpy()
        would = inside & ~after & past
        if would.any():
            truth["last_unchanged"] = _format(times.filter(pl.Series(would)).max())
    if kind != "concept_drift" and table.model is not None:
        rescored = _rescore(table, current.filter(pl.Series(hit)))
        if rescored is not None:
            prediction = current[table.prediction].cast(pl.Float64).to_numpy().copy()
            prediction[hit] = rescored.to_numpy()
            current = current.with_columns(pl.Series(table.prediction, prediction))
    return current, truth, changed


def _faulty(kind: str, values: pl.Series, reference: pl.Series, hit: np.ndarray, plan: Injection,
            rng: np.random.Generator, truth: dict, scores: pl.Series | None = None) -> pl.Series:
    mask = pl.Series(hit)
    if kind == "null_spike":
        return pl.select(pl.when(mask).then(None).otherwise(values)).to_series()
    if kind == "new_category":
        label = f"new-{int(rng.integers(100, 1000))}"
        truth["details"] = {"category": label}
        text = values.cast(pl.String)
        return pl.select(pl.when(mask).then(pl.lit(label)).otherwise(text)).to_series()
    if kind == "encoding_permutation":
        # the pair is drawn on the slice's reference rows (``reference``), which hold the shares
        # better than the few hit rows do: there two weekdays a seventh each can differ by half
        # by chance, and their swap moves nothing
        text, before = values.cast(pl.String), reference.cast(pl.String)
        present = text.filter(mask).unique()
        shares = (before.value_counts(normalize=True, name="share").drop_nulls()
                  .filter(pl.col(before.name).is_in(present.implode()))
                  .sort("share", before.name, descending=[True, False]))
        common = shares.filter(pl.col("share") >= 0.02)
        if common.height < 2:
            raise MlwatchError(f"simulate: {values.name!r} has fewer than two common categories where the "
                               "incident hits")
        a = common[values.name][0]
        others = common.filter(pl.col("share") <= common["share"][0] / 1.5)
        b = (others[values.name][int(rng.integers(others.height))] if others.height
             else _scored_apart(before, a, common[values.name][1:].to_list(), scores))
        truth["details"] = {"swapped": [a, b]}
        swapped = text.replace_strict([a, b], [b, a], default=text)
        out = pl.select(pl.when(mask).then(swapped).otherwise(text)).to_series()
        return out.cast(values.dtype) if values.dtype == pl.Categorical else out
    x = values.cast(pl.Float64)
    ref = reference.cast(pl.Float64).drop_nulls()
    if kind == "unit_change":
        factor, offset = plan.magnitude
        truth["details"] = {"factor": factor, "offset": offset,
                            "what": next((w for f, o, w in UNIT_CHANGES if np.isclose(f, factor) and np.isclose(o, offset)),
                                         f"x {factor:g} + {offset:g}")}
        new = x * factor + offset
    elif kind == "default_flood":
        value = float(ref.mean()) if plan.magnitude == "mean" else float(plan.magnitude)
        truth["details"] = {"value": value}
        new = pl.repeat(value, x.len(), eager=True)
    elif kind == "clipping":
        q = float(plan.magnitude)
        bound = float(ref.quantile(q, "linear"))
        truth["details"] = {"bound": bound, "side": "upper" if q >= 0.5 else "lower"}
        new = x.clip(upper_bound=bound) if q >= 0.5 else x.clip(lower_bound=bound)
    elif kind == "stuck":
        first = x.filter(pl.Series(hit)).drop_nulls()
        value = float(first[0]) if first.len() else float(ref.median())
        truth["details"] = {"value": value}
        new = pl.repeat(value, x.len(), eager=True)
    else:
        raise MlwatchError(f"simulate: unknown fault {kind!r}")
    out = pl.select(pl.when(mask).then(new).otherwise(x)).to_series()
    if values.dtype.is_integer() and kind in ("clipping", "stuck", "default_flood"):
        out = out.round().cast(values.dtype)
    return out


def _scored_apart(text: pl.Series, a: str, candidates: list[str], scores: pl.Series | None) -> str:
    """The code to swap with ``a`` when every common code holds about its share (weekdays, a
    seventh each): the one whose rows the model scores farthest from ``a``'s (KS distance of
    ``scores``, the rows' predictions), so that the swap changes what the model sees. Swapping
    Tuesday with Wednesday moves no share and no answer: no incident anything could see (five
    of 50 scorecard permutations on bike, counted as misses). The last candidate without scores."""
    from scipy.stats import ks_2samp

    if scores is None or len(candidates) < 2:
        return candidates[-1]
    rows = scores.cast(pl.Float64)
    own = rows.filter(text == a).drop_nulls().to_numpy()
    apart = []
    for c in candidates:
        other = rows.filter(text == c).drop_nulls().to_numpy()
        apart.append(ks_2samp(own, other).statistic if min(own.size, other.size) else -1.0)
    return candidates[int(np.argmax(apart))]


def _covariate_shift(table, current: pl.DataFrame, rest: pl.DataFrame, hit: np.ndarray, where: dict, feature: str,
                     tilt: float, rng: np.random.Generator, truth: dict) -> pl.DataFrame:
    """Redraw the rows hit from the rest of the table (the same slice), tilted towards high
    values of the feature (numbers: weights exp(tilt z)) or towards one category (weight
    exp(tilt * 3) for it): the inputs move, the relation to the label holds."""
    donors = rest.filter(pl.Series(_slice_mask(rest, where))) if where else rest
    needed = int(hit.sum())
    if donors.height < 2 * needed:      # few rows to spare: a tilted bootstrap of the slice's own rows too
        donors = pl.concat([donors, current.filter(pl.Series(_slice_mask(current, where)))], how="vertical_relaxed")
    x = donors[feature]
    if x.dtype.is_numeric():
        v = x.cast(pl.Float64).to_numpy()
        ok = np.isfinite(v)
        z = np.where(ok, (v - np.nanmean(v[ok])) / (np.nanstd(v[ok]) or 1.0), 0.0)
        weights = np.exp(tilt * np.clip(z, -4, 4))
        truth["details"] = {"tilt_sd": tilt}
    else:
        text = x.cast(pl.String)
        shares = _minorities(x)
        # with no category in between (a feature given by the caller), the rarest one present:
        # favouring the mode would move next to nothing
        favoured = (shares[x.name][int(rng.integers(shares.height))] if shares.height else
                    text.value_counts(name="n").drop_nulls().sort("n", x.name)[x.name][0])
        weights = np.where((text == favoured).fill_null(False).to_numpy(), np.exp(3 * tilt), 1.0)
        truth["details"] = {"favoured": favoured, "tilt": tilt}
    chosen = rng.choice(donors.height, needed, replace=donors.height < 2 * needed, p=weights / weights.sum())
    drawn = donors[np.sort(chosen)]
    drawn = drawn[rng.permutation(drawn.height)].with_columns(current[table.time].filter(pl.Series(hit)))
    positions = np.flatnonzero(hit)
    order = np.argsort(np.concatenate([np.flatnonzero(~hit), positions]), kind="stable")
    keep = current.filter(pl.Series(~hit))
    return pl.concat([keep, drawn.select(current.columns)], how="vertical_relaxed")[order]


def _concept_drift(table, current: pl.DataFrame, hit: np.ndarray, plan: Injection,
                   rng: np.random.Generator) -> pl.DataFrame:
    y = current[table.target]
    mask = pl.Series(hit)
    if table.task == "classification":
        flipped = (1 - y.cast(pl.Int64)).cast(y.dtype)
        return current.with_columns(pl.select(pl.when(mask).then(flipped).otherwise(y)).to_series().alias(table.target))
    change = float(plan.magnitude if plan.magnitude is not None else 0.4)
    scaled = (y.cast(pl.Float64) * (1 + change))
    scaled = scaled.round().cast(y.dtype) if y.dtype.is_integer() else scaled
    return current.with_columns(pl.select(pl.when(mask).then(scaled).otherwise(y)).to_series().alias(table.target))


def _withhold(current: pl.DataFrame, table, labels: str) -> pl.DataFrame:
    y = current[table.target]
    if labels == "withheld":
        return current.with_columns(pl.lit(None, dtype=y.dtype).alias(table.target))
    times = current[table.time]
    later = (times > times.median() if times.dtype.is_numeric() else times > times.sort()[times.len() // 2])
    return current.with_columns(pl.when(later).then(None).otherwise(y).alias(table.target))


# -------------------------------------------------------------------- events

def _events(plan: Injection, truth: dict, reference_times: pl.Series, current_times: pl.Series,
            rng: np.random.Generator) -> pl.DataFrame:
    """The true trigger shortly before the onset (up to a 300th of the window: some hours in
    a window of months), and decoys: one in the reference window, one well before the onset
    (a fortieth of the window and more), one after it."""
    start, end = current_times.min(), current_times.max()
    numeric = current_times.dtype.is_numeric()
    width = (end - start) / 40 if not numeric else 0
    lag = (end - start) / 300 if not numeric else 0
    rows = []
    where = ", ".join(f"{k}={v}" for k, v in (plan.where or {}).items()) or "all rows"
    if truth["kind"] != "none":
        onset = _onset_time(current_times, plan.onset)
        when = onset if numeric else onset - lag * float(rng.uniform(0.05, 1.0))
        text = TRIGGERS[truth["kind"]].format(feature=plan.feature, where=where, version=int(rng.integers(2, 9)))
        rows.append((when, text))
        truth["event"], truth["event_time"] = text, _format(when)
        if not numeric and onset - start > 12 * width:
            rows.append((onset - width * float(rng.uniform(8, 11)), DECOYS[int(rng.integers(len(DECOYS)))]))
        if not numeric and end - onset > 8 * width:
            rows.append((onset + width * float(rng.uniform(4, 7)), DECOYS[int(rng.integers(len(DECOYS)))]))
    ref_start, ref_end = reference_times.min(), reference_times.max()
    rows.append((ref_start + (ref_end - ref_start) * float(rng.uniform(0.2, 0.8)) if not numeric else ref_start,
                 DECOYS[int(rng.integers(len(DECOYS)))]))
    rows.sort(key=lambda r: r[0])
    return pl.DataFrame({"time": [_format(t) for t, _ in rows], "description": [d for _, d in rows]})


def _format(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, second=0, microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat()
    return f"{value:g}" if isinstance(value, float) else str(value)

