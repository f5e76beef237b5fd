"""Nightly unattended drafts: the next K episodes, drafted in draft mode, left in the review queue.

A night holds the project lock, drafts each planned episode on its own graph thread in ``draft`` mode
(gates never wait, artifacts go to ``drafts/ep-NNN/``, facts to the memory's ``draft`` space, canon is
never written) and writes the morning report. The review queue ``drafts/queue.json`` and the rule between
drafts and the live run live in :mod:`showrunner.pipelines.review_queue`.

Plan: the K lowest episodes after the last approved one that are not ``waiting`` or ``approved``. A
draft builds provisionally on the waiting drafts before it (``provisional_on``). Budgets (tokens of this
night, GPU minutes, a deadline) are checked between graph steps; a night that runs out stops there and
exits 5 (:class:`BudgetExhausted`), a fault (LLM endpoint, disk) exits 4, a finished night exits 0.
Every night is one line in ``logs/nights.jsonl`` (a ``running`` line first, the final line last).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showrunner.config import Settings, load_settings
from showrunner.context import Progress, quiet
from showrunner.errors import ShowrunnerError
from showrunner.io import append_jsonl, read_jsonl
from showrunner.memory.canon import Canon
from showrunner.models import Fact
from showrunner.pipelines import nightly_graph as drafting
from showrunner.pipelines.estimate import complete_episodes, estimate
from showrunner.pipelines.ledger import Ledger, Totals, project_ledger
from showrunner.pipelines.project import Project
from showrunner.pipelines.report import summarize_draft, write_report
from showrunner.pipelines.review_queue import (
    APPROVED,
    DRAFTING,
    WAITING,
    approve_draft,
    load_queue,
    reject_draft,
    save_queue,
)
from showrunner.pipelines.schedule import parse_hhmm


@dataclass(frozen=True)
class Budgets:
    """Limits for one night; None means unlimited."""

    max_tokens: int | None = None
    max_gpu_seconds: float | None = None
    deadline: float | None = None

    @classmethod
    def make(cls, *, max_tokens: int | None = None, max_gpu_minutes: float | None = None,
             until: str | None = None, now: float | None = None) -> Budgets:
        deadline = None
        if until:
            hh, mm = parse_hhmm(until, "--until")
            t = dt.datetime.fromtimestamp(now if now is not None else time.time())
            end = t.replace(hour=hh, minute=mm, second=0, microsecond=0)
            deadline = (end if end > t else end + dt.timedelta(days=1)).timestamp()
        gpu = None if max_gpu_minutes is None else max_gpu_minutes * 60
        return cls(max_tokens=max_tokens, max_gpu_seconds=gpu, deadline=deadline)

    def exceeded(self, spent: Totals, now: float) -> str | None:
        if self.max_tokens is not None and spent.tokens >= self.max_tokens:
            return f"token budget spent ({spent.tokens} of {self.max_tokens})"
        if self.max_gpu_seconds is not None and spent.gpu_seconds >= self.max_gpu_seconds:
            return f"GPU budget spent ({spent.gpu_seconds / 60:.1f} of {self.max_gpu_seconds / 60:.1f} minutes)"
        if self.deadline is not None and now >= self.deadline:
            return f"deadline {dt.datetime.fromtimestamp(self.deadline):%H:%M} reached"
        return None


def plan(project: Project, queue: dict[str, dict[str, Any]], k: int) -> list[int]:
    canon = Canon(project.canon_dir)
    last = max(canon.episode_numbers(), default=0)
    total = len(canon.bible().episodes) or int(project.meta().get("episodes", 0))
    todo = [n for n in range(last + 1, total + 1)
            if queue.get(str(n), {}).get("status") not in (WAITING, APPROVED)]
    return todo[:k]


def last_night(project: Project) -> dict[str, Any] | None:
    records = read_jsonl(project.root / "logs" / "nights.jsonl")
    return records[-1] if records else None


def current_night(project: Project, settings: Settings | None = None) -> dict[str, Any] | None:
    """The last night as it stands now: its record, with each episode re-read from the current queue.

    What happened that night (spend, errors, stop) stays as recorded; what each draft is now (approved,
    rejected, stale, still waiting) comes from ``drafts/queue.json``, so a report after ``approve --draft
    2`` no longer lists draft 2 as awaiting approval.
    """
    night = last_night(project)
    if night is None:
        return None
    ledger = project_ledger(project.root, (settings or load_settings(project.root)).prices)
    return {**night, "episodes": _summaries(project, ledger, str(night.get("night")))}


def refresh_report(project: Project, settings: Settings | None = None) -> Path | None:
    """Rewrite the last night's report from the queue as it is now (after every decision on a draft)."""
    night = current_night(project, settings)
    return None if night is None else write_report(project, night)


def _summaries(project: Project, ledger: Ledger, night_id: str) -> list[dict[str, Any]]:
    """One summary per draft the night ``night_id`` worked on, from the queue and draft files as they are."""
    return [summarize_draft(project, int(n), e, ledger, night_id)
            for n, e in sorted(load_queue(project).items(), key=lambda kv: int(kv[0])) if e.get("night") == night_id]


# ---- the night
def run_night(project: Project, settings: Settings, *, episodes: int = 2, budgets: Budgets | None = None,
              llm: Any = None, progress: Progress = quiet) -> dict[str, Any]:
    """Draft the next ``episodes`` episodes under the project lock; return the night record.

    ``progress(event, data)`` hears each episode start (``"draft"``) and every graph step's LLM call.
    """
    budgets = budgets or Budgets()
    with project.lock("showrunner nightly"):
        return _night(project, settings, episodes, budgets, llm, progress)


def _night(project: Project, settings: Settings, k: int, budgets: Budgets, llm: Any,
           progress: Progress) -> dict[str, Any]:
    night_id = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    ledger: Ledger = project_ledger(project.root, settings.prices)
    canon = Canon(project.canon_dir)
    digest_before = canon.digest()
    queue = load_queue(project)
    todo = plan(project, queue, k)
    started = time.time()
    night: dict[str, Any] = {
        "night": night_id, "started": started, "status": "running", "planned": todo, "episodes": [],
        "budgets": budgets.__dict__, "estimate": estimate(ledger, settings, max(len(todo), 1),
                                                        complete_episodes(project)).model_dump(),
        "errors": [], "episodes_done": 0}
    append_jsonl(project.root / "logs" / "nights.jsonl", night)
    status, code, message = "done", 0, f"drafted {len(todo)} episode(s)" if todo else "nothing to draft"
    last_approved = max(canon.episode_numbers(), default=0)
    session = None
    try:
        session = drafting.DraftSession(project, settings, ledger, night_id, budgets, llm=llm, progress=progress)
        for i, n in enumerate(todo, 1):
            progress("draft", {"episode": n, "prompt": f"drafting ({i} of {len(todo)})"})
            entry = queue.setdefault(str(n), {})
            fresh = entry.get("status") != DRAFTING or not entry.get("thread")
            if fresh:
                entry.update(status=DRAFTING, attempt=int(entry.get("attempt", 0)) + 1,
                             provisional_on=[m for m in range(last_approved + 1, n)
                                             if queue.get(str(m), {}).get("status") == WAITING],
                             thread=f"draft-ep-{n:03d}-{int(entry.get('attempt', 0)) + 1}")
                entry.pop("stale_because", None)
                session.reset_draft_space(_earlier_draft_facts(project, queue, n))
            entry["night"] = night_id
            save_queue(project, queue)
            outcome = session.draft(n, entry["thread"], notes=list(entry.get("notes", [])))
            if outcome.stopped:
                save_queue(project, queue)
                status, code = "budget", 5
                night["stopped_at"] = {"episode": n, "after_step": outcome.last_step}
                message = f"stopped at a clean step: {outcome.stopped}; run 'showrunner nightly' to continue"
                break
            entry.update(status=WAITING, gate=outcome.gate, drafted_at=time.time())
            save_queue(project, queue)
            night["episodes_done"] += 1
    except (ShowrunnerError, OSError) as exc:
        status, code = "fault", getattr(exc, "code", 4) if isinstance(exc, ShowrunnerError) else 4
        message = f"stopped by a fault, state saved: {type(exc).__name__}: {exc}"
        night["errors"].append(message)
    finally:
        if session is not None:
            session.close()
    if canon.digest() != digest_before:  # pragma: no cover - a bug, never expected
        night["errors"].append("the approved canon changed during the night; restore it from git or a backup")
    night.update(status=status, exit_code=code, message=message, ended=time.time(),
                 seconds=round(time.time() - started, 3), canon_digest=digest_before,
                 actual=ledger.total(night=night_id).as_dict(), episodes=_summaries(project, ledger, night_id))
    try:
        night["report"] = str(write_report(project, night))
    except OSError as exc:  # disk full: the night record still says what happened
        night["errors"].append(f"report not written: {exc}")
    append_jsonl(project.root / "logs" / "nights.jsonl", night)
    return night


def _earlier_draft_facts(project: Project, queue: dict[str, dict[str, Any]], n: int) -> list[Fact]:
    """Facts of the waiting drafts before ``n``: the provisional world episode ``n`` builds on."""
    facts: list[Fact] = []
    for key, entry in sorted(queue.items(), key=lambda kv: int(kv[0])):
        path = project.drafts_dir / f"ep-{int(key):03d}" / "facts.json"
        if int(key) < n and entry.get("status") == WAITING and path.is_file():
            facts += [Fact.model_validate(f) for f in json.loads(path.read_text(encoding="utf-8"))]
    return facts


__all__ = ["Budgets", "approve_draft", "current_night", "last_night", "load_queue", "plan", "refresh_report",
           "reject_draft", "run_night"]
