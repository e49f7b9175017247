"""Step 4, slices: which segment *broke* — a differential search, current against reference.

Candidate slices are conjunctions of up to ``max_depth`` predicates ``column = value`` over
the segment columns (numeric ones cut at reference quantiles). Each is scored by how much
its loss rose from the reference to the current window, weighted by its support
(``impact``: the points of global loss it adds), tested one-sided (proportions for 0/1
losses, Welch's t for the others), with Benjamini-Hochberg across every candidate, a
minimum support on both sides, and a material rise (``min_degradation`` of the global
reference loss).

With labels and a time column, each slice is also read on the later half of the current
window (its scored rows after their median time), against the rest over the same half: a
change that began late is diluted by the weeks before it in the whole window (a concept
drift from two thirds of the way in shows a third of its rise there). Both looks of every
slice are one Benjamini-Hochberg family, and a slice is read on the look that shows it more
plainly (``since`` says when that half starts; its current metric is that half's). On five
seeds of random incidents it found 145 of 160 concept drifts' slices with labels, against
134 with the whole window only, and no control more (``bench_diagnosis.py --seeds
21,37,45,53,61 --kinds concept_drift,none``).

Pruning, SliceLine-style, so the list is not twenty near-duplicates:

* a slice is dropped when it is not materially worse (``child_margin``) than a significant
  parent: ``north & web & mobile`` adds nothing to ``north & web``;
* a slice is dropped when a deeper slice holds its whole drop: ``web`` is not broken when
  ``web`` minus ``north & web`` is fine;
* then, strongest first (the test statistic of its rise, largest at the slice that holds a
  drop whole: its parents dilute it, its children have fewer rows), a slice is reported
  only when its rows outside the slices already reported are still degraded, at the BH
  threshold of its rank: ``north & over-60`` is not broken when its drop is the part of
  ``north & web`` it overlaps, and ``web`` is not when ``north & web`` and ``south & web``
  hold its drop.

The list comes in that order, the most clearly degraded first; ``delta`` and ``impact``
(the points of global loss a slice adds) say by how much.

Counts and loss sums of every candidate come from ``numpy.bincount`` on mixed-radix keys:
one pass over the rows per column subset.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import MlwatchError, check_choice, check_number
from mlwatch.results import Result, Section, json_value, options_from, plain
from mlwatch.stats import metrics, noise
from mlwatch.stats.binning import MISSING, codes, quantile_edges
from mlwatch.stats.changepoint import change_from_reference, mean_shift
from mlwatch.steps.scoring import Scoring, current_start, format_time, time_axis, time_buckets, time_label

SCHEMA = "mlwatch.slices/1"
MAX_KEYS = 1 << 22


@dataclass(frozen=True, eq=False, repr=False)
class SliceResult(Result):
    """The slices that broke, most clearly degraded first (then, when none broke, the nearest
    candidates); ``table`` has one row a slice, ``predicates`` the ``{column: value}`` of each row."""

    table: pl.DataFrame
    predicates: tuple[dict[str, str], ...]
    scoring: Scoring
    n_reference: int
    n_current: int
    metric_reference: float
    metric_current: float
    n_candidates: int
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def significant(self) -> "SliceResult":
        """Only the significant slices."""
        keep = self.table["significant"].to_numpy()
        return SliceResult(self.table.filter(pl.col("significant")),
                           tuple(p for p, k in zip(self.predicates, keep) if k), self.scoring,
                           self.n_reference, self.n_current, self.metric_reference, self.metric_current,
                           self.n_candidates, self.options)

    def dated_by(self, label: str, onset: str, cause: str | None, low: str | None = None,
                 high: str | None = None) -> "SliceResult":
        """A new result in which slice ``label`` is dated from its cause's onset (the change of
        ``cause``, an input, is sharper than the change of the loss it drives; None: its own
        errors, given their trigger), and its window."""
        here = pl.col("slice") == label
        table = self.table.with_columns(
            onset=pl.when(here).then(pl.lit(onset)).otherwise(pl.col("onset")),
            onset_from=pl.when(here).then(pl.lit(cause, dtype=pl.String)).otherwise(pl.col("onset_from")),
            onset_low=pl.when(here).then(pl.lit(low, dtype=pl.String)).otherwise(pl.col("onset_low")),
            onset_high=pl.when(here).then(pl.lit(high, dtype=pl.String)).otherwise(pl.col("onset_high")))
        return SliceResult(table, self.predicates, self.scoring, self.n_reference, self.n_current,
                           self.metric_reference, self.metric_current, self.n_candidates, self.options)

    @property
    def top(self) -> dict[str, str] | None:
        """The predicates of the most degraded significant slice, or None."""
        sig = self.table["significant"].to_list()
        return dict(self.predicates[sig.index(True)]) if True in sig else None

    SCHEMA = SCHEMA

    @property
    def sentence(self) -> str:
        name = self.scoring.loss_name
        proxy = " (labels missing: a proxy)" if self.scoring.proxy else ""
        n_sig = int(self.table["significant"].sum()) if self.table.height else 0
        head = (f"{name}{proxy}: {_fmt(self.metric_reference)} -> {_fmt(self.metric_current)} overall; "
                + (f"{n_sig} slice{'s' if n_sig > 1 else ''} broke significantly, worst: {self.table['slice'][0]} "
                   f"({_fmt(self.table['metric_reference'][0])} -> {_fmt(self.table['metric_current'][0])}"
                   + (f" from {self.table['since'][0]} on" if self.table["since"][0] else "") + ")"
                   if n_sig else f"no slice degraded beyond noise among {self.n_candidates:,} candidates"))
        return head + "."

    def _sections(self):
        shown = self.table.select("slice", "n_current", "metric_reference", "metric_current", "delta",
                                  "p_value_adjusted", "significant", "onset", "since")
        return (Section(frame=shown, alert="significant"),)

    def plot(self, ax=None, *, kind: str = "intervals", **kws):
        """``"intervals"``: the top slices' metric in reference and current, with 95 %
        intervals; ``"heatmap"``: slice by window, annotated."""
        from mlwatch.plots.slices import plot_heatmap, plot_slices

        check_choice("plot kind", kind, ("intervals", "heatmap"))
        return (plot_slices if kind == "intervals" else plot_heatmap)(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for row, predicate in zip(self.table.iter_rows(named=True), self.predicates):
            row = {k: json_value(v) for k, v in row.items()}
            row["slice"] = dict(predicate)
            rows.append(row)
        return {"schema": SCHEMA, "scoring": vars(self.scoring), "n_reference": self.n_reference,
                "n_current": self.n_current, "metric_reference": json_value(self.metric_reference),
                "metric_current": json_value(self.metric_current), "n_candidates": self.n_candidates,
                "options": plain(self.options), "slices": rows}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "SliceResult":
        cls._check_schema(payload)
        rows = [dict(r) for r in payload["slices"]]
        predicates = tuple(dict(r.pop("slice")) for r in rows)
        for r, p in zip(rows, predicates):
            r["slice"] = slice_label(p)
        table = pl.DataFrame(rows, schema=TABLE_SCHEMA) if rows else pl.DataFrame(schema=TABLE_SCHEMA)
        return cls(table, predicates, Scoring(**payload["scoring"]), payload["n_reference"], payload["n_current"],
                   payload["metric_reference"], payload["metric_current"], payload["n_candidates"],
                   payload.get("options", {}))


TABLE_SCHEMA = {
    "slice": pl.String, "depth": pl.Int64, "n_reference": pl.Int64, "n_current": pl.Int64,
    "metric_reference": pl.Float64, "metric_current": pl.Float64, "delta": pl.Float64,
    "reference_low": pl.Float64, "reference_high": pl.Float64, "current_low": pl.Float64,
    "current_high": pl.Float64, "impact": pl.Float64, "p_value": pl.Float64,
    "p_value_adjusted": pl.Float64, "significant": pl.Boolean, "onset": pl.String, "rest_delta": pl.Float64,
    "onset_from": pl.String, "onset_low": pl.String, "onset_high": pl.String, "since": pl.String,
}


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def slice_label(predicate: Mapping[str, Any]) -> str:
    """``{"SEX": "2", "MAR": "1"}`` as ``"SEX=2 & MAR=1"``, the label slices are known by."""
    return " & ".join(f"{k}={v}" for k, v in predicate.items())


def slice_predicate(label: str | None) -> dict[str, str] | None:
    """The inverse of :func:`slice_label`: ``"SEX=2 & MAR=1"`` as ``{"SEX": "2", "MAR": "1"}``;
    ``"population"`` (or nothing) as None.

    >>> slice_predicate("SEX=2 & MAR=1"), slice_predicate("population")
    ({'SEX': '2', 'MAR': '1'}, None)
    """
    if not label or label == "population":
        return None
    return dict(part.split("=", 1) for part in label.split(" & "))


# ------------------------------------------------------------------ encoding

@dataclass(frozen=True)
class _Encoded:
    names: list[str]
    labels: list[list[str]]          # per column, label of each code
    reference: list[np.ndarray]      # per column, codes of the reference rows
    current: list[np.ndarray]


def segment_kind(values: pl.Series, *, max_values: int = 12, max_codes: int = 50) -> str:
    """How a segment column is sliced: ``"categorical"`` (one slice a value) for text, for
    numbers with at most ``max_values`` values and for integer codes with at most
    ``max_codes`` (carrier 0..15 is 16 carriers, not four intervals); ``"numeric"``
    (reference-quantile intervals) for the rest.

    >>> segment_kind(pl.Series(range(16)) % 16), segment_kind(pl.Series([0.5 * i for i in range(40)]))
    ('categorical', 'numeric')
    """
    if not values.dtype.is_numeric():
        return "categorical"
    distinct = values.n_unique()
    if distinct <= max_values or (values.dtype.is_integer() and distinct <= max_codes):
        return "categorical"
    return "numeric"


def encode_segments(reference: pl.DataFrame, current: pl.DataFrame, segments: Sequence[str], *,
                    numeric_bins: int = 4, kinds: Mapping[str, str] | None = None) -> _Encoded:
    """Small integer codes for every segment column, shared by both sides (see
    :func:`segment_kind`; ``kinds`` overrides it per column; nulls get a code)."""
    labels, ref_codes, cur_codes = [], [], []
    kinds = dict(kinds or {})
    for column in segments:
        r, c = reference[column], current[column]
        kind = kinds.get(column) or segment_kind(r)
        check_choice(f"kind of segment {column!r}", kind, ("categorical", "numeric"))
        if kind == "numeric" and not r.dtype.is_numeric():
            raise data.SchemaMismatchError(f"reference: segment column {column!r} holds {r.dtype}, not numbers: "
                                           "it cannot be cut into intervals", column=column, frame="reference")
        if kind == "numeric":
            a = r.cast(pl.Float64).to_numpy()
            finite = np.sort(a[np.isfinite(a)])
            if finite.size == 0:
                raise data.AllNullError(f"reference: segment column {column!r} has no value", column=column,
                                        frame="reference")
            edges = quantile_edges(finite, numeric_bins)
            bounds = np.concatenate([[-np.inf], edges, [np.inf]])
            names = [f"({_num(lo)}, {_num(hi)}]" for lo, hi in zip(bounds[:-1], bounds[1:])] + [MISSING]

            ref_codes.append(codes(a, edges))      # the missing bin is the last name
            cur_codes.append(codes(c.cast(pl.Float64).to_numpy(), edges))
        else:
            rs, cs = r.cast(pl.String), c.cast(pl.String)
            names = sorted(set(rs.drop_nulls().unique().to_list()) | set(cs.drop_nulls().unique().to_list()))
            enum = pl.Enum(names)
            ref_codes.append(rs.cast(enum).to_physical().fill_null(len(names)).to_numpy().astype(np.int64))
            cur_codes.append(cs.cast(enum).to_physical().fill_null(len(names)).to_numpy().astype(np.int64))
            names = names + [MISSING]
        labels.append(names)
    return _Encoded(list(segments), labels, ref_codes, cur_codes)


def _num(x: float) -> str:
    """Shortest text that reads back as the same float, so a slice label filters exactly."""
    return "-inf" if x == -np.inf else "+inf" if x == np.inf else np.format_float_positional(x, trim="-")


# ------------------------------------------------------------------ the step

@dataclass
class _Candidates:
    columns: list[tuple[int, ...]]   # per candidate, the column indices
    codes: list[tuple[int, ...]]     # per candidate, the codes
    sums: np.ndarray                 # (k, 6): n_ref, sum_ref, sq_ref, n_cur, sum_cur, sq_cur
    late: np.ndarray | None = None   # (k, 6): the same, over the later half of the current window
    chosen: np.ndarray | None = None         # per candidate, read on the later half
    totals_chosen: np.ndarray | None = None  # (k, 6): the population's sums over the look read

    def subset(self, keep: np.ndarray) -> "_Candidates":
        return _Candidates([self.columns[i] for i in keep], [self.codes[i] for i in keep], self.sums[keep],
                           None if self.late is None else self.late[keep])

    def choose(self, late: np.ndarray, totals: np.ndarray, totals_late: np.ndarray) -> None:
        """Read each candidate on the later half where ``late``, on the whole window elsewhere."""
        self.chosen = late
        self.totals_chosen = np.where(late[:, None], totals_late, totals)

    @property
    def sums_chosen(self) -> np.ndarray:
        return self.sums if self.late is None else np.where(self.chosen[:, None], self.late, self.sums)

    def look(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate's sums and the population's, over candidate ``i``'s look."""
        if self.chosen is not None and self.chosen[i]:
            return self.late, self.totals_chosen[i]
        return self.sums, self.totals_chosen[i]


@dataclass(frozen=True)
class SliceSearch:
    """How :func:`find_slices` searches, in one object (each field is its keyword of the same
    name): ``find_slices(ref, cur, scoring, segments=[...], search=SliceSearch(max_depth=2))``."""

    max_depth: int = 3
    min_support: int = 50
    min_degradation: float = 0.1
    alpha: float = 0.05
    top_k: int = 20
    numeric_bins: int = 4
    relative: bool = True


def find_slices(reference, current, scoring: Scoring, *, segments: Sequence[str], max_depth: int = 3,
                min_support: int = 50, min_degradation: float = 0.1, alpha: float = 0.05,
                time: str | None = None, top_k: int = 20, numeric_bins: int = 4,
                relative: bool = True, kinds: Mapping[str, str] | None = None,
                search: SliceSearch | None = None) -> SliceResult:
    """The slices whose loss rose most from ``reference`` to ``current``.

    Parameters
    ----------
    scoring
        Which columns and metric (:func:`mlwatch.steps.scoring.resolve_scoring`).
    segments
        Columns to slice on.
    max_depth
        Predicates per slice (1 to 3).
    min_support
        Rows a slice needs on each side.
    min_degradation
        Material rise of the loss, as a share of the global reference loss (for the
        prediction proxy and a regression's bias, tested both ways: of the reference
        standard deviation of the prediction or of the error).
    time
        Time column: each significant slice then gets the ``onset`` of its degradation and,
        with labels, is also read on the later half of the current window (``since``).
    relative
        Test each slice's change against the change of the rest of the population
        (difference in differences): a slice that held while everything else improved with
        the season is broken too, and a season that moved every slice alike breaks none.
        The metrics shown stay the plain ones.
    kinds
        ``{"carrier_code": "categorical"}``: how a segment column is sliced, over
        :func:`segment_kind`'s reading (one slice a value, or quantile intervals). The
        result's ``options["segment_kinds"]`` says how each was treated.
    search
        A :class:`SliceSearch` holding the search's choices above at once (a keyword given
        as well must agree with it).
    """
    search = options_from(SliceSearch, search, max_depth=max_depth, min_support=min_support,
                          min_degradation=min_degradation, alpha=alpha, top_k=top_k, numeric_bins=numeric_bins,
                          relative=relative)
    max_depth, min_support, min_degradation, alpha = (search.max_depth, search.min_support, search.min_degradation,
                                                      search.alpha)
    top_k, numeric_bins, relative = search.top_k, search.numeric_bins, search.relative
    if not 1 <= max_depth <= 3:
        raise MlwatchError(f"max_depth must be 1, 2 or 3, got {max_depth}")
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    check_number("min_support", min_support, low=1, integer=True)     # a slice needs rows on both sides
    check_number("min_degradation", min_degradation, low=0)
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    check_number("top_k", top_k, low=1, integer=True)
    check_number("numeric_bins", numeric_bins, low=2, high=100, integer=True)
    data.require_columns(ref, list(segments) + ([time] if time else []), name="reference")
    data.require_columns(cur, list(segments) + ([time] if time else []), name="current")
    if time:
        ref, cur = data.align_time(ref, cur, time)
    loss_ref, ok_ref = scoring.losses(ref, name="reference")
    loss_cur, ok_cur = scoring.losses(cur, name="current")
    ref, cur = ref.filter(pl.Series(ok_ref)), cur.filter(pl.Series(ok_cur))
    loss_ref, loss_cur = loss_ref[ok_ref], loss_cur[ok_cur]
    if ref.height == 0 or cur.height == 0:
        raise data.EmptyDataError("no scored rows on one side", frame="reference" if ref.height == 0 else "current")
    options = {"segments": list(segments), "max_depth": max_depth, "min_support": min_support,
               "min_degradation": min_degradation, "alpha": alpha, "time": time, "relative": relative}
    global_ref, global_cur = loss_ref.mean(), loss_cur.mean()
    empty = SliceResult(pl.DataFrame(schema=TABLE_SCHEMA), (), scoring, ref.height, cur.height,
                        float(scoring.value(global_ref)), float(scoring.value(global_cur)), 0, options)
    if not segments:
        return empty
    enc = encode_segments(ref, cur, segments, numeric_bins=numeric_bins, kinds=kinds)
    options["segment_kinds"] = {c: (kinds or {}).get(c) or segment_kind(ref[c]) for c in segments}
    binary = scoring.binary_loss
    # with labels, the later half of the current window is a look of its own: a change of the
    # relation between inputs and target that began late is diluted by the weeks before it
    late, since = _later_half(cur, time, min_support) if time and scoring.proxy is None else (None, None)
    cands = _candidates(enc, loss_ref, loss_cur, max_depth, min_support, binary, late=late)
    sq = (lambda x: x) if binary else (lambda x: x**2)
    totals = np.array([ref.height, loss_ref.sum(), sq(loss_ref).sum(), cur.height, loss_cur.sum(), sq(loss_cur).sum()])
    # a slice is a part of the population in both windows: its rest has rows on both sides
    # (a calendar column whose one value covers the whole current window is no slice)
    outside = totals - cands.sums
    cands = cands.subset(np.flatnonzero((outside[:, 0] >= min_support) & (outside[:, 3] >= min_support)))
    if not cands.codes:
        return empty
    two_sided = scoring.two_sided
    # each slice against the rest of the population over the same two windows (or, not
    # relative, against a rest that did not move)
    stat, p, rise = _tests(cands.sums, totals - cands.sums if relative else None, binary=binary, two_sided=two_sided)
    p_all = p
    if late is not None:
        totals_late = np.concatenate([totals[:3], [late.sum(), loss_cur[late].sum(), sq(loss_cur[late]).sum()]])
        outside_late = totals_late - cands.late
        looked = (cands.late[:, 3] >= min_support) & (outside_late[:, 3] >= min_support)
        stat_l, p_l, rise_l = _tests(cands.late, outside_late if relative else None, binary=binary, two_sided=two_sided)
        p_l = np.where(looked, p_l, 1.0)
        # one family: every slice's whole-window test and every later-half test there is rows for
        p_all = np.concatenate([p, p_l[looked]])
        # the smaller p (on a million rows both can be 0: then the larger statistic)
        cands.choose(looked & ((p_l < p) | ((p_l == p) & (np.abs(stat_l) > np.abs(stat)))), totals, totals_late)
        rises = (rise, np.where(looked, rise_l, rise))
        stat, p, rise = (np.where(cands.chosen, a, b) for a, b in ((stat_l, stat), (p_l, p), (rise_l, rise)))
    else:
        cands.choose(np.zeros(len(cands.codes), dtype=bool), totals, totals)
        rises = None
    s = cands.sums_chosen
    own = s[:, 4] / s[:, 3] - s[:, 1] / s[:, 0]
    p_adj = _family_adjusted(p, p_all)
    scale = float(np.std(loss_ref)) if two_sided else global_ref
    threshold = min_degradation * max(scale, 1e-12)
    # material: beyond the rest by the threshold, and worse on its own (a slice whose metric
    # improved is not reported as broken, however much more the rest improved)
    material = (((np.abs(rise) >= threshold) & (np.sign(own) == np.sign(rise)) & (own != 0))
                if two_sided else (rise >= threshold) & (own > 0))
    significant = (p_adj < alpha) & material
    impact = rise * s[:, 3] / cands.totals_chosen[:, 3]
    tests = {"alpha": alpha, "binary": binary, "two_sided": two_sided, "material": threshold, "relative": relative}
    survivors = _explained_parents(_not_worse_than_parents(cands, significant, rise, rises=rises), cands, **tests)
    order = _explain_away(sorted(survivors, key=lambda i: -abs(stat[i])), enc, cands, loss_ref, loss_cur,
                          top_k=top_k, late=late, m=p_all.size, **tests)
    within_noise = ~significant
    significant[:] = False
    significant[order] = True             # what the pruning kept is what is reported as broken
    # when nothing broke, the nearest candidates, for a person to see how near they came
    context = [] if order else sorted((i for i in range(len(cands.codes)) if within_noise[i] and len(cands.codes[i]) == 1),
                                      key=lambda i: -impact[i])[:5]
    chosen = (order + context)[:top_k]
    dated = [i for i in chosen if significant[i]]
    if not time:
        onsets = {}
    elif scoring.proxy is None:
        onsets = _error_onsets(ref, cur, time, enc, cands, dated, scoring)
    else:
        onsets = _onsets(ref, cur, time, enc, cands, dated, loss_ref, loss_cur, "any" if two_sided else "up")
    rows, predicates = [], []
    for i in chosen:
        predicate = {enc.names[c]: enc.labels[c][k] for c, k in zip(cands.columns[i], cands.codes[i])}
        n_r, s_r, q_r, n_c, s_c, q_c = s[i]
        v_r, lo_r, hi_r = scoring.interval(n_r, s_r, q_r)
        v_c, lo_c, hi_c = scoring.interval(n_c, s_c, q_c)
        o = cands.totals_chosen[i] - s[i]
        rest_delta = float(scoring.value(o[4] / max(o[3], 1)) - scoring.value(o[1] / max(o[0], 1)))
        onset, low, high = onsets.get(i, (None, None, None))
        rows.append({"slice": slice_label(predicate), "depth": len(predicate), "n_reference": int(n_r),
                     "n_current": int(n_c), "metric_reference": v_r, "metric_current": v_c, "delta": v_c - v_r,
                     "reference_low": lo_r, "reference_high": hi_r, "current_low": lo_c, "current_high": hi_c,
                     "impact": float(impact[i]), "p_value": float(p[i]), "p_value_adjusted": float(p_adj[i]),
                     "significant": bool(significant[i]), "onset": onset, "rest_delta": rest_delta,
                     "onset_low": low, "onset_high": high, "since": since if cands.chosen[i] else None})
        predicates.append(predicate)
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA) if rows else pl.DataFrame(schema=TABLE_SCHEMA)
    return SliceResult(table, tuple(predicates), scoring, ref.height, cur.height,
                       float(scoring.value(global_ref)), float(scoring.value(global_cur)), len(cands.codes), options)


def _later_half(cur: pl.DataFrame, time: str, min_support: int) -> tuple[np.ndarray | None, str | None]:
    """The current rows after the median time of the scored current rows, and when that half
    starts (None, None: the times do not split the window, or fewer than ``2 * min_support``
    rows would be in the half)."""
    clock = time_axis(cur[time])
    middle = np.nanmedian(clock) if np.isfinite(clock).any() else np.nan
    late = clock > middle
    if not np.isfinite(middle) or late.sum() < 2 * min_support or (~late).sum() < 2 * min_support:
        return None, None
    return late, time_label(float(clock[late].min()), cur[time].drop_nulls().first())


def _family_adjusted(p: np.ndarray, p_all: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values of ``p`` (each candidate's look read) in the family
    of every test made, ``p_all`` (both looks of each slice)."""
    if p_all.size == p.size:
        return noise.benjamini_hochberg(p)
    adjusted = noise.benjamini_hochberg(p_all)
    order = np.argsort(p_all, kind="stable")
    return np.interp(p, p_all[order], adjusted[order])


def _candidates(enc: _Encoded, loss_ref: np.ndarray, loss_cur: np.ndarray, max_depth: int,
                min_support: int, binary: bool, late: np.ndarray | None = None) -> _Candidates:
    columns, codes, sums, lates = [], [], [], []
    sizes = [len(labels) for labels in enc.labels]
    sq_ref = loss_ref if binary else loss_ref**2
    sq_cur = loss_cur if binary else loss_cur**2
    for depth in range(1, max_depth + 1):
        for subset in itertools.combinations(range(len(sizes)), depth):
            radix = [sizes[c] for c in subset]
            n_keys = int(np.prod(radix))
            key_ref = _keys(enc.reference, subset, radix)
            key_cur = _keys(enc.current, subset, radix)
            if n_keys > MAX_KEYS:                      # too many combinations: compress the keys
                uniq, inverse = np.unique(np.concatenate([key_ref, key_cur]), return_inverse=True)
                key_ref, key_cur, n_keys = inverse[:key_ref.size], inverse[key_ref.size:], uniq.size
            else:
                uniq = None
            counts = np.column_stack([
                np.bincount(key_ref, minlength=n_keys), np.bincount(key_ref, loss_ref, n_keys),
                np.bincount(key_ref, sq_ref, n_keys), np.bincount(key_cur, minlength=n_keys),
                np.bincount(key_cur, loss_cur, n_keys), np.bincount(key_cur, sq_cur, n_keys)]).astype(float)
            cells = np.flatnonzero((counts[:, 0] >= min_support) & (counts[:, 3] >= min_support))
            if late is not None:
                key_late = key_cur[late]
                lates.append(np.column_stack([counts[cells, :3], np.column_stack([
                    np.bincount(key_late, minlength=n_keys), np.bincount(key_late, loss_cur[late], n_keys),
                    np.bincount(key_late, sq_cur[late], n_keys)]).astype(float)[cells]]))
            raw = uniq[cells] if uniq is not None else cells
            decoded = np.column_stack(np.unravel_index(raw, radix)) if cells.size else np.empty((0, depth), int)
            columns += [subset] * cells.size
            codes += [tuple(int(v) for v in row) for row in decoded]
            sums.append(counts[cells])
    return _Candidates(columns, codes, np.vstack(sums) if sums else np.empty((0, 6)),
                       None if late is None else (np.vstack(lates) if lates else np.empty((0, 6))))


def _keys(codes: list[np.ndarray], subset: tuple[int, ...], radix: list[int]) -> np.ndarray:
    key = codes[subset[0]].copy()
    for column, size in zip(subset[1:], radix[1:]):
        key *= size
        key += codes[column]
    return key


def _not_worse_than_parents(cands: _Candidates, significant: np.ndarray, rise: np.ndarray,
                            child_margin: float = 0.25, rises: tuple[np.ndarray, np.ndarray] | None = None) -> list[int]:
    """Rule 1: the significant candidates that are materially worse than every significant
    parent, each pair compared on the parent's look (``rises``: every candidate's rise over the
    whole window and over its later half; a child read late against a parent read over the
    whole window would compare a concentrated rise with a diluted one)."""
    index = {frozenset(zip(cols, codes)): i for i, (cols, codes) in enumerate(zip(cands.columns, cands.codes))}
    keep = []
    for i in np.flatnonzero(significant):
        items = frozenset(zip(cands.columns[i], cands.codes[i]))
        parents = [index.get(items - {item}) for item in items] if len(items) > 1 else []

        def worse(j: int) -> bool:
            child = rise[i] if rises is None else rises[int(cands.chosen[j])][i]
            return abs(child) > abs(rise[j]) * (1 + child_margin)
        if all(j is None or not significant[j] or worse(j) for j in parents):
            keep.append(int(i))
    return keep


def _tests(inside: np.ndarray, rest: np.ndarray | None, *, binary: bool, two_sided: bool):
    """Statistic, p-value and rise of each slice (rows of six sums): against the rest of
    the population (difference in differences) when ``rest`` is given, else its own change."""
    if rest is None:
        stat, _, _ = metrics.increase_statistics(*inside.T, binary=binary)
        p = metrics.increase_p_values(*inside.T, binary=binary, two_sided=two_sided)
        rise = inside[:, 4] / np.maximum(inside[:, 3], 1) - inside[:, 1] / np.maximum(inside[:, 0], 1)
        return stat, p, rise
    stat, _, rise, _ = metrics.difference_statistics(inside.T, rest.T, binary=binary)
    p = metrics.difference_p_values(inside.T, rest.T, binary=binary, two_sided=two_sided)
    return stat, p, rise


def _explained_parents(keep: list[int], cands: _Candidates, *, alpha: float, binary: bool, two_sided: bool,
                       material: float, relative: bool) -> list[int]:
    """Rule 2: drop a slice when a deeper kept slice holds its whole drop (the slice minus
    the deeper one is not degraded against the same rest): ``web`` goes when ``north & web``
    is the broken part."""
    items = {i: frozenset(zip(cands.columns[i], cands.codes[i])) for i in keep}
    out = []
    for i in keep:
        s, totals = cands.look(i)
        rest = (totals - s[i])[None, :] if relative else None
        explained = False
        for j in keep:
            if not items[i] < items[j]:
                continue
            part = (s[i] - s[j])[None, :]
            if part[0, 0] < 2 or part[0, 3] < 2:
                explained = True
                break
            _, p_part, rise = _tests(part, rest, binary=binary, two_sided=two_sided)
            if p_part[0] >= alpha or (abs(rise[0]) if two_sided else rise[0]) < material:
                explained = True
                break
        if not explained:
            out.append(i)
    return out


def _explain_away(order: list[int], enc: _Encoded, cands: _Candidates, loss_ref: np.ndarray,
                  loss_cur: np.ndarray, *, alpha: float, binary: bool, two_sided: bool, material: float,
                  top_k: int, relative: bool, m: int, late: np.ndarray | None = None, max_tried: int = 60) -> list[int]:
    """Rule 3, sequential: at each round, of the slices not yet reported, take the one whose
    rows *outside the slices already reported* show the strongest rise (against the rest of
    the population the slice was found against); report it when that rise is material and
    significant at the Benjamini-Hochberg threshold of its rank (``alpha * rank / m``), else
    stop. A slice that only overlaps a broken one, or rides on the discoveries it brings to
    BH, never gets in. A slice read on the later half of the current window (``late``) is
    read there throughout; ``m`` is the number of tests of the family."""
    pool = order[:max_tried]
    masks = {i: (_mask(enc.reference, cands, i), _mask(enc.current, cands, i) & (late if cands.chosen[i] else True))
             for i in pool}
    rests = cands.totals_chosen - cands.sums_chosen if relative else None
    covered_ref = np.zeros(loss_ref.size, dtype=bool)
    covered_cur = np.zeros(loss_cur.size, dtype=bool)
    sq_ref, sq_cur = (loss_ref, loss_cur) if binary else (loss_ref**2, loss_cur**2)
    accepted: list[int] = []
    while pool and len(accepted) < top_k:
        parts = []
        for i in pool:
            in_ref, in_cur = masks[i]
            r, c = in_ref & ~covered_ref, in_cur & ~covered_cur
            parts.append((int(r.sum()), loss_ref[r].sum(), sq_ref[r].sum(), int(c.sum()), loss_cur[c].sum(),
                          sq_cur[c].sum()))
        sums = np.array(parts, dtype=float)
        degenerate = (sums[:, 0] < 2) | (sums[:, 3] < 2)
        stat, p, rise = _tests(sums, None if rests is None else rests[pool], binary=binary, two_sided=two_sided)
        ok = ~degenerate & ((np.abs(rise) if two_sided else rise) >= material)
        if not ok.any():
            break
        best = int(np.argmax(np.where(ok, np.abs(stat) if two_sided else stat, -np.inf)))
        if p[best] > alpha * (len(accepted) + 1) / m:
            break
        chosen = pool.pop(best)
        accepted.append(chosen)
        covered_ref |= masks[chosen][0]
        covered_cur |= masks[chosen][1]
    return accepted


def _mask(codes: list[np.ndarray], cands: _Candidates, i: int) -> np.ndarray:
    mask = codes[cands.columns[i][0]] == cands.codes[i][0]
    for c, k in zip(cands.columns[i][1:], cands.codes[i][1:]):
        mask &= codes[c] == k
    return mask


def _error_onsets(ref: pl.DataFrame, cur: pl.DataFrame, time: str, enc: _Encoded, cands: _Candidates,
                  chosen: list[int], scoring: Scoring) -> dict[int, tuple]:
    """When each chosen slice began to err otherwise, with labels, to the row, and the window
    it likely began in: the slice's row errors (:meth:`Scoring.row_errors`: a regression's
    signed errors, a classifier's log-loss), the reference slice's as the before, and the
    median and central 95 % of the change's posterior over the splits between the current
    slice's rows (:func:`~mlwatch.stats.changepoint.change_from_reference`).

    The mean loss of the slice's rows by time bucket, which dated it before, is mostly noise
    on the few rows a day of a slice, and a regression's absolute error loses the side a
    scaled target moves the errors to. On 180 seeded concept drifts traced on their true
    slice (``python benchmarks/bench_onset.py --kind concept_drift``) it dated 60 % within a
    bucket of the truth (bike 45 %, flights 75 %, hotel 60 %), this 77 % (62, 93, 77 %), a
    reader who knows the change 82 %; the window holds the truth in 98 %."""
    errors_ref, errors_cur = scoring.row_errors(ref, cur)
    clock, like = time_axis(cur[time]), cur[time].drop_nulls().first()
    out = {}
    for i in chosen:
        inside = _mask(enc.current, cands, i)
        posterior = change_from_reference(errors_ref[_mask(enc.reference, cands, i)], errors_cur[inside], clock[inside])
        if posterior is not None:       # the median, and the central 95 % the change likely began in
            out[i] = tuple(time_label(posterior.quantile(q), like) for q in (0.5, 0.025, 0.975))
    return out


def _onsets(ref: pl.DataFrame, cur: pl.DataFrame, time: str, enc: _Encoded, cands: _Candidates,
            chosen: list[int], loss_ref: np.ndarray, loss_cur: np.ndarray, direction: str) -> dict[int, tuple]:
    """When each chosen slice's loss started to rise (``(onset, None, None)``: no window): the
    single mean shift of its loss over the time buckets of reference and current together (a
    change starts a bucket, from the current window's first on).

    Each bucket's loss is taken relative to the mean loss of the rows *outside* the slice
    in the same bucket, so a bad day for everyone (weather, an outage) does not pass for
    the slice's own onset; losses are clipped at the slice's 99th percentile so that a
    handful of huge errors does not place it either."""
    b_ref, b_cur, starts = time_buckets(ref[time], cur[time])
    buckets = np.concatenate([b_ref, b_cur])
    losses = np.concatenate([loss_ref, loss_cur])
    n_buckets = len(starts)
    all_n = np.bincount(buckets, minlength=n_buckets)
    out = {}
    for i in chosen:
        inside = np.concatenate([_mask(enc.reference, cands, i), _mask(enc.current, cands, i)])
        clipped = np.minimum(losses, np.quantile(losses[inside], 0.99))
        in_n = np.bincount(buckets[inside], minlength=n_buckets)
        in_sum = np.bincount(buckets[inside], clipped[inside], n_buckets)
        out_n = all_n - in_n
        out_sum = np.bincount(buckets[~inside], clipped[~inside], n_buckets)
        baseline = np.divide(out_sum, out_n, out=np.zeros(n_buckets), where=out_n > 0)
        used = in_n > 0
        relative = in_sum[used] - in_n[used] * baseline[used]
        shift = mean_shift(in_n[used], relative, direction=direction, earliest=current_start(b_cur, used))
        if shift is not None:
            out[i] = (format_time(np.asarray(starts, dtype=object)[used][shift.index]), None, None)
    return out
