"""The units of render work, and the runners that execute them in this process or on a Ray cluster.

A unit is one batch of keyframes (:func:`keyframe_batch`) or one clip (:func:`clip_job`): it renders
with a backend and writes each file, signed, atomically into the project's render store, so a unit that
dies leaves nothing half-written and can simply run again. :func:`~showrunner.pipelines.render.render_episode`
decides what is missing (content-addressed cache) and hands the units to a :class:`Runner`:

* :class:`InProcess` (the default, and ``--workers 1``) runs them one after another with the backend the
  coordinator built; Ray is never imported.
* :class:`~showrunner.pipelines.render_ray.RayRunner` (``--workers N`` > 1 or ``SHOWRUNNER_RAY_ADDRESS``)
  runs the very same functions on Ray actors that each hold a loaded backend across shots.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from PIL import Image

from showrunner.pipelines import render_jobs as rj
from showrunner.tools.base import Backend, RenderJob

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.pipelines.provenance import Provenance

R = TypeVar("R")
KeyframeTask = tuple[RenderJob, str, Path]
"""(job, frame key, destination path) of one keyframe."""


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _gpu(identity: dict[str, Any], seconds: float) -> float:
    return seconds if str(identity.get("device", "cpu")).startswith("cuda") else 0.0


def keyframe_batch(backend: Backend, prov: Provenance, chunk: list[KeyframeTask], qa: Settings | None = None,
                   refs: list[dict[str, Path]] | None = None) -> list[dict[str, Any]]:
    """Render one batch of keyframes and write each frame (signed, with its sidecar) atomically.

    With ``qa`` (settings naming a ``frame_encoder``) the frame critic reviews the batch against ``refs``
    (per job: character id -> sheet) and retakes failures with new seeds, within its bound, on this worker.
    Returns one record per job: ``id``, ``frame``, ``frame_key``, ``seconds``, ``gpu_seconds`` and ``qa``.
    """
    identity = backend.identity()
    jobs = [job for job, _, _ in chunk]
    t = time.perf_counter()
    outputs = backend.render(jobs)
    checked: list[Any] = [None] * len(chunk)
    if qa is not None:
        from showrunner.pipelines.frame_qa import critic_for

        critic = critic_for(qa)
        if critic is not None:
            outputs, checked[:] = critic.check(backend, jobs, outputs, refs or [{} for _ in jobs])
    per = (time.perf_counter() - t) / len(chunk)
    done = []
    for (job, key, path), out, shot_qa in zip(chunk, outputs, checked, strict=True):
        side = {"kind": "keyframe", "shot": job.shot.id, "episode": job.episode, "key": key,
                "backend": identity, "model": out.params.get("model", identity.get("model")),
                "params": out.params, "prompt": job.prompt, "negative_prompt": job.negative_prompt,
                "seed": shot_qa.takes[shot_qa.kept].seed if shot_qa else job.seed,
                "references": {k: str(v) for k, v in job.references.items()}, "spec": rj.job_spec(job),
                "qa": shot_qa.model_dump(mode="json") if shot_qa else None}
        prov.write(path, png(out.frames[0]), title=f"ep{job.episode:03d} {job.shot.id}", sidecar=side)
        done.append({"id": job.shot.id, "frame": str(path), "frame_key": key, "seconds": round(per, 4),
                     "gpu_seconds": round(_gpu(identity, per), 4), "qa": side["qa"]})
    return done


def clip_job(video: Backend, prov: Provenance, job: RenderJob, key: str, path: Path, frame: str) -> dict[str, Any]:
    """Animate one keyframe into a clip and write it (signed, with its sidecar) atomically."""
    from showrunner.pipelines.assemble import CutItem, encode_video

    identity = video.identity()
    t = time.perf_counter()
    with Image.open(frame) as im:
        job.init_image = im.convert("RGB")
    out = video.render([job])[0]
    mp4 = encode_video([CutItem(job.shot, job.shot.duration, frames=out.frames)], job.fps, (job.width, job.height))
    side = {"kind": "clip", "shot": job.shot.id, "episode": job.episode, "key": key, "frame": frame,
            "backend": identity, "model": identity.get("model"), "params": out.params,
            "prompt": job.prompt, "seed": job.seed}
    prov.write(path, mp4, title=f"ep{job.episode:03d} {job.shot.id} clip", sidecar=side)
    took = time.perf_counter() - t
    return {"id": job.shot.id, "clip": str(path), "seconds": round(took, 4),
            "gpu_seconds": round(_gpu(identity, took), 4)}


class Runner(Protocol):
    """Where render units run. ``map`` yields results as units land (in any order)."""

    local: bool

    def identity(self, backend: Backend) -> dict[str, Any]:
        """The identity of ``backend`` as the workers that render with it see it (cache key input)."""
        ...

    def map(self, backend: Backend, fn: Callable[..., R], tasks: list[tuple[Any, ...]]) -> Iterator[R]:
        """``fn(backend, *task)`` for every task, each on a worker holding ``backend``."""
        ...

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Future[R]:
        """Run one CPU job (speech, assembly) beside the renders."""
        ...

    def close(self) -> None:
        """Let go of the workers (a no-op in process)."""
        ...


class InProcess:
    """Runs every unit here, one after another, with the coordinator's own backend objects."""

    local = True

    def identity(self, backend: Backend) -> dict[str, Any]:
        return backend.identity()

    def map(self, backend: Backend, fn: Callable[..., R], tasks: list[tuple[Any, ...]]) -> Iterator[R]:
        for task in tasks:
            yield fn(backend, *task)

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Future[R]:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render-cpu")
        try:
            return pool.submit(fn, *args, **kwargs)
        finally:
            pool.shutdown(wait=False)  # the job runs to its end; the thread goes with it

    def close(self) -> None:
        """Nothing to let go of."""


def uses_cluster(settings: Settings) -> bool:
    """Ray renders when a cluster address is set or more than one worker is asked for."""
    return bool(settings.ray_address) or (settings.workers or 1) > 1


def open_runner(settings: Settings) -> Runner:
    """:class:`InProcess` unless :func:`uses_cluster`; then a Ray runner (Ray imported only here)."""
    if not uses_cluster(settings):
        return InProcess()
    from showrunner.pipelines.render_ray import RayRunner

    return RayRunner(settings)
