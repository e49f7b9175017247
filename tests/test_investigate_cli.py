"""`mlwatch investigate`: the findings/1 JSON against its JSON Schema, the summary, bad input."""

import json
from importlib import resources

import jsonschema
import numpy as np
import polars as pl
import pytest

from mlwatch.cli import main

SCHEMA = json.loads(resources.files("mlwatch").joinpath("schemas/findings-1.schema.json").read_text())


@pytest.fixture(scope="module")
def incident_files(tmp_path_factory, acs):
    reference, current = acs
    rng = np.random.default_rng(4)
    broken = (pl.col("SCHL").cast(pl.String) == "21") & (pl.col("year") >= 2017)
    current = current.with_columns(pl.when(broken & pl.Series(rng.random(current.height) < 0.4))
                                   .then(1 - pl.col("employed")).otherwise(pl.col("employed")).alias("employed"))
    folder = tmp_path_factory.mktemp("incident")
    ref, cur = folder / "reference.parquet", folder / "current.csv"
    reference.drop("id").write_parquet(ref)
    current.drop("id").write_csv(cur)                    # a CSV against a parquet file, as in real life
    events = folder / "events.csv"
    pl.DataFrame({"time": [2014, 2017], "description": ["old release", "new survey form"]}).write_csv(events)
    return ref, cur, events


def test_findings_follow_the_contract(incident_files, tmp_path, capsys):
    ref, cur, events = incident_files
    out = tmp_path / "findings.json"
    code = main(["investigate", str(ref), str(cur), "--target", "employed", "--prediction", "predicted_probability",
                 "--segments", "SCHL,SEX,MAR", "--time", "year", "--events", str(events), "--json", str(out),
                 "--html", str(tmp_path / "report.html"), "--markdown", str(tmp_path / "report.md")])
    assert code == 0
    findings = json.loads(out.read_text())
    jsonschema.validate(findings, SCHEMA)
    assert findings["schema"] == "mlwatch.findings/1" and findings["task"] == "classification"
    assert findings["slices"][0]["slice"] == {"SCHL": "21"} and findings["slices"][0]["onset"] == "2017"
    assert findings["slices"][0]["significant"] and findings["slices"][0]["delta"] < -0.1
    assert findings["verdict"]["kind"] == "concept_drift"
    assert findings["events"] == [{"time": "2014", "description": "old release"},
                                  {"time": "2017", "description": "new survey form"}]
    assert findings["slices"][0]["event"] == "new survey form"
    assert "likely trigger: new survey form" in findings["verdict"]["summary"]
    assert all(f["signature"] is None for f in findings["features"])
    printed = capsys.readouterr()
    assert printed.out.startswith("Verdict: concept_drift") and "SCHL=21" in printed.out
    assert "step 4: slices" in printed.err                                  # progress on stderr
    page = (tmp_path / "report.html").read_text()
    assert "Verdict: concept drift" in page and page.count("data:image/png") >= 4
    assert (tmp_path / "report.md").read_text().startswith("# Investigation of current.csv")


def test_control_findings_are_quiet_and_valid(incident_files, tmp_path, acs):
    reference, current = acs
    ref, cur = tmp_path / "r.parquet", tmp_path / "c.parquet"
    reference.write_parquet(ref)
    current.write_parquet(cur)
    out = tmp_path / "f.json"
    assert main(["investigate", str(ref), str(cur), "--target", "employed", "--prediction", "predicted_probability",
                 "--segments", "SCHL,SEX,MAR", "--features", "AGEP,RAC1P", "--json", str(out)]) == 0
    findings = json.loads(out.read_text())
    jsonschema.validate(findings, SCHEMA)
    assert findings["verdict"]["kind"] == "none"
    assert not any(s["significant"] for s in findings["slices"])
    assert all(s["onset"] is None for s in findings["slices"])          # no --time, no onset


@pytest.mark.parametrize("args, message", [
    (["--target", "employed", "--prediction", "score"], "reference ({ref}): no column 'score'"),
    (["--target", "employed", "--prediction", "predicted_probability", "--segments", "REGION"], "no column 'REGION'"),
    (["--target", "nope", "--prediction", "predicted_probability"], "no column 'nope'"),
    (["--target", "employed", "--prediction", "predicted_probability", "--time", "when"], "no column 'when'"),
])
def test_bad_input_exits_2_with_one_line(incident_files, capsys, args, message):
    ref, cur, _ = incident_files
    code = main(["investigate", str(ref), str(cur), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("mlwatch: error:") and message.format(ref=ref) in err[-1]


def test_missing_file_names_it(incident_files, tmp_path, capsys):
    ref, _, _ = incident_files
    assert main(["investigate", str(ref), str(tmp_path / "nope.parquet"), "--prediction", "p"]) == 2
    assert "nope.parquet): no such file" in capsys.readouterr().err
