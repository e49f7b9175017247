"""How well a change can be dated, and how well mlwatch dates it: seeded covariate shifts
(rows redrawn from the same table, tilted towards high values of a feature or towards one
category) on the real tables with a time of day, traced on the truth's slice and feature;
or seeded concept drifts (``--kind concept_drift``), their slice searched on the truth's
columns.

For each, whether the onset falls within the scorecard's tolerance (one time bucket either
side of the span the slice's rows can tell, ``mlwatch.steps.scorecard``) for

* ``step 6``: the onset ``trace`` gives (a tilt: the posterior of a shift of every row's bin
  from the reference's shares, ``changepoint.shift_posterior``); for a concept drift, the
  onset of step 4 (the slice's, or step 3's for the population);
* ``marked rows``: the same, dating the mix of the rows in the bins whose share rose (the
  reading every marking signature uses, and tilts used before);
* ``oracle``: the maximum-likelihood change point of a reader who knows the tilt exactly
  (its size, the feature's mean and spread in the slice): each row's log density ratio
  ``tilt z - log E_ref[exp(tilt z)]``. Numeric tilts only. No estimator can expect to do much
  better: it is the bound the information in the rows sets. For a concept drift, a reader
  who knows the change (the share of rows hit; labels flipped, or the target scaled by the
  truth's factor) and the model's errors: a classifier's probabilities taken as calibrated,
  a regression's errors as normal with the mean and spread they have by prediction quintile
  in the current window before the change (told the truth, so a bound, not a rival);

and whether the onset's stated window (``onset_low`` to ``onset_high``: the central 95 % of
the change's posterior over the current window) holds the span the rows can tell (as
``scorecard.onset_window``: the truth, or the gap between the slice's rows around it), with
the window's median width in time buckets.

    python benchmarks/bench_onset.py               # 180 incidents, 20 s on 2 cores
    python benchmarks/bench_onset.py --kind concept_drift   # step 4 against its oracle, 40 s
    python benchmarks/bench_onset.py --kind clipping   # any other kind: step 6 and its window
"""

from __future__ import annotations

import argparse
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

TABLES = ("bike", "flights", "hotel")


def _case(i: int, kind: str):
    from mlwatch import datasets
    from mlwatch.errors import MlwatchError
    from mlwatch.simulate import Injection, simulate

    table = TABLES[i % len(TABLES)]
    size = min(datasets.model_table(table).frame.height // 2, 10_000)
    try:
        return simulate(table, Injection(kind), n=size, seed=700_000 + i, labels="available")
    except MlwatchError:            # a kind the table has no column for (a clip of a column that piles at both ends)
        return None


def _oracle(case) -> float | None:
    """The time of the first row of the maximum-likelihood change, knowing the tilt."""
    from mlwatch.steps import scorecard
    from mlwatch.steps.scoring import time_axis

    truth = case.truth
    if "tilt_sd" not in truth.get("details", {}):
        return None
    feature, tilt = truth["feature"], truth["details"]["tilt_sd"]
    inside = scorecard._rows(case.reference, truth["slice"])
    v = case.reference[feature].cast(pl.Float64).to_numpy()[inside]
    v = v[np.isfinite(v)]
    mean, sd = v.mean(), v.std() or 1.0
    norm = np.log(np.mean(np.exp(tilt * np.clip((v - mean) / sd, -4, 4))))
    hit = scorecard._rows(case.current, truth["slice"])
    x = case.current[feature].cast(pl.Float64).to_numpy()[hit]
    times = time_axis(case.current[case.roles["time"]])[hit]
    order = np.argsort(times, kind="stable")
    x, times = x[order], times[order]
    ratio = np.where(np.isfinite(x), tilt * np.clip((x - mean) / sd, -4, 4) - norm, 0.0)
    after = np.cumsum(ratio[::-1])[::-1]
    return float(times[int(np.argmax(after))])


def _concept_oracle(case) -> float | None:
    """The time of the first row of the maximum-likelihood change of a reader who knows the
    concept drift (see the module's docstring)."""
    from scipy import stats

    from mlwatch.steps import scorecard
    from mlwatch.steps.scoring import time_axis

    truth, roles = case.truth, case.roles
    hit = scorecard._rows(case.current, truth["slice"])
    times = time_axis(case.current[roles["time"]])[hit]
    p = case.current[roles["prediction"]].cast(pl.Float64).to_numpy()[hit]
    y = case.current[roles["target"]].cast(pl.Float64).to_numpy()[hit]
    share = truth["fraction"]
    if roles["task"] == "classification":
        seen = np.clip(np.where(y == 1, p, 1 - p), 1e-6, 1 - 1e-6)
        ratio = np.log((1 - share) * seen + share * (1 - seen)) - np.log(seen)
    else:
        before = times < scorecard._position(truth["onset"])
        if before.sum() < 30:
            return None
        edges = np.quantile(p[before], [0.2, 0.4, 0.6, 0.8])
        b_before, b_all = np.searchsorted(edges, p[before]), np.searchsorted(edges, p)
        error = y[before] - p[before]
        mean = np.array([error[b_before == b].mean() if (b_before == b).sum() > 2 else error.mean() for b in range(5)])
        sd = np.array([error[b_before == b].std() if (b_before == b).sum() > 2 else error.std() for b in range(5)])
        centre, spread, factor = p + mean[b_all], sd[b_all] + 1e-9, 1 + truth["magnitude"]
        unchanged = stats.norm.logpdf(y, centre, spread)
        changed = stats.norm.logpdf(y / factor, centre, spread) - np.log(abs(factor))
        ratio = np.logaddexp(np.log1p(-share) + unchanged, np.log(share) + changed) - unchanged
    order = np.argsort(times, kind="stable")
    after = np.cumsum(ratio[order][::-1])[::-1]
    return float(times[order][int(np.argmax(after))])


def _step4(case) -> dict:
    """Step 4's onset and window for the truth's slice (step 3's for the population); a
    regression's mean error is searched when its loss shows nothing, as ``investigate`` does."""
    from mlwatch.steps.overall import overall
    from mlwatch.steps.scoring import resolve_scoring
    from mlwatch.steps.slices import find_slices, slice_label

    roles, where = case.roles, case.truth["slice"]
    metrics = [roles["metric"], *(["bias"] if roles["task"] == "regression" else [])]
    for metric in metrics:
        scoring = resolve_scoring(case.reference, case.current, prediction=roles["prediction"],
                                  target=roles["target"], metric=metric, task=roles["task"])
        if not where:
            found = overall(case.reference, case.current, scoring, time=roles["time"])
            row = {"onset": found.onset, "onset_low": found.onset_low, "onset_high": found.onset_high}
        else:
            table = find_slices(case.reference, case.current, scoring, segments=list(where), max_depth=len(where),
                                time=roles["time"]).table.filter(pl.col("slice") == slice_label(where))
            row = table.row(0, named=True) if table.height else {"onset": None}
        if row["onset"] is not None:
            return row
    return {"onset": None, "onset_low": None, "onset_high": None}


def _run(job: tuple[int, str]) -> dict | None:
    warnings.filterwarnings("ignore")
    from mlwatch.steps import scorecard, trace as step

    case = _case(*job)
    if case is None:
        return None
    truth = case.truth
    low, high = scorecard._knowable(case, scorecard._rows(case.current, truth["slice"]))
    width = scorecard._bucket(case)

    def within(position: float | None) -> bool:
        return position is not None and low - width - 1e-9 <= position <= high + width + 1e-9

    def traced() -> dict:
        return step.trace(case.reference, case.current, features=[truth["feature"]], time=case.roles["time"],
                          where=truth["slice"]).table.row(0, named=True)

    concept = truth["kind"] == "concept_drift"
    row = _step4(case) if concept else traced()
    window = None
    if row["onset_low"] is not None:        # it holds the span the rows can tell (scorecard.onset_window)
        start, end = scorecard._position(row["onset_low"]), scorecard._position(row["onset_high"])
        window = (start <= high + 1e-9 and end >= low - 1e-9, (end - start) / width)
    marked = {"onset": None}
    if not concept:
        tilts, step.TILTS = step.TILTS, ()
        try:
            marked = traced()
        finally:
            step.TILTS = tilts
    oracle = _concept_oracle(case) if concept else _oracle(case)
    return {"table": case.truth["table"], "numeric": "tilt_sd" in truth.get("details", {}),
            "step 6": within(scorecard._position(row["onset"])),
            "marked rows": None if concept else within(scorecard._position(marked["onset"])),
            "oracle": None if oracle is None else within(oracle), "window": window}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=180)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kind", default="covariate_shift", help="the incident kind (the oracle reads tilts and concept drifts)")
    args = parser.parse_args(argv)
    with ProcessPoolExecutor(args.workers) as pool:
        runs = [r for r in pool.map(_run, [(i, args.kind) for i in range(args.count)]) if r is not None]
    concept = args.kind == "concept_drift"
    print(f"| incidents | {'step 4' if concept else 'step 6'} | marked rows | oracle (knows the change) "
          "| truth in the stated window | window's median width (buckets) |\n|---|---|---|---|---|---|")
    tilts = args.kind == "covariate_shift"
    groups = ((("numeric tilts", [r for r in runs if r["numeric"]]), ("category tilts", [r for r in runs if not r["numeric"]]))
              if tilts else tuple((table, [r for r in runs if r["table"] == table]) for table in TABLES) if concept else ())
    for name, chosen in (*groups, ("all", runs)):
        if not chosen:
            continue

        def share(key: str) -> str:
            values = [r[key] for r in chosen if r[key] is not None]
            return f"{np.mean(values):.0%} ({sum(values)}/{len(values)})" if values else "-"

        windows = [r["window"] for r in chosen if r["window"] is not None]
        covered = f"{np.mean([w[0] for w in windows]):.0%} ({sum(w[0] for w in windows)}/{len(windows)})" if windows else "-"
        wide = f"{np.median([w[1] for w in windows]):.1f}" if windows else "-"
        print(f"| {name}: {len(chosen)} | {share('step 6')} | {share('marked rows')} | {share('oracle')} "
              f"| {covered} | {wide} |")

if __name__ == "__main__":
    main()
