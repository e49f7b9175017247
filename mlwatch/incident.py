"""The Incident: the data and configuration of one investigation. It holds; the step
functions compute (it adds no logic of its own)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from mlwatch import data
from mlwatch.errors import MlwatchError
from mlwatch.steps import audit as _audit, infra as _infra, investigate as _investigate, overall as _overall
from mlwatch.steps import signal as _signal, slices as _slices, trace as _trace
from mlwatch.steps.scoring import resolve_scoring


class Incident:
    """An investigation of ``current`` against ``reference``.

    >>> import polars as pl, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = pl.DataFrame({"y": rng.integers(0, 2, 2000), "region": rng.choice(["n", "s"], 2000)})
    >>> ref = ref.with_columns(p=pl.col("y") * 0.6 + 0.2)
    >>> cur = ref.with_columns(y=pl.when(pl.col("region") == "n").then(1 - pl.col("y")).otherwise(pl.col("y")))
    >>> incident = Incident(ref, cur, target="y", prediction="p")
    >>> incident.slices().top
    {'region': 'n'}
    """

    def __init__(self, reference, current, *, target: str | None = None, prediction: str,
                 time: str | None = None, segments: Sequence[str] | None = None,
                 features: Sequence[str] | None = None, task: str | None = None, metric: str | None = None):
        self.reference = data.to_frame(reference, name="reference")
        self.current = data.to_frame(current, name="current")
        self.roles = data.infer_roles(self.reference, target=target, prediction=prediction, time=time,
                                      segments=segments, features=features)
        self.scoring = resolve_scoring(self.reference, self.current, prediction=prediction, target=target,
                                       task=task, metric=metric)

    def __repr__(self) -> str:
        r = self.roles
        return (f"Incident({self.reference.height:,} reference rows, {self.current.height:,} current rows, "
                f"target={r.target!r}, prediction={r.prediction!r}, time={r.time!r}, segments={list(r.segments)})")

    def signal(self, *, kpi: str | None = None, every: str | None = None):
        """Step 1 (needs the time column)."""
        return _signal.signal(self.reference, self.current, self.scoring, time=self._time("signal"), kpi=kpi,
                              every=every)

    def infra(self, **columns: str | None):
        """Step 2; name the serving-log columns (latency=, status=, error=, fallback=) if they are not recognised."""
        return _infra.infra(self.reference, self.current, time=self.roles.time, **columns)

    def overall(self, *, slices=None):
        """Step 3 (give the step-4 result for the masking check)."""
        return _overall.overall(self.reference, self.current, self.scoring, segments=self.roles.segments,
                                slices=slices)

    def slices(self, **options: Any):
        """Step 4; options as :func:`mlwatch.steps.slices.find_slices`."""
        return _slices.find_slices(self.reference, self.current, self.scoring, segments=self.roles.segments,
                                   time=self.roles.time, **options)

    def audit(self, *, where: Mapping[str, Any] | None = None, **options: Any):
        """Step 5 on the features and the prediction, optionally on a slice."""
        columns = list(dict.fromkeys([*self.roles.features, self.roles.prediction]))
        return _audit.audit(self.reference, self.current, features=columns, where=where, **options)

    def trace(self, *, features: Sequence[str], where: Mapping[str, Any] | None = None, events=None):
        """Step 6: signatures, onsets and likely upstream triggers of ``features``."""
        return _trace.trace(self.reference, self.current, features=features, time=self.roles.time, where=where,
                            events=events)

    def attribution(self, model, *, where: Mapping[str, Any] | None = None, **options: Any):
        """SHAP attribution stability of ``model``; options as :func:`mlwatch.steps.attribution.attribution`."""
        from mlwatch.steps.attribution import attribution

        if options.get("explain") == "loss":
            options.setdefault("target", self.roles.target)
        return attribution(model, self.reference, self.current, where=where, **options)

    def shadow(self, challenger, *, targeted: Mapping[str, Any] | None = None, **options: Any):
        """Step 7: ``challenger`` (a column of the current data, or a model) against the
        production predictions on the current rows, per segment."""
        from mlwatch.steps.shadow import shadow

        target = self.roles.target if not self.scoring.proxy else None
        return shadow(self.roles.prediction, challenger, self.current, target=target, segments=self.roles.segments,
                      targeted=targeted, **options)

    def investigate(self, *, kpi: str | None = None, events=None, model=None, challenger: str | None = None,
                    progress=None):
        """Steps 1-7 and the verdict (attribution with ``model``, shadow with ``challenger``)."""
        r = self.roles
        return _investigate.investigate(self.reference, self.current, target=r.target, prediction=r.prediction,
                                        time=r.time, segments=r.segments, features=r.features,
                                        task=self.scoring.task, metric=self.scoring.metric, kpi=kpi,
                                        events=events, model=model, challenger=challenger, progress=progress)

    def _time(self, step: str) -> str:
        if not self.roles.time:
            raise MlwatchError(f"the {step} step needs a time column: Incident(..., time='column')")
        return self.roles.time
