"""Where the inputs moved: every feature's drift inside every segment, current against reference.

Step 4 finds the slice whose *performance* broke; this finds the segments whose *inputs*
(or predictions) changed in a way the population does not show: two category codes swapped
for one client only, a sensor feed lost at one airport, a unit changed by one upstream
source. A change confined to 5 % of the rows is a 5 % change of the population's marginal,
within noise; inside its segment it is plain. It needs no labels, so when they are late it
is how a broken slice is found, through the model's scores among the features.

For every feature and every segment ``v`` (a value of a segment column, or of two:
``max_depth``), both sides holding at least ``min_support`` rows, the feature's bins (the
population's: reference deciles for numbers, categories for the rest, and missing) are
counted among the rows of ``v`` in each window and compared by a chi-square test of
homogeneity (bins too sparse inside ``v``, expected count under 5 on the smaller side,
merged into one). For a number, a second test reads the shape of a cap on a few dozen rows,
which a dozen bins' chi-square dilutes: the rows short of, in and past one bin, where the
tail emptied onto the bin (:func:`_clip_p_values`), and a third the move of the whole
distribution up or down, which a dozen bins' chi-square also dilutes: a rank-sum test on the
ordered bins (:func:`_rank_p_values`, the Mann-Whitney test with ties). The pair's p-value is
the weighted Bonferroni of the three (``CHI2_WEIGHT``, ``RANK_WEIGHT``, ``CLIP_WEIGHT`` of
the level). Benjamini-Hochberg runs across every (segment, feature) pair.

A significant pair is ``specific`` when the change is material and the segment's own:

* material: the total variation distance between the segment's two windows, less its
  expectation under no change, is at least ``min_tv`` (0.05: five rows in a hundred changed
  bin);
* its own: it is not what everyone else's change predicts. For a number, the population's
  quantile map (each reference value moved to the current value of the same rank) applied
  to the segment's reference values predicts its current bins; for a category, the
  segment's reference counts reweighted by the rest of the population's change of each
  category. The segment's current bins must differ from that prediction by ``min_tv`` too,
  and by at least half as much as from its own reference (the prediction explains less
  than half of the change).
  A season that moved a feature everywhere alike predicts itself (it is the population
  audit's finding), and so does a shift that only looks large inside a narrow segment (ages
  5 years up everywhere move every child of a segment of children to the next decile).

A specific pair is ``confined`` when the rest of the population (every row outside the
segment) shows no change of the feature (its own test, at ``alpha``), or none that matters
(its total variation past its noise under half ``min_tv``: at thousands of rows the rest
always moves a little): the change lives in the segment, and the segment, not the
population, is where to look. ``membership_p_value``
tests whether the segment's share of the rows changed (two-sided z-test): a segment whose
defining column was itself re-mapped holds other rows than before, and what changed inside
it is a consequence.

A segment column can itself be what broke: its labels re-mapped upstream (``season`` fall and
winter swapped). Then every input seems to shift inside ``season=winter`` while none moved:
``relabelled`` lists the segment values whose current rows look like another value's
reference rows, on every input that tells the two apart (see :func:`_relabelled`).

Counts come from one ``numpy.bincount`` per feature and segment column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import MlwatchError
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats import noise
from mlwatch.stats.binning import codes, quantile_edges
from mlwatch.stats.quality import increase_p_value, rising_value
from mlwatch.stats.signatures import held_at_bound, signature
from mlwatch.steps.slices import encode_segments

SCHEMA = "mlwatch.segments/1"
TAIL_QUANTILES = (0.02, 0.05, 0.95, 0.98)
CLIP_WEIGHT = 0.1       # the share of a numeric pair's level spent on the clip's shape test
RANK_WEIGHT = 0.4       # ... on the rank-sum test of a move up or down
CHI2_WEIGHT = 1 - CLIP_WEIGHT - RANK_WEIGHT     # ... on the chi-square of any change
ATOM_LEVEL = 1e-4       # the population's rise of one value's share that earns the value a bin of its own
AWAY_Z = 2.0           # standard errors a telling input must move away to veto a swap
RELABEL_TV = 0.1       # mean total variation over the inputs a re-mapped segment value must show
FULL_SHARE = 0.8       # a re-mapping confined to a segment reads there the population's share over this
HELD_SHARE = 0.8       # ... and holds this share of the population's re-mapped rows
TABLE_SCHEMA = {
    "segment": pl.String, "column": pl.String, "value": pl.String, "feature": pl.String,
    "n_reference": pl.Int64, "n_current": pl.Int64, "chi2": pl.Float64, "dof": pl.Int64, "p_value": pl.Float64,
    "p_value_adjusted": pl.Float64, "tv": pl.Float64, "tv_expected": pl.Float64, "tv_population": pl.Float64,
    "significant": pl.Boolean, "specific": pl.Boolean, "tv_predicted": pl.Float64, "rest_p_value": pl.Float64,
    "confined": pl.Boolean, "membership_p_value": pl.Float64,
}
RELABEL_SCHEMA = {"column": pl.String, "value": pl.String, "looks_like": pl.String, "scope": pl.String,
                  "segment": pl.String, "tv_own": pl.Float64, "tv_other": pl.Float64, "share": pl.Float64,
                  "tv_mix": pl.Float64, "p_value_adjusted": pl.Float64,
                  "n_current": pl.Int64, "witness": pl.String}
WEIGHT_SMOOTHING = 0.5


@dataclass(frozen=True, eq=False, repr=False)
class SegmentDriftResult(Result):
    """One row a (segment, feature) pair that was tested, the segment-specific changes
    first, then the rest by p-value."""

    table: pl.DataFrame
    n_tests: int
    options: dict[str, Any] = field(default_factory=dict)
    #: segment values whose current rows look like another value's reference rows (labels re-mapped)
    relabelled: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RELABEL_SCHEMA))

    @property
    def specific(self) -> pl.DataFrame:
        """The pairs whose change is significant and the segment's own."""
        return self.table.filter(pl.col("specific"))

    @property
    def minor(self) -> pl.DataFrame:
        """The pairs whose change is significant and the segment's own (the population's map
        does not predict it) but too small to be material: a cap on a tenth of a segment's
        values. Step 6 reads their signature; only a pipeline fault makes them a finding."""
        return self.table.filter(pl.col("significant") & ~pl.col("specific")
                                 & (pl.col("tv_predicted") >= pl.col("tv") / 2))

    @property
    def sentence(self) -> str:
        found = self.specific
        if not found.height:
            return (f"No input changed inside a segment beyond noise and beyond the population "
                    f"({self.n_tests:,} segment and feature pairs tested).")
        top = found.row(0, named=True)
        more = f"; {found.height - 1} more pair{'s' if found.height > 2 else ''}" if found.height > 1 else ""
        return (f"{top['feature']} changed inside {top['segment']} (total variation {top['tv']:.2f} there, "
                f"{top['tv_population']:.2f} in the population){more}.")

    SCHEMA = SCHEMA

    def _sections(self):
        shown = self.table.select("segment", "feature", "n_current", "tv", "tv_population", "p_value_adjusted",
                                  "specific")
        return (Section(frame=shown, alert="specific", max_rows=10),
                Section("Segment values whose rows look like another value's (labels re-mapped)", self.relabelled))

    def plot(self, ax=None, **kws):
        """The total variation inside each segment of the top pairs against the population's."""
        from mlwatch.plots.segments import plot_segments

        return plot_segments(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "n_tests": self.n_tests, "options": plain(self.options), "pairs": records(self.table),
                "relabelled": records(self.relabelled)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "SegmentDriftResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["pairs"], TABLE_SCHEMA), int(payload["n_tests"]),
                   payload.get("options", {}), frame_from_records(payload.get("relabelled", []), RELABEL_SCHEMA))


def segment_drift(reference, current, *, segments: Sequence[str], features: Sequence[str], alpha: float = 0.05,
                  max_depth: int = 2, min_support: int = 50, bins: int = 10, min_tv: float = 0.05,
                  min_expected: float = 5.0, outputs: Sequence[str] = ()) -> SegmentDriftResult:
    """Every feature's drift inside every segment value (see the module docstring).

    Parameters
    ----------
    segments
        Columns whose values are the segments (numbers with many values cut at reference
        quartiles, as in step 4).
    max_depth
        Segment columns a segment combines (1 or 2).
    features
        Columns to test inside each segment (a segment column is not tested inside its own
        segments).
    alpha
        False discovery rate across every (segment, feature) pair.
    min_support
        Rows a segment needs in each window.
    min_tv
        The least total variation (debiased) inside a segment that counts as its own change.
    outputs
        Columns among ``features`` that the model computes (its prediction): tested inside
        segments like the rest, but no witness of whether a segment's label was re-mapped
        (``relabelled``: values whose current rows look like another value's reference rows).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = pl.DataFrame({"client": rng.choice(["a", "b", "c"], 6000), "code": rng.choice(["x", "y", "z"], 6000,
    ...                                                                                     p=[0.6, 0.3, 0.1])})
    >>> swap = {"x": "z", "z": "x", "y": "y"}
    >>> cur = ref.with_columns(pl.when(pl.col("client") == "b").then(pl.col("code").replace(swap))
    ...                        .otherwise(pl.col("code")).alias("code"))
    >>> segment_drift(ref, cur, segments=["client"], features=["code"]).specific.select("segment", "feature").rows()
    [('client=b', 'code')]
    """
    if not 0 < alpha < 1:
        raise MlwatchError(f"alpha must be between 0 and 1, got {alpha}")
    ref = data.to_frame(reference, name="reference")
    cur = data.to_frame(current, name="current")
    features = [f for f in dict.fromkeys(features)]
    if max_depth not in (1, 2):
        raise MlwatchError(f"max_depth must be 1 or 2, got {max_depth}")
    options = {"segments": list(segments), "features": features, "alpha": alpha, "max_depth": max_depth,
               "min_support": min_support, "bins": bins, "min_tv": min_tv}
    if not segments or not features:
        return SegmentDriftResult(pl.DataFrame(schema=TABLE_SCHEMA), 0, options)
    ref_aligned, cur_aligned, schema = data.align(ref, cur, features)
    enc = encode_segments(ref, cur, segments)
    groups = _segment_groups(enc, max_depth)
    rows: list[dict[str, Any]] = []
    codes = {}
    histograms: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
    for feature in features:
        kind = schema.kinds[feature]
        codes_ref, codes_cur, n_bins, moved_ref = _bin_codes(ref_aligned[feature], cur_aligned[feature], kind, bins)
        codes[feature] = (codes_ref, codes_cur, n_bins)
        pop_ref = np.bincount(codes_ref, minlength=n_bins)
        pop_cur = np.bincount(codes_cur, minlength=n_bins)
        tv_population = 0.5 * float(np.abs(pop_cur / max(pop_cur.sum(), 1) - pop_ref / max(pop_ref.sum(), 1)).sum())
        stacked_r, stacked_q, stacked_pred, where = [], [], [], []
        for g, (columns, key_ref, key_cur, k, _) in enumerate(groups):
            if feature in columns:
                continue
            r = np.bincount(key_ref * n_bins + codes_ref, minlength=k * n_bins).reshape(k, n_bins)
            q = np.bincount(key_cur * n_bins + codes_cur, minlength=k * n_bins).reshape(k, n_bins)
            histograms[(g, feature)] = (r, q)
            keep = np.flatnonzero((r.sum(axis=1) >= min_support) & (q.sum(axis=1) >= min_support))
            if moved_ref is not None:         # numbers: the segment's reference values, moved by the population's map
                predicted = np.bincount(key_ref * n_bins + moved_ref, minlength=k * n_bins).reshape(k, n_bins)[keep]
            else:                             # categories: reweighted by the rest's change of each category
                predicted = r[keep] * _change(pop_ref[None, :] - r[keep], pop_cur[None, :] - q[keep])
            stacked_r.append(r[keep])
            stacked_q.append(q[keep])
            stacked_pred.append(predicted)
            where += [(g, int(code)) for code in keep]
        if not where:
            continue
        r, q = np.vstack(stacked_r), np.vstack(stacked_q)        # one test call for every segment of the feature
        chi2, dof, p, tv, tv0 = _pair_tests(r, q, kind, min_expected)
        tv_predicted = _tv(np.vstack(stacked_pred), q)
        _, _, rest_p, rest_tv, rest_tv0 = _tests(pop_ref[None, :] - r, pop_cur[None, :] - q, min_expected)  # the rest?
        membership_p = _share_p_values(r.sum(axis=1), pop_ref.sum(), q.sum(axis=1), pop_cur.sum())
        n_r, n_q = r.sum(axis=1), q.sum(axis=1)
        for i, (g, code) in enumerate(where):
            columns, _, _, _, label = groups[g]
            predicate = label(code)
            rows.append({"segment": " & ".join(f"{c}={v}" for c, v in predicate.items()),
                         "column": " & ".join(predicate), "value": " & ".join(predicate.values()),
                         "feature": feature, "n_reference": int(n_r[i]), "n_current": int(n_q[i]),
                         "chi2": float(chi2[i]), "dof": int(dof[i]), "p_value": float(p[i]), "tv": float(tv[i]),
                         "tv_expected": float(tv0[i]), "tv_population": tv_population,
                         "tv_predicted": float(tv_predicted[i]), "rest_p_value": float(rest_p[i]),
                         "_rest_moved": float(rest_tv[i] - rest_tv0[i]),
                         "membership_p_value": float(membership_p[i]),
                         "_group": columns, "_code": code, "_items": frozenset(predicate.items())})
    if not rows:
        return SegmentDriftResult(pl.DataFrame(schema=TABLE_SCHEMA), 0, options)
    adjusted = noise.benjamini_hochberg([r["p_value"] for r in rows])
    for r, p_adj in zip(rows, adjusted):
        r["p_value_adjusted"] = float(p_adj)
        r["significant"] = bool(p_adj < alpha)
        r["specific"] = bool(r["significant"] and r["tv"] - r["tv_expected"] >= min_tv
                             and r["tv_predicted"] - r["tv_expected"] >= min_tv and r["tv_predicted"] >= r["tv"] / 2)
        # the rest held: no change it can show, or none that matters (a window of 4,000 rows
        # outside Thursdays shows its holidays' few rows moving; workingday swapped on every
        # Thursday is still Thursday's)
        r["confined"] = bool(r["specific"] and (r["rest_p_value"] >= alpha or r["_rest_moved"] < min_tv / 2))
    _explain_away(rows, (ref_aligned, cur_aligned), codes, schema.kinds, groups, alpha, min_tv, min_expected)
    skipped = set(outputs)
    inputs = {key: h for key, h in histograms.items() if key[1] not in skipped}
    relabelled = _relabelled(rows, groups, inputs, enc, min_support, min_expected)
    table = pl.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                         schema=TABLE_SCHEMA).sort(["specific", "p_value", "tv"],
                                                         descending=[True, False, True], maintain_order=True)
    return SegmentDriftResult(table, len(rows), options, relabelled)


def _relabelled(rows: list[dict], groups: list, histograms: dict, enc, min_support: int,
                min_expected: float) -> pl.DataFrame:
    """Segment values whose current rows look like another value's reference rows: the
    segment column's labels were re-mapped (``season`` fall and winter swapped), so inside
    ``season=winter`` every input seems to shift while nothing but the label moved.

    For a significant segment ``X = a`` (and ``X = a & Y = y``, Y held), its current rows are
    compared, over the inputs that changed significantly there, with the reference rows of
    each other value ``b`` of X (same ``Y = y``): the two were swapped, from some time on, when
    on every input that tells them apart ``a``'s current rows moved toward ``b``'s reference
    and ``b``'s toward ``a``'s, both by a quarter of the way or more (``share``:
    :func:`_swap_share`), and the mix of ``a``'s and ``b``'s reference at that share sits at
    most half as far from ``a``'s current rows (``tv_mix``) as ``a``'s own reference does
    (``tv_own``, itself material: 0.1). ``tv_other`` is their distance to ``b``'s reference."""
    changed: dict[tuple, float] = {}
    moved: dict[tuple, list[str]] = {}
    strongest: dict[tuple, tuple[float, str]] = {}
    inputs = {f for (_, f) in histograms}
    drifted = {r["feature"] for r in rows if r["tv_population"] >= RELABEL_TV}
    for r in rows:
        # the segment's own change: a shift of the whole population (ages three quarters of what
        # they were) predicts what it does inside every segment, and re-maps no label
        if r["significant"] and r["tv_predicted"] >= r["tv"] / 2:
            key = (r["_group"], r["_code"])
            changed[key] = min(changed.get(key, 1.0), r["p_value_adjusted"])
            moved.setdefault(key, []).append(r["feature"])
            if r["feature"] in inputs and r["tv"] > strongest.get(key, (-1.0, ""))[0]:
                strongest[key] = (r["tv"], r["feature"])
    group_of = {g[0]: i for i, g in enumerate(groups)}
    found = []
    for (columns, code), p_value in changed.items():
        g = group_of[columns]
        # the inputs that moved there: the others only add their sampling noise to both distances
        features = [f for f in moved[(columns, code)] if (g, f) in histograms]
        if not features:
            continue
        k = groups[g][3]
        sizes = [len(enc.labels[enc.names.index(c)]) for c in columns]
        digits = [code // sizes[1], code % sizes[1]] if len(columns) == 2 else [code]
        for position, column in enumerate(columns):
            own_q = [_shares(histograms[(g, f)][1][code]) for f in features]
            own_r = [_shares(histograms[(g, f)][0][code]) for f in features]
            d_self = float(np.mean([0.5 * np.abs(a - b).sum() for a, b in zip(own_q, own_r)]))
            if d_self < RELABEL_TV:
                continue
            best = None
            for other in range(sizes[position] - 1):        # the last code is the missing value
                if other == digits[position]:
                    continue
                swapped = list(digits)
                swapped[position] = other
                other_code = swapped[0] * sizes[1] + swapped[1] if len(columns) == 2 else swapped[0]
                if other_code >= k or histograms[(g, features[0])][0][other_code].sum() < min_support:
                    continue
                # a swap, from some time on: each value's rows now read as a mix of its own
                # reference and the other's, the mix explaining the move (a shift of one input,
                # such as ages three quarters of what they were, makes one value look like a
                # younger one, never the younger one like it, nor carries its other inputs along)
                share = _swap_share(histograms, g, code, other_code, min_expected, drifted)
                if share is None or not _moved(histograms, g, other_code, moved.get((columns, other_code), [])):
                    continue
                mixed = [(1 - share) * r + share * _shares(histograms[(g, f)][0][other_code])
                         for f, r in zip(features, own_r)]
                misfit = float(np.mean([0.5 * np.abs(q - m).sum() for q, m in zip(own_q, mixed)]))
                if misfit <= d_self / 2 and (best is None or misfit < best[1]):
                    best = (other, misfit, share, float(np.mean([
                        0.5 * np.abs(_shares(histograms[(g, f)][0][other_code]) - q).sum()
                        for f, q in zip(features, own_q)])))
            if best is None:
                continue
            label = groups[g][4](code)
            held = {c: v for c, v in label.items() if c != column}
            found.append({"column": column, "value": label[column],
                          "looks_like": enc.labels[enc.names.index(column)][best[0]],
                          "scope": " & ".join(f"{c}={v}" for c, v in held.items()) or "population",
                          "segment": " & ".join(f"{c}={v}" for c, v in label.items()),
                          "tv_own": d_self, "tv_other": best[3], "share": best[2], "tv_mix": best[1],
                          "p_value_adjusted": p_value,
                          "n_current": int(histograms[(g, features[0])][1][code].sum()),
                          "witness": strongest.get((columns, code), (0.0, features[0]))[1]})
    table = pl.DataFrame(found, schema=RELABEL_SCHEMA) if found else pl.DataFrame(schema=RELABEL_SCHEMA)
    table = table.sort(["p_value_adjusted", "tv_mix"]).unique(["column", "scope"], keep="first", maintain_order=True)
    return _where_re_mapped(table)


def _where_re_mapped(table: pl.DataFrame) -> pl.DataFrame:
    """One place for each re-mapped column. Re-mapped everywhere, a column shows in its pairs
    too, and the population's reading is the one; but where the population reads only a part
    of a value's rows as re-mapped (``share``), and one segment's reading of the same swap
    reads a clearly larger part of its own rows (the population's share over ``FULL_SHARE``
    or more) and holds most of the population's re-mapped rows (``HELD_SHARE``), the
    re-mapping lives in that segment (season re-mapped on non-working days only: 30 % of
    'fall' reads as 'spring', all of 'fall' on non-working days), and the segment's reading
    is the one, whichever of the two swapped values it reads. A swap from some time on reads
    as the share of the window it took, in the segment as in the population, so the
    segment's share is not asked to be whole (season re-mapped on misty days from
    mid-August: 0.71 of misty winter reads as spring, 0.25 of all spring as winter).

    >>> t = pl.DataFrame({"column": ["season", "season"], "value": ["fall", "fall"], "looks_like": ["spring"] * 2,
    ...                   "scope": ["population", "workingday=No"], "share": [0.3, 0.97], "n_current": [1151, 360]})
    >>> _where_re_mapped(t)["scope"].to_list()
    ['workingday=No']
    >>> _where_re_mapped(t.with_columns(share=pl.Series([0.9, 0.97])))["scope"].to_list()
    ['population']
    >>> _where_re_mapped(t.with_columns(share=pl.Series([0.245, 0.766]), n_current=pl.Series([1112, 339]),
    ...                                 scope=pl.Series(["population", "weathersit=Mist"])))["scope"].to_list()
    ['weathersit=Mist']
    """
    kept = []
    for column in table["column"].unique(maintain_order=True).to_list():
        readings = table.filter(pl.col("column") == column)
        everywhere = readings.filter(pl.col("scope") == "population")
        if not everywhere.height:
            kept.append(readings)
            continue
        whole = everywhere.row(0, named=True)
        re_mapped = whole["share"] * whole["n_current"]
        same_swap = (((pl.col("value") == whole["value"]) & (pl.col("looks_like") == whole["looks_like"]))
                     | ((pl.col("value") == whole["looks_like"]) & (pl.col("looks_like") == whole["value"])))
        inside = readings.filter((pl.col("scope") != "population") & same_swap
                                 & (pl.col("share") * pl.col("n_current") >= HELD_SHARE * re_mapped)
                                 & (pl.col("share") >= whole["share"] / FULL_SHARE))
        kept.append(inside.head(1) if inside.height else everywhere)
    return pl.concat(kept) if kept else table


def _moved(histograms: dict, g: int, code: int, features: list[str]) -> bool:
    """Whether segment ``code`` changed significantly (``features`` moved there), by a
    material mean total variation over them."""
    features = [f for f in features if (g, f) in histograms]
    return bool(features) and float(np.mean([
        0.5 * np.abs(_shares(histograms[(g, f)][1][code]) - _shares(histograms[(g, f)][0][code])).sum()
        for f in features])) >= RELABEL_TV


def _swap_share(histograms: dict, g: int, code: int, other: int, min_expected: float,
                drifted: set) -> float | None:
    """The share of two segment values' current rows that carry each other's label: over the
    inputs that told them apart in the reference (total variation, less its noise, at least
    0.1), how far each value's current histograms moved toward the other's reference (their
    least-squares projection on the line between the two references: 0 stayed, 1 swapped
    whole), the smaller of the two ways. None unless both ways moved a quarter of it or more
    and no telling input moved away from the other on either side by more than
    :data:`AWAY_Z` standard errors (a swap on part of a segment's rows leaves the rest where
    they were, and noise moves them a little either way): a re-mapped label carries
    all its rows' inputs along, both ways; a shift of one input toward the other value's range
    (a warmer spring) leaves the rest where they were and the other value alone. A re-mapping
    from some time on swaps only the rows after it, and then the two values' shares differ
    when their sizes do: the period's ``s`` of the rows of values of ``n_a`` and ``n_b`` rows
    leaves ``s n_b / (s n_b + (1 - s) n_a)`` of ``a``'s current rows with ``b``'s label (SCHL
    21 and 9 swapped for the never-married in 2018, two thirds of the window: a quarter of
    the 589 bachelor's degrees' current rows are the sixth graders', nine tenths of the 104
    sixth graders' are the bachelors'). The quarter is asked of ``s``, read each way from its
    value's share, the smaller of the two; the share returned is ``a``'s at that ``s``.

    When an input that tells them apart moved across the whole population (``drifted``), a
    part of the way is no evidence: a re-mapped label moves no input's population (swap
    Saturday and Wednesday, and working days stay as many), but a younger population moves
    every marital status toward the never-married, and nativity re-mapped drags citizenship
    along. Then the swap must be whole: on every telling input each value's current rows sit
    nearer the other's reference than their own."""
    moves, strict = [], False       # (toward the other, back toward this one, squared distance apart) per input
    sizes = (0.0, 0.0)              # the two values' reference rows
    for (gg, feature), (r, q) in histograms.items():
        if gg != g:
            continue
        sizes = (float(r[code].sum()), float(r[other].sum()))
        _, _, _, tv, tv0 = _tests(r[[code]], r[[other]], min_expected)
        if tv[0] - tv0[0] < RELABEL_TV:
            continue
        mine, theirs, now, then = _shares(r[code]), _shares(r[other]), _shares(q[code]), _shares(q[other])
        if feature in drifted:
            strict = True
        apart = theirs - mine
        moves.append((float((now - mine) @ apart), float((theirs - then) @ apart), float(apart @ apart),
                      # swapped whole: nearer the other's reference than its own, both ways
                      np.abs(now - theirs).sum() < np.abs(now - mine).sum()
                      and np.abs(then - mine).sum() < np.abs(then - theirs).sum(),
                      # each way's standard error (multinomial: Var(p.a) = (p.a^2 - (p.a)^2) / n)
                      _projection_se(apart, (mine, r[code].sum()), (now, q[code].sum())),
                      _projection_se(apart, (theirs, r[other].sum()), (then, q[other].sum()))))
    # moved away from the other beyond its noise, on an input that tells them apart: no swap
    # (holidays tell fall Mondays from spring ones, and a swap on working Mondays leaves them
    # where they were: a fifth of the way back, half a standard error, is no veto)
    away = any(m[0] < -AWAY_Z * m[4] or m[1] < -AWAY_Z * m[5] for m in moves)
    if not moves or away or (strict and not all(m[3] for m in moves)):
        return None
    ahead, back, scale = np.sum([m[:3] for m in moves], axis=0)
    mine_size, their_size = sizes
    # each way's share of its value's current rows, and the period's share of rows it implies
    # (the smaller value's rows are mostly the larger's long before the larger's are its)
    here, there = (float(np.clip(x / scale, 0.0, 1.0)) for x in (ahead, back))
    period = min(_period_share(here, mine_size, their_size), _period_share(there, their_size, mine_size))
    if period < 0.25:
        return None
    here, there = _period_share(period, their_size, mine_size), _period_share(period, mine_size, their_size)
    if _one_input_moved(moves, (here, there)):
        return None
    return here


def _period_share(share: float, own: float, other: float) -> float:
    """Between a value's share of current rows that carry another value's label and the share
    of the window a swap of the two took: ``s = f n_a / (f n_a + (1 - f) n_b)`` for a value of
    ``own`` rows and the other of ``other`` (the same map both ways, sizes exchanged).

    >>> round(_period_share(0.244, 589, 104), 2), round(_period_share(0.65, 104, 589), 2)
    (0.65, 0.25)
    >>> _period_share(_period_share(0.3, 50, 200), 200, 50)
    0.3
    >>> _period_share(0.4, 100, 100)
    0.4
    """
    weighed = share * own
    return float(weighed / (weighed + (1 - share) * other)) if weighed > 0 else 0.0


def _one_input_moved(moves: list[tuple], shares: tuple[float, float]) -> bool:
    """Whether the inputs that tell two segment values apart, but for the one that moved
    most, fit staying where they were better than moving by their ``shares`` (each way's): a code
    swapped in one input inside a segment (two distribution channels exchanged on half-board
    bookings) drags the market segments that go with each channel along on that input alone,
    while a segment value's labels re-mapped carry every input that tells it from the other.
    The squared standard scores of their moves (both ways) under each hypothesis; with one
    telling input there is nothing to compare."""
    if len(moves) < 2:
        return False
    top = int(np.argmax([(m[0] + m[1]) / max(m[2], 1e-300) for m in moves]))
    at_share = at_rest = 0.0
    for i, m in enumerate(moves):
        if i == top:
            continue
        for moved, se, share in ((m[0], m[4], shares[0]), (m[1], m[5], shares[1])):
            se = max(se, 1e-12)
            at_share += ((moved - share * m[2]) / se) ** 2
            at_rest += (moved / se) ** 2
    return at_rest < at_share


def _projection_se(apart: np.ndarray, *sides: tuple[np.ndarray, float]) -> float:
    """The standard error of the difference of two histograms' shares projected on ``apart``
    (each side: its shares and its rows, multinomial)."""
    return float(np.sqrt(sum(max(float(p @ apart**2 - (p @ apart) ** 2), 0.0) / max(n, 1) for p, n in sides)))


def _shares(counts: np.ndarray) -> np.ndarray:
    return counts / max(counts.sum(), 1)


def _segment_groups(enc, max_depth: int) -> list:
    """Per segment column (and pair of columns): the columns, each row's segment code on
    both sides, the number of codes, and the predicate of a code."""
    groups = []
    for c, name in enumerate(enc.names):
        groups.append(((name,), enc.reference[c], enc.current[c], len(enc.labels[c]),
                       lambda code, c=c, name=name: {name: enc.labels[c][code]}))
    if max_depth >= 2:
        for c1 in range(len(enc.names)):
            for c2 in range(c1 + 1, len(enc.names)):
                k2 = len(enc.labels[c2])

                def label(code, c1=c1, c2=c2, k2=k2):
                    return {enc.names[c1]: enc.labels[c1][code // k2], enc.names[c2]: enc.labels[c2][code % k2]}

                groups.append(((enc.names[c1], enc.names[c2]), enc.reference[c1] * k2 + enc.reference[c2],
                               enc.current[c1] * k2 + enc.current[c2], len(enc.labels[c1]) * k2, label))
    return groups


def _explain_away(rows: list[dict], values: tuple, codes: dict, kinds: Mapping[str, str], groups: list, alpha: float,
                  min_tv: float, min_expected: float) -> None:
    """Rule 3 of step 4, for inputs: per feature, strongest first, a specific segment stays
    specific only when its rows outside the segments already kept still changed; and a
    specific parent of a kept segment is kept (the child then redundant) when its own rows
    outside the child changed too."""
    masks = {columns: (key_ref, key_cur) for columns, key_ref, key_cur, _, _ in groups}
    m = len(rows)
    by_feature: dict[str, list[dict]] = {}
    for r in rows:
        if r["specific"]:
            by_feature.setdefault(r["feature"], []).append(r)
    for feature, candidates in by_feature.items():
        codes_ref, codes_cur, n_bins = codes[feature]
        covered_ref = np.zeros(codes_ref.size, dtype=bool)
        covered_cur = np.zeros(codes_cur.size, dtype=bool)
        # the strongest evidence first (the chi-square's excess where p-values underflow alike)
        candidates.sort(key=lambda r: (r["p_value"], -(r["chi2"] - r["dof"]) / np.sqrt(2 * max(r["dof"], 1))))
        kept = 0
        for r in candidates:
            key_ref, key_cur = masks[r["_group"]]
            inside_ref = (key_ref == r["_code"]) & ~covered_ref
            inside_cur = (key_cur == r["_code"]) & ~covered_cur
            counts_r = np.bincount(codes_ref[inside_ref], minlength=n_bins)[None, :]
            counts_q = np.bincount(codes_cur[inside_cur], minlength=n_bins)[None, :]
            still = False
            if counts_r.sum() >= 2 and counts_q.sum() >= 2:
                _, _, p, tv, tv0 = _pair_tests(counts_r, counts_q, kinds[feature], min_expected)
                still = bool(p[0] <= alpha * (kept + 1) / m and tv[0] - tv0[0] >= min_tv)
            if still:
                kept += 1
                covered_ref |= key_ref == r["_code"]
                covered_cur |= key_cur == r["_code"]
            else:
                r["specific"] = False
        for r in [c for c in candidates if c["specific"]]:
            # a parent whose rows outside a kept child still changed holds a change that is not
            # the child's own (Delta's distances capped at every airport: Delta at JFK, strongest
            # by chance, left the others' rows short of the pass's step). The parent passed the
            # family's test as a whole: this reads only where the change lives, at the level and
            # half the material bar, as ``confined`` reads the rest of the rows
            for parent in candidates:
                if parent["specific"] or not parent["_items"] < r["_items"]:
                    continue
                key_ref, key_cur = masks[parent["_group"]]
                child_ref, child_cur = masks[r["_group"]]
                rest_ref = (key_ref == parent["_code"]) & (child_ref != r["_code"])
                rest_cur = (key_cur == parent["_code"]) & (child_cur != r["_code"])
                counts_r = np.bincount(codes_ref[rest_ref], minlength=n_bins)[None, :]
                counts_q = np.bincount(codes_cur[rest_cur], minlength=n_bins)[None, :]
                if counts_r.sum() >= 2 and counts_q.sum() >= 2:
                    _, _, p, tv, tv0 = _pair_tests(counts_r, counts_q, kinds[feature], min_expected)
                    if p[0] <= alpha and tv[0] - tv0[0] >= min_tv / 2 and _alike(
                            values, feature, (rest_ref, rest_cur),
                            (child_ref == r["_code"], child_cur == r["_code"])):
                        parent["specific"] = True
        survivors = [r for r in candidates if r["specific"]]
        for r in survivors:      # a parent kept as well holds the whole change: its child is redundant
            if any(other["_items"] < r["_items"] for other in survivors if other is not r):
                r["specific"] = False


def _alike(values: tuple, feature: str, rest: tuple, child: tuple) -> bool:
    """Whether a parent's rows outside its child changed the way the child's did: the same
    signature (a cap on every Delta airport's rows is a clipping at each; a swap of codes
    inside the child beside a drift of the parent's other rows is not)."""
    ref, cur = values
    found = [signature(ref[feature].filter(pl.Series(a)), cur[feature].filter(pl.Series(b))).name
             for a, b in (rest, child)]
    return found[0] is not None and found[0] == found[1]


def _bin_codes(reference: pl.Series, current: pl.Series, kind: str, bins: int):
    """Each row's bin: reference deciles for numbers (missing last), categories for the rest
    (missing last); and, for numbers, the bin of each reference value moved by the
    population's quantile map (to the current value of the same mid-rank), else None."""
    if kind in ("numeric", "datetime"):
        a = (reference.cast(pl.Int64) if reference.dtype.is_temporal() else reference).cast(pl.Float64).to_numpy()
        b = (current.cast(pl.Int64) if current.dtype.is_temporal() else current).cast(pl.Float64).to_numpy()
        finite = np.sort(a[np.isfinite(a)])
        if finite.size == 0:
            return np.zeros(a.size, np.int64), np.zeros(b.size, np.int64), 1, np.zeros(a.size, np.int64)
        # deciles, and finer edges in the tails: a cap or a floor on a tenth of a segment's
        # values moves them inside the outer decile, where a decile edge sees nothing
        current_sorted = np.sort(b[np.isfinite(b)])
        edges = np.unique(np.concatenate([quantile_edges(finite, bins), np.quantile(finite, TAIL_QUANTILES),
                                          _atom_edges(finite, current_sorted)]))
        moved = a
        if current_sorted.size:
            rank = (np.searchsorted(finite, a, "left") + np.searchsorted(finite, a, "right")) / 2 / finite.size
            index = np.clip((rank * current_sorted.size).astype(np.int64), 0, current_sorted.size - 1)
            moved = np.where(np.isfinite(a), current_sorted[index], a)
        return codes(a, edges), codes(b, edges), edges.size + 2, codes(moved, edges)
    rs, cs = reference.cast(pl.String), current.cast(pl.String)
    names = sorted(set(rs.drop_nulls().unique().to_list()) | set(cs.drop_nulls().unique().to_list()))
    enum = pl.Enum(names)
    missing = len(names)
    ref_codes = rs.cast(enum).to_physical().fill_null(missing).to_numpy().astype(np.int64)
    cur_codes = cs.cast(enum).to_physical().fill_null(missing).to_numpy().astype(np.int64)
    return ref_codes, cur_codes, missing + 1, None


def _atom_edges(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> np.ndarray:
    """Edges that give the value whose share rose most in the population a bin of its own,
    when it rose beyond noise: a cap or a default written in one segment piles its rows on one
    value, which a decile holding its neighbours too dilutes (the rows a clip took from past
    the bound fall into the same decile)."""
    if current_sorted.size == 0 or reference_sorted.size == 0:
        return np.empty(0)
    value, gain = rising_value(reference_sorted, current_sorted)
    k_a = int(np.searchsorted(reference_sorted, value, "right") - np.searchsorted(reference_sorted, value, "left"))
    k_b = int(np.searchsorted(current_sorted, value, "right") - np.searchsorted(current_sorted, value, "left"))
    if gain <= 0 or increase_p_value(k_a, reference_sorted.size, k_b, current_sorted.size) > ATOM_LEVEL:
        return np.empty(0)
    return np.array([np.nextafter(value, -np.inf), value])


def _change(reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Each bin's current share over its reference share (rows of counts; half a row added
    to each count, so an empty bin does not weigh 0 or infinity)."""
    p = (reference + WEIGHT_SMOOTHING) / (reference.sum(axis=1, keepdims=True) + WEIGHT_SMOOTHING * reference.shape[1])
    q = (current + WEIGHT_SMOOTHING) / (current.sum(axis=1, keepdims=True) + WEIGHT_SMOOTHING * current.shape[1])
    return q / p


def _share_p_values(k_reference, n_reference, k_current, n_current) -> np.ndarray:
    """Two-sided pooled z-test that a segment's share of the rows differs between the windows."""
    from scipy import stats as _st

    k1, k2 = np.asarray(k_reference, dtype=float), np.asarray(k_current, dtype=float)
    pooled = (k1 + k2) / (n_reference + n_current)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_reference + 1 / n_current))
    z = np.divide(k2 / n_current - k1 / n_reference, se, out=np.zeros_like(se), where=se > 0)
    return 2 * _st.norm.sf(np.abs(z))


def _pair_tests(r: np.ndarray, q: np.ndarray, kind: str, min_expected: float):
    """:func:`_tests` of each row pair of counts, the p-value of a number's the weighted
    Bonferroni of the chi-square, the rank-sum and the clip's tests (its last bin, missing,
    has no order and is left to the chi-square).

    A cap on a few dozen rows spreads over a dozen bins' chi-square; the test of its shape
    (pile and emptied tail) sees it. So does a tilt of the whole segment up or down, which the
    rank-sum test sees (humidity half a deviation up on Tuesdays: chi-square p 5e-4,
    rank-sum 1e-7)."""
    chi2, dof, p, tv, tv0 = _tests(r, q, min_expected)
    if kind in ("numeric", "datetime"):
        p = np.minimum.reduce([np.ones_like(p), p / CHI2_WEIGHT, _rank_p_values(r[:, :-1], q[:, :-1]) / RANK_WEIGHT,
                               _clip_p_values(r[:, :-1], q[:, :-1]) / CLIP_WEIGHT])
    return chi2, dof, p, tv, tv0


def _rank_p_values(r: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Each row pair's two-sided p-value of the rank-sum (Mann-Whitney) test that its current
    rows (counts ``q`` over ordered bins) sit higher or lower than its reference rows (``r``):
    every row of a bin shares the bin's mid-rank, and the variance is corrected for those ties
    (normal approximation, no continuity correction). 1 where either side has no row.

    >>> r, q = np.array([[30, 40, 20, 10]]), np.array([[10, 30, 35, 25]])
    >>> from scipy.stats import mannwhitneyu
    >>> x, y = np.repeat(np.arange(4), r[0]), np.repeat(np.arange(4), q[0])
    >>> bool(np.isclose(_rank_p_values(r, q)[0], mannwhitneyu(y, x, use_continuity=False, method="asymptotic").pvalue))
    True
    """
    from scipy import stats as _st

    r, q = np.asarray(r, dtype=float), np.asarray(q, dtype=float)
    n, m = r.sum(axis=1), q.sum(axis=1)
    total = r + q
    big_n = n + m
    mid_rank = np.cumsum(total, axis=1) - total + (total + 1) / 2
    u = (q * mid_rank).sum(axis=1) - m * (m + 1) / 2
    ties = (total ** 3 - total).sum(axis=1) / np.maximum(big_n * (big_n - 1), 1)
    variance = n * m / 12 * (big_n + 1 - ties)
    z = np.divide(u - n * m / 2, np.sqrt(np.maximum(variance, 0)), out=np.zeros_like(u), where=variance > 0)
    return np.where((n > 0) & (m > 0), 2 * _st.norm.sf(np.abs(z)), 1.0)


def _clip_p_values(r: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Each row pair's evidence of a clip: over ordered value bins, the likelihood-ratio test
    (G, 2 degrees of freedom) of the rows short of, in and past one bin, at the cut where the
    rows past it fell (from 1 % to half of the rows: a tail) and the bin rose while the share
    in or past it held (as a clip's must: :func:`mlwatch.stats.signatures.held_at_bound`), Bonferroni over
    the cuts and both sides. 1 where no cut has that shape.

    >>> r = np.array([[100, 100, 100, 60, 40]])
    >>> float(_clip_p_values(r, np.array([[100, 100, 100, 100, 0]]))[0]) < 1e-8
    True
    >>> float(_clip_p_values(r, np.array([[100, 100, 100, 40, 60]]))[0])       # the tail grew
    1.0
    """
    from scipy import stats as _st
    from scipy.special import xlogy

    r, q = np.asarray(r, dtype=float), np.asarray(q, dtype=float)
    bins = r.shape[1]
    n, m = r.sum(axis=1, keepdims=True), q.sum(axis=1, keepdims=True)
    best = np.zeros(r.shape[0])
    for rr, qq in ((r, q), (r[:, ::-1], q[:, ::-1])):          # an upper bound, then a lower one
        below_r, below_q = np.cumsum(rr, axis=1) - rr, np.cumsum(qq, axis=1) - qq
        past_r, past_q = n - below_r - rr, m - below_q - qq
        shares_r = np.stack([below_r, rr, past_r]) / np.maximum(n, 1)
        shares_q = np.stack([below_q, qq, past_q]) / np.maximum(m, 1)
        pile = shares_q[1] - shares_r[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            holds = held_at_bound(rr + past_r, np.maximum(n, 1), qq + past_q, np.maximum(m, 1), pile, past_r, past_q)
        # a clip takes a tail: at most half the rows past the bound, as the signature asks
        shaped = (pile > 0) & (shares_q[2] < shares_r[2]) & (shares_r[2] >= 0.01) & (shares_r[2] <= 0.5) & holds
        observed = np.stack([np.stack([below_r, rr, past_r]), np.stack([below_q, qq, past_q])])    # 2 x 3 x rows x cuts
        total = observed.sum(axis=0, keepdims=True)
        expected = total * np.stack([n, m])[:, None] / np.maximum(n + m, 1)
        g = 2 * (xlogy(observed, observed) - xlogy(observed, expected)).sum(axis=(0, 1))
        best = np.maximum(best, np.where(shaped, g, 0.0).max(axis=1))
    return np.where(best > 0, np.minimum(1.0, 2 * bins * _st.chi2.sf(best, 2)), 1.0)


def _tv(predicted: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Total variation distance between each row's predicted and current shares."""
    p = predicted / np.maximum(predicted.sum(axis=1, keepdims=True), 1e-12)
    q = current / np.maximum(current.sum(axis=1, keepdims=True), 1)
    return 0.5 * np.abs(q - p).sum(axis=1)


def _tests(r: np.ndarray, q: np.ndarray, min_expected: float):
    """Chi-square homogeneity test of each row pair of counts, sparse bins merged into one;
    and the total variation distance with its expectation under no change."""
    from scipy import stats as _st

    n, m = r.sum(axis=1, keepdims=True).astype(float), q.sum(axis=1, keepdims=True).astype(float)
    pooled = (r + q).astype(float)
    smaller = np.minimum(n, m) / (n + m)
    sparse = pooled * smaller < min_expected
    r_rare = np.where(sparse, r, 0).sum(axis=1, keepdims=True)
    q_rare = np.where(sparse, q, 0).sum(axis=1, keepdims=True)
    rr = np.hstack([np.where(sparse, 0, r), r_rare]).astype(float)
    qq = np.hstack([np.where(sparse, 0, q), q_rare]).astype(float)
    total = rr + qq
    used = total > 0
    e_r = total * n / (n + m)
    e_q = total * m / (n + m)
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.where(used, (rr - e_r) ** 2 / np.where(used, e_r, 1) + (qq - e_q) ** 2 / np.where(used, e_q, 1),
                        0.0).sum(axis=1)
    dof = np.maximum(used.sum(axis=1) - 1, 0)
    p = np.where(dof > 0, _st.chi2.sf(chi2, np.maximum(dof, 1)), 1.0)
    shares_r, shares_q = r / np.maximum(n, 1), q / np.maximum(m, 1)
    tv = 0.5 * np.abs(shares_q - shares_r).sum(axis=1)
    pooled_share = pooled / np.maximum(n + m, 1)
    tv0 = 0.5 * np.sqrt(2 / np.pi) * np.sqrt(pooled_share * (1 - pooled_share) * (1 / n + 1 / m)).sum(axis=1)
    return chi2, dof, p, tv, tv0
