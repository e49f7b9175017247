"""Right on incidents nobody tuned it for: a scorecard of random incidents on every bundled real table.

Each incident is drawn by ``mlwatch.simulate`` (seeded): a random kind, slice, feature, onset,
share of rows and size, injected into a random no-drift split of one of the bundled real
tables (flights, ACS employment, hotel rates, bike sharing, each with its own model), with
an event log holding the true trigger among decoys. ``mlwatch.investigate`` runs on it and
its verdict's primary finding is checked against the ground truth by
``mlwatch.steps.scorecard.score`` (verdict, slice, feature, signature, onset, trigger). A
check that does not apply (no feature for concept drift, nothing at all for a control) is
left out of its rate. Incidents with the labels withheld, and with labels for the first half
of the current window only (the usual delay of ground truth), are scored apart.

    python benchmarks/bench_diagnosis.py                 # 320 incidents with labels, 160 without
    python benchmarks/bench_diagnosis.py --count 80      # fewer
    python benchmarks/bench_diagnosis.py --kinds clipping,stuck --misses   # those kinds' jobs only
    python benchmarks/bench_diagnosis.py --seeds 21,37,45,53,61            # five seeds pooled (about 40 minutes)

The last column, "slice, same rows", checks the slice by the rows the fault changes in it
(``scorecard.same_rows``): a cap on Delta's long flights is a cap on Delta's flights from JFK
when only JFK flies that far. The "slice" column is the strict check (the scope's rows).
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

def _run(args) -> dict:
    table, seed, labels = args
    warnings.filterwarnings("ignore")
    from mlwatch import datasets, investigate
    from mlwatch.simulate import KINDS, Injection, simulate

    rng = np.random.default_rng(seed)
    kinds = [k for k in KINDS if not (labels == "withheld" and k == "concept_drift")]
    kind = kinds[seed % len(kinds)]
    size = min(datasets.model_table(table).frame.height // 2, 10_000)
    try:
        case = simulate(table, Injection(kind), n=size, seed=int(rng.integers(1 << 31)), labels=labels)
    except Exception as err:            # a kind the table has no column for
        return {"table": table, "kind": kind, "skipped": str(err)}
    findings = investigate(case.reference, case.current, **case.investigate_kwargs())
    from mlwatch.steps.scorecard import onset_window, same_rows, score, strength

    primary = findings.verdict.primary
    changed = case.truth.get("n_changed")
    return {"table": table, "kind": kind, "labels": labels, "seed": seed, "scores": score(case, findings),
            "same_rows": same_rows(case, findings),
            "window": onset_window(case, findings),
            "changed": None if changed is None else changed / case.current.height,
            "strength": strength(case),
            "truth": {k: case.truth.get(k) for k in ("verdict", "slice", "feature", "signature", "onset", "event")},
            "found": {"verdict": findings.verdict.kind, "scope": primary.scope if primary else None,
                      "feature": primary.feature if primary else None,
                      "signature": primary.signature if primary else None,
                      "onset": primary.onset if primary else None, "event": primary.event if primary else None,
                      "window": (primary.onset_low, primary.onset_high) if primary and primary.onset_low else None}}


def _table(runs: list[dict], title: str) -> None:
    from mlwatch.simulate import KINDS
    from mlwatch.steps.scorecard import CHECKS

    print(f"\n## {title}\n")
    print("| kind | incidents | " + " | ".join(CHECKS) + " | slice, same rows |")
    print("|---|---|" + "---|" * (len(CHECKS) + 1))
    for kind in [*KINDS, "all"]:
        chosen = [r for r in runs if "scores" in r and (kind == "all" or r["kind"] == kind)]
        if not chosen:
            continue
        cells = []
        for check in CHECKS:
            applied = [r["scores"][check] for r in chosen if r["scores"][check] is not None]
            cells.append(f"{100 * np.mean(applied):.0f} % ({sum(applied)}/{len(applied)})" if applied else "-")
        same = [r["same_rows"] for r in chosen if r.get("same_rows") is not None]
        cells.append(f"{100 * np.mean(same):.0f} % ({sum(same)}/{len(same)})" if same else "-")
        print(f"| {kind} | {len(chosen)} | " + " | ".join(cells) + " |")


FAULTS = ("unit_change", "encoding_permutation", "null_spike", "default_flood", "clipping", "stuck", "new_category")
SIZES = ((0.0, 0.005, "under 0.5 %"), (0.005, 0.02, "0.5 to 2 %"), (0.02, 0.1, "2 to 10 %"), (0.1, 1.01, "10 % or more"))


def _by_size(runs: list[dict]) -> None:
    """Pipeline faults (labels or not) by the share of the current rows whose value the fault
    actually changed: a cap on a tenth of a small segment changes a few rows in thousands."""
    print("\n## Pipeline faults by the share of current rows they changed\n")
    print("| rows changed | incidents | verdict | feature |")
    print("|---|---|---|---|")
    for low, high, label in SIZES:
        chosen = [r for r in runs if r["kind"] in FAULTS and "scores" in r and r.get("changed") is not None
                  and low <= r["changed"] < high]
        if chosen:
            print(f"| {label} | {len(chosen)} | " + " | ".join(_shares(chosen, ("verdict", "feature"))) + " |")


STRENGTHS = ((0.0, 2.0, "under 2"), (2.0, 3.0, "2 to 3"), (3.0, 4.0, "3 to 4"), (4.0, np.inf, "4 or more"))


def _by_strength(runs: list[dict]) -> None:
    """Concept drifts (labels or part of them) by how plainly their rows show them: the |z| of
    the true slice's change beyond the rest's, which a reader who knew the slice would
    compute (``scorecard.strength``); the slice search weighs a couple of hundred candidates
    and needs about 3.5."""
    chosen = [r for r in runs if r["kind"] == "concept_drift" and "scores" in r and r.get("strength") is not None]
    if not chosen:
        return
    print("\n## Concept drifts by the strength of the change in their slice (|z| against the rest, no search)\n")
    print("| \\|z\\| | incidents | verdict | slice |")
    print("|---|---|---|---|")
    for low, high, label in STRENGTHS:
        some = [r for r in chosen if low <= r["strength"] < high]
        if some:
            print(f"| {label} | {len(some)} | " + " | ".join(_shares(some, ("verdict", "slice"))) + " |")


def _shares(runs: list[dict], checks: tuple[str, ...]) -> list[str]:
    """Each check's share of right answers among ``runs`` (where it applies), as a cell."""
    cells = []
    for check in checks:
        hits = [r["scores"][check] for r in runs if r["scores"][check] is not None]
        cells.append(f"{100 * np.mean(hits):.0f} % ({sum(hits)}/{len(hits)})")
    return cells


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=320, help="incidents with labels (half as many without)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", help="several seeds' jobs pooled (comma-separated): a kind's cell of 12 to 18 "
                                        "incidents moves 6 to 8 points on one miss, and five seeds hold 60 to 90")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--misses", action="store_true", help="print every incident a check got wrong")
    parser.add_argument("--kinds", help="only the jobs of these kinds (comma-separated), the same seeds")
    parser.add_argument("--labels", help="only the jobs with these labels (available, withheld, partial)")
    args = parser.parse_args(argv)
    from mlwatch.datasets import tables
    from mlwatch.simulate import KINDS

    names = tables()
    jobs = []
    for seed in [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]:
        jobs += [(names[i % len(names)], seed * 100_000 + i, "available") for i in range(args.count)]
        jobs += [(names[i % len(names)], seed * 100_000 + 50_000 + i, "withheld") for i in range(args.count // 2)]
        jobs += [(names[i % len(names)], seed * 100_000 + 80_000 + i, "partial") for i in range(args.count // 4)]
    if args.kinds:
        wanted = set(args.kinds.split(","))
        drawn = {labels: [k for k in KINDS if not (labels == "withheld" and k == "concept_drift")]
                 for labels in ("available", "withheld", "partial")}
        jobs = [j for j in jobs if drawn[j[2]][j[1] % len(drawn[j[2]])] in wanted]
    if args.labels:
        jobs = [j for j in jobs if j[2] in args.labels.split(",")]
    started = time.time()
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = list(pool.map(_run, jobs))
    with_labels = [r for r in runs if r.get("labels") == "available"]
    without = [r for r in runs if r.get("labels") == "withheld"]
    partial = [r for r in runs if r.get("labels") == "partial"]
    _table(with_labels, "Random incidents with labels: share of right answers per check")
    _table(without, "Random incidents with the labels withheld")
    _table(partial, "Random incidents with labels for the first half of the current window only")
    _by_size(with_labels + without + partial)
    _by_strength(with_labels + partial)
    print("\n## Stated onset windows (the 95 % window the primary finding says its change began in)\n")
    print("| incidents | with a window | holds the true onset | median width (time buckets) |\n|---|---|---|---|")
    for name, chosen in (("with labels", with_labels), ("labels withheld", without), ("partial labels", partial)):
        windows = [r["window"] for r in chosen if r.get("window") is not None]
        if windows:
            held = sum(w[0] for w in windows)
            print(f"| {name} | {len(windows)} | {held / len(windows):.0%} ({held}/{len(windows)}) "
                  f"| {np.median([w[1] for w in windows]):.1f} |")
    controls = [r for r in with_labels + without + partial if r["kind"] == "none"]
    false = sum(not r["scores"]["verdict"] for r in controls)
    print(f"\nFalse verdicts on controls: {false} of {len(controls)}")
    skipped = [r for r in runs if "skipped" in r]
    print(f"({len(runs) - len(skipped)} incidents, {len(skipped)} skipped for want of a column; "
          f"{time.time() - started:.0f} s; `python benchmarks/bench_diagnosis.py --count {args.count}`)")
    if args.misses:
        for r in runs:
            window = r.get("window")
            if "scores" in r and (not all(v in (True, None) for v in r["scores"].values()) or
                                  (window is not None and not window[0])):
                wrong = [c for c, v in r["scores"].items() if v is False] + (
                    ["same_rows"] if r.get("same_rows") is False else []) + (
                    ["window"] if window is not None and not window[0] else [])
                print(f"- {r['table']} {r['kind']} ({r['labels']}, job seed {r['seed']}): wrong {wrong}; "
                      f"truth {r['truth']}; found {r['found']}")


if __name__ == "__main__":
    sys.exit(main())
