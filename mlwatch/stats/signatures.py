"""Drift signatures: from "feature X drifted" to a named hypothesis of what happened to it.

Each test returns a :class:`Signature` (name, confidence in [0, 1], a sentence, the
evidence). Pipeline faults (``unit_change``, ``encoding_permutation``, ``constant``,
``clipping``, ``default_flood``) mean training-serving skew: fix the pipeline, do not
retrain. The others describe the data: ``null_spike``, ``new_category``,
``missing_category``, ``shift`` (the location moved), ``scale`` (the spread changed).

How each is recognised:

* **unit_change**: for a whole-number column, from the values themselves (divided by a
  unit factor, whole numbers become fractions the factor turns back into whole numbers;
  multiplied, multiples of the factor become common). Otherwise the current values are
  fitted, by EM on 64 shared quantile bins, as the mixture ``(1 - pi) F + pi F_T`` of the
  reference ``F`` and the reference converted by a known unit change ``T(x) = a x + b``
  (the factors 10^k, 12, 24, 60, 3600, 2.54, 1.609, 2.2046, 3.2808, 3.6, 7 and their
  inverses; degrees Celsius, Fahrenheit and kelvin). It is named when the best ``T``
  explains at least 80 % of the drift's likelihood ratio beyond what sampling alone gives,
  so a change of unit in 1 % of the rows is found too, and a plain shift is not taken for
  one. The fitted map is in the sentence ("x 1.8 + 32: degrees Celsius to Fahrenheit").
* **encoding_permutation**: the categories are the same and their *sorted* frequency
  profile did not move, but the frequencies per label did: labels were re-mapped (the
  pandas.Categorical alphabetical-versus-insertion-order bug). Matching the categories
  whose share moved beyond noise by the rank of their share names the swaps, which must
  explain the moves (each moved share reappears under its new label). Labels of near-equal frequency swapped are invisible to
  any frequency test (and to PSI); the model sees them, the slice search then finds them.
* **clipping**: the current extreme holds a spike of mass, lies inside the reference range,
  and nothing lies beyond it: the values past a new bound were piled on it.
* **default_flood** / **constant**: one value's share jumped (a sentinel such as 0, -1,
  999, the reference mean or median, a label such as "unknown"), or every value is one.
* **stuck** (needs the time column, :func:`stuck_signature`): one value held, row after row
  in time order, over a span at least twice the longest the reference ever held a value,
  and by at least 10 rows: a frozen sensor or a cached feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from mlwatch.errors import check_choice
from mlwatch.stats.drift import finite_sorted
from mlwatch.stats.quality import (DEFAULT_LABELS, SENTINELS, distinct_count_sorted, increase_p_value, lattice_step,
                                   mode_sorted, on_grid_steps, rising_value)

SIGNATURES = ("shift", "scale", "unit_change", "null_spike", "new_category", "missing_category",
              "encoding_permutation", "constant", "stuck", "clipping", "default_flood")
PIPELINE = ("unit_change", "encoding_permutation", "constant", "stuck", "clipping", "default_flood")
FREE_MARGIN = 10.0        # nats a known conversion must win by over a free location-and-scale map
CONSTANT_P = 1e-3        # every current row on one value, that unlikely under the reference's share of it
BYSTANDERS_P = 0.0027    # the labels a re-mapping leaves alone moved: two-sided, three standard deviations
AFFINE_UNITS = (          # (factor, offset, description): x -> factor * x + offset
    (1.8, 32.0, "degrees Celsius to Fahrenheit"), (5 / 9, -160 / 9, "degrees Fahrenheit to Celsius"),
    (1.0, 273.15, "degrees Celsius to kelvin"), (1.0, -273.15, "kelvin to degrees Celsius"),
    (5 / 9, 255.372222, "degrees Fahrenheit to kelvin"), (1.8, -459.67, "kelvin to degrees Fahrenheit"),
)
UNIT_FACTORS = {
    10.0: "a factor 10", 100.0: "a factor 100 (a share as a percentage?)", 1000.0: "a factor 1,000 (k, milli)",
    1e6: "a factor 1,000,000 (M, micro)", 12.0: "months and years, or inches and feet", 24.0: "hours and days",
    60.0: "seconds and minutes, or minutes and hours", 3600.0: "seconds and hours", 7.0: "days and weeks",
    2.54: "inches and centimetres", 1.609344: "miles and kilometres", 2.20462: "kilograms and pounds",
    3.28084: "metres and feet", 3.6: "m/s and km/h",
}


@dataclass(frozen=True)
class Signature:
    """A named hypothesis about a drifted feature."""

    name: str | None
    confidence: float
    sentence: str
    evidence: dict = field(default_factory=dict)

    @property
    def pipeline_fault(self) -> bool:
        """A training-serving skew: fix the pipeline, do not retrain."""
        return self.name in PIPELINE


NONE = Signature(None, 0.0, "no signature stands out: the distribution changed shape")


def signature(reference, current, *, kind: str = "auto", feature: str = "the feature") -> Signature:
    """The signature of the change from ``reference`` to ``current`` (arrays or polars
    Series; nulls and NaN are missing values).

    >>> rng = np.random.default_rng(0)
    >>> miles = rng.gamma(2.0, 300.0, 5000)
    >>> signature(miles, np.r_[miles[:3000], miles[3000:] * 1.609344], feature="distance").name
    'unit_change'
    >>> signature(miles, miles + 200).name
    'shift'
    """
    ref, cur = _series(reference), _series(current)
    if ref.dtype.is_temporal() and cur.dtype.is_temporal():     # dates, durations: numbers on their axis
        ref, cur = ref.to_physical().cast(pl.Float64), cur.to_physical().cast(pl.Float64)
    kind = check_choice("kind", kind, ("auto", "numeric", "categorical"))
    if kind == "auto":
        kind = "numeric" if ref.dtype.is_numeric() and cur.dtype.is_numeric() else "categorical"
    if kind == "numeric":
        return numeric_signature(ref, cur, feature=feature)
    return categorical_signature(ref, cur, feature=feature)


def _series(values) -> pl.Series:
    if isinstance(values, pl.Series):
        return values
    array = np.asarray(values)
    if array.dtype.kind in "iuf":
        return pl.Series(array.astype(float)).fill_nan(None)
    return pl.Series(values=[None if v is None else str(v) for v in array.tolist()], dtype=pl.String)


def _null_spike(ref: pl.Series, cur: pl.Series, feature: str) -> Signature | None:
    k0, n0 = _missing(ref), ref.len()
    k1, n1 = _missing(cur), cur.len()
    p0, p1 = k0 / max(n0, 1), k1 / max(n1, 1)
    if p1 - p0 >= 0.05 and p1 >= 2 * p0 and increase_p_value(k0, n0, k1, n1) < 0.01:
        return Signature("null_spike", float(min(1.0, (p1 - p0) / 0.2)),
                         f"{feature} is missing in {p1:.1%} of current rows (reference {p0:.1%})",
                         {"reference_null_rate": p0, "current_null_rate": p1})
    return None


def _mostly_null(nulls: Signature | None) -> bool:
    """Whether a null spike left most current rows empty: the few values left (pre-onset rows,
    a stray feed) are no sample to read another fault from (19 hotel room types, read as two
    codes swapped, beside 99.5 % of the rows gone null)."""
    return nulls is not None and nulls.evidence["current_null_rate"] >= 0.5


def _beyond_chance(k: int, n: int, m: int) -> bool:
    """Whether ``m`` current rows all on one value that held ``k`` of ``n`` reference rows
    would happen by chance less than once in :data:`CONSTANT_P` windows: a column that rests
    on zero (a waiting list: 914 of 915 bookings) reads 0 in all 704 rows of a window one time
    in two, which is no frozen feed.

    >>> _beyond_chance(914, 915, 704), _beyond_chance(500, 1000, 20), _beyond_chance(0, 1000, 10)
    (False, True, True)
    """
    return bool(m * np.log(k / n) < np.log(CONSTANT_P)) if k > 0 else True


def _missing(series: pl.Series) -> int:
    nulls = series.null_count()
    if series.dtype.is_float():
        nulls += int(series.is_nan().sum() or 0)
    return nulls


# ------------------------------------------------------------------- numeric

def numeric_signature(reference: pl.Series, current: pl.Series, *, feature: str = "the feature") -> Signature:
    """The signature of a numeric feature's change (see the module docstring)."""
    a, _ = finite_sorted(reference)
    b, _ = finite_sorted(current)
    nulls = _null_spike(reference, current, feature)
    if a.size < 2 or b.size < 2 or _mostly_null(nulls):
        return nulls or NONE
    distinct_a, distinct_b = distinct_count_sorted(a), distinct_count_sorted(b)
    if distinct_b == 1 and distinct_a > 1 and b.size >= 10 and _beyond_chance(int(np.sum(a == b[0])), a.size, b.size):
        return Signature("constant", 1.0, f"{feature} is frozen at {b[0]:.6g} in every current row (stale values?)",
                         {"value": float(b[0])})
    # values near 1e308 overflow a converted unit (x 60) into inf: no conversion fits them,
    # which is the right reading, without the warnings
    with np.errstate(over="ignore", invalid="ignore"):
        # a whole-number column whose new fractions all come back whole under one factor, and
        # several of them: converted values, even when one of them piles up like a clip's bound
        lattice = _lattice_unit_change(a, b)
        if lattice is not None and lattice[3] >= 2:
            return _unit_signature(feature, lattice[0], 0.0, lattice[1], lattice[2])
        for found in (_clipping(a, b, feature), _default_flood(a, b, feature), _unit_change(a, b, feature)):
            if found is not None:
                return found
        return nulls or _shift_or_scale(a, b, feature)


def _share(sorted_values: np.ndarray, value: float) -> float:
    hits = np.searchsorted(sorted_values, value, "right") - np.searchsorted(sorted_values, value, "left")
    return float(hits) / sorted_values.size


def _clip_p_value(at_a: int, past_a: int, n_a: int, at_b: int, past_b: int, n_b: int) -> float:
    """The likelihood-ratio test (G, ``scipy.stats.chi2_contingency`` with
    ``lambda_="log-likelihood"``) that the rows short of, at and past a bound are spread alike
    in both windows, when the current rows piled on it and left the tail: a clip's whole
    evidence, not its pile alone (the caller checks the directions)."""
    from scipy import stats as _st

    table = np.array([[n_a - at_a - past_a, at_a, past_a], [n_b - at_b - past_b, at_b, past_b]], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0
    return float(_st.chi2_contingency(table, correction=False, lambda_="log-likelihood").pvalue)


def held_at_bound(k_a, n_a, k_b, n_b, pile, past_a=None, past_b=None):
    """Whether the share ``k/n`` of rows at or past a bound held between the windows: within a
    fifth of the pile (large windows, where any small move is significant) or within two
    standard errors (small ones, where a fifth of a pile of a few dozen rows is noise). With
    the rows strictly ``past`` it, a share that fell holds too when, among the rows at or
    past the bound, those past it fell to half their share or less: a cap on a segment whose
    stays also shortened by season (a flood raises the share; a shift thins the tail, it does
    not empty it onto one value). Numbers or arrays of them."""
    p_a, p_b = np.divide(k_a, n_a), np.divide(k_b, n_b)
    pooled = np.divide(np.add(k_a, k_b), np.add(n_a, n_b))
    se = np.sqrt(pooled * (1 - pooled) * (np.divide(1, n_a) + np.divide(1, n_b)))
    held = (np.abs(p_a - p_b) <= 0.2 * pile + 0.005) | ((se > 0) & (np.abs(p_a - p_b) <= 2 * se))
    if past_a is not None and past_b is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            emptied = (p_b < p_a) & (np.divide(past_b, k_b) <= 0.5 * np.divide(past_a, k_a))
        held = held | (emptied & (np.asarray(k_b) > 0) & (np.asarray(past_a) > 0))
    return held if np.ndim(held) else bool(held)


def _left_the_values(a: np.ndarray, kept_b: np.ndarray) -> bool:
    """Whether a column that takes few values (each held by five rows or more on average, in
    the sorted reference ``a``) moved off them: most of the current values a clip would have
    left untouched (``kept_b``) are values the reference never holds. A clip leaves them as
    they were; a shift of a gridded reading (bike temperatures in steps of 0.94 degrees, moved
    by 1.76) takes every one off the grid, and the first new value read as a pile.

    >>> steps = np.repeat(np.arange(0.0, 20.0, 0.94), 20)
    >>> _left_the_values(steps, steps[steps > 5] + 1.76), _left_the_values(steps, steps[steps > 5])
    (True, False)
    """
    if distinct_count_sorted(a) * 5 > a.size:       # continuous: no value repeats enough to tell
        return False
    at = np.clip(np.searchsorted(a, kept_b), 0, a.size - 1)     # a is sorted: membership by bisection
    return float(np.mean(a[at] == kept_b)) < 0.5


def _clipping(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    """Values past a bound piled on it, the others untouched: a new pile of mass at a value
    ``v`` inside the reference's range, the mass past ``v`` fell by about the pile (to
    nothing when every row is clipped, by the share clipped when only some are), and the
    values short of ``v`` follow the reference's. A default flooding in piles mass on one
    value too, but takes it from everywhere; a shifted zero-inflated column piles its zeros on
    a new minimum, but moves every other value too; and a clip takes a tail, not most of a
    column."""
    from mlwatch.stats.ecdf import ks_sorted

    bound, pile = rising_value(a, b)
    if pile < 0.01:
        return None
    for side in ("upper", "lower"):
        if side == "upper":
            past_a, past_b = a.size - np.searchsorted(a, bound, "right"), b.size - np.searchsorted(b, bound, "right")
            inside = bound < a[-1]
            kept_a, kept_b = a[a < bound], b[b < bound]
        else:
            past_a, past_b = np.searchsorted(a, bound, "left"), np.searchsorted(b, bound, "left")
            inside = bound > a[0]
            kept_a, kept_b = a[a > bound], b[b > bound]
        beyond_a, beyond_b = past_a / a.size, past_b / b.size
        fell = beyond_a - beyond_b
        if not (inside and 0.01 <= beyond_a <= 0.5 and fell >= 0.01):
            continue
        # the bound is the largest of many values' gains: the pile and the emptied tail
        # together must be far beyond chance (the tail alone tells a clip of a few dozen rows)
        if _clip_p_value(a.size - kept_a.size - past_a, past_a, a.size, b.size - kept_b.size - past_b, past_b,
                         b.size) > 1e-4:
            continue
        # a clip's pile comes all from past the bound, so the mass at or past it holds; a
        # flood's from everywhere, so that mass grows by pile x (share short of it) >= pile / 2
        if not held_at_bound(a.size - kept_a.size, a.size, b.size - kept_b.size, b.size, pile, past_a, past_b):
            continue
        if kept_a.size < 10 or kept_b.size < 10:
            continue
        if _left_the_values(a, kept_b):      # the rest moved off the reference's values: not a clip
            continue
        floor = 1.36 * np.sqrt(1 / kept_a.size + 1 / kept_b.size)
        if ks_sorted(kept_a, kept_b) > max(2 * floor, 0.05):      # the rest moved: not a clip
            continue
        clipped = fell / beyond_a
        rows = "" if clipped > 0.95 else f" in about {clipped:.0%} of the rows"
        article = "an" if side == "upper" else "a"
        # how well the pile matches the emptied tail (a season that also shortened the
        # segment's stays empties more than the cap piles)
        return Signature("clipping", float(min(fell, pile) / max(fell, pile, 1e-9)),
                         f"{feature} is clipped at {article} {side} bound of {bound:.6g}{rows}: the {fell:.1%} of values "
                         f"beyond it now sit on it", {"bound": float(bound), "side": side, "piled": pile,
                                                      "share_clipped": clipped})
    return None


def _default_flood(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    if b.size - distinct_count_sorted(b) + 1 < 0.05 * b.size:      # no value can hold 5 %
        return None
    # the value whose share rose most, not the mode: -1 written into 7 % of the bookings of a
    # column that is 0 in nine in ten
    value, _ = rising_value(a, b)
    share, was = _share(b, value), _share(a, value)
    if share - was < 0.05 or share < 2 * was or not _piled(a, b, value):
        return None
    typical = {"the reference mean": float(np.mean(a)), "the reference median": float(np.median(a))}
    named = next((name for name, v in typical.items() if np.isclose(value, v, rtol=1e-6, atol=1e-9)), None)
    if named is None and float(value) in {float(s) for s in SENTINELS}:
        named = "a sentinel"
    if named is None and share < 2 * mode_sorted(a)[1] / a.size:    # a coarse column's new common value
        return None
    if named is None and _neighbours_rose(a, b, value, share - was):
        return None        # the values around it rose too: a reweighted mix, not one value written in
    if _rest_moved_towards(a, b, value):
        return None        # the other values moved its way too: a mix tilted towards it
    what = f"{named} ({value:.6g})" if named else f"{value:.6g}"
    return Signature("default_flood", float(min(1.0, (share - was) / 0.2)),
                     f"{feature} is {what} in {share:.1%} of current rows (reference {was:.1%}): a default "
                     "or imputed value floods in", {"value": float(value), "share": share, "reference_share": was,
                                                    "named": named is not None})


def _piled(a: np.ndarray, b: np.ndarray, value: float, level: float = 1e-3) -> bool:
    """Whether ``value``'s current rows are more than the reference's share would give by
    chance (one-sided binomial at ``level``, the reference share smoothed by half a row): a
    pile, not 2 of the 10 values a null spike left (at 94, a value 2 % of the reference holds)."""
    from scipy import stats as _st

    k = int(np.count_nonzero(b == value))
    rate = (np.count_nonzero(a == value) + 0.5) / (a.size + 1)
    return float(_st.binom.sf(k - 1, b.size, rate)) < level


def _neighbours_rose(a: np.ndarray, b: np.ndarray, value: float, rise: float) -> bool:
    """Whether the values next to ``value`` (the nearest distinct reference values below and
    above it) rose by at least a third as much: a flood writes one value, a shift moves a range."""
    grid = np.unique(a)
    at = int(np.searchsorted(grid, value))
    neighbours = [grid[i] for i in (at - 1, at + 1 if at < grid.size and grid[at] == value else at)
                  if 0 <= i < grid.size and grid[i] != value]
    return any(_share(b, v) - _share(a, v) >= rise / 3 for v in neighbours)


def _rest_moved_towards(a: np.ndarray, b: np.ndarray, value: float, level: float = 1e-3) -> bool:
    """Whether the values other than ``value`` moved towards it (one-sided Mann-Whitney at
    ``level``): a flood writes one value into rows drawn from everywhere and leaves the rest
    as it was; a mix tilted towards the top of a range raises the top value most and moves
    everything below it too. A value at the reference median has no side to move towards."""
    from scipy import stats as _st

    centre = float(np.median(a))
    rest_a, rest_b = a[a != value], b[b != value]
    if value == centre or min(rest_a.size, rest_b.size) < 20:
        return False
    side = "greater" if value > centre else "less"
    return float(_st.mannwhitneyu(rest_b, rest_a, alternative=side).pvalue) < level


def _unit_change(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    lattice = _lattice_unit_change(a, b)
    if lattice is not None:
        return _unit_signature(feature, lattice[0], 0.0, lattice[1], lattice[2])
    return _mixture_unit_change(a, b, feature)


def _conversions() -> list[tuple[float, float, str]]:
    out = []
    for f0, what in UNIT_FACTORS.items():
        out += [(f0, 0.0, what), (1 / f0, 0.0, what)]
    return out + list(AFFINE_UNITS)


def _unit_signature(feature: str, factor: float, offset: float, share: float, explained: float) -> Signature:
    rows = "every row" if share > 0.95 else f"about {share:.0%} of rows" if share >= 0.01 else f"{share:.1%} of rows"
    if offset:
        what = next(w for f, o, w in AFFINE_UNITS if np.isclose(f, factor) and np.isclose(o, offset))
        sign = "+" if offset > 0 else "-"
        sentence = (f"{feature} looks converted from {what} (x {factor:.4g} {sign} {abs(offset):.6g}) in {rows}: "
                    "a change of unit upstream")
    else:
        f0 = factor if factor > 1 else 1 / factor
        f0 = min(UNIT_FACTORS, key=lambda known: abs(known - f0))        # 1 / (1 / 3.6) is 3.5999...
        direction = "multiplied" if factor > 1 else "divided"
        sentence = f"{feature} looks {direction} by {f0:.6g} in {rows} ({UNIT_FACTORS[f0]}): a change of unit upstream"
    return Signature("unit_change", float(explained), sentence,
                     {"factor": float(factor), "offset": float(offset), "share": float(share),
                      "explained": float(explained)})


def off_grid_unit_change(reference, current, *, feature: str = "the feature", min_fractions: int = 2) -> Signature | None:
    """The unit change that took a few values off the grid the reference lies on, read from
    those values alone, or None: :func:`numeric_signature` asks for ten of them and half a
    percent of the rows before it reads a conversion there, lest chance fractions pass for
    one; a caller that has already shown the fractions are no chance (a scan of segments,
    :func:`mlwatch.steps.frozen.off_grid_segments`) can ask for as few as ``min_fractions``.

    >>> waits = np.r_[np.zeros(600), np.arange(1.0, 41.0)]         # ten of 640 values sent in hours
    >>> late = np.r_[np.zeros(600), np.where(np.arange(40) % 4 == 0, np.arange(1.0, 41.0) / 60, np.arange(1.0, 41.0))]
    >>> off_grid_unit_change(waits, late, feature="waiting days").evidence["factor"] * 60
    1.0
    >>> off_grid_unit_change(waits, np.r_[np.zeros(600), np.arange(1.0, 41.0) + 0.5]) is None     # no factor fits
    True
    """
    a, _ = finite_sorted(_series(reference))
    b, _ = finite_sorted(_series(current))
    with np.errstate(over="ignore", invalid="ignore"):
        lattice = _lattice_unit_change(a, b, min_fractions=min_fractions)
    if lattice is None or lattice[3] < min(2, min_fractions):
        return None
    return _unit_signature(feature, lattice[0], 0.0, lattice[1], lattice[2])


def _lattice_unit_change(a: np.ndarray, b: np.ndarray, *,
                         min_fractions: int | None = None) -> tuple[float, float, float, int] | None:
    """Unit changes of a column on a grid (whole numbers, or hundredths of an inch of rain:
    :func:`~mlwatch.stats.quality.grid_step`) read from the values themselves, counted in
    steps of the grid: divided by ``f``, whole numbers turn into fractions that ``f`` brings
    back to whole numbers; multiplied by ``f``, multiples of ``f`` become far more common
    than they were, and divided by ``f`` they follow the reference again. Robust to whatever
    else drifted. The factor, the share of rows converted, 1.0 (the share of the drift it
    explains) and how many distinct values came off the grid."""
    if a.size < 20 or b.size < 20:
        return None
    step = lattice_step(a)
    if step is None:
        return None
    a, b = on_grid_steps(a, step), on_grid_steps(b, step)
    whole = b == np.round(b)
    fractional = b[~whole]
    from mlwatch.stats.ecdf import ks_sorted

    if fractional.size >= (max(0.005 * b.size, 10) if min_fractions is None else max(min_fractions, 1)):
        fits = []
        for f0 in UNIT_FACTORS:
            for factor, back in ((1 / f0, fractional * f0), (f0, fractional / f0)):
                # converted values come back whole, and inside the reference's range: fractions
                # below it are new values (a visibility of half a mile in the first fog of
                # autumn, where summer read 5 to 10 miles), no conversion of old ones
                inside = np.mean((back >= a[0] - 1e-9) & (back <= a[-1] + 1e-9))
                if np.mean(np.abs(back - np.round(back)) <= 1e-7 + 1e-12 * np.abs(back)) >= 0.9 and inside >= 0.9:
                    # several factors can make whole numbers (x 1.609344 is whole again x 10^6):
                    # the right one brings the values back to the reference distribution, that
                    # of the reference values it turns into fractions (zeros stay whole: counts
                    # sent as thousands show only where they were not zero)
                    mapped = a * factor
                    shown = a[np.abs(mapped - np.round(mapped)) > 1e-7 + 1e-12 * np.abs(mapped)]
                    fits.append((ks_sorted(shown if shown.size >= 10 else a, np.sort(back)), factor, f0))
        if not fits:
            return None
        distance, factor, f0 = min(fits)
        if distance > 0.5:      # even the best factor does not bring the values back near the reference
            return None
        # rows whose original value the factor keeps whole do not show: correct the share
        stays_whole = float(np.mean(np.mod(a, f0) == 0)) if factor < 1 and float(f0).is_integer() else 0.0
        share = min(1.0, fractional.size / b.size / max(1 - stays_whole, 1e-9))
        return factor, share, 1.0, distinct_count_sorted(fractional)
    nonzero_a, nonzero_b = a[a != 0], b[b != 0]          # sorted, as a and b are
    fits = []
    for f0 in (f for f in UNIT_FACTORS if float(f).is_integer()):
        k_a, k_b = int(np.sum(np.mod(nonzero_a, f0) == 0)), int(np.sum(np.mod(nonzero_b, f0) == 0))
        now, was = k_b / b.size, k_a / a.size
        if now - was < max(0.01, 10 / b.size) or now < 3 * was:
            # or few rows but unmistakable: a column that is 0 in most rows (waiting days) shows a
            # conversion only in its other values, most of them multiples of the factor now
            rare = (k_b >= 10 and k_b >= 0.5 * nonzero_b.size and k_b / nonzero_b.size >= 3 * k_a / max(nonzero_a.size, 1)
                    and increase_p_value(k_a, nonzero_a.size, k_b, nonzero_b.size) < 1e-6)
            if not rare:
                continue
        multiples = nonzero_b[np.mod(nonzero_b, f0) == 0] / f0
        if not nonzero_a.size:
            continue
        distance = ks_sorted(nonzero_a, multiples)
        if _same_values(nonzero_a, multiples, distance):           # the same values, rescaled
            fits.append((distance, float(f0), min(1.0, (now - was) / max(1 - was, 1e-9))))
    if not fits:
        return None
    # values x 60 are multiples of 12 and 24 too: the factor whose multiples, divided by it, are
    # closest to the reference's own values
    _, factor, share = min(fits)
    return factor, share, 1.0, 0


def _same_values(a: np.ndarray, b: np.ndarray, distance: float) -> bool:
    """Whether two sorted samples, ``distance`` apart (KS), read as one distribution: under
    0.15, or, for a few dozen values whose distance noise alone can take past it, no
    rejection at 5 %."""
    from scipy import stats as _st

    return distance < 0.15 or float(_st.ks_2samp(a, b).pvalue) >= 0.05


def _thin(sorted_values: np.ndarray, size: int = 20_000) -> np.ndarray:
    """At most ``size`` evenly spaced order statistics (the same distribution, fewer rows)."""
    if sorted_values.size <= size:
        return sorted_values
    return sorted_values[np.linspace(0, sorted_values.size - 1, size).round().astype(np.int64)]


def _mixture_fit(a: np.ndarray, b: np.ndarray, converted: np.ndarray, bins: int = 64):
    """EM fit of the current values ``b`` as ``(1 - pi) F + pi F_T`` on shared quantile bins:
    pi, the share of the drift's likelihood ratio explained beyond noise, and its gain."""
    from mlwatch.stats.binning import counts_in_bins

    pooled = np.concatenate([a, converted, b])
    edges = np.unique(np.quantile(pooled, np.linspace(0, 1, bins + 1)[1:-1]))
    h0 = counts_in_bins(a, edges) + 0.5
    h1 = counts_in_bins(np.sort(converted), edges) + 0.5
    c = counts_in_bins(b, edges).astype(float)
    p0, p1 = h0 / h0.sum(), h1 / h1.sum()
    pi = _em_share(c, p0, p1)
    mix = (1 - pi) * p0 + pi * p1
    observed = np.where(c > 0, c / c.sum(), 1.0)
    g0 = 2 * float(np.sum(c * np.log(observed / p0)))          # the drift: current against reference
    g1 = 2 * float(np.sum(c * np.log(observed / mix)))         # what the mixture leaves
    # the drift's expectation under no change: (B - 1) for the current's sampling, as much
    # again times m / n for the reference's
    noise = max(edges.size, 1) * (1 + b.size / a.size)
    explained = (g0 - g1) / (g0 - noise) if g0 > noise else 0.0
    return pi, float(min(explained, 1.0)), g0 - g1


def _mixture_unit_change(a: np.ndarray, b: np.ndarray, feature: str, *, margin: float = 3.0) -> Signature | None:
    """The conversion that explains the drift (see the module docstring). Each conversion
    is screened on bins that resolve both it and the data (it must explain 80 % of the
    drift); those that pass are compared by their mixture likelihood on common bins (the
    current's quantiles), and the best must be *identified*: more likely than any other by
    a factor ``exp(margin)`` (two maps that move the zeros of a mostly-zero column to about
    the same far place explain a few tail values equally, and name nothing)."""
    a, b = _thin(a), _thin(b)
    screened = []
    for factor, offset, _ in _conversions():
        pi, explained, gain = _mixture_fit(a, b, a * factor + offset)
        if pi * b.size >= 10 and pi >= 0.002 and gain >= 30 and explained >= 0.8:
            screened.append((factor, offset, explained))
    if not screened:
        return None
    edges = np.unique(np.quantile(b, np.linspace(0, 1, 101)[1:-1]))
    scored = sorted(((_mixture_likelihood(a, b, a * f + o, edges), f, o, e) for f, o, e in screened), reverse=True)
    (likelihood, factor, offset, explained), rest = scored[0], scored[1:]
    if rest and likelihood - rest[0][0] < margin:
        return None
    # the plain alternative: every value moved by a free location and scale (a shift, a
    # stretch). If it explains the current values as well, the change is a shift, unless
    # the fitted map *is* the conversion (a whole column converted)
    free = _free_affine(a, b)
    # the conversion was picked among 32 (and with its share): it must beat the plain map clearly
    if free is not None and _mixture_likelihood(a, b, a * free[0] + free[1], edges) > likelihood - FREE_MARGIN:
        if not _same_map(free, (factor, offset), a):
            return None
    pi = _mixture_fit(a, b, a * factor + offset)[0]
    return _unit_signature(feature, factor, offset, pi, explained)


def _free_affine(a: np.ndarray, b: np.ndarray) -> tuple[float, float] | None:
    """The map ``x -> s x + t`` that carries the reference's quantiles (5 % to 95 %) onto the
    current's, by least squares; None when the reference's quantiles are all one value."""
    levels = np.linspace(0.05, 0.95, 19)
    qa, qb = np.quantile(a, levels), np.quantile(b, levels)
    if np.ptp(qa) == 0:
        return None
    scale, location = np.polyfit(qa, qb, 1)
    return (float(scale), float(location)) if scale > 0 else None


def _same_map(fitted: tuple[float, float], conversion: tuple[float, float], a: np.ndarray,
              tolerance: float = 0.03) -> bool:
    """Whether two affine maps move the reference's typical values to within ``tolerance``
    of its interquartile range (or of the values themselves) of each other."""
    qa = np.quantile(a, [0.1, 0.5, 0.9])
    spread = max(float(np.subtract(*np.quantile(a, [0.75, 0.25]))), float(np.median(np.abs(a))), 1e-12)
    f1, o1 = fitted
    f2, o2 = conversion
    return bool(np.all(np.abs((f1 * qa + o1) - (f2 * qa + o2)) <= tolerance * spread * max(f2, 1.0)))


def _mixture_likelihood(a: np.ndarray, b: np.ndarray, converted: np.ndarray, edges: np.ndarray) -> float:
    """Log-likelihood of the current values binned on ``edges`` under the EM-fitted mixture."""
    from mlwatch.stats.binning import counts_in_bins

    h0 = counts_in_bins(a, edges) + 0.5
    h1 = counts_in_bins(np.sort(converted), edges) + 0.5
    c = counts_in_bins(b, edges).astype(float)
    p0, p1 = h0 / h0.sum(), h1 / h1.sum()
    pi = _em_share(c, p0, p1)
    return float(np.sum(c * np.log((1 - pi) * p0 + pi * p1)))


def _em_share(counts: np.ndarray, p0: np.ndarray, p1: np.ndarray, iterations: int = 200) -> float:
    """The maximum-likelihood share ``pi`` of the binned mixture ``(1 - pi) p0 + pi p1`` (EM)."""
    pi = 0.1
    for _ in range(iterations):
        new = float(np.sum(counts * pi * p1 / ((1 - pi) * p0 + pi * p1)) / counts.sum())
        if abs(new - pi) < 1e-7:
            return new
        pi = new
    return pi


def stuck_signature(reference, reference_times, current, current_times, *, feature: str = "the feature",
                    min_rows: int = 10, label=None) -> Signature | None:
    """A value frozen for a period: the longest run of one value in time order in the current
    window spans at least twice the longest span over which the reference held a value, and
    holds ``min_rows`` rows. ``*_times`` are numbers on the time axis (seconds for dates);
    ``label`` writes one as text in the sentence.

    >>> t = np.arange(500.0)
    >>> values = np.sin(t / 7)
    >>> frozen = np.where((t >= 200) & (t < 260), values[200], values)
    >>> found = stuck_signature(values, t, frozen, t, feature="temp")
    >>> found.name, found.evidence["start"], found.evidence["end"], found.evidence["rows"]
    ('stuck', 200.0, 259.0, 60)
    >>> stuck_signature(values, t, values, t) is None
    True
    """
    ref_span = _runs(np.asarray(reference, dtype=float), np.asarray(reference_times, dtype=float))
    runs = _runs(np.asarray(current, dtype=float), np.asarray(current_times, dtype=float), detail=True)
    if ref_span is None or runs is None:
        return None
    spans, counts, values, starts, ends = runs
    eligible = counts >= min_rows
    if not eligible.any():
        return None
    best = int(np.argmax(np.where(eligible, spans, -np.inf)))
    if spans[best] <= 0 or spans[best] < 2 * ref_span[0]:
        return None
    value, rows = float(values[best]), int(counts[best])
    # a default written into part of the rows makes runs too, but most of its rows lie
    # outside the longest one; a frozen reading holds its rows together
    a, b = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    outside = float(np.sum(b == value)) - rows - float(np.mean(a == value)) * (b.size - rows)
    if outside > rows:
        return None
    write = label or (lambda t: f"{t:g}")
    return Signature("stuck", float(min(1.0, spans[best] / max(4 * ref_span[0], 1e-12))),
                     f"{feature} is frozen at {value:.6g} over {rows:,} rows in a row, from {write(starts[best])} to "
                     f"{write(ends[best])}: a stuck sensor or a cached feed",
                     {"value": value, "rows": rows, "start": float(starts[best]), "end": float(ends[best]),
                      "reference_longest": float(ref_span[0])})


def _runs(values: np.ndarray, times: np.ndarray, *, detail: bool = False):
    """Runs of one value in time order (NaN breaks a run): the longest span, or with
    ``detail`` every run's span, rows, value, start and end time."""
    if values.size < 2:
        return None
    order = np.argsort(times, kind="stable")
    v, t = values[order], times[order]
    same = (v[1:] == v[:-1]) & np.isfinite(v[1:])
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    ends = np.append(starts[1:], v.size) - 1
    spans = t[ends] - t[starts]
    if not detail:
        return (float(spans.max()),)
    return spans, ends - starts + 1, v[starts], t[starts], t[ends]


def _shift_or_scale(a: np.ndarray, b: np.ndarray, feature: str) -> Signature:
    sd = float(np.std(a)) or 1.0
    location = (float(np.median(b)) - float(np.median(a))) / sd
    iqr_a = float(np.subtract(*np.quantile(a, [0.75, 0.25])))
    iqr_b = float(np.subtract(*np.quantile(b, [0.75, 0.25])))
    spread = np.log(iqr_b / iqr_a) if iqr_a > 0 and iqr_b > 0 else 0.0
    centre, at = "median", (float(np.median(a)), float(np.median(b)))
    if abs(location) < 0.1 and min(iqr_a, iqr_b) == 0:
        # a column resting on one value (no rain on most hours) keeps its median and quartiles
        # there however its other values move: its mean tells where it went
        centre, at = "mean", (float(np.mean(a)), float(np.mean(b)))
        location = (at[1] - at[0]) / sd
    if abs(location) >= 0.1 and abs(location) >= abs(spread):
        way = "up" if location > 0 else "down"
        return Signature("shift", float(min(1.0, abs(location))),
                         f"{feature} moved {way} by {abs(location):.2f} reference standard deviations ({centre} "
                         f"{at[0]:.4g} -> {at[1]:.4g})", {"location": location})
    if abs(spread) >= np.log(1.15):
        way = "wider" if spread > 0 else "narrower"
        return Signature("scale", float(min(1.0, abs(spread) / np.log(2))),
                         f"{feature} got {way}: its interquartile range went {iqr_a:.4g} -> {iqr_b:.4g}",
                         {"iqr_ratio": float(np.exp(spread))})
    return NONE


# --------------------------------------------------------------- categorical

def categorical_signature(reference: pl.Series, current: pl.Series, *, feature: str = "the feature") -> Signature:
    """The signature of a categorical feature's change (see the module docstring)."""
    nulls = _null_spike(reference, current, feature)
    ref = _counts(reference)
    cur = _counts(current)
    n, m = sum(ref.values()), sum(cur.values())
    if n == 0 or m == 0 or _mostly_null(nulls):
        return nulls or NONE
    value = next(iter(cur))
    if len(cur) == 1 and len(ref) > 1 and m >= 10 and _beyond_chance(ref.get(value, 0), n, m):
        return Signature("constant", 1.0, f"{feature} is {value!r} in every current row (stale values?)",
                         {"value": value})
    new = sum(v for k, v in cur.items() if k not in ref) / m
    lost = sum(v for k, v in ref.items() if k not in cur) / n
    for found in (_permutation(ref, cur, n, m, new, lost, feature), _label_flood(ref, cur, n, m, feature)):
        if found is not None:
            return found
    if nulls is not None:
        return nulls
    if new >= 0.05 and new >= lost:
        names = sorted((k for k in cur if k not in ref), key=lambda k: -cur[k])[:5]
        return Signature("new_category", float(min(1.0, new / 0.2)),
                         f"{new:.1%} of current rows of {feature} carry categories the reference never saw "
                         f"({', '.join(map(repr, names))})", {"share": new, "categories": names})
    if lost >= 0.05:
        names = sorted((k for k in ref if k not in cur), key=lambda k: -ref[k])[:5]
        return Signature("missing_category", float(min(1.0, lost / 0.2)),
                         f"{feature} lost categories that held {lost:.1%} of reference rows "
                         f"({', '.join(map(repr, names))})", {"share": lost, "categories": names})
    psi = _psi(ref, cur, n, m, list(ref))
    if psi >= 0.1:
        moved = max(ref, key=lambda k: abs(cur.get(k, 0) / m - ref[k] / n))
        return Signature("shift", float(min(1.0, psi)),
                         f"the mix of {feature} moved (PSI {psi:.2f}); most of all {moved!r}: "
                         f"{ref[moved] / n:.1%} -> {cur.get(moved, 0) / m:.1%}", {"psi": psi})
    return NONE


def _counts(series: pl.Series) -> dict:
    counted = series.drop_nulls().cast(pl.String).value_counts().sort(series.name)    # a stable order for ties
    return dict(zip(counted[counted.columns[0]].to_list(), counted["count"].to_list()))


def _psi(ref: dict, cur: dict, n: int, m: int, labels: list) -> float:
    p = np.array([max(ref.get(k, 0), 0.5) / n for k in labels])
    q = np.array([max(cur.get(k, 0), 0.5) / m for k in labels])
    return float(np.sum((q - p) * np.log(q / p)))


def _permutation(ref: dict, cur: dict, n: int, m: int, new: float, lost: float, feature: str) -> Signature | None:
    """Labels re-mapped: the labels whose share moved beyond noise (seen on both sides or on
    one only: in a small segment a code can be absent from one window by chance, and a
    rename is a re-mapping too), matched by the rank of their shares, explain the moves:
    each moved share reappears under its new label."""
    labels = list(dict.fromkeys([*ref, *cur]))
    if len(labels) < 2:
        return None
    moved = []
    for k in labels:
        a, b = ref.get(k, 0), cur.get(k, 0)
        p = (a + b) / (n + m)
        if abs(b / m - a / n) > 3 * np.sqrt(p * (1 - p) * (1 / n + 1 / m)):
            moved.append(k)
    if len(moved) < 2:
        return None
    by_ref = sorted(moved, key=lambda k: -ref.get(k, 0))
    by_cur = sorted(moved, key=lambda k: -cur.get(k, 0))
    mapping = {old: new_label for old, new_label in zip(by_ref, by_cur) if old != new_label}
    as_mapped = sum(abs(ref.get(old, 0) / n - cur.get(new_label, 0) / m) for old, new_label in zip(by_ref, by_cur))
    as_labelled = sum(abs(ref.get(k, 0) / n - cur.get(k, 0) / m) for k in moved)
    # material as the audit counts it: at least 5 % of the rows now carry another label
    if not mapping or as_mapped > 0.25 * as_labelled or as_labelled / 2 < 0.05:
        return None
    # a code one window lacks is renamed, not swapped: it pairs with a code the other window
    # lacks (a -> new, new -> a); in a longer cycle the new code is new rows' (a new category
    # in part of the rows thins the old ones, whose shares then match others' by rank)
    if any((ref.get(new_label, 0) == 0 or cur.get(old, 0) == 0) and mapping.get(new_label) != old
           for old, new_label in mapping.items()):
        return None
    # and the shares themselves did not move, only their labels: the sorted profile of every
    # label's share holds (a mix that favours one category reorders the labels too, but
    # changes the profile as much as the labelled shares)
    sorted_ref = np.sort([ref.get(k, 0) / n for k in labels])
    sorted_cur = np.sort([cur.get(k, 0) / m for k in labels])
    labelled = sum(abs(ref.get(k, 0) / n - cur.get(k, 0) / m) for k in labels)
    pooled = np.array([(ref.get(k, 0) + cur.get(k, 0)) / (n + m) for k in labels])
    noise = float(np.sqrt(2 / np.pi) * np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m)).sum())
    if np.abs(sorted_cur - sorted_ref).sum() > max(0.1 * labelled, 3 * noise):
        return None
    # a mix that favours one label fits as well: the labels the re-mapping leaves alone tell the
    # two apart (they hold their shares under it, and all shrink or grow alike under the mix)
    # when the mix moves them beyond noise (two-sided, as three standard deviations would);
    # two labels, or bystanders too rare, cannot. Their counts are small in a segment (19 of 413
    # bookings, then none of 276 once a new code took 96 % of the rows): an exact test, where a
    # normal approximation at three standard deviations misses it
    misfit, _ = _one_share_moved(ref, cur, n, m, labels)
    still = [k for k in labels if k not in mapping and k not in mapping.values()]
    before, now = sum(ref.get(k, 0) for k in still), sum(cur.get(k, 0) for k in still)
    visible = 2 * min(increase_p_value(before, n, now, m), increase_p_value(now, m, before, n)) < BYSTANDERS_P
    if visible and misfit <= as_mapped + (labelled - as_labelled):
        return None
    swaps = ", ".join(f"{old!r} -> {new_label!r}" for old, new_label in list(mapping.items())[:6])
    return Signature("encoding_permutation", float(1 - as_mapped / as_labelled),
                     f"{feature}'s categories kept their frequencies but swapped labels ({swaps}): "
                     "the encoding was re-mapped upstream", {"mapping": mapping, "psi": _psi(ref, cur, n, m, moved)})


def _one_share_moved(ref: dict, cur: dict, n: int, m: int, labels: list) -> tuple[float, float]:
    """How far the current shares are from the reference's with one label's share moved and
    every other label scaled alike (the mix favouring one category: a campaign in one country),
    in total variation times two, for the label that fits best, and that fit's common factor.
    A re-mapping that explains the change no better than this is a mix that reordered the
    labels, not a re-mapping.

    >>> misfit, scale = _one_share_moved({"a": 50, "b": 30, "c": 20}, {"a": 25, "b": 45, "c": 30}, 100, 100,
    ...                                  ["a", "b", "c"])
    >>> round(misfit, 3), round(scale, 3)
    (0.0, 1.5)
    """
    p = np.array([ref.get(k, 0) / n for k in labels])
    q = np.array([cur.get(k, 0) / m for k in labels])
    scale = (1 - q) / np.maximum(1 - p, 1e-12)                 # the others' common factor, one a label
    residual = np.abs(q[None, :] - scale[:, None] * p[None, :])
    residual[np.arange(len(labels)), np.arange(len(labels))] = 0.0
    best = int(np.argmin(residual.sum(axis=1)))
    return float(residual[best].sum()), float(scale[best])


def _label_flood(ref: dict, cur: dict, n: int, m: int, feature: str) -> Signature | None:
    value = max(cur, key=lambda k: cur[k] / m - ref.get(k, 0) / n)
    share, was = cur[value] / m, ref.get(value, 0) / n
    looks_default = str(value).strip().lower() in DEFAULT_LABELS or was < 0.01
    if share - was >= 0.05 and share >= 2 * was and looks_default and value in ref:
        return Signature("default_flood", float(min(1.0, (share - was) / 0.2)),
                         f"{feature} is {value!r} in {share:.1%} of current rows (reference {was:.1%}): a default "
                         "label floods in", {"value": value, "share": share, "reference_share": was})
    return None
