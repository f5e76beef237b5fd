"""The Studio's actions (``POST /api/...``): each is a CLI command's own pipeline call, logged as a decision.

* ``decide`` — ``{"action": "approve"|"reject", "notes"}`` answers the live gate (``showrunner approve``,
  ``reject --notes``) as a background job; staged shot edits go in with an approval. ``resume`` goes on
  after a crash (``showrunner resume``).
* ``shot/N/ID/retake`` — ``showrunner shot retake`` as a background job.
* ``shot/N/ID/replace`` — the request body is the image (PNG or JPEG, at most :data:`MAX_UPLOAD` bytes);
  ``showrunner shot replace`` validates, re-encodes and signs it.
* ``shot/N/ID/edit|approve|note`` — a per-shot edit staged at the storyboard gate, a per-shot approval, a
  note; all in the decision log.
* ``draft/N/approve|reject`` — ``showrunner approve|reject --draft N``.

A shot id from the client is only ever compared with the episode's known shot ids; no client string
becomes a path.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from showrunner.errors import BadInput, ProjectError
from showrunner.pipelines.project import Project

if TYPE_CHECKING:
    from showrunner.studio.app import Studio

MAX_UPLOAD = 20 * 1024 * 1024
MAX_JSON = 64 * 1024
MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class TooLarge(BadInput):
    """An upload over the limit (HTTP 413)."""


class NotAnImage(BadInput):
    """An upload that is neither PNG nor JPEG (HTTP 415)."""


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the upload is over {limit // (1024 * 1024) or 1} MB; use a smaller image")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise TooLarge(f"the upload is over {limit // (1024 * 1024) or 1} MB; use a smaller image")
    return bytes(data)


async def _json(request: Request) -> dict[str, Any]:
    raw = await _body(request, MAX_JSON)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise BadInput("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object")
    return data


def _int(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 10_000:
        raise BadInput(f"{text[:20]!r} is not an episode number")
    return int(text)


async def dispatch(studio: Studio, request: Request) -> dict[str, Any]:
    parts = str(request.path_params["verb"]).split("/")
    if parts == ["decide"]:
        return decide(studio, await _json(request))
    if parts == ["resume"]:
        return decide(studio, None)
    if len(parts) == 4 and parts[0] == "shot":
        n, sid, verb = _int(parts[1]), parts[2], parts[3]
        if verb == "replace":
            return await replace(studio, request, n, sid)
        body = await _json(request)
        if verb == "retake":
            return await run_in_threadpool(retake, studio, n, sid)
        if verb in ("edit", "approve", "note"):
            return await run_in_threadpool(shot_change, studio, n, sid, verb, body)
    if len(parts) == 3 and parts[0] == "draft" and parts[2] in ("approve", "reject"):
        body = await _json(request)
        return await run_in_threadpool(draft_decide, studio, _int(parts[1]), parts[2], str(body.get("notes") or ""))
    raise BadInput("unknown action")


def decide(studio: Studio, body: dict[str, Any] | None) -> dict[str, Any]:
    """Answer the live gate in the background, exactly as ``showrunner approve|reject`` would.

    Without a body: go on after a crash or interruption, as ``showrunner resume``.
    """
    from showrunner.pipelines.render import render_hook
    from showrunner.pipelines.series import continue_series

    decision = None
    if body is not None:
        action, notes = body.get("action"), " ".join(str(body.get("notes") or "").split())
        if action not in ("approve", "reject"):
            raise BadInput("a gate is answered with approve or reject")
        if action == "reject" and not notes:
            raise BadInput("reject needs notes saying what to change")
        decision = {"action": action, "notes": notes}

    def work(job: Any) -> dict[str, Any]:
        hook = render_hook(studio.project, studio.settings, progress=job.render_event)
        out = continue_series(studio.project.root, decision, progress=job.graph_event, render=hook)
        pend = out.get("pending") or {}
        return {"status": out["status"], "gate": pend.get("gate"), "episode": pend.get("episode")}

    job = studio.jobs.start(f"{decision['action']} the gate" if decision else "resume the run", work)
    return {"job": job.id}


def retake(studio: Studio, n: int, sid: str) -> dict[str, Any]:
    """Retake one shot in the background (``showrunner shot retake``); only its panel changes on the page."""
    from showrunner.pipelines.overrides import check_shot, retake_shot

    check_shot(studio.project, studio.settings, n, sid)
    proj = studio.project

    def work(job: Any) -> dict[str, Any]:
        job.frames_total = 1
        with proj.lock("showrunner shot retake (studio)"):
            done = retake_shot(proj, studio.settings, n, sid, progress=job.render_event)
        return {"episode": n, "shot": sid, "take": done["take"]}

    job = studio.jobs.start(f"retake {sid}", work, {"episode": n, "shot": sid})
    return {"job": job.id, "panel": {"episode": n, "shot": sid}}


async def replace(studio: Studio, request: Request, n: int, sid: str) -> dict[str, Any]:
    """A person's image for one shot: size and type checked here, then ``showrunner shot replace``'s path."""
    from showrunner.pipelines.overrides import check_shot, replace_shot

    data = await _body(request, MAX_UPLOAD)
    if not data.startswith(MAGIC):
        raise NotAnImage("the upload is not a PNG or JPEG image")
    proj = studio.project
    await run_in_threadpool(check_shot, proj, studio.settings, n, sid)
    folder = proj.root / "state" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".upload")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)

        def work() -> dict[str, Any]:
            with proj.lock("showrunner shot replace (studio)"):
                return replace_shot(proj, studio.settings, n, sid, Path(name), source="a Studio upload")

        record = await run_in_threadpool(work)
    finally:
        Path(name).unlink(missing_ok=True)
    return {"panel": {"episode": n, "shot": sid}, "sha256": record["sha256"]}


def shot_change(studio: Studio, n: int, sid: str, verb: str, body: dict[str, Any]) -> dict[str, Any]:
    """A per-shot edit (staged at the storyboard gate), approval or note; each one logged."""
    from showrunner.pipelines.overrides import check_shot, log_decision, parse_dialogue, stage_edit

    proj, notes = studio.project, " ".join(str(body.get("notes") or "").split())[:2000]
    approved = check_shot(proj, studio.settings, n, sid)
    if verb == "edit":
        changes: dict[str, Any] = {k: str(body[k]) for k in ("action", "framing", "camera_move") if body.get(k)}
        if "dialogue" in body:
            changes["dialogue"] = parse_dialogue(str(body["dialogue"]))
        extra = " ".join(str(body.get("prompt_notes") or "").split())
        if extra:  # the image prompt is assembled from the action: notes for the picture go with it
            changes["action"] = f"{changes.get('action', '').rstrip('. ')}. {extra}".lstrip(". ")
        with proj.lock("showrunner edit (studio)"):
            stage_edit(proj, studio.settings, n, sid, changes, notes)
        return {"panel": {"episode": n, "shot": sid}}
    if verb == "note" and not notes:
        raise BadInput("a note needs text")
    gate = "final" if approved else "storyboard"
    log_decision(proj, {"gate": gate, "episode": n, "shot": sid, "action": f"{verb} shot", "notes": notes})
    return {"panel": {"episode": n, "shot": sid}} if verb == "approve" else {"ok": True}  # a note: the page too


def draft_decide(studio: Studio, n: int, action: str, notes: str) -> dict[str, Any]:
    from showrunner.pipelines.review_queue import decide_draft

    if studio.jobs.running():
        raise ProjectError("the Studio is still working; wait for it to finish")
    return decide_draft(studio.project, n, action, notes, studio.settings)


def draft_list(project: Project) -> list[dict[str, Any]]:
    """The nightly queue with each waiting draft's artifact as ``showrunner review --draft N`` shows it."""
    from showrunner.cli.series_view import describe
    from showrunner.pipelines.review_queue import draft_payload, load_queue

    out = []
    for key, entry in sorted(load_queue(project).items(), key=lambda kv: int(kv[0])):
        text = ""
        if entry.get("status") == "waiting" and entry.get("gate"):
            try:
                text = describe(draft_payload(project, int(key)), project.root, int(key)).plain
            except ProjectError as exc:
                text = str(exc)
        out.append({"n": int(key), "status": entry.get("status"), "gate": entry.get("gate"),
                    "notes": entry.get("notes") or [], "text": text})
    return out
