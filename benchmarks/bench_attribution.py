"""Time SHAP attribution stability on 1,000,000-row windows, against shap directly.

    python benchmarks/bench_attribution.py [--n 1000000]

Uses the slice benchmark's data (benchmarks/bench_slices.py writes it): a LightGBM model
(100 trees, 31 leaves) trained on 100,000 reference rows, then `attribution` on the full
reference and current windows with its defaults (2,000 rows a side, 200 bootstrap
resamples). Beside it: shap.TreeExplainer on 10,000 current rows, the per-row price of
explaining more rows than a sample needs.
"""

from __future__ import annotations

import argparse
import time

import polars as pl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()

    import lightgbm as lgb
    import shap

    from bench_slices import make_data
    from mlwatch.steps.attribution import attribution

    ref_path, cur_path = make_data(args.n)
    reference, current = pl.read_parquet(ref_path), pl.read_parquet(cur_path)
    features = [f"x{i}" for i in range(10)]
    train = reference.head(100_000)
    model = lgb.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1).fit(
        train.select(features).to_pandas(), train["label"].to_numpy())
    started = time.perf_counter()
    result = attribution(reference, current, model)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    labelled = attribution(reference, current, model, target="label")
    with_labels = time.perf_counter() - started
    started = time.perf_counter()
    shap.TreeExplainer(model).shap_values(current.head(10_000).select(features).to_pandas())
    tree = time.perf_counter() - started
    print(f"windows of {args.n:,} rows, 10 features, LightGBM 100 trees")
    print(f"  attribution (2,000 rows a side, 200 bootstraps)            {ours:6.2f} s")
    print(f"  attribution with labels (directions against the outcome)    {with_labels:6.2f} s")
    print(f"  shap.TreeExplainer on 10,000 rows (no intervals)            {tree:6.2f} s")
    lo, hi = result.rank_correlation_interval
    print(f"  ranking correlation {result.rank_correlation:.3f} [{lo:.3f}, {hi:.3f}]; inverted: {labelled.inverted}")


if __name__ == "__main__":
    main()
