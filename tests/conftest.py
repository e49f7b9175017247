import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import polars as pl
import pytest

from mlwatch import datasets


@pytest.fixture(scope="session")
def flights() -> pl.DataFrame:
    return datasets.flights()


@pytest.fixture(scope="session")
def winter_summer(flights):
    """Real seasonal drift: January-March against July-September."""
    return flights.filter(pl.col("month") <= 3), flights.filter(pl.col("month").is_between(7, 9))


@pytest.fixture(scope="session")
def acs():
    return datasets.acs_employment()


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def flight_model(flights):
    """A small regression model of the arrival delay (least squares on departure delay,
    distance and hour), trained on June-July and scored on August-September."""
    data = flights.drop_nulls(["arr_delay", "dep_delay", "temp"])
    reference = data.filter(pl.col("month").is_in([6, 7]))
    current = data.filter(pl.col("month").is_in([8, 9]))

    def design(frame):
        return np.column_stack([np.ones(frame.height), frame["dep_delay"].to_numpy(),
                                frame["distance"].to_numpy() / 1000, frame["hour"].to_numpy()])

    coef, *_ = np.linalg.lstsq(design(reference), reference["arr_delay"].to_numpy(), rcond=None)

    def predict(frame):
        return pl.Series("prediction", design(frame) @ coef)

    return reference.with_columns(prediction=predict(reference)), current.with_columns(prediction=predict(current)), predict
