"""Readings frozen inside one segment: a sensor or a feed that repeats one value for a period,
for the rows of one segment only (one station, one client, one season's feed).

In the population's time order such a run is interleaved with the other segments' rows and
shows no run at all, so step 6 (which reads the population, or the broken slice) never sees
it. Here every segment value's rows are read in time order, feature by feature.

The test: in the segment's reference rows, ``q`` is the share of consecutive rows that repeat
the previous value (with a floor of half a repeat, so a never-repeating reference is not taken
for proof). Were the current rows to repeat at that rate, a run of ``k`` equal values appears
among ``m`` rows with probability at most ``m q^(k-1)``; that bound, with ``q`` at its 99th
percentile given the reference's count (a small segment's rate is uncertain), Bonferroni over
every (segment column or pair of columns, feature) scanned, is the p-value. A run is reported when it also spans
twice the reference's longest run (:func:`mlwatch.stats.signatures.stuck_signature`). Only
readings that rarely repeat are scanned (``q`` at most :data:`MAX_REPEAT`): a column that
rests on one value by nature (rain at zero, children per booking) holds long runs in any
season, and measured on the scorecard's controls they were its only false alarms.

Readings capped inside one segment from some date on (:func:`capped_segments`) are read the
same way: a tail that only thinned in the window's histogram is gone in time order.

Readings off the grid the reference lies on (:func:`off_grid_segments`): whole numbers that
came in as fractions for one segment's rows (waiting days sent in hours by one channel's
feed). On a column that is zero in most rows, such a conversion shows in a dozen values of
thousands, too few for any test of the distribution and for the audit's material bar of
half a percent of the rows; but a fraction where the reference never had one is no chance.
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any, Sequence

import numpy as np
import polars as pl
from scipy.stats import beta

from mlwatch import data
from mlwatch.stats.binning import MISSING
from mlwatch.stats.quality import grid_step, increase_p_value, off_grid_mask
from mlwatch.stats.signatures import (PIPELINE, Signature, held_at_bound, numeric_signature, off_grid_unit_change,
                                      stuck_signature)
from mlwatch.steps.scoring import time_axis

MAX_VALUES = 40            # segment columns with more values than this are not scanned
MAX_CAPPED_ROWS = 250_000  # rows a side the scan for caps reads (a uniform sample past it)
MAX_REPEAT = 0.2           # a column whose consecutive readings repeat more often than this rests by nature
MIN_OFF_GRID = 3           # values off the grid a scope needs before it is tested
REST_LEVEL = 0.05          # a segment's values off the grid rose, and its rest's did not, at this level
PILE_LEVEL = 0.05          # an emptied tail is a cap when its rows piled on the bound at this level


def frozen_segments(reference, current, *, segments: Sequence[str], features: Sequence[str], time: str,
                    min_rows: int = 10, max_depth: int = 2, alpha: float = 0.005) -> list[dict[str, Any]]:
    """The (segment, feature) pairs whose current rows hold a frozen run, most significant
    first: ``where`` (``{column: value}``, or two columns' values up to ``max_depth``),
    ``feature``, the ``signature`` (a ``stuck`` :class:`~mlwatch.stats.signatures.Signature`),
    ``p_value`` (Bonferroni-adjusted, below ``alpha``) and ``n_tests``.

    A sensor frozen for the rows of two segments' values at once (clear days that are also
    Wednesdays) shows no run in either one: each interleaves the other's rows. So pairs of
    columns are read too, and a run found in a segment and again in a part of it is reported
    once, where it holds the most rows (the wider segment, when they hold the same).

    >>> import datetime as dt
    >>> rng = np.random.default_rng(0)
    >>> t = [dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(2000)]
    >>> site = np.tile(["a", "b"], 1000)
    >>> ref = pl.DataFrame({"time": t, "site": site, "temp": rng.normal(10, 3, 2000).round(1)})
    >>> temp = rng.normal(10, 3, 2000).round(1)
    >>> temp[(site == "b") & (np.arange(2000) >= 600) & (np.arange(2000) < 700)] = 12.3
    >>> cur = pl.DataFrame({"time": [x + dt.timedelta(days=90) for x in t], "site": site, "temp": temp})
    >>> found = frozen_segments(ref, cur, segments=["site"], features=["temp"], time="time")
    >>> [(f["where"], f["feature"], f["signature"].evidence["rows"]) for f in found]
    [({'site': 'b'}, 'temp', 50)]
    """
    from mlwatch.steps.segments import _segment_groups
    from mlwatch.steps.slices import encode_segments

    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    ref, cur = data.align_time(ref, cur, time)
    numeric = [f for f in features if f in ref.columns and f in cur.columns and f != time
               and ref.schema[f].is_numeric() and cur.schema[f].is_numeric()]
    present = [c for c in segments if c in ref.columns and c in cur.columns
               and cur[c].cast(pl.String).drop_nulls().n_unique() <= MAX_VALUES]
    if not present or not numeric:
        return []
    enc = encode_segments(ref, cur, present, kinds=dict.fromkeys(present, "categorical"))
    groups = _segment_groups(enc, max_depth)
    clock_ref, clock_cur = time_axis(ref[time]), time_axis(cur[time])
    in_time_ref, in_time_cur = np.argsort(clock_ref, kind="stable"), np.argsort(clock_cur, kind="stable")
    values_ref = {f: ref[f].cast(pl.Float64).to_numpy() for f in numeric}
    values_cur = {f: cur[f].cast(pl.Float64).to_numpy() for f in numeric}
    candidates = []
    for _, key_ref, key_cur, k, label in groups:
        n_ref, n_cur = np.bincount(key_ref, minlength=k), np.bincount(key_cur, minlength=k)
        # each code's rows in time order, the codes one after another
        rows_ref, rows_cur = _grouped(key_ref, k, in_time_ref), _grouped(key_cur, k, in_time_cur)
        start_ref, start_cur = np.r_[0, np.cumsum(n_ref)], np.r_[0, np.cumsum(n_cur)]
        for code in np.flatnonzero((n_ref >= 2 * min_rows) & (n_cur >= min_rows)):
            where = label(int(code))
            if MISSING in where.values():
                continue
            i_ref = rows_ref[start_ref[code]:start_ref[code + 1]]
            i_cur = rows_cur[start_cur[code]:start_cur[code + 1]]
            t_ref, t_cur = clock_ref[i_ref], clock_cur[i_cur]
            for feature in numeric:
                a, b = values_ref[feature][i_ref], values_cur[feature][i_cur]
                q = _repeat_rate(a, t_ref)
                if q > MAX_REPEAT:
                    continue
                found = stuck_signature(a, t_ref, b, t_cur, feature=feature, min_rows=min_rows)
                if found is not None and not _spread_wider(found, values_ref[feature][key_ref != code],
                                                           values_cur[feature][key_cur != code],
                                                           clock_cur[key_cur != code]):
                    q_high = _repeat_rate(a, t_ref, upper=True)
                    candidates.append((where, feature, found,
                                       float(min(1.0, b.size * q_high ** (found.evidence["rows"] - 1)))))
    n_tests = max(len(groups) * len(numeric), len(candidates), 1)
    out = [{"where": where, "feature": feature, "signature": found, "p_value": min(1.0, p * n_tests),
            "n_tests": n_tests} for where, feature, found, p in candidates]
    out = [f for f in out if f["p_value"] < alpha]
    # one run, once: where it holds the most rows, the wider segment on a tie
    out.sort(key=lambda f: (-f["signature"].evidence["rows"], len(f["where"]), f["p_value"]))
    kept: list[dict] = []
    for f in out:
        e = f["signature"].evidence
        if not any(g["feature"] == f["feature"] and g["signature"].evidence["value"] == e["value"]
                   and g["signature"].evidence["start"] <= e["end"] and e["start"] <= g["signature"].evidence["end"]
                   for g in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f["p_value"])


SPREAD_P = 1e-3     # a run's value that rose this surely outside its segment was written wider


def _spread_wider(run: Signature, reference: np.ndarray, current: np.ndarray, times: np.ndarray) -> bool:
    """Whether a run's value also rose in the rows outside its segment over the run's period
    (``reference``, ``current``: the values outside, ``times`` the current ones' time axis):
    at least twice the reference's share there, at :data:`SPREAD_P`. A frozen sensor repeats
    its reading in its own rows only; a default written into a whole slice makes runs in each
    of its parts too (ages set to 0 in most rows: a run of 15 among one race code with no
    schooling), and is a flood."""
    value, start, end = run.evidence["value"], run.evidence["start"], run.evidence["end"]
    during = current[(times >= start) & (times <= end)]
    if not during.size or not reference.size:
        return False
    k_ref, k_cur = int(np.sum(reference == value)), int(np.sum(during == value))
    return (k_cur / during.size >= 2 * k_ref / reference.size
            and increase_p_value(k_ref, reference.size, k_cur, during.size) < SPREAD_P)


def _repeat_rate(reference: np.ndarray, times: np.ndarray, *, upper: bool = False) -> float:
    """``q``: the share of consecutive reference rows (in time order) that repeat the previous
    value, half a repeat added so that a reference that never repeats proves nothing. With
    ``upper``, the 99th percentile of ``q`` given the repeats counted (a uniform prior's beta
    posterior), the rate the p-value uses: a segment of two columns' values holds few rows
    (hotel's transient full-board bookings: a run of 11 stays of 2 nights over two months),
    and its point estimate of ``q`` is too low as often as too high (measured on no-drift
    hotel splits: 4 false frozen readings in 100 at 5,479 rows a side, none with the bound).

    >>> v = np.array([1.0, 1.0, 2.0, 3.0, 3.0, 4.0]); t = np.arange(6.0)
    >>> _repeat_rate(v, t), round(_repeat_rate(v, t, upper=True), 3)
    (0.5, 0.827)
    """
    v = reference[np.argsort(times, kind="stable")]
    repeats = float(np.sum((v[1:] == v[:-1]) & np.isfinite(v[1:])))
    transitions = max(v.size - 1, 1)
    if upper:
        return float(beta.ppf(0.99, repeats + 1, transitions - repeats + 1))
    return (repeats + 0.5) / transitions





def capped_segments(reference, current, *, segments: Sequence[str], features: Sequence[str], time: str,
                    min_rows: int = 50, min_suffix: int = 10, max_depth: int = 2,
                    alpha: float = 0.005) -> list[dict[str, Any]]:
    """The (segment, feature) pairs whose current rows were capped from some time on, most
    significant first, in the shape of :func:`frozen_segments`' findings (a ``clipping``
    signature whose ``rows`` are the capped period's).

    A cap on a few dozen rows of one segment, from a date inside the current window, leaves
    the segment's histogram with a tail that only thinned; read in time order it is plain:
    from some row on, no value passes a bound ``v`` the reference passed in a share ``p`` of
    its rows, and the rows on ``v`` pile up. For every segment (a value of one segment column
    or of two), feature and side, each record of the current rows read backwards in time (the
    largest value from some row to the end) is a candidate bound ``v`` with its period: the
    ``l`` rows from the last row past it to the end. Two tests:

    * the emptied tail, the scan's significance: ``l`` rows none past ``v`` when the
      reference's rows entered the tail ``r`` times (runs past ``v`` begun) from its ``m``
      rows short of it: the Polya urn's ``B(r + 1, m - r + 1 + l) / B(r + 1, m - r + 1)``
      (a two-state Markov chain's ``(1 - q)^l``, ``q`` unknown; with independent rows ``r``
      is about the ``k`` rows past ``v``, and this the binomial's ``(1 - p)^l``), Bonferroni
      over every candidate read;
    * the pile, which tells a cap from a tail that merely went away: beyond the record
      itself, the period's rows on ``v`` against the binomial of the reference's share on
      ``v`` among its rows not past it (half a row added), at :data:`PILE_LEVEL` Bonferroni
      over the candidates whose tail emptied significantly. A level of its own, not the
      scan's: under no change at all the first test holds the level alone, and the pile only
      chooses the reading of a change already shown. Asked at the scan's level (the two were
      once an intersection-union test), it lost the caps whose bound already held many rows:
      hotel stays capped at 5 nights, where 220 reference rows of the segment sat on 5 and 56
      passed it, piled 178 of 862 rows where a tail gone away leaves 163 (a p of 0.13, behind
      a tail emptied at 1e-14).

    Candidates need a tail (``p`` from 1 % to a half, as a clip's), ``min_rows`` rows a side
    and ``min_suffix`` rows in the period.
    Rows in time order are seldom independent (flights in one hour share their weather, a
    group's bookings repeat one row): the tail's rows come in runs, which the emptied tail's
    count of entries reads (:func:`_runs_past`), and the pile's counts are taken at their
    effective size for the segment's reference serial correlation
    (:func:`_serial_correlation`). Rows that share a time have no order among them, so a
    period is made of whole times (see :func:`_capped`). A season ends tails
    too (no humid days from October at every airport), and a shift of everyone's values
    empties a bounded segment's tail onto a new minimum; so a found cap must also be the
    segment's own and a cap's shape: the rest of the population still passes the bound over
    the same period (:func:`_rest_held`), the segment's rows at or past the bound did not thin
    (:func:`mlwatch.stats.signatures.held_at_bound`), and its values short of the bound follow
    the reference's (:func:`_rest_followed`). Measured on consecutive windows of the bundled
    tables, without the first two rules the scan flagged most flights and hotel windows; with
    them it flags none at its level (``benchmarks/bench_capped_level.py``). Past
    :data:`MAX_CAPPED_ROWS` rows a side it reads a uniform sample of them.

    >>> import datetime as dt
    >>> rng = np.random.default_rng(0)
    >>> t = [dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(4000)]
    >>> site = np.tile(["a", "b", "c", "d"], 1000)
    >>> ref = pl.DataFrame({"time": t, "site": site, "stay": rng.poisson(3, 4000)})
    >>> stay = rng.poisson(3, 4000)
    >>> stay[(site == "b") & (np.arange(4000) >= 2000)] = np.minimum(stay[(site == "b") & (np.arange(4000) >= 2000)], 5)
    >>> cur = pl.DataFrame({"time": [x + dt.timedelta(days=200) for x in t], "site": site, "stay": stay})
    >>> found = capped_segments(ref, cur, segments=["site"], features=["stay"], time="time")
    >>> [(f["where"], f["feature"], f["signature"].evidence["bound"]) for f in found]
    [({'site': 'b'}, 'stay', 5.0)]
    """
    from mlwatch.steps.segments import _segment_groups
    from mlwatch.steps.slices import encode_segments

    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    ref, cur = data.align_time(ref, cur, time)
    # past MAX_CAPPED_ROWS a side, a uniform sample (seeded): a cap a segment of a million rows
    # shows, a quarter of them show too, at a quarter of the time
    ref, cur = (frame.sample(MAX_CAPPED_ROWS, seed=0) if frame.height > MAX_CAPPED_ROWS else frame
                for frame in (ref, cur))
    present = [c for c in segments if c in ref.columns and c in cur.columns]
    numeric = [f for f in features if f in ref.columns and f in cur.columns and f != time and f not in present
               and ref.schema[f].is_numeric() and cur.schema[f].is_numeric()]
    if not present or not numeric or ref.height < min_rows or cur.height < min_rows:
        return []
    groups = _segment_groups(encode_segments(ref, cur, present), max_depth)
    clock = time_axis(cur[time])
    latest_first, ref_in_time = np.argsort(-clock, kind="stable"), np.argsort(time_axis(ref[time]), kind="stable")
    # each segment's rows in time order (the current latest first), once per segment column(s)
    orders = [(_grouped(key_cur, k, latest_first), _grouped(key_ref, k, ref_in_time))
              for _, key_ref, key_cur, k, _ in groups]
    candidates: list[tuple] = []
    n_read = 0
    for feature in numeric:
        a = ref[feature].cast(pl.Float64).to_numpy()
        b = cur[feature].cast(pl.Float64).to_numpy()
        ok_ref, ok_cur = np.isfinite(a), np.isfinite(b)
        values, inverse = np.unique(np.r_[a[ok_ref], b[ok_cur]], return_inverse=True)     # ranks, once a feature
        rank_ref, rank_cur = np.full(a.size, -1, dtype=np.int64), np.full(b.size, -1, dtype=np.int64)
        rank_ref[ok_ref], rank_cur[ok_cur] = inverse[: int(ok_ref.sum())], inverse[int(ok_ref.sum()):]
        by_rank = np.flatnonzero(ok_ref)[np.argsort(rank_ref[ok_ref], kind="stable")]
        for g, (_, key_ref, key_cur, k, _) in enumerate(groups):
            n_ref = np.bincount(key_ref[ok_ref], minlength=k)
            supported = (n_ref >= min_rows) & (np.bincount(key_cur[ok_cur], minlength=k) >= min_rows)
            if not supported.any():
                continue
            cur_order, ref_order = orders[g]
            rho = cache(partial(_serial_correlation, rank_ref, key_ref, k, ref_order))
            in_rank = _grouped(key_ref, k, by_rank)          # by segment, then rank: sorted without a sort
            ref_sorted = key_ref[in_rank].astype(np.int64) * values.size + rank_ref[in_rank]
            cur_order = cur_order[ok_cur[cur_order] & supported[key_cur[cur_order]]]
            for upper in (True, False):
                found, read = _capped(values, rank_cur, key_cur, cur_order, ref_sorted, n_ref, rho, upper, min_suffix,
                                      alpha, (rank_ref[ref_order], key_ref[ref_order]), clock)
                n_read += read
                candidates += [(feature, upper, g, *c) for c in found]
    out = []
    emptied = [c for c in candidates if c[-2] * max(n_read, 1) < alpha]         # c[-2]: the emptied tail's p
    for feature, upper, g, code, bound, rows, piled, p_past, p, p_pile in emptied:
        p_value = min(1.0, p * max(n_read, 1))
        if p_pile * len(emptied) >= PILE_LEVEL:
            continue                    # the tail went away; nothing shows it went onto the bound
        _, key_ref, key_cur, _, label = groups[g]
        sign = 1.0 if upper else -1.0
        a = sign * ref[feature].cast(pl.Float64).to_numpy()
        b = sign * cur[feature].cast(pl.Float64).to_numpy()
        first = _first_of_period(key_cur, code, b, latest_first, rows)
        period = clock >= clock[first]
        if not _rest_held(a[key_ref != code], b[(key_cur != code) & period], sign * bound):
            continue                    # the rest of the population lost the tail too: a season, no cap
        mine = a[(key_ref == code) & np.isfinite(a)]
        at_or_past = int(np.sum(mine >= sign * bound))
        if piled / rows < at_or_past / mine.size and not held_at_bound(at_or_past, mine.size, piled, rows,
                                                                       piled / rows - np.mean(mine == sign * bound)):
            continue                    # a cap moves the tail onto the bound; a shift moves it away (ages 4 years up)
        if not _rest_followed(mine, b[(key_cur == code) & period], sign * bound):
            continue                    # the segment's values short of the bound moved too: a shift, no cap
        side, where, since = "upper" if upper else "lower", label(code), cur[time][first]
        scope = " & ".join(f"{c} = {v}" for c, v in where.items())
        sentence = (f"{feature} is capped at {'an upper' if upper else 'a lower'} bound of "
                    f"{bound:.6g} where {scope}: none of its last {rows} rows passes it "
                    f"(the reference passed it in {p_past:.1%} of its rows) and {piled} sit on it")
        found = Signature("clipping", 1.0 - p_value, sentence,
                          {"bound": float(bound), "side": side, "rows": int(rows), "piled": int(piled),
                           "past_reference": float(p_past), "reference_rows": int(mine.size), "since": str(since),
                           "start": float(clock[first])})
        out.append({"where": where, "feature": feature, "signature": found, "p_value": p_value, "n_tests": n_read})
    out.sort(key=lambda f: (f["p_value"], -f["signature"].evidence["rows"]))      # ties: the wider segment
    best: dict = {}
    for f in out:                       # one bound per pair: its most significant side and record
        best.setdefault((tuple(f["where"].items()), f["feature"]), f)
    # a two-column segment that holds nearly all of a one-column segment's capped rows is that
    # segment seen through a second column: the wider one is where the cap lives
    return [f for f in best.values() if not any(
        g["feature"] == f["feature"] and len(g["where"]) < len(f["where"]) and g["where"].items() <= f["where"].items()
        and (f["signature"].evidence["rows"] >= 0.9 * g["signature"].evidence["rows"] or _nothing_else_to_cap(f, g))
        for g in best.values())]


def _nothing_else_to_cap(narrow: dict, wide: dict) -> bool:
    """Whether a cap read on a segment (``narrow``) and on a wider one holding it (``wide``),
    at one bound on one side, had nothing to cap in the wider one's other rows: fewer than one
    of their rows over its period expected past the bound at their reference's rate. Then the
    two read the same capped rows and the wider is where the cap lives: Sundays' temperatures
    capped at 1.4 degrees bite only on spring Sundays, the only ones that were ever colder.

    >>> def cap(rows, past, n):
    ...     return {"signature": Signature("clipping", 1.0, "", {"bound": 1.4, "side": "lower", "rows": rows,
    ...             "past_reference": past / n, "reference_rows": n})}
    >>> _nothing_else_to_cap(cap(121, 34, 144), cap(447, 34, 585))     # no Sunday outside spring was colder
    True
    >>> _nothing_else_to_cap(cap(121, 34, 144), cap(447, 80, 585))     # 46 were: the cap is spring's
    False
    """
    a, b = narrow["signature"].evidence, wide["signature"].evidence
    if (a["bound"], a["side"]) != (b["bound"], b["side"]):
        return False
    outside = b["reference_rows"] - a["reference_rows"]
    past = b["past_reference"] * b["reference_rows"] - a["past_reference"] * a["reference_rows"]
    return outside <= 0 or past / outside * max(b["rows"] - a["rows"], 0) < 1.0


def _capped(values: np.ndarray, rank_cur: np.ndarray, key_cur: np.ndarray, order: np.ndarray,
            ref_sorted: np.ndarray, n_ref: np.ndarray, rho, upper: bool, min_suffix: int, alpha: float,
            ref_in_time: tuple[np.ndarray, np.ndarray], clock: np.ndarray):
    """Every segment code's candidate bounds on one side (see :func:`capped_segments`): the
    records of its current values read backwards in time (``order``: the supported
    segments' rows, latest first, grouped by segment), each with its period's length, the
    rows piled on it, the reference's share past it and the two tests' p-values (the emptied
    tail's, the pile's); and how many candidates were read. Ranks index ``values``; ``ref_sorted`` is the reference's
    ``code * len(values) + rank``, sorted; ``rho()`` each code's serial correlation, read
    only when a candidate could reject (it only ever raises a p-value); ``ref_in_time`` the
    reference's ranks and codes, grouped by code, each code's rows in time order; ``clock``
    the current rows' times. Rows that share a time have no order among them: a period is
    made of whole times (a year of census rows is one time, in the order of its file: the
    last 95 rows of a segment that held no child were the end of a file sorted by household,
    not a cap), so within a time the rows are read largest first, and a time that holds a
    row past the bound is wholly outside the period."""
    from scipy.special import betainc, betaln

    if order.size == 0:
        return [], 0
    u = values.size
    keys = key_cur[order].astype(np.int64)
    ranks = rank_cur[order] if upper else u - 1 - rank_cur[order]       # a lower bound: the ranks reversed
    within = np.lexsort((-ranks, -clock[order], keys))                 # by code, latest first, largest first
    keys, ranks = keys[within], ranks[within]
    # a running maximum of key * u + rank restarts with each segment (an earlier one's codes are smaller)
    record = np.maximum.accumulate(keys * u + ranks)
    new = np.r_[True, record[1:] != record[:-1]]                        # records only grow: sorted already
    composite = record[new]
    piece = np.diff(np.r_[np.flatnonzero(new), record.size])
    ties = np.bincount(np.cumsum(new)[ranks == record - keys * u] - 1, minlength=composite.size)
    code, bound = composite // u, composite % u
    start = np.searchsorted(code, code, "left")
    rows = np.cumsum(piece) - np.r_[0, np.cumsum(piece)][start]      # the period: rows with a record <= bound
    original = bound if upper else u - 1 - bound
    lo, hi = np.searchsorted(ref_sorted, code * u + original, "left"), np.searchsorted(ref_sorted, code * u + original,
                                                                                     "right")
    past = (np.searchsorted(ref_sorted, (code + 1) * u, "left") - hi if upper
            else lo - np.searchsorted(ref_sorted, code * u, "left"))
    at, n = hi - lo, n_ref[code]
    p_past = past / np.maximum(n, 1)
    tested = (p_past >= 0.01) & (p_past <= 0.5) & (rows >= min_suffix)
    if not tested.any():
        return [], 0
    # rows in time order are seldom independent (an hour's weather, a group's bookings repeat
    # one row): the tail's rows come in runs, and a period with none past the bound is a
    # period the values did not enter the tail, at the reference's rate of entries (runs
    # begun) per row outside it: a two-state Markov chain's, unknown, so a Polya urn again
    runs = _runs_past(*ref_in_time, u, code, original, upper)
    outside = n - past
    emptied = np.exp(betaln(runs + 1, outside - runs + 1 + rows) - betaln(runs + 1, outside - runs + 1))
    if not np.any(tested & (emptied < alpha)):
        return [], int(tested.sum())    # nothing can reject, Bonferroni or not
    # the pile's count is taken at its effective size, (1 - rho) / (1 + rho) of it for the
    # lag-1 autocorrelation rho of the segment's reference values in time order (an AR(1)'s)
    kept = np.ones(code.size)
    for _ in range(2):                  # independent rows first; their p-value is the least
        share_on = np.minimum((at + 0.5) / (n - past + 1), 1.0)
        extra, trials = (ties - 1) * kept, (rows - 1) * kept
        with np.errstate(invalid="ignore", divide="ignore"):     # P(extra or more of trials): binomial, effective sizes
            piled = np.where(extra > 0, betainc(np.maximum(extra, 1e-12), np.maximum(trials - extra + 1, 1e-12),
                                                share_on), 1.0)
        if not np.any(tested & (emptied < alpha) & (piled < PILE_LEVEL)):
            break                       # nothing can be read as a cap, discounted or not
        kept = (1 - rho()[code]) / (1 + rho()[code])
    found = [(int(c), float(values[v]), int(r), int(t), float(s), float(q), float(w))
             for c, v, r, t, s, q, w, keep in zip(code, original, rows, ties, p_past, emptied, piled, tested) if keep]
    return found, int(tested.sum())


def _runs_past(ranks: np.ndarray, keys: np.ndarray, u: int, code: np.ndarray, bound: np.ndarray,
               upper: bool) -> np.ndarray:
    """For each candidate (``code``, ``bound``: a rank), the runs of the code's reference rows
    past the bound in time order (``ranks`` and ``keys`` grouped by code, each code's rows in
    time order; ``-1``: missing, skipped; ``u`` ranks in all): the rows past it whose previous
    row of the code is not.

    >>> ranks, keys = np.array([0, 3, 3, 1, 4, 0, 2, 3, 0]), np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    >>> _runs_past(ranks, keys, 5, np.array([0, 0, 1, 1]), np.array([2, 0, 2, 3]), True).tolist()
    [2, 1, 1, 0]
    >>> _runs_past(ranks, keys, 5, np.array([0]), np.array([3]), False).tolist()     # below 3: 0; 1; 0
    [3]
    """
    keep = ranks >= 0
    r = (ranks[keep] if upper else u - 1 - ranks[keep]).astype(np.int64)
    k = keys[keep].astype(np.int64)
    first = np.r_[True, k[1:] != k[:-1]]
    prev = np.where(first, -1, np.r_[-1, r[:-1]])
    rise = prev < r                     # a run past v begins at a row when prev <= v < its rank
    width = u + 1                       # ranks shifted by one, so that the first row's -1 is 0
    lo, hi = np.sort(k[rise] * width + prev[rise] + 1), np.sort(k[rise] * width + r[rise] + 1)
    v = (bound if upper else u - 1 - bound).astype(np.int64)
    top, floor = code * width + v + 1, code * width
    return ((np.searchsorted(lo, top, "right") - np.searchsorted(lo, floor, "left"))
            - (np.searchsorted(hi, top, "right") - np.searchsorted(hi, floor, "left")))


def _rest_held(reference: np.ndarray, period: np.ndarray, bound: float) -> bool:
    """Whether the rest of the population (every row outside the segment) still passes
    ``bound`` over the capped period: at half its reference rate or more, and not a fifth
    less often with significance (binomial, one-sided, 0.1 %), with five such rows expected at
    least (fewer cannot tell a cap from a season that ended the tail for all, or from a
    shift of everyone's ages)."""
    from scipy import stats as _st

    reference, period = reference[np.isfinite(reference)], period[np.isfinite(period)]
    if reference.size == 0 or period.size == 0:
        return False
    share, k = float(np.mean(reference > bound)), int(np.sum(period > bound))
    fell = k / period.size < share / 2 or (k / period.size < 0.8 * share
                                           and float(_st.binom.cdf(k, period.size, share)) < 0.001)
    return share * period.size >= 5 and not fell


def _rest_followed(reference: np.ndarray, period: np.ndarray, bound: float) -> bool:
    """Whether the segment's values short of ``bound`` over the capped period follow its
    reference's values short of it, as a cap leaves them (the KS distance within twice its
    95 % noise, or 0.05): a segment of young adults whose ages all rose four years also
    empties its youngest ages onto a new minimum, but moves every other age too."""
    from mlwatch.stats.ecdf import ks_sorted

    kept_a = np.sort(reference[np.isfinite(reference) & (reference < bound)])
    kept_b = np.sort(period[np.isfinite(period) & (period < bound)])
    if kept_a.size < 10 or kept_b.size < 10:
        return False
    floor = 1.36 * np.sqrt(1 / kept_a.size + 1 / kept_b.size)
    return ks_sorted(kept_a, kept_b) <= max(2 * floor, 0.05)


def _grouped(keys: np.ndarray, k: int, order: np.ndarray) -> np.ndarray:
    """``order`` regrouped by segment code, each code's rows kept in ``order``'s order (a
    stable radix sort on small codes)."""
    small = np.int16 if k < 2 ** 15 else np.int64
    return order[np.argsort(keys[order].astype(small), kind="stable")]


def _serial_correlation(ranks: np.ndarray, keys: np.ndarray, k: int, order: np.ndarray) -> np.ndarray:
    """Each segment code's lag-1 correlation of its rows' value ranks (``-1``: missing) in time
    order (``order``: the rows grouped by code, each group in time order), clipped to
    [0, 0.99]; 0 for a code with fewer than three rows.

    >>> keys = np.array([0, 0, 0, 1, 1, 1])
    >>> [round(float(r), 2) for r in _serial_correlation(np.array([0, 1, 2, 5, 4, 3]), keys, 2, np.arange(6))]
    [0.99, 0.99]
    """
    order = order[ranks[order] >= 0]
    key, x = keys[order], ranks[order].astype(float)
    pair = key[1:] == key[:-1]
    g, u, v = key[1:][pair], x[:-1][pair], x[1:][pair]
    count = np.bincount(g, minlength=k).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu, mv = np.bincount(g, u, k) / count, np.bincount(g, v, k) / count
        cov = np.bincount(g, u * v, k) / count - mu * mv
        var_u = np.bincount(g, u * u, k) / count - mu ** 2
        var_v = np.bincount(g, v * v, k) / count - mv ** 2
        rho = cov / np.sqrt(var_u * var_v)
    return np.clip(np.where((count >= 2) & np.isfinite(rho), rho, 0.0), 0.0, 0.99)


def _first_of_period(key_cur: np.ndarray, code: int, b: np.ndarray, latest_first: np.ndarray, rows: int) -> int:
    """The current row (index) that opens the capped period: the earliest of the segment's
    last ``rows`` finite rows."""
    mine = latest_first[(key_cur[latest_first] == code) & np.isfinite(b[latest_first])]
    return int(mine[min(rows, mine.size) - 1])


def off_grid_segments(reference, current, *, segments: Sequence[str], features: Sequence[str],
                      min_rows: int = 50, max_depth: int = 2, alpha: float = 0.005) -> list[dict[str, Any]]:
    """The features whose current values came off the grid every reference value lies on
    (:func:`mlwatch.stats.quality.grid_step`: whole numbers, halves, ..., hundredths), each in
    the scope where it happened, in the shape of :func:`frozen_segments`' findings (the
    ``signature`` the pipeline fault that reads there, most often a ``unit_change``; ``rows``
    the values off the grid), most significant first.

    Whether values came off the grid is tested once a feature, on every row: Fisher's
    one-sided test of the share of finite values off the grid, current against reference,
    Bonferroni over the features on a grid that could reach the level (Tarone's count: the
    test is conditional on the ``K`` values off the grid in both windows, and with all ``K``
    current its p-value is the least it can be, so a feature whose least is above the
    corrected level cannot reject and is not counted; most columns on a grid hold no value
    off it). Where the reference holds none, the chance that ``k`` values off it are all
    current is about ``(m / (n + m))^k`` in any scope, so testing each segment too would add
    tests and no power. Where it happened is then read: the widest
    segment (a value of a segment column, or of two up to ``max_depth``, with ``min_rows``
    rows a side) whose values off the grid rose (at :data:`REST_LEVEL`) while the rest of the
    rows, outside it, show no rise of their own and read likelier as they were than converted
    as the segment's were (:func:`_rest_as_before`: three values outside are too few to show
    a rise, not too few to show a conversion); else the population. The finding is kept only
    when the scope's change reads as a pipeline fault (:func:`numeric_signature`, or a unit
    change read from the fractions alone, :func:`mlwatch.stats.signatures.off_grid_unit_change`):
    values off the grid that no conversion explains are left to the audit's check.

    >>> rng = np.random.default_rng(1)
    >>> channel = np.tile(["web", "agent", "phone"], 2000)
    >>> waits = np.where(rng.random(6000) < 0.9, 0.0, rng.integers(1, 60, 6000).astype(float))
    >>> ref = pl.DataFrame({"channel": channel, "waits": waits})
    >>> late = waits.copy()
    >>> hours = (channel == "phone") & (np.arange(6000) > 3000)
    >>> late[hours] = late[hours] / 24
    >>> found = off_grid_segments(ref, pl.DataFrame({"channel": channel, "waits": late}), segments=["channel"],
    ...                           features=["waits"])
    >>> [(f["where"], f["signature"].name, f["signature"].evidence["rows"]) for f in found]
    [({'channel': 'phone'}, 'unit_change', 119)]
    """
    from mlwatch.steps.segments import _segment_groups
    from mlwatch.steps.slices import encode_segments

    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    present = [c for c in segments if c in ref.columns and c in cur.columns]
    numeric = [f for f in features if f in ref.columns and f in cur.columns and f not in present
               and ref.schema[f].is_numeric() and cur.schema[f].is_numeric()]
    if not numeric or ref.height < min_rows or cur.height < min_rows:
        return []
    groups = None
    least, found = [], []
    for feature in numeric:
        a, b = ref[feature].cast(pl.Float64).to_numpy(), cur[feature].cast(pl.Float64).to_numpy()
        ok_a, ok_b = np.isfinite(a), np.isfinite(b)
        # values near 1e308 overflow the grid's quotients into inf, which reads as off every
        # grid: the right reading, without the warnings (as the audit's check)
        with np.errstate(over="ignore", invalid="ignore"):
            step = grid_step(a[ok_a])       # a sample spread over the rows: their order does not matter
            if step is None or min(int(ok_a.sum()), int(ok_b.sum())) < min_rows:
                continue
            off_a, off_b = off_grid_mask(a, step), off_grid_mask(b, step)
        totals = (int(off_a.sum()), int(ok_a.sum()), int(off_b.sum()), int(ok_b.sum()))
        least.append(increase_p_value(0, totals[1], totals[0] + totals[2], totals[3]))
        if totals[2] < MIN_OFF_GRID or totals[2] / totals[3] < 2 * totals[0] / totals[1]:
            continue
        if groups is None:
            groups = _segment_groups(encode_segments(ref, cur, present), max_depth) if present else []
        # the values a conversion can take off the grid: not zeros, which every factor keeps
        movable_a, movable_b = ok_a & (a != 0), ok_b & (b != 0)
        baseline = (totals[0] + 0.5) / (int(movable_a.sum()) + 1)
        scopes = []
        for _, key_ref, key_cur, k, label in groups:
            n_ref, n_cur = np.bincount(key_ref[ok_a], minlength=k), np.bincount(key_cur[ok_b], minlength=k)
            k_ref, k_cur = np.bincount(key_ref[off_a], minlength=k), np.bincount(key_cur[off_b], minlength=k)
            m_cur = np.bincount(key_cur[movable_b], minlength=k)
            for code in np.flatnonzero((n_ref >= min_rows) & (n_cur >= min_rows) & (k_cur >= MIN_OFF_GRID)):
                counts = (int(k_ref[code]), int(n_ref[code]), int(k_cur[code]), int(n_cur[code]))
                rest = tuple(t - c for t, c in zip(totals, counts))
                p_own = increase_p_value(*counts)
                outside = (rest[2], int(movable_b.sum() - m_cur[code]))
                if (p_own < REST_LEVEL and increase_p_value(*rest) >= REST_LEVEL
                        and _rest_as_before(outside, counts[2] / max(int(m_cur[code]), 1), baseline)):
                    scopes.append((label(int(code)), counts[2], p_own))
        # the widest segment that holds the change alone, the one holding most of it (and most
        # tightly, on a tie: the smaller of two segments that hold the same rows); else everyone
        scopes = [s for s in scopes if MISSING not in s[0].values()]
        where, rows, _ = min(scopes, key=lambda s: (len(s[0]), -s[1], s[2])) if scopes else ({}, totals[2], 0.0)
        found.append({"where": where, "feature": feature, "p_value": increase_p_value(*totals), "rows": rows})
    tested = _tarone_count(np.array(least), alpha)
    out = []
    for item in found:
        item["p_value"] = min(1.0, item["p_value"] * max(tested, 1))
        read = _scope_signature(ref, cur, item) if item["p_value"] < alpha else None
        if read is not None:
            out.append({"where": item["where"], "feature": item["feature"], "signature": read,
                        "p_value": item["p_value"], "n_tests": tested})
    return sorted(out, key=lambda f: f["p_value"])


def _rest_as_before(outside: tuple[int, int], converted: float, baseline: float) -> bool:
    """Whether the rows outside a segment, ``k`` of their ``m`` current values a conversion
    could move (not zeros) off the grid, are likelier as the reference's (its share off the
    grid, ``baseline``) than converted at the segment's own share (``converted``): binomial
    likelihoods. Absence of a significant rise outside is no confinement when the rest holds
    three waiting lists that are not zero: the 1 of them off the grid is a population's
    conversion at the segment's 42 % (0.42 likely) more than the reference's 1 % (0.04).

    >>> _rest_as_before((1, 3), 11 / 26, 0.5 / 37), _rest_as_before((0, 2), 9 / 24, 0.5 / 37)
    (False, True)
    """
    k, m = outside
    if m == 0:
        return False                    # nothing outside a conversion could have moved
    q, p = min(max(converted, 1e-12), 1 - 1e-12), min(max(baseline, 1e-12), 1 - 1e-12)
    return bool(k * np.log(p) + (m - k) * np.log1p(-p) > k * np.log(q) + (m - k) * np.log1p(-q))


def _tarone_count(least: np.ndarray, alpha: float) -> int:
    """Tarone's count of the tests a Bonferroni correction must divide ``alpha`` by: the
    least ``t`` such that at most ``t`` tests can reach ``alpha / t`` (``least``: each test's
    least attainable p-value); 1 at the least.

    >>> _tarone_count(np.array([0.5, 0.5, 1e-6, 1e-5]), 0.01), _tarone_count(np.array([1e-6] * 3), 0.01)
    (2, 3)
    """
    for t in range(1, max(least.size, 1) + 1):
        if int(np.sum(least <= alpha / t)) <= t:
            return t
    return max(least.size, 1)


def _scope_signature(ref: pl.DataFrame, cur: pl.DataFrame, item: dict) -> Signature | None:
    """The pipeline fault that took a scope's values off the grid (its ``rows`` in the
    evidence), or None."""
    feature = item["feature"]
    ref, cur = data.apply_where(ref, item["where"], name="reference"), data.apply_where(cur, item["where"], name="current")
    read = numeric_signature(ref[feature], cur[feature], feature=feature)
    if read.name not in PIPELINE:
        read = off_grid_unit_change(ref[feature], cur[feature], feature=feature)
    if read is None:
        return None
    scope = " & ".join(f"{c} = {v}" for c, v in item["where"].items()) or "every row"
    sentence = (f"{read.sentence}; {item['rows']} current values of {feature} are off the grid the reference lies on "
                f"({scope})")
    return Signature(read.name, read.confidence, sentence, {**read.evidence, "rows": item["rows"]})
