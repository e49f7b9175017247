"""``drift_playground``: move a slider, watch PSI, KS, the signature, the slice finder and
ADWIN react — on real data (the census answers bundled in ``datasets/``).

The current window is the reference's twin (the 2016 answers) with the chosen faults
injected into its second half (so the stream has a change for ADWIN to find); everything
it shows comes from the public functions (:func:`inject` then ``audit``, ``signature``,
``find_slices``, ``run_detector``), and the latest numbers are ``.result``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

UNITS = {"none": 1.0, "x 60 (minutes -> seconds)": 60.0, "/ 60 (minutes -> hours)": 1 / 60,
         "x 1.609 (miles -> km)": 1.609344, "x 1000": 1000.0}


def inject(frame: pl.DataFrame, *, column: str = "AGEP", category: str = "SCHL", shift: float = 0.0,
           scale: float = 1.0, unit: float = 1.0, null_share: float = 0.0, remap: bool = False,
           concept: float = 0.0, target: str = "employed", segment: tuple[str, str] = ("SEX", "2"),
           start: float = 0.5, seed: int = 0) -> pl.DataFrame:
    """``frame`` with faults injected into its rows from ``start`` (a share of the rows) on:
    ``column`` shifted by ``shift`` standard deviations, scaled about its mean, multiplied by
    a ``unit`` factor, nulled in ``null_share`` of rows; ``target`` flipped for ``concept`` of
    the ``segment`` rows; and, in every row (a re-encoding deployed before the window),
    ``category``'s most common label swapped with its fourth (``remap``).

    >>> df = pl.DataFrame({"AGEP": [20.0, 30.0, 40.0, 50.0], "SCHL": ["a", "a", "b", "c"],
    ...                    "employed": [1, 0, 1, 0], "SEX": ["1", "2", "1", "2"]})
    >>> inject(df, shift=1.0, start=0.5)["AGEP"].to_list()      # sd of AGEP is 12.9
    [20.0, 30.0, 52.90994448735806, 62.90994448735806]
    """
    rng = np.random.default_rng(seed)
    after = pl.Series(np.arange(frame.height) >= int(start * frame.height))
    values = frame[column].cast(pl.Float64)
    sd, mean = float(values.std() or 1.0), float(values.mean())
    changed = ((values - mean) * scale + mean + shift * sd) * unit
    nulls = pl.Series(rng.random(frame.height) < null_share) & after
    out = frame.with_columns(pl.when(after).then(changed).otherwise(values).alias(column))
    out = out.with_columns(pl.when(nulls).then(None).otherwise(pl.col(column)).alias(column))
    if remap:   # a re-encoding deployed before the window: every current row, most common <-> fourth
        top = frame[category].cast(pl.String).value_counts(sort=True)[category].head(4).to_list()
        out = out.with_columns(pl.col(category).cast(pl.String).replace({top[0]: top[-1], top[-1]: top[0]}))
    if concept > 0:
        flip = pl.Series(rng.random(frame.height) < concept) & after & \
            (pl.Series(frame[segment[0]].cast(pl.String).to_numpy()) == segment[1])
        out = out.with_columns(pl.when(flip).then(1 - pl.col(target)).otherwise(pl.col(target)).alias(target))
    return out


@dataclass
class PlaygroundState:
    """What the playground computed last."""

    audit: Any
    numeric_signature: Any
    category_signature: Any
    slices: Any
    adwin: Any


class Playground:
    def __init__(self, reference: pl.DataFrame | None = None, current: pl.DataFrame | None = None, *,
                 column: str = "AGEP", category: str = "SCHL", n: int = 20_000, seed: int = 0):
        import ipywidgets as w

        from mlwatch import datasets

        if reference is None or current is None:
            ref, cur = datasets.acs_employment()
            reference = ref.sample(min(n, ref.height), seed=seed)
            current = cur.filter(pl.col("year") == 2016).sample(min(n, cur.height), seed=seed + 1)
        self.reference, self.base, self.column, self.category = reference, current, column, category
        self.controls = {
            "shift": w.FloatSlider(value=0.0, min=-2.0, max=2.0, step=0.1, description="shift (sd)"),
            "scale": w.FloatSlider(value=1.0, min=0.3, max=3.0, step=0.1, description="scale"),
            "unit": w.Dropdown(options=list(UNITS), value="none", description="unit"),
            "null_share": w.FloatSlider(value=0.0, min=0.0, max=0.6, step=0.05, description="null share"),
            "remap": w.Checkbox(value=False, description=f"swap two {category} labels"),
            "concept": w.FloatSlider(value=0.0, min=0.0, max=0.6, step=0.05, description="flip labels (SEX=2)"),
        }
        for control in self.controls.values():
            control.continuous_update = False
            control.observe(self._update, names="value")
        self.table, self.plots = w.HTML(), w.Image(format="png")
        self.widget = w.VBox([w.HBox(list(self.controls.values())[:3]), w.HBox(list(self.controls.values())[3:]),
                              self.table, self.plots])
        self.result: PlaygroundState | None = None
        self.figure = None
        self._update()

    def _repr_mimebundle_(self, **kwargs):
        """The live app, and a picture of its current state for viewers without widgets."""
        from mlwatch.widgets._static import bundle

        settings = ", ".join(f"{k}={v}" for k, v in self.settings().items())
        return bundle(self.widget, f"Drift playground ({settings})", self.table.value, self.figure)

    def picture(self):
        """The current figures (the audit of the column, ADWIN's detections) as an image: plain
        notebook output that stays in an exported notebook."""
        from mlwatch.widgets._static import picture

        return picture(self.figure)

    def settings(self) -> dict[str, Any]:
        c = self.controls
        return {"shift": c["shift"].value, "scale": c["scale"].value, "unit": UNITS[c["unit"].value],
                "null_share": c["null_share"].value, "remap": c["remap"].value, "concept": c["concept"].value}

    def _update(self, change: Any = None) -> None:
        from matplotlib.figure import Figure

        from mlwatch.plots._base import figure_png
        from mlwatch.stats.signatures import signature
        from mlwatch.stats.streaming import ADWIN
        from mlwatch.steps.audit import audit
        from mlwatch.steps.scoring import resolve_scoring
        from mlwatch.steps.slices import find_slices
        from mlwatch.steps.trace import run_detector

        current = inject(self.base, column=self.column, category=self.category, **self.settings())
        audited = audit(self.reference, current, features=[self.column, self.category, "predicted_probability"])
        scoring = resolve_scoring(self.reference, current, prediction="predicted_probability", target="employed")
        slices = find_slices(self.reference, current, scoring, segments=["SEX", "MAR", "DIS"], max_depth=2)
        stream = current[self.column].cast(pl.Float64).fill_null(float(self.reference[self.column].mean()))
        detections = run_detector(ADWIN(), stream)
        self.result = PlaygroundState(audited, signature(self.reference[self.column], current[self.column]),
                                      signature(self.reference[self.category], current[self.category]), slices,
                                      detections)
        rows = audited.table.select("feature", "psi", "noise_floor", "ks", "severity")
        sig_n, sig_c = self.result.numeric_signature, self.result.category_signature
        top = slices.significant.table["slice"].to_list()
        self.table.value = (rows._repr_html_() +
                            f"<p><b>{self.column}</b>: {_escape(sig_n.name or 'no signature')} — {_escape(sig_n.sentence)}</p>"
                            f"<p><b>{self.category}</b>: {_escape(sig_c.name or 'no signature')} — {_escape(sig_c.sentence)}</p>"
                            f"<p>slice finder: {_escape(', '.join(top) or 'no slice broke')}; ADWIN: "
                            f"{len(detections.positions)} change(s) at {detections.positions[:5]}</p>")
        fig = Figure(figsize=(11, 3.6), layout="constrained")
        left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        audited.plot(ax=left, feature=self.column)
        detections.plot(ax=right)
        self.figure = fig
        self.plots.value = figure_png(fig)


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def drift_playground(reference: pl.DataFrame | None = None, current: pl.DataFrame | None = None, **options) -> Playground:
    """Sliders that inject a shift, a scale change, a unit change, a null spike, a category
    re-mapping or concept drift into real data; PSI, KS, the signature, the slice finder and
    ADWIN react. ``.result`` holds the latest numbers."""
    return Playground(reference, current, **options)
