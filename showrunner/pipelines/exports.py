"""Exports for other tools: an OpenTimelineIO timeline of the cut and a ViStoryBench-style story.json.

The OTIO timeline has one video clip per shot, in order, each referencing its rendered clip or held
keyframe and carrying ``metadata["showrunner"]`` (shot id, prompt, seed, model, references), plus a
marker per dialogue line; editors open it in DaVinci Resolve, Premiere (via adapters) or OTIO's viewer.
story.json follows ViStoryBench's layout (``Story_type``, ``Characters`` with ``prompt_en``, ``Shots``
with ``Setting Description``, ``Plot Correspondence``, ``Characters Appearing``, ``Static Shot
Description``, ``Shot Perspective Design``), so story-visualisation metrics can score an episode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showrunner.models import Bible, Shot
from showrunner.tools.base import RenderJob


@dataclass
class TimelineEntry:
    """One shot of the cut as the exporters need it."""

    job: RenderJob
    media: Path
    meta: dict[str, Any]


def otio_timeline(title: str, entries: list[TimelineEntry], fps: int) -> Any:
    import opentimelineio as otio

    timeline = otio.schema.Timeline(name=title)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    rate = float(fps)
    for e in entries:
        frames = max(1, round(e.job.shot.duration * rate))
        rng = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(frames, rate))
        ref = otio.schema.ExternalReference(target_url=e.media.resolve().as_uri(), available_range=rng)
        clip = otio.schema.Clip(name=e.job.shot.id, media_reference=ref, source_range=rng)
        clip.metadata["showrunner"] = e.meta
        t, span = 0.0, e.job.shot.duration / max(1, len(e.job.shot.dialogue))
        for line in e.job.shot.dialogue:
            clip.markers.append(otio.schema.Marker(
                name=f"{line.speaker}: {line.text}",
                marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(round(t * rate), rate),
                                                     otio.opentime.RationalTime(max(1, round(span * rate)), rate))))
            t += span
        track.append(clip)
    return timeline


def otio_text(title: str, entries: list[TimelineEntry], fps: int) -> str:
    """The timeline as .otio JSON text (the caller writes it atomically)."""
    import opentimelineio as otio

    text: str = otio.adapters.write_to_string(otio_timeline(title, entries, fps), "otio_json")
    return text


def _perspective(shot: Shot) -> str:
    move = "" if shot.camera_move.value == "static" else f", {shot.camera_move.value.replace('_', ' ')}"
    return f"{shot.framing.value.replace('_', ' ')}{move}"


def story_json(bible: Bible, episode_no: int, title: str, jobs: list[RenderJob]) -> dict[str, Any]:
    """The episode's shots and characters in ViStoryBench's story.json shape (English fields only)."""
    on_screen = {c.id: c for job in jobs for c in job.characters}
    characters = {
        c.name: {"name_en": c.name, "prompt_en": c.canonical_look(), "tag": "non_human" if not c.look.face and
                 "fur" in c.look.hair else "realistic_human",
                 "num_of_appearances": sum(c.id in [x.id for x in j.characters] for j in jobs)}
        for c in on_screen.values()}
    shots = []
    for i, job in enumerate(jobs, 1):
        s = job.shot
        setting = job.location.look_at(job.time_of_day) if job.location else ""
        lines = " ".join(f"{d.speaker}: {d.text}" for d in s.dialogue)
        shots.append({
            "index": i, "shot_id": s.id,
            "Setting Description": {"en": setting},
            "Plot Correspondence": {"en": " ".join(p for p in (s.action, lines) if p)},
            "Characters Appearing": {"en": [c.name for c in job.characters]},
            "Static Shot Description": {"en": job.prompt},
            "Shot Perspective Design": {"en": _perspective(s)},
        })
    return {"Story_type": {"en": bible.genre or "animated series"}, "title": title, "series": bible.title,
            "episode": episode_no, "Characters": characters, "Shots": shots}
