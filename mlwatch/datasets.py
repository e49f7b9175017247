"""The real data sets bundled in the repository's ``datasets/`` folder.

Nothing is downloaded: the files are in the repository (each folder has a SOURCE.md with
its origin and licence). Set ``MLWATCH_DATASETS`` to read them from another folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import polars as pl

from mlwatch.errors import DataError


def datasets_dir() -> Path:
    """The folder holding the bundled data: ``MLWATCH_DATASETS`` when set, else the copy an
    installed wheel carries (``mlwatch/_datasets``), else a checkout's top-level ``datasets/``."""
    override = os.environ.get("MLWATCH_DATASETS")
    here = Path(__file__).resolve().parent
    if override:
        folder = Path(override)
    else:
        # the wheel's own copy first: a site-packages/datasets/ may be another package's
        packaged, checkout = here / "_datasets", here.parent / "datasets"
        folder = packaged if (packaged / "nycflights13").is_dir() else checkout
    if not folder.is_dir():
        raise DataError(f"bundled data not found at {folder}; set MLWATCH_DATASETS to the datasets/ folder "
                        "of an mlwatch checkout")
    return folder


def cache_dir() -> Path:
    """Where built files go when the bundled data's folder is read-only (an installed wheel):
    ``MLWATCH_CACHE``, else ``$XDG_CACHE_HOME/mlwatch`` (``~/.cache/mlwatch``)."""
    override = os.environ.get("MLWATCH_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mlwatch"


def flights(*, weather: bool = True) -> pl.DataFrame:
    """NYC departures of 2013 (336,776 rows), with the weather at the origin airport at the
    scheduled hour when ``weather`` (temp in F, wind_speed in mph, precip in inches, visib in miles).

    ``time_hour`` is a UTC datetime; ``late`` is 1 when the flight arrived more than 15
    minutes late (null when it never arrived).
    """
    folder = datasets_dir() / "nycflights13"
    frame = pl.read_parquet(folder / "flights.parquet")
    if weather:
        frame = frame.join(pl.read_parquet(folder / "weather.parquet"), on=["origin", "time_hour"], how="left")
    return frame.with_columns(
        pl.col("time_hour").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC"),
        late=(pl.col("arr_delay") > 15).cast(pl.Int8),
    )


def acs_employment() -> tuple[pl.DataFrame, pl.DataFrame]:
    """ACS employment, Massachusetts: reference (2015) and current (2016-2018), both with
    the label ``employed`` and a model's ``prediction`` and ``predicted_probability``."""
    folder = datasets_dir() / "acs_employment_ma"
    reference = pl.read_parquet(folder / "employment_MA_reference.pq")
    current = pl.read_parquet(folder / "employment_MA_analysis.pq").join(
        pl.read_parquet(folder / "employment_MA_analysis_target.pq"), on="id", how="left")
    return reference, current.select(reference.columns)


#: What the ACS PUMS codes of the bundled census table mean (the Census Bureau's PUMS data
#: dictionary), for the columns a reader meets in slices and segments.
ACS_CODES: dict[str, dict[str, str]] = {
    "SEX": {"1": "male", "2": "female"},
    "MAR": {"1": "married", "2": "widowed", "3": "divorced", "4": "separated", "5": "never married"},
    "DIS": {"1": "with a disability", "2": "without a disability"},
    "CIT": {"1": "born in the US", "2": "born in a US territory", "3": "born abroad of US parents",
            "4": "naturalised citizen", "5": "not a citizen"},
    "NATIVITY": {"1": "native", "2": "foreign born"},
    "MIL": {"0": "under 17", "1": "on active duty", "2": "served before", "3": "reserves or guard training only",
            "4": "never served"},
    "DEAR": {"1": "hearing difficulty", "2": "no hearing difficulty"},
    "DEYE": {"1": "vision difficulty", "2": "no vision difficulty"},
    "DREM": {"1": "cognitive difficulty", "2": "no cognitive difficulty"},
    "ANC": {"1": "single ancestry", "2": "multiple ancestries", "3": "ancestry unclassified", "4": "ancestry not reported"},
    "RAC1P": {"1": "White", "2": "Black", "3": "American Indian", "4": "Alaska Native", "5": "tribe specified",
              "6": "Asian", "7": "Pacific Islander", "8": "some other race", "9": "two or more races"},
    "SCHL": {**{str(k): "below 12th grade" for k in range(1, 15)}, "15": "12th grade, no diploma",
             "16": "high-school diploma", "17": "GED", "18": "some college, under a year",
             "19": "some college, no degree", "20": "associate's degree", "21": "bachelor's degree",
             "22": "master's degree", "23": "professional degree", "24": "doctorate"},
}


def explain_codes(label, codes: dict[str, dict[str, str]] = ACS_CODES) -> str:
    """A slice or segment label with each code's meaning beside it (a predicate dict or a
    ``"SEX=2 & MAR=1"`` label); columns or values the codebook lacks are left as they are.

    >>> explain_codes("SEX=2 & MAR=4")
    'SEX=2 (female) & MAR=4 (separated)'
    >>> print(explain_codes({"SCHL": "21", "carrier": "UA"}))
    SCHL=21 (bachelor's degree) & carrier=UA
    """
    pairs = label.items() if isinstance(label, dict) else (
        (p.split("=", 1) + [""])[:2] for p in str(label).split(" & "))
    out = []
    for column, value in pairs:
        meaning = codes.get(str(column).strip(), {}).get(str(value).strip())
        out.append(f"{column}={value}" + (f" ({meaning})" if meaning else "") if value != "" else str(column))
    return " & ".join(out)


def hotel_rates() -> pl.DataFrame:
    """Bookings of a Lisbon resort hotel, July 2016 - August 2017 (15,402 rows): the average
    daily rate ``avg_price_per_room`` (EUR) and the booking's attributes; ``arrival_date``
    is a Date."""
    frame = pl.read_parquet(datasets_dir() / "hotel_rates" / "hotel_rates.parquet")
    return frame.with_columns(pl.col("arrival_date").str.to_date("%Y-%m-%d"))


def bike_sharing() -> pl.DataFrame:
    """Capital Bikeshare rentals an hour, 2011-2012 (17,379 rows), sorted by ``time`` (a
    datetime, the start of the hour), with ``hour`` (0-23) read from the text ``hr``."""
    frame = pl.read_parquet(datasets_dir() / "bike_sharing_hourly" / "bike_sharing_hourly.parquet")
    hour = pl.col("hr").str.extract(r"^(\d+)").cast(pl.Int64) % 12 + \
        pl.when(pl.col("hr").str.ends_with("pm")).then(12).otherwise(0)
    frame = frame.with_columns(hour=hour.cast(pl.Int64))
    time = pl.col("dteday").str.to_datetime("%Y-%m-%d") + pl.duration(hours=pl.col("hour"))
    return frame.with_columns(time=time).sort("time")


# ------------------------------------------------------------ tables with a model

@dataclass(frozen=True, eq=False)
class ModelTable:
    """A bundled real table, a production model trained on rows it does not hold, and the
    roles of its columns: what :func:`mlwatch.simulate.simulate` injects incidents into and
    the calibration and diagnosis benchmarks draw from.

    ``frame`` (the *pool*) holds the rows the model never saw, sorted by time, with the
    model's scores in ``prediction``; :meth:`score` re-scores any frame with the same columns
    (after an injected input fault, say).
    """

    name: str
    frame: pl.DataFrame
    target: str
    time: str
    segments: tuple[str, ...]
    features: tuple[str, ...]
    task: str
    metric: str
    model: Any
    categories: dict[str, list[str]]
    prediction: str = "prediction"

    @property
    def roles(self) -> dict[str, Any]:
        """Keyword arguments of :func:`mlwatch.investigate` for this table."""
        return {"target": self.target, "prediction": self.prediction, "time": self.time,
                "segments": list(self.segments), "features": list(self.features), "task": self.task,
                "metric": self.metric}

    def score(self, frame: pl.DataFrame) -> pl.Series:
        """The model's scores (probability of the positive class, or the value) on ``frame``."""
        X = _design(frame, self.features, self.categories)
        if self.task == "classification":
            return pl.Series(self.prediction, self.model.predict_proba(X)[:, 1])
        return pl.Series(self.prediction, self.model.predict(X))


def _design(frame: pl.DataFrame, features: Sequence[str], categories: Mapping[str, list[str]]):
    """The model's input: numbers as floats, categories as pandas categoricals over the
    training categories (an unseen one is missing, which LightGBM routes as it learned)."""
    import pandas as pd

    columns = {}
    for name in features:
        values = frame[name]
        if name in categories:
            text = values.cast(pl.String)
            known = text.is_in(pl.Series(categories[name], dtype=pl.String).implode())
            columns[name] = pd.Categorical(pl.select(pl.when(known).then(text)).to_series().to_list(),
                                           categories=categories[name])
        else:
            columns[name] = values.cast(pl.Float64).to_numpy()
    return pd.DataFrame(columns)


TABLES = ("flights", "acs", "hotel", "bike")


def tables() -> list[str]:
    """The bundled tables that come with a model (:func:`model_table`)."""
    return list(TABLES)


@functools.lru_cache(maxsize=None)
def model_table(name: str) -> ModelTable:
    """A bundled real table with a LightGBM model trained on an earlier window of it.

    ======== ============================= ================ ================================
    name     model (metric)                training window  pool (rows the model never saw)
    ======== ============================= ================ ================================
    flights  late arrival, 9 inputs         January-March    April-December 2013
             (log-loss)
    acs      employed, 16 inputs            2015             2016-2018
             (accuracy)
    hotel    daily rate, 21 inputs (MAE)    Jul-Oct 2016     Nov 2016 - Aug 2017
    bike     rentals an hour, 10 inputs     2011             2012
             (MAE)
    ======== ============================= ================ ================================

    Trained once a process (seeded, single-threaded, so the scores are reproducible); needs
    LightGBM (``pip install mlwatch[explain]``).
    """
    from mlwatch.errors import check_choice

    check_choice("table", name, TABLES)
    try:
        import lightgbm as lgb
    except ImportError:
        raise DataError("the bundled model tables need LightGBM: pip install 'mlwatch[explain]'") from None
    spec = _TABLE_SPECS[name]()
    frame, train = spec.pop("frame").sort(spec["time"], maintain_order=True), spec.pop("train")
    features = spec["features"]
    categories = {c: sorted(train[c].cast(pl.String).drop_nulls().unique().to_list())
                  for c in features if not train[c].dtype.is_numeric()}
    kind = lgb.LGBMClassifier if spec["task"] == "classification" else lgb.LGBMRegressor
    model = kind(n_estimators=100, num_leaves=31, learning_rate=0.1, min_child_samples=20, random_state=0,
                 n_jobs=1, verbose=-1)
    model.fit(_design(train, features, categories), train[spec["target"]].cast(pl.Float64).to_numpy())
    table = ModelTable(name=name, frame=frame, model=model, categories=categories, **spec)
    return ModelTable(name=name, frame=frame.with_columns(table.score(frame)), model=model,
                      categories=categories, **spec)


def _flights_table() -> dict[str, Any]:
    data = flights().drop_nulls(["late", "dep_delay"])
    features = ("dep_delay", "distance", "hour", "temp", "dewp", "humid", "wind_speed", "precip", "visib")
    keep = ["time_hour", "carrier", "origin", *features, "late"]
    return {"frame": data.filter(pl.col("month") >= 4).select(keep), "train": data.filter(pl.col("month") <= 3),
            "target": "late", "time": "time_hour", "segments": ("carrier", "origin"), "features": features,
            "task": "classification", "metric": "log_loss"}


ACS_FEATURES = ("AGEP", "SCHL", "MAR", "RELP", "DIS", "ESP", "CIT", "MIG", "MIL", "ANC", "NATIVITY", "DEAR", "DEYE",
                "DREM", "SEX", "RAC1P")


def _acs_table() -> dict[str, Any]:
    reference, current = acs_employment()
    keep = ["year", *ACS_FEATURES, "employed"]
    return {"frame": current.select(keep).sort("year", maintain_order=True), "train": reference,
            "target": "employed", "time": "year", "segments": ("SEX", "MAR", "SCHL", "DIS", "CIT", "RAC1P"),
            "features": ACS_FEATURES, "task": "classification", "metric": "accuracy"}


def _hotel_table() -> dict[str, Any]:
    data = hotel_rates()
    features = ("lead_time", "stays_in_weekend_nights", "stays_in_week_nights", "adults", "children", "babies",
                "meal", "country", "market_segment", "distribution_channel", "is_repeated_guest",
                "previous_cancellations", "previous_bookings_not_canceled", "reserved_room_type",
                "assigned_room_type", "booking_changes", "days_in_waiting_list", "customer_type",
                "required_car_parking_spaces", "total_of_special_requests", "historical_adr")
    keep = ["arrival_date", *features, "avg_price_per_room"]
    cut = dt.date(2016, 11, 1)
    return {"frame": data.filter(pl.col("arrival_date") >= cut).select(keep),
            "train": data.filter(pl.col("arrival_date") < cut), "target": "avg_price_per_room",
            "time": "arrival_date", "segments": ("market_segment", "distribution_channel", "customer_type", "meal"),
            "features": features, "task": "regression", "metric": "mae"}


def _bike_table() -> dict[str, Any]:
    data = bike_sharing()
    features = ("hour", "temp", "atemp", "hum", "windspeed", "season", "weekday", "workingday", "holiday",
                "weathersit")
    keep = ["time", *features, "cnt"]
    year = pl.col("time").dt.year()
    return {"frame": data.filter(year == 2012).select(keep), "train": data.filter(year == 2011),
            "target": "cnt", "time": "time", "segments": ("season", "weathersit", "workingday", "weekday"),
            "features": features, "task": "regression", "metric": "mae"}


_TABLE_SPECS = {"flights": _flights_table, "acs": _acs_table, "hotel": _hotel_table, "bike": _bike_table}
