"""False caps of ``steps.frozen.capped_segments`` on real no-drift windows of every bundled table
(or, with ``--scan off_grid``, false values off the grid of ``steps.frozen.off_grid_segments``).

Two kinds of windows, nothing injected (``mlwatch.simulate(table, "none")``): shuffled
(rows drawn at random and dealt to both windows, time stamps in order: exchangeable rows)
and consecutive (``shuffle=False``: the table's own time order, with its seasons, its hours
that share their weather and its group bookings' repeated rows). For each table and size,
the share of windows where the scan reports a finding at the level ``investigate`` gives it
(0.0025) and at 0.05, and the smallest p-value seen.

    python benchmarks/bench_capped_level.py                  # 50 shuffled, 25 consecutive a size
    python benchmarks/bench_capped_level.py --draws 10       # fewer
    python benchmarks/bench_capped_level.py --scan off_grid  # the scan of values off the grid
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

LEVEL = 0.0025          # the scan's share of the verdict's family in investigate (alpha / 20)


def _run(args) -> tuple:
    table, seed, n, shuffle, scan = args
    warnings.filterwarnings("ignore")
    from mlwatch.simulate import Injection, simulate
    from mlwatch.steps.frozen import capped_segments, off_grid_segments

    case = simulate(table, Injection("none"), n=n, seed=seed, shuffle=shuffle)
    roles = case.roles
    if scan == "capped":
        found = capped_segments(case.reference, case.current, segments=roles["segments"], features=roles["features"],
                                time=roles["time"], alpha=1.0)
        p = found[0]["p_value"] if found else 1.0
        return table, n, shuffle, p, p < LEVEL
    # the scan's correction counts the tests that could reach its level (Tarone's): a p-value
    # is read at each level
    found = [off_grid_segments(case.reference, case.current, segments=roles["segments"], features=roles["features"],
                               alpha=level) for level in (0.05, LEVEL)]
    return table, n, shuffle, (found[0][0]["p_value"] if found[0] else 1.0), bool(found[1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=50, help="shuffled windows a size (half as many consecutive)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scan", choices=("capped", "off_grid"), default="capped")
    args = parser.parse_args(argv)
    from mlwatch import datasets

    jobs = []
    for table in datasets.tables():
        full = min(datasets.model_table(table).frame.height // 2, 10_000)
        for n in sorted({1_000, full}):
            jobs += [(table, 1_000 + s, n, True, args.scan) for s in range(args.draws)]
            jobs += [(table, 1_000 + s, n, False, args.scan) for s in range(max(args.draws // 2, 1))]
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = list(pool.map(_run, jobs))
    print(f"| table | rows a side | windows | draws | flagged at {LEVEL} | flagged at 0.05 | smallest p |")
    print("|---|---|---|---|---|---|---|")
    for key in dict.fromkeys((t, n, s) for t, n, s, _, _ in runs):
        p = np.array([q for t, n, s, q, _ in runs if (t, n, s) == key])
        flagged = np.array([f for t, n, s, _, f in runs if (t, n, s) == key])
        print(f"| {key[0]} | {key[1]:,} | {'shuffled' if key[2] else 'consecutive'} | {p.size} | "
              f"{np.mean(flagged):.1%} | {np.mean(p < 0.05):.1%} | {p.min():.2g} |")


if __name__ == "__main__":
    sys.exit(main())
