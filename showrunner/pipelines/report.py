"""The morning report: what the night drafted, what it cost, what awaits approval, what went wrong.

Input is a night record (written by :mod:`showrunner.pipelines.nightly`) whose ``episodes`` list holds one
summary per drafted episode::

    {"episode": 2, "title": ..., "logline": ..., "status": "waiting", "gate": "storyboard",
     "provisional_on": [2], "stale": false, "scores": {...}, "verdict": ..., "notes": [...],
     "findings": [{"severity": "error", "message": ...}], "tokens": 1234, "cost_usd": 0.0,
     "seconds": 3.2, "thumbnails": ["/abs/path/shot.png"], "error": null}

Output: ``reports/<night>.md`` and a self-contained ``reports/<night>.html`` (the markdown rendered to HTML
with markdown-it-py, headings and tables included; thumbnails inline as base64 PNG, no external assets),
both also copied to ``reports/latest.md`` / ``latest.html``. A report is always rebuilt from the current
review queue (:func:`showrunner.pipelines.nightly.current_night`), so an approval shows at once.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from showrunner.io import atomic_write
from showrunner.pipelines.estimate import compare
from showrunner.pipelines.ledger import Ledger
from showrunner.pipelines.project import Project

MAX_THUMBS = 12
THUMB_WIDTH = 240


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>!|~&#"})


def _md(text: Any) -> str:
    """User or model text as literal markdown: every character that could start markup is escaped."""
    return " ".join(str(text if text is not None else "").split()).translate(_MD_SPECIAL)


def _money(x: Any) -> str:
    return f"${float(x or 0):.4f}"


def _scores(ep: dict[str, Any]) -> str:
    scores = ep.get("scores") or {}
    return ", ".join(f"{k} {v}" for k, v in scores.items()) or "none"


def markdown(night: dict[str, Any]) -> str:
    """The report as markdown."""
    out = [f"# Night {night.get('night', '?')}", ""]
    out.append(f"- **Status:** {night.get('status', '?')} — {_md(night.get('message', ''))}")
    actual = night.get("actual") or {}
    out.append(f"- **Spent:** {actual.get('calls', 0)} LLM calls, {actual.get('tokens', 0)} tokens, "
               f"{_money(actual.get('cost_usd'))}, {actual.get('renders', 0)} renders, "
               f"{float(actual.get('gpu_seconds', 0)) / 60:.1f} GPU minutes, "
               f"{float(night.get('seconds', 0)):.1f} s")
    if night.get("stopped_at"):
        out.append(f"- **Stopped at:** {night['stopped_at']} (the next run continues from here)")
    out.append("")
    waiting = [e for e in night.get("episodes", []) if e.get("status") == "waiting"]
    out.append("## Awaiting approval")
    out += [f"- Episode {e['episode']} at gate **{e.get('gate')}** — `showrunner approve --draft {e['episode']}` "
            f"or `showrunner reject --draft {e['episode']} --notes ...`" for e in waiting]
    out += ["- nothing"] if not waiting else []
    out.append("")
    for ep in night.get("episodes", []):
        out += _episode_md(ep)
    problems = list(night.get("errors") or [])
    problems += [f"episode {e['episode']}: {e['error']}" for e in night.get("episodes", []) if e.get("error")]
    out.append("## What went wrong")
    out += [f"- {_md(p)}" for p in problems] or ["- nothing"]
    out.append("")
    rows = compare(night.get("estimate"), actual, int(night.get("episodes_done", 0)))
    if rows:
        out += ["## Estimate vs actual", "", "| | estimate | actual | ratio |", "|---|---|---|---|"]
        out += [f"| {r['what']} | {r['estimate']} | {r['actual']} | {r['ratio']} |" for r in rows]
        out.append("")
    return "\n".join(out) + "\n"


def _episode_md(ep: dict[str, Any]) -> list[str]:
    flags = []
    if ep.get("provisional_on"):
        flags.append(f"provisional: builds on draft(s) {', '.join(map(str, ep['provisional_on']))}")
    if ep.get("stale"):
        flags.append("stale: an earlier draft was rejected")
    lines = [f"## Episode {ep['episode']}: {_md(ep.get('title') or '')}".rstrip(": "), ""]
    lines.append(f"*{_md(ep.get('logline') or 'no logline')}*")
    lines.append("")
    lines.append(f"- **State:** {ep.get('status')} (gate: {ep.get('gate') or '-'})"
                 + (f" — {'; '.join(flags)}" if flags else ""))
    lines.append(f"- **Critic:** {_scores(ep)}; verdict: {ep.get('verdict') or '-'}")
    lines += [f"  - {_md(n)}" for n in ep.get("notes") or []]
    findings = ep.get("findings") or []
    lines.append(f"- **Continuity:** {len(findings)} finding(s)")
    lines += [f"  - \\[{f.get('severity', '?')}\\] {_md(f.get('message', ''))}" for f in findings]
    lines.append(f"- **Cost:** {ep.get('tokens', 0)} tokens, {_money(ep.get('cost_usd'))}, "
                 f"{float(ep.get('seconds', 0)):.1f} s")
    qa = ep.get("frame_qa") or {}
    if qa.get("shots"):
        lines.append(f"- **Frame QA** (threshold {qa['threshold']:.2f}): {qa['passed']}/{len(qa['shots'])} "
                     f"shot(s) pass, {qa['retakes']} retake(s)")
        lines += [f"  - {_md(s['shot'])}: {_md(s['summary'])}" for s in qa["shots"]]
    elif qa.get("notice"):
        lines.append(f"- **Frame QA:** {_md(qa['notice'])}")
    if ep.get("thumbnails"):
        lines.append(f"- **Storyboard:** {len(ep['thumbnails'])} frame(s) (see the HTML report)")
    lines.append("")
    return lines


def thumbnail_data_uri(path: Path) -> str | None:
    """A small PNG of ``path`` as a data URI, or None when the file is missing or unreadable."""
    try:
        from PIL import Image

        with Image.open(path) as src:
            im = src.convert("RGB")
        if im.width > THUMB_WIDTH:
            im = im.resize((THUMB_WIDTH, max(1, im.height * THUMB_WIDTH // im.width)))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception:  # noqa: BLE001 - a bad frame must not break the report
        return None


def _markdown_renderer() -> Any:
    """CommonMark plus tables, with raw HTML and images off.

    Model text can then neither inject markup nor make the page load anything; the only images are the
    inline thumbnails :func:`html_page` adds.
    """
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


def html_page(night: dict[str, Any], md: str) -> str:
    """A self-contained HTML page: the markdown rendered as HTML, each episode followed by its thumbnails."""
    esc = html.escape
    render = _markdown_renderer().render
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             f"<title>showrunner night {esc(str(night.get('night', '')))}</title>",
             "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "img{margin:2px;border:1px solid #ccc}table{border-collapse:collapse}"
             "th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left}code{background:#f2f2f2}</style>"
             "</head><body>"]
    sections = md.split("\n## ")
    parts.append(render(sections[0]))
    thumbs = {int(e["episode"]): e.get("thumbnails") or [] for e in night.get("episodes", [])}
    for sec in sections[1:]:
        head = sec.partition("\n")[0]
        parts.append(render("## " + sec))
        num = head.split()[1].rstrip(":") if head.startswith("Episode ") else ""
        for p in thumbs.get(int(num), [])[:MAX_THUMBS] if num.isdigit() else []:
            uri = thumbnail_data_uri(Path(p))
            if uri:
                parts.append(f"<img alt='{esc(Path(p).name)}' src='{uri}'>")
    parts.append("</body></html>")
    return "".join(parts)


def write_report(project: Project, night: dict[str, Any]) -> Path:
    """Write ``reports/<night>.md/.html`` and ``reports/latest.*``; return the markdown path."""
    md = markdown(night)
    page = html_page(night, md)
    name = str(night.get("night", "night"))
    d = project.reports_dir
    for stem in (name, "latest"):
        atomic_write(d / f"{stem}.md", md)
        atomic_write(d / f"{stem}.html", page)
    return d / f"{name}.md"


def latest_report(project: Project) -> Path | None:
    """The last morning report's markdown path (what ``status`` points at), or None."""
    path = project.reports_dir / "latest.md"
    return path if path.is_file() else None


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _thumbnails(project: Project, n: int, render: dict[str, Any]) -> list[str]:
    listed = [str(s["frame"]) for s in render.get("shots") or [] if isinstance(s, dict) and s.get("frame")]
    if listed:
        return [p if Path(p).is_absolute() else str(project.root / p) for p in listed][:MAX_THUMBS]
    tag = f"ep-{n:03d}"
    found = [p for p in sorted(project.renders_dir.rglob("*.png")) if tag in str(p)] \
        if project.renders_dir.is_dir() else []
    return [str(p) for p in found[:MAX_THUMBS]]


def frame_qa_summary(render: dict[str, Any]) -> dict[str, Any]:
    """Per-shot frame QA of a render summary: scores, retakes, passes (or the critic's notice when off)."""
    from showrunner.pipelines.frame_qa import ShotQA

    checked = [(s["id"], ShotQA.model_validate(s["qa"])) for s in render.get("shots") or []
               if isinstance(s, dict) and s.get("qa")]
    if not checked:
        return {"notice": render.get("qa_notice")} if render.get("qa_notice") else {}
    return {"threshold": checked[0][1].threshold, "passed": sum(q.passed for _, q in checked),
            "retakes": sum(len(q.takes) - 1 for _, q in checked),
            "shots": [{"shot": sid, "summary": q.summary(), "passed": q.passed,
                       "scores": q.takes[q.kept].scores} for sid, q in checked]}


def summarize_draft(project: Project, n: int, entry: dict[str, Any], ledger: Ledger,
                    night: str | None = None) -> dict[str, Any]:
    """One episode's line in a night record, from its draft files, its queue entry and the ledger."""
    folder = project.drafts_dir / f"ep-{n:03d}"
    script = _read(folder / "script.json") or {}
    episode = _read(folder / "episode.json") or script.get("artifact") or {}
    critique = script.get("critique") or {}
    final = _read(folder / "final.json") or {}
    spent = ledger.total(episode=n, night=night) if night else ledger.total(episode=n)
    status = entry.get("status")
    return {
        "episode": n, "title": episode.get("title"), "logline": episode.get("logline"),
        "status": status, "gate": entry.get("gate") if status == "waiting" else None,
        "provisional_on": entry.get("provisional_on") or [], "stale": status == "stale",
        "reviewer_notes": entry.get("notes") or [],
        "scores": critique.get("scores") or {}, "verdict": critique.get("verdict"),
        "notes": critique.get("notes") or [],
        "findings": [{"severity": f.get("severity"), "message": f.get("message")}
                     for f in script.get("continuity") or []],
        "tokens": spent.tokens, "cost_usd": round(spent.cost_usd, 6), "calls": spent.calls,
        "seconds": round(spent.llm_seconds + spent.render_seconds, 3),
        "thumbnails": _thumbnails(project, n, final.get("render") or {}),
        "frame_qa": frame_qa_summary(final.get("render") or {}),
        "error": None if status != "drafting" else "draft unfinished; the next night continues it",
    }
