"""Streaming change detectors with River's contract: ``update(x)`` returns the detector,
``drift_detected`` is a read-only property that says whether the last update found a change
(the detector starts afresh on the next update, as River's do).

* :class:`ADWIN` is River's (its Rust core): the same detections to the index, and
  :func:`mlwatch.stats.streaming.detect` feeds it without River's per-call Python layer.
* :class:`PageHinkley` reproduces River's ``PageHinkley`` (same parameters, same
  detections) and runs a whole array at numpy speed: between two detections its
  statistics are a linear recursion (``scipy.signal.lfilter``) and running extrema.
* :class:`CUSUM` is the two-sided tabular CUSUM on values standardised by a warm-up
  window; between detections it is a Lindley recursion, solved with cumulative sums.

:func:`detect` runs a detector over an array and returns the detection positions;
:func:`mlwatch.steps.trace.run_detector` wraps that in a Result with a plot.
"""

from __future__ import annotations

import numpy as np

from mlwatch.errors import MlwatchError, check_choice

BLOCK = 1 << 16


class DriftDetector:
    """What every detector here shares: the read-only ``drift_detected``."""

    _drift_detected = False

    @property
    def drift_detected(self) -> bool:
        """Whether the last update found a change."""
        return self._drift_detected

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict:
        return {}


class _ArrayDetector(DriftDetector):
    """A detector whose ``_detect_in(x)`` advances over an array and stops at the first
    detection: ``update`` feeds it one value, ``detect`` whole blocks."""

    def update(self, x) -> "_ArrayDetector":
        self._detect_in(np.array([float(x)]))
        return self

    def _run(self, values: np.ndarray) -> list[int]:
        return _run_in_blocks(self, values)

    def _detect_in(self, x: np.ndarray) -> int | None:  # pragma: no cover - each detector defines it
        raise NotImplementedError


class ADWIN(DriftDetector):
    """Adaptive windowing (Bifet and Gavaldà, 2007), River's implementation.

    >>> import random
    >>> rng = random.Random(12345)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    >>> detect(ADWIN(), stream).tolist()          # River's own docstring finds index 1023
    [1023]
    """

    def __init__(self, delta: float = 0.002, clock: int = 32, max_buckets: int = 5, min_window_length: int = 5,
                 grace_period: int = 10):
        from river import drift

        self.delta, self.clock, self.max_buckets = delta, clock, max_buckets
        self.min_window_length, self.grace_period = min_window_length, grace_period
        self._river = drift.ADWIN(delta=delta, clock=clock, max_buckets=max_buckets,
                                  min_window_length=min_window_length, grace_period=grace_period)

    def _params(self) -> dict:
        return {"delta": self.delta, "clock": self.clock}

    def update(self, x) -> "ADWIN":
        self._river.update(x)
        return self

    @property
    def drift_detected(self) -> bool:
        return self._river.drift_detected

    @property
    def width(self) -> int:
        """Length of the current window."""
        return self._river.width

    @property
    def estimation(self) -> float:
        """Mean of the current window."""
        return self._river.estimation

    def _run(self, values: np.ndarray) -> list[int]:
        river = self._river
        found = []
        helper = getattr(river, "_helper", None)
        if helper is None or not hasattr(river, "_reset"):      # River changed its insides: the public way
            for i, x in enumerate(values.tolist()):
                river.update(x)
                if river.drift_detected:
                    found.append(i)
            return found
        update = helper.update
        for i, x in enumerate(values.tolist()):   # River's Rust core, without its per-call Python layer
            if update(x):
                found.append(i)
                river._reset()
                update = river._helper.update
        river._drift_detected = False
        return found


class PageHinkley(_ArrayDetector):
    """Page-Hinkley test, River's parameters and detections.

    >>> import random
    >>> rng = random.Random(12345)
    >>> stream = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    >>> detect(PageHinkley(), stream).tolist()    # River's own docstring finds index 1006
    [1006]
    """

    def __init__(self, min_instances: int = 30, delta: float = 0.005, threshold: float = 50.0,
                 alpha: float = 1 - 0.0001, mode: str = "both"):
        self.min_instances, self.delta, self.threshold, self.alpha = min_instances, delta, threshold, alpha
        self.mode = check_choice("mode", mode, ("up", "down", "both"))
        self._reset()

    def _params(self) -> dict:
        return {"delta": self.delta, "threshold": self.threshold, "mode": self.mode}

    def _reset(self) -> None:
        self._drift_detected = False
        self._n, self._mean = 0, 0.0
        self._inc, self._dec = 0.0, 0.0
        self._min_inc, self._max_dec = np.inf, -1.0

    def _detect_in(self, x: np.ndarray) -> int | None:
        """Advance over ``x``; stop at the first detection (its index in ``x``) or None."""
        from scipy.signal import lfilter

        if self._drift_detected:
            self._reset()
        count = self._n + np.arange(1, x.size + 1)
        mean = (self._n * self._mean + np.cumsum(x)) / count
        dev = x - mean
        inc = lfilter([1.0], [1.0, -self.alpha], dev - self.delta, zi=[self.alpha * self._inc])[0]
        dec = lfilter([1.0], [1.0, -self.alpha], dev + self.delta, zi=[self.alpha * self._dec])[0]
        min_inc = np.minimum(self._min_inc, np.minimum.accumulate(inc))
        max_dec = np.maximum(self._max_dec, np.maximum.accumulate(dec))
        up, down = inc - min_inc > self.threshold, max_dec - dec > self.threshold
        alarm = {"up": up, "down": down, "both": up | down}[self.mode] & (count >= self.min_instances)
        hits = np.flatnonzero(alarm)
        end = int(hits[0]) if hits.size else x.size - 1
        self._n, self._mean = int(count[end]), float(mean[end])
        self._inc, self._dec = float(inc[end]), float(dec[end])
        self._min_inc, self._max_dec = float(min_inc[end]), float(max_dec[end])
        self._drift_detected = bool(hits.size)
        return end if hits.size else None


class CUSUM(_ArrayDetector):
    """Two-sided tabular CUSUM. The first ``warmup`` values after a (re)start fix the
    level and spread (unless ``mean``/``sd`` are given); then
    ``S+ = max(0, S+ + z - k)`` and ``S- = max(0, S- - z - k)`` with ``z`` the standardised
    value, and a change is detected when either passes ``h`` (both in standard deviations).

    With the textbook k = 0.5, h = 5 a stream without change still raises an alarm about
    every 700 values (two-sided); a larger ``h`` trades delay for quiet:

    >>> rng = np.random.default_rng(0)
    >>> stream = np.r_[rng.normal(0, 1, 500), rng.normal(1.5, 1, 500)]
    >>> detect(CUSUM(), stream).tolist(), detect(CUSUM(h=8), stream).tolist()
    ([238, 504], [507])
    """

    def __init__(self, k: float = 0.5, h: float = 5.0, warmup: int = 100, mean: float | None = None,
                 sd: float | None = None, mode: str = "both"):
        if warmup < 2 and (mean is None or sd is None):
            raise MlwatchError("CUSUM needs a warmup of at least 2 values, or mean= and sd=")
        self.k, self.h, self.warmup, self.mean, self.sd = k, h, warmup, mean, sd
        self.mode = check_choice("mode", mode, ("up", "down", "both"))
        self._reset()

    def _params(self) -> dict:
        return {"k": self.k, "h": self.h, "warmup": self.warmup}

    def _reset(self) -> None:
        self._drift_detected = False
        self._seen: list[float] = []
        self._level, self._spread = self.mean, self.sd
        self._up, self._down = 0.0, 0.0

    def _detect_in(self, x: np.ndarray) -> int | None:
        if self._drift_detected:
            self._reset()
        offset = 0
        if self._level is None or self._spread is None:   # still warming up
            need = self.warmup - len(self._seen)
            self._seen.extend(x[:need].tolist())
            offset = min(need, x.size)
            if len(self._seen) < self.warmup:
                return None
            seen = np.asarray(self._seen)
            self._level = float(seen.mean()) if self.mean is None else self.mean
            self._spread = (float(seen.std(ddof=1)) or 1.0) if self.sd is None else self.sd
        z = (x[offset:] - self._level) / self._spread
        if z.size == 0:
            return None
        up = _lindley(z - self.k, self._up)
        down = _lindley(-z - self.k, self._down)
        alarm = {"up": up > self.h, "down": down > self.h, "both": (up > self.h) | (down > self.h)}[self.mode]
        hits = np.flatnonzero(alarm)
        end = int(hits[0]) if hits.size else z.size - 1
        self._up, self._down = float(up[end]), float(down[end])
        self._drift_detected = bool(hits.size)
        return offset + end if hits.size else None


def _run_in_blocks(detector, values: np.ndarray) -> list[int]:
    """Feed ``values`` to a detector's ``_detect_in`` in blocks that double while nothing is
    found and start small again after a detection: a change costs a small block, a long
    quiet stretch a few large ones."""
    found, start, size = [], 0, 256
    while start < values.size:
        stop = min(start + size, values.size)
        hit = detector._detect_in(values[start:stop])
        if hit is None:
            start, size = stop, min(size * 2, BLOCK)
        else:
            found.append(start + hit)
            start, size = start + hit + 1, 256
    return found


def _lindley(steps: np.ndarray, start: float) -> np.ndarray:
    """``S_t = max(0, S_{t-1} + steps_t)`` from ``S_0 = start``, without a loop:
    ``S_t = C_t - min(-start, min_{j <= t} C_j)`` with ``C`` the cumulative sum."""
    cumulative = np.cumsum(steps)
    return cumulative - np.minimum(-start, np.minimum.accumulate(cumulative))


def detect(detector, values) -> np.ndarray:
    """Positions in ``values`` where ``detector`` found a change. Detectors of this module
    run at array speed; any other with River's contract (``update`` and
    ``drift_detected``, say ``river.drift.KSWIN``) is fed value by value."""
    array = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise MlwatchError(f"the series has a NaN or infinite value at position {bad}; drop or fill them first")
    if hasattr(detector, "_run"):
        return np.asarray(detector._run(array), dtype=np.int64)
    if not (hasattr(detector, "update") and hasattr(detector, "drift_detected")):
        raise MlwatchError(f"{type(detector).__name__} is not a drift detector: it needs update(x) and drift_detected")
    found = []
    for i, x in enumerate(array.tolist()):
        detector.update(x)
        if detector.drift_detected:
            found.append(i)
    return np.asarray(found, dtype=np.int64)
