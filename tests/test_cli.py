"""The command line: outputs, exit codes, one-line errors naming the file and column."""

import json
import subprocess
import sys

import pytest

from mlwatch.cli import main


@pytest.fixture
def files(tmp_path, winter_summer):
    reference, current = winter_summer
    cols = ["dep_delay", "air_time", "temp", "carrier", "origin"]
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.csv"
    reference.select(cols).write_parquet(ref)
    current.select(cols).write_csv(cur)
    return ref, cur


def test_audit_writes_json_html_markdown(files, tmp_path, capsys):
    ref, cur = files
    out = tmp_path / "out"
    code = main(["audit", str(ref), str(cur), "--where", "origin=JFK", "--where", "origin=LGA",
                 "--json", str(out / "a.json"), "--html", str(out / "a.html"), "--markdown", str(out / "a.md")])
    assert code == 0
    printed = capsys.readouterr()
    assert "where origin = ['JFK', 'LGA']" in printed.out and "temp" in printed.out
    payload = json.loads((out / "a.json").read_text())
    assert payload["schema"] == "mlwatch.audit/1" and payload["features"][0]["feature"] == "temp"
    assert payload["options"]["where"] == {"origin": ["JFK", "LGA"]}
    page = (out / "a.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("data:image/png;base64,") >= 2
    assert (out / "a.md").read_text().startswith("# Audit of cur.csv against ref.parquet")


def test_missing_column_exits_2_with_one_line(files, capsys):
    ref, cur = files
    code = main(["audit", str(ref), str(cur), "--features", "temp,wind"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f"mlwatch: error: reference ({ref}): no column 'wind'")


def test_bad_file_names_the_file(tmp_path, files, capsys):
    ref, _ = files
    code = main(["audit", str(ref), str(tmp_path / "missing.parquet")])
    assert code == 2
    assert f"current ({tmp_path / 'missing.parquet'}): no such file" in capsys.readouterr().err


def test_bad_where_and_unwritable_output(files, capsys):
    ref, cur = files
    assert main(["audit", str(ref), str(cur), "--where", "origin"]) == 2
    assert "--where takes COLUMN=VALUE" in capsys.readouterr().err
    assert main(["audit", str(ref), str(cur), "--json", "/proc/nope/x.json"]) == 2
    assert "cannot write /proc/nope/x.json" in capsys.readouterr().err


def test_console_script_help_runs():
    out = subprocess.run([sys.executable, "-m", "mlwatch.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "audit" in out.stdout and "demo" in out.stdout


def test_demo_walks_the_incident_to_its_postmortem(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    for name in ("postmortem.html", "postmortem.md", "postmortem.json", "findings.json"):
        assert (tmp_path / name).exists()
    out = capsys.readouterr().out
    assert "Verdict: A training-serving skew on carrier=UA" in out and "Postmortem:" in out
    page = (tmp_path / "postmortem.html").read_text()
    assert page.count("data:image/png;base64,") >= 5
