"""The Incident: the data and configuration of one investigation. It holds; the step
functions compute (it adds no logic of its own)."""

from __future__ import annotations

from os import PathLike
from typing import Any, Callable, Mapping, Sequence

from mlwatch import data, sources
from mlwatch.baseline import Baseline, load_reference
from mlwatch.errors import DataError, MlwatchError, check_number
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
                 features: Sequence[str] | None = None, task: str | None = None, metric: str | None = None,
                 exclude: Sequence[str] = (), sample_rows: int = sources.SAMPLE_ROWS):
        """``segments`` default to the low-cardinality text/categorical columns; ``features`` to
        every other column but target, prediction, time and ``exclude`` (a KPI, a challenger's
        scores: columns of the same rows that are not model inputs). Inferred inputs with no
        value in the reference are left out (``left_out``); ``notes`` says what was adjusted.

        A window may also live elsewhere: a Spark DataFrame, a query (:func:`mlwatch.sql`), a
        parquet file, folder or glob, a lazy frame. Its rows are read when they are at most
        ``sample_rows``; past that the steps that read rows (1-4, 6, 7) read a seeded uniform
        sample of about ``sample_rows`` of them (:func:`mlwatch.sources.read_rows`), while the
        audits of step 5 summarise every row where it lives. ``rows`` records both counts.
        ``reference`` may be a saved :class:`~mlwatch.Baseline` (or its ``.mlwatch`` path)
        that kept rows (``sample_rows``): those rows for the steps that read rows, its
        summaries for the audit of the population."""
        check_number("sample_rows", sample_rows, low=1, integer=True)
        self.notes: list[str] = []
        self.sources: tuple[Any, Any] | None = None
        self.rows: dict[str, dict[str, int]] | None = None
        reference = load_reference(reference)
        if isinstance(reference, Baseline):
            reference, current = self._against_baseline(reference, current, sample_rows)
        elif sources.summarisable(reference) or sources.summarisable(current):
            read = {side: sources.read_rows(value, sample_rows, name=side) if sources.summarisable(value) else None
                    for side, value in (("reference", reference), ("current", current))}
            sampled = {side: {"read": got[0].height, "total": got[1]} for side, got in read.items()
                       if got is not None and got[0].height < got[1]}
            if sampled:
                self.sources, self.rows = (reference, current), sampled
                self.notes.append("steps 1-4 and 6 read a uniform sample of " + " and ".join(
                    f"{v['read']:,} of {v['total']:,} {side} rows" for side, v in sampled.items())
                    + "; step 5 audits every row")
            reference = read["reference"][0] if read["reference"] is not None else reference
            current = read["current"][0] if read["current"] is not None else current
        ref = data.to_frame(reference, name="reference")
        cur = data.to_frame(current, name="current")
        if time:
            zones = {str(getattr(f.schema.get(time), "time_zone", None)) for f in (ref, cur) if time in f.columns}
            ref, cur = data.align_time(ref, cur, time)
            if len(zones) > 1:
                self.notes.append(f"times compared in UTC ({time}: zones {', '.join(sorted(zones))}; "
                                  "a naive time is taken as UTC)")
        named = [f for f in features if f not in (target, prediction, time)] if features else None
        roles = data.infer_roles(ref, target=target, prediction=prediction, time=time, segments=segments,
                                 features=named)
        left_out: tuple[str, ...] = ()
        if not features:     # an inferred input with no value in the reference has nothing to compare to
            left_out = tuple(f for f in dict.fromkeys([*roles.features, *([] if segments else roles.segments)])
                             if data.has_no_value(ref[f]))
            if left_out:
                self.notes.append(f"left out {', '.join(left_out)}: no value in the reference")
        self.reference, self.current, self.left_out = ref, cur, left_out
        self.features_named = bool(features)
        self.roles = _without(roles, features=set(exclude) - {None}, both=set(left_out))
        self.scoring = resolve_scoring(ref, cur, prediction=prediction, target=target, task=task, metric=metric)

    def _against_baseline(self, base: Baseline, current, sample_rows: int) -> tuple[Any, Any]:
        """A saved reference: its kept rows for the steps that read rows, its summaries for
        step 5's audit of the population (a slice's audit reads the kept rows)."""
        if base.sample is None:
            raise DataError("investigate: this baseline kept no reference rows, and the slices, the trace and "
                            "the signal read rows: make it with sample_rows (Baseline.from_frame(reference, "
                            "sample_rows=100_000); mlwatch baseline --sample-rows 100000)", frame="reference")
        self.sources = (base, current)
        self.rows = {"reference": {"read": base.sample.height, "total": base.n_rows}}
        if sources.summarisable(current):
            rows, total = sources.read_rows(current, sample_rows, name="current")
            if rows.height < total:
                self.rows["current"] = {"read": rows.height, "total": total}
            current = rows
        self.notes.append("a saved baseline: steps 1-4 and 6 read the " + " and ".join(
            f"{v['read']:,} of {v['total']:,} {side} rows" for side, v in self.rows.items())
            + " it kept; step 5 audits the population on its summaries")
        return base.sample, current

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
        if self.sources is not None and sources.summarisable(self.sources[1]):
            options.setdefault("scan", True)
        return _audit.audit(*self.audited(), features=columns, where=where, **options)

    def audited(self) -> tuple[Any, Any]:
        """The windows step 5 audits: every row, where it lives, when the other steps read a sample."""
        return self.sources if self.sources is not None else (self.reference, self.current)

    def trace(self, *, features: Sequence[str], where: Mapping[str, Any] | None = None, events=None):
        """Step 6: signatures, onsets and likely upstream triggers of ``features``."""
        return _trace.trace(self.reference, self.current, features=features, time=self.roles.time, where=where,
                            events=events)

    def attribution(self, model, *, where: Mapping[str, Any] | None = None, trust: bool = False, **options: Any):
        """SHAP attribution stability of ``model`` (a fitted model, or the path of a LightGBM,
        XGBoost or skops file, as on the command line; a pickle only with ``trust=True``);
        options as :func:`mlwatch.steps.attribution.attribution`."""
        from mlwatch.steps.attribution import attribution

        if isinstance(model, (str, PathLike)):
            from mlwatch.models import load_model

            model = load_model(model, trust=trust)
        if options.get("explain") == "loss":
            options.setdefault("target", self.roles.target)
        return attribution(self.reference, self.current, model, where=where, **options)

    def shadow(self, challenger, *, targeted: Mapping[str, Any] | None = None, **options: Any):
        """Step 7: ``challenger`` (a column of the current data, or a model) against the
        production predictions on the current rows, per segment, on the incident's metric
        (AUC, a ranking metric, is compared through the row-level loss instead)."""
        from mlwatch.steps.shadow import shadow

        labelled = self.roles.target if not self.scoring.proxy else None
        options.setdefault("metric", self.scoring.metric if labelled and self.scoring.metric != "auc" else None)
        return shadow(self.current, self.roles.prediction, challenger, target=labelled, segments=self.roles.segments,
                      targeted=targeted, **options)

    def investigate(self, *, kpi: str | None = None, events=None, model=None, challenger: str | None = None,
                    alpha: float = 0.05, progress=None, multivariate: bool = True):
        """Steps 1-7 and the verdict (attribution with ``model``, shadow with ``challenger``);
        see :func:`investigate`."""
        say = progress or (lambda message: None)
        for note in self.notes:
            say(note)
        return _investigate.run(self, kpi=kpi, events=events, model=model, challenger=challenger, alpha=alpha,
                                progress=say, multivariate=multivariate)

    def without(self, columns) -> data.Roles:
        """The roles with ``columns`` (a KPI, a challenger's scores) taken out of the features."""
        return _without(self.roles, features=set(columns) - {None}, both=set())

    def _time(self, step: str) -> str:
        if not self.roles.time:
            raise MlwatchError(f"the {step} step needs a time column: Incident(..., time='column')")
        return self.roles.time


def _without(roles: data.Roles, *, features: set, both: set) -> data.Roles:
    """``roles`` less ``features`` among the features and ``both`` among features and segments."""
    if not (features | both) & set(roles.features + roles.segments):
        return roles
    return data.Roles(roles.target, roles.prediction, roles.time, tuple(s for s in roles.segments if s not in both),
                      tuple(f for f in roles.features if f not in features and f not in both))


def investigate(reference, current, *, target: str | None, prediction: str, time: str | None = None,
                segments: Sequence[str] | None = None, features: Sequence[str] | None = None,
                task: str | None = None, metric: str | None = None, kpi: str | None = None,
                events=None, model=None, challenger: str | None = None, alpha: float = 0.05,
                progress: Callable[[str], None] | None = None,
                sample_rows: int = sources.SAMPLE_ROWS, multivariate: bool = True) -> "_investigate.Findings":
    """Run steps 1-7 and decide: an :class:`Incident` of these frames and roles, investigated.

    ``segments`` default to the low-cardinality text/categorical columns; ``features`` to
    every other column but target, prediction and time. ``events`` (a frame or file with
    ``time`` and ``description`` columns) is carried into the findings for step 6.
    ``model`` (the production model) adds SHAP attribution stability on the audited
    slice; ``challenger`` (a column of the current data scored by the candidate fix) adds
    step 7, shadow scoring against ``prediction``, aimed at the broken slice.
    ``alpha`` is the chance of a verdict other than ``none`` when nothing changed
    (:func:`mlwatch.steps.verdict.levels` splits it between the global metric, the slices
    and the inputs). ``progress`` receives a line as each step starts.
    """
    incident = Incident(reference, current, target=target, prediction=prediction, time=time, segments=segments,
                        features=features, task=task, metric=metric, exclude=(kpi, challenger),
                        sample_rows=sample_rows)
    return incident.investigate(kpi=kpi, events=events, model=model, challenger=challenger, alpha=alpha,
                                progress=progress, multivariate=multivariate)
