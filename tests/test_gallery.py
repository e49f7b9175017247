"""Every gallery incident's ground truth is recovered by investigate()."""

import pytest

from mlwatch import gallery, investigate


@pytest.fixture(scope="module", params=gallery.names())
def case(request):
    incident = gallery.load(request.param)
    findings = investigate(incident.reference, incident.current, events=incident.events, challenger="challenger",
                           **incident.investigate_kwargs())
    return incident, findings


def test_verdict(case):
    incident, findings = case
    assert findings.verdict.kind == incident.truth["verdict"], findings.verdict.summary


def test_slice_onset_and_trigger(case):
    incident, findings = case
    truth = incident.truth
    if "slice" in truth:
        assert findings.audited_slice == truth["slice"]
        if "onset" in truth:
            assert findings.slices.table["onset"][0].startswith(truth["onset"]) or "feature" in truth
    else:
        assert findings.audited_slice is None
    if "feature" in truth:
        row = findings.trace.table.filter(findings.trace.table["feature"] == truth["feature"]).row(0, named=True)
        if "signature" in truth:
            assert row["signature"] == truth["signature"]
        if "onset" in truth:
            assert row["onset"].startswith(truth["onset"])
        if "event" in truth:
            assert row["event"] == truth["event"]
    elif "event" in truth:
        assert truth["event"] in findings.verdict.summary


def test_shadow(case):
    incident, findings = case
    if "shadow" in incident.truth:
        assert findings.shadow.verdict == incident.truth["shadow"]


def test_cards_exist():
    for name in gallery.names():
        card = (gallery.gallery_dir() / name / "README.md").read_text()
        assert card.startswith("# " + name) and "Ground truth" in card
