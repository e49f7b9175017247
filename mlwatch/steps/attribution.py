"""Attribution stability: is the model still reasoning the way it did?

SHAP values on a seeded sample of reference and of current rows (optionally on a slice)
give, per feature:

* the mean |SHAP| and its rank in each window, and the rank correlation (Spearman) of
  the two rankings;
* the direction of its effect: with labels (``target``), the rank correlation between the
  feature's push on the prediction (its SHAP value) and the outcome — does the feature
  still push toward the truth? Without labels, the rank correlation between the feature's
  value and its push. An **inversion** is a direction that changed sign, both clearly
  away from 0: "the SHAP values of a top feature suddenly invert";
* attribution drift: PSI of its SHAP values, with the noise floor for the sample sizes;
* its share of the change in the mean model output: with a fixed base value the mean
  output is the base plus the mean SHAP values, so the change splits exactly into
  per-feature contributions (``contribution`` sums to ``output_current - output_reference``).

Every number gets a bootstrap interval (``n_boot`` resamples of the sampled rows), so a
person can tell noise from change. Sampling is explicit: ``n_samples`` rows a side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from mlwatch import data
from mlwatch.errors import MlwatchError, check_choice
from mlwatch.models import as_scorer
from mlwatch.results import Result, Section, frame_from_records, plain, records
from mlwatch.stats import drift, noise
from mlwatch.stats.binning import numeric_bins

SCHEMA = "mlwatch.attribution/1"
TABLE_SCHEMA = {
    "feature": pl.String, "mean_abs_reference": pl.Float64, "mean_abs_current": pl.Float64,
    "rank_reference": pl.Int64, "rank_current": pl.Int64, "contribution": pl.Float64,
    "contribution_low": pl.Float64, "contribution_high": pl.Float64, "direction_reference": pl.Float64,
    "direction_current": pl.Float64, "direction_reference_low": pl.Float64, "direction_reference_high": pl.Float64,
    "direction_current_low": pl.Float64, "direction_current_high": pl.Float64, "inverted": pl.Boolean,
    "shap_psi": pl.Float64, "shap_psi_floor": pl.Float64, "attribution_drifted": pl.Boolean,
}


@dataclass(frozen=True, eq=False, repr=False)
class AttributionResult(Result):
    """Per feature (``table``): importance in both windows, direction of effect, attribution
    drift and share of the change in the mean output. The SHAP values themselves are kept
    (``shap_reference``/``shap_current``, with the feature values) for the plots."""

    table: pl.DataFrame
    rank_correlation: float
    rank_correlation_interval: tuple[float, float]
    output_reference: float
    output_current: float
    output: str
    n_reference: int
    n_current: int
    shap_reference: pl.DataFrame = field(repr=False)
    shap_current: pl.DataFrame = field(repr=False)
    values_reference: pl.DataFrame = field(repr=False)
    values_current: pl.DataFrame = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def inverted(self) -> list[str]:
        return self.table.filter(pl.col("inverted"))["feature"].to_list()

    @property
    def sentence(self) -> str:
        lo, hi = self.rank_correlation_interval
        parts = [f"Feature importance ranking reference vs current: Spearman {self.rank_correlation:.2f} "
                 f"[{lo:.2f}, {hi:.2f}]"]
        if self.inverted:
            parts.append(f"the effect of {', '.join(self.inverted)} inverted")
        moved = self.table.sort(pl.col("contribution").abs(), descending=True).row(0, named=True)
        parts.append(f"mean {self.output} {self.output_reference:.4g} -> {self.output_current:.4g}, "
                     f"most of all through {moved['feature']} ({moved['contribution']:+.3g})")
        drifted = self.table.filter(pl.col("attribution_drifted"))["feature"].to_list()
        if drifted:
            parts.append(f"attributions drifted for {', '.join(drifted[:4])}")
        return "; ".join(parts) + "."

    SCHEMA = SCHEMA

    def _sections(self):
        shown = self.table.select("feature", "rank_reference", "rank_current", "mean_abs_reference",
                                  "mean_abs_current", "contribution", "direction_reference", "direction_current",
                                  "inverted", "shap_psi")
        return (Section(frame=shown, alert="inverted"),)

    def plot(self, ax=None, *, kind: str = "beeswarm", **kws):
        """``"beeswarm"``: SHAP values of the top features, reference against current,
        coloured by the feature's value; ``"waterfall"``: the change in the mean output
        split by feature."""
        from mlwatch.plots.attribution import plot_beeswarm, plot_waterfall

        check_choice("plot kind", kind, ("beeswarm", "waterfall"))
        return (plot_beeswarm if kind == "beeswarm" else plot_waterfall)(self, ax=ax, **kws)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "features": records(self.table), "rank_correlation": self.rank_correlation,
                "rank_correlation_interval": list(self.rank_correlation_interval),
                "output_reference": self.output_reference, "output_current": self.output_current,
                "output": self.output, "n_reference": self.n_reference, "n_current": self.n_current,
                "sentence": self.sentence, "options": plain(self.options)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> "AttributionResult":
        """Rebuilds the numbers (the per-row SHAP values are not serialised: the plots need a fresh run)."""
        cls._check_schema(payload)
        empty = pl.DataFrame()
        return cls(frame_from_records(payload["features"], TABLE_SCHEMA), payload["rank_correlation"],
                   tuple(payload["rank_correlation_interval"]), payload["output_reference"],
                   payload["output_current"], payload["output"], payload["n_reference"], payload["n_current"],
                   empty, empty, empty, empty, payload.get("options", {}))


def attribution(reference, current, model, *, features: Sequence[str] | None = None,
                where: Mapping[str, Any] | None = None, explain: str = "prediction", target: str | None = None,
                n_samples: int = 2000, n_boot: int = 200, random_state: int = 0,
                min_direction: float = 0.2) -> AttributionResult:
    """SHAP attribution stability of ``model`` from ``reference`` to ``current``.

    ``features`` default to the model's own; ``n_samples`` rows are drawn from each side
    (seeded by ``random_state``); ``n_boot`` bootstrap resamples give the intervals. An
    inversion needs both directions beyond ``min_direction`` (a rank correlation) with
    their 95 % intervals on opposite sides of 0.

    ``target`` (labels) makes the direction the agreement of each feature's push with the
    outcome, so a relation that flipped in the world shows as an inversion even though the
    model did not change. ``explain="loss"`` (with ``target``, classifiers) attributes each
    row's log-loss instead of its prediction for the importance, drift and decomposition:
    which features made the model wrong. Interventional TreeSHAP of the loss costs more:
    keep ``n_samples`` near 1,000.
    """
    check_choice("explain", explain, ("prediction", "loss"))
    if explain == "loss" and not target:
        raise MlwatchError("explain='loss' needs the target column (target=...)")
    # the data first (a model given first fails here, saying what a reference must be)
    ref = data.apply_where(data.to_frame(reference, name="reference"), where, name="reference")
    cur = data.apply_where(data.to_frame(current, name="current"), where, name="current")
    scorer = as_scorer(model, features=features)
    needed = scorer.features + ([target] if explain == "loss" else [])
    data.require_columns(ref, needed, name="reference")
    data.require_columns(cur, needed, name="current")
    if explain == "loss":
        ref, cur = ref.drop_nulls(target), cur.drop_nulls(target)
    ref = ref.sample(min(n_samples, ref.height), seed=random_state)
    cur = cur.sample(min(n_samples, cur.height), seed=random_state + 1)
    method = "SHAP of the prediction"
    push_ref, base = scorer.contributions(ref, background=ref, random_state=random_state)
    push_cur, _ = scorer.contributions(cur, background=ref, random_state=random_state)
    if explain == "loss":
        phi_ref, method = scorer.loss_contributions(ref, ref[target].to_numpy(), background=ref,
                                                    random_state=random_state)
        phi_cur, _ = scorer.loss_contributions(cur, cur[target].to_numpy(), background=ref, random_state=random_state)
        base = 0.0
    else:
        phi_ref, phi_cur = push_ref, push_cur
    labelled = target is not None and ref[target].null_count() == 0 and cur[target].null_count() == 0
    names = scorer.features
    rng = np.random.default_rng(random_state)
    boot_ref = rng.integers(0, ref.height, (n_boot, ref.height))
    boot_cur = rng.integers(0, cur.height, (n_boot, cur.height))

    abs_ref, abs_cur = np.abs(phi_ref).mean(0), np.abs(phi_cur).mean(0)
    contribution = phi_cur.mean(0) - phi_ref.mean(0)
    boot_contribution = np.stack([phi_cur[i].mean(0) for i in boot_cur]) - np.stack([phi_ref[i].mean(0) for i in boot_ref])
    rank_corr = _spearman(abs_ref, abs_cur)
    boot_rank = [_spearman(np.abs(phi_ref[i]).mean(0), np.abs(phi_cur[j]).mean(0)) for i, j in zip(boot_ref, boot_cur)]

    rows = []
    rank_ref = _ranks(abs_ref)
    rank_cur = _ranks(abs_cur)
    for j, name in enumerate(names):
        if labelled:   # does the feature's push on the prediction agree with the outcome?
            d_ref, ci_ref = _direction(ref[target], push_ref[:, j], boot_ref)
            d_cur, ci_cur = _direction(cur[target], push_cur[:, j], boot_cur)
        else:          # the model's relation between the feature's value and its push
            d_ref, ci_ref = _direction(ref[name], push_ref[:, j], boot_ref)
            d_cur, ci_cur = _direction(cur[name], push_cur[:, j], boot_cur)
        inverted = (d_ref is not None and d_cur is not None and np.sign(d_ref) != np.sign(d_cur)
                    and min(abs(d_ref), abs(d_cur)) >= min_direction
                    and (ci_ref[0] > 0 or ci_ref[1] < 0) and (ci_cur[0] > 0 or ci_cur[1] < 0))
        psi_value, floor = _shap_psi(phi_ref[:, j], phi_cur[:, j])
        lo, hi = np.quantile(boot_contribution[:, j], [0.025, 0.975])
        rows.append({"feature": name, "mean_abs_reference": float(abs_ref[j]), "mean_abs_current": float(abs_cur[j]),
                     "rank_reference": int(rank_ref[j]), "rank_current": int(rank_cur[j]),
                     "contribution": float(contribution[j]), "contribution_low": float(lo),
                     "contribution_high": float(hi), "direction_reference": d_ref, "direction_current": d_cur,
                     "direction_reference_low": ci_ref[0], "direction_reference_high": ci_ref[1],
                     "direction_current_low": ci_cur[0], "direction_current_high": ci_cur[1],
                     "inverted": bool(inverted), "shap_psi": psi_value, "shap_psi_floor": floor,
                     "attribution_drifted": bool(psi_value >= 0.1 and psi_value > floor)})
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA).sort("rank_reference")
    output = ("log-odds" if scorer.kind in ("lightgbm", "xgboost") else "probability") if scorer.classifier else "value"
    if explain == "loss":
        output = "log-loss (attributed part)"
    interval = tuple(float(q) for q in np.nanquantile(boot_rank, [0.025, 0.975]))
    return AttributionResult(
        table, float(rank_corr), interval, float(base + phi_ref.sum(1).mean()), float(base + phi_cur.sum(1).mean()),
        output, ref.height, cur.height, pl.DataFrame(phi_ref, schema=names), pl.DataFrame(phi_cur, schema=names),
        ref.select(names), cur.select(names),
        {"n_samples": n_samples, "n_boot": n_boot, "random_state": random_state, "where": dict(where) if where else None,
         "model": scorer.kind, "explain": explain, "method": method,
         "direction": "agreement of the push with the outcome" if labelled else "feature value against its push"})


def _ranks(values: np.ndarray) -> np.ndarray:
    """1 for the largest."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(values.size, dtype=np.int64)
    ranks[order] = np.arange(1, values.size + 1)
    return ranks


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _direction(values: pl.Series, phi: np.ndarray, boot: np.ndarray):
    """Rank correlation of a numeric feature's value with its SHAP value, and its bootstrap
    interval (None for categorical features, whose values have no order)."""
    if not values.dtype.is_numeric():
        return None, (None, None)
    from scipy.stats import rankdata

    x = values.cast(pl.Float64).to_numpy()
    ok = np.isfinite(x)
    if ok.sum() < 10 or np.ptp(x[ok]) == 0 or np.ptp(phi[ok]) == 0:
        return None, (None, None)
    rx, rp = np.where(ok, rankdata(np.where(ok, x, 0)), np.nan), rankdata(phi)
    point = _pearson(rx[ok], rp[ok])
    sampled = [_pearson(rx[i][ok[i]], rp[i][ok[i]]) for i in boot]
    lo, hi = np.nanquantile(sampled, [0.025, 0.975])
    return float(point), (float(lo), float(hi))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / denom) if denom > 0 else float("nan")


def _shap_psi(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    sa, sb = np.sort(a), np.sort(b)
    if sa[0] == sa[-1]:
        return 0.0, 0.0
    bins = numeric_bins(sa, sb)
    value, _ = drift.psi_from_bins(bins)
    return float(value), noise.psi_noise_floor(sa.size, sb.size, len(bins.nonempty().labels))
