"""Throughput of the streaming detectors on a 1,000,000-value stream, against River's.

    python benchmarks/bench_stream.py [--n 1000000]

The stream is the shared peer benchmark's: N(0, 1) noise around a level of 0, +1.0 at 20 %,
-0.5 at 45 %, a linear ramp -0.5 -> +1.0 over 65-85 %, then 1.0. River's ADWIN took ~1.4 s
for 1,000,000 updates on this machine in that benchmark. The detections are compared too:
mlwatch's ADWIN and Page-Hinkley must find exactly River's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def stream(n: int, seed: int = 20241121) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = np.zeros(n)
    level[int(n * 0.2):] = 1.0
    level[int(n * 0.45):] = -0.5
    level[int(n * 0.65):int(n * 0.85)] = np.linspace(-0.5, 1.0, int(n * 0.85) - int(n * 0.65))
    level[int(n * 0.85):] = 1.0
    return level + rng.normal(0, 1, n)


def _river(detector, values):
    found = []
    for i, v in enumerate(values.tolist()):
        detector.update(v)
        if detector.drift_detected:
            found.append(i)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    from river import drift

    from mlwatch.stats.streaming import ADWIN, CUSUM, PageHinkley, detect

    x = stream(args.n)
    print(f"{args.n:,} values; seconds (detections)")
    for name, ours, theirs in (("ADWIN", ADWIN, drift.ADWIN), ("PageHinkley", lambda: PageHinkley(threshold=200),
                                                               lambda: drift.PageHinkley(threshold=200))):
        t = time.perf_counter()
        found = detect(ours(), x)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        river_found = _river(theirs(), x)
        t_river = time.perf_counter() - t
        same = "same detections" if found.tolist() == river_found else "DIFFERENT detections"
        print(f"  {name:12s} mlwatch {t_ours:5.2f} s ({found.size})   river {t_river:5.2f} s ({len(river_found)})   "
              f"{t_river / t_ours:.1f}x, {same}")
    t = time.perf_counter()
    found = detect(CUSUM(h=10), x)
    print(f"  {'CUSUM':12s} mlwatch {time.perf_counter() - t:5.2f} s ({found.size})   (River has none)")


if __name__ == "__main__":
    main()
