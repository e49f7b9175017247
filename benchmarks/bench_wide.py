"""Wide tables: the audit's time as the number of columns grows (intake must stay linear).

    python benchmarks/bench_wide.py                  # 600, 3,000 and 5,000 columns
    python benchmarks/bench_wide.py --rows 10000

Each column is a standard normal in both windows (no drift), so the time is the audit's
own cost per column: binning, PSI/chi-square/JS/Hellinger/KL/TV with their floors, KS with
its p-value, Wasserstein, and every quality check.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000, 10_000])
    parser.add_argument("--columns", type=int, nargs="+", default=[600, 3_000, 5_000])
    args = parser.parse_args(argv)
    from mlwatch import audit

    rng = np.random.default_rng(0)
    print("| columns | rows a side | audit | per column |")
    print("|---|---|---|---|")
    for rows in args.rows:
        for columns in args.columns:
            names = [f"c{i}" for i in range(columns)]
            ref = pl.DataFrame(rng.normal(size=(rows, columns)), schema=names)
            cur = pl.DataFrame(rng.normal(size=(rows, columns)), schema=names)
            started = time.perf_counter()
            result = audit(ref, cur)
            took = time.perf_counter() - started
            assert result.table.height == columns
            print(f"| {columns:,} | {rows:,} | {took:.1f} s | {1e3 * took / columns:.1f} ms |")


if __name__ == "__main__":
    main()
