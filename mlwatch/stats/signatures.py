"""Drift signatures: from "feature X drifted" to a named hypothesis of what happened to it.

Each test returns a :class:`Signature` (name, confidence in [0, 1], a sentence, the
evidence). Pipeline faults (``unit_change``, ``encoding_permutation``, ``constant``,
``clipping``, ``default_flood``) mean training-serving skew: fix the pipeline, do not
retrain. The others describe the data: ``null_spike``, ``new_category``,
``missing_category``, ``shift`` (the location moved), ``scale`` (the spread changed).

How each is recognised:

* **unit_change**: for a whole-number column, from the values themselves (divided by a
  unit factor, whole numbers become fractions the factor turns back into whole numbers;
  multiplied, multiples of the factor become common). Otherwise the current
  distribution is fitted as the mixture
  ``(1 - pi) F(x) + pi F(x / f)`` of the reference CDF ``F`` and the reference rescaled by a
  unit factor ``f`` (10^k, 12, 24, 60, 3600, 2.54, 1.609, 2.2046, 3.2808, 3.6, 7 and
  their inverses), ``pi`` by least squares on a grid of current quantiles. It is named
  when some ``f`` explains at least 80 % of the gap between the two CDFs, so a change of
  unit in part of the rows is found too, and a plain shift is not taken for one.
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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from mlwatch.errors import check_choice
from mlwatch.stats.drift import finite_sorted
from mlwatch.stats.quality import DEFAULT_LABELS, SENTINELS, distinct_count_sorted, increase_p_value, mode_sorted

SIGNATURES = ("shift", "scale", "unit_change", "null_spike", "new_category", "missing_category",
              "encoding_permutation", "constant", "clipping", "default_flood")
PIPELINE = ("unit_change", "encoding_permutation", "constant", "clipping", "default_flood")
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
    if a.size < 2 or b.size < 2:
        return nulls or NONE
    distinct_a, distinct_b = distinct_count_sorted(a), distinct_count_sorted(b)
    if distinct_b == 1 and distinct_a > 1 and b.size >= 10:
        return Signature("constant", 1.0, f"{feature} is frozen at {b[0]:.6g} in every current row (stale values?)",
                         {"value": float(b[0])})
    for found in (_clipping(a, b, feature), _default_flood(a, b, feature), _unit_change(a, b, feature)):
        if found is not None:
            return found
    return nulls or _shift_or_scale(a, b, feature)


def _share(sorted_values: np.ndarray, value: float) -> float:
    hits = np.searchsorted(sorted_values, value, "right") - np.searchsorted(sorted_values, value, "left")
    return float(hits) / sorted_values.size


def _clipping(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    for side, bound in (("upper", b[-1]), ("lower", b[0])):
        piled = _share(b, bound)
        if side == "upper":
            beyond = float(np.mean(a > bound))      # reference mass past the new bound
            inside = bound < a[-1]
        else:
            beyond = float(np.mean(a < bound))
            inside = bound > a[0]
        was = _share(a, bound)
        if inside and beyond >= 0.01 and piled - was >= 0.01 and abs(piled - was - beyond) <= 0.5 * beyond + 0.01:
            return Signature("clipping", float(min(1.0, 1 - abs(piled - was - beyond) / max(beyond, 1e-9))),
                             f"{feature} is clipped at an {side} bound of {bound:.6g}: the {beyond:.1%} of reference "
                             f"values beyond it now sit on it", {"bound": float(bound), "side": side, "piled": piled})
    return None


def _default_flood(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    if b.size - distinct_count_sorted(b) + 1 < 0.05 * b.size:      # no value can hold 5 %
        return None
    value, count = mode_sorted(b)
    share, was = count / b.size, _share(a, value)
    if share - was < 0.05 or share < 2 * was:
        return None
    typical = {"the reference mean": float(np.mean(a)), "the reference median": float(np.median(a))}
    named = next((name for name, v in typical.items() if np.isclose(value, v, rtol=1e-6, atol=1e-9)), None)
    if named is None and float(value) in {float(s) for s in SENTINELS}:
        named = "a sentinel"
    if named is None and share < 2 * mode_sorted(a)[1] / a.size:    # a coarse column's new common value
        return None
    what = f"{named} ({value:.6g})" if named else f"{value:.6g}"
    return Signature("default_flood", float(min(1.0, (share - was) / 0.2)),
                     f"{feature} is {what} in {share:.1%} of current rows (reference {was:.1%}): a default "
                     "or imputed value floods in", {"value": float(value), "share": share, "reference_share": was})


def _unit_change(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    lattice = _lattice_unit_change(a, b)
    if lattice is not None:
        return _unit_signature(feature, *lattice)
    return _mixture_unit_change(a, b, feature)


def _unit_signature(feature: str, factor: float, share: float, explained: float) -> Signature:
    f0 = factor if factor > 1 else 1 / factor
    direction = "multiplied" if factor > 1 else "divided"
    rows = "every row" if share > 0.95 else f"about {share:.0%} of rows"
    return Signature("unit_change", float(explained),
                     f"{feature} looks {direction} by {f0:.6g} in {rows} ({UNIT_FACTORS[f0]}): a change of unit upstream",
                     {"factor": float(factor), "share": float(share), "explained": float(explained)})


def _lattice_unit_change(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float] | None:
    """Unit changes of a whole-number column read from the values themselves: divided by
    ``f``, whole numbers turn into fractions that ``f`` brings back to whole numbers;
    multiplied by ``f``, multiples of ``f`` become far more common than they were, and
    divided by ``f`` they follow the reference again. Robust to whatever else drifted."""
    if a.size < 20 or b.size < 20 or np.mean(a == np.round(a)) < 0.99:
        return None
    whole = b == np.round(b)
    fractional = b[~whole]
    from mlwatch.stats.ecdf import ks_sorted

    if fractional.size >= 0.05 * b.size:
        fits = []
        for f0 in UNIT_FACTORS:
            for factor, back in ((1 / f0, fractional * f0), (f0, fractional / f0)):
                if np.mean(np.abs(back - np.round(back)) <= 1e-7 + 1e-12 * np.abs(back)) >= 0.9:
                    # several factors can make whole numbers (x 1.609344 is whole again x 10^6):
                    # the right one brings the values back to the reference distribution
                    fits.append((ks_sorted(a, np.sort(back)), factor, f0))
        if not fits:
            return None
        distance, factor, f0 = min(fits)
        if distance > 0.5:      # even the best factor does not bring the values back near the reference
            return None
        # rows whose original value the factor keeps whole do not show: correct the share
        stays_whole = float(np.mean(np.mod(a, f0) == 0)) if factor < 1 and float(f0).is_integer() else 0.0
        share = min(1.0, fractional.size / b.size / max(1 - stays_whole, 1e-9))
        return factor, share, 1.0
    for f0 in (f for f in UNIT_FACTORS if float(f).is_integer()):
        now = float(np.mean((np.mod(b, f0) == 0) & (b != 0)))
        was = float(np.mean((np.mod(a, f0) == 0) & (a != 0)))
        if now - was < 0.05 or now < 3 * was:
            continue
        multiples = np.sort(b[(np.mod(b, f0) == 0) & (b != 0)] / f0)
        nonzero = np.sort(a[a != 0])
        if nonzero.size and ks_sorted(nonzero, multiples) < 0.15:       # the same values, rescaled
            return float(f0), min(1.0, (now - was) / max(1 - was, 1e-9)), 1.0
    return None


def _mixture_unit_change(a: np.ndarray, b: np.ndarray, feature: str) -> Signature | None:
    levels = np.linspace(0.005, 0.995, 199)
    grid = np.quantile(b, levels)
    current_cdf = np.searchsorted(b, grid, "right") / b.size
    ref_cdf = np.searchsorted(a, grid, "right") / a.size
    gap = current_cdf - ref_cdf
    base = float(np.max(np.abs(gap)))
    floor = 1.36 * np.sqrt(1 / a.size + 1 / b.size)                 # KS at 95 %
    if base < max(2 * floor, 0.05):
        return None
    best = None
    for factor in (f for f0 in UNIT_FACTORS for f in (f0, 1 / f0)):
        scaled = grid / factor
        scaled = scaled + 1e-9 * np.maximum(np.abs(scaled), 1e-12)     # an atom rescaled lands on itself
        moved = np.searchsorted(a, scaled, "right") / a.size - ref_cdf
        norm = float(np.dot(moved, moved))
        if norm == 0:
            continue
        share = float(np.clip(np.dot(gap, moved) / norm, 0.0, 1.0))
        residual = float(np.max(np.abs(gap - share * moved)))
        if best is None or residual < best[2]:
            best = (factor, share, residual)
    factor, share, residual = best
    explained = 1 - residual / base
    if share < 0.05 or explained < 0.8 or residual > max(3 * floor, 0.05):
        return None
    return _unit_signature(feature, factor, share, explained)


def _shift_or_scale(a: np.ndarray, b: np.ndarray, feature: str) -> Signature:
    sd = float(np.std(a)) or 1.0
    location = (float(np.median(b)) - float(np.median(a))) / sd
    iqr_a = float(np.subtract(*np.quantile(a, [0.75, 0.25])))
    iqr_b = float(np.subtract(*np.quantile(b, [0.75, 0.25])))
    spread = np.log(iqr_b / iqr_a) if iqr_a > 0 and iqr_b > 0 else 0.0
    if abs(location) >= 0.1 and abs(location) >= abs(spread):
        way = "up" if location > 0 else "down"
        return Signature("shift", float(min(1.0, abs(location))),
                         f"{feature} moved {way} by {abs(location):.2f} reference standard deviations (median "
                         f"{np.median(a):.4g} -> {np.median(b):.4g})", {"location": location})
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
    if n == 0 or m == 0:
        return nulls or NONE
    if len(cur) == 1 and len(ref) > 1 and m >= 10:
        value = next(iter(cur))
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
    counted = series.drop_nulls().cast(pl.String).value_counts()
    return dict(zip(counted[counted.columns[0]].to_list(), counted["count"].to_list()))


def _psi(ref: dict, cur: dict, n: int, m: int, labels: list) -> float:
    p = np.array([max(ref.get(k, 0), 0.5) / n for k in labels])
    q = np.array([max(cur.get(k, 0), 0.5) / m for k in labels])
    return float(np.sum((q - p) * np.log(q / p)))


def _permutation(ref: dict, cur: dict, n: int, m: int, new: float, lost: float, feature: str) -> Signature | None:
    if new > 0.01 or lost > 0.01 or len(ref) < 2:
        return None
    labels = [k for k in ref if k in cur]
    labelled = _psi(ref, cur, n, m, labels)
    if labelled < 0.1:
        return None
    # the labels whose share moved beyond noise; the others kept their meaning
    moved = []
    for k in labels:
        p = (ref[k] + cur[k]) / (n + m)
        if abs(cur[k] / m - ref[k] / n) > 3 * np.sqrt(p * (1 - p) * (1 / n + 1 / m)):
            moved.append(k)
    if len(moved) < 2:
        return None
    by_ref = sorted(moved, key=lambda k: -ref[k])
    by_cur = sorted(moved, key=lambda k: -cur[k])
    mapping = {old: new_label for old, new_label in zip(by_ref, by_cur) if old != new_label}
    # the re-mapping must explain the moves: each moved share reappears under its new label
    as_mapped = sum(abs(ref[old] / n - cur[new_label] / m) for old, new_label in zip(by_ref, by_cur))
    as_labelled = sum(abs(ref[k] / n - cur[k] / m) for k in moved)
    if not mapping or as_mapped > 0.25 * as_labelled:
        return None
    swaps = ", ".join(f"{old!r} -> {new_label!r}" for old, new_label in list(mapping.items())[:6])
    return Signature("encoding_permutation", float(1 - as_mapped / as_labelled),
                     f"{feature}'s categories kept their frequencies but swapped labels ({swaps}): "
                     "the encoding was re-mapped upstream", {"mapping": mapping, "psi": labelled})


def _label_flood(ref: dict, cur: dict, n: int, m: int, feature: str) -> Signature | None:
    value = max(cur, key=lambda k: cur[k] / m - ref.get(k, 0) / n)
    share, was = cur[value] / m, ref.get(value, 0) / n
    looks_default = str(value).strip().lower() in DEFAULT_LABELS or was < 0.01
    if share - was >= 0.05 and share >= 2 * was and looks_default and value in ref:
        return Signature("default_flood", float(min(1.0, (share - was) / 0.2)),
                         f"{feature} is {value!r} in {share:.1%} of current rows (reference {was:.1%}): a default "
                         "label floods in", {"value": value, "share": share, "reference_share": was})
    return None
