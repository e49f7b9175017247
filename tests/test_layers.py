"""The computing layers never need the drawing ones; `import mlwatch` stays light."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlwatch"

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is blocked in this test")
sys.meta_path.insert(0, Block())
"""


def _run(code: str, blocked=("matplotlib", "ipywidgets", "seaborn", "shap")) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK.format(blocked=set(blocked)) + code],
                          capture_output=True, text=True, timeout=120)


def test_computing_layers_import_and_run_without_matplotlib_or_ipywidgets():
    code = """
import numpy as np, polars as pl
import mlwatch.stats, mlwatch.data, mlwatch.results, mlwatch.steps.audit
from mlwatch import audit
r = audit(pl.DataFrame({"x": np.arange(100.0)}), pl.DataFrame({"x": np.arange(100.0) + 50}))
print(r.drifted, r.summary("html")[:60])
"""
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert "['x'] <div class=\"mlwatch-result\"><p><strong>Aud" in out.stdout


def test_plot_says_what_is_missing_when_matplotlib_is_absent():
    code = """
import numpy as np, polars as pl
from mlwatch import audit
r = audit(pl.DataFrame({"x": np.arange(100.0)}), pl.DataFrame({"x": np.arange(100.0)}))
try:
    r.plot()
except ImportError as err:
    print("ImportError:", err)
"""
    out = _run(code)
    assert "matplotlib is blocked" in out.stdout


def test_import_mlwatch_does_not_import_heavy_packages():
    code = ("import sys, mlwatch, mlwatch.cli; "
            "print(sorted(m for m in ('scipy', 'matplotlib', 'polars', 'pandas') if m in sys.modules))")
    out = _run(code, blocked=())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


LAYERS = ["errors", "progress", "stats", "data", "baseline", "sources", "datasets", "models", "gallery", "simulate", "results",
          "steps", "incident", "plots", "widgets", "report", "cli"]


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "mlwatch" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _rank(layer: str) -> int:
    # data, baseline, datasets and models are the boundary layer (progress is a utility as errors
    # is); steps and incident are one layer (DESIGN.md)
    return {"progress": LAYERS.index("errors"), "baseline": LAYERS.index("data"), "sources": LAYERS.index("data"),
            "datasets": LAYERS.index("data"), "models": LAYERS.index("data"), "gallery": LAYERS.index("data"),
            "simulate": LAYERS.index("data"), "incident": LAYERS.index("steps")}.get(layer, LAYERS.index(layer))


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path):
    rel = path.relative_to(PACKAGE)
    own = rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else None
    if own is None:
        return
    tree = ast.parse(path.read_text())
    # a Result's plot() imports its renderer lazily (DESIGN.md), and the findings' postmortem() its report
    lazy_plot_imports = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                         and f.name.startswith(("plot", "postmortem")) for n in ast.walk(f)}
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            layer = _layer(name)
            if layer is None or (id(node) in lazy_plot_imports and name.startswith(("mlwatch.plots", "mlwatch.report"))):
                continue
            assert _rank(LAYERS[layer]) <= _rank(own), f"{rel} imports {name}: a layer above it"
