"""Render on a Ray cluster: actors that hold a loaded backend, fed the content-addressed render units.

``showrunner render --workers N`` (N > 1) starts a local Ray instance; ``SHOWRUNNER_RAY_ADDRESS`` (the
``ray_address`` setting) joins an existing cluster instead. The coordinator (the process that runs the
command) decides what is missing from the render store, exactly as in-process, and sends only that.

* A backend that runs diffusion gets one actor per GPU (``num_gpus=1``; Ray pins each actor to its own
  device through ``CUDA_VISIBLE_DEVICES``, so several GPUs on one machine work the same way as several
  machines). Without GPUs in the cluster, and for the preview renderer, actors take one CPU each.
* Each actor builds its backend once and keeps the loaded pipeline across shots and episodes.
* Units are :func:`~showrunner.pipelines.render_work.keyframe_batch` and
  :func:`~showrunner.pipelines.render_work.clip_job`, the functions the in-process path runs. They write
  their files atomically into the project's render store, so every node must see the project folder at
  the same path (shared storage; see docs/scale.md). A dead actor is restarted and its unit in flight is
  retried (``max_restarts``/``max_task_retries``); units that finished are never sent again.
* Speech synthesis and assembly run as Ray tasks beside the actors (:meth:`RayRunner.submit`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

import ray
from ray.util import ActorPool

from showrunner.errors import BadInput
from showrunner.tools.base import Backend, get_backend

if TYPE_CHECKING:
    from showrunner.config import Settings

R = TypeVar("R")
RETRIES = 3
FORWARDED_ENV = ("PYTHONPATH", "SHOWRUNNER_", "HF_", "TRANSFORMERS_OFFLINE", "OPENAI_")
"""Environment the workers need to see as the coordinator does (package path, tiny twins, offline flags)."""


class RenderWorker:
    """One Ray actor: a backend built once, then any number of render units run with it."""

    def __init__(self, name: str, kind: str, settings: Settings) -> None:
        self.backend = get_backend(name, settings, kind=kind)  # type: ignore[arg-type]

    def identity(self) -> dict[str, Any]:
        return self.backend.identity()

    def run(self, fn: Callable[..., Any], *task: Any) -> Any:
        return fn(self.backend, *task)

    def pid(self) -> int:
        return os.getpid()


def worker_env() -> dict[str, str]:
    """The coordinator environment every worker gets (``FORWARDED_ENV`` prefixes)."""
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}


def _wants_gpu(backend: Backend) -> bool:
    """The diffusion backends (torch); the preview renderer draws with Pillow on a CPU."""
    return backend.name.startswith("diffusers")


class RayRunner:
    """Runs render units on Ray actors; see the module docstring. ``close`` ends the actors."""

    local = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._started = not ray.is_initialized()
        if self._started:
            common: dict[str, Any] = {"runtime_env": {"env_vars": worker_env()}, "logging_level": "ERROR",
                                      "log_to_driver": False}
            try:
                if settings.ray_address:
                    ray.init(address=settings.ray_address, **common)
                else:
                    # "local": a new instance even where `ray start` left its address behind
                    ray.init(address="local", num_cpus=max(settings.workers or 1, os.cpu_count() or 1),
                             include_dashboard=False, **common)
            except ConnectionError as exc:
                raise BadInput(f"cannot join the Ray cluster at {settings.ray_address}: {exc}; "
                               "check SHOWRUNNER_RAY_ADDRESS") from exc
        resources = ray.cluster_resources()
        self.gpus, self.cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
        self._actors: dict[tuple[str, str], list[Any]] = {}
        self._tasks: dict[Callable[..., Any], Any] = {}
        self._on_gpus: set[tuple[str, str]] = set()
        self._identities: dict[tuple[str, str], dict[str, Any]] = {}

    def actors(self, backend: Backend) -> list[Any]:
        """The actors holding ``backend`` (started on first use): one per GPU, or one CPU each."""
        key = (backend.kind, backend.name)
        if key not in self._actors:
            settings, options = self.settings, {"max_restarts": RETRIES, "max_task_retries": RETRIES}
            if _wants_gpu(backend) and self.gpus and settings.device != "cpu":
                self._release_gpus()  # keyframes are done before clips start: hand their devices over
                count = min(self.settings.workers or self.gpus, self.gpus)
                options["num_gpus"] = 1
                settings = settings.model_copy(update={"device": "cuda"})  # the actor's one visible device
            else:
                count = min(self.settings.workers or self.cpus, self.cpus)  # more would wait for a CPU forever
                options["num_cpus"] = 1
            remote = ray.remote(RenderWorker).options(**options)  # type: ignore[attr-defined]
            self._actors[key] = [remote.remote(backend.name, backend.kind, settings) for _ in range(count)]
            if "num_gpus" in options:
                self._on_gpus.add(key)
        return self._actors[key]

    def _release_gpus(self) -> None:
        for key in list(self._on_gpus):
            for actor in self._actors.pop(key):
                ray.kill(actor)
        self._on_gpus.clear()

    def identity(self, backend: Backend) -> dict[str, Any]:
        """Asked of an actor once per backend (the cut asks again after the GPUs went to the clip actors)."""
        key = (backend.kind, backend.name)
        if key not in self._identities:
            self._identities[key] = ray.get(self.actors(backend)[0].identity.remote())
        return self._identities[key]

    def map(self, backend: Backend, fn: Callable[..., R], tasks: list[tuple[Any, ...]]) -> Iterator[R]:
        pool = ActorPool(self.actors(backend))
        return pool.map_unordered(lambda actor, task: actor.run.remote(fn, *task), tasks)

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Future[R]:
        if fn not in self._tasks:
            # no CPU reserved: the render actors hold theirs for life, and a reserved slot would wait forever
            # for the assembly (which runs when they are idle) or the speech (one thread's worth beside them)
            self._tasks[fn] = ray.remote(num_cpus=0, max_retries=RETRIES)(fn)
        future: Future[R] = self._tasks[fn].remote(*args, **kwargs).future()
        return future

    def pids(self, backend: Backend) -> list[int]:
        """Process ids of the actors holding ``backend`` (tests kill one to show a retry)."""
        return list(ray.get([a.pid.remote() for a in self.actors(backend)]))

    def close(self) -> None:
        for actors in self._actors.values():
            for actor in actors:
                ray.kill(actor)
        self._actors.clear()
        if self._started:
            ray.shutdown()
