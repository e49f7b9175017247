"""Past memory: the audit of two parquet windows scanned batch by batch (mlwatch.baseline).

Writes the test data once, seeded, outside the repository (``--data``, default
``/tmp/mlwatch-scale``): for each size N, a reference and a current folder of N rows each,
25 numeric features (continuous, counts, a default flood and, from the middle of the current
window, a unit change on one region), 3 text segments, a model's score, the label and a time
column, in parquet files of 5M rows. Then, for each size, in a fresh process (so each peak
memory is its own): the scanned audit of the 25 features and 3 segments (``audit(ref_dir,
cur_dir, scan=True)``), where it fits the in-memory audit of the same rows, and with
``--investigate`` the whole investigation of the folders (steps 1-4 and 6 on a uniform
sample of a million rows a side, step 5's audits on every row), with wall time, rows per
second and peak resident memory.

    python benchmarks/bench_scale.py                      # 10M and 30M rows a side
    python benchmarks/bench_scale.py --sizes 10 30 100    # and 100M (about 25 GB of parquet)
    python benchmarks/bench_scale.py --sizes 10 --engine spark   # Spark local[2] beside polars

With ``--engine spark`` the same folders are read by Spark (``spark.read.parquet``) and
audited as Spark DataFrames: each partition summarised on the executors, only summaries
collected (mlwatch.sources). Its peak memory is the Python driver's plus the JVM's and the
Python workers' high-water marks, read from /proc before the session stops.
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


def _part(rng: np.random.Generator, rows: int, current: bool, start: int = 0, total: int = 0) -> pl.DataFrame:
    """Rows ``start`` .. ``start + rows`` of a window of ``total`` rows (30 days): the
    features, three segments, a model's score and the label. In the current window, from its
    middle on, ``f02`` arrives in other units on region=north (the score goes wrong there) and
    ``f03`` is flooded with zeros in 5 % of rows."""
    columns = {}
    for i in range(FEATURES):
        if i % 5 == 0:
            values = rng.poisson(3 + i, rows).astype(np.float64)                  # counts: few distinct values
        elif i % 5 == 1:
            values = np.round(rng.normal(40 + i, 0.05 * (i + 1), rows), 4)      # an offset measurement
        else:
            values = rng.lognormal(i / 10, 1, rows)                              # continuous, skewed
        columns[f"f{i:02d}"] = values
    columns["region"] = rng.choice(["north", "south", "east", "west"], rows)
    columns["channel"] = rng.choice(["web", "app", "store"], rows, p=[0.5, 0.3, 0.2])
    columns["tier"] = rng.choice(["gold", "silver", "bronze", "basic", "trial"], rows)
    logit = 0.9 * (np.log(columns["f02"]) - 0.2) - 0.6 * (columns["f01"] - 41) / 0.1 + 0.3 * (columns["f05"] - 8) / 2.8
    columns["label"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    index = np.arange(start, start + rows)
    if current:
        broken = (columns["region"] == "north") & (index >= total // 2)
        columns["f02"] = np.where(broken, columns["f02"] * 1.8 + 32, columns["f02"])   # a unit change, one region
        columns["f03"][rng.random(rows) < 0.05] = 0.0                                  # a default flood
    seen = 0.9 * (np.log(columns["f02"]) - 0.2) - 0.6 * (columns["f01"] - 41) / 0.1 + 0.3 * (columns["f05"] - 8) / 2.8
    columns["score"] = 1 / (1 + np.exp(-seen))                   # the model scores what it is given
    origin = np.datetime64("2026-11-01" if current else "2026-10-01", "us")        # 30 days a window
    columns["time"] = origin + (index * (30 * 86_400_000_000 // max(total, 1))).astype("timedelta64[us]")
    return pl.DataFrame(columns)


def write(folder: Path, rows: int, seed: int, current: bool) -> None:
    marker = folder / "_complete_v2"
    if marker.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    rng = np.random.default_rng(seed)
    for k, start in enumerate(range(0, rows, FILE_ROWS)):
        _part(rng, min(FILE_ROWS, rows - start), current, start, rows).write_parquet(folder / f"part-{k:04d}.parquet")
    marker.write_text("ok")


def _measure(args) -> None:
    """One measurement in this process: prints a JSON line."""
    from mlwatch import audit

    children = 0.0
    features = [f"f{i:02d}" for i in range(FEATURES)] + ["region", "channel", "tier"]
    if args.mode == "investigate":
        from mlwatch import investigate

        started = time.perf_counter()
        found = investigate(str(args.reference), str(args.current), target="label", prediction="score", time="time",
                            segments=["region", "channel", "tier"])
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
        print(json.dumps({"seconds": seconds, "peak_gb": peak, "rows": sum(v["total"] for v in found.rows.values()),
                          "drifted": [f"{found.verdict.kind} on {found.audited_slice}: "
                                      f"{', '.join(found.audit.drifted[:3])}"]}))
        return
    if args.mode == "spark":
        from mlwatch.sources import local_spark

        spark = local_spark("bench-scale")
        spark.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter()
        result = audit(spark.read.parquet(str(args.reference)), spark.read.parquet(str(args.current)),
                       features=features)
        seconds = time.perf_counter() - started
        children = _children_peak_gb()
        spark.stop()
    else:
        started = time.perf_counter()
        if args.mode == "scan":
            result = audit(str(args.reference), str(args.current), features=features, scan=True, progress=False)
        else:
            result = audit(pl.read_parquet(args.reference / "*.parquet", columns=features),
                           pl.read_parquet(args.current / "*.parquet", columns=features), features=features)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2 + children      # kB -> GB
    print(json.dumps({"seconds": seconds, "peak_gb": peak, "drifted": result.drifted,
                      "rows": result.n_reference + result.n_current}))


def _children_peak_gb() -> float:
    """The memory high-water marks (VmHWM) of this process's descendants (Spark's JVM and
    its Python workers), summed, in GB."""
    import os

    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    total_kb = 0
    for pid in family - {os.getpid()}:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0)
    return total_kb / 1024 ** 2


def baseline_figures() -> None:
    """A baseline of 1M rows x 25 features (the first part of the data): build, size, load."""
    import tempfile

    from mlwatch import Baseline

    frame = _part(np.random.default_rng(1), 1_000_000, False).drop("score", "label", "time")
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
    parser.add_argument("--engine", choices=["polars", "spark"], default="polars",
                        help="spark: also audit the folders as Spark DataFrames (local[2])")
    parser.add_argument("--investigate", action="store_true", help="also time investigate() on the folders")
    parser.add_argument("--measure", choices=["scan", "memory", "spark", "investigate"], dest="mode",
                        help=argparse.SUPPRESS)
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--current", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        _measure(args)
        return
    baseline_figures()
    print(f"{FEATURES} numeric features + 3 segments; parquet in {args.data}; 2 cores")
    print(f"{'rows a side':>12} {'mode':>11} {'seconds':>8} {'rows/s':>12} {'peak GB':>8}  drifted")
    for size in args.sizes:
        rows = size * 1_000_000
        ref, cur = args.data / f"{size}M" / "reference", args.data / f"{size}M" / "current"
        write(ref, rows, 1, False)
        write(cur, rows, 2, True)
        for mode in ("scan", "memory", "spark", "investigate"):
            if (mode == "memory" and size > args.memory_up_to) or (mode == "spark" and args.engine != "spark") \
                    or (mode == "investigate" and not args.investigate):
                continue
            out = subprocess.run([sys.executable, __file__, "--measure", mode, "--reference", str(ref),
                                  "--current", str(cur)], capture_output=True, text=True, check=True)
            m = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{size:>11}M {mode:>11} {m['seconds']:8.1f} {m['rows'] / m['seconds']:12,.0f} {m['peak_gb']:8.2f}  "
                  f"{', '.join(m['drifted'])}", flush=True)


if __name__ == "__main__":
    main()
