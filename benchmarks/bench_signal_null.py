"""Step 1's false moves: how often the signal says "the model's metric moved" when nothing changed.

    python benchmarks/bench_signal_null.py [--runs 40]

Random no-drift splits of the bundled tables (``mlwatch.simulate(table, "none")``: rows
shuffled, time stamps kept in order), at 200, 2,000 and 10,000 rows a side (or the table's
size), each read by :func:`mlwatch.steps.signal.signal` alone. Step 1 is not part of the
verdict; its design level is about 5 % (a Bonferroni split test at 5 % and a whole-window
test at 1 %). A rate with a Wilson 95 % interval per table and size, and pooled.
"""

from __future__ import annotations

import argparse
import warnings

from bench_calibration import wilson


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from mlwatch import datasets
    from mlwatch.simulate import simulate
    from mlwatch.steps.scoring import resolve_scoring
    from mlwatch.steps.signal import signal

    print("| table | n a side | runs | said the metric moved |\n|---|---|---|---|")
    total = moved_total = 0
    for table in ("flights", "acs", "hotel", "bike"):
        seen = set()
        for n in (200, 2_000, 10_000):
            size = min(n, datasets.model_table(table).frame.height // 2)
            if size in seen:
                continue
            seen.add(size)
            moved = 0
            for seed in range(args.runs):
                case = simulate(table, "none", n=size, seed=10_000 + seed)
                roles = case.roles
                scoring = resolve_scoring(case.reference, case.current, prediction=roles["prediction"],
                                          target=roles["target"], metric=roles.get("metric"))
                moved += signal(case.reference, case.current, scoring, time=roles["time"]).metric_left is not None
            low, high = wilson(moved, args.runs)
            print(f"| {table} | {size:,} | {args.runs} | {moved / args.runs:.1%} [{low:.1%}, {high:.1%}] |", flush=True)
            total, moved_total = total + args.runs, moved_total + moved
    low, high = wilson(moved_total, total)
    print(f"| all | | {total} | {moved_total / total:.1%} [{low:.1%}, {high:.1%}] |")


if __name__ == "__main__":
    main()
