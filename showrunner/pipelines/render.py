"""Render an episode: keyframes, clips and the cut, from a content-addressed cache.

``render_episode`` renders only what is missing. Keyframes live at ``renders/frames/<k[:2]>/<k>.png``
(``k`` = hash of every input, see :mod:`render_jobs`), clips at ``renders/clips/...mp4``; each file is
C2PA-signed and has a JSON sidecar, written atomically as soon as its batch finishes, so a crash loses
only the batch in flight. The cut (mp4 with soft subtitles, SRT, contact sheet, OTIO, story.json) is
keyed by the keys of its shots and lives in ``renders/ep-NNN/``; ``render.json`` there maps shot ids to
paths. Re-running a finished episode renders nothing; editing one shot re-renders that shot, its clip
and the cut. Dialogue lines are synthesised beside the frames into ``renders/audio/`` (see
:mod:`speech`); editing one line re-synthesises that line and re-cuts.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from PIL import Image
from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.errors import BadInput, ProjectError
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Episode, Shot
from showrunner.pipelines import render_jobs as rj
from showrunner.pipelines.cut import CutSound, build_cut, episode_dir, read_state, write_state
from showrunner.pipelines.overrides import load_overrides, load_takes
from showrunner.pipelines.project import Project
from showrunner.pipelines.provenance import Provenance
from showrunner.pipelines.speech import SpeechResult, synthesize_episode
from showrunner.pipelines.voices import Casting, read_narrator
from showrunner.tools.base import Backend, RenderJob, get_backend
from showrunner.tools.tts import get_tts
from showrunner.world import World

Aspect = Literal["16:9", "9:16"]
Progress = Callable[[dict[str, Any]], None]
__all__ = ["RenderReport", "ShotRecord", "episode_dir", "keyframes", "read_state", "render_episode", "write_state"]


class ShotRecord(BaseModel):
    """What happened to one shot in this run."""

    id: str
    status: Literal["rendered", "reused", "human", "skipped"]
    frame: str | None = None
    frame_key: str | None = None
    clip: str | None = None
    clip_status: Literal["rendered", "reused", "none"] = "none"
    seconds: float = Field(0.0, description="Seconds spent rendering the keyframe in this run.")
    gpu_seconds: float = 0.0
    clip_seconds: float = 0.0
    clip_gpu_seconds: float = 0.0


class ReferenceRecord(BaseModel):
    """A character reference sheet the image backend generated in this run."""

    character: str
    seconds: float = 0.0
    gpu_seconds: float = 0.0


def _on_gpu(backend: Backend) -> bool:
    return str(backend.identity().get("device", "cpu")).startswith("cuda")


class RenderReport(BaseModel):
    """Counts and paths of one ``render_episode`` call (what ``showrunner render --json`` prints)."""

    episode: int
    preset: str
    backend: str
    video_backend: str | None
    aspect: str
    rendered: int = Field(0, description="Keyframes rendered in this run.")
    reused: int = Field(0, description="Keyframes found in the cache.")
    human: int = Field(0, description="Shots using a human-supplied frame.")
    clips_rendered: int = 0
    clips_reused: int = 0
    lines_synthesized: int = Field(0, description="Dialogue lines synthesised in this run.")
    lines_reused: int = Field(0, description="Dialogue lines found in the speech cache.")
    audio_seconds: float = Field(0.0, description="Seconds of dialogue audio in the episode.")
    speech_seconds: float = Field(0.0, description="Wall seconds spent on speech (beside the frames).")
    loudness_lufs: float | None = Field(None, description="Integrated loudness of the mix, when rebuilt.")
    cut_rendered: bool = False
    outputs: dict[str, str] = Field(default_factory=dict)
    shots: list[ShotRecord] = Field(default_factory=list)
    seconds: float = 0.0
    gpu_seconds: float = Field(0.0, description="Seconds spent on a CUDA device.")

    sheets: list[ReferenceRecord] = Field(default_factory=list,
                                          description="Character reference sheets generated in this run.")
    spoken: list[dict[str, Any]] = Field(default_factory=list, exclude=True,
                                         description="Lines synthesised in this run, as meter items.")

    def items(self) -> list[dict[str, Any]]:
        """What this run really rendered, one item per reference sheet, keyframe or clip (not cache hits).

        The unit every meter books (:class:`~showrunner.pipelines.ledger.LedgerMeter`).
        """
        out: list[dict[str, Any]] = [{"stage": "reference", "character": r.character, "backend": self.backend,
                                      "seconds": r.seconds, "gpu_seconds": r.gpu_seconds} for r in self.sheets]
        for shot in self.shots:
            if shot.status == "rendered":
                out.append({"stage": "keyframe", "shot": shot.id, "backend": self.backend,
                            "seconds": shot.seconds, "gpu_seconds": shot.gpu_seconds})
            if shot.clip_status == "rendered":
                out.append({"stage": "clip", "shot": shot.id, "backend": self.video_backend,
                            "seconds": shot.clip_seconds, "gpu_seconds": shot.clip_gpu_seconds})
        return out + list(self.spoken)


def frame_size(settings: Settings, aspect: str) -> tuple[int, int]:
    if aspect not in ("16:9", "9:16"):
        raise BadInput(f"unknown aspect {aspect!r}; use 16:9 or 9:16")
    p = settings.render
    return (p.width, p.height) if aspect == "16:9" else (p.height, p.width)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def render_episode(project: Project, settings: Settings, episode_no: int, *, shots: list[Shot] | None = None,
                   shot_id: str | None = None, force: bool = False, progress: Progress | None = None,
                   aspect: str = "16:9", burn_subtitles: bool = False, episode: Episode | None = None,
                   bible: Bible | None = None, draft: bool = False, bed: str | None = None) -> RenderReport:
    """Render what is missing for episode ``episode_no`` and (re)assemble its cut when anything changed.

    ``shots``/``episode``/``bible`` default to the approved storyboard (the canon's, or the live run's
    between its storyboard and final gates); the graph passes unapproved shots.
    ``draft`` puts the cut under ``renders/drafts/`` (keyframes share the one cache). Nothing is booked
    here: callers meter :meth:`RenderReport.items` (the graph through its ``Context``, the CLI directly),
    spoken lines included. Dialogue is synthesised in a thread beside the keyframes (``settings.tts`` 'none'
    makes a silent cut); ``bed`` names a music or ambience file for this episode (else ``settings.audio_bed``).
    """
    t0 = time.perf_counter()
    canon = Canon(project.canon_dir)
    bible = bible or canon.bible()
    if shots is None:
        from showrunner.pipelines.series import approved_storyboard

        script, shots = approved_storyboard(project, episode_no, settings)
        episode = episode or script
    episode = episode or canon.episode(episode_no)
    if not shots:
        raise ProjectError(f"episode {episode_no}'s storyboard has no shots")
    width, height = frame_size(settings, aspect)
    preset = settings.render
    image = get_backend(preset.image_backend, settings, kind="image")
    video = get_backend(preset.video_backend, settings, kind="video") if preset.video_backend else None
    world = World(bible.characters, bible.locations, canon.facts() if canon.root.is_dir() else [])
    jobs = rj.build_jobs(bible, episode, episode_no, shots, width=width, height=height, steps=preset.steps,
                         fps=preset.fps, world=world, takes=load_takes(project, episode_no))
    ids = [j.shot.id for j in jobs]
    if shot_id is not None and shot_id not in ids:
        raise BadInput(f"episode {episode_no} has no shot {shot_id!r}; shots: {', '.join(ids)}")
    selected = set(ids) if shot_id is None else {shot_id}
    sheets: list[tuple[str, float]] = []
    if getattr(image, "uses_references", False):
        from showrunner.tools.refsheet import ensure_references

        refs = ensure_references(project, settings, image, [c for j in jobs for c in j.characters], sheets)
        for j in jobs:
            j.references = {c.id: refs[c.id] for c in j.characters if c.id in refs}
    prov = Provenance.for_project(project.root, settings.c2pa_cert, settings.c2pa_key)
    report = RenderReport(episode=episode_no, preset=preset.name, backend=image.name,
                          video_backend=video.name if video else None, aspect=aspect,
                          sheets=[ReferenceRecord(character=cid, seconds=round(sec, 4),
                                                  gpu_seconds=round(sec, 4) if _on_gpu(image) else 0.0)
                                  for cid, sec in sheets])
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech") as pool:
        # a one-shot retake (--shot) re-renders that frame only; its lines stay cached
        voices = _speech(project, settings, episode_no, bible, world, jobs, prov, force and shot_id is None, progress,
                         pool)
        records, frames = keyframes(project, image, jobs, selected, force, prov, report, progress)
        clips = _clips(project, video, jobs, frames, records, selected, force, prov, report, progress) \
            if video else {}
        speech = voices.result() if voices else None if settings.tts == "none" else SpeechResult()
    if speech is not None:
        report.lines_synthesized, report.lines_reused = speech.synthesized, speech.reused
        report.audio_seconds, report.speech_seconds = round(speech.audio_seconds, 3), round(speech.seconds, 3)
        report.spoken = speech.booked
    report.shots = [records[i] for i in ids]
    missing = [i for i in ids if records[i].frame is None]
    if not missing:
        title = episode.title if episode else f"Episode {episode_no}"
        report.outputs, report.cut_rendered = build_cut(
            project, bible, episode_no, title, jobs, records, clips, prov, aspect=aspect, fps=preset.fps,
            burn=burn_subtitles, force=force, identity=image.identity(), draft=draft,
            sound=CutSound(speech, settings.loudness_target, _bed(settings, bed)) if speech else None)
        report.loudness_lufs = read_state(project, episode_no, draft=draft).get("cuts", {}).get(aspect, {}) \
            .get("loudness_lufs")
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _bed(settings: Settings, bed: str | None) -> Path | None:
    name = bed or settings.audio_bed
    return Path(name).expanduser() if name else None


def _speech(project: Project, settings: Settings, n: int, bible: Bible, world: World, jobs: list[RenderJob],
            prov: Provenance, force: bool, progress: Progress | None,
            pool: ThreadPoolExecutor) -> Future[SpeechResult] | None:
    """Start synthesising the episode's lines beside the frame renders (None when there is nothing to say)."""
    if settings.tts == "none" or not any(j.shot.dialogue for j in jobs):
        return None
    tts = get_tts(settings.tts, settings)
    casting = Casting(world, bible.characters, read_narrator(project.canon_dir), tts.name, settings.tts_model,
                      tts.speakers(settings.tts_model))
    return pool.submit(synthesize_episode, project.renders_dir, settings, n, [j.shot for j in jobs], casting, prov,
                       force=force, progress=progress)


def keyframes(project: Project, backend: Backend, jobs: list[RenderJob], selected: set[str], force: bool,
               prov: Provenance, report: RenderReport, progress: Progress | None
               ) -> tuple[dict[str, ShotRecord], dict[str, str]]:
    """Find or render each job's keyframe (a human-supplied frame wins); records and frame keys by shot id."""
    identity = backend.identity()
    overrides = load_overrides(project, jobs[0].episode)
    records: dict[str, ShotRecord] = {}
    keys: dict[str, str] = {}
    pending: list[tuple[RenderJob, str, Path]] = []
    for job in jobs:
        sid = job.shot.id
        if sid in overrides:
            records[sid] = ShotRecord(id=sid, status="human", frame=overrides[sid]["frame"],
                                      frame_key=overrides[sid]["sha256"])
            keys[sid] = overrides[sid]["sha256"]
            report.human += 1
            if progress:
                progress({"stage": "keyframe", "shot": sid, "status": "human"})
            continue
        key = rj.frame_key(job, identity)
        keys[sid] = key
        path = rj.cache_path(project.renders_dir, "frames", key, ".png")
        if path.is_file() and not (force and sid in selected):
            records[sid] = ShotRecord(id=sid, status="reused", frame=str(path), frame_key=key)
            report.reused += 1
            if progress:  # frames done out of total counts what the cache already held
                progress({"stage": "keyframe", "shot": sid, "status": "reused"})
        elif sid in selected:
            pending.append((job, key, path))
        else:
            records[sid] = ShotRecord(id=sid, status="skipped", frame_key=key)
    batch = max(1, int(getattr(backend, "batch_size", 1)))
    for start in range(0, len(pending), batch):
        chunk = pending[start:start + batch]
        t = time.perf_counter()
        outputs = backend.render([job for job, _, _ in chunk])
        per = (time.perf_counter() - t) / len(chunk)
        for (job, key, path), out in zip(chunk, outputs, strict=True):
            side = {"kind": "keyframe", "shot": job.shot.id, "episode": job.episode, "key": key,
                    "backend": identity, "model": out.params.get("model", identity.get("model")),
                    "params": out.params, "prompt": job.prompt, "negative_prompt": job.negative_prompt,
                    "seed": job.seed, "references": {k: str(v) for k, v in job.references.items()},
                    "spec": rj.job_spec(job)}
            prov.write(path, _png(out.frames[0]), title=f"ep{job.episode:03d} {job.shot.id}", sidecar=side)
            gpu = per if identity.get("device", "cpu").startswith("cuda") else 0.0
            records[job.shot.id] = ShotRecord(id=job.shot.id, status="rendered", frame=str(path), frame_key=key,
                                              seconds=round(per, 4), gpu_seconds=round(gpu, 4))
            report.rendered += 1
            report.gpu_seconds += gpu
            if progress:
                progress({"stage": "keyframe", "shot": job.shot.id, "status": "rendered"})
    return records, keys


def _clips(project: Project, video: Backend, jobs: list[RenderJob], frame_keys: dict[str, str],
           records: dict[str, ShotRecord], selected: set[str], force: bool, prov: Provenance,
           report: RenderReport, progress: Progress | None) -> dict[str, str]:
    from showrunner.pipelines.assemble import encode_video

    identity = video.identity()
    clips: dict[str, str] = {}
    for job in jobs:
        rec = records[job.shot.id]
        if rec.frame is None:
            continue
        key = rj.clip_key(frame_keys[job.shot.id], job, identity)
        path = rj.cache_path(project.renders_dir, "clips", key, ".mp4")
        if path.is_file() and not (force and job.shot.id in selected):
            rec.clip, rec.clip_status = str(path), "reused"
            report.clips_reused += 1
        elif job.shot.id in selected:
            t = time.perf_counter()
            with Image.open(rec.frame) as im:
                job.init_image = im.convert("RGB")
            out = video.render([job])[0]
            from showrunner.pipelines.assemble import CutItem

            mp4 = encode_video([CutItem(job.shot, job.shot.duration, frames=out.frames)], job.fps,
                               (job.width, job.height))
            side = {"kind": "clip", "shot": job.shot.id, "episode": job.episode, "key": key, "frame": rec.frame,
                    "backend": identity, "model": identity.get("model"), "params": out.params,
                    "prompt": job.prompt, "seed": job.seed}
            prov.write(path, mp4, title=f"ep{job.episode:03d} {job.shot.id} clip", sidecar=side)
            took = time.perf_counter() - t
            gpu = took if identity.get("device", "cpu").startswith("cuda") else 0.0
            rec.clip, rec.clip_status = str(path), "rendered"
            rec.clip_seconds, rec.clip_gpu_seconds = round(took, 4), round(gpu, 4)
            report.clips_rendered += 1
            report.gpu_seconds += gpu
            if progress:
                progress({"stage": "clip", "shot": job.shot.id, "status": "rendered"})
        if rec.clip:
            clips[job.shot.id] = rec.clip
    return clips



def render_hook(project: Project, settings: Settings,
                progress: Progress | None = None) -> Callable[..., dict[str, Any]]:
    """The graph's :class:`~showrunner.context.Renderer`: ``hook(episode=, shots=, mode=, script=)`` -> summary.

    Draft runs (nightly) put their cut under ``renders/drafts/``. The summary's ``items`` are what the
    context meters (one ledger record per keyframe or clip rendered), in every mode. ``progress`` gets
    each frame, clip and line as it finishes (the Studio's live progress).
    """

    def hook(*, episode: int, shots: list[Shot], mode: str = "interactive", script: Episode | None = None
             ) -> dict[str, Any]:
        # the script is not in the canon yet at this gate: pass it so shots find their scene's location
        report = render_episode(project, settings, episode, shots=shots, episode=script, draft=mode == "draft",
                                progress=progress)
        return {**report.model_dump(mode="json"), "rendered": report.rendered + report.clips_rendered > 0
                or report.cut_rendered, "keyframes_rendered": report.rendered, "items": report.items()}

    return hook
