"""How right a diagnosis is: :func:`mlwatch.investigate`'s verdict against the ground truth of an
incident made by :func:`mlwatch.simulate.simulate`.

Each check is True (right), False (wrong) or None (it does not apply):

* ``verdict``: the kind;
* ``slice``: the rows the primary finding points at against the rows the incident hit,
  Jaccard >= 0.6 over the current window (the whole population when it hit every row);
* ``feature`` and ``signature``: the primary finding's (a covariate shift moves every input
  correlated with the one tilted: that one must be among the inputs the verdict names);
* ``onset``: within one time bucket (the bucket step 6 uses) of the span the rows can tell:
  from the last row of the slice before the truth to its first row from the truth on that
  the incident changed (the rows of ``weekday=Mon`` cannot date a change that began on a
  Thursday before the next Monday, nor a cap the change no value reached for a week; nor
  tell a cap from the rows short of its bound before it);
* ``trigger``: the likely trigger named is the true one.

:func:`onset_window` checks the window the onset likely lies in, where one is stated;
:func:`same_rows` checks the slice by the rows the fault would change in it (a cap on
Delta's long flights and on Delta's flights from JFK change the same rows when only JFK
flies that far: no row tells the two scopes apart). :func:`strength` says how plainly the
rows show a concept drift at all.

Used by ``benchmarks/bench_diagnosis.py`` and the tests.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from mlwatch.steps.scoring import time_axis, time_buckets, time_position
from mlwatch.steps.slices import slice_predicate

CHECKS = ("verdict", "slice", "feature", "signature", "onset", "trigger")


def score(case, findings) -> dict[str, bool | None]:
    """Each check of ``findings`` against ``case.truth`` (see the module docstring)."""
    truth, primary = case.truth, findings.verdict.primary
    out: dict[str, bool | None] = {"verdict": findings.verdict.kind == truth["verdict"]}
    if truth["kind"] == "none":
        return {**out, **{c: None for c in CHECKS[1:]}}
    hit = _rows(case.current, truth["slice"])
    pointed = _rows(case.current, slice_predicate(primary.scope)) if primary is not None else np.zeros(hit.size, bool)
    out["slice"] = _alike(hit, pointed)
    if truth["feature"] is not None:
        named = {f.feature for f in findings.verdict.findings if f.kind == findings.verdict.kind}
        out["feature"] = primary is not None and (primary.feature == truth["feature"] or (
            truth["kind"] == "covariate_shift" and truth["feature"] in named))
        out["signature"] = primary is not None and primary.signature == truth["signature"]
    else:
        out["feature"] = out["signature"] = None
    onset = _position(primary.onset) if primary is not None else None
    low, high = _knowable(case, hit)
    out["onset"] = onset is not None and low - _bucket(case) - 1e-9 <= onset <= high + _bucket(case) + 1e-9
    out["trigger"] = primary is not None and primary.event == truth["event"]
    return out


def onset_window(case, findings) -> tuple[bool, float] | None:
    """Whether the window the primary finding says its change likely began in
    (``onset_low`` to ``onset_high``, step 6's 95 % window) holds the span the rows can tell
    (see :func:`_knowable`; no bucket of tolerance: the window is the tool's own claim of
    uncertainty), and its width in time buckets; None without a window."""
    primary = findings.verdict.primary
    if case.truth["kind"] == "none" or primary is None or not primary.onset_low or not primary.onset_high:
        return None
    low, high = _position(primary.onset_low), _position(primary.onset_high)
    told, shown = _knowable(case, _rows(case.current, case.truth["slice"]))
    return bool(low <= shown + 1e-9 and high >= told - 1e-9), (high - low) / max(_bucket(case), 1e-12)


def same_rows(case, findings) -> bool | None:
    """Whether the fault, applied to the scope the primary finding points at, would change
    the rows it changed: Jaccard >= 0.6 between the rows of the truth's slice and of the
    pointed scope, from the onset on, that the fault changes or would change (a row past the
    cap's bound, holding one of the two swapped codes, not yet null, other than the default
    or the stuck value; every row for a covariate shift or a concept drift). Rows the
    incident changed count as changed whatever the fraction hit; the others are read as they
    are (the fault left them as they were). None for a control or an incident made without
    the mask of changed rows."""
    truth, primary, changed = case.truth, findings.verdict.primary, getattr(case, "changed", None)
    if truth["kind"] == "none" or changed is None:
        return None
    if primary is None:
        return False
    times = case.current[case.roles["time"]]
    after = (time_axis(times) >= _position(truth["onset"]) - 1e-9) if times.dtype.is_temporal() else np.ones(times.len(), bool)
    open_to = changed | (_would_change(case) & after)
    hit = _rows(case.current, truth["slice"]) & open_to
    pointed = _rows(case.current, slice_predicate(primary.scope)) & open_to
    return _alike(hit, pointed)


def strength(case) -> float | None:
    """How plainly the rows show a concept drift: the largest ``|z|`` of the truth's slice's
    change beyond the rest's (the slice search's own statistic, difference in differences,
    :func:`mlwatch.stats.metrics.difference_statistics`; the population's own change when
    it hit every row), on the model's loss and, for a regression, on its bias, over the
    labelled rows. The statistic a reader who knew the slice would compute, with no search:
    the search weighs a couple of hundred candidate slices and needs 3.5 or more. None for
    other kinds, and when no current row has a label."""
    from dataclasses import replace

    from mlwatch.stats import metrics
    from mlwatch.steps.scoring import resolve_scoring

    truth, roles = case.truth, case.roles
    if truth["kind"] != "concept_drift":
        return None
    target = roles["target"]
    current = case.current.filter(pl.col(target).is_not_null())
    if current.height == 0:
        return None
    scoring = resolve_scoring(case.reference, current, prediction=roles["prediction"], target=target,
                              task=roles.get("task"), metric=roles.get("metric"))
    read = [scoring] + ([replace(scoring, metric="bias")] if scoring.task == "regression" and scoring.metric != "bias"
                        else [])
    strongest = 0.0
    for way in read:
        (loss_a, ok_a), (loss_b, ok_b) = way.losses(case.reference, name="reference"), way.losses(current, name="current")
        in_a, in_b = _rows(case.reference, truth["slice"]), _rows(current, truth["slice"])

        def sums(mask_a, mask_b):
            a, b = loss_a[mask_a & ok_a], loss_b[mask_b & ok_b]
            return a.size, a.sum(), (a ** 2).sum(), b.size, b.sum(), (b ** 2).sum()

        if truth["slice"]:
            z = metrics.difference_statistics(sums(in_a, in_b), sums(~in_a, ~in_b), binary=way.binary_loss)[0]
        else:
            z = metrics.increase_statistics(*sums(in_a, in_b), binary=way.binary_loss)[0]
        strongest = max(strongest, abs(float(z)))
    return strongest


def _alike(hit: np.ndarray, pointed: np.ndarray) -> bool:
    """Jaccard >= 0.6 between two row masks (none in either: not alike)."""
    union = np.count_nonzero(hit | pointed)
    return bool(union and np.count_nonzero(hit & pointed) / union >= 0.6)


def _would_change(case) -> np.ndarray:
    """The current rows whose value (as it is) the fault of ``case.truth`` would change."""
    truth, current = case.truth, case.current
    kind, details = truth["kind"], truth.get("details") or {}
    if kind in ("covariate_shift", "concept_drift") or truth["feature"] not in current.columns:
        return np.ones(current.height, dtype=bool)
    values = current[truth["feature"]]
    if kind == "encoding_permutation":
        out = values.cast(pl.String).is_in([str(v) for v in details["swapped"]])
    elif kind == "null_spike":
        out = values.is_not_null()
    elif kind == "new_category":
        return np.ones(current.height, dtype=bool)
    else:
        x = values.cast(pl.Float64)
        if kind == "clipping":
            out = x > details["bound"] if details["side"] == "upper" else x < details["bound"]
        elif kind == "unit_change":
            out = x.is_not_null() & (x * details["factor"] + details["offset"] != x)
        else:                                   # default flood, stuck: anything but the value written
            out = x.ne_missing(details["value"])
            if kind == "stuck" and truth.get("onset_end"):
                out = out & pl.Series(time_axis(current[case.roles["time"]]) < _position(truth["onset_end"]))
    return out.fill_null(False).to_numpy()


def _rows(frame: pl.DataFrame, predicate: dict | None) -> np.ndarray:
    mask = np.ones(frame.height, dtype=bool)
    for column, value in (predicate or {}).items():
        mask &= (frame[column].cast(pl.String) == str(value)).fill_null(False).to_numpy()
    return mask


def _knowable(case, hit: np.ndarray) -> tuple[float, float]:
    """The span in which the rows of the hit slice place the truth's onset: the time of its
    last row before the onset and of the first row from the onset on that shows the change
    (the onset itself on a side with no row). A fault on a tenth of the slice's rows, or a cap
    few values reach, shows first in a row days after it began: no row before that one
    differs from the rows before the onset. On the early side, a cap's onset is told only by
    the last row before it whose value the cap would have changed (``last_unchanged``): the
    rows short of the bound between it and the onset look the same either way."""
    at = _position(case.truth["onset"])
    times = case.current[case.roles["time"]]
    if not times.dtype.is_temporal():
        return at, at
    seconds = time_axis(times)[hit]
    before, after = seconds[seconds < at], seconds[seconds >= at]
    first, last = (_position(case.truth.get(key)) for key in ("first_changed", "last_unchanged"))
    shown = max(float(after.min()) if after.size else at, first if first is not None else at)
    told = float(before.max()) if before.size else at
    return (min(told, last) if last is not None else told), shown


def _bucket(case) -> float:
    from mlwatch.steps.trace import _as_number

    time = case.roles["time"]
    _, _, starts = time_buckets(case.reference[time], case.current[time])
    positions = np.asarray([_as_number(t) for t in starts], dtype=float)
    return float(np.median(np.diff(positions))) if positions.size > 1 else 0.0


def _position(text: str | None) -> float | None:
    return None if text is None else time_position(text)
