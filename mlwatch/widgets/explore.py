"""``explore``: the investigation as an ipywidgets app, one tab a step.

Thin on purpose: each control maps to a keyword of a public function (the slice picker to
``Incident.audit(where=...)``, the threshold to its ``psi_threshold``, the feature picker to
``AuditResult.plot(feature=...)``), the latest Result is ``.result``, the latest figure
``.figure``, so a notebook carries on from what the person explored.
"""

from __future__ import annotations

from typing import Any

WHOLE = "(whole population)"


class Explorer:
    """The app; display it in a notebook (it is its own widget)."""

    def __init__(self, incident, findings=None):
        import ipywidgets as w

        self.incident = incident
        self.findings = findings if findings is not None else incident.investigate()
        f = self.findings
        self.result = f.audit
        self.figure = None
        labels = f.slices.table.filter(f.slices.table["significant"])["slice"].to_list()
        self._predicates = dict(zip(labels, [p for p, s in zip(f.slices.predicates, f.slices.table["significant"])
                                             if s]))
        start = labels[0] if labels else WHOLE
        self.slice_picker = w.Dropdown(options=[WHOLE, *labels], value=start, description="slice")
        self.threshold = w.FloatSlider(value=0.1, min=0.02, max=0.5, step=0.01, description="PSI threshold",
                                       continuous_update=False)
        self.feature_picker = w.Dropdown(options=self.result.table["feature"].to_list(), description="feature")
        self.audit_plot, self.feature_plot = w.Image(format="png"), w.Image(format="png")
        self.audit_text = w.HTML()
        self.slice_picker.observe(self._on_audit_change, names="value")
        self.threshold.observe(self._on_audit_change, names="value")
        self.feature_picker.observe(self._on_feature, names="value")
        tabs = [
            ("1 signal", self._figure_tab(f.signal, "signal") if f.signal is not None else
             w.HTML("<p>No time column: step 1 needs one.</p>")),
            ("2 infra", w.HTML(f.infra.summary("html"))),
            ("3 global", self._figure_tab(f.overall, "overall")),
            ("4 slices", self._figure_tab(f.slices, "slices")),
            ("5 audit", w.VBox([w.HBox([self.slice_picker, self.threshold]), self.audit_text, self.audit_plot,
                                self.feature_picker, self.feature_plot])),
            ("6 trace", self._figure_tab(f.trace, "trace") if f.trace.table.height else
             w.HTML("<p>Nothing to trace.</p>")),
            ("verdict", w.HTML(f"<h3>{_escape(f.verdict.kind.replace('_', ' '))}</h3>"
                               f"<p>{_escape(f.verdict.summary)}</p>")),
        ]
        if f.multivariate is not None:          # the domain classifier: the joint distribution
            tabs.append(("joint drift", self._figure_tab(f.multivariate, "multivariate")))
        if f.estimate is not None:              # labels missing: the estimated performance per segment
            tabs.append(("without labels", self._figure_tab(f.estimate, "estimate")))
        self.widget = w.Tab(children=[child for _, child in tabs])
        for i, (title, _) in enumerate(tabs):
            self.widget.set_title(i, title)
        self._on_audit_change()

    def _repr_mimebundle_(self, **kwargs):
        """The live app, and a picture of its current state (the verdict, the audit of the
        chosen slice and its figure) for viewers without widgets."""
        from mlwatch.widgets._static import bundle

        f = self.findings
        body = (f"<h3>{_escape(f.verdict.kind.replace('_', ' '))}</h3><p>{_escape(f.verdict.summary)}</p>"
                + self.audit_text.value)
        return bundle(self.widget, f"Investigation explorer, audit of {self.slice_picker.value}", body, self.figure)

    def picture(self):
        """The audit figure of the chosen slice as an image (plain notebook output)."""
        from mlwatch.widgets._static import picture

        return picture(self.figure)

    # ------------------------------------------------------------ callbacks
    def _on_audit_change(self, change: Any = None) -> None:
        where = self._predicates.get(self.slice_picker.value)
        self.result = self.incident.audit(where=where, psi_threshold=self.threshold.value)
        self.audit_text.value = self.result.summary("html")
        self.figure = self._draw(self.audit_plot, lambda ax: self.result.plot(ax=ax),
                                 (8, 0.3 * self.result.table.height + 2))
        features = self.result.table["feature"].to_list()
        if self.feature_picker.options != tuple(features):
            self.feature_picker.options = features
        self._on_feature()

    def _on_feature(self, change: Any = None) -> None:
        feature = self.feature_picker.value
        if feature is not None:
            self.feature_figure = self._draw(self.feature_plot, lambda ax: self.result.plot(ax=ax, feature=feature),
                                             (8, 4))

    # ------------------------------------------------------------ drawing
    def _figure_tab(self, result, name: str):
        import ipywidgets as w

        image = w.Image(format="png")
        self._draw(image, lambda ax: result.plot(ax=ax), (8, 4.5))
        return w.VBox([w.HTML(result.summary("html")), image])

    @staticmethod
    def _draw(image, draw, size):
        """Draw on a new Figure (no pyplot, no global state) and show it as a PNG in ``image``."""
        from matplotlib.figure import Figure

        from mlwatch.plots._base import figure_png

        fig = Figure(figsize=size, layout="constrained")
        draw(fig.add_subplot())
        image.value = figure_png(fig)
        return fig


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def explore(incident, findings=None) -> Explorer:
    """The investigation of ``incident`` (an :class:`mlwatch.Incident`) as tabs, one a step;
    ``findings`` from a previous ``incident.investigate()`` save running it again."""
    return Explorer(incident, findings)
