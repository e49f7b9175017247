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
