"""Every curated notebook executes without error, every cell (nbclient)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    (tmp_path / "out").mkdir()
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert sum(1 for c in notebook.cells if c.cell_type == "markdown") >= 3        # a story, not a script


def test_postmortem_template_has_a_parameters_cell():
    notebook = nbformat.read(next(p for p in NOTEBOOKS if p.name.startswith("06")), as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in notebook.cells)


def test_notebooks_are_up_to_date_with_their_builder():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build", NOTEBOOKS[0].parent / "build_notebooks.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for name, cells in build.NOTEBOOKS.items():
        written = nbformat.read(NOTEBOOKS[0].parent / name, as_version=4)
        assert [c.source for c in written.cells] == [c.source for c in cells], name
