"""The cut of one episode and its exports, rebuilt only when a shot, a clip, a line or the options changed.

Outputs live in ``renders/ep-NNN/`` (``-9x16`` suffix for the vertical cut): ``ep-NNN.mp4`` (signed,
soft subtitles, AAC dialogue mix), ``ep-NNN.srt``, ``contact.png`` (signed), ``ep-NNN.otio``,
``story.json`` and the signed WAV stems ``ep-NNN-dialogue.wav``, ``ep-NNN-mix.wav`` (+ ``-bed``).
Shot lengths and subtitle times come from :func:`showrunner.pipelines.timing.plan` (speech when there
is sound). ``render.json`` records the cut key and the shot -> frame/clip paths (state stores paths).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from showrunner.io import atomic_write
from showrunner.models import Bible
from showrunner.pipelines import assemble as asm
from showrunner.pipelines import exports, timing
from showrunner.pipelines import sound as snd
from showrunner.pipelines.mix import mix_episode
from showrunner.pipelines.project import Project
from showrunner.pipelines.provenance import Provenance
from showrunner.pipelines.render_jobs import digest, file_digest
from showrunner.pipelines.speech import SpeechResult
from showrunner.tools.base import RenderJob

if TYPE_CHECKING:
    from showrunner.pipelines.render import ShotRecord

CUT_VERSION = "cut-3"  # 2: burned subtitles kept above the panel caption band; 3: timed to speech, AAC


@dataclass
class CutSound:
    """The sound of a cut: synthesised lines, the loudness target and an optional bed file."""

    speech: SpeechResult
    target: float
    bed: Path | None = None

    def key(self) -> dict[str, Any]:
        return {"lines": sorted((f"{s}#{i}", a.key) for (s, i), a in self.speech.lines.items()),
                "target": self.target, "bed": file_digest(self.bed) if self.bed and self.bed.is_file() else None}


def episode_dir(project: Project, n: int, *, draft: bool = False) -> Path:
    return project.renders_dir / ("drafts" if draft else "") / f"ep-{n:03d}"


def read_state(project: Project, n: int, *, draft: bool = False) -> dict[str, Any]:
    path = episode_dir(project, n, draft=draft) / "render.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(project: Project, n: int, state: dict[str, Any], *, draft: bool = False) -> None:
    text = json.dumps(state, indent=2, ensure_ascii=False) + "\n"
    atomic_write(episode_dir(project, n, draft=draft) / "render.json", text)


def output_paths(project: Project, n: int, aspect: str, *, draft: bool = False,
                 stems: tuple[str, ...] = ()) -> dict[str, Path]:
    d, sfx = episode_dir(project, n, draft=draft), ("" if aspect == "16:9" else "-9x16")
    return {"mp4": d / f"ep-{n:03d}{sfx}.mp4", "srt": d / f"ep-{n:03d}{sfx}.srt",
            "contact_sheet": d / f"contact{sfx}.png", "otio": d / f"ep-{n:03d}{sfx}.otio",
            "story_json": d / "story.json", **{f"stem_{k}": d / f"ep-{n:03d}{sfx}-{k}.wav" for k in stems}}


def build_cut(project: Project, bible: Bible, n: int, title: str, jobs: list[RenderJob],
              records: dict[str, ShotRecord], clips: dict[str, str], prov: Provenance, *, aspect: str, fps: int,
              burn: bool, force: bool, identity: dict[str, Any], draft: bool = False, sound: CutSound | None = None
              ) -> tuple[dict[str, str], bool]:
    """Assemble the cut unless an identical one exists; returns (output paths, whether it was rebuilt)."""
    stems = () if sound is None else ("dialogue", "mix") + (("bed",) if sound.bed else ())
    paths = output_paths(project, n, aspect, draft=draft, stems=stems)
    items = [{"shot": j.shot.id, "frame": records[j.shot.id].frame_key, "clip": clips.get(j.shot.id),
              "duration": j.shot.duration, "dialogue": [d.model_dump() for d in j.shot.dialogue],
              "human": records[j.shot.id].status == "human"} for j in jobs]
    key = digest({"v": CUT_VERSION, "items": items, "aspect": aspect, "fps": fps, "burn": burn, "title": title,
                  "size": [jobs[0].width, jobs[0].height], "sound": sound.key() if sound else None})
    state = read_state(project, n, draft=draft)
    prev = state.get("cuts", {}).get(aspect, {})
    out = {k: str(p) for k, p in paths.items()}
    if prev.get("key") == key and all(p.is_file() for p in paths.values()) and not force:
        return out, False

    timeline = timing.plan([j.shot for j in jobs], fps, sound.speech.durations() if sound else None)
    stills: dict[str, Image.Image] = {}
    for j in jobs:
        with Image.open(records[j.shot.id].frame or "") as im:
            stills[j.shot.id] = im.convert("RGB")
    cut_items = [asm.CutItem(j.shot, timeline.duration(j.shot.id), still=stills[j.shot.id],
                             frames=asm.decode_frames(Path(clips[j.shot.id]).read_bytes()) if j.shot.id in clips
                             else []) for j in jobs]
    size = (jobs[0].width, jobs[0].height)
    cues = asm.cues_for(timeline, _caption_bands(jobs, records, identity))
    mp4 = asm.encode_video(cut_items, fps, size, cues)
    if burn:
        mp4 = asm.burn_subtitles(mp4, cues, size)
    human = any(r.status == "human" for r in records.values())
    source = "compositeWithTrainedAlgorithmicMedia" if human else "trainedAlgorithmicMedia"
    level = None
    if sound is not None:
        mix = mix_episode(timeline, sound.speech, target=sound.target, bed_path=sound.bed)
        level = round(mix.loudness, 2) if math.isfinite(mix.loudness) else None  # None: silence, no bed
        for name, samples in mix.stems().items():
            prov.write(paths[f"stem_{name}"], snd.wav_bytes(samples, snd.RATE, channels=2), source=source,
                       title=f"{title} {name} stem", sidecar={"kind": f"stem_{name}", "episode": n,
                                                              "loudness_lufs": level, "target_lufs": sound.target})
        mp4 = snd.mux_audio(mp4, snd.wav_bytes(mix.mix, snd.RATE, channels=2))
    shots_meta = [_clip_meta(j, records[j.shot.id], clips, identity, timeline.duration(j.shot.id)) for j in jobs]
    side = {"kind": "episode", "episode": n, "title": title, "cut_key": key, "aspect": aspect, "fps": fps,
            "burned_subtitles": burn, "shots": shots_meta, "loudness_lufs": level}
    prov.write(paths["mp4"], mp4, title=f"{title} (episode {n})", sidecar=side, source=source)
    atomic_write(paths["srt"], asm.srt_text(cues))
    sheet = asm.contact_sheet([(f"{j.shot.id} · {timeline.duration(j.shot.id):g}s", stills[j.shot.id])
                               for j in jobs], f"{bible.title} — Ep {n}: {title}")
    buf = io.BytesIO()
    sheet.save(buf, "PNG")
    prov.write(paths["contact_sheet"], buf.getvalue(), title=f"{title} contact sheet", source=source,
               sidecar={"kind": "contact_sheet", "episode": n, "shots": [j.shot.id for j in jobs]})
    entries = [exports.TimelineEntry(j, Path(clips.get(j.shot.id) or records[j.shot.id].frame or ""), m)
               for j, m in zip(jobs, shots_meta, strict=True)]
    lines = {k: v.path for k, v in sound.speech.lines.items()} if sound else {}
    atomic_write(paths["otio"], exports.otio_text(f"{bible.title} — Ep {n}: {title}", entries, fps, timeline, lines))
    from showrunner.pipelines.references import RefStore

    story = exports.story_json(bible, n, title, jobs, RefStore(project.canon_dir / "references"))
    atomic_write(paths["story_json"], json.dumps(story, indent=2, ensure_ascii=False) + "\n")
    state.setdefault("cuts", {})[aspect] = {"key": key, "outputs": out, "loudness_lufs": level}
    state["episode"] = n
    state["shots"] = {j.shot.id: {"frame": records[j.shot.id].frame, "frame_key": records[j.shot.id].frame_key,
                                  "clip": clips.get(j.shot.id), "status": records[j.shot.id].status} for j in jobs}
    write_state(project, n, state, draft=draft)
    return out, True


def _caption_bands(jobs: list[RenderJob], records: dict[str, ShotRecord], identity: dict[str, Any]) -> dict[str, int]:
    """Per shot, the caption band at the bottom of its frame (storyboard panels only) that subtitles avoid."""
    if identity.get("backend") != "preview":
        return {}
    from showrunner.tools.caption import clear_bottom

    return {j.shot.id or "": clear_bottom(j) for j in jobs if records[j.shot.id].status != "human"}


def _clip_meta(job: RenderJob, rec: ShotRecord, clips: dict[str, str], identity: dict[str, Any],
               duration: float) -> dict[str, Any]:
    return {"shot_id": job.shot.id, "prompt": job.prompt, "negative_prompt": job.negative_prompt,
            "seed": job.seed, "model": identity.get("model") or identity.get("backend"),
            "backend": identity.get("backend"), "references": {k: str(v) for k, v in job.references.items()},
            "characters": [c.id for c in job.characters], "frame": rec.frame, "clip": clips.get(job.shot.id),
            "human_supplied": rec.status == "human", "duration": duration,
            "planned_duration": job.shot.duration}
