"""The index page of ``make docs``: the rendered notebooks and the demo's postmortem, linked.

``python -m mlwatch.report.docs DIR`` writes ``DIR/index.html`` listing the ``*.html`` files
under ``DIR`` (the notebooks executed by nbconvert, the postmortem of ``mlwatch demo``).
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

TITLES = {
    "01_incident_walkthrough": "The incident walkthrough: seven steps from the alarm to the validated fix",
    "02_psi_audit": "PSI and its cousins on a broken slice: noise floors, bins, the key evidence",
    "03_shap_stability": "Is the model still reasoning the same way? SHAP attribution stability",
    "04_shadow_scoring": "Champion against challenger, segment by segment",
    "05_teaching_drift": "Teaching drift: sliders, PSI, KS, signatures, ADWIN",
    "06_postmortem_template": "The postmortem template",
}


def write_index(folder: Path) -> Path:
    """``folder/index.html`` linking every HTML page under ``folder``."""
    pages = sorted(p for p in folder.rglob("*.html") if p.name != "index.html")
    items = "".join(
        f'<li><a href="{html.escape(p.relative_to(folder).as_posix())}">'
        f"{html.escape(TITLES.get(p.stem, p.relative_to(folder).as_posix()))}</a></li>" for p in pages)
    page = folder / "index.html"
    page.write_text("<!doctype html><html><head><meta charset='utf-8'><title>mlwatch, rendered</title></head>"
                    "<body style='font-family:sans-serif;max-width:50em;margin:2em auto'>"
                    f"<h1>mlwatch: the notebooks, rendered</h1><ul>{items}</ul></body></html>\n", encoding="utf-8")
    return page


if __name__ == "__main__":      # pragma: no cover - make docs
    print(write_index(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
