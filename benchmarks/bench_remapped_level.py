"""The level of ``trace.remapped_share``'s test by simulation on real data: two draws of the
ACS relationship column (RELP) with nothing re-mapped, read for the householder <-> spouse
swap; the share of draws it rejects at 1 % and 5 %, by rows a side.

    python benchmarks/bench_remapped_level.py            # 1,000 draws a size
"""

from __future__ import annotations

import argparse

import numpy as np
import polars as pl


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args(argv)
    from mlwatch import datasets
    from mlwatch.steps.trace import remapped_share

    values = datasets.model_table("acs").frame["RELP"].cast(str).to_numpy()
    print("| rows a side | draws | rejected at 1 % | rejected at 5 % |\n|---|---|---|---|")
    for n in (100, 300, 1_000, 3_000, 10_000):
        rng = np.random.default_rng(n)
        p = np.array([remapped_share(pl.Series(rng.choice(values, n)), pl.Series(rng.choice(values, n)),
                                     {"0": "1", "1": "0"})["p_value"] for _ in range(args.draws)])
        print(f"| {n:,} | {args.draws} | {np.mean(p < 0.01):.1%} | {np.mean(p < 0.05):.1%} |")


if __name__ == "__main__":
    main()
