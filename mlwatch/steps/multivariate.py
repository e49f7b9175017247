"""Drift in the joint distribution: can a classifier tell the windows apart, and by which features?

Every marginal test can stay calm while the joint distribution moved: a correlation that
flipped sign inside a segment, two inputs that stopped moving together. A **domain
classifier** sees it: LightGBM learns to tell current rows from reference rows, and its
AUC on rows it was not trained on says how separable the windows are (0.5: not at all).

* **Cross-fitted.** The rows (at most ``max_rows`` a side, the same number from each window,
  chosen by a seeded hash of their values, so that the rows and the folds do not depend on the
  order the rows came in) are dealt into ``folds`` folds; each fold is scored by a
  model fitted on the others, so every score is out of sample and the AUC is honest.
* **The test.** Within a fold the model never saw the fold's labels, so under no drift the
  fold's scores are exchangeable between the windows and its AUC is a Mann-Whitney
  statistic: the fold's one-sided z (current scored higher) comes from scipy's
  ``mannwhitneyu`` (tie-corrected). The folds' models share training rows, so their z are
  correlated (measured 0.3 to 0.4 on no-drift splits of the flights and ACS tables at 200
  rows a side); Stouffer's sum / sqrt(folds) then has a variance near 5/3 and flagged 8.5 %
  of those splits at a 5 % level. The folds are combined by the *mean* of their z instead,
  whose variance is at most 1 whatever the correlation (3.3 % at 5 %, 0 of 300 at 0.25 %).
  ``drifted`` needs the p-value under ``alpha`` *and* an AUC of at least ``min_auc``
  (0.55): a separability too small to matter is not reported however many rows show it.
  The interval is Hanley and McNeil's, on the mean of the folds' AUCs.
* **Which features.** The models' own TreeSHAP contributions (LightGBM's ``pred_contrib``:
  the same numbers as ``shap.TreeExplainer``, faster) on held-out rows (at most 1,000 a fold)
  rank the features; ``shap.TreeExplainer(...).shap_interaction_values`` on a few hundred held-out
  rows ranks the pairs, which is how a flipped correlation shows (its two features
  interact). Each named feature's marginal drift is read from the audit of the same rows,
  so "the windows differ, and no marginal does" can be said.
* **When.** Given a time column, the AUC of each current time bucket's out-of-sample
  scores against every reference row dates the change (``buckets``).

The numbers were checked by simulation on the bundled real tables (random no-drift splits
and a planted flip of a correlation inside a segment): ``benchmarks/bench_multivariate.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import DataError, check_number
from mlwatch.results import Result, Section, frame_from_records, plain, records

SCHEMA = "mlwatch.multivariate/1"
MAX_ROWS = 20_000
FOLDS = 5
MIN_AUC = 0.55
PAIR_ROWS = 400
CONTRIB_ROWS = 1_000
PARAMS = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 40,
          "feature_fraction": 1.0, "verbose": -1, "seed": 0, "deterministic": True, "force_col_wise": True}
ROUNDS = 80
TABLE_SCHEMA = {"feature": pl.String, "importance": pl.Float64, "share": pl.Float64, "rank": pl.Int64,
                "marginal_drifted": pl.Boolean, "marginal_psi": pl.Float64}
PAIR_SCHEMA = {"feature_a": pl.String, "feature_b": pl.String, "interaction": pl.Float64}
BUCKET_SCHEMA = {"bucket": pl.String, "n_current": pl.Int64, "auc": pl.Float64}


@dataclass(frozen=True, eq=False, repr=False)
class MultivariateResult(Result):
    """The domain classifier's verdict: ``auc`` with its interval and p-value, ``table`` (a row
    per feature: its share of the separation and whether its marginal drifted), ``pairs``
    (the interacting pairs) and, with a time column, ``buckets`` (AUC per current bucket)."""

    table: pl.DataFrame
    pairs: pl.DataFrame
    buckets: pl.DataFrame
    auc: float
    low: float
    high: float
    p_value: float
    drifted: bool
    n_reference: int
    n_current: int
    sentence: str
    options: dict[str, Any] = field(default_factory=dict)

    SCHEMA = SCHEMA

    @property
    def separating(self) -> list[str]:
        """The features that separate the windows, most first (those carrying at least 10 %
        of the separation), when the windows can be told apart."""
        if not self.drifted:
            return []
        return self.table.filter(pl.col("share") >= 0.1)["feature"].to_list()

    @property
    def onset(self) -> str | None:
        """The first current time bucket whose AUC reaches halfway from 0.5 to the highest
        bucket's (when the windows can be told apart and a bucket reaches ``min_auc``): when
        the joint distribution began to move."""
        if not self.drifted or not self.buckets.height:
            return None
        auc = self.buckets["auc"].to_numpy()
        if auc.max() < self.options.get("min_auc", MIN_AUC):
            return None
        return str(self.buckets["bucket"][int(np.argmax(auc >= 0.5 + (auc.max() - 0.5) / 2))])

    @property
    def calm_marginals(self) -> bool:
        """Drift in the joint distribution while no separating feature's marginal drifted."""
        named = self.table.filter(pl.col("feature").is_in(self.separating))
        return self.drifted and named.height > 0 and not named["marginal_drifted"].fill_null(False).any()

    def _sections(self):
        return (Section("Features that separate the windows (mean |SHAP| on held-out rows)", self.table, max_rows=8),
                Section("Pairs that interact", self.pairs, max_rows=5),
                Section("AUC by time bucket", self.buckets, max_rows=12))

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "auc": self.auc, "interval": [self.low, self.high], "p_value": self.p_value,
                "drifted": self.drifted, "separating": self.separating, "calm_marginals": self.calm_marginals,
                "onset": self.onset,
                "n_reference": self.n_reference, "n_current": self.n_current, "summary": self.sentence,
                "features": records(self.table), "pairs": records(self.pairs), "buckets": records(self.buckets),
                "options": plain(self.options)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "MultivariateResult":
        cls._check_schema(payload)
        return cls(frame_from_records(payload["features"], TABLE_SCHEMA), frame_from_records(payload["pairs"], PAIR_SCHEMA),
                   frame_from_records(payload["buckets"], BUCKET_SCHEMA), payload["auc"], payload["interval"][0],
                   payload["interval"][1], payload["p_value"], payload["drifted"], payload["n_reference"],
                   payload["n_current"], payload["summary"], dict(payload.get("options") or {}))

    def plot(self, ax=None, **kws):
        from mlwatch.plots.multivariate import plot_multivariate

        return plot_multivariate(self, ax=ax, **kws)


def multivariate_drift(reference, current, *, features: Sequence[str] | None = None, exclude: Sequence[str] = (),
                       where: Mapping[str, Any] | None = None, time: str | None = None,
                       max_rows: int = MAX_ROWS, folds: int = FOLDS, alpha: float = 0.05, min_auc: float = MIN_AUC,
                       pairs: bool = True, seed: int = 0, n_threads: int | None = None) -> MultivariateResult:
    """Can a classifier tell current rows from reference rows (see the module)?

    ``features`` default to every shared column but ``time``, ``exclude`` and the dates and
    times (a timestamp tells any two windows apart); ``where`` a slice. At most ``max_rows``
    rows a side are used (a seeded uniform sample, as many from each window). Needs LightGBM
    (``pip install 'mlwatch[explain]'``); ``pairs`` also shap.
    """
    check_number("max_rows", max_rows, low=50, integer=True)
    check_number("folds", folds, low=2, high=20, integer=True)
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
    check_number("min_auc", min_auc, low=0.5, high=1)
    try:
        import lightgbm as lgb
    except ImportError:
        raise ImportError("multivariate_drift needs LightGBM: pip install 'mlwatch[explain]'") from None
    ref = data.apply_where(data.to_frame(reference, name="reference"), where, name="reference")
    cur = data.apply_where(data.to_frame(current, name="current"), where, name="current")
    # a timestamp tells any two windows apart: never a default feature
    names = list(dict.fromkeys(features if features is not None else
                               [c for c in ref.columns if c in cur.columns and c != time and c not in set(exclude)
                                and not ref.schema[c].is_temporal()]))
    if not names:
        raise DataError("multivariate_drift: no feature to compare")
    n = min(ref.height, cur.height, max_rows)
    if n < 2 * folds * 5:
        raise DataError(f"multivariate_drift: {min(ref.height, cur.height)} rows on the smaller side"
                        f"{' of the slice' if where else ''}; at least {2 * folds * 5} are needed")
    data.require_columns(ref, names, name="reference")
    data.require_columns(cur, names, name="current")
    rng = np.random.default_rng(seed)
    ref, cur = _picked(ref, names, n, 2 * seed, time), _picked(cur, names, n, 2 * seed + 1, time)
    a, b, schema = data.align(ref, cur, names)
    x, categorical = design_matrix(a, b, names, schema.kinds)
    y = np.r_[np.zeros(n), np.ones(n)]
    fold = _folds(n, folds, rng)
    picker = np.random.default_rng(seed + 1)
    scores = np.empty(2 * n)
    contributions = np.zeros(len(names))
    z_scores, aucs, model = [], [], None
    for k in range(folds):
        test = fold == k
        train = lgb.Dataset(x[~test], y[~test], categorical_feature=categorical, free_raw_data=False)
        model = lgb.train({**PARAMS, "num_threads": n_threads or os.cpu_count() or 1}, train, num_boost_round=ROUNDS)
        scores[test] = model.predict(x[test], raw_score=True)
        # TreeSHAP on at most CONTRIB_ROWS held-out rows of the fold (the ranking needs no more;
        # it is most of the cost), scaled to the fold
        held = np.flatnonzero(test)
        read = held if held.size <= CONTRIB_ROWS else np.sort(picker.choice(held, CONTRIB_ROWS, replace=False))
        contributions += np.abs(model.predict(x[read], pred_contrib=True)[:, :-1]).sum(axis=0) * held.size / read.size
        auc, z = _fold_test(scores[test], y[test])
        aucs.append(auc)
        z_scores.append(z)
    from scipy import stats

    auc = float(np.mean(aucs))
    # the folds' z are correlated (their models share training rows): their mean, whose
    # variance is at most 1 whatever the correlation, not Stouffer's sum / sqrt(folds)
    p_value = float(stats.norm.sf(np.mean(z_scores)))
    low, high = _hanley_mcneil(auc, n, n)
    drifted = bool(p_value < alpha and auc >= min_auc)
    importance = contributions / (2 * n)
    share = importance / importance.sum() if importance.sum() > 0 else np.zeros_like(importance)
    order = np.argsort(-importance, kind="stable")
    marginal = _marginals(a, b, names)
    table = pl.DataFrame({"feature": [names[i] for i in order], "importance": importance[order],
                          "share": share[order], "rank": np.arange(1, len(names) + 1),
                          "marginal_drifted": [marginal[names[i]][0] for i in order],
                          "marginal_psi": [marginal[names[i]][1] for i in order]}, schema=TABLE_SCHEMA)
    pair_table = _pairs(model, x[fold == folds - 1], names, rng) if pairs and drifted else \
        pl.DataFrame(schema=PAIR_SCHEMA)
    buckets = _buckets(ref, cur, time, scores, n) if time and time in ref.columns and time in cur.columns else \
        pl.DataFrame(schema=BUCKET_SCHEMA)
    result = MultivariateResult(table, pair_table, buckets, auc, low, high, p_value, drifted, n, n, "",
                                {"features": names, "where": dict(where) if where else None, "time": time,
                                 "max_rows": max_rows, "folds": folds, "alpha": alpha, "min_auc": min_auc,
                                 "seed": seed})
    return _with_sentence(result)


def _picked(frame: pl.DataFrame, names: Sequence[str], n: int, seed: int, time: str | None) -> pl.DataFrame:
    """``n`` rows chosen by a seeded hash of their values and of their copy number among
    identical rows, in the hash's order: the same rows and folds whatever order the window's
    rows came in (a Spark shuffle, a database). The copy number keeps identical rows apart (a
    common profile is sampled copy by copy, not all or none), and each window gets its own
    seed (a profile kept in one window is not for that reason kept in the other): a uniform
    sample, so that a classifier cannot learn the sampling."""
    columns = [*names, *([time] if time and time in frame.columns else [])]
    keyed = frame.select(columns).with_columns(pl.int_range(pl.len()).over(columns).alias("__copy"))
    order = np.argsort(keyed.hash_rows(seed=seed).to_numpy(), kind="stable")[:n]
    return frame[order]


def design_matrix(a: pl.DataFrame, b: pl.DataFrame, names: Sequence[str], kinds: Mapping[str, str]
            ) -> tuple[np.ndarray, list[int]]:
    """Both windows' rows as one float matrix (categories as shared integer codes, missing
    as NaN) and the categorical columns' positions."""
    both = pl.concat([a.select(names), b.select(names)], how="vertical_relaxed")
    columns, categorical = [], []
    for i, c in enumerate(names):
        s = both[c]
        if kinds[c] == "categorical":
            # codes from the sorted values: a Categorical's codes come from the process's string
            # cache, in the order its strings were first seen, so the same windows got other
            # codes (and other trees, another verdict) after another investigation had run
            text = s.cast(pl.String)
            codes = text.cast(pl.Enum(sorted(text.drop_nulls().unique().to_list()))).to_physical().cast(pl.Float64)
            columns.append(codes.to_numpy())
            categorical.append(i)
        else:
            if s.dtype.is_temporal():
                s = s.cast(pl.Datetime("us")).cast(pl.Int64) if not isinstance(s.dtype, pl.Duration) else \
                    s.dt.total_microseconds()
            values = s.cast(pl.Float64).to_numpy().copy()
            values[~np.isfinite(values)] = np.nan
            columns.append(values)
    return np.column_stack(columns), categorical


def _folds(n: int, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold for each row of both windows, each fold holding as many of each window."""
    return np.r_[rng.permutation(np.arange(n) % folds), rng.permutation(np.arange(n) % folds)]


def _fold_test(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """A held-out fold's AUC (current above reference) and its one-sided Mann-Whitney z."""
    from scipy import stats

    current, reference = scores[y == 1], scores[y == 0]
    test = stats.mannwhitneyu(current, reference, alternative="greater", method="asymptotic", use_continuity=False)
    auc = float(test.statistic) / (current.size * reference.size)
    return auc, float(stats.norm.isf(test.pvalue))


def _hanley_mcneil(auc: float, n1: int, n0: int) -> tuple[float, float]:
    """The 95 % interval of an AUC (Hanley and McNeil, 1982)."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    se = np.sqrt(max(auc * (1 - auc) + (n1 - 1) * (q1 - auc ** 2) + (n0 - 1) * (q2 - auc ** 2), 0.0) / (n1 * n0))
    return float(max(0.0, auc - 1.96 * se)), float(min(1.0, auc + 1.96 * se))


def _marginals(a: pl.DataFrame, b: pl.DataFrame, names: Sequence[str]) -> dict[str, tuple[bool, float]]:
    """Each feature's marginal drift on the same rows (the audit's verdict and PSI)."""
    from mlwatch.steps.audit import audit

    table = audit(a, b, features=list(names)).table
    return {r["feature"]: (bool(r["drifted"]), float(r["psi"])) for r in table.iter_rows(named=True)}


def _pairs(model, x: np.ndarray, names: Sequence[str], rng: np.random.Generator, top: int = 5) -> pl.DataFrame:
    """The pairs whose SHAP interaction separates the windows most (mean |interaction| over a
    few hundred held-out rows, both halves of the symmetric matrix)."""
    try:
        import shap
    except ImportError:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    rows = x[rng.choice(x.shape[0], min(PAIR_ROWS, x.shape[0]), replace=False)]
    values = shap.TreeExplainer(model).shap_interaction_values(rows)
    values = values[-1] if isinstance(values, list) else values
    strength = 2 * np.abs(values).mean(axis=0)
    i, j = np.triu_indices(len(names), k=1)
    order = np.argsort(-strength[i, j], kind="stable")[:top]
    return pl.DataFrame({"feature_a": [names[i[k]] for k in order], "feature_b": [names[j[k]] for k in order],
                         "interaction": strength[i, j][order]}, schema=PAIR_SCHEMA)


def _buckets(ref: pl.DataFrame, cur: pl.DataFrame, time: str, scores: np.ndarray, n: int) -> pl.DataFrame:
    """AUC of each current time bucket's held-out scores against every reference row."""
    from mlwatch.steps.scoring import format_time, time_buckets

    _, bucket, starts = time_buckets(ref[time], cur[time])
    reference = np.sort(scores[:n])
    rows = []
    for k in np.unique(bucket):
        inside = scores[n:][bucket == k]
        # P(current > reference) + half the ties, by binary search on the sorted reference
        above = np.searchsorted(reference, inside, side="left")
        ties = np.searchsorted(reference, inside, side="right") - above
        rows.append({"bucket": format_time(starts[k]), "n_current": int(inside.size),
                     "auc": float((above + 0.5 * ties).sum() / (inside.size * n))})
    return pl.DataFrame(rows, schema=BUCKET_SCHEMA)


def _with_sentence(r: MultivariateResult) -> MultivariateResult:
    where = f" on {', '.join(f'{k}={v}' for k, v in r.options['where'].items())}" if r.options.get("where") else ""
    p = f"p={r.p_value:.2g}" if r.p_value >= 1e-16 else "p<1e-16"       # a z beyond 8: past float precision
    interval = f"AUC {r.auc:.3f} ({r.low:.3f}-{r.high:.3f}, {p}, {r.n_current:,} rows a side)"
    if not r.drifted:
        small = " (separable, but too little to matter)" if r.p_value < r.options["alpha"] else ""
        text = f"The windows{where} cannot be told apart{small}: a classifier of current against reference rows " \
               f"scores {interval}."
    else:
        named = r.separating or r.table["feature"].head(2).to_list()
        text = (f"The windows{where} can be told apart: a classifier of current against reference rows scores "
                f"{interval}; it separates them by {', '.join(named)}")
        if r.pairs.height:
            top = r.pairs.row(0, named=True)
            text += f" (the strongest interaction: {top['feature_a']} with {top['feature_b']})"
        text += "; no marginal of these drifted: the change is in how they go together." if r.calm_marginals else "."
    return MultivariateResult(r.table, r.pairs, r.buckets, r.auc, r.low, r.high, r.p_value, r.drifted, r.n_reference,
                              r.n_current, text, r.options)


__all__ = ["MultivariateResult", "multivariate_drift"]
