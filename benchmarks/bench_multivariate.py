"""Is the domain classifier calibrated? False flags when nothing changed, power on a flipped correlation.

Null: random no-drift splits of the bundled real tables (``mlwatch.simulate(table, "none")``),
n rows a side (2,000 and 20,000, or the table's half), the model's inputs compared by
``multivariate_drift``: the rate of ``drifted`` with its Wilson 95 % interval.

Power: the same splits with a joint change no marginal shows: inside the most frequent value
of the table's first segment column, the current window's values of one input are dealt to
the rows in reverse order of their rank (the largest to the row that held the smallest), so
its rank correlation with every other input flips sign inside the segment while both its
marginal and the segment's stay the same. The input is the one most correlated (Spearman)
with another in the reference. Reported: the rate of ``drifted``, of both inputs of that
pair among the top three separating features, and of "calm marginals".

    python benchmarks/bench_multivariate.py              # 100 runs per cell (about 25 minutes on 2 cores)
    python benchmarks/bench_multivariate.py --runs 20    # a quick look
    python benchmarks/bench_multivariate.py --timing     # both label-free tools on 1M + 1M rows x 25 features
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_calibration import TABLES, wilson  # noqa: E402

SIZES = (2_000, 20_000)


def _inputs(case) -> list[str]:
    kwargs = case.investigate_kwargs()
    return list(dict.fromkeys([*kwargs["features"], *kwargs["segments"]]))


def _pair(table: str) -> tuple[str, str, str, str] | None:
    """The two numeric inputs most correlated in the table (Spearman), and the segment."""
    import polars as pl

    from mlwatch.simulate import simulate

    from mlwatch import datasets

    case = simulate(table, "none", n=min(5_000, datasets.model_table(table).frame.height // 2), seed=0)
    frame = case.reference
    numeric = [c for c in case.investigate_kwargs()["features"] if frame[c].dtype.is_numeric()
               and frame[c].n_unique() > 10]
    if len(numeric) < 2:
        return None                      # no pair of ordered inputs to flip (ACS: age is the only one)
    ranks = frame.select([pl.col(c).rank() for c in numeric]).fill_null(0).to_numpy()
    rho = np.corrcoef(ranks, rowvar=False)
    np.fill_diagonal(rho, 0)
    i, j = np.unravel_index(np.nanargmax(np.abs(rho)), rho.shape)
    segment = case.investigate_kwargs()["segments"][0]
    value = frame[segment].drop_nulls().mode().sort()[0]
    return numeric[i], numeric[j], segment, str(value)


def _run(args) -> dict:
    table, n, seed, pair = args
    warnings.filterwarnings("ignore")
    from mlwatch.simulate import flip_correlation, simulate
    from mlwatch.steps.multivariate import multivariate_drift

    case = simulate(table, "none", n=n, seed=seed)
    current = case.current if pair is None else flip_correlation(case.current, pair[1], {pair[2]: pair[3]})
    r = multivariate_drift(case.reference, current, features=_inputs(case), n_threads=1, pairs=False, seed=seed)
    top = r.table["feature"].head(3).to_list()
    return {"drifted": r.drifted, "named": pair is not None and pair[0] in top and pair[1] in top,
            "calm": r.calm_marginals, "auc": r.auc}


def _pct(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{100 * k / n:5.1f} % [{100 * lo:4.1f}, {100 * hi:4.1f}]"


def timing() -> None:
    """``multivariate_drift`` and ``estimate_performance`` (3 segment columns) on 1M + 1M rows x
    25 features (``bench_scale``'s generator: a unit change on one region in the current window)."""
    from bench_scale import _part

    from mlwatch import estimate_performance, multivariate_drift

    reference = _part(np.random.default_rng(1), 1_000_000, False, 0, 1_000_000)
    current = _part(np.random.default_rng(2), 1_000_000, True, 0, 1_000_000)
    features = [f"f{i:02d}" for i in range(25)]
    started = time.perf_counter()
    joint = multivariate_drift(reference, current, features=features)
    middle = time.perf_counter()
    estimate = estimate_performance(reference, current.with_columns(label=None), target="label", prediction="score",
                                    segments=["region", "channel", "tier"])
    done = time.perf_counter()
    print(f"1M + 1M rows x 25 features: multivariate_drift {middle - started:.1f} s, estimate_performance "
          f"{done - middle:.1f} s, together {done - started:.1f} s")
    print(joint.sentence)
    print(estimate.sentence)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--timing", action="store_true", help="time both label-free tools on 1M + 1M rows")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--tables", default=",".join(TABLES))
    args = parser.parse_args(argv)
    if args.timing:
        timing()
        return
    from mlwatch import datasets

    started = time.perf_counter()
    print(f"{'table':8} {'n a side':>9}  {'no drift: flagged':<26} {'flipped correlation: flagged':<28} "
          f"{'pair in top 3':<26} {'calm marginals':<26} pair")
    # spawned, not forked: a fork of a process whose polars threads hold locks can hang
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for table in args.tables.split(","):
            pair = _pair(table)
            for size in SIZES:
                n = min(size, datasets.model_table(table).frame.height // 2)
                null = list(pool.map(_run, [(table, n, s, None) for s in range(args.runs)]))
                k = len(null)
                line = f"{table:8} {n:>9,}  {_pct(sum(r['drifted'] for r in null), k):<26} "
                if pair is None:
                    print(line + f"{'-':<28} {'-':<26} {'-':<26} (fewer than two numeric inputs)", flush=True)
                    continue
                power = list(pool.map(_run, [(table, n, 1000 + s, pair) for s in range(args.runs)]))
                print(line + f"{_pct(sum(r['drifted'] for r in power), k):<28} "
                      f"{_pct(sum(r['named'] for r in power), k):<26} {_pct(sum(r['calm'] for r in power), k):<26} "
                      f"{pair[0]} ~ {pair[1]} in {pair[2]}={pair[3]}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
