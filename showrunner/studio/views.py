"""What each Studio page shows, read from the project through the same functions ``status`` and ``review`` use.

Every function returns plain data for a template. Media never travels as a path: a page names a frame by
(episode, shot id), a sheet or voice by character id, a cut by episode, and :class:`Media` remembers which
file inside the project each name stood for when the server itself looked it up.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from showrunner.config import Settings
from showrunner.errors import ProjectError
from showrunner.io import read_jsonl
from showrunner.pipelines.project import Project
from showrunner.pipelines.render_jobs import shot_id

WAITING_FOR = {"adaptation": "the showrunner (book adaptation)", "bible": "the showrunner (series bible)",
               "script": "the story editor (script)", "storyboard": "the director (storyboard)",
               "final": "the showrunner (final cut)"}


class Media:
    """Names the pages use -> files inside the project, filled as pages are built."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._known: dict[tuple[str, ...], Path] = {}
        self._lock = threading.Lock()

    def remember(self, key: tuple[str, ...], path: str | Path | None) -> str | None:
        """Record ``path`` under ``key``; returns a cache-busting version (None when not inside the project)."""
        if not path:
            return None
        real = Path(path).resolve()
        if not real.is_relative_to(self.root) or not real.is_file():
            return None
        with self._lock:
            self._known[key] = real
        return real.stem[:16]

    def get(self, key: tuple[str, ...]) -> Path | None:
        path = self._known.get(key)
        return path if path is not None and path.is_file() else None


def decisions(project: Project) -> list[dict[str, Any]]:
    return read_jsonl(project.decisions)


def overview(project: Project) -> dict[str, Any]:
    """Episodes with their state and gates, what waits for whom, cost so far, the nightly queue, the report."""
    from showrunner.pipelines.report import latest_report
    from showrunner.pipelines.review_queue import load_queue
    from showrunner.pipelines.runlock import last_run
    from showrunner.pipelines.series import outcome, snapshot

    meta = project.meta()
    try:
        snap = snapshot(project)
        out, values = outcome(snap), snap.values or {}
    except ProjectError:
        out, values = {"status": "not started", "pending": None, "completed": []}, {}
    pend = out["pending"]
    spent, per = ledger_totals(project)
    gates: dict[int, list[str]] = {}
    for d in decisions(project):
        if d.get("gate") in WAITING_FOR and isinstance(d.get("episode"), int) and not d.get("shot"):
            gates.setdefault(d["episode"], []).append(f"{d['gate']}: {d.get('action')}")
    total = int(meta.get("episodes") or 0)
    rows = []
    for n in range(0, total + 1):
        if n in out["completed"]:
            state = "approved"
        elif pend and pend["episode"] == n:
            state = f"waiting at {pend['gate']}"
        elif n == 0:
            state = "approved" if values.get("bible") is not None and not (pend and pend["episode"] == 0) else "-"
        elif values.get("episode") == n:
            state = "in progress"
        else:
            state = "not started"
        t = per.get(n)
        rows.append({"n": n, "label": "bible" if n == 0 else f"episode {n}", "state": state,
                     "gates": gates.get(n, []), "tokens": t.tokens if t else 0,
                     "cost": round(t.cost_usd, 4) if t else 0.0, "renders": t.renders if t else 0})
    queue = load_queue(project)
    return {"premise": meta.get("premise", ""), "status": out["status"], "pending": pend,
            "waiting_for": WAITING_FOR.get(pend["gate"], "a person") if pend else None, "rows": rows,
            "totals": spent.as_dict(), "run": last_run(project.root),
            "drafts": [{"n": int(k), **v} for k, v in sorted(queue.items(), key=lambda kv: int(kv[0]))],
            "report": latest_report(project) is not None}


_TOTALS: dict[Path, tuple[tuple[int, int], Any, dict[int, Any]]] = {}


def ledger_totals(project: Project) -> tuple[Any, dict[int, Any]]:
    """The series' total and each live episode's (as ``status`` shows them), read once per ledger change.

    The ledger is append-only and its lines are large; a page load re-reads it only when its size or
    modification time changed.
    """
    from showrunner.pipelines.ledger import Totals, project_ledger

    ledger = project_ledger(project.root)
    try:
        st = ledger.path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        return Totals(), {}
    hit = _TOTALS.get(ledger.path)
    if hit is not None and hit[0] == stamp:
        return hit[1], hit[2]
    spent, per = Totals(), dict[int, Totals]()
    for rec in ledger.entries():
        spent.add(rec)
        if rec.get("draft") is None and isinstance(rec.get("episode"), int):
            per.setdefault(rec["episode"], Totals()).add(rec)
    _TOTALS[ledger.path] = (stamp, spent, per)
    return spent, per


def latest_board(data: dict[str, Any]) -> int | None:
    """The episode whose storyboard the overview shows: the one at a picture gate, else the last approved."""
    pend = data["pending"]
    if pend and pend["gate"] in ("storyboard", "final"):
        return int(pend["episode"])
    done = [r["n"] for r in data["rows"] if r["n"] and r["state"] == "approved"]
    return max(done) if done else None


def open_shot_notes(project: Project, n: int) -> str:
    """Per-shot notes written since the last gate decision, one ``shot: note`` a line (a rejection's draft)."""
    log = decisions(project)
    last = max((i for i, d in enumerate(log) if not d.get("shot")), default=-1)
    return "\n".join(f"{d['shot']}: {d['notes']}" for d in log[last + 1:]
                     if d.get("episode") == n and d.get("action") == "note shot" and d.get("notes"))


def shot_history(project: Project, n: int) -> dict[str, list[str]]:
    """Per shot of episode ``n``: what people did to it (approve, note, retake, replace, edit), oldest first."""
    out: dict[str, list[str]] = {}
    for d in decisions(project):
        if d.get("episode") == n and d.get("shot"):
            out.setdefault(str(d["shot"]), []).append(f"{d.get('action')}" + (f": {d['notes']}" if d.get("notes")
                                                                                else ""))
    return out


def panels(project: Project, settings: Settings, n: int, media: Media) -> dict[str, Any]:
    """Episode ``n``'s shots with a picture each: preview panels while at the gate, rendered frames after."""
    from showrunner.pipelines.overrides import load_edits, load_takes
    from showrunner.pipelines.panels import episode_shots, preview_panels
    from showrunner.pipelines.render import read_state

    board = episode_shots(project, n, settings)
    if board.approved:
        state = read_state(project, n).get("shots", {})
        frames = {sid: (state.get(sid) or {}).get("frame") for sid in map(shot_id, board.shots)}
        if not all(frames.values()):  # approved but not rendered yet: show the panels the gate showed
            frames = {**preview_panels(project, settings, n, board), **{k: v for k, v in frames.items() if v}}
    else:
        frames = dict(preview_panels(project, settings, n, board))
    takes, edits, history = load_takes(project, n), load_edits(project, n), shot_history(project, n)
    shots = []
    for s in board.shots:
        sid = shot_id(s)
        version = media.remember(("frame", str(n), sid), frames.get(sid))
        shots.append({**s.model_dump(mode="json"), "id": sid, "take": takes.get(sid, 0), "edited": sid in edits,
                      "src": f"/media/frame/{n}/{sid}?v={version}" if version else None,
                      "dialogue_text": "\n".join(f"{d.speaker}: {d.text}" for d in s.dialogue),
                      "history": history.get(sid, [])})
    return {"episode": n, "approved": board.approved, "shots": shots}


SCENE_REF = re.compile(r"\bscene\s+(\d+)", re.IGNORECASE)


def script_view(pend: dict[str, Any]) -> dict[str, Any]:
    """The script with each continuity finding and critic note placed at the scene (and line) it concerns."""
    art = pend["artifact"]
    crit = pend.get("critique") or {}
    general: list[dict[str, Any]] = []
    at: dict[int, list[dict[str, Any]]] = {}
    for f in pend.get("continuity") or []:
        item = {"kind": f"continuity {f.get('severity', '')}", "text": f.get("message", ""), "line": f.get("line")}
        (at.setdefault(int(f["scene"]), []) if f.get("scene") else general).append(item)
    for note in crit.get("notes") or []:
        m = SCENE_REF.search(note)
        (at.setdefault(int(m.group(1)), []) if m else general).append({"kind": "critic", "text": note, "line": None})
    scenes = []
    for s in art.get("scenes", []):
        notes = at.get(s["number"], [])
        lines = [{**d, "notes": [x for x in notes if x["line"] == i]} for i, d in enumerate(s.get("dialogue", []))]
        scenes.append({**s, "lines": lines, "notes": [x for x in notes if x["line"] is None
                                                      or x["line"] >= len(lines)]})
    return {"art": art, "scenes": scenes, "general": general, "scores": crit.get("scores") or {},
            "verdict": crit.get("verdict")}


def bible_view(pend: dict[str, Any], media: Media) -> dict[str, Any]:
    """The bible's characters with their reference sheet and voice sample, and its places with their plates."""
    voices = pend.get("voice_samples") or {}
    urls: dict[str, list[tuple[str, str]]] = {}
    for r in pend.get("references") or []:  # the gate's sheets and plates: (entity, variant, path)
        name = r["entity"] + (f".{r['variant']}" if r.get("variant") else "")
        v = media.remember(("sheet", name), r.get("path"))
        if v:
            urls.setdefault(r["entity"], []).append((r.get("variant") or "", f"/media/sheet/{name}?v={v}"))
    chars = []
    for c in pend["artifact"].get("characters", []):
        cid = c.get("id", "")
        vv = media.remember(("voice", cid), voices.get(cid))
        chars.append({**c, "sheet": next((u for _, u in urls.get(cid, [])), None),
                      "voice": f"/media/voice/{cid}?v={vv}" if vv else None})
    places = [{**x, "plates": urls.get(x.get("id", ""), [])} for x in pend["artifact"].get("locations", [])]
    return {"art": pend["artifact"], "characters": chars, "places": places, "critic": pend.get("critic") or []}


def cut_view(project: Project, n: int, media: Media) -> dict[str, Any]:
    """Episode ``n``'s cut (16:9) and its subtitles, when rendered."""
    from showrunner.pipelines.render import read_state

    outputs = (read_state(project, n).get("cuts", {}).get("16:9") or {}).get("outputs") or {}
    v = media.remember(("cut", str(n)), outputs.get("mp4"))
    s = media.remember(("srt", str(n)), outputs.get("srt"))
    return {"video": f"/media/cut/{n}.mp4?v={v}" if v else None, "subs": f"/media/cut/{n}.vtt?v={s}" if s else None}


def vtt(srt: str) -> str:
    """SubRip text as WebVTT (what a ``<track>`` plays): a header and dotted milliseconds."""
    body = re.sub(r"(\d\d:\d\d:\d\d),(\d\d\d)", r"\1.\2", srt.replace("\r\n", "\n"))
    return "WEBVTT\n\n" + body
