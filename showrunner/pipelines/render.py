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

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.errors import BadInput, ProjectError
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Episode, Shot
from showrunner.pipelines import render_jobs as rj
from showrunner.pipelines.cut import CutSound, build_cut, episode_dir, read_state, write_state
from showrunner.pipelines.frame_qa import NO_ENCODER, ShotQA, critic_for
from showrunner.pipelines.overrides import load_overrides, load_takes
from showrunner.pipelines.project import Project
from showrunner.pipelines.provenance import Provenance
from showrunner.pipelines.render_work import InProcess, Runner, clip_job, keyframe_batch, open_runner, uses_cluster
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
    status: Literal["rendered", "reused", "human", "fixed", "skipped"]
    frame: str | None = None
    frame_key: str | None = None
    clip: str | None = None
    clip_status: Literal["rendered", "reused", "none"] = "none"
    seconds: float = Field(0.0, description="Seconds spent rendering the keyframe in this run.")
    gpu_seconds: float = 0.0
    clip_seconds: float = 0.0
    clip_gpu_seconds: float = 0.0
    qa: ShotQA | None = Field(None, description="Frame QA of the keyframe: every take's scores, the one kept.")


class ReferenceRecord(BaseModel):
    """A reference sheet (character) or plate (location) the image backend generated in this run."""

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
    human: int = Field(0, description="Shots whose frame is overridden: a person's image or a shot fix.")
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
    qa_notice: str | None = Field(None, description="Set when frames were not checked (no frame encoder).")
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
                gpu = shot.gpu_seconds > 0
                out += [{"stage": "retake", "shot": shot.id, "take": t.take, "seed": t.seed, "backend": self.backend,
                         "qa_score": t.worst, "seconds": t.seconds, "gpu_seconds": t.seconds if gpu else 0.0}
                        for t in (shot.qa.takes[1:] if shot.qa else [])]
            if shot.clip_status == "rendered":
                out.append({"stage": "clip", "shot": shot.id, "backend": self.video_backend,
                            "seconds": shot.clip_seconds, "gpu_seconds": shot.clip_gpu_seconds})
        return out + list(self.spoken)


def frame_size(settings: Settings, aspect: str) -> tuple[int, int]:
    if aspect not in ("16:9", "9:16"):
        raise BadInput(f"unknown aspect {aspect!r}; use 16:9 or 9:16")
    p = settings.render
    return (p.width, p.height) if aspect == "16:9" else (p.height, p.width)


@contextmanager
def _runner(settings: Settings, given: Runner | None) -> Iterator[Runner]:
    """The caller's runner, or one for this call (in process unless ``settings`` ask for Ray workers)."""
    if given is not None:
        yield given
        return
    runner = open_runner(settings)
    try:
        yield runner
    finally:
        runner.close()


def render_episode(project: Project, settings: Settings, episode_no: int, *, shots: list[Shot] | None = None,
                   shot_id: str | None = None, force: bool = False, progress: Progress | None = None,
                   aspect: str = "16:9", burn_subtitles: bool = False, episode: Episode | None = None,
                   bible: Bible | None = None, draft: bool = False, bed: str | None = None,
                   runner: Runner | None = None) -> RenderReport:
    """Render what is missing for episode ``episode_no`` and (re)assemble its cut when anything changed.

    ``shots``/``episode``/``bible`` default to the approved storyboard (the canon's, or the live run's
    between its storyboard and final gates); the graph passes unapproved shots.
    ``draft`` puts the cut under ``renders/drafts/`` (keyframes share the one cache). Nothing is booked
    here: callers meter :meth:`RenderReport.items` (the graph through its ``Context``, the CLI directly),
    spoken lines included. Dialogue is synthesised in a thread beside the keyframes (``settings.tts`` 'none'
    makes a silent cut); ``bed`` names a music or ambience file for this episode (else ``settings.audio_bed``).
    Frames, clips, speech and assembly run on ``runner`` (default: :func:`~render_work.open_runner` for
    ``settings``, so ``workers``/``ray_address`` put them on Ray; nightly passes one runner for the night).
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
    critic, uses_refs = critic_for(settings), bool(getattr(image, "uses_references", False))
    if uses_refs or critic:  # each on-screen look's approved sheet (a new version where canon changed it)
        from showrunner.pipelines.references import attach_references

        sheets = attach_references(project.root, settings, image, jobs, bible.style_guide)
    qa_refs = {j.shot.id: dict(j.references) for j in jobs}
    for j in jobs if not uses_refs else []:  # the critic's alone: a backend without an adapter never sees them
        j.references = {}
    prov = Provenance.for_project(project.root, settings.c2pa_cert, settings.c2pa_key)
    report = RenderReport(episode=episode_no, preset=preset.name, backend=image.name,
                          video_backend=video.name if video else None, aspect=aspect,
                          sheets=[ReferenceRecord(character=cid, seconds=round(sec, 4),
                                                  gpu_seconds=round(sec, 4) if _on_gpu(image) else 0.0)
                                  for cid, sec in sheets],
                          qa_notice=None if critic else NO_ENCODER)
    if progress and not critic:
        progress({"stage": "qa", "shot": "all", "status": NO_ENCODER})
    with _runner(settings, runner) as run:
        # a one-shot retake (--shot) re-renders that frame only; its lines stay cached
        voices = _speech(project, settings, episode_no, bible, world, jobs, prov, force and shot_id is None, progress,
                         run)
        records, frames = keyframes(project, image, jobs, selected, force, prov, report, progress, run,
                                    (settings if critic else None, qa_refs))
        clips = _clips(project, video, jobs, frames, records, selected, force, prov, report, progress, run) \
            if video else {}
        speech = voices.result() if voices else None if settings.tts == "none" else SpeechResult()
        if speech is not None:
            report.lines_synthesized, report.lines_reused = speech.synthesized, speech.reused
            report.audio_seconds, report.speech_seconds = round(speech.audio_seconds, 3), round(speech.seconds, 3)
            report.spoken = speech.booked
        report.shots = [records[i] for i in ids]
        missing = [i for i in ids if records[i].frame is None]
        if not missing:  # the cut is assembled once all its shots have landed
            title = episode.title if episode else f"Episode {episode_no}"
            report.outputs, report.cut_rendered = run.submit(
                build_cut, project, bible, episode_no, title, jobs, records, clips, prov, aspect=aspect,
                fps=preset.fps, burn=burn_subtitles, force=force, identity=run.identity(image), draft=draft,
                sound=CutSound(speech, settings.loudness_target, _bed(settings, bed)) if speech else None).result()
            report.loudness_lufs = read_state(project, episode_no, draft=draft).get("cuts", {}).get(aspect, {}) \
                .get("loudness_lufs")
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _bed(settings: Settings, bed: str | None) -> Path | None:
    name = bed or settings.audio_bed
    return Path(name).expanduser() if name else None


def _speech(project: Project, settings: Settings, n: int, bible: Bible, world: World, jobs: list[RenderJob],
            prov: Provenance, force: bool, progress: Progress | None, runner: Runner) -> Future[SpeechResult] | None:
    """Start synthesising the episode's lines beside the frame renders (None when there is nothing to say)."""
    if settings.tts == "none" or not any(j.shot.dialogue for j in jobs):
        return None
    tts = get_tts(settings.tts, settings)
    casting = Casting(world, bible.characters, read_narrator(project.canon_dir), tts.name, settings.tts_model,
                      tts.speakers(settings.tts_model))
    return runner.submit(synthesize_episode, project.renders_dir, settings, n, [j.shot for j in jobs], casting, prov,
                         force=force, progress=progress if runner.local else None)


def keyframes(project: Project, backend: Backend, jobs: list[RenderJob], selected: set[str], force: bool,
              prov: Provenance, report: RenderReport, progress: Progress | None, runner: Runner | None = None,
              qa: tuple[Settings | None, dict[str, dict[str, Path]]] = (None, {})
              ) -> tuple[dict[str, ShotRecord], dict[str, str]]:
    """Find or render each job's keyframe (a human-supplied frame wins); records and frame keys by shot id.

    Units run on ``runner`` (default: here); ``qa`` is (settings naming the frame encoder, or None; the
    references the critic compares each shot with).
    """
    runner = runner or InProcess()
    identity = runner.identity(backend)
    overrides = load_overrides(project, jobs[0].episode)
    records: dict[str, ShotRecord] = {}
    keys: dict[str, str] = {}
    pending: list[tuple[RenderJob, str, Path]] = []
    for job in jobs:
        sid = job.shot.id
        if sid in overrides:
            status: Literal["human", "fixed"] = "fixed" if overrides[sid].get("kind") == "fix" else "human"
            records[sid] = ShotRecord(id=sid, status=status, frame=overrides[sid]["frame"],
                                      frame_key=overrides[sid]["sha256"])
            keys[sid] = overrides[sid]["sha256"]
            report.human += 1
            if progress:
                progress({"stage": "keyframe", "shot": sid, "status": status})
            continue
        key = rj.frame_key(job, identity)
        keys[sid] = key
        path = rj.cache_path(project.renders_dir, "frames", key, ".png")
        if path.is_file() and not (force and sid in selected):
            records[sid] = ShotRecord(id=sid, status="reused", frame=str(path), frame_key=key, qa=_stored_qa(path))
            report.reused += 1
            if progress:  # frames done out of total counts what the cache already held
                progress({"stage": "keyframe", "shot": sid, "status": "reused"})
        elif sid in selected:
            pending.append((job, key, path))
        else:
            records[sid] = ShotRecord(id=sid, status="skipped", frame_key=key)
    # the same batches on every runner: a shot's pixels may depend (slightly) on the batch it was drawn in
    batch = max(1, int(getattr(backend, "batch_size", 1)))
    chunks = [(prov, chunk, qa[0], [qa[1].get(job.shot.id, {}) for job, _, _ in chunk])
              for chunk in (pending[start:start + batch] for start in range(0, len(pending), batch))]
    for landed in runner.map(backend, keyframe_batch, chunks):
        for done in landed:
            records[done["id"]] = ShotRecord(status="rendered", **done)
            report.rendered += 1
            report.gpu_seconds += done["gpu_seconds"]
            if progress:
                progress({"stage": "keyframe", "shot": done["id"], "status": "rendered", "done": report.rendered,
                          "total": len(pending)})
    return records, keys


def _stored_qa(path: Path) -> ShotQA | None:
    """The frame QA a cached keyframe was rendered with (its sidecar), if any."""
    import json

    try:
        stored = json.loads(path.with_suffix(".json").read_text(encoding="utf-8")).get("qa")
        return ShotQA.model_validate(stored) if stored else None
    except (OSError, ValueError):
        return None


def _clips(project: Project, video: Backend, jobs: list[RenderJob], frame_keys: dict[str, str],
           records: dict[str, ShotRecord], selected: set[str], force: bool, prov: Provenance,
           report: RenderReport, progress: Progress | None, runner: Runner) -> dict[str, str]:
    identity = runner.identity(video)
    todo: list[tuple[object, ...]] = []
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
            todo.append((prov, job, key, path, rec.frame))
    for done in runner.map(video, clip_job, todo):
        rec = records[done["id"]]
        rec.clip, rec.clip_status = done["clip"], "rendered"
        rec.clip_seconds, rec.clip_gpu_seconds = done["seconds"], done["gpu_seconds"]
        report.clips_rendered += 1
        report.gpu_seconds += done["gpu_seconds"]
        if progress:
            progress({"stage": "clip", "shot": done["id"], "status": "rendered", "done": report.clips_rendered,
                      "total": len(todo)})
    return {j.shot.id: clip for j in jobs if (clip := records[j.shot.id].clip)}


def render_hook(project: Project, settings: Settings,
                progress: Progress | None = None) -> Callable[..., dict[str, Any]]:
    """The graph's :class:`~showrunner.context.Renderer`: ``hook(episode=, shots=, mode=, script=)`` -> summary.

    Draft runs (nightly) put their cut under ``renders/drafts/``. The summary's ``items`` are what the
    context meters (one ledger record per keyframe or clip rendered), in every mode. With Ray workers set,
    one runner serves every episode the hook renders (its actors keep their loaded pipelines). ``progress``
    gets each frame, clip and line as it finishes (the Studio's live progress).
    """
    held: list[Runner] = []

    def hook(*, episode: int, shots: list[Shot], mode: str = "interactive", script: Episode | None = None
             ) -> dict[str, Any]:
        # the script is not in the canon yet at this gate: pass it so shots find their scene's location
        if not held and uses_cluster(settings):
            held.append(open_runner(settings))
        report = render_episode(project, settings, episode, shots=shots, episode=script, draft=mode == "draft",
                                runner=held[0] if held else None, progress=progress)
        return {**report.model_dump(mode="json"), "rendered": report.rendered + report.clips_rendered > 0
                or report.cut_rendered, "keyframes_rendered": report.rendered, "items": report.items()}

    return hook
