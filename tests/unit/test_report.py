import base64
import io

from PIL import Image

from showrunner.pipelines.project import Project
from showrunner.pipelines.report import latest_report, markdown, write_report


def _night(thumbs):
    return {
        "night": "20250610-020000", "status": "done", "message": "drafted 2 episode(s)", "seconds": 12.5,
        "actual": {"calls": 20, "tokens": 9000, "cost_usd": 0.0123, "renders": 4, "gpu_seconds": 0},
        "estimate": {"per_episode": {"calls": 9, "tokens": 5000}}, "episodes_done": 2,
        "errors": [],
        "episodes": [
            {"episode": 2, "title": "The Key", "logline": "Mia finds the key.", "status": "waiting",
             "gate": "storyboard", "scores": {"coherence": 4, "pacing": 3}, "verdict": "approve",
             "notes": ["tighten act two"], "findings": [{"severity": "error", "message": "Mia's coat is red"}],
             "tokens": 4500, "cost_usd": 0.006, "seconds": 6.0, "thumbnails": thumbs},
            {"episode": 3, "title": "The Door", "logline": "The door opens.", "status": "waiting",
             "gate": "script", "provisional_on": [2], "scores": {"coherence": 5}, "verdict": "revise",
             "notes": [], "findings": [], "tokens": 4500, "cost_usd": 0.006, "seconds": 6.5,
             "error": None},
        ],
    }


def test_markdown_lists_episodes_scores_findings_and_estimate():
    md = markdown(_night([]))
    assert "## Episode 2: The Key" in md and "## Episode 3: The Door" in md
    assert "coherence 4, pacing 3" in md and "Mia's coat is red" in md and "tighten act two" in md
    assert "Episode 2 at gate **storyboard**" in md and "Episode 3 at gate **script**" in md
    assert "provisional: builds on draft(s) 2" in md
    assert "| calls | 18.0 | 20.0 | 1.11 |" in md
    assert "## What went wrong\n- nothing" in md


def test_html_is_self_contained_with_inline_thumbnails(tmp_path):
    project = Project.create(tmp_path / "s", premise="p")
    png = tmp_path / "shot-1.png"
    Image.new("RGB", (640, 360), (200, 30, 30)).save(png)
    missing = tmp_path / "gone.png"
    path = write_report(project, _night([str(png), str(missing)]))
    assert path == project.reports_dir / "20250610-020000.md"
    assert latest_report(project) == project.reports_dir / "latest.md"
    page = (project.reports_dir / "latest.html").read_text()
    assert page == (project.reports_dir / "20250610-020000.html").read_text()
    assert page.count("data:image/png;base64,") == 1  # the missing frame is skipped, not fatal
    assert "http://" not in page and "https://" not in page and "<link" not in page
    uri = page.split("data:image/png;base64,")[1].split("'")[0]
    with Image.open(io.BytesIO(base64.b64decode(uri))) as im:
        assert im.width == 240 and im.getpixel((10, 10)) == (200, 30, 30)
    assert "Mia's coat is red" in page


def test_failures_are_listed():
    night = _night([])
    night["status"] = "fault"
    night["errors"] = ["LLM endpoint down: connection refused"]
    night["episodes"][1]["error"] = "ServiceError: disk full"
    md = markdown(night)
    assert "- LLM endpoint down: connection refused" in md and "episode 3: ServiceError: disk full" in md


def test_no_report_yet(tmp_path):
    assert latest_report(Project.create(tmp_path / "s", premise="p")) is None


def test_html_is_rendered_markdown_not_preformatted_text(tmp_path):
    night = _night([])
    night["episodes"][0]["logline"] = "<script>alert(1)</script> ![x](http://example.com/a.png) *fog*"
    html_text = write_report(Project.create(tmp_path / "s", premise="p"), night).with_suffix(".html").read_text()
    assert "<pre>" not in html_text and "**Status:**" not in html_text and "|---|" not in html_text
    assert "<h1>Night 20250610-020000</h1>" in html_text and "<h2>Episode 2: The Key</h2>" in html_text
    assert "<strong>Status:</strong>" in html_text and "<code>showrunner approve --draft 2</code>" in html_text
    table = html_text.split("<table>")[1].split("</table>")[0]
    assert "<th>estimate</th>" in table and "<td>calls</td>" in table
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text  # model text cannot inject markup
    assert "<img" not in html_text and "<a " not in html_text  # nor load or link anything
    assert "![x](http://example.com/a.png) *fog*</em>" in html_text  # model text reads as written
