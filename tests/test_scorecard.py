"""A seeded subset of the random-incident scorecard (``benchmarks/bench_diagnosis.py``): 40
incidents nobody tuned anything for, ten a bundled table, with and without labels."""

import warnings

import numpy as np
import pytest

from mlwatch import investigate
from mlwatch.datasets import tables
from mlwatch.simulate import KINDS, Injection, simulate
from mlwatch.steps.scorecard import CHECKS, score

warnings.filterwarnings("ignore", category=FutureWarning)


@pytest.fixture(scope="module")
def scorecard():
    runs = []
    for i in range(40):
        table = tables()[i % 4]
        labels = "withheld" if i % 5 == 4 else "available"
        kinds = [k for k in KINDS if not (labels == "withheld" and k == "concept_drift")]
        try:
            case = simulate(table, Injection(kinds[(i * 7) % len(kinds)]), n=3000, seed=1000 + i, labels=labels)
        except Exception:            # a kind the table has no column for
            continue
        findings = investigate(case.reference, case.current, multivariate=False, **case.investigate_kwargs())
        runs.append((case, findings, score(case, findings)))
    return runs


def test_controls_stay_quiet(scorecard):
    controls = [s for case, _, s in scorecard if case.truth["kind"] == "none"]
    assert controls and all(s["verdict"] for s in controls)


def test_the_diagnosis_is_mostly_right(scorecard):
    """A regression guard on this seeded subset at 3,000 rows a side, where the verdict is
    right in 68 % of incidents (the full scorecard, 430 incidents at up to 10,000 rows a side,
    measures 80 % with labels and 84 % without: see the README; the goal is 95 %), and the
    feature and signature mostly right whenever the verdict is."""
    assert len(scorecard) >= 30
    rate = {c: np.mean([s[c] for _, _, s in scorecard if s[c] is not None]) for c in CHECKS}
    assert rate["verdict"] >= 0.65, rate
    right = [(case, s) for case, _, s in scorecard if s["verdict"] and s["feature"] is not None]
    assert np.mean([s["feature"] for _, s in right]) >= 0.9
    assert np.mean([s["signature"] for _, s in right]) >= 0.85


def test_a_pipeline_fault_is_never_called_concept_drift(scorecard):
    for case, findings, _ in scorecard:
        if case.truth["verdict"] == "skew":
            assert findings.verdict.kind != "concept_drift", case.truth
