"""Readings frozen inside one segment: a sensor or a feed that repeats one value for a period,
for the rows of one segment only (one station, one client, one season's feed).

In the population's time order such a run is interleaved with the other segments' rows and
shows no run at all, so step 6 (which reads the population, or the broken slice) never sees
it. Here every segment value's rows are read in time order, feature by feature.

The test: in the segment's reference rows, ``q`` is the share of consecutive rows that repeat
the previous value (with a floor of half a repeat, so a never-repeating reference is not taken
for proof). Were the current rows to repeat at that rate, a run of ``k`` equal values appears
among ``m`` rows with probability at most ``m q^(k-1)``; that bound, Bonferroni over every
(segment value, feature) pair scanned, is the p-value. A run is reported when it also spans
twice the reference's longest run (:func:`mlwatch.stats.signatures.stuck_signature`). Only
readings that rarely repeat are scanned (``q`` at most :data:`MAX_REPEAT`): a column that
rests on one value by nature (rain at zero, children per booking) holds long runs in any
season, and measured on the scorecard's controls they were its only false alarms.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.stats.signatures import stuck_signature
from mlwatch.steps.trace import time_axis

MAX_VALUES = 40          # segment columns with more values than this are not scanned
MAX_REPEAT = 0.2         # a column whose consecutive readings repeat more often than this rests by nature


def frozen_segments(reference, current, *, segments: Sequence[str], features: Sequence[str], time: str,
                    min_rows: int = 10, alpha: float = 0.005) -> list[dict[str, Any]]:
    """The (segment value, feature) pairs whose current rows hold a frozen run, most
    significant first: ``where`` (``{column: value}``), ``feature``, the ``signature`` (a
    ``stuck`` :class:`~mlwatch.stats.signatures.Signature`), ``p_value`` (Bonferroni-adjusted,
    below ``alpha``) and ``n_tests``.

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
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    ref, cur = data.align_time(ref, cur, time)
    numeric = [f for f in features if f in ref.columns and f in cur.columns and f != time
               and ref.schema[f].is_numeric() and cur.schema[f].is_numeric()]
    candidates = []
    for column in segments:
        if column not in ref.columns or column not in cur.columns:
            continue
        values = cur[column].cast(pl.String).drop_nulls().unique().sort().to_list()
        if len(values) > MAX_VALUES:
            continue
        for value in values:
            inside_ref = ref.filter(pl.col(column).cast(pl.String) == value)
            inside_cur = cur.filter(pl.col(column).cast(pl.String) == value)
            if inside_ref.height < 2 * min_rows or inside_cur.height < min_rows:
                continue
            t_ref, t_cur = time_axis(inside_ref[time]), time_axis(inside_cur[time])
            for feature in numeric:
                a = inside_ref[feature].cast(pl.Float64).to_numpy()
                b = inside_cur[feature].cast(pl.Float64).to_numpy()
                q = _repeat_rate(a, t_ref)
                if q > MAX_REPEAT:
                    continue
                found = stuck_signature(a, t_ref, b, t_cur, feature=feature, min_rows=min_rows)
                if found is not None:
                    candidates.append(({column: value}, feature, found,
                                       float(min(1.0, b.size * q ** (found.evidence["rows"] - 1)))))
    n_tests = max(sum(1 for column in segments if column in cur.columns) * len(numeric), 1)
    n_tests = max(n_tests, len(candidates))
    out = [{"where": where, "feature": feature, "signature": found, "p_value": min(1.0, p * n_tests),
            "n_tests": n_tests} for where, feature, found, p in candidates]
    return sorted((f for f in out if f["p_value"] < alpha), key=lambda f: f["p_value"])


def _repeat_rate(reference: np.ndarray, times: np.ndarray) -> float:
    """``q``: the share of consecutive reference rows (in time order) that repeat the previous
    value, half a repeat added so that a reference that never repeats proves nothing."""
    v = reference[np.argsort(times, kind="stable")]
    repeats = float(np.sum((v[1:] == v[:-1]) & np.isfinite(v[1:])))
    return (repeats + 0.5) / max(v.size - 1, 1)



