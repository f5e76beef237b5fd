"""A person's per-shot changes to an episode, kept in ``renders/ep-NNN/overrides.json``.

* **Replace** (``showrunner shot replace``): a person's own image for one shot. It is validated (Pillow must
  decode it), normalised to RGB PNG, stored content-addressed under ``renders/frames/human/``, signed with
  a C2PA manifest that says it was made by a person with software (IPTC ``digitalCreation``, not
  AI-generated) and recorded under the shot id. A replaced shot is never re-rendered by the backends.
* **Fix** (``showrunner shot fix``, :mod:`showrunner.pipelines.fix`): an inpainted region, signed as
  AI-generated. Replace and fix both go through :func:`store_override`, the one way a shot's frame is
  overridden.
* **Retake** (``showrunner shot retake``): a per-shot take counter (``"_takes"``) folded into the shot's
  seed by :func:`~showrunner.pipelines.render_jobs.take_seed`; only that shot's frame key changes, so only
  it is re-rendered and the cut re-assembled. A retake drops the shot's replacement image.
* **Staged edits** (``"_edits"``): shots a person edited at the storyboard gate (the Studio's per-shot
  edit); approving the gate approves the storyboard with them (an ``edit`` decision, see
  :func:`showrunner.pipelines.series.continue_series`).

Every change is logged to ``logs/decisions.jsonl`` with its time.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from showrunner.config import Settings
from showrunner.errors import BadInput, ProjectError
from showrunner.io import append_jsonl, atomic_write
from showrunner.pipelines.project import Project
from showrunner.pipelines.provenance import Provenance
from showrunner.pipelines.render_jobs import shot_id as _shot_id

MAX_PIXELS = 8192 * 8192


def overrides_path(project: Project, n: int) -> Path:
    return project.renders_dir / f"ep-{n:03d}" / "overrides.json"


def _read(project: Project, n: int) -> dict[str, Any]:
    path = overrides_path(project, n)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{path} is unreadable ({exc}); fix or delete it") from exc
    return data if isinstance(data, dict) else {}


def _save(project: Project, n: int, data: dict[str, Any]) -> None:
    atomic_write(overrides_path(project, n), json.dumps(data, indent=2) + "\n")


def load_overrides(project: Project, n: int) -> dict[str, dict[str, Any]]:
    """Shot id -> human-supplied frame record (only those whose frame file exists)."""
    return {k: v for k, v in _read(project, n).items()
            if not k.startswith("_") and isinstance(v, dict) and Path(v.get("frame", "")).is_file()}


def load_takes(project: Project, n: int) -> dict[str, int]:
    """Shot id -> how many times it was retaken (absent: take 0, the planned seed)."""
    takes = _read(project, n).get("_takes") or {}
    return {k: int(v) for k, v in takes.items() if isinstance(v, int) and v > 0}


def load_edits(project: Project, n: int) -> dict[str, dict[str, Any]]:
    """Shot id -> the shot as a person edited it at the storyboard gate (not yet approved)."""
    return {k: v for k, v in (_read(project, n).get("_edits") or {}).items() if isinstance(v, dict)}


def log_decision(project: Project, record: dict[str, Any]) -> None:
    """Append a per-shot decision (retake, replace, edit, note) to the project's decision log."""
    append_jsonl(project.decisions, {"time": time.time(), **record})


def normalized_png(image: Path, formats: tuple[str, ...] | None = None) -> bytes:
    """A person's image file as RGB PNG bytes (shared by ``shot replace`` and ``ref set``).

    :class:`BadInput` when it is missing, unreadable, too large or, given ``formats`` (Pillow format
    names), of another format.
    """
    if not image.is_file():
        raise BadInput(f"{image}: no such file")
    try:
        with Image.open(image) as im:
            if formats is not None and im.format not in formats:
                raise BadInput(f"{image} is a {im.format or 'unknown'} image; use a PNG or JPEG")
            if im.width * im.height > MAX_PIXELS:
                raise BadInput(f"{image} is {im.width}x{im.height}; use an image under 8192x8192")
            im.load()
            rgb = im.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadInput(f"{image} is not a readable image ({type(exc).__name__}); use a PNG or JPEG") from exc
    buf = io.BytesIO()
    rgb.save(buf, "PNG")
    return buf.getvalue()


def check_shot(project: Project, settings: Settings, episode_no: int, shot_id: str) -> bool:
    """Whether episode ``episode_no``'s storyboard is approved; :class:`BadInput` for an unknown shot id.

    The shots are the approved storyboard's, else those waiting at the storyboard gate.
    """
    from showrunner.pipelines.panels import episode_shots

    board = episode_shots(project, episode_no, settings)
    ids = [_shot_id(s) for s in board.shots]
    if shot_id not in ids:
        raise BadInput(f"episode {episode_no} has no shot {shot_id!r}; shots: {', '.join(ids)}")
    return board.approved


def replace_shot(project: Project, settings: Settings, episode_no: int, shot_id: str, image: Path,
                 source: str | None = None) -> dict[str, Any]:
    """Use ``image`` as shot ``shot_id``'s frame from now on; returns the override record.

    ``source`` says where the image came from when ``image`` is a temporary copy (a Studio upload).
    """
    check_shot(project, settings, episode_no, shot_id)
    img = Image.open(io.BytesIO(normalized_png(image)))
    record = store_override(project, settings, episode_no, shot_id, img,
                            {"source": source or str(image), "human_supplied": True, "replaced_at": time.time()},
                            folder="human", title=f"ep{episode_no:03d} {shot_id} (human)", source="digitalCreation")
    log_decision(project, {"gate": "shot", "episode": episode_no, "shot": shot_id, "action": "replace",
                           "notes": f"frame {record['sha256'][:12]} from {source or image.name}"})
    return record


def store_override(project: Project, settings: Settings, episode_no: int, shot_id: str, img: Image.Image,
                   record: dict[str, Any], *, folder: str, title: str, source: str) -> dict[str, Any]:
    """Store ``img`` content-addressed under ``renders/frames/<folder>/``, sign it, record it for the shot.

    ``record`` adds to the stored fields (shot, episode, frame, sha256, kind); ``source`` is the IPTC
    digital source type of the manifest (``digitalCreation`` for a person's frame, ``trainedAlgorithmicMedia``
    for a model's edit).
    """
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PNG")
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    dest = project.renders_dir / "frames" / folder / f"{sha}.png"
    record = {"shot": shot_id, "episode": episode_no, "frame": str(dest), "sha256": sha, "kind": "keyframe", **record}
    prov = Provenance.for_project(project.root, settings.c2pa_cert, settings.c2pa_key)
    prov.write(dest, data, title=title, sidecar=record, source=source)
    current = _read(project, episode_no)
    current[shot_id] = record
    _save(project, episode_no, current)
    return record


def retake_shot(project: Project, settings: Settings, episode_no: int, shot_id: str, *,
                progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Retake one shot with a new seed: count the take, re-render that shot alone and re-assemble the cut.

    Before the storyboard is approved the shot's preview panel is redrawn instead (the gate shows panels).
    Returns ``{"episode", "shot", "take", "frame", "rendered", "outputs"}``.
    """
    approved = check_shot(project, settings, episode_no, shot_id)
    data = _read(project, episode_no)
    takes = {k: v for k, v in (data.get("_takes") or {}).items() if isinstance(v, int)}
    takes[shot_id] = takes.get(shot_id, 0) + 1
    data["_takes"] = takes
    data.pop(shot_id, None)  # a retake asks the backend for a new frame: the replacement image goes
    _save(project, episode_no, data)
    log_decision(project, {"gate": "shot", "episode": episode_no, "shot": shot_id, "action": "retake",
                           "notes": f"take {takes[shot_id]}"})
    out: dict[str, Any] = {"episode": episode_no, "shot": shot_id, "take": takes[shot_id], "rendered": approved,
                           "outputs": {}}
    if approved:
        from showrunner.pipelines.ledger import meter_for, project_ledger
        from showrunner.pipelines.render import render_episode

        report = render_episode(project, settings, episode_no, shot_id=shot_id, progress=progress)
        meter_for(project_ledger(project.root, settings.prices)).renders(report.items(),
                                                                         {"episode": episode_no, "node": "retake"})
        out["frame"] = next(r.frame for r in report.shots if r.id == shot_id)
        out["outputs"] = report.outputs
    else:
        from showrunner.pipelines.panels import preview_panels

        out["frame"] = preview_panels(project, settings, episode_no, node="retake")[shot_id]
    return out


def parse_dialogue(text: str) -> list[dict[str, str]]:
    """Dialogue typed as ``Speaker: line`` per line into dialogue records; :class:`BadInput` on a bad line."""
    out = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        speaker, sep, line = raw.partition(":")
        if not sep or not speaker.strip() or not line.strip():
            raise BadInput(f"dialogue line {raw.strip()[:60]!r} needs the form 'Speaker: what they say'")
        out.append({"speaker": speaker.strip(), "text": line.strip()})
    return out


def stage_edit(project: Project, settings: Settings, episode_no: int, shot_id: str, changes: dict[str, Any],
               notes: str = "") -> dict[str, Any]:
    """Edit one shot waiting at the storyboard gate; approving the gate approves the storyboard with it.

    ``changes`` may set ``action``, ``dialogue`` (list of ``{"speaker", "text"}``), ``framing`` and
    ``camera_move``; the shot is validated as a :class:`~showrunner.models.Shot`. Returns the edited shot
    (nothing is staged or logged when nothing changed).
    """
    from pydantic import ValidationError

    from showrunner.models import Shot
    from showrunner.pipelines.panels import episode_shots

    if check_shot(project, settings, episode_no, shot_id):
        raise ProjectError(f"episode {episode_no}'s storyboard is already approved; reject the final cut with "
                           "notes to re-plan it, or retake or replace the shot")
    shot = next(s for s in episode_shots(project, episode_no, settings).shots if _shot_id(s) == shot_id)
    allowed = {k: v for k, v in changes.items() if k in ("action", "dialogue", "framing", "camera_move")}
    try:
        edited = Shot.model_validate({**shot.model_dump(mode="json"), **allowed})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"invalid shot {shot_id} at {'.'.join(map(str, err['loc']))}: {err['msg']}; "
                       "nothing changed") from exc
    before, after = shot.model_dump(mode="json"), edited.model_dump(mode="json")
    changed = sorted(k for k in allowed if before.get(k) != after.get(k))
    if not changed:
        return after
    data = _read(project, episode_no)
    data.setdefault("_edits", {})[shot_id] = after
    _save(project, episode_no, data)
    log_decision(project, {"gate": "storyboard", "episode": episode_no, "shot": shot_id, "action": "edit shot",
                           "notes": notes or f"changed {', '.join(changed)}"})
    return edited.model_dump(mode="json")


def clear_edits(project: Project, episode_no: int) -> None:
    """Drop episode ``episode_no``'s staged shot edits (its storyboard gate was answered)."""
    data = _read(project, episode_no)
    if data.pop("_edits", None) is not None:
        _save(project, episode_no, data)
