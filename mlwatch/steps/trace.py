"""Step 6, trace: what happened to each drifted feature, when it began, and which upstream
event explains it.

* **Signature** of each feature (:mod:`mlwatch.stats.signatures`), on the broken slice.
* **Onset**: every row gets a 0/1 mark, "lands in a bin that carries the drift" (the PSI
  bins whose share rose, the missing bin for a null spike, the unseen categories); the
  marks' share per time bucket, reference and current together, is split where a single
  mean shift explains it best. The uncertainty window is every split whose likelihood
  ratio is within 3.84 (chi-square, 1 df, 95 %) of the best one.
* **Groups**: features whose onset windows overlap changed together — one upstream cause.
* **Events** (deploys, schema migrations, upgrades): each feature's events are scored by how
  well they explain its onset (:func:`likely_trigger`): a trigger precedes the change. The
  best one scoring at least 0.5 is the likely trigger.

:func:`run_detector` runs a streaming detector (ADWIN, Page-Hinkley, CUSUM or any with
River's contract) over a series and returns a :class:`ChangeTrace`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl
from scipy import stats

from mlwatch import data
from mlwatch.errors import MlwatchError
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats import drift, quality, streaming
from mlwatch.stats.binning import (MISSING, RARE, bins_from_category_counts, category_counts, codes,
                                   numeric_bins, quantile_edges, reference_codes)
from mlwatch.stats.changepoint import SplitPosterior, rate_rise, row_posterior, shift_posterior
from mlwatch.stats.signatures import PIPELINE, Signature, signature, stuck_signature
from mlwatch.steps.scoring import format_time, time_axis, time_buckets, time_label
from mlwatch.steps.slices import slice_predicate

SCHEMA = "mlwatch.trace/1"
TABLE_SCHEMA = {
    "feature": pl.String, "signature": pl.String, "confidence": pl.Float64, "pipeline_fault": pl.Boolean,
    "sentence": pl.String, "onset": pl.String, "onset_low": pl.String, "onset_high": pl.String,
    "group": pl.Int64, "event": pl.String, "event_time": pl.String, "event_score": pl.Float64,
    "home": pl.String, "home_rows": pl.Int64, "driver": pl.String,
}
HOME_SHARE = 0.9          # of the rows a fault marks beyond the reference's rate, that its home must hold
HOME_ROWS = 10            # the fewest such rows a home is read from
HOME_VALUES = 40          # segment columns with more values than this are not read for a home
HOME_RATE = 0.2           # the rate of marked rows left outside a home, at most, relative to the rate inside
# the posterior probability that an event started a change (see likely_trigger) it must pass
# to be named the likely trigger when no event sits at the onset itself
TRIGGER_CHANCE = 0.5
# signatures of a tilt rather than of marked rows: dated on every row's likelihood ratio
TILTS = (None, "shift", "scale", "missing_category")
# the faults that mark their rows (a frozen or constant reading marks a span of time, not rows)
HOME_FOUND = ("null_spike", "new_category", *(name for name in PIPELINE if name not in ("stuck", "constant")))
WIDER_ROWS = 50           # the fewest rows, a side, of the rest of a wider scope read for the same re-mapping
LR_WINDOW = 3.84


@dataclass(frozen=True, eq=False, repr=False)
class TraceResult(Result):
    """One row a feature: its signature, onset with window, group, and likely trigger."""

    table: pl.DataFrame
    events: tuple[dict[str, str], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def signatures(self) -> dict[str, str]:
        """feature -> signature name (features without one left out)."""
        return {f: s for f, s in self.table.select("feature", "signature").iter_rows() if s}

    @property
    def onsets(self) -> dict[str, str]:
        return {f: o for f, o in self.table.select("feature", "onset").iter_rows() if o}

    SCHEMA = SCHEMA

    @property
    def sentence(self) -> str:
        """The first traced feature's story (signature, onset, trigger) and how many more."""
        if not self.table.height:
            return "Nothing to trace."
        r = self.table.row(0, named=True)
        more = f" ({self.table.height - 1} more feature{'s' if self.table.height > 2 else ''} traced)" \
            if self.table.height > 1 else ""
        return (r["sentence"].rstrip(".") + (f" (from {r['onset']})" if r["onset"] else "")
                + (f"; likely trigger: {r['event']} at {r['event_time']}" if r["event"] else "") + more + ".")

    def _sections(self):
        shown = self.table.select("feature", "signature", "confidence", "onset", "onset_low", "onset_high", "group",
                                  "event")
        return (Section(frame=shown, alert="pipeline_fault"),)

    def plot(self, ax=None, **kws):
        """Each feature's onset with its window on a time axis, and the events."""
        from mlwatch.plots.trace import plot_trace

        return plot_trace(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "features": records(self.table), "events": list(self.events),
                "options": plain(self.options)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "TraceResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["features"], TABLE_SCHEMA), tuple(payload.get("events", ())),
                   payload.get("options", {}))


def trace(reference, current, *, features: Sequence[str], time: str | None = None,
          where: Mapping[str, Any] | None = None, events=None, bins: int = 10,
          outputs: Sequence[str] = (), segments: Sequence[str] = (),
          known: Mapping[str, Signature] | None = None) -> TraceResult:
    """Signature, onset, group and likely upstream trigger of each of ``features``.

    ``events`` is a frame or file with ``time`` and ``description`` columns. Without
    ``time`` only the signatures are given. ``outputs`` are columns computed from the
    features (the model's prediction) or following them (its target): never read as the
    companions that tell a genuine rise of a value from a default written in (a prediction
    computed from a flooded value looks like the value's own rows'), nor of labels that traded
    shares without a re-mapping (:func:`_genuine_labels`). With ``segments`` (and
    no ``where``), a fault that marks its rows (nulls, new codes, converted or clipped values,
    a default) gets its ``home``: the segment value, or pair of values, holding at least 90 %
    of the rows it marks beyond the reference's rate there, in at most half of the rows, the
    rows it leaves out marked at a fifth of its rate or less. With ``where`` too, labels
    re-mapped there get as ``home`` the widest scope around it whose other rows carry the same
    re-mapping (:func:`_remapped_wider`). ``known`` holds signatures already read in time
    order for some features (a run frozen or a cap from some row on, found by
    :func:`mlwatch.steps.frozen.frozen_segments` and :func:`~mlwatch.steps.frozen.capped_segments`,
    with the time it began as ``start`` in their evidence): where the window's histogram reads
    no dated fault (a cap on a few rows of a segment barely moves it), they stand, dated as
    step 6 dates their signature (by their start when it cannot).
    """
    everywhere = (data.to_frame(reference, name="reference"), data.to_frame(current, name="current"))
    ref = data.apply_where(everywhere[0], where, name="reference")
    cur = data.apply_where(everywhere[1], where, name="current")
    if time:
        ref, cur = data.align_time(ref, cur, time)
    whole = (ref, cur)                       # every column: the companions of a flooded value
    ref, cur, schema = data.align(ref, cur, list(features) + ([time] if time and time not in features else []))
    event_list = load_events(events)
    rows = []
    buckets = time_buckets(ref[time], cur[time]) if time else None
    if buckets is not None:
        check_event_times(event_list, buckets[2][0])
    axis = (time_axis(ref[time]), time_axis(cur[time])) if time else None
    for feature in features:
        kind = "numeric" if schema.kinds[feature] in ("numeric", "datetime") else "categorical"
        found = signature(ref[feature], cur[feature], kind=kind, feature=feature)
        frozen = None
        # a default written into every row from some point on is one value held in time order
        # too; a frozen sensor repeats a reading, not a default (0, -1, 999, the mean)
        named_default = found.name == "default_flood" and found.evidence.get("named", False)
        if axis is not None and kind == "numeric" and found.name != "constant":
            before, now = ref[feature].cast(pl.Float64).to_numpy(), cur[feature].cast(pl.Float64).to_numpy()
            frozen = stuck_signature(before, axis[0], now, axis[1], feature=feature,
                                     label=lambda t, start=buckets[2][0]: time_label(t, start))
            if named_default and frozen is not None and not _resumed(frozen, before, now, axis[1]):
                frozen = None
            if frozen is not None and not _beyond_chance(frozen, before, axis[0], now.size):
                frozen = None
            found = frozen or found
        timing, after = {}, None
        if frozen is not None:
            timing = _frozen_onset(frozen, buckets, (before, now), axis)
        elif buckets is not None:
            timing = _onset(ref[feature], cur[feature], kind, buckets, bins, found.name, found.evidence, axis)
            # an onset read only from the rows outside the bins that fell dates a tilt; it is too
            # weak a split to read the rows after it again (no drift at all, hotel adults on
            # transient bookings: the rows after a chance split read as a clip, "fix the pipeline")
            after = None if timing.get("_tilt_only") else _after_onset(cur, time, timing, buckets)
            if after is not None:          # read what happened from the rows after it began
                later = signature(ref[feature], cur[feature].filter(after), kind=kind, feature=feature)
                # its shares are of the rows after the onset: "0 in 51 % of current rows" was
                # read as half the window when a third of it held the default
                later = replace(later, sentence=later.sentence.replace(
                    " of current rows (", " of the current rows from the onset on ("))
                if later.name is not None and (later.pipeline_fault or not found.pipeline_fault):
                    found = later
        if found.name == "default_flood":
            found = _genuine(whole[0], whole[1], feature, found, exclude={feature, time, *outputs},
                             wider=everywhere[0], where=where) or found
        elif found.name == "clipping":
            found = _genuine_clip(whole[0], whole[1], feature, found, exclude={feature, time, *outputs}) or found
        elif found.name == "encoding_permutation":
            found = _genuine_labels(whole[0], whole[1], feature, found, exclude={feature, time, *outputs},
                                    after=after) or found
        elif found.name is None:
            found = _genuine_pile(whole[0], whole[1], ref[feature], cur[feature], feature,
                                  exclude={feature, time, *outputs}, wider=everywhere[0], where=where) or found
        if found.pipeline_fault and found.name not in ("stuck", "constant"):
            read = whole[1] if after is None or found is not later else whole[1].filter(after)
            found = _moved_with(whole[0], read, feature, found, kind, exclude={feature, time, *outputs}) or found
        trusted = (known or {}).get(feature) if buckets is not None else None
        if trusted is not None and not (found.pipeline_fault and timing.get("onset")):
            # the window's histogram read no dated fault where the rows in time order hold one
            found = trusted
            timing = (_onset(ref[feature], cur[feature], kind, buckets, bins, found.name, found.evidence, axis)
                      if found.name != "stuck" else {})
            if not timing.get("onset"):
                values = ((ref[feature].cast(pl.Float64).to_numpy(), cur[feature].cast(pl.Float64).to_numpy())
                          if found.name == "stuck" else None)        # a cap's row past its bound is no run
                timing = _frozen_onset(found, buckets, values, axis)
        row = {"feature": feature, "signature": found.name, "confidence": found.confidence,
               "pipeline_fault": found.pipeline_fault,
               "sentence": found.sentence if found.name else f"{feature}: {found.sentence}",   # which one's shape
               "driver": found.evidence.get("driver"), **timing}
        if segments and not where and found.name in HOME_FOUND:
            marked = _carrying(ref[feature], cur[feature], kind, bins, found.name, found.evidence)
            home = _home(marked, whole, [c for c in segments if c != feature])
            if found.name == "encoding_permutation" and home.get("home", "population") != "population":
                home = _swapped_outside(whole, feature, home, after)
            row.update(home)
        elif segments and where and found.name == "encoding_permutation":
            since = (_as_number(buckets[2][timing["_used"][timing["_onset_index"]]])
                     if "_onset_index" in timing else None)
            row.update(_remapped_wider(everywhere, feature, where, found.evidence["mapping"], time=time, since=since))
        rows.append(row)
    _group(rows, buckets[2] if buckets else None)
    if event_list and buckets is not None:
        _attribute(rows, event_list, buckets[2])
    table = pl.DataFrame([{k: r.get(k) for k in TABLE_SCHEMA} for r in rows], schema=TABLE_SCHEMA)
    return TraceResult(table, tuple({"time": format_time(t), "description": d} for t, d in event_list),
                       {"time": time, "where": dict(where) if where else None, "bins": bins})


def _swapped_outside(frames: tuple[pl.DataFrame, pl.DataFrame], feature: str, home: dict,
                     after: pl.Series | None = None) -> dict:
    """A re-mapping's home, unless the rows outside it show the same swap (the current ones
    from the onset on, ``after``): the rows a swap marks are those of the label that grew, and
    they live where the label it replaced did (travel agents' bookings, when two channels
    swapped on every row); the population's, then."""
    scope = slice_predicate(home["home"])
    ref, cur = frames
    if after is not None and after.len() == cur.height:
        cur = cur.filter(after)
    outside = [frame.filter(~data.where_condition(frame.schema, scope, name=name).fill_null(False))[feature]
               for frame, name in ((ref, "reference"), (cur, "current"))]
    if min(s.len() for s in outside) < HOME_ROWS:
        return home
    there = signature(outside[0], outside[1], kind="categorical", feature=feature)
    if there.name == "encoding_permutation":
        return {"home": "population", "home_rows": int(frames[1].height)}
    return home


RESTING = 0.5          # a value the reference holds in half its rows or more: runs of it are its rest
STUCK_CHANCE = 0.01    # a run of one value longer than this likely among the rows read is no chance run


def _beyond_chance(run: Signature, reference: np.ndarray, times: np.ndarray, rows: int) -> bool:
    """Whether a run of one value is longer than the reference's rate of repeats makes
    likely anywhere among ``rows`` rows, of a value the reference does not rest on (one it
    holds in :data:`RESTING` of its rows or more: eight dry days at LaGuardia, 175 flights at
    0 inches, are a dry spell, likelier still when a shift favours clear days; a frozen sensor
    reads its last value, seldom the resting one, and ``simulate`` freezes no resting column
    for that reason). The chance: ``rows q^(k - 1)`` below :data:`STUCK_CHANCE`, ``q``
    at its 99th percentile (:func:`mlwatch.steps.frozen._repeat_rate`, the bound the scan of
    segments uses). A column resting on one value (no booking changes in four bookings in
    five) holds a run of 24 zeros over two days in any window: bed-and-breakfast bookings
    capped at 2 changes were read as a sensor frozen at 0."""
    from mlwatch.steps.frozen import _repeat_rate

    if run.evidence.get("value") is not None and np.mean(reference == run.evidence["value"]) >= RESTING:
        return False
    q = _repeat_rate(reference, times, upper=True)
    return rows * q ** (run.evidence["rows"] - 1) < STUCK_CHANCE


def _resumed(run: Signature, reference: np.ndarray, current: np.ndarray, times: np.ndarray,
             min_rows: int = 10) -> bool:
    """Whether the readings came back after a run of a default's value (0, -1, 999): at least
    ``min_rows`` rows after it, holding the value at no more than twice the reference's share
    (and one point). A sensor frozen at 0 for two weeks, then reading again, is stuck; a
    default written into every row from a deploy on runs to the window's end."""
    value = run.evidence["value"]
    after = current[times > run.evidence["end"]]
    return after.size >= min_rows and float(np.mean(after == value)) <= 2 * float(np.mean(reference == value)) + 0.01


def _home(marked: tuple[np.ndarray, np.ndarray], frames: tuple[pl.DataFrame, pl.DataFrame],
          segments: Sequence[str]) -> dict[str, Any]:
    """Where a fault's marked rows live: the current rows marked beyond the rate each segment
    value had in the reference (its excess), summed; the segment value holding at least
    :data:`HOME_SHARE` of that excess with the fewest rows (at most half of them, the rest of
    the rows marked at a fifth of its rate or less), then, inside it, a second segment column's
    value that does the same. Empty when none does. Columns with more than
    :data:`HOME_VALUES` values are not read."""
    mark_ref, mark_cur = marked
    ref, cur = frames
    columns = [c for c in segments if c in ref.columns and c in cur.columns]
    rate = float(mark_ref.mean()) if mark_ref.size else 0.0
    total = float(mark_cur.sum() - rate * mark_cur.size)
    if not columns or total < HOME_ROWS:
        return {}
    coded = {}
    for column in columns:
        both = pl.concat([ref[column].cast(pl.String), cur[column].cast(pl.String)]).fill_null("<null>")
        labels, codes_both = np.unique(both.to_numpy(), return_inverse=True)
        if labels.size <= HOME_VALUES:
            coded[column] = (labels, codes_both[:ref.height], codes_both[ref.height:])
    inside_ref, inside_cur = np.ones(mark_ref.size, bool), np.ones(mark_cur.size, bool)
    home: dict[str, str] = {}
    for _ in range(2):
        best = None
        for column, (labels, c_ref, c_cur) in coded.items():
            if column in home:
                continue
            k = labels.size
            n_ref, n_cur, excess = _excess(mark_ref[inside_ref], mark_cur[inside_cur], c_ref[inside_ref],
                                           c_cur[inside_cur], k)
            # the rows of the scope left out must hold the fault at a fifth of the rate or less:
            # a home is where it lives, not most of the rows it was spread over at random
            scope_rows = inside_cur.sum()
            rate_in = np.divide(excess, n_cur, out=np.zeros(k), where=n_cur > 0)
            rate_out = np.divide(excess.sum() - excess, scope_rows - n_cur, out=np.zeros(k), where=scope_rows > n_cur)
            # and a part: a second column that holds every row of the first (weekday=Sat, workingday=No) adds nothing
            fits = np.flatnonzero((excess >= HOME_SHARE * total) & (n_ref > 0) & (n_cur <= 0.5 * mark_cur.size)
                                  & (scope_rows - n_cur >= HOME_ROWS) & (rate_out <= HOME_RATE * rate_in))
            for code in fits:
                if best is None or n_cur[code] < best[3]:
                    best = (column, labels[code], code, n_cur[code])
        if best is None:
            break
        column, value, code, _ = best
        home[column] = str(value)
        inside_ref = inside_ref & (coded[column][1] == code)
        inside_cur = inside_cur & (coded[column][2] == code)
    if not home:
        # marked alike in every segment (each value holding 5 % of the rows or more, of every
        # column read, at a fifth of the overall rate or more): the population's, not the
        # slice's a test happened to read it on
        everywhere = len(coded) == len(columns) and all(
            _marked_alike(mark_ref, mark_cur, c_ref, c_cur, labels.size, total / mark_cur.size)
            for labels, c_ref, c_cur in coded.values())
        return {"home": "population", "home_rows": int(mark_cur.size)} if everywhere else {}
    return {"home": " & ".join(f"{c}={v}" for c, v in home.items()), "home_rows": int(inside_cur.sum())}


def _marked_alike(mark_ref: np.ndarray, mark_cur: np.ndarray, c_ref: np.ndarray, c_cur: np.ndarray, k: int,
                  rate: float) -> bool:
    """Whether every value of one segment column holding 5 % of the current rows or more has
    its rows marked beyond its reference rate at :data:`HOME_RATE` of ``rate`` or more."""
    _, n_cur, excess = _excess(mark_ref, mark_cur, c_ref, c_cur, k)
    per_row = np.divide(excess, n_cur, out=np.zeros(k), where=n_cur > 0)
    held = n_cur >= 0.05 * mark_cur.size
    return bool(np.all(per_row[held] >= HOME_RATE * rate))


def _excess(mark_ref: np.ndarray, mark_cur: np.ndarray, c_ref: np.ndarray, c_cur: np.ndarray,
            k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment code: its reference and current rows, and its current rows marked beyond
    the rate its reference rows were."""
    n_ref, n_cur = np.bincount(c_ref, minlength=k), np.bincount(c_cur, minlength=k)
    was = np.divide(np.bincount(c_ref, mark_ref, k), n_ref, out=np.zeros(k), where=n_ref > 0)
    return n_ref, n_cur, np.bincount(c_cur, mark_cur, k) - was * n_cur


def _remapped_wider(frames: tuple[pl.DataFrame, pl.DataFrame], feature: str, where: Mapping[str, Any],
                    mapping: Mapping[str, str], *, time: str | None = None, since: float | None = None,
                    level: float = 0.01) -> dict:
    """Labels re-mapped on ``where``, placed on the widest scope around it whose other rows
    carry the same re-mapping: one condition dropped at a time (the population last), the rows
    that adds (their reference against their current rows from ``since`` on) must have moved
    toward ``mapping`` (:func:`remapped_share`, one-sided at ``level``), by at least half the
    share re-mapped on ``where`` itself, the re-mapping explaining at least half of their move.
    Two codes swapped among the married move the men one way, the women the other and the
    married as a whole not at all: the segment search sees the men only. A mix that drifted on
    its own moves along the re-mapping by chance only, and is not explained by it.

    A column of two labels moves along any swap of them, whatever moved it, so its shares are
    read inside the groups of the column that tells its labels apart best in the reference
    (:func:`_swap_strata`): SEX swapped on every ACS row shows where it is lopsided (the widowed
    are four in five women, and read as four in five men), and a mix that drifted moves every
    group the same way, toward their mirror images on one side only. Without such a column, a
    two-label swap is not widened. Empty when no wider scope fits."""
    ref, cur = frames
    if time and since is not None:
        ref, cur = data.align_time(ref, cur, time)
        cur = cur.filter(pl.Series(time_axis(cur[time]) >= since))

    def inside(frame: pl.DataFrame, scope: dict, name: str) -> pl.Expr:
        return data.where_condition(frame.schema, scope, name=name) if scope else pl.lit(True)

    def rows(scope_in: dict, scope_out: dict | None) -> list[pl.DataFrame]:
        return [frame.filter(inside(frame, scope_in, name) & (~inside(frame, scope_out, name) if scope_out is not None
                                                               else pl.lit(True)))
                for frame, name in ((ref, "reference"), (cur, "current"))]

    strata = None
    if ref[feature].drop_nulls().n_unique() < 3:
        # with two labels any move is a partial swap: only groups in which they are lopsided
        # tell a wider re-mapping from a mix that moved there too
        strata = _swap_strata(ref, feature, exclude={feature, *where, *([time] if time else [])})
        if strata is None:
            return {}

    def read(parts: list[pl.DataFrame]) -> dict[str, float]:
        return remapped_share(*(part[feature] for part in parts), mapping,
                              strata=None if strata is None else tuple(part[strata] for part in parts))

    own = read(rows(where, None))["share"]
    scope = dict(where)
    while scope:
        for column in scope:
            wider = {k: v for k, v in scope.items() if k != column}
            rest = rows(wider, scope)
            if min(r[feature].drop_nulls().len() for r in rest) < WIDER_ROWS:
                continue
            found = read(rest)
            if found["p_value"] < level and found["share"] >= 0.5 * own and found["explained"] >= 0.5:
                scope = wider
                break
        else:
            break
    if scope == dict(where):
        return {}
    n_rows = frames[1].filter(inside(frames[1], scope, "current")).height
    return {"home": " & ".join(f"{c}={v}" for c, v in scope.items()) or "population", "home_rows": n_rows}


def _swap_strata(reference: pl.DataFrame, feature: str, *, exclude: set, max_values: int = 50,
                 least_gain: float = 0.1, max_columns: int = 100, max_rows: int = 200_000) -> str | None:
    """The column whose groups tell a two-label ``feature``'s labels apart best in the
    reference: the largest mean distance, over the groups (weighted by their rows), between a
    group's share of the first label and its mirror image (``|2 p - 1|``), which is how far a
    swap moves that group. Only columns of 2 to ``max_values`` values, and only when that
    distance beats the whole column's own by ``least_gain`` (a swap of a balanced column
    shows nowhere else). None when no column does. Wide or long tables: the first
    ``max_columns`` columns that qualify, on a seeded sample of ``max_rows`` rows.

    >>> ref = pl.DataFrame({"sex": ["m"] * 50 + ["f"] * 50, "widowed": [0] * 48 + [1] * 2 + [0] * 30 + [1] * 20,
    ...                     "noise": [0, 1] * 50})
    >>> _swap_strata(ref, "sex", exclude={"sex"})
    'widowed'
    """
    if reference.height > max_rows:
        reference = reference.sample(max_rows, seed=0)
    values = reference[feature].cast(pl.String)
    first = values.drop_nulls().first()
    if first is None:
        return None
    hit = (values == first).fill_null(False).cast(pl.Float64).alias("_hit")
    known = values.is_not_null()
    baseline = abs(2 * float(hit.filter(known).mean()) - 1)
    best, gain, read = None, least_gain, 0
    for column in reference.columns:
        if column in exclude or reference[column].dtype.is_float() or reference[column].dtype.is_temporal():
            continue
        groups = reference[column]
        if not 2 <= groups.n_unique() <= max_values:
            continue
        read += 1
        if read > max_columns:
            break
        shares = (pl.DataFrame({"g": groups.cast(pl.String), "_hit": hit}).filter(known)
                  .group_by("g").agg(pl.len().alias("n"), pl.col("_hit").mean().alias("p")))
        spread = float(((2 * shares["p"] - 1).abs() * shares["n"]).sum() / max(shares["n"].sum(), 1))
        if spread - baseline > gain:
            best, gain = column, spread - baseline
    return best


def remapped_share(reference: pl.Series, current: pl.Series, mapping: Mapping[str, str], *,
                   strata: tuple[pl.Series, pl.Series] | None = None) -> dict[str, float]:
    """How much of ``current`` reads as ``reference`` with its labels re-mapped by ``mapping``
    (old label -> new): the share ``w`` of the mixture ``(1 - w) p + w M(p)`` of the
    reference's shares ``p`` and the re-mapped ones ``M(p)`` that fits the current counts best
    (maximum likelihood over a grid of 201 values); its one-sided likelihood-ratio p-value
    against ``w = 0`` (chi-square, 1 df, halved; the statistic scaled by ``n / (n + m)``, as
    the reference's ``n`` rows are a sample too); and the share of the current's distance
    from the reference (total variation) that the fitted mixture explains. With ``strata``
    (a group for each reference and current row), each group has its own shares ``p`` and one
    ``w`` is fitted to all of them (groups without a reference row are left out), the
    distances summed over the groups.

    >>> ref = pl.Series(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    >>> read = remapped_share(ref, pl.Series(["a"] * 30 + ["b"] * 60 + ["c"] * 10), {"a": "b", "b": "a"})
    >>> round(read["share"], 2), read["p_value"] < 1e-3, round(read["explained"], 2)
    (1.0, True, 0.99)
    """
    if strata is None:
        strata = (pl.repeat(0, reference.len(), eager=True), pl.repeat(0, current.len(), eager=True))   # one group
    ref = pl.DataFrame({"v": reference.cast(pl.String), "g": strata[0].cast(pl.String)}).drop_nulls("v")
    cur = pl.DataFrame({"v": current.cast(pl.String), "g": strata[1].cast(pl.String)}).drop_nulls("v")
    labels = list(dict.fromkeys([*mapping, *mapping.values(), *ref["v"].unique(maintain_order=True).to_list(),
                                 *cur["v"].unique(maintain_order=True).to_list()]))
    index = {k: i for i, k in enumerate(labels)}
    groups = {g: i for i, g in enumerate(ref["g"].unique(maintain_order=True).to_list())}
    cur = cur.filter(pl.col("g").is_in(list(groups)) if groups else pl.lit(False))

    def counts(frame: pl.DataFrame) -> np.ndarray:          # (group, label)
        key = (frame["g"].replace_strict(groups, return_dtype=pl.Int64).to_numpy() * len(labels)
               + frame["v"].replace_strict(index, return_dtype=pl.Int64).to_numpy())
        return np.bincount(key, minlength=len(groups) * len(labels)).reshape(len(groups), len(labels))

    if not ref.height or not cur.height:
        return {"share": 0.0, "p_value": 1.0, "explained": 0.0}
    a, b = counts(ref), counts(cur)
    p = (a + 0.5) / (a.sum(axis=1, keepdims=True) + 0.5 * len(labels))
    moved = p.copy()
    for old, new in mapping.items():
        moved[:, index[new]] = p[:, index[old]]
    grid = np.linspace(0.0, 1.0, 201)
    mixed = (1 - grid)[:, None, None] * p + grid[:, None, None] * moved
    loglik = (b * np.log(mixed)).sum(axis=(1, 2))
    best = int(np.argmax(loglik))
    # the reference's shares are a sample too: the current's departure from them varies by
    # 1/n + 1/m, not 1/m, so the likelihood ratio read on the current counts is scaled down
    statistic = max(2 * (loglik[best] - loglik[0]), 0.0) * a.sum() / (a.sum() + b.sum())
    n_group = b.sum(axis=1, keepdims=True)
    q = b / np.maximum(n_group, 1)
    away = (0.5 * np.abs(q - a / a.sum(axis=1, keepdims=True)).sum(axis=1) * n_group[:, 0]).sum()
    fitted = mixed[best] / mixed[best].sum(axis=1, keepdims=True)
    misfit = (0.5 * np.abs(q - fitted).sum(axis=1) * n_group[:, 0]).sum()
    return {"share": float(grid[best]), "p_value": float(stats.chi2.sf(statistic, 1) / 2) if best else 1.0,
            "explained": float(max(1 - misfit / away, 0.0)) if away > 0 else 0.0}


THIN_SCOPE_ROWS = 20     # the rows a group needs when a thin scope's companions are read from the whole


def _genuine(ref: pl.DataFrame, cur: pl.DataFrame, feature: str, flood, *, exclude: set,
             min_rows: int = 50, max_companions: int = 24, wider: pl.DataFrame | None = None,
             where: Mapping[str, Any] | None = None, noise: bool = False):
    """A value that rose without being written in: the rows that now hold it carry its usual
    companions (their other inputs look like the reference's rows with that value), where a
    default written into random rows brings the population's. Returns a ``shift`` signature
    then, else None (the flood stands, or the evidence is too thin).

    The flood's current rows are a mixture: a share ``w >= 1/2`` written in (the flood rule
    asks the value's share to double) and the value's own rows. On the inputs that tell the
    value's reference rows from the population (total variation at least 0.25, over deciles
    for numbers, the reference's most common values for categories), their distance to the
    value's reference rows is then about ``w`` times that, and to the population about
    ``1 - w`` times: a genuine rise sits at a third or less of the second.

    On a scope (``where``) whose reference holds the value in too few rows to say what its
    companions are (householders among 105 fourth-graders: 3), they are read from the rows
    holding it in the whole reference (``wider``), over the inputs the scope does not fix,
    with :data:`THIN_SCOPE_ROWS` rows a group: a mix tilted towards naturalised citizens brings
    adult householders into a school grade of children, and a default written into that
    grade's rows would bring children."""
    value = flood.evidence.get("value")
    if value is None:
        return None
    in_ref, in_cur = _holding(ref, feature, value), _holding(cur, feature, value)
    source = np.ones(ref.height, dtype=bool)
    if wider is not None and where and in_ref.sum() < min_rows:
        source = wider.select(data.where_condition(wider.schema, where, name="reference")).to_series()
        source = source.fill_null(False).to_numpy().astype(bool)
        ref, in_ref = wider, _holding(wider, feature, value)
        in_ref &= ~source
        exclude, min_rows = exclude | set(where), THIN_SCOPE_ROWS
        if source.sum() < 2 * min_rows:        # the scope's own reference rows, a default's source
            return None
    read = _companions(ref, cur, in_ref, in_cur, source, exclude=exclude,
                       min_rows=min_rows, max_companions=max_companions, noise=noise)
    if read is None or read[0] > read[1] / 3:
        return None
    same, population = read
    share, was = flood.evidence.get("share", 0.0), flood.evidence.get("reference_share", 0.0)
    shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
    return Signature("shift", float(min(1.0, share - was)),
                     f"more rows hold {feature} = {shown} ({was:.1%} -> {share:.1%}) and they are genuine: "
                     f"their other inputs look like the reference's rows with that value (distance "
                     f"{same:.2f}), not like rows a default was written into ({population:.2f}): "
                     "the mix moved", {"value": value, "share": share, "reference_share": was})


# a pile's value is read on fewer rows than a flood's (the audit saw it rise), each distance
# less the one two samples of the same rows would show by chance (:func:`_companions`)
PILE_ROWS = 30


def _genuine_pile(ref: pl.DataFrame, cur: pl.DataFrame, before: pl.Series, after: pl.Series, feature: str,
                  **read) -> Signature | None:
    """A value whose share rose beyond the audit's bar (:func:`mlwatch.stats.quality.value_spike`)
    in a column no signature reads: a ``shift`` when its rows are genuine, as :func:`_genuine`
    reads a default flood's. A mix tilted towards dear group bookings brings their rows, and
    the rate they share, in numbers; a default brings a value into rows of every kind."""
    if not (before.dtype.is_numeric() and after.dtype.is_numeric()):
        return None
    a, b = drift.finite_sorted(before)[0], drift.finite_sorted(after)[0]
    if not (a.size and b.size) or not quality.value_spike(feature, a, b).failed:
        return None
    value = quality.spiked_value(a, b)
    share, was = float(np.mean(b == value)), float(np.mean(a == value))
    pile = Signature("default_flood", share - was, "", {"value": value, "share": share, "reference_share": was})
    return _genuine(ref, cur, feature, pile, min_rows=PILE_ROWS, noise=True, **read)


def _genuine_clip(ref: pl.DataFrame, cur: pl.DataFrame, feature: str, clip, *, exclude: set,
                  min_rows: int = 50, max_companions: int = 24):
    """A bound whose rows rose without a clip: the rows that now hold it carry its usual
    companions, where values clipped onto it bring the companions of the rows past it (ages
    under 18 written as 18 are children still: at school, living with their parents). More
    students in dormitories at 18 and fewer children pile on 18 and empty the tail below it
    all the same. Returns a ``shift`` signature then, else None.

    The current rows at the bound are a mixture: a share ``w`` clipped (the pile over the
    bound's current share) and the bound's own rows. On the inputs that tell the reference's
    rows at the bound from those past it (total variation at least 0.25), their distance to
    the bound's reference rows is about ``w`` times that, and to the rows past it ``1 - w``
    times; genuine when the ratio is a third of ``w / (1 - w)`` or less (and of 1)."""
    bound, side = clip.evidence["bound"], clip.evidence["side"]
    a = ref[feature].cast(pl.Float64)
    in_ref, in_cur = _holding(ref, feature, bound), _holding(cur, feature, bound)
    past = ((a > bound) if side == "upper" else (a < bound)).fill_null(False).to_numpy()
    share = float(in_cur.mean())
    w = min(float(clip.evidence.get("piled", 0.0)) / share, 0.99) if share else 0.0
    read = _companions(ref, cur, in_ref, in_cur, past, exclude=exclude, min_rows=min_rows,
                       max_companions=max_companions)
    if read is None or w <= 0 or read[0] > min(1.0, w / (1 - w)) / 3 * read[1]:
        return None
    same, source = read
    was = float(in_ref.mean())
    return Signature("shift", float(min(1.0, share - was)),
                     f"more rows hold {feature} = {bound:.6g} ({was:.1%} -> {share:.1%}) and fewer lie "
                     f"{'above' if side == 'upper' else 'below'} it, but they are genuine: their other inputs look "
                     f"like the reference's rows at {bound:.6g} (distance {same:.2f}), not like the rows past it "
                     f"that a clip would have moved there ({source:.2f}): the mix moved",
                     {"value": bound, "share": share, "reference_share": was})


def _genuine_labels(ref: pl.DataFrame, cur: pl.DataFrame, feature: str, remap, *, exclude: set,
                    after: pl.Series | None = None, min_rows: int = 50, max_companions: int = 24,
                    most: float = 0.25):
    """Labels whose shares traded places without a re-mapping: the current rows under each
    new label carry that label's own companions, where re-mapped rows bring the companions of
    the label they had (a mix that favours misty days over clear ones on Thursdays gives misty
    Thursdays their humidity; 'Clear' written as 'Mist' gives them a clear day's). Read on the
    current rows from the onset on (``after``), where a re-mapping changed every row.

    For each pair, the current rows under the new label are a mixture of that label's own
    reference rows and a share ``w`` of the old label's (:func:`_relabelled_share`): about 1
    for a re-mapping, about 0 for a genuine mix. One mapping re-mapped every pair or none, so
    ``w`` is read once over every pair with the rows and the companions to tell (the least
    squares of them all, each pair weighing what it tells: a pair of 60 misty Monday rows
    read alone said 0.28, its partner of 290 said 0.16). Returns a ``shift`` signature when
    that ``w`` is at ``most`` or less, else None (the re-mapping stands, or the evidence is
    too thin)."""
    mapping = remap.evidence.get("mapping") or {}
    rows = cur.filter(after) if after is not None else cur
    reads = []
    for old, new in mapping.items():
        terms = _relabelled_terms(ref, rows, _holding(ref, feature, new), _holding(rows, feature, new),
                                  _holding(ref, feature, old), exclude=exclude, min_rows=min_rows,
                                  max_companions=max_companions)
        if terms is not None:
            reads.append((old, new, terms))
    share = sum(t[0] for *_, t in reads) / sum(t[1] for *_, t in reads) if reads else None
    if share is None or share > most:
        return None
    swaps = ", ".join(f"{old!r} -> {new!r}" for old, new, _ in reads[:6])
    old, new, _ = max(reads, key=lambda r: r[2][1])
    return Signature("shift", float(remap.confidence),
                     f"{feature}'s labels traded shares ({swaps}) but the rows are genuine: over their other "
                     f"inputs, those now labelled {new!r} look like the reference's {new!r} rows, with about "
                     f"{max(share, 0.0):.0%} of them like its {old!r} rows a re-mapping would have relabelled: "
                     "the mix moved", {"mapping": mapping, "relabelled": share})


MIX_BINS = 20             # the bins another input's new mix is read in (reference quantiles for numbers)
MIX_TRIES = 3             # the inputs whose new mix is tried on a fault, the closest first
MIX_MOVED = 1e-3          # the chi-square p-value below which an input's mix moved
MIX_ROWS = 30             # the fewest effective reference rows a weighted re-read needs
MIX_SEEN = 0.95           # the share of current rows an input's mix must reach from the reference's values


def _mix_weights(ref: pl.DataFrame, cur: pl.DataFrame, column: str) -> np.ndarray | None:
    """Each reference row's weight under ``column``'s new mix (its bin's current share over
    its reference share, :data:`MIX_BINS` bins), or None when the mix did not move (chi-square
    p at :data:`MIX_MOVED` or above) or the reference does not hold the current values (less
    than :data:`MIX_SEEN` of the rows in a bin it fills)."""
    x_ref, x_cur, _ = reference_codes(ref[column], cur[column], _mix_kind(ref, cur, column), MIX_BINS)
    k = int(max(x_ref.max(initial=0), x_cur.max(initial=0))) + 1
    was, is_ = np.bincount(x_ref, minlength=k), np.bincount(x_cur, minlength=k)
    if not x_ref.size or not x_cur.size or (was[x_cur] > 0).mean() < MIX_SEEN:
        return None
    held = (was + is_) > 0
    if held.sum() < 2 or stats.chi2_contingency(np.vstack([was[held], is_[held]]))[1] >= MIX_MOVED:
        return None
    ratio = np.where(was > 0, (is_ / x_cur.size) / np.maximum(was / x_ref.size, 1e-300), 0.0)
    return ratio[x_ref]


def _mix_kind(ref: pl.DataFrame, cur: pl.DataFrame, column: str) -> str:
    """How :func:`reference_codes` bins ``column``: numbers at quantiles when both sides hold numbers."""
    return "numeric" if ref[column].dtype.is_numeric() and cur[column].dtype.is_numeric() else "categorical"


def _mix_shares(ref: pl.DataFrame, cur: pl.DataFrame, feature: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``feature``'s bin on every reference row and its current shares per bin (:data:`MIX_BINS`)."""
    y_ref, y_cur, _ = reference_codes(ref[feature], cur[feature], kind, MIX_BINS)
    size = int(max(y_ref.max(initial=0), y_cur.max(initial=0))) + 1
    return y_ref, np.bincount(y_cur, minlength=size) / max(y_cur.size, 1)


def _weighted_distance(y_ref: np.ndarray, now: np.ndarray, weights: np.ndarray | None) -> float:
    """Total variation between the current shares ``now`` and the reference's, each row weighted."""
    weighted = np.bincount(y_ref, weights=weights, minlength=now.size)
    return float(np.abs(weighted / weighted.sum() - now).sum() / 2)


def _moved_with(ref: pl.DataFrame, cur: pl.DataFrame, feature: str, fault, kind: str, *, exclude: set):
    """A fault that another input's new mix explains: weighted to that input's current shares
    (:func:`_mix_weights`), the reference rows give ``feature``'s current values, and the
    signature read against them is no longer a pipeline fault. A tilt of lead times brings the
    countries, party sizes and prices that go with long lead times: read alone, the countries'
    labels seem to have traded shares and adults to be clipped at 2; a clip, a default or a
    re-mapping written into ``feature`` leaves the other inputs where they were, and no
    weighting of them puts it back.

    The :data:`MIX_TRIES` inputs whose weighting brings ``feature``'s binned shares closest to
    the current ones are tried, closest first. The weighted reference is drawn systematically
    at its effective size (``(sum w)^2 / sum w^2``), so the re-read's tests see the noise the
    weighting leaves. Returns a ``shift`` signature naming the input, or None (the fault stands)."""
    y_ref, now = _mix_shares(ref, cur, feature, kind)
    tried = []
    for column in ref.columns:
        if column in exclude or column == feature or column not in cur.columns:
            continue
        weights = _mix_weights(ref, cur, column)
        if weights is not None:
            tried.append((_weighted_distance(y_ref, now, weights), column, weights))
    values = ref[feature]
    for _, column, weights in sorted(tried, key=lambda t: t[0])[:MIX_TRIES]:
        effective = int(weights.sum() ** 2 / (weights ** 2).sum())
        if effective < MIX_ROWS:
            continue
        # systematic draws: every row its expected count, give or take one
        cumulative = np.cumsum(weights) / weights.sum()
        drawn = np.minimum(np.searchsorted(cumulative, (np.arange(effective) + 0.5) / effective), ref.height - 1)
        again = signature(values.gather(drawn), cur[feature], kind=kind, feature=feature)
        if not again.pipeline_fault and again.name not in ("null_spike", "new_category"):
            return Signature("shift", float(fault.confidence),
                             f"{feature} moved with {column}: read alone it looks like a "
                             f"{fault.name.replace('_', ' ')}, but the reference's rows weighted to {column}'s "
                             f"current mix give its current values: the mix moved",
                             {"driver": column, "looked_like": fault.name})
    return None


def drivers(reference, current, *, features: Sequence[str], where: Mapping[str, Any] | None = None,
            explained: float = 0.5) -> dict[str, str]:
    """Which of ``features`` (inputs that drifted together on the scope ``where``) moved
    because another one's mix did: ``{feature: driver}``.

    A tilt of one input carries the others that go with it, and only one way: weighted to the
    tilted input's new mix, the reference gives the others' current shares (their relation to
    it held); weighted to any of the others', it does not give the tilted one's (the tilt acted
    on it, not through them). The driver is the input whose weighting
    (:func:`_mix_weights`) leaves the least total variation, summed over the other inputs; an
    input is named as moved with it when that weighting removes at least ``explained`` of its
    own total variation. Empty when no input's mix moved or none explains another; features
    missing from either side are left out.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=20_000); y = x + rng.normal(scale=0.3, size=x.size); z = rng.normal(size=x.size)
    >>> frame = pl.DataFrame({"x": x, "y": y, "z": z})
    >>> tilted = frame.sample(8_000, seed=1)
    >>> tilted = tilted.filter(pl.Series(rng.random(tilted.height) < 1 / (1 + np.exp(-2 * tilted["x"].to_numpy()))))
    >>> drivers(frame, tilted, features=["y", "x", "z"])
    {'y': 'x'}
    """
    ref = data.apply_where(data.to_frame(reference, name="reference"), where, name="reference")
    cur = data.apply_where(data.to_frame(current, name="current"), where, name="current")
    features = [f for f in dict.fromkeys(features) if f in ref.columns and f in cur.columns]
    if len(features) < 2 or not ref.height or not cur.height:
        return {}
    shares = {f: _mix_shares(ref, cur, f, _mix_kind(ref, cur, f)) for f in features}
    raw = {f: _weighted_distance(*shares[f], None) for f in features}
    left = {}
    for column in features:
        weights = _mix_weights(ref, cur, column)
        if weights is not None:
            left[column] = {f: _weighted_distance(*shares[f], weights) for f in features if f != column}
    if not left:
        return {}
    driver = min(left, key=lambda c: sum(left[c].values()))
    return {f: driver for f, rest in left[driver].items() if raw[f] > 0 and rest <= (1 - explained) * raw[f]}


def _relabelled_share(ref: pl.DataFrame, cur: pl.DataFrame, in_ref: np.ndarray, in_cur: np.ndarray,
                      source: np.ndarray, *, exclude: set, min_rows: int, max_companions: int) -> float | None:
    """The share ``w`` of the current rows ``in_cur`` that look like the reference's rows
    ``source`` rather than its rows ``in_ref``, over their other inputs: the least-squares
    weight of ``now = (1 - w) own + w source`` over the binned shares of every input that
    tells the two reference groups apart (total variation 0.25 or more), pooled. Projected on
    the difference of the two groups, the sampling noise of the other directions drops out (a
    total variation between two samples of 150 rows is 0.15 of noise). None as in
    :func:`_companions`."""
    terms = _relabelled_terms(ref, cur, in_ref, in_cur, source, exclude=exclude, min_rows=min_rows,
                              max_companions=max_companions)
    return None if terms is None else terms[0] / terms[1]


def _relabelled_terms(ref: pl.DataFrame, cur: pl.DataFrame, in_ref: np.ndarray, in_cur: np.ndarray,
                      source: np.ndarray, *, exclude: set, min_rows: int,
                      max_companions: int) -> tuple[float, float] | None:
    """The least-squares sums of :func:`_relabelled_share` (its numerator and denominator),
    for pooling several reads of one ``w``; None where it is."""
    num = den = 0.0
    for from_, own, now in _telling(ref, cur, in_ref, in_cur, source, exclude, min_rows, max_companions):
        num += float(np.dot(now - own, from_ - own))
        den += float(np.dot(from_ - own, from_ - own))
    return (num, den) if den > 0 else None


def _holding(frame: pl.DataFrame, feature: str, value) -> np.ndarray:
    column = frame[feature]
    if column.dtype.is_numeric():
        return (column.cast(pl.Float64) == float(value)).fill_null(False).to_numpy()
    return (column.cast(pl.String) == str(value)).fill_null(False).to_numpy()


def _companions(ref: pl.DataFrame, cur: pl.DataFrame, in_ref: np.ndarray, in_cur: np.ndarray, source: np.ndarray,
                *, exclude: set, min_rows: int, max_companions: int,
                noise: bool = False) -> tuple[float, float] | None:
    """How far the current rows ``in_cur`` sit, over their other inputs, from the reference's
    rows ``in_ref`` (the same value's) and from its rows ``source`` (where written or clipped
    values would come from): the mean total variation over the inputs that tell the two
    reference groups apart (0.25 or more). None when either group, or the current one, has
    under ``min_rows`` rows, or no input tells them apart.

    With ``noise``, each distance less the one two samples of those sizes drawn from the same
    rows show on average (half the sum over bins of ``sqrt(2/pi) * sd``, the mean of a
    normal's absolute value, ``sd**2 = p(1 - p)(1/n + 1/m)``), floored at 0: 42 reference rows
    against 183 current ones sit about 0.2 apart by chance alone."""
    same, other = [], []
    sizes = [int(in_ref.sum()), int(source.sum()), int(in_cur.sum())]
    for from_, own, now in _telling(ref, cur, in_ref, in_cur, source, exclude, min_rows, max_companions):
        same.append(0.5 * np.abs(now - own).sum() - (_chance_tv(own, sizes[0], sizes[2]) if noise else 0.0))
        other.append(0.5 * np.abs(now - from_).sum() - (_chance_tv(from_, sizes[1], sizes[2]) if noise else 0.0))
    return (float(max(np.mean(same), 0.0)), float(max(np.mean(other), 0.0))) if same else None


def _chance_tv(shares: np.ndarray, n: int, m: int) -> float:
    """The total variation two samples of ``n`` and ``m`` rows from bins of ``shares`` show on
    average (the normal approximation of each bin's difference).

    >>> round(_chance_tv(np.full(10, 0.1), 42, 183), 3)
    0.205
    """
    return float(0.5 * np.sqrt(2 / np.pi) * np.sqrt(shares * (1 - shares) * (1 / n + 1 / m)).sum())


def _telling(ref: pl.DataFrame, cur: pl.DataFrame, in_ref: np.ndarray, in_cur: np.ndarray, source: np.ndarray,
             exclude: set, min_rows: int, max_companions: int):
    """Per other input that tells the reference's rows ``source`` from its rows ``in_ref``
    (total variation 0.25 or more over :func:`_companion_codes`): the binned shares of
    ``source``, of ``in_ref`` and of the current rows ``in_cur``; none when a group has under
    ``min_rows`` rows."""
    if min(int(in_ref.sum()), int(in_cur.sum()), int(source.sum())) < min_rows:
        return
    for column in [c for c in ref.columns if c not in exclude and c in cur.columns][:max_companions]:
        binned = _companion_codes(ref[column], cur[column], min_rows)
        if binned is None:
            continue
        a, b, k = binned

        def shares(x: np.ndarray) -> np.ndarray:
            counts = np.bincount(x[x >= 0], minlength=k)
            return counts / max(counts.sum(), 1)

        from_, own, now = shares(a[source]), shares(a[in_ref]), shares(b[in_cur])
        if 0.5 * np.abs(own - from_).sum() >= 0.25:
            yield from_, own, now


def _companion_codes(ref: pl.Series, cur: pl.Series, min_rows: int,
                     categories: int = 10) -> tuple[np.ndarray, np.ndarray, int] | None:
    """A companion input as small integer codes on each side (-1: left out), and how many:
    numbers by the reference's deciles (missing values left out), text and categories by
    the reference's ``categories`` most common values, the rest and the missing values a
    code each. None when the reference has under ``min_rows`` values to bin."""
    if ref.dtype.is_numeric() and cur.dtype.is_numeric():
        a = ref.cast(pl.Float64).to_numpy()
        b = cur.cast(pl.Float64).to_numpy()
        finite = np.sort(a[np.isfinite(a)])
        if finite.size < min_rows:
            return None
        edges = quantile_edges(finite, 10)

        def binned(x: np.ndarray) -> np.ndarray:
            return np.where(np.isfinite(x), np.searchsorted(edges, x, side="left"), -1)

        return binned(a), binned(b), edges.size + 1
    if ref.dtype.is_numeric() != cur.dtype.is_numeric() or ref.dtype.is_temporal() or ref.len() < min_rows:
        return None
    common = list(category_counts(ref, ref.head(0))[0])[:categories]

    def coded(values: pl.Series) -> np.ndarray:
        text = values.cast(pl.String)
        known = text.replace_strict(common, list(range(len(common))), default=len(common), return_dtype=pl.Int64)
        return np.where(text.is_null().to_numpy(), len(common) + 1, known.to_numpy())

    return coded(ref), coded(cur), len(common) + 2


EVENT_TIMES = ("time", "timestamp", "datetime", "date", "at", "when")
EVENT_TEXTS = ("description", "event", "name", "message", "summary", "title")


def load_events(events, *, column: str | None = None) -> list[tuple[Any, str]]:
    """(time, description) pairs sorted by time from a frame or a CSV/parquet path.

    The time is the first column named one of :data:`EVENT_TIMES`; the description
    ``column``, or the first named one of :data:`EVENT_TEXTS` (``description``, ``event``,
    ``name``, ``message``, ...).

    >>> load_events(pl.DataFrame({"timestamp": ["2024-03-04T10:00:00"], "event": ["deploy v2"]}))
    [(datetime.datetime(2024, 3, 4, 10, 0), 'deploy v2')]
    """
    if events is None:
        return []
    frame = data.to_frame(events, name="events")
    time_column = _first(frame, EVENT_TIMES, "a time")
    text_column = column if column is not None else _first(frame, EVENT_TEXTS, "a description")
    data.require_columns(frame, [text_column], name="events")
    times = frame[time_column]
    if times.null_count():
        raise data.DataError(f"events: column {time_column!r} has {times.null_count()} empty time(s)",
                             column=time_column, frame="events")
    if times.dtype == pl.String:
        try:
            times = times.str.to_datetime(strict=True)
        except pl.exceptions.PolarsError:
            try:
                times = times.cast(pl.Float64)
            except pl.exceptions.PolarsError:
                raise data.DataError(f"events: column {time_column!r} is neither dates nor numbers",
                                     column=time_column, frame="events") from None
    times = data.utc_naive(times)          # the axis every step uses: naive UTC
    pairs = list(zip(times.to_list(), frame[text_column].cast(pl.String).to_list()))
    return sorted(pairs, key=lambda p: p[0])


def _first(frame: pl.DataFrame, names: tuple[str, ...], what: str) -> str:
    lowered = {c.lower(): c for c in frame.columns}
    found = next((lowered[n] for n in names if n in lowered), None)
    if found is None:
        raise data.MissingColumnError(f"events: no column for {what} (looked for {', '.join(names)}; columns: "
                                      f"{', '.join(frame.columns)})", frame="events")
    return found


def _carrying(ref: pl.Series, cur: pl.Series, kind: str, bins: int,
              signature_name: str | None = None, evidence: dict | None = None,
              fell: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per row of each side: 1 when it lands in a bin whose share rose (for a null spike,
    the missing bin only; for new categories, the categories the reference never had; for a
    clip, the values on its bound, which a bin at the top does not see move, and for a
    default flood the value written: the rest is whatever else drifted). With ``fell``, 1
    outside the bins whose share fell: a tilt that empties the low visibilities into the
    one bin at 10 miles carries its PSI in the bins it left, and the rise of its rows is the
    rise of the rest."""
    # a clip's bound, or the value a default wrote: a bin holds the column's common values
    # too (a -1 written into a column that is 0 in nine rows in ten shares the zeros' bin)
    value_key = {"clipping": "bound", "default_flood": "value"}.get(signature_name)
    if kind == "numeric" and value_key and evidence and value_key in evidence:
        bound = float(evidence[value_key])
        tolerance = 1e-9 * max(abs(bound), 1.0)

        def on_bound(values: pl.Series) -> np.ndarray:
            x = values.cast(pl.Float64).to_numpy()
            return (np.abs(x - bound) <= tolerance).astype(float)      # NaN compares False

        return on_bound(ref), on_bound(cur)
    if kind == "numeric" and signature_name == "unit_change" and evidence and "factor" in evidence:
        return _converted(ref, cur, float(evidence["factor"]), float(evidence.get("offset", 0.0)))
    if kind == "numeric":
        a_all = ref.cast(pl.Float64).to_numpy()
        b_all = cur.cast(pl.Float64).to_numpy()
        sa, na = drift.finite_sorted(a_all)
        sb, nb = drift.finite_sorted(b_all)
        edges = quantile_edges(sa, bins)
        b = numeric_bins(sa, sb, n_missing_reference=na, n_missing_current=nb, edges=edges)
        rose = _carrying_bins(b, fell)
        if signature_name == "null_spike":
            rose = np.arange(rose.size) == rose.size - 1

        def mark(values: np.ndarray) -> np.ndarray:
            return rose[codes(values, edges)].astype(float)

        return mark(a_all), mark(b_all)
    ref_counts, cur_counts = category_counts(ref, cur)
    b = bins_from_category_counts(ref_counts, cur_counts, ref.null_count(), cur.null_count())
    flags = dict(zip(b.labels, _carrying_bins(b, fell).tolist()))
    categories = list(dict.fromkeys([*ref_counts, *cur_counts]))
    if signature_name == "null_spike":
        flagged, missing = {c: False for c in categories}, True
    elif signature_name == "new_category":
        flagged, missing = {c: c not in ref_counts for c in categories}, False
    else:
        flagged = {c: flags.get(c, flags.get(RARE, False)) for c in categories}
        missing = flags[MISSING]

    def mark(values: pl.Series) -> np.ndarray:
        text = values.cast(pl.String)
        known = text.replace_strict(list(flagged), list(flagged.values()), default=False, return_dtype=pl.Boolean)
        # replace_strict gives nulls the default too: a missing value is marked as the missing bin
        return np.where(text.is_null().to_numpy(), float(missing), known.cast(pl.Float64).to_numpy())

    return mark(ref), mark(cur)


def _converted(ref: pl.Series, cur: pl.Series, factor: float, offset: float, *, bins: int = 50,
               ratio: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Per row of each side: 1 when its value reads as converted by the fitted unit map
    ``x -> factor x + offset``: the reference's density at the value mapped back (times the
    map's Jacobian) is ``ratio`` times its density at the value itself, or, for a column of
    whole numbers, the value is off them and back on them once mapped back. Values the map
    leaves in place (a zero under a factor) are never marked, so a column of mostly zeros is
    dated by its converted values alone, which a bin at the top does not see move."""
    a = ref.cast(pl.Float64).to_numpy()
    b = cur.cast(pl.Float64).to_numpy()
    sa, _ = drift.finite_sorted(a)
    if sa.size < 2 or factor == 0 or not np.isfinite(factor):
        return np.zeros(a.size), np.zeros(b.size)
    edges = np.unique(np.r_[sa[0], quantile_edges(sa, bins), sa[-1]])
    counts = np.bincount(np.searchsorted(edges, sa, side="left"), minlength=edges.size + 1).astype(float)
    widths = np.r_[np.inf, np.diff(edges), np.inf]
    density = np.where(np.isfinite(widths), counts / sa.size / widths, 0.0)
    floor = 0.5 / sa.size / max(sa[-1] - sa[0], 1e-12)          # at the reference's edge: nearly impossible
    # the reference's minimum, repeated, is a point mass (waiting days: 0 in nine rows in ten):
    # only the value itself has it, and the map moves it away unless it is its fixed point
    lowest = np.inf if counts[0] > 1 else 0.0

    def at(x: np.ndarray) -> np.ndarray:
        return np.where(x == sa[0], lowest, density[np.searchsorted(edges, x, side="left")])

    # counts, or hundredths of an inch: the grid says it too, and alone when the map takes the
    # reference's values (those it moves) off it: a density would also mark the genuine values
    # a converted one is likelier to come from (rain of 0.08 in: 0.03 x 2.54 is likelier)
    step = quality.lattice_step(sa)
    sharp = False
    if step is not None:
        moved = sa[sa * factor + offset != sa] * factor + offset
        sharp = moved.size > 0 and float(np.mean(quality.off_grid_mask(moved, step))) >= 0.9

    span = max(sa[-1] - sa[0], 1e-12)

    def beyond(x: np.ndarray) -> np.ndarray:
        """How much less likely than :data:`floor` a genuine value is, the further past the
        reference's range it lies (a tail that falls as the square of the distance in ranges):
        a temperature of 12,000 is no genuine reading, and the converted 12 spreads its
        density over a thousand times the range (the Jacobian) but still beats it."""
        past = np.maximum(sa[0] - x, 0.0) + np.maximum(x - sa[-1], 0.0)
        return 1.0 / (1.0 + past / span) ** 2

    def marked(x: np.ndarray) -> np.ndarray:
        back = (x - offset) / factor
        here = np.maximum(at(x), floor * beyond(x))
        # the map's Jacobian scales the reference's density, not the floor: a value far outside
        # the reference is as unlikely converted as genuine (else every reference 2 reads as a
        # converted 2,000 under a factor of 0.001)
        there = np.maximum(at(back) / abs(factor), floor)
        likelier = np.zeros(x.size, dtype=bool) if sharp else there >= ratio * here
        if step is not None:        # off the reference's grid, and back on it once mapped back
            steps_back = back / step
            back_on = np.abs(steps_back - np.round(steps_back)) <= 1e-7 * (1 + np.abs(steps_back))
            likelier |= quality.off_grid_mask(x, step) & back_on
        return (np.isfinite(x) & (x != back) & likelier).astype(float)

    return marked(a), marked(b)


def _carrying_bins(b, fell: bool = False) -> np.ndarray:
    """The bins whose share rose and that, largest first, carry 80 % of the PSI: a null
    spike is its missing bin, not also the seasonal drift of the other bins. With ``fell``,
    every bin but those whose share fell and carry it (see :func:`_carrying`)."""
    share_cur, share_ref = b.current / max(b.n_current, 1), b.reference / max(b.n_reference, 1)
    carry = drift.carrying(drift.psi_from_bins(b)[1], 0.8)
    return ~((share_cur < share_ref) & carry) if fell else (share_cur > share_ref) & carry


def _onset(ref: pl.Series, cur: pl.Series, kind: str, buckets, bins: int,
           signature_name: str | None = None, evidence: dict | None = None, axis=None) -> dict[str, Any]:
    """When the change began: the best split of the time buckets (:func:`rate_rise` on the
    rows the signature explains), then, on a time axis of dates, the row inside that split's
    window where the mix of those rows changed (:func:`row_split`): a day bucket dates a
    change to the day, the rows to the hour they show."""
    b_ref, b_cur, starts = buckets
    origin = None
    if not isinstance(starts[0], dt.datetime):
        b_ref, b_cur, starts, origin = _after_reference(b_ref, b_cur, starts)
    # rows a unit map leaves in place (no rain is 0 in any unit) are the same before and after
    # it: they tell nothing of when it began, and counted as unconverted rows after it they
    # pull its onset late (rain converted from the 17th, dated the 20th for the dry days between)
    keep = np.concatenate(_informative(ref, cur, signature_name, evidence))
    index = np.concatenate([b_ref, b_cur])
    n = np.bincount(index, keep, minlength=len(starts)).astype(float)
    used = np.flatnonzero(n > 0)
    rise = None
    clip = signature_name == "clipping" and evidence is not None and "bound" in evidence
    # the rows the signature explains first (for a unit change, the converted values), then
    # the rows in the bins whose share rose, when the first reading finds no clear change;
    # a clip also empties its tail: on a bound most rows already sit on (a cap of 2 nights),
    # the rows past it falling to none is the clearer change
    # a tilt (a shift, a new spread, a lost category) moves every bin a little: when the bins
    # that rose show no clear change, the rise of the rows outside the bins that fell may
    shifted = signature_name in TILTS
    readings = [*dict.fromkeys([signature_name, None if signature_name == "unit_change" else signature_name]),
                *(["short of the bound"] if clip else []), *(["not fallen"] if shifted else [])]
    for name in readings:
        if name == "short of the bound":
            mark_ref, mark_cur = (1.0 - _past(side, evidence) for side in (ref, cur))
        else:
            mark_ref, mark_cur = _carrying(ref, cur, kind, bins, signature_name if name == "not fallen" else name,
                                           evidence, fell=name == "not fallen")
        s = np.bincount(index, np.concatenate([mark_ref, mark_cur]) * keep, len(starts))
        rise = rate_rise(n[used], s[used], level=0.01, window=LR_WINDOW)
        if rise is not None:
            break
    if rise is None:            # no clear change in time
        return {}
    labels = [starts[i] for i in used]
    onset, index, latest, posterior = format_time(labels[rise.index]), rise.index, None, None
    window = (format_time(labels[rise.low]), format_time(labels[rise.high]))
    if axis is not None and isinstance(starts[0], dt.datetime) and len(used) > 1:
        positions = np.asarray([_epoch(t) for t in labels])
        width = float(np.median(np.diff(positions)))
        category = np.concatenate([mark_ref, mark_cur]).astype(np.int64)
        if clip:            # on the bound, past it (the values that vanish), the rest
            on = np.concatenate(_carrying(ref, cur, kind, bins, "clipping", evidence)).astype(np.int64)
            past = np.concatenate([_past(ref, evidence), _past(cur, evidence)]) > 0
            category = np.where(past, 2, on)
        times = np.concatenate(axis)
        if shifted:         # a tilt marks no row: every row's bin, against the reference's shares
            code_ref, code_cur, shares = reference_codes(ref, cur, kind, bins)
            reader, values = partial(shift_posterior, shares=shares), np.concatenate([code_ref, code_cur])
        else:
            reader, values = row_posterior, category
        times, values = times[keep > 0], values[keep > 0]
        inside = reader(times, values, low=positions[rise.low], high=positions[rise.high] + width)
        # the window it likely began in: the central 95 % of its posterior over the whole
        # current window (the buckets' likelihood-ratio window held a tilt's true onset 81 % of
        # the time, benchmarks/bench_onset.py)
        whole = reader(times, values, low=float(axis[1].min()), high=float(axis[1].max()) + 1.0)
        if inside is not None:
            # the median inside the buckets' window, but for a clip: its rows past the bound
            # vanish where its on-bound rows, which the buckets read, may not show yet (the
            # whole posterior's median dates 95 % of simulated clips, the window's 88 %; a
            # tilt's broad posterior is better held near the buckets' change, 78 % against 75 %)
            at = whole.quantile(0.5) if clip and whole is not None else inside.quantile(0.5)
            # but never outside the window its own rows give: buckets that rose late (humid misty
            # days from the 17th, the tilt from the 7th) hold a median the whole posterior puts
            # past its 97.5 % (bench_onset.py --count 400: numeric tilts 208 to 212 of 272)
            bounds = (whole.quantile(0.025), whole.quantile(0.975)) if whole is not None else None
            if bounds is not None and not bounds[0] <= at <= bounds[1]:
                at = whole.quantile(0.5)
            onset, index = time_label(at, starts[0]), int(np.searchsorted(positions, at, side="right")) - 1
            latest = inside.quantile(0.95)      # the latest the change likely began: its trigger came before
            if bounds is not None:
                posterior = whole
                window = (time_label(min(bounds[0], at), starts[0]), time_label(max(bounds[1], at), starts[0]))
    return {"onset": onset, "onset_low": window[0], "onset_high": window[1], "_onset_index": index,
            "_window": (rise.low, rise.high), "_used": used if origin is None else origin[used], "_latest": latest,
            "_posterior": posterior, "_tilt_only": name == "not fallen"}


def _informative(ref: pl.Series, cur: pl.Series, signature_name: str | None,
                 evidence: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row of each side: 1 when it can show when the change began, 0 when it reads the
    same either way: under a unit map ``x -> factor x + offset``, its fixed point (a zero
    under a factor) stays where it was, and a missing value stays missing.

    >>> keep = _informative(pl.Series([0.0, 0.1]), pl.Series([0.0, 10.0, None]), "unit_change", {"factor": 100.0})
    >>> [k.tolist() for k in keep]
    [[0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if signature_name != "unit_change" or not evidence or "factor" not in evidence:
        return np.ones(ref.len()), np.ones(cur.len())
    factor, offset = float(evidence["factor"]), float(evidence.get("offset", 0.0))
    if factor == 1.0 or not np.isfinite(factor):
        return np.ones(ref.len()), np.ones(cur.len())
    fixed = offset / (1.0 - factor)
    tolerance = 1e-9 * max(abs(fixed), 1.0)
    values = (side.cast(pl.Float64).to_numpy() for side in (ref, cur))
    return tuple((np.isfinite(x) & ~(np.abs(x - fixed) <= tolerance)).astype(float) for x in values)


def _after_reference(b_ref: np.ndarray, b_cur: np.ndarray, starts: list):
    """Buckets where the current rows of a bucket the reference shares (the year 2017, half
    in each window) get a bucket of their own, after the reference's: the reference is the
    time before the change, and a year of rows from both windows hides a change that began
    with the current one. Returns the new bucket indices, their starts, and the original
    bucket of each.

    >>> ref, cur, starts, origin = _after_reference(np.array([0, 1]), np.array([1, 2]), [2016, 2017, 2018])
    >>> ref.tolist(), cur.tolist(), starts, origin.tolist()
    ([0, 1], [2, 3], [2016, 2017, 2017, 2018], [0, 1, 1, 2])
    """
    keys = np.concatenate([2 * b_ref, 2 * b_cur + np.isin(b_cur, b_ref)])
    unique, codes_ = np.unique(keys, return_inverse=True)
    origin = unique // 2
    return codes_[:b_ref.size], codes_[b_ref.size:], [starts[i] for i in origin], origin


def _past(values: pl.Series, evidence: dict) -> np.ndarray:
    """1 where a value lies past a clip's bound (beyond an upper one, short of a lower one)."""
    x = values.cast(pl.Float64).to_numpy()
    bound = float(evidence["bound"])
    return (x > bound if evidence.get("side") == "upper" else x < bound).astype(float)     # NaN: False


def _epoch(value: dt.datetime) -> float:
    """A bucket start on :func:`time_axis`'s scale (seconds since 1970, naive)."""
    return (value.replace(tzinfo=None) - dt.datetime(1970, 1, 1)).total_seconds()


def _after_onset(cur: pl.DataFrame, time: str, timing: dict, buckets, min_rows: int = 30) -> pl.Series | None:
    """The current rows from the onset on, when the onset falls inside the current window
    (with enough rows on both sides of it); else None."""
    if "_onset_index" not in timing:
        return None
    _, b_cur, starts = buckets
    first = timing["_used"][timing["_onset_index"]]
    after = b_cur >= first
    if after.all() or after.sum() < min_rows or (~after).sum() < min_rows:
        return None
    return pl.Series(after)


def _frozen_onset(frozen, buckets, values: tuple | None = None, axis: tuple | None = None) -> dict[str, Any]:
    """Onset of a stuck value: the first row of its run (its bucket, for grouping); of a cap
    found in time order, the first row after the last that passed its bound.

    A run's first rows may hold the value by chance: groups booked for two nights, the
    reading later frozen at 2, read 2 on the two days before the freeze. With ``values``
    (reference, current) and their ``axis``, the window runs to the first row of the run that
    chance is unlikely (under 2.5 %) to have led with: the ``k``-th, ``q^k`` below 0.025 at
    ``q`` the reference's share of the value (the time the change began at the latest)."""
    starts = buckets[2]
    positions = np.asarray([_as_number(t) for t in starts], dtype=float)
    start = frozen.evidence["start"]
    index = max(int(np.searchsorted(positions, start, side="right")) - 1, 0)
    onset = time_label(start, starts[0])
    out = {"onset": onset, "onset_low": onset, "onset_high": onset, "_onset_index": index,
           "_window": (index, index), "_used": np.arange(len(starts))}
    value = frozen.evidence.get("value")
    if values is None or axis is None or value is None:
        return out
    reference, current = (np.asarray(v, dtype=float) for v in values)
    finite = reference[np.isfinite(reference)]
    q = float(np.mean(finite == value)) if finite.size else 0.0
    if not 0 < q < 1:
        return out
    lead = int(np.ceil(np.log(0.025) / np.log(q)))
    run = np.sort(axis[1][(axis[1] >= start) & (axis[1] <= frozen.evidence["end"]) & (current == value)])
    if lead < 1 or run.size <= lead:
        return out
    latest = float(run[lead])
    high = max(int(np.searchsorted(positions, latest, side="right")) - 1, index)
    return {**out, "onset_high": time_label(positions[high], starts[0]) if high > index else onset,
            "_window": (index, high), "_latest": latest, "_run": run[:lead + 1]}


def _group(rows: list[dict], starts) -> None:
    """Number the groups of features whose onset windows overlap (in bucket positions)."""
    timed = sorted((r for r in rows if "_window" in r), key=lambda r: r["_used"][r["_window"][0]])
    group, last_high = 0, None
    for r in timed:
        low, high = r["_used"][r["_window"][0]], r["_used"][r["_window"][1]]
        if last_high is None or low > last_high:
            group += 1
            last_high = high
        else:
            last_high = max(last_high, high)
        r["group"] = group


def _attribute(rows: list[dict], events: list[tuple[Any, str]], starts: list) -> None:
    """The likely trigger of each feature's change: the event that best explains its own
    onset (a group shares a cause, but a member dated loosely must not move the others'
    onsets earlier than their trigger)."""
    positions = np.asarray([_as_number(t) for t in starts], dtype=float)
    width = float(np.median(np.diff(positions))) if positions.size > 1 else 1.0
    for r in rows:
        if "_window" not in r:
            continue
        low = positions[r["_used"][r["_window"][0]]]
        onset = positions[r["_used"][r["_onset_index"]]]
        # rows that show nothing cannot date a change between them: an event up to the latest
        # time the rows allow for its start may have caused it
        found = likely_trigger(low, onset, width, events, latest=r.get("_latest"), posterior=r.get("_posterior"))
        if found is not None:
            r.update(event=found[1], event_time=format_time(found[0]), event_score=found[2])
            at = onset_given(r.get("_posterior"), _as_number(found[0]), width)
            if at is None and r.get("_run") is not None:
                # a run whose first rows held the value by chance began from its trigger on
                after = r["_run"][r["_run"] >= _as_number(found[0])]
                at = float(after[0]) if after.size and after[0] > onset else None
            if at is not None:
                r["onset"] = time_label(at, starts[0])


def onset_given(posterior: SplitPosterior | None, when: float, width: float) -> float | None:
    """The onset of a change given that the event at ``when`` started it (within a bucket,
    ``width``): the median of its ``posterior`` over the splits that allow it
    (:meth:`~mlwatch.stats.changepoint.SplitPosterior.given`), where that lies inside the
    central 95 % of the posterior; else None (the rows' own dating stands). A tilt on a
    few rows a day, or codes swapped on one weekday, is placed by its rows within days; the
    deploy that likely caused it places it to the hour, and a trigger three days before the
    onset it is said to explain reads as no timeline at all.

    >>> wide = SplitPosterior(np.arange(0.0, 10.0), np.arange(1.0, 11.0), np.r_[np.ones(5), 8 * np.ones(5)])
    >>> onset_given(wide, 2.5, 1.0), onset_given(wide, 9.5, 1.0), onset_given(wide, -3.0, 1.0) is None
    (3.0, 10.0, True)
    """
    if posterior is None:
        return None
    given = posterior.given(when, width)
    at = given.quantile(0.5) if given is not None else None
    return at if at is not None and posterior.quantile(0.025) <= at <= posterior.quantile(0.975) else None


def likely_trigger(low: float, onset: float, width: float, events: list[tuple[Any, str]], *,
                   latest: float | None = None, posterior: SplitPosterior | None = None):
    """(time, description, score) of the event that best explains a change dated ``onset``
    (the start of its time bucket; the earliest start its uncertainty allows is ``low``;
    numbers on the time axis, ``width`` a bucket), or None.

    A trigger precedes the change: an event from one bucket before ``low`` to the end of
    the onset's own bucket scores 1 (the latest of them wins: the closest cause), one
    further back decays over a few buckets, and one after the onset's bucket scores 0,
    however wide the onset's uncertainty (an event nine hours after a change did not cause
    it) -- unless the rows cannot tell: ``latest``, the latest time the change is likely to
    have begun (the rows of a slice seen on Saturdays only date a change to the week),
    extends the bucket to it.

    >>> events = [(0.0, "old deploy"), (9.5, "feed migrated"), (11.0, "dashboard change")]
    >>> likely_trigger(8.0, 10.0, 1.0, events)[1]
    'feed migrated'
    >>> likely_trigger(8.0, 10.0, 1.0, [(11.0, "dashboard change")]) is None
    True
    >>> likely_trigger(8.0, 10.0, 1.0, events, latest=11.0)[1]
    'dashboard change'

    When no event is that close, and the change's ``posterior`` over the rows is known (a
    tilt on a few rows a day is dated to within days, not to its bucket), the event that
    most likely started it within a bucket, if it more likely did than not
    (:meth:`~mlwatch.stats.changepoint.SplitPosterior.cause_chances`: against a cause nobody
    logged and, where the posterior can say it, no change at all). A change dated to a few
    days of a window of months, a day of them after an event, names it; a posterior no
    sharper than its prior names none.

    >>> from mlwatch.stats.changepoint import SplitPosterior
    >>> wide = SplitPosterior(np.arange(0.0, 10.0), np.arange(1.0, 11.0), np.r_[np.ones(5), 8 * np.ones(5)])
    >>> likely_trigger(2.0, 2.0, 1.0, [(-5.0, "backup job"), (6.5, "campaign launched")]) is None
    True
    >>> likely_trigger(2.0, 2.0, 1.0, [(-5.0, "backup job"), (6.5, "campaign launched")], posterior=wide)
    (6.5, 'campaign launched', 0.64)
    >>> flat = SplitPosterior(np.arange(0.0, 10.0), np.arange(1.0, 11.0), np.ones(10))
    >>> likely_trigger(2.0, 2.0, 1.0, [(6.5, "campaign launched")], posterior=flat) is None
    True
    """
    best, best_score = None, 0.0
    for when, description in events:
        t = _as_number(when)
        if t >= onset + width and (latest is None or t > latest):     # after the change: cannot have caused it
            score = 0.0
        elif t >= low - width:
            score = 1.0
        else:
            score = float(np.exp(-(low - width - t) / (2 * width)))
        if score > 0 and score >= best_score:
            best, best_score = (when, description), score
    if best is not None and best_score >= 0.5:
        return (*best, best_score)
    if posterior is None or not events:
        return None
    chances = posterior.cause_chances([_as_number(w) for w, _ in events], width)
    chance, when, description = max(zip(chances, *zip(*events)), key=lambda item: (item[0], _as_number(item[1])))
    return (when, description, round(float(chance), 4)) if chance > TRIGGER_CHANCE else None


def check_event_times(events: list[tuple[Any, str]], axis_start) -> None:
    """Events and the time column must be on the same kind of axis."""
    if not events:
        return
    dated = isinstance(events[0][0], (dt.date, dt.datetime))
    if dated != isinstance(axis_start, (dt.date, dt.datetime)):
        raise data.DataError("events: their times are " + ("dates" if dated else "numbers") +
                             " but the time column holds " + ("numbers" if dated else "dates") +
                             "; give them on the same axis", column="time", frame="events")


def _as_number(value) -> float:
    """A time as a number on :func:`time_axis`'s scale (seconds since 1970, naive times
    read as UTC whatever the machine's zone)."""
    if isinstance(value, dt.datetime):
        return _epoch(value)
    if isinstance(value, dt.date):
        return _epoch(dt.datetime(value.year, value.month, value.day))
    return float(value)


# ------------------------------------------------------------- detectors

@dataclass(frozen=True, eq=False, repr=False)
class ChangeTrace(Result):
    """A streaming detector's run over a series: ``table`` has one row a detection
    (position, index label, mean before and after); ``series`` keeps a downsampled view."""

    table: pl.DataFrame
    detector: str
    n: int
    series: pl.DataFrame

    @property
    def positions(self) -> list[int]:
        return self.table["position"].to_list()

    SCHEMA = "mlwatch.change_trace/1"

    @property
    def sentence(self) -> str:
        return (f"{self.detector} found {self.table.height} change{'s' if self.table.height != 1 else ''} "
                f"in {self.n:,} values.")

    def plot(self, ax=None, **kws):
        """The series (means of consecutive chunks when long) with the detections."""
        from mlwatch.plots.trace import plot_change_trace

        return plot_change_trace(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.SCHEMA, "detector": self.detector, "n": self.n,
                "detections": records(self.table), "series": records(self.series)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "ChangeTrace":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["detections"], CHANGE_SCHEMA), payload["detector"], payload["n"],
                   frame_from_records(payload["series"], SERIES_SCHEMA))


CHANGE_SCHEMA = {"position": pl.Int64, "index": pl.String, "mean_before": pl.Float64, "mean_after": pl.Float64}
SERIES_SCHEMA = {"position": pl.Int64, "mean": pl.Float64}


def run_detector(detector, values, *, index=None, max_points: int = 2000) -> ChangeTrace:
    """Run ``detector`` over ``values`` (in order) and return where it found changes.

    ``index`` labels the positions (timestamps, say). The mean of the values between one
    detection and the next is given on each side of every detection.

    >>> rng = np.random.default_rng(1)
    >>> result = run_detector(streaming.ADWIN(), np.r_[rng.normal(0, 1, 3000), rng.normal(2, 1, 3000)])
    >>> result.positions
    [3039]
    """
    array = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values, dtype=float).ravel()
    found = streaming.detect(detector, array)
    labels = None
    if index is not None:
        labels = list(index.to_list() if isinstance(index, pl.Series) else index)
        if len(labels) != array.size:
            raise MlwatchError(f"index has {len(labels)} labels for {array.size} values")
    cuts = np.concatenate([[0], found + 1, [array.size]])
    csum = np.concatenate([[0.0], np.cumsum(array)])
    means = [(csum[b] - csum[a]) / max(b - a, 1) for a, b in zip(cuts[:-1], cuts[1:])]
    rows = [{"position": int(p), "index": format_time(labels[p]) if labels is not None else None,
             "mean_before": float(means[k]), "mean_after": float(means[k + 1])} for k, p in enumerate(found)]
    table = pl.DataFrame(rows, schema=CHANGE_SCHEMA) if rows else pl.DataFrame(schema=CHANGE_SCHEMA)
    chunk = max(1, int(np.ceil(array.size / max_points)))
    starts = np.arange(0, array.size, chunk)
    chunk_means = np.add.reduceat(array, starts) / np.diff(np.append(starts, array.size)) if array.size else []
    series = pl.DataFrame({"position": starts.astype(np.int64), "mean": np.asarray(chunk_means, dtype=float)},
                          schema=SERIES_SCHEMA)
    return ChangeTrace(table, repr(detector), int(array.size), series)
