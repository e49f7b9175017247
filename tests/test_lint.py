"""The package, the tests, the benchmarks and the notebooks' text sources pass the linter
(ruff, configured in pyproject.toml: pyflakes and pycodestyle)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "mlwatch", "tests", "benchmarks", "notebooks"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
