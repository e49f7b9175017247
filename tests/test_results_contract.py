"""The Result contract, checked over every Result class (in the spirit of scikit-learn's
common tests): JSON round trip, one error for a wrong document, every value escaped in
HTML and Markdown, ``plot(ax=...)`` returns that Axes, and nothing warns.

The data are built so that every Result holds hostile text: segment values, categories
and event descriptions that are HTML (a ``<script>``), Markdown and ampersands.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import pkgutil
import warnings

import matplotlib
import numpy as np
import pandas as pd
import polars as pl
import pytest

import mlwatch
from mlwatch.errors import SchemaError
from mlwatch.results import Result

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HOSTILE = "<script>alert(1)</script>"
REGIONS = [f"north {HOSTILE}", "south & co", "east_[x](javascript:y)", "west"]
N = 6000


def _window(rng, start: dt.datetime, n: int, *, broken: bool) -> pl.DataFrame:
    region = rng.choice(REGIONS, n)
    colour = rng.choice(["<b>red</b>", "blue", "green"], n)
    x = rng.normal(10, 2, n)
    z = rng.normal(0, 1, n)
    logit = 0.8 * (x - 10) + 0.6 * z + np.where(colour == "blue", 0.5, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    p = 1 / (1 + np.exp(-logit))
    time = [start + dt.timedelta(minutes=int(m)) for m in np.sort(rng.integers(0, 60 * 24 * 28, n))]
    frame = pl.DataFrame({"time": time, "region": region, "colour": colour, "x": x, "z": z, "y": y, "p": p,
                          "latency_ms": rng.gamma(4, 10, n)})
    if broken:      # from mid-window the first region's x arrives in another unit, and its score breaks
        late = (pl.col("time") >= start + dt.timedelta(days=14)) & (pl.col("region") == REGIONS[0])
        frame = frame.with_columns(x=pl.when(late).then(pl.col("x") * 60).otherwise(pl.col("x")))
        frame = frame.with_columns(p=pl.when(late).then(1 - pl.col("p")).otherwise(pl.col("p")))
    return frame.with_columns(challenger=1 / (1 + np.exp(-logit)) * 0.98 + 0.01)


@pytest.fixture(scope="module")
def hostile():
    rng = np.random.default_rng(7)
    reference = _window(rng, dt.datetime(2024, 1, 1), N, broken=False)
    current = _window(rng, dt.datetime(2024, 2, 1), N, broken=True)
    events = pl.DataFrame({"time": ["2024-02-15T00:00:00"], "description": [f"deploy {HOSTILE} & friends"]})
    return reference, current, events


@pytest.fixture(scope="module")
def results(hostile) -> dict[str, Result]:
    from mlwatch.stats import streaming

    lgb = pytest.importorskip("lightgbm")
    reference, current, events = hostile
    inputs = ["x", "z"]
    model = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1).fit(
        reference.select(inputs).to_pandas(), reference["y"].to_numpy())
    incident = mlwatch.Incident(reference, current, target="y", prediction="p", time="time",
                                segments=["region", "colour"], features=["x", "z", "colour"], exclude=["challenger"])
    findings = incident.investigate(events=events, model=model, challenger="challenger")
    out = {"findings": findings, "change_trace": mlwatch.run_detector(
        streaming.ADWIN(), current["x"], index=current["time"])}
    for name in ("signal", "infra", "overall", "slices", "audit", "trace", "segments", "attribution", "shadow",
                 "multivariate"):
        out[name] = getattr(findings, name)
    out["estimate"] = mlwatch.estimate_performance(reference, current.with_columns(y=None), target="y",
                                                   prediction="p", segments=["region", "colour"])
    return out


def _all_result_classes() -> set[type]:
    for info in pkgutil.walk_packages(mlwatch.__path__, "mlwatch."):
        if not info.name.startswith(("mlwatch.widgets", "mlwatch._datasets")):
            importlib.import_module(info.name)
    found, todo = set(), [Result]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_result_class_is_covered(results):
    assert {type(r) for r in results.values()} == _all_result_classes()


NAMES = ["findings", "change_trace", "signal", "infra", "overall", "slices", "audit", "trace", "segments",
         "attribution", "shadow", "multivariate", "estimate"]


@pytest.mark.parametrize("name", NAMES)
def test_json_round_trip(results, name):
    result = results[name]
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))     # standard JSON: no NaN literals
    assert payload["schema"] == type(result).SCHEMA
    back = type(result).from_dict(payload)
    assert type(back) is type(result)
    assert json.loads(json.dumps(back.to_dict(), allow_nan=False)) == payload
    assert back.table.equals(result.table)
    assert back.sentence == result.sentence


@pytest.mark.parametrize("name", NAMES)
def test_a_wrong_document_is_refused_with_one_error(results, name):
    cls = type(results[name])
    other = next(r for n, r in results.items() if type(r) is not cls)
    with pytest.raises(SchemaError, match=f"{cls.__name__}.from_dict: expected a '{cls.SCHEMA}' document"):
        cls.from_dict(other.to_dict())
    with pytest.raises(SchemaError, match="got schema 'list'"):
        cls.from_dict([])


@pytest.mark.parametrize("name", NAMES)
def test_presentation_escapes_every_value(results, name):
    result = results[name]
    page = result.summary("html")
    assert page == result._repr_html_() and page.startswith('<div class="mlwatch-result">')
    assert "<script" not in page and "<b>" not in page
    markdown = result.summary("markdown")
    assert "<script" not in markdown and "<b>" not in markdown and not re.search(r"(?<!\\)\]\(javascript", markdown)
    text = result.summary("text")
    assert str(result) == text and text.startswith(result.sentence)
    assert isinstance(result.sentence, str) and result.sentence and "\n" not in result.sentence
    assert repr(result) == f"<{type(result).__name__}: {result.sentence}>"
    assert isinstance(result.table, pl.DataFrame) and isinstance(result.to_pandas(), pd.DataFrame)
    with pytest.raises(mlwatch.MlwatchError, match="unknown format 'pdf'"):
        result.summary("pdf")


def test_hostile_values_reach_the_pages(results):
    """The escaping is tested on pages that hold the hostile values, escaped."""
    assert "north &lt;script&gt;alert(1)&lt;/script&gt;" in results["slices"].summary("html")
    assert "north &lt;script&gt;" in results["findings"].summary("markdown")
    assert "&lt;b&gt;red&lt;/b&gt;" in results["audit"].summary("html") or \
        "&lt;b&gt;red&lt;/b&gt;" in results["segments"].summary("html")


def test_print_findings_is_short(results):
    assert len(str(results["findings"]).splitlines()) < 40


@pytest.mark.parametrize("name", NAMES)
def test_plot_draws_on_the_given_axes_without_warnings(results, name):
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        returned = results[name].plot(ax=ax)
        fig.canvas.draw()
    assert returned is ax
    assert ax.get_title() and (ax.get_xlabel() or ax.get_ylabel())
    plt.close(fig)
