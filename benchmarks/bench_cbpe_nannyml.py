"""mlwatch's performance estimate beside NannyML's CBPE, on the same real data, per slice.

NannyML stays out of mlwatch's dependencies: this script installs it in its own virtual
environment (``$PEERS_DIR/nannyml``, default ``~/.mlwatch-peers/nannyml``, the peer harness's
place) when it is missing, and runs it there with ``NML_DISABLE_USAGE_LOGGING=1`` (NannyML
reports usage over the network otherwise).

Data: the ACS employment table bundled in ``datasets/`` (``mlwatch.simulate("acs", "none")``),
its current window re-drawn with a covariate shift on AGEP that keeps each row's label (as
``benchmarks/bench_estimate.py`` does). Both tools estimate accuracy and ROC-AUC on the whole
current window and on every SEX and MAR slice of at least 500 rows (NannyML on each slice's
rows, one chunk), labels withheld; the realised metric is computed from the withheld labels.

    python benchmarks/bench_cbpe_nannyml.py            # 5 seeded runs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_estimate import shifted  # noqa: E402

PEERS = Path(os.environ.get("PEERS_DIR", Path.home() / ".mlwatch-peers"))
SLICES = ("SEX", "MAR")

RUNNER = r'''
import json, sys, warnings
warnings.filterwarnings("ignore")
import nannyml as nml, pandas as pd
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
target, score, slices = sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
out = {}
for name in slices:
    r = ref[ref[name[0]].astype(str) == name[1]] if name else ref
    c = cur[cur[name[0]].astype(str) == name[1]] if name else cur
    est = nml.CBPE(y_pred_proba=score, y_pred="y_pred", y_true=target, problem_type="classification_binary",
                   metrics=["roc_auc", "accuracy"], chunk_number=1)
    est.fit(r.assign(y_pred=(r[score] >= 0.5).astype(int)))
    res = est.estimate(c.assign(y_pred=(c[score] >= 0.5).astype(int))).filter(period="analysis").to_df()
    key = "population" if not name else f"{name[0]}={name[1]}"
    out[key] = {m: float(res[(m, "value")].iloc[0]) for m in ("accuracy", "roc_auc")}
print(json.dumps(out))
'''


def nannyml_python() -> Path:
    python = PEERS / "nannyml" / "bin" / "python"
    if not python.exists():
        print(f"installing NannyML in {python.parent.parent} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
        # nannyml imports statsmodels without declaring it (as the peer harness notes)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "nannyml", "pyarrow", "statsmodels"], check=True)
    return python


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--beta", type=float, default=0.5)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from mlwatch.simulate import simulate
    from mlwatch.steps.estimate import _realised, estimate_performance

    python = nannyml_python()
    env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1"}
    rows = []
    started = time.perf_counter()
    for seed in range(args.runs):
        case = simulate("acs", "none", n=40_000, seed=seed)
        kw = case.investigate_kwargs()
        target, score = kw["target"], kw["prediction"]
        current = shifted(case, "AGEP", args.beta, 20_000, seed)
        ours = {m: estimate_performance(case.reference, current, target=target, prediction=score,
                                        segments=list(SLICES), metric=m, seed=seed) for m in ("accuracy", "roc_auc")}
        table = ours["accuracy"].table.filter(ours["accuracy"].table["n_current"] >= 500)
        names = [None if s == "population" else s.split("=", 1) for s in table["slice"].to_list()]
        with tempfile.TemporaryDirectory() as folder:
            ref_path, cur_path = Path(folder) / "ref.parquet", Path(folder) / "cur.parquet"
            keep = [target, score, *SLICES]
            case.reference.select(keep).write_parquet(ref_path)
            current.select(keep).write_parquet(cur_path)
            done = subprocess.run([str(python), "-c", RUNNER, str(ref_path), str(cur_path), target, score,
                                   json.dumps(names)],
                                  capture_output=True, text=True, env=env)
            if done.returncode:
                raise SystemExit(f"NannyML failed: {done.stderr.strip().splitlines()[-1:]}")
            theirs = json.loads(done.stdout.strip().splitlines()[-1])
        for label in table["slice"].to_list():
            inside = np.ones(current.height, bool) if label == "population" else \
                (current[label.split("=")[0]].cast(str) == label.split("=")[1]).to_numpy()
            y, p = current[target].to_numpy()[inside].astype(float), current[score].to_numpy()[inside]
            for metric in ("accuracy", "roc_auc"):
                row = ours[metric].table.filter(ours[metric].table["slice"] == label).row(0, named=True)
                rows.append({"metric": metric, "slice": label, "realised": _realised(metric, y, p, 0.5),
                             "mlwatch": row["estimated"], "low": row["low"], "high": row["high"],
                             "nannyml": theirs[label][metric]})
    print(f"{'metric':9} {'slices':>6}  {'mlwatch |error|':>16} {'NannyML |error|':>16}  "
          f"{'mlwatch interval covers':>24}")
    for metric in ("accuracy", "roc_auc"):
        part = [r for r in rows if r["metric"] == metric]
        ours_err = np.mean([abs(r["mlwatch"] - r["realised"]) for r in part])
        theirs_err = np.mean([abs(r["nannyml"] - r["realised"]) for r in part])
        covered = np.mean([r["low"] <= r["realised"] <= r["high"] for r in part])
        print(f"{metric:9} {len(part):6d}  {ours_err:16.4f} {theirs_err:16.4f}  {100 * covered:23.1f} %")
    print(f"({time.perf_counter() - started:.0f} s, {args.runs} runs, beta {args.beta})")


if __name__ == "__main__":
    main()
