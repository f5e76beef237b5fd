"""Long Studio actions (a gate decision that runs the graph, a retake that renders) in a background thread.

One job at a time per Studio. The job's function takes the project's run lock through the same pipeline
call the CLI makes (``continue_series``, ``retake_shot`` under ``project.lock``), so a CLI command started
meanwhile is refused with the lock holder's name, and vice versa. The page polls :meth:`Jobs.view`: which
node runs, tokens spent since the job began (from the ledger every call is booked in), frames done out of
total, the last events, and the error or result when it ends.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from showrunner.errors import ProjectError, ShowrunnerError


def ledger_tokens(root: Path) -> int:
    from showrunner.pipelines.project import Project
    from showrunner.studio.views import ledger_totals

    return int(ledger_totals(Project(root))[0].tokens)


@dataclass
class Job:
    """One background action and what it has done so far."""

    id: int
    label: str
    target: dict[str, Any]
    tokens_at_start: int
    started: float = field(default_factory=time.time)
    finished: float | None = None
    node: str = ""
    episode: int | None = None
    frames_done: int = 0
    frames_total: int = 0
    lines_done: int = 0
    events: deque[str] = field(default_factory=lambda: deque(maxlen=8))
    error: str | None = None
    result: Any = None

    def graph_event(self, event: str, data: dict[str, Any]) -> None:
        """The graph's progress callback (``Context.progress``): the node (or prompt) at work."""
        self.node = str(data.get("node") or data.get("prompt") or event)
        self.episode = data.get("episode") or self.episode
        if event == "render":
            self.frames_total, self.frames_done = int(data.get("shots") or 0), 0
        self.events.append(f"{'episode ' + str(self.episode) if self.episode else 'series'}: {self.node}")

    def render_event(self, event: dict[str, Any]) -> None:
        """The renderer's progress callback: one keyframe, clip or spoken line finished."""
        if event.get("stage") == "keyframe":
            self.frames_done += 1
        elif event.get("stage") == "line":
            self.lines_done += 1
        self.node = f"render {event.get('stage')}"
        self.events.append(f"{event.get('stage')} {event.get('shot')}: {event.get('status')}")


class Jobs:
    """The Studio's one background slot."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._count = 0
        self.current: Job | None = None

    def running(self) -> bool:
        return self.current is not None and self.current.finished is None

    def start(self, label: str, work: Callable[[Job], Any], target: dict[str, Any] | None = None) -> Job:
        """Run ``work(job)`` in a thread; :class:`ProjectError` while another job runs."""
        with self._lock:
            if self.running():
                assert self.current is not None
                raise ProjectError(f"the Studio is still working on: {self.current.label}; wait for it")
            self._count += 1
            job = Job(self._count, label, target or {}, ledger_tokens(self.root))
            self.current = job
        threading.Thread(target=self._run, args=(job, work), name=f"studio-job-{job.id}", daemon=True).start()
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
        except ShowrunnerError as exc:
            job.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page; the state on disk is what the run left
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = time.time()

    def view(self) -> dict[str, Any]:
        """What the page shows about the current (or last) job."""
        job = self.current
        if job is None:
            return {"job": None}
        return {"job": {"id": job.id, "label": job.label, "target": job.target, "running": job.finished is None,
                        "node": job.node, "episode": job.episode, "frames_done": job.frames_done,
                        "frames_total": job.frames_total, "lines_done": job.lines_done,
                        "tokens": max(0, ledger_tokens(self.root) - job.tokens_at_start),
                        "seconds": round((job.finished or time.time()) - job.started, 1),
                        "events": list(job.events), "error": job.error,
                        "result": job.result if isinstance(job.result, dict) else None}}
