"""Every gallery incident's ground truth is recovered by investigate()."""

import datetime as dt

import numpy as np
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


def _bucket_width(incident) -> float:
    from mlwatch.steps.scoring import time_buckets
    from mlwatch.steps.trace import _as_number

    time = incident.roles["time"]
    _, _, starts = time_buckets(incident.reference[time], incident.current[time])
    return float(np.median(np.diff([_as_number(t) for t in starts])))


def _position(text: str) -> float:
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None).timestamp()
    except ValueError:
        return float(text)


def test_root_cause(case):
    """The verdict's primary finding names the truth: where, which feature, how, when
    (within one time bucket) and after which upstream event."""
    incident, findings = case
    truth, primary = incident.truth, findings.verdict.primary
    if truth["verdict"] == "none":
        assert primary is None and findings.audited_slice is None
        return
    assert findings.audited_slice == truth.get("slice")
    if truth.get("slice"):
        assert primary.scope == " & ".join(f"{k}={v}" for k, v in truth["slice"].items())
    if "feature" in truth:
        named = [f.feature for f in findings.verdict.findings if f.kind == truth["verdict"]]
        assert truth["feature"] == primary.feature if "signature" in truth else truth["feature"] in named
    if "signature" in truth:
        assert primary.signature == truth["signature"]
    if "onset" in truth:
        assert abs(_position(primary.onset) - _position(truth["onset"])) <= _bucket_width(incident), primary.onset
    if "event" in truth:
        assert primary.event == truth["event"]


def test_shadow(case):
    incident, findings = case
    if "shadow" in incident.truth:
        assert findings.shadow.verdict == incident.truth["shadow"]


def test_cards_exist():
    for name in gallery.names():
        card = (gallery.gallery_dir() / name / "README.md").read_text()
        assert card.startswith("# " + name) and "Ground truth" in card
