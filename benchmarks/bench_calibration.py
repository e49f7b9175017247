"""Is the verdict calibrated? False verdicts when nothing changed, and power on planted changes.

Null: random no-drift splits of the bundled real tables (``mlwatch.simulate(table, "none")``:
rows shuffled, then dealt to a reference and a current window, each with the model the
table comes with). For each table and n rows a side, the rate of verdicts other than
``none``, of runs with a significant slice, of drifted features (per feature) and of failed
quality checks (per check), with Wilson 95 % intervals.

The same with the current labels withheld (the slice search then runs on the estimated
metric) at n = 2,000 and 20,000, half as many runs. Every investigation runs the domain
classifier, as ``investigate`` does by default; its own flag rate is a column.

Power: planted changes at n = 2,000 and 20,000 (or the table's size): a mean shift of 0.2
and 0.5 sd on one input; x60 and /60 on 5 % and 20 % of the rows; two categories swapped
inside a segment of about 5 % of the rows; 20 % of the labels flipped inside such a segment
(regression tables: the target scaled by 1.4 there). The rate of the right verdict kind,
and of ``concept_drift`` where the cause is a pipeline fault.

    python benchmarks/bench_calibration.py            # the full tables (about 25 minutes on 2 cores)
    python benchmarks/bench_calibration.py --quick    # fewer repeats (about 4 minutes)
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

TABLES = ("flights", "acs", "hotel", "bike")
INPUT = {"flights": "dep_delay", "acs": "AGEP", "hotel": "lead_time", "bike": "temp"}
SWAP = {"acs": "RELP", "hotel": "reserved_room_type", "bike": "workingday"}       # a categorical input to re-map
NULL_SIZES = (200, 2_000, 20_000, 150_000)
WITHHELD_SIZES = (2_000, 20_000)
POWER_SIZES = (2_000, 20_000)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _size(table: str, n: int) -> int:
    from mlwatch import datasets

    return min(n, datasets.model_table(table).frame.height // 2)


def _null_run(args) -> dict:
    table, n, seed, labels = args
    warnings.filterwarnings("ignore")
    from mlwatch import investigate
    from mlwatch.simulate import simulate

    case = simulate(table, "none", n=n, seed=seed, labels=labels)
    f = investigate(case.reference, case.current, **case.investigate_kwargs())
    checks = f.audit.quality
    inputs = f.audit.table.filter(f.audit.table["feature"] != f.roles.prediction)
    return {"verdict": f.verdict.kind != "none", "slice": bool(f.slices.table["significant"].any()),
            "joint": bool(f.multivariate is not None and f.multivariate.drifted),
            "drifted": int(inputs["drifted"].sum()), "features": inputs.height,
            "failed": int(checks["failed"].sum()), "checks": checks.height}


def _power_run(args) -> dict:
    table, n, change, seed = args
    warnings.filterwarnings("ignore")
    from mlwatch import investigate
    from mlwatch.simulate import simulate

    injection, expected = CHANGES[change](table)
    case = simulate(table, injection, n=n, seed=seed)
    f = investigate(case.reference, case.current, **case.investigate_kwargs())
    return {"right": f.verdict.kind == expected, "concept": f.verdict.kind == "concept_drift",
            "verdict": f.verdict.kind, "pipeline": expected == "skew"}


def _shift(sd):
    def make(table):
        from mlwatch.simulate import Injection
        return Injection("covariate_shift", feature=INPUT[table], where={}, fraction=1.0, onset=0.0,
                         magnitude=("add", sd)), "data_drift"
    return make


def _unit(factor, share):
    def make(table):
        from mlwatch.simulate import Injection
        return Injection("unit_change", feature=INPUT[table], where={}, fraction=share, onset=0.0,
                         magnitude=(factor, 0.0)), "skew"
    return make


def _swap(table):
    from mlwatch.simulate import Injection
    return Injection("encoding_permutation", feature=SWAP[table], where=0.05, fraction=1.0, onset=0.0), "skew"


def _flip(table):
    from mlwatch import datasets
    from mlwatch.simulate import Injection
    regression = datasets.model_table(table).task == "regression"
    return Injection("concept_drift", where=0.05, fraction=1.0 if regression else 0.2, onset=0.0,
                     magnitude=0.4 if regression else None), "concept_drift"


CHANGES = {
    "shift 0.2 sd": _shift(0.2), "shift 0.5 sd": _shift(0.5),
    "x60 on 5 %": _unit(60.0, 0.05), "x60 on 20 %": _unit(60.0, 0.2),
    "/60 on 5 %": _unit(1 / 60, 0.05), "/60 on 20 %": _unit(1 / 60, 0.2),
    "swap 2 categories in a 5 % segment": _swap,
    "labels flipped (20 %) in a 5 % segment": _flip,
}


def _applies(change: str, table: str) -> bool:
    return not change.startswith("swap") or table in SWAP


def _pct(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{100 * k / n:5.1f} % [{100 * lo:4.1f}, {100 * hi:4.1f}]"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--only", choices=("null", "power"), default=None)
    args = parser.parse_args(argv)
    tables = args.tables.split(",")
    repeats = {200: 200, 2_000: 200, 20_000: 100, 150_000: 40}
    power_repeats = 50
    if args.quick:
        repeats = {200: 60, 2_000: 60, 20_000: 30, 150_000: 0}
        power_repeats = 12
    started = time.time()
    # spawn, not fork: polars' thread pool does not survive a fork (the workers hang)
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        if args.only in (None, "null"):
            for labels, sizes in (("available", NULL_SIZES), ("withheld", WITHHELD_SIZES)):
                title = "" if labels == "available" else (", the current labels withheld: the classifiers' slices on "
                                                          "the estimated metric, the regressions' on the mean prediction")
                print(f"## False verdicts when nothing changed (random splits of real tables{title})\n")
                print("| table | n a side | runs | verdict other than none | significant slice | domain classifier "
                      "flagged | drifted features (per feature) | failed quality checks (per check) |")
                print("|---|---|---|---|---|---|---|---|")
                for table in tables:
                    seen = set()
                    for n in sizes:
                        size = _size(table, n)
                        if size in seen or not repeats[n]:
                            continue
                        seen.add(size)
                        count = repeats[n] if labels == "available" else repeats[n] // 2
                        runs = list(pool.map(_null_run, [(table, size, seed, labels) for seed in range(count)]))
                        r = len(runs)
                        verdicts = sum(x["verdict"] for x in runs)
                        slices = sum(x["slice"] for x in runs)
                        joint = sum(x["joint"] for x in runs)
                        drifted, features = sum(x["drifted"] for x in runs), sum(x["features"] for x in runs)
                        failed, checks = sum(x["failed"] for x in runs), sum(x["checks"] for x in runs)
                        print(f"| {table} | {size:,} | {r} | {_pct(verdicts, r)} | {_pct(slices, r)} | "
                              f"{_pct(joint, r)} | {_pct(drifted, features)} | {_pct(failed, checks)} |", flush=True)
                print()
        if args.only in (None, "power"):
            print("\n## Power on planted changes: the right verdict kind (concept_drift where the cause is a "
                  "pipeline fault)\n")
            print("| change | table | n a side | right kind | called concept_drift | other verdicts |")
            print("|---|---|---|---|---|---|")
            for change in CHANGES:
                for table in tables:
                    if not _applies(change, table):
                        continue
                    seen = set()
                    for n in POWER_SIZES:
                        size = _size(table, n)
                        if size in seen:
                            continue
                        seen.add(size)
                        runs = list(pool.map(_power_run, [(table, size, change, 1000 + s)
                                                           for s in range(power_repeats)]))
                        r = len(runs)
                        right = sum(x["right"] for x in runs)
                        concept = sum(x["concept"] for x in runs) if runs[0]["pipeline"] else 0
                        others: dict[str, int] = {}
                        for x in runs:
                            if not x["right"]:
                                others[x["verdict"]] = others.get(x["verdict"], 0) + 1
                        other = ", ".join(f"{k} {v}" for k, v in sorted(others.items(), key=lambda kv: -kv[1]))
                        print(f"| {change} | {table} | {size:,} | {_pct(right, r)} | "
                              f"{concept if runs[0]['pipeline'] else '-'} | {other or '-'} |", flush=True)
    print(f"\n({time.time() - started:.0f} s; `python benchmarks/bench_calibration.py"
          f"{' --quick' if args.quick else ''}`)")


if __name__ == "__main__":
    sys.exit(main())
