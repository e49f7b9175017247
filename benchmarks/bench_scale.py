"""Past memory: the audit of two parquet windows scanned batch by batch (mlwatch.baseline).

Writes the test data once, seeded, outside the repository (``--data``, default
``/tmp/mlwatch-scale``): for each size N, a reference and a current folder of N rows each,
25 numeric features (continuous, counts, a default flood and a unit change planted in the
current window) and 3 text segments, in parquet files of 5M rows. Then, for each size, in a
fresh process (so each peak memory is its own): the scanned audit (``audit(ref_dir, cur_dir,
scan=True)``) and, where it fits, the in-memory audit of the same rows, with wall time, rows
per second and peak resident memory.

    python benchmarks/bench_scale.py                      # 10M and 30M rows a side
    python benchmarks/bench_scale.py --sizes 10 30 100    # and 100M (about 25 GB of parquet)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

FILE_ROWS = 5_000_000
FEATURES = 25


def _part(rng: np.random.Generator, rows: int, current: bool) -> pl.DataFrame:
    columns = {}
    for i in range(FEATURES):
        if i % 5 == 0:
            values = rng.poisson(3 + i, rows).astype(np.float64)                  # counts: few distinct values
        elif i % 5 == 1:
            values = np.round(rng.normal(40 + i, 0.05 * (i + 1), rows), 4)      # an offset measurement
        else:
            values = rng.lognormal(i / 10, 1, rows)                              # continuous, skewed
        if current and i == 2:
            values = values * 1.8 + 32                                           # a unit change
        if current and i == 3:
            values[rng.random(rows) < 0.05] = 0.0                                # a default flood
        columns[f"f{i:02d}"] = values
    columns["region"] = rng.choice(["north", "south", "east", "west"], rows)
    columns["channel"] = rng.choice(["web", "app", "store"], rows, p=[0.5, 0.3, 0.2])
    columns["tier"] = rng.choice(["gold", "silver", "bronze", "basic", "trial"], rows)
    return pl.DataFrame(columns)


def write(folder: Path, rows: int, seed: int, current: bool) -> None:
    marker = folder / "_complete"
    if marker.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for k, start in enumerate(range(0, rows, FILE_ROWS)):
        _part(rng, min(FILE_ROWS, rows - start), current).write_parquet(folder / f"part-{k:04d}.parquet")
    marker.write_text("ok")


def _measure(args) -> None:
    """One measurement in this process: prints a JSON line."""
    from mlwatch import audit

    started = time.perf_counter()
    if args.mode == "scan":
        result = audit(str(args.reference), str(args.current), scan=True, progress=False)
    else:
        result = audit(pl.read_parquet(args.reference / "*.parquet"), pl.read_parquet(args.current / "*.parquet"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2       # kB -> GB
    print(json.dumps({"seconds": seconds, "peak_gb": peak, "drifted": result.drifted,
                      "rows": result.n_reference + result.n_current}))


def baseline_figures() -> None:
    """A baseline of 1M rows x 25 features (the first part of the data): build, size, load."""
    import tempfile

    from mlwatch import Baseline

    frame = _part(np.random.default_rng(1), 1_000_000, False)
    started = time.perf_counter()
    base = Baseline.from_frame(frame)
    built = time.perf_counter() - started
    path = base.save(Path(tempfile.mkdtemp()) / "ref.mlwatch")
    loads = []
    for _ in range(7):
        started = time.perf_counter()
        Baseline.load(path)
        loads.append(time.perf_counter() - started)
    print(f"Baseline of 1,000,000 rows x {frame.width} columns: built in {built:.1f} s, "
          f"{path.stat().st_size / 1e6:.2f} MB, loads in {1000 * np.median(loads):.0f} ms (median of 7)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30], help="rows a side, in millions")
    parser.add_argument("--data", type=Path, default=Path("/tmp/mlwatch-scale"))
    parser.add_argument("--memory-up-to", type=int, default=30, help="also run in memory up to this size (millions)")
    parser.add_argument("--measure", choices=["scan", "memory"], dest="mode", help=argparse.SUPPRESS)
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--current", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        _measure(args)
        return
    baseline_figures()
    print(f"{FEATURES} numeric features + 3 segments; parquet in {args.data}; 2 cores")
    print(f"{'rows a side':>12} {'mode':>7} {'seconds':>8} {'rows/s':>12} {'peak GB':>8}  drifted")
    for size in args.sizes:
        rows = size * 1_000_000
        ref, cur = args.data / f"{size}M" / "reference", args.data / f"{size}M" / "current"
        write(ref, rows, 1, False)
        write(cur, rows, 2, True)
        for mode in ("scan", "memory"):
            if mode == "memory" and size > args.memory_up_to:
                continue
            out = subprocess.run([sys.executable, __file__, "--measure", mode, "--reference", str(ref),
                                  "--current", str(cur)], capture_output=True, text=True, check=True)
            m = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{size:>11}M {mode:>7} {m['seconds']:8.1f} {m['rows'] / m['seconds']:12,.0f} {m['peak_gb']:8.2f}  "
                  f"{', '.join(m['drifted'])}", flush=True)


if __name__ == "__main__":
    main()
