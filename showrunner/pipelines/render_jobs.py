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

from showrunner.models import Bible, Episode, Scene, Shot
from showrunner.tools.base import RenderJob
from showrunner.world import World
from showrunner.world.shots import looks_of, shot_spec


def digest(obj: Any) -> str:
    """SHA-256 of a JSON-serialisable object with sorted keys (stable across runs and machines)."""
    raw = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shot_id(shot: Shot) -> str:
    return shot.id or f"s{shot.scene:02d}-{shot.number:02d}"


def take_seed(seed: int, take: int) -> int:
    """The seed of a shot's take-th retake (take 0 is the planned seed)."""
    return (seed + 1_000_003 * take) % 2**31


def build_jobs(bible: Bible, episode: Episode | None, episode_no: int, shots: list[Shot], *,
               width: int, height: int, steps: int, fps: int, world: World | None = None,
               takes: dict[str, int] | None = None) -> list[RenderJob]:
    """One job per shot; its spec (cast, looks at that scene, prompt, seed) comes from the world.

    The world is ``bible``'s cast with the canon's facts; just the bible when none is given. ``takes``
    (shot id -> retake count, from the episode's overrides) folds each retake into its shot's seed.
    """
    world = world or World(bible.characters, bible.locations, [])
    scenes = {s.number: s for s in episode.scenes} if episode else {}
    jobs = []
    for shot in shots:
        scene = scenes.get(shot.scene) or Scene(number=shot.scene, location="", characters=shot.characters)
        spec = shot_spec(world, shot, episode=episode_no, scene=scene, style=bible.style_guide, title=bible.title)
        place = world.places.resolve(scene.location)
        jobs.append(RenderJob(
            shot=spec, episode=episode_no, prompt=spec.visual_prompt, negative_prompt=spec.negative_prompt,
            seed=take_seed(spec.seed, (takes or {}).get(spec.id or "", 0)), width=width, height=height, steps=steps,
            fps=fps,
            location=next((x for x in world.locations if x.id == place), None), time_of_day=scene.time_of_day,
            characters=looks_of(world, spec, episode_no), style=bible.style_guide))
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
