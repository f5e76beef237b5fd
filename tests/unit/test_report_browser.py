"""The morning report as a person sees it: the HTML opened in headless Chromium shows headings, a table and
inline thumbnails, not markdown source. The screenshot is kept in ``tests/artifacts/`` (gitignored; set
``SHOWRUNNER_TEST_ARTIFACTS`` to put it elsewhere). Skips when Playwright or a Chromium binary is missing
(``scripts/bootstrap --dev`` installs both where it can)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from render_sample import sample_bible, sample_episode, sample_shots

from showrunner.pipelines.project import Project
from showrunner.pipelines.render_jobs import build_jobs
from showrunner.pipelines.report import write_report
from showrunner.tools.preview import draw_panel

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = os.environ.get("SHOWRUNNER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
ARTIFACTS = Path(os.environ.get("SHOWRUNNER_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")


def _night(frames: list[str]) -> dict:
    ep = {"episode": 2, "title": "The Fog Bank", "logline": "Maren follows the fog.", "status": "waiting",
          "gate": "final", "scores": {"coherence": 7, "pacing": 6}, "verdict": "approve", "notes": ["tighten"],
          "findings": [{"severity": "warning", "message": "[maren] wears the red coat"}], "tokens": 4100,
          "cost_usd": 0.0, "seconds": 5.0, "thumbnails": frames}
    return {"night": "20260101-020000", "status": "done", "message": "drafted 1 episode(s)", "seconds": 9.0,
            "actual": {"calls": 9, "tokens": 4100, "cost_usd": 0.0, "renders": 3, "gpu_seconds": 0},
            "estimate": {"per_episode": {"calls": 9, "tokens": 4000}}, "episodes_done": 1, "errors": [],
            "episodes": [ep]}


def test_report_html_renders_headings_tables_and_thumbnails_in_chromium(tmp_path: Path) -> None:
    frames = []
    for job in build_jobs(sample_bible(), sample_episode(), 2, sample_shots()[:2], width=640, height=360, steps=0,
                          fps=12):  # real storyboard panels as the thumbnails
        frames.append(str(tmp_path / f"{job.shot.id}.png"))
        draw_panel(job).save(frames[-1])
    page_path = write_report(Project.create(tmp_path / "s", premise="p"), _night(frames)).with_suffix(".html")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-chromium.png"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
                       else route.continue_())  # self-contained: nothing else may load
            page.goto(page_path.as_uri())
            headings = page.locator("h1, h2").all_inner_texts()
            header_cells = page.locator("table th").all_inner_texts()
            widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            text = page.inner_text("body")
            strong = page.locator("strong").first.inner_text()
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert headings[0] == "Night 20260101-020000"
    assert {"Awaiting approval", "Episode 2: The Fog Bank", "Estimate vs actual"} <= set(headings)
    assert header_cells[1:] == ["estimate", "actual", "ratio"] and strong == "Status:"
    assert widths == [240, 240]  # both thumbnails decoded from their data URIs
    assert "**" not in text and "|---" not in text and "[maren] wears the red coat" in text
    with Image.open(shot) as im:
        assert im.width == 1100 and im.height > 900
