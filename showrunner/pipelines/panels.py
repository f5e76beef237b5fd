"""An episode's shots wherever they stand, and preview panels drawn before the storyboard gate.

A person approves pictures, not prompts: while the storyboard waits at its gate, each shot is drawn as a
preview panel (:mod:`showrunner.tools.preview`, CPU, tens of milliseconds each) into the same
content-addressed frame cache as every render, signed like any frame. Retakes (take counter) and
replacement images in the episode's overrides apply to the panels as they do to renders, and so do shots a
person edited at the gate (staged edits), so the gate shows what approving it would approve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from showrunner.config import PRESETS, Settings
from showrunner.errors import ProjectError
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Episode, Shot
from showrunner.pipelines import render_jobs as rj
from showrunner.pipelines.overrides import load_edits, load_takes
from showrunner.pipelines.project import Project


@dataclass
class EpisodeShots:
    """Episode ``episode``'s shots: the approved storyboard's, or those waiting at its gate (edits applied)."""

    episode: int
    shots: list[Shot]
    script: Episode | None
    bible: Bible | None
    approved: bool


def waiting_shots(values: dict[str, Any], pend: dict[str, Any] | None, n: int) -> list[Shot] | None:
    """The shots waiting at episode ``n``'s storyboard gate in a run's state, or None."""
    if pend and pend.get("gate") == "storyboard" and pend.get("episode") == n and values.get("episode") == n:
        return list(values.get("shots") or [])
    return None


def apply_edits(shots: list[Shot], edits: dict[str, dict[str, Any]]) -> list[Shot]:
    """``shots`` with the staged per-shot edits in place (matched by shot id)."""
    return [Shot.model_validate(edits[rj.shot_id(s)]) if rj.shot_id(s) in edits else s for s in shots]


def episode_shots(project: Project, n: int, settings: Settings | None = None) -> EpisodeShots:
    """Episode ``n``'s shots; :class:`ProjectError` when it has neither an approved nor a waiting storyboard."""
    from showrunner.pipelines.series import approved_storyboard, outcome, snapshot

    try:
        script, shots = approved_storyboard(project, n, settings)
        canon = Canon(project.canon_dir)
        return EpisodeShots(n, shots, script, canon.bible() if canon.has_bible() else None, True)
    except ProjectError as refused:
        try:
            snap = snapshot(project, settings)
        except ProjectError:
            raise refused from None
        values = snap.values or {}
        waiting = waiting_shots(values, outcome(snap)["pending"], n)
        if waiting is None:
            raise
        return EpisodeShots(n, apply_edits(waiting, load_edits(project, n)), values.get("script"),
                            values.get("bible"), False)


def with_staged_edits(project: Project, values: dict[str, Any], pend: dict[str, Any],
                       decision: dict[str, Any]) -> dict[str, Any]:
    """An approval of a storyboard with shots a person edited at its gate becomes an edit carrying them."""
    from showrunner.memory.canon import Storyboard

    if not isinstance(decision, dict) or decision.get("action") != "approve":
        return decision
    n = pend["episode"]
    edits = load_edits(project, n)
    shots = waiting_shots(values, pend, n)
    if not edits or shots is None:
        return decision
    board = Storyboard(episode=n, shots=apply_edits(shots, edits))
    notes = " ".join(filter(None, [decision.get("notes") or "", f"edited shots: {', '.join(sorted(edits))}"]))
    return {"action": "edit", "notes": notes, "artifact": board.model_dump(mode="json")}



def preview_panels(project: Project, settings: Settings, n: int, board: EpisodeShots | None = None, *,
                   book: Callable[[list[dict[str, Any]]], Any] | None = None, node: str = "preview"
                   ) -> dict[str, str]:
    """Draw (or find in the cache) a preview panel per shot of episode ``n``; shot id -> frame path.

    Panels drawn now are booked once, as keyframes: through ``book`` (the graph passes its context's
    meter), else to the project's ledger tagged with ``node``.
    """
    from showrunner.pipelines.provenance import Provenance
    from showrunner.pipelines.render import RenderReport, keyframes
    from showrunner.tools.base import get_backend
    from showrunner.world import World

    board = board or episode_shots(project, n, settings)
    canon = Canon(project.canon_dir)
    bible = board.bible or canon.bible()
    if not board.shots:
        return {}
    world = World(bible.characters, bible.locations, canon.facts() if canon.root.is_dir() else [])
    size = PRESETS["preview"]
    jobs = rj.build_jobs(bible, board.script, n, board.shots, width=size.width, height=size.height, steps=0,
                         fps=size.fps, world=world, takes=load_takes(project, n))
    backend = get_backend("preview", settings, kind="image")
    report = RenderReport(episode=n, preset="preview", backend=backend.name, video_backend=None, aspect="16:9")
    prov = Provenance.for_project(project.root, settings.c2pa_cert, settings.c2pa_key)
    records, _ = keyframes(project, backend, jobs, {j.shot.id for j in jobs}, False, prov, report, None)
    report.shots = list(records.values())
    items = report.items()
    if items and book is not None:
        book(items)
    elif items:
        from showrunner.pipelines.ledger import meter_for, project_ledger

        meter_for(project_ledger(project.root, settings.prices)).renders(items, {"episode": n, "node": node})
    return {sid: rec.frame for sid, rec in records.items() if rec.frame}
