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


def test_each_notebook_is_paired_with_its_text_source_and_in_sync():
    """The .py (Jupytext percent format) is the reviewed source; the .ipynb people open holds
    the same cells, and says it is paired."""
    import jupytext

    for path in NOTEBOOKS:
        text = path.with_suffix(".py")
        assert text.exists(), f"{path.name} has no paired {text.name}"
        notebook = nbformat.read(path, as_version=4)
        assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent", path.name
        source = jupytext.read(text)
        assert [(c.cell_type, c.source) for c in source.cells] == [(c.cell_type, c.source) for c in notebook.cells], \
            f"{path.name} and {text.name} differ: run `jupytext --sync notebooks/*.ipynb`"


def test_saving_in_jupyter_updates_the_text_source(tmp_path):
    """An edit saved from Jupyter (through Jupytext's contents manager, as JupyterLab with
    jupytext installed does) reaches the paired .py, so it survives review and the tests."""
    import shutil

    import jupytext

    for path in (NOTEBOOKS[0], NOTEBOOKS[0].with_suffix(".py"), NOTEBOOKS[0].parent / "jupytext.toml"):
        shutil.copy(path, tmp_path / path.name)
    manager = jupytext.TextFileContentsManager(root_dir=str(tmp_path))
    model = manager.get(NOTEBOOKS[0].name)
    model["content"].cells[-1].source = "app = None  # edited in Jupyter"
    manager.save(model, NOTEBOOKS[0].name)
    assert jupytext.read(tmp_path / NOTEBOOKS[0].with_suffix(".py").name).cells[-1].source == \
        "app = None  # edited in Jupyter"
