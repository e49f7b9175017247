"""The widgets, driven programmatically: controls change, Results and figures follow."""

import pytest

pytest.importorskip("ipywidgets")

from mlwatch import Incident, gallery  # noqa: E402
from mlwatch.widgets import drift_playground, explore, inject  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    case = gallery.load("acs_concept_drift")
    incident = Incident(case.reference, case.current, **case.investigate_kwargs())
    return explore(incident)


def test_explorer_starts_on_the_broken_slice(explorer):
    assert explorer.slice_picker.value == "SEX=2 & MAR=1"
    assert explorer.result.options["where"] == {"SEX": "2", "MAR": "1"}
    assert [explorer.widget.get_title(i) for i in range(7)] == ["1 signal", "2 infra", "3 global", "4 slices",
                                                                 "5 audit", "6 trace", "verdict"]
    assert "concept drift" in explorer.widget.children[6].value
    # the domain classifier's tab: a concept drift moves no input, so the windows cannot be told apart
    assert explorer.widget.get_title(7) == "joint drift"
    assert "cannot be told apart" in explorer.widget.children[7].children[0].value


def test_picking_another_slice_changes_the_result_and_figure(explorer):
    before_result, before_figure, before_png = explorer.result, explorer.figure, explorer.audit_plot.value
    explorer.slice_picker.value = "(whole population)"
    assert explorer.result is not before_result and explorer.result.options["where"] is None
    assert explorer.figure is not before_figure
    after_png = bytes(explorer.audit_plot.value)
    assert after_png.startswith(b"\x89PNG") and after_png != bytes(before_png)
    assert explorer.result.n_current > before_result.n_current


def test_threshold_and_feature_controls(explorer):
    explorer.threshold.value = 0.02
    assert explorer.result.options["psi_threshold"] == 0.02
    explorer.feature_picker.value = "AGEP"
    assert "AGEP" in explorer.feature_figure.axes[0].get_title()


def test_playground_reacts_to_each_fault():
    playground = drift_playground(n=8000)
    assert playground.result.numeric_signature.name is None
    quiet_psi = playground.result.audit.table.filter(playground.result.audit.table["feature"] == "AGEP")["psi"][0]
    playground.controls["unit"].value = "/ 60 (minutes -> hours)"
    assert playground.result.numeric_signature.name == "unit_change"
    assert playground.result.audit.table.filter(playground.result.audit.table["feature"] == "AGEP")["psi"][0] > quiet_psi
    assert playground.result.adwin.positions                        # the stream changes halfway
    playground.controls["unit"].value = "none"
    playground.controls["null_share"].value = 0.4
    assert playground.result.numeric_signature.name == "null_spike"
    playground.controls["null_share"].value = 0.0
    playground.controls["remap"].value = True
    assert playground.result.category_signature.name == "encoding_permutation"
    playground.controls["remap"].value = False
    playground.controls["concept"].value = 0.6
    assert playground.result.slices.top == {"SEX": "2"}
    assert playground.figure is not None and len(playground.figure.axes) == 2


def test_inject_touches_only_the_second_half():
    import polars as pl

    frame = pl.DataFrame({"AGEP": [10.0] * 4, "SCHL": ["a"] * 4, "employed": [1] * 4, "SEX": ["2"] * 4})
    out = inject(frame, unit=60.0, concept=1.0)
    assert out["AGEP"].to_list() == [10.0, 10.0, 600.0, 600.0] and out["employed"].to_list() == [1, 1, 0, 0]


def test_apps_carry_a_static_picture_for_viewers_without_widgets(explorer):
    """The display bundle holds the live widget and, for an exported or statically viewed
    notebook, HTML with the current figure embedded: a picture, not a blank area."""
    import base64
    import re

    explorer.slice_picker.value = "SEX=2 & MAR=1"
    data = explorer._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    page = data["text/html"]
    assert "audit of SEX=2 &amp; MAR=1" in page and "concept drift" in page
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    playground = drift_playground(n=4000)
    playground.controls["unit"].value = "x 60 (minutes -> seconds)"
    page = playground._repr_mimebundle_()["text/html"]
    assert "unit=60.0" in page and "unit_change" in page and 'src="data:image/png;base64,' in page


def test_pictures_are_plain_images(explorer):
    image = explorer.picture()
    assert image.format == "png" and image.data.startswith(b"\x89PNG")
    playground = drift_playground(n=4000)
    assert playground.picture().data.startswith(b"\x89PNG")
