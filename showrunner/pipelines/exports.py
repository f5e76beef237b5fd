"""Exports for other tools: an OpenTimelineIO timeline of the cut and a ViStoryBench-style story.json.

The OTIO timeline has one video clip per shot, in order, each referencing its rendered clip or held
keyframe and carrying ``metadata["showrunner"]`` (shot id, prompt, seed, model, references), plus a
marker per dialogue line, and an audio track with one clip per spoken line (speaker, text and mark in
its metadata); editors open it in DaVinci Resolve, Premiere (via adapters) or OTIO's viewer.
story.json follows ViStoryBench's layout (``Story_type``, ``Characters`` with ``prompt_en``, ``Shots``
with ``Setting Description``, ``Plot Correspondence``, ``Characters Appearing``, ``Static Shot
Description``, ``Shot Perspective Design``), so story-visualisation metrics can score an episode; each
character lists its reference images (``images``: every canon version the episode used) and each shot
the version it used (``Reference Images``), as ViStoryBench's reference-based metrics need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from showrunner.models import Bible, Shot
from showrunner.pipelines.timing import Timeline
from showrunner.tools.base import RenderJob

if TYPE_CHECKING:
    from showrunner.pipelines.references import RefStore


@dataclass
class TimelineEntry:
    """One shot of the cut as the exporters need it."""

    job: RenderJob
    media: Path
    meta: dict[str, Any]


def _range(start: float, seconds: float, rate: float) -> Any:
    import opentimelineio as otio

    return otio.opentime.TimeRange(otio.opentime.RationalTime(round(start * rate), rate),
                                   otio.opentime.RationalTime(max(1, round(seconds * rate)), rate))


def otio_timeline(title: str, entries: list[TimelineEntry], fps: int, timeline: Timeline,
                  lines: dict[tuple[str, int], Path] | None = None) -> Any:
    """V1: one clip per shot (markers per line); A1 (with ``lines``): one clip per spoken line, gaps between."""
    import opentimelineio as otio

    out = otio.schema.Timeline(name=title)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    out.tracks.append(track)
    rate = float(fps)
    spans = {(s.shot, s.index): s for s in timeline.lines}
    for e in entries:
        sid = e.job.shot.id or ""
        shot_start, dur = timeline.shots[sid]
        rng = _range(0, dur, rate)
        ref = otio.schema.ExternalReference(target_url=e.media.resolve().as_uri(), available_range=rng)
        clip = otio.schema.Clip(name=sid, media_reference=ref, source_range=rng)
        clip.metadata["showrunner"] = e.meta
        for i, _ in enumerate(e.job.shot.dialogue):
            s = spans[(sid, i)]
            clip.markers.append(otio.schema.Marker(name=s.label, marked_range=_range(s.start - shot_start,
                                                                                     s.end - s.start, rate)))
        track.append(clip)
    if lines:
        audio = otio.schema.Track(name="A1 dialogue", kind=otio.schema.TrackKind.Audio)
        out.tracks.append(audio)
        at = 0.0
        for s in timeline.lines:
            if s.start > at + 1e-6:
                audio.append(otio.schema.Gap(source_range=_range(0, s.start - at, rate)))
            rng = _range(0, s.end - s.start, rate)
            ref = otio.schema.ExternalReference(target_url=lines[(s.shot, s.index)].resolve().as_uri(),
                                                available_range=rng)
            clip = otio.schema.Clip(name=f"{s.shot}#{s.index + 1}", media_reference=ref, source_range=rng)
            clip.metadata["showrunner"] = {"shot_id": s.shot, "line": s.index, "speaker": s.speaker,
                                           "text": s.text, "mark": s.mark, "start": s.start, "end": s.end}
            audio.append(clip)
            at = s.start + rng.duration.to_seconds()
    return out


def otio_text(title: str, entries: list[TimelineEntry], fps: int, timeline: Timeline,
              lines: dict[tuple[str, int], Path] | None = None) -> str:
    """The timeline as .otio JSON text (the caller writes it atomically)."""
    import opentimelineio as otio

    text: str = otio.adapters.write_to_string(otio_timeline(title, entries, fps, timeline, lines), "otio_json")
    return text


def _perspective(shot: Shot) -> str:
    move = "" if shot.camera_move.value == "static" else f", {shot.camera_move.value.replace('_', ' ')}"
    return f"{shot.framing.value.replace('_', ' ')}{move}"


def story_json(bible: Bible, episode_no: int, title: str, jobs: list[RenderJob],
               refs: RefStore | None = None) -> dict[str, Any]:
    """The episode's shots and characters in ViStoryBench's story.json shape (English fields only).

    With ``refs`` (the canon's reference images), each shot names the sheet version of each character's
    look there and the location plate of its time of day (``Setting Reference``, where canon has one), and
    each character lists the versions the episode used.
    """
    from showrunner.pipelines.references import character_key, plate_for

    on_screen = {c.id: c for job in jobs for c in job.characters}
    used: dict[str, dict[int, dict[str, Any]]] = {}
    per_shot: list[dict[str, Any]] = []
    settings: list[dict[str, Any] | None] = []
    for job in jobs:
        row: dict[str, Any] = {}
        for c in job.characters:
            rec = refs.find(c.id, character_key(c)) if refs is not None else None
            if refs is not None and rec is not None:
                row[c.name] = {"id": c.id, "version": rec.version, "path": str(refs.path(rec)), "source": rec.source}
                used.setdefault(c.name, {})[rec.version] = row[c.name]
        plate = plate_for(refs, job.location, job.time_of_day) if refs is not None and job.location else None
        settings.append(None if refs is None or plate is None else {
            "id": plate.entity, "version": plate.version, "path": str(refs.path(plate)), "variant": plate.variant,
            "source": plate.source})
        per_shot.append(row)
    characters = {
        c.name: {"name_en": c.name, "prompt_en": c.canonical_look(), "tag": "non_human" if not c.look.face and
                 "fur" in c.look.hair else "realistic_human",
                 "num_of_appearances": sum(c.id in [x.id for x in j.characters] for j in jobs),
                 "images": [v["path"] for _, v in sorted(used.get(c.name, {}).items())],
                 "reference_versions": [v for _, v in sorted(used.get(c.name, {}).items())]}
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
            "Reference Images": per_shot[i - 1],
            "Setting Reference": settings[i - 1],
        })
    return {"Story_type": {"en": bible.genre or "animated series"}, "title": title, "series": bible.title,
            "episode": episode_no, "Characters": characters, "Shots": shots}
