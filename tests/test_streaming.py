"""Streaming detectors: golden detection positions on a seeded stream, agreement with River,
River's contract, and run_detector's Result."""

import json

import matplotlib
import numpy as np
import pytest
from river import drift

from mlwatch.errors import MlwatchError
from mlwatch.stats.streaming import ADWIN, CUSUM, PageHinkley, detect
from mlwatch.steps.trace import ChangeTrace, run_detector


def stream(n=100_000, seed=7):
    """N(0, 1) noise around a level: +1 at 20 %, -0.5 at 45 %, a ramp -0.5 -> 1 over 65-85 %, then 1."""
    rng = np.random.default_rng(seed)
    level = np.zeros(n)
    level[n // 5:] = 1.0
    level[int(n * 0.45):] = -0.5
    level[int(n * 0.65):int(n * 0.85)] = np.linspace(-0.5, 1.0, int(n * 0.85) - int(n * 0.65))
    level[int(n * 0.85):] = 1.0
    return level + rng.normal(0, 1, n)


GOLDEN = {
    "adwin": [20063, 45023, 66751, 69727, 73375, 76959, 80799, 84991],
    "page_hinkley_200": [20162, 45050, 66113, 69782, 73482, 77104, 80903, 85042],
    "cusum_10": [1514, 20024, 38722, 45006, 68310, 72892, 75191, 81008, 84698, 94078],
}


def _river(detector, values):
    found = []
    for i, v in enumerate(values.tolist()):
        detector.update(v)
        if detector.drift_detected:
            found.append(i)
    return found


def test_golden_detections():
    x = stream()
    assert detect(ADWIN(), x).tolist() == GOLDEN["adwin"]
    assert detect(PageHinkley(threshold=200), x).tolist() == GOLDEN["page_hinkley_200"]
    assert detect(CUSUM(h=10), x).tolist() == GOLDEN["cusum_10"]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("kind", ["gaussian", "binary", "heavy"])
def test_adwin_and_page_hinkley_agree_with_river(seed, kind):
    rng = np.random.default_rng(seed)
    n = 30_000
    rates = np.r_[np.full(n // 2, 0.2), np.full(n - n // 2, 0.35)]
    x = {"gaussian": stream(n, seed), "binary": (rng.random(n) < rates).astype(float),
         "heavy": rng.standard_t(2, n) + np.r_[np.zeros(n // 3), np.full(n - n // 3, 2.0)]}[kind]
    assert detect(ADWIN(), x).tolist() == _river(drift.ADWIN(), x)
    for params in ({}, {"threshold": 20, "mode": "up"}, {"delta": 0.05, "min_instances": 100, "mode": "down"}):
        assert detect(PageHinkley(**params), x).tolist() == _river(drift.PageHinkley(**params), x), params


def test_cusum_by_hand():
    """S+ = max(0, S+ + z - k), alarm above h, restart afterwards."""
    x = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 3.0, 0.0, 0.0, 4.0])
    found = detect(CUSUM(k=0.5, h=4.0, warmup=2, mean=0.0, sd=1.0), x).tolist()
    # S+: 0, 0, 0.5, 2.0, 4.5 (alarm at 4); restart: 2.5, 2.0, 1.5, 5.0 (alarm at 8)
    assert found == [4, 8]


def test_river_contract():
    for detector in (ADWIN(), PageHinkley(), CUSUM()):
        assert detector.update(0.5) is detector
        assert detector.drift_detected is False
        with pytest.raises(AttributeError):
            detector.drift_detected = True
    one_by_one = PageHinkley(threshold=200)
    x = stream(30_000)
    found = [i for i, v in enumerate(x) if one_by_one.update(v).drift_detected]
    assert found == detect(PageHinkley(threshold=200), x).tolist()


def test_any_river_detector_can_be_run():
    x = stream(5_000)
    assert detect(drift.KSWIN(seed=1), x).tolist() == _river(drift.KSWIN(seed=1), x)
    with pytest.raises(MlwatchError, match="not a drift detector"):
        detect(object(), x)
    with pytest.raises(MlwatchError, match="NaN or infinite value at position 3"):
        detect(ADWIN(), [0.0, 1.0, 2.0, np.nan])
    with pytest.raises(ValueError, match="expected one of: both, down, up"):
        PageHinkley(mode="sideways")


def test_run_detector_result():
    x = stream(20_000)
    index = np.arange(np.datetime64("2024-01-01T00:00"), np.datetime64("2024-01-01T00:00") + 20_000)
    result = run_detector(ADWIN(), x, index=list(index.astype("datetime64[us]").astype(object)))
    assert result.positions == detect(ADWIN(), x).tolist()
    first = result.table.row(0, named=True)
    assert first["mean_before"] == pytest.approx(0.0, abs=0.05) and first["mean_after"] > 0.5
    assert first["index"].startswith("2024-01-0")
    back = ChangeTrace.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.table.equals(result.table) and back.series.equals(result.series)
    assert "ADWIN" in result.summary() and result.series.height <= 2000
    ax = result.plot()
    assert len([l for l in ax.get_lines() if l.get_xdata()[0] == l.get_xdata()[-1]]) == len(result.positions)
    assert ax.get_xlabel() == "position in the stream"
    matplotlib.pyplot.close(ax.figure)
