"""From approved shots and canon to render jobs, and the content-addressed keys of the render cache.

A key is the SHA-256 of everything that changes a render: the shot spec, the resolved canon it draws
on (character looks, location look, style guide), reference sheet hashes, size, seed and the backend's
identity (name, version, model, parameters). Equal key, equal file: finished work is never redone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from showrunner.models import Bible, Character, Episode, Framing, Shot
from showrunner.tools.base import RenderJob

FRAMING_WORDS = {
    Framing.extreme_wide: "extreme wide shot", Framing.wide: "wide shot", Framing.medium: "medium shot",
    Framing.close_up: "close-up", Framing.extreme_close_up: "extreme close-up",
    Framing.over_shoulder: "over-the-shoulder shot",
}
DEFAULT_NEGATIVE = "blurry, deformed, extra limbs, bad anatomy, text, watermark, signature"


def digest(obj: Any) -> str:
    """SHA-256 of a JSON-serialisable object with sorted keys (stable across runs and machines)."""
    raw = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shot_id(shot: Shot) -> str:
    return shot.id or f"s{shot.scene:02d}-{shot.number:02d}"


def shot_seed(episode: int, shot: Shot) -> int:
    """The shot's seed, or one derived from its id when the director left it 0."""
    if shot.seed:
        return shot.seed
    return int(hashlib.sha256(f"{episode}:{shot_id(shot)}".encode()).hexdigest()[:8], 16) % (2**31)


def resolve_characters(bible: Bible, shot: Shot) -> list[Character]:
    """On-screen characters from the bible; an unknown id is drawn as a named stranger, never dropped."""
    return [bible.character(ref) or Character(name=ref) for ref in shot.characters]


def build_prompt(job: RenderJob) -> str:
    shot = job.shot
    place = job.location.look_at(job.time_of_day) if job.location else ""
    looks = "; ".join(c.canonical_look() for c in job.characters)
    parts = [job.style, FRAMING_WORDS.get(shot.framing, ""), place, looks, shot.action]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def build_jobs(bible: Bible, episode: Episode | None, episode_no: int, shots: list[Shot], *,
               width: int, height: int, steps: int, fps: int) -> list[RenderJob]:
    scenes = {s.number: s for s in episode.scenes} if episode else {}
    jobs = []
    for shot in shots:
        scene = scenes.get(shot.scene)
        job = RenderJob(
            shot=shot.model_copy(update={"id": shot_id(shot)}), episode=episode_no, prompt="",
            negative_prompt=shot.negative_prompt or DEFAULT_NEGATIVE, seed=shot_seed(episode_no, shot),
            width=width, height=height, steps=steps, fps=fps,
            location=bible.location(scene.location) if scene else None,
            time_of_day=scene.time_of_day if scene else "", characters=resolve_characters(bible, shot),
            style=bible.style_guide)
        job.prompt = shot.visual_prompt or build_prompt(job)
        jobs.append(job)
    return jobs


def job_spec(job: RenderJob) -> dict[str, Any]:
    """The job as plain data: what the cache key hashes and what the sidecar records."""
    return {
        "shot": job.shot.model_dump(mode="json"), "episode": job.episode, "prompt": job.prompt,
        "negative_prompt": job.negative_prompt, "seed": job.seed, "width": job.width, "height": job.height,
        "steps": job.steps, "fps": job.fps, "time_of_day": job.time_of_day, "style": job.style,
        "location": job.location.model_dump(mode="json") if job.location else None,
        "characters": [c.model_dump(mode="json", include={"id", "name", "look", "state", "palette", "aliases"})
                       for c in job.characters],
        "references": {cid: file_digest(p) for cid, p in sorted(job.references.items())},
    }


def frame_key(job: RenderJob, identity: dict[str, Any]) -> str:
    spec = job_spec(job)
    if not identity.get("draws_spec"):  # a generated still does not depend on its hold time or lines
        for field in ("duration", "camera_move", "dialogue"):
            spec["shot"].pop(field, None)
    return digest({"kind": "frame", "job": spec, "backend": identity})


def clip_key(frame_key_: str, job: RenderJob, identity: dict[str, Any]) -> str:
    return digest({"kind": "clip", "frame": frame_key_, "duration": job.shot.duration, "fps": job.fps,
                   "move": job.shot.camera_move, "prompt": job.prompt, "backend": identity})


def cache_path(root: Path, kind: str, key: str, suffix: str) -> Path:
    return root / kind / key[:2] / f"{key}{suffix}"
