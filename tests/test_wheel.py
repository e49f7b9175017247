"""Installed as users install it: a wheel built from the repository, installed into a fresh
virtual environment, runs ``mlwatch demo`` from a folder far from the checkout — the real
data it needs travels inside the package, with its SOURCE and licence notes."""

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = out.glob("mlwatch-*.whl")
    return path


def test_the_wheel_carries_the_data_and_its_licences(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for table in ("nycflights13/flights.parquet", "acs_employment_ma/employment_MA_reference.pq",
                  "hotel_rates/hotel_rates.parquet", "bike_sharing_hourly/bike_sharing_hourly.parquet"):
        assert f"mlwatch/_datasets/{table}" in names
        assert f"mlwatch/_datasets/{table.split('/')[0]}/SOURCE.md" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not any("/gallery/" in n for n in names)          # built on first use, not shipped


def test_mlwatch_demo_runs_from_the_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    # the dependencies come from this environment (a .pth after the venv's own site-packages),
    # mlwatch itself only from the wheel
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    far = tmp_path / "elsewhere"
    far.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLWATCH_", "PYTHON"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"), MPLBACKEND="Agg")
    where = subprocess.run([str(python), "-c", "import mlwatch, mlwatch.datasets as d; print(mlwatch.__file__); "
                                               "print(d.datasets_dir())"],
                           cwd=far, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-2000:]
    module, data = where.stdout.split()
    assert str(site) in module and str(site) in data and str(ROOT) not in module
    demo = subprocess.run([str(venv / "bin" / "mlwatch"), "demo", "--out", "report"], cwd=far, env=env,
                          capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Verdict: " in demo.stdout and (far / "report" / "postmortem.html").stat().st_size > 10_000
    assert (tmp_path / "cache" / "mlwatch" / "gallery" / "flights_unit_skew" / "reference.parquet").exists()
