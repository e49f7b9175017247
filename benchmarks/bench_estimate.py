"""Does the label-free estimate hold? Coverage of the realised metric per slice under a covariate shift.

For each table bundled (flights and acs: CBPE; hotel and bike, regression: direct loss
estimation, MAE and RMSE), seeded runs: a random no-drift split
(``mlwatch.simulate(table, "none")``), then a covariate shift that keeps the relation between
inputs and labels: the current window re-drawn from its rows with weights exp(beta z), z the
standardised value of one input (dep_delay, AGEP, lead_time, temp), so whole rows, labels and all, are
over- or under-represented. ``estimate_performance`` runs with the current labels withheld
from it; each slice of at least 500 current rows (every value of every segment column, and
the population) counts as covered when the realised metric on its rows falls inside the
estimate's 95 % interval. Goal (issue 11): at least 90 % of slices covered.

    python benchmarks/bench_estimate.py                 # 20 runs a table and metric, beta 0.5
    python benchmarks/bench_estimate.py --runs 5 --beta 1.0
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_calibration import INPUT, wilson  # noqa: E402

TABLES = ("flights", "acs", "hotel", "bike")
METRICS = {"classification": ("accuracy", "roc_auc", "log_loss"), "regression": ("mae", "rmse")}


def shifted(case, feature: str, beta: float, n: int, seed: int):
    """``n`` current rows re-drawn with weights exp(beta z) on ``feature``: the inputs' mix
    moves, each row keeps its label."""
    current = case.current
    x = current[feature].cast(float).fill_null(current[feature].cast(float).median()).to_numpy()
    z = (x - np.nanmean(x)) / (np.nanstd(x) or 1.0)
    w = np.exp(beta * np.clip(z, -4, 4))
    pick = np.sort(np.random.default_rng(seed).choice(current.height, n, replace=False, p=w / w.sum()))
    return current[pick]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--beta", type=float, default=0.5)
    parser.add_argument("--n", type=int, default=20_000, help="current rows after the shift")
    parser.add_argument("--tables", default=",".join(TABLES))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from mlwatch.simulate import simulate
    from mlwatch.steps.estimate import estimate_performance

    started = time.perf_counter()
    print(f"{'table':8} {'metric':9} {'slices':>7}  {'covered':<24} {'population covered':<24} "
          f"{'mean |estimated - realised|':>28} {'realised change':>16}")
    from mlwatch import datasets

    for table in args.tables.split(","):
        model = datasets.model_table(table)
        n = min(args.n, model.frame.height // 4)            # bike: about 2,200 current rows
        cases = [simulate(table, "none", n=2 * n, seed=s) for s in range(args.runs)]
        for metric in METRICS[model.task]:
            covered = total = pop = 0
            gaps, changes = [], []
            for s, case in enumerate(cases):
                kw = case.investigate_kwargs()
                current = shifted(case, INPUT[table], args.beta, n, s)
                r = estimate_performance(case.reference, current, target=kw["target"], prediction=kw["prediction"],
                                         segments=kw["segments"], metric=metric, seed=s)
                t = r.table.filter(r.table["n_current"] >= 500)
                inside = ((t["realised"] >= t["low"]) & (t["realised"] <= t["high"])).to_numpy()
                covered += int(inside.sum())
                total += t.height
                pop += int(inside[0])
                gaps.extend(np.abs(t["estimated"] - t["realised"]).to_list())
                changes.append(float(t["realised"][0] - t["reference"][0]))
            lo, hi = wilson(covered, total)
            plo, phi = wilson(pop, len(cases))
            print(f"{table:8} {metric:9} {total:7d}  {100 * covered / total:5.1f} % [{100 * lo:4.1f}, {100 * hi:4.1f}]  "
                  f"{100 * pop / len(cases):5.1f} % [{100 * plo:4.1f}, {100 * phi:4.1f}]  {np.nanmean(gaps):28.4f} "
                  f"{np.mean(changes):+16.4f}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s; beta {args.beta}, {args.n:,} current rows)")


if __name__ == "__main__":
    main()
