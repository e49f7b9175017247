"""The real data sets bundled in the repository's ``datasets/`` folder.

Nothing is downloaded: the files are in the repository (each folder has a SOURCE.md with
its origin and licence). Set ``MLWATCH_DATASETS`` to read them from another folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from mlwatch.errors import DataError


def datasets_dir() -> Path:
    """The folder holding the bundled data."""
    override = os.environ.get("MLWATCH_DATASETS")
    folder = Path(override) if override else Path(__file__).resolve().parent.parent / "datasets"
    if not folder.is_dir():
        raise DataError(f"bundled data not found at {folder}; set MLWATCH_DATASETS to the datasets/ folder "
                        "of an mlwatch checkout")
    return folder


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


def load(name: str):
    """A gallery incident by name (:func:`mlwatch.gallery.load`), built on first use."""
    from mlwatch import gallery

    return gallery.load(name)
