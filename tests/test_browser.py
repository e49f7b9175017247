"""In a real browser: JupyterLab on localhost, the walkthrough run in headless Chromium
(Debian's package, driven by Playwright with executable_path: no browser download), the
explore widget rendered, another slice picked, the figure changed; and the postmortem page
opened on its own. Screenshots at 1280 px wide are kept in tests/artifacts/ (CI keeps them)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTH = 1280

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium); "
                                                "the browser test needs it"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_walkthrough_runs_in_jupyterlab_and_the_explore_widget_reacts(tmp_path):
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the Python package) is not installed")
    shutil.copy(ROOT / "notebooks" / "01_incident_walkthrough.ipynb", tmp_path)
    (tmp_path / "out").mkdir()
    port = _free_port()
    lab = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                            "--ServerApp.token=mlwatch", f"--ServerApp.root_dir={tmp_path}", "--allow-root",
                            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                "--disable-component-update", "--disable-sync", "--no-first-run",
                                                "--disable-quic"])
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/01_incident_walkthrough.ipynb?token=mlwatch")
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            page.wait_for_timeout(5_000)                      # the kernel starts
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            app = page.locator(".widget-tab").first
            app.wait_for(timeout=300_000)                      # the last cell: mlwatch.explore(...)
            app.scroll_into_view_if_needed()
            page.locator(".lm-TabBar-tab", has_text="5 audit").click()
            page.wait_for_timeout(1_000)
            picker = app.locator(".widget-dropdown select").first
            options = picker.evaluate("s => Array.from(s.options).map(o => o.text.replace(/\\u00a0/g, ' '))")
            assert options[:2] == ["(whole population)", "carrier=UA"]
            assert picker.evaluate("s => s.options[s.selectedIndex].text") == "carrier=UA"
            shown = app.locator("img.widget-image >> visible=true").first       # the audit's PSI figure
            shown.wait_for(state="visible", timeout=120_000)
            before = shown.get_attribute("src")
            picker.select_option(index=0)                      # the whole population
            page.wait_for_function(
                "old => { const shown = Array.from(document.querySelectorAll('.widget-tab img.widget-image'))"
                ".filter(i => i.offsetParent !== null); return shown.length > 0 && shown[0].src !== old; }",
                arg=before, timeout=120_000)
            after = shown.get_attribute("src")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "walkthrough_explore.png"))
            # the walkthrough's own postmortem, as a reader opens it
            written = tmp_path / "out" / "walkthrough_postmortem.html"
            assert written.exists()
            report = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            report.goto(written.as_uri())
            _check_postmortem(report)
            report.screenshot(path=str(ARTIFACTS / "walkthrough_postmortem.png"), full_page=True)
            browser.close()
        assert before and after and before != after
    finally:
        lab.terminate()
        lab.wait(timeout=30)


def _check_postmortem(page) -> None:
    """The postmortem reads at 1280 px: no sideways scrolling of the page (wide tables scroll
    inside their own box), the key evidence figure first among the figures, all figures loaded."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    headings = page.locator("h2").all_inner_texts()
    assert headings[:4] == ["Verdict: skew", "Timeline", "Impact", "Root cause"], headings
    # the key evidence sits in the root cause, its figure the first of the page
    first = page.locator("img").first
    assert "dep_delay on carrier=UA" in page.locator("figure").first.inner_text()
    assert first.evaluate("i => i.getBoundingClientRect().top") < page.locator("h2", has_text="Fix and its validation") \
        .evaluate("h => h.getBoundingClientRect().top")
    assert page.locator("img").count() >= 6
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 300)")


def test_the_postmortem_reads_in_a_browser(tmp_path):
    """The demo's postmortem (the gallery's unit-change incident) opened in headless Chromium
    at 1280 px, checked and kept as a screenshot."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the Python package) is not installed")
    from mlwatch import gallery, investigate

    case = gallery.load("flights_unit_skew")
    findings = investigate(case.reference, case.current, events=case.events, challenger="challenger",
                           model=case.model_path, **case.investigate_kwargs())
    written = findings.postmortem(owner="ml-oncall").write(tmp_path / "postmortem.html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        page.goto(written.as_uri())
        _check_postmortem(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "postmortem.png"), full_page=True)
        browser.close()
