"""The incident gallery: curated incidents built from the bundled real data, each a
different failure of the seven-step workflow, with its ground truth.

Each scenario is built deterministically (seeded) from ``datasets/`` in a few seconds and
cached as parquet files in ``datasets/gallery/<name>/`` beside its scenario card
(README.md, in the repository). ``mlwatch datasets build`` builds them all;
:func:`load` builds one when it is missing.

Every scenario has a reference and a current window, the production model's scores
(``prediction``), a candidate fix's scores (``challenger``), an event log, and where a model
recomputes the scores, the model itself as a LightGBM text file (``model.txt``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import polars as pl

from mlwatch import datasets
from mlwatch.errors import check_choice

UTC = dt.timezone.utc
FLIGHT_FEATURES = ["dep_delay", "distance", "hour", "temp", "humid", "wind_speed", "visib"]
ACS_FEATURES = ["AGEP", "SCHL", "MAR", "RELP", "DIS", "ESP", "CIT", "MIG", "MIL", "ANC", "NATIVITY", "DEAR", "DEYE",
                "DREM", "SEX", "RAC1P"]


@dataclass(frozen=True)
class Incident:
    """A gallery incident, loaded: frames, roles and ground truth."""

    name: str
    reference: pl.DataFrame
    current: pl.DataFrame
    events: pl.DataFrame
    roles: dict[str, Any]
    truth: dict[str, Any]
    folder: Path
    model_path: Path | None = None

    def investigate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`mlwatch.investigate` for this incident."""
        return {k: v for k, v in self.roles.items()
                if k in ("target", "prediction", "time", "segments", "features", "metric")}

    def model(self):
        """The production model (LightGBM), or None when the scores were stored."""
        if self.model_path is None:
            return None
        from mlwatch.models import load_model

        return load_model(self.model_path)


@dataclass(frozen=True)
class _Scenario:
    build: Callable[[Path], dict[str, Any]]
    truth: dict[str, Any] = field(default_factory=dict)


def gallery_dir() -> Path:
    """Where the gallery's incidents are built: beside their cards in a checkout, in the user's
    cache folder for an installed package (whose own folder holds only the source data)."""
    import os

    folder = datasets.datasets_dir() / "gallery"
    if folder.is_dir() and os.access(folder, os.W_OK):
        return folder
    return datasets.cache_dir() / "gallery"


def names() -> list[str]:
    """The scenarios, in the order the workflow meets them."""
    return list(SCENARIOS)


def load(name: str, *, rebuild: bool = False) -> Incident:
    """The incident ``name`` (built and cached on first use)."""
    check_choice("gallery incident", name, SCENARIOS)
    folder = gallery_dir() / name
    meta = folder / "roles.json"
    if rebuild or not (meta.exists() and (folder / "reference.parquet").exists() and (folder / "current.parquet").exists()):
        build(name)
    info = json.loads(meta.read_text())
    model = folder / "model.txt"
    return Incident(name, pl.read_parquet(folder / "reference.parquet"), pl.read_parquet(folder / "current.parquet"),
                    pl.read_csv(folder / "events.csv"), info["roles"], SCENARIOS[name].truth, folder,
                    model if model.exists() else None)


def build(name: str | None = None) -> list[Path]:
    """Build one scenario (or all): parquet files, events and roles beside the card."""
    built = []
    for each in ([name] if name else names()):
        scenario = SCENARIOS[check_choice("gallery incident", each, SCENARIOS)]
        folder = gallery_dir() / each
        folder.mkdir(parents=True, exist_ok=True)
        parts = scenario.build(folder)
        parts["reference"].write_parquet(folder / "reference.parquet")
        parts["current"].write_parquet(folder / "current.parquet")
        parts["events"].write_csv(folder / "events.csv")
        (folder / "roles.json").write_text(json.dumps({"roles": parts["roles"]}, indent=2) + "\n")
        built.append(folder)
    return built


# ------------------------------------------------------------------ flights

def _flight_windows() -> tuple[pl.DataFrame, pl.DataFrame, Any]:
    """A model of 'late' trained on April-June, the reference window July 1 - August 10,
    the current window August 11 - September 20."""
    import lightgbm as lgb

    flights = datasets.flights().drop_nulls(["late", "dep_delay"])
    train = flights.filter(pl.col("month").is_in([4, 5, 6]))
    model = lgb.LGBMClassifier(n_estimators=80, num_leaves=15, learning_rate=0.1, verbose=-1, random_state=0,
                               n_jobs=1)
    model.fit(train.select(FLIGHT_FEATURES).to_pandas(), train["late"].to_numpy())
    t = pl.col("time_hour")
    reference = flights.filter(t.is_between(dt.datetime(2013, 7, 1, tzinfo=UTC), dt.datetime(2013, 8, 11, tzinfo=UTC),
                                            closed="left"))
    current = flights.filter(t.is_between(dt.datetime(2013, 8, 11, tzinfo=UTC), dt.datetime(2013, 9, 21, tzinfo=UTC),
                                          closed="left"))
    keep = ["time_hour", "carrier", "origin", "dest", *FLIGHT_FEATURES, "late"]
    return reference.select(keep), current.select(keep), model


def _score(model, frame: pl.DataFrame) -> pl.Series:
    return pl.Series(model.predict_proba(frame.select(FLIGHT_FEATURES).to_pandas())[:, 1])


def _flight_roles() -> dict[str, Any]:
    # log-loss: a model that stops predicting delays for one carrier keeps a fair accuracy
    # (most flights are on time) but its log-loss there jumps
    return {"target": "late", "prediction": "prediction", "time": "time_hour", "segments": ["carrier", "origin"],
            "features": FLIGHT_FEATURES, "metric": "log_loss"}


def _flights_unit_skew(folder: Path) -> dict[str, Any]:
    reference, current, model = _flight_windows()
    model.booster_.save_model(folder / "model.txt")
    fault = (pl.col("carrier") == "UA") & (pl.col("time_hour") >= dt.datetime(2013, 8, 22, tzinfo=UTC))
    broken = current.with_columns(pl.when(fault).then(pl.col("dep_delay") / 60).otherwise(pl.col("dep_delay"))
                                  .alias("dep_delay"))
    current = broken.with_columns(prediction=_score(model, broken), challenger=_score(model, current))
    reference = reference.with_columns(prediction=_score(model, reference))
    events = pl.DataFrame({"time": ["2013-07-09T10:00:00", "2013-08-21T16:00:00", "2013-09-03T09:00:00"],
                           "description": ["model v3 deployed", "ingestion job v2 deployed (United feed)",
                                           "dashboard migration"]})
    return {"reference": reference, "current": current, "events": events, "roles": _flight_roles()}


def _flights_null_spike(folder: Path) -> dict[str, Any]:
    reference, current, model = _flight_windows()
    model.booster_.save_model(folder / "model.txt")
    rng = np.random.default_rng(11)
    lost = pl.Series(rng.random(current.height) < 0.4)
    fault = (pl.col("origin") == "EWR") & (pl.col("time_hour") >= dt.datetime(2013, 8, 26, tzinfo=UTC)) & lost
    broken = current.with_columns([pl.when(fault).then(None).otherwise(pl.col(c)).alias(c)
                                   for c in ("temp", "humid", "wind_speed")])
    imputed = broken.with_columns([pl.col(c).fill_null(reference[c].median()) for c in ("temp", "humid", "wind_speed")])
    current = broken.with_columns(prediction=_score(model, broken), challenger=_score(model, imputed))
    reference = reference.with_columns(prediction=_score(model, reference))
    events = pl.DataFrame({"time": ["2013-08-02T11:00:00", "2013-08-25T22:00:00"],
                           "description": ["feature store upgrade", "weather feed migrated to provider B (EWR)"]})
    return {"reference": reference, "current": current, "events": events, "roles": _flight_roles()}


# ---------------------------------------------------------------------- ACS

def _acs_roles(features=None) -> dict[str, Any]:
    return {"target": "employed", "prediction": "prediction", "time": "year",
            "segments": ["SEX", "MAR", "SCHL", "DIS", "CIT", "RAC1P"], "features": features or ACS_FEATURES}


def _acs() -> tuple[pl.DataFrame, pl.DataFrame]:
    reference, current = datasets.acs_employment()
    rename = {"predicted_probability": "prediction"}
    return (reference.drop("id", "prediction").rename(rename), current.drop("id", "prediction").rename(rename))


def _retrained(train: pl.DataFrame, frame: pl.DataFrame) -> pl.Series:
    import lightgbm as lgb

    model = lgb.LGBMClassifier(n_estimators=120, num_leaves=31, verbose=-1, random_state=0, n_jobs=1)
    model.fit(train.select(ACS_FEATURES).to_pandas(), train["employed"].to_numpy())
    return pl.Series(model.predict_proba(frame.select(ACS_FEATURES).to_pandas())[:, 1])


def _acs_concept_drift(folder: Path) -> dict[str, Any]:
    reference, current = _acs()
    rng = np.random.default_rng(5)
    broken = (pl.col("MAR").cast(pl.String) == "1") & (pl.col("SEX").cast(pl.String) == "2") & (pl.col("year") == 2018)
    current = current.with_columns(pl.when(broken & pl.Series(rng.random(current.height) < 0.4))
                                   .then(1 - pl.col("employed")).otherwise(pl.col("employed")).alias("employed"))
    # the fix: a model retrained on the reference and half of the 2018 rows (the new relation)
    half = current.filter(pl.col("year") == 2018).sample(fraction=0.5, seed=3)
    current = current.with_columns(challenger=_retrained(pl.concat([reference, half]), current))
    events = pl.DataFrame({"time": [2016, 2018], "description": ["survey weights revised",
                                                                 "labour-force definition changed for married women"]})
    return {"reference": reference, "current": current, "events": events, "roles": _acs_roles()}


def _acs_covariate_drift(folder: Path) -> dict[str, Any]:
    reference, current = _acs()
    current = current.filter(pl.col("year") == 2018)
    weights = np.where(current["NATIVITY"].cast(pl.String).to_numpy() == "2", 10.0, 1.0)
    rows = np.random.default_rng(7).choice(current.height, 20_000, replace=False, p=weights / weights.sum())
    current = current[np.sort(rows)]
    current = current.with_columns(challenger=_retrained(reference, current))
    events = pl.DataFrame({"time": [2018], "description": ["outreach campaign in immigrant communities"]})
    return {"reference": reference, "current": current, "events": events, "roles": _acs_roles()}


def _acs_control(folder: Path) -> dict[str, Any]:
    _, current = _acs()
    both = current.filter(pl.col("year") == 2016).sample(fraction=1.0, shuffle=True, seed=2)
    half = both.height // 2
    reference, current = both.head(half), both.tail(both.height - half)     # two random halves of 2016
    current = current.with_columns(challenger=_retrained(reference, current))
    events = pl.DataFrame({"time": [2016], "description": ["routine monthly release"]})
    return {"reference": reference, "current": current, "events": events, "roles": _acs_roles()}


# ------------------------------------------------------------- bike sharing

BIKE_SEED = 20261201


def _bike(injection) -> dict[str, Any]:
    """A bike-sharing incident from :func:`mlwatch.simulate.simulate`: two windows of 2012's
    hours (rows shuffled, time stamps in order, so only the incident differs), the model
    trained on 2011, a challenger scoring the repaired inputs."""
    from mlwatch.simulate import simulate

    table = datasets.model_table("bike")
    case = simulate(table, injection, n=4_000, seed=BIKE_SEED)
    clean = simulate(table, "none", n=4_000, seed=BIKE_SEED).current          # the same rows, unbroken
    current = case.current.with_columns(challenger=table.score(clean))
    roles = {k: v for k, v in case.roles.items() if k != "task"}
    return {"reference": case.reference, "current": current, "events": case.events, "roles": roles,
            "truth": case.truth}


def _bike_fahrenheit(folder: Path) -> dict[str, Any]:
    from mlwatch.simulate import Injection

    return _bike(Injection("unit_change", feature="temp", where={}, fraction=1.0, onset=0.45,
                           magnitude=(1.8, 32.0)))


def _bike_stuck_sensor(folder: Path) -> dict[str, Any]:
    from mlwatch.simulate import Injection

    return _bike(Injection("stuck", feature="hum", where={}, fraction=1.0, onset=0.6, magnitude=0.08))


SCENARIOS: dict[str, _Scenario] = {
    "flights_unit_skew": _Scenario(_flights_unit_skew, {
        "verdict": "skew", "slice": {"carrier": "UA"}, "feature": "dep_delay", "signature": "unit_change",
        "onset": "2013-08-22", "event": "ingestion job v2 deployed (United feed)", "shadow": "promote"}),
    "flights_null_spike": _Scenario(_flights_null_spike, {
        "verdict": "data_quality", "feature": "temp", "signature": "null_spike", "onset": "2013-08-26",
        "event": "weather feed migrated to provider B (EWR)", "shadow": "reject"}),
    "acs_concept_drift": _Scenario(_acs_concept_drift, {
        "verdict": "concept_drift", "slice": {"SEX": "2", "MAR": "1"}, "onset": "2018",
        "event": "labour-force definition changed for married women", "shadow": "hold"}),
    "acs_covariate_drift": _Scenario(_acs_covariate_drift, {"verdict": "data_drift", "feature": "NATIVITY"}),
    "acs_control": _Scenario(_acs_control, {"verdict": "none"}),
    "bike_fahrenheit": _Scenario(_bike_fahrenheit, {
        "verdict": "skew", "feature": "temp", "signature": "unit_change", "onset": "2012-09-21",
        "event": "ingestion job v6 deployed (temp feed)", "shadow": "reject"}),
    "bike_stuck_sensor": _Scenario(_bike_stuck_sensor, {
        "verdict": "skew", "feature": "hum", "signature": "stuck", "onset": "2012-10-19",
        "event": "hum sensor firmware update (all rows)", "shadow": "hold"}),
}
