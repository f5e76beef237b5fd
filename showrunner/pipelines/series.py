"""Drivers the CLI calls: create a series, run it to the next gate, answer a gate, report status.

One LangGraph thread per series (``project.thread_id``) checkpointed in ``state/checkpoints.sqlite``
(or PostgreSQL when ``settings.database_url`` is set) with ``durability="sync"``: a kill -9 loses at most
the step in flight. Every run holds the project lock.

Drafting has one path: ``showrunner.pipelines.nightly`` runs the episode part of the same graph in
``draft`` mode, one thread per episode, from :func:`draft_input` (gates never wait, artifacts land in
``<project>/drafts/ep-NNN/`` and the memory's ``draft`` space, the canon is never written).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from showrunner.config import Settings, load_settings
from showrunner.context import Context, Meter, Mode, Progress, RenderHook, quiet
from showrunner.errors import BadInput, ProjectError
from showrunner.graph import build_graph, serializer
from showrunner.io import create_file
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Episode, Shot
from showrunner.pipelines.project import Project
from showrunner.state import GATES, SeriesState
from showrunner.world.format import EpisodeFormat, parse_length

MAX_PREMISE_BYTES = 100_000
MAX_EPISODES = 200


def check_premise(premise: str) -> str:
    """The premise, stripped; :class:`BadInput` when empty, too long or not valid text."""
    try:
        raw = premise.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("the premise is not valid UTF-8 text; save it as UTF-8 and pass --premise-file") from None
    if len(raw) > MAX_PREMISE_BYTES:
        raise BadInput(f"the premise is {len(raw) // 1000} kB; keep it under {MAX_PREMISE_BYTES // 1000} kB")
    text = premise.strip()
    if not text or "\x00" in text:
        raise BadInput("the premise is empty; describe the series in a sentence or more")
    return text


def check_episodes(n: int) -> int:
    if not 1 <= n <= MAX_EPISODES:
        raise BadInput(f"--episodes must be between 1 and {MAX_EPISODES}, got {n}")
    return n


def parse_gates(spec: str | None) -> frozenset[str]:
    """``--auto-approve`` value: 'all', 'none' or a comma list of gate names."""
    if not spec or spec.strip().lower() == "none":
        return frozenset()
    names = {s.strip().lower() for s in spec.split(",") if s.strip()}
    if "all" in names:
        return frozenset({"all"})
    bad = names - set(GATES)
    if bad:
        raise BadInput(f"unknown gate {sorted(bad)[0]!r} in --auto-approve; use all, none or {', '.join(GATES)}")
    return frozenset(names)


@contextmanager
def open_saver(project: Project, settings: Settings) -> Iterator[BaseCheckpointSaver[Any]]:
    """The checkpointer: PostgreSQL when configured (optional extra), else SQLite in the project."""
    if settings.database_url:
        try:
            from langgraph.checkpoint.postgres import PostgresSaver  # type: ignore[import-not-found]
        except ImportError:
            raise BadInput("database_url is set but the postgres extra is missing; "
                           "pip install 'showrunner[postgres]'") from None
        with PostgresSaver.from_conn_string(settings.database_url) as pg:
            pg.serde = serializer()
            pg.setup()
            yield pg
        return
    conn = sqlite3.connect(create_file(project.checkpoints), check_same_thread=False)
    try:
        yield SqliteSaver(conn, serde=serializer())
    finally:
        conn.close()


def build_context(project: Project, settings: Settings, *, mode: Mode = "interactive",
                  auto_approve: frozenset[str] = frozenset(), llm: Any = None, memory: Any = None,
                  progress: Progress = quiet, meter: Meter | None = None, render: RenderHook | None = None,
                  **extra: Any) -> Context:
    """Services for a run: the LLM, the memory, the renderer and the meter that books both.

    The provider comes from settings; the renderer renders at the settings' preset (drafts under
    renders/drafts/); the meter writes every LLM call and rendered frame to the project's ledger.
    """
    from showrunner.pipelines.ledger import meter_for, project_ledger
    from showrunner.pipelines.render import render_hook

    if llm is None:
        from showrunner.llm import get_llm

        llm = get_llm(settings, project.root)
    if memory is None:
        from showrunner.memory import open_memory

        memory = open_memory(project, settings)
    if meter is None:
        meter = meter_for(project_ledger(project.root, settings.prices))
    fmt = EpisodeFormat.from_dict(project.meta().get("episode_format"))
    limits = settings.limits(getattr(llm, "provider", None))
    return Context(llm=llm, memory=memory, canon=Canon(project.canon_dir), settings=settings, root=project.root,
                   mode=mode, auto_approve=auto_approve, meter=meter, progress=progress,
                   renderer=render or render_hook(project, settings), episode_format=fmt, limits=limits,
                   memory_budget=settings.memory_budget, **extra)


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread}, "recursion_limit": 10_000}


def run(project: Project, ctx: Context, payload: Any, *, thread: str | None = None) -> dict[str, Any]:
    """Invoke the graph on the project's thread until it ends or waits at a gate; returns the outcome."""
    cfg = _config(thread or project.thread_id)
    with open_saver(project, ctx.settings) as saver:
        graph = build_graph(saver)
        graph.invoke(payload, cfg, context=ctx, durability="sync")
        return outcome(graph.get_state(cfg))


def outcome(snapshot: Any) -> dict[str, Any]:
    waiting = [i.value for t in snapshot.tasks for i in t.interrupts]
    values: SeriesState = snapshot.values
    return {"status": "waiting" if waiting else ("done" if not snapshot.next else "stopped"),
            "pending": waiting[0] if waiting else None, "completed": sorted(set(values.get("completed") or []))}


def episode_format(length: str | None, settings: Settings, llm: Any = None) -> EpisodeFormat | None:
    """The format a new series gets: ``--episode-length``, else the provider's default (None: no target)."""
    default = settings.limits(getattr(llm, "provider", None)).default_length
    spec = length if length is not None else default
    return parse_length(spec) if spec is not None else None


def new_series(root: Path, premise: str, episodes: int, *, auto_approve: frozenset[str] = frozenset(),
               progress: Progress = quiet, llm: Any = None, render: RenderHook | None = None,
               setup: Callable[[Project], SeriesState] | None = None, episode_length: str | None = None,
               **overrides: Any) -> tuple[Project, dict[str, Any]]:
    """Create the project and run until the first active gate (or the end with auto-approval).

    ``episode_length`` (``90s``, ``7m``, ``social``, ``broadcast``) is the series' format, stored in
    ``project.json`` so every later episode and nightly draft is planned to it. ``setup`` (an adaptation)
    fills the new project folder first and returns more input state; if the run then fails before its
    first checkpoint, the folder is removed with everything in it.
    """
    premise, episodes = check_premise(premise), check_episodes(episodes)
    root = root.expanduser().resolve()
    fmt = episode_format(episode_length, load_settings(None, **overrides), llm)
    existed = root.is_dir()
    project = Project.create(root, premise=premise, episodes=episodes, auto_approve=sorted(auto_approve),
                             episode_format=fmt.to_dict() if fmt else None)
    try:
        settings = load_settings(project.root, **overrides)
        inputs = setup(project) if setup is not None else {}
        with project.lock("showrunner new"):
            ctx = build_context(project, settings, auto_approve=auto_approve, llm=llm, progress=progress,
                                render=render)
            state: SeriesState = {"premise": premise, "episodes_total": episodes, "first_episode": 1,
                                  "last_episode": episodes, "bible": None, "completed": [], **inputs}
            result = run(project, ctx, state)
    except BaseException:
        if not _has_checkpoint(project):
            _remove(project.root, keep_root=existed)
        raise
    return project, result


def _has_checkpoint(project: Project) -> bool:
    if not project.checkpoints.is_file():
        return False
    try:
        with sqlite3.connect(project.checkpoints) as conn:
            return bool(conn.execute("select count(*) from checkpoints").fetchone()[0])
    except sqlite3.Error:
        return False


def _remove(root: Path, *, keep_root: bool) -> None:
    if keep_root:
        for child in root.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    else:
        shutil.rmtree(root, ignore_errors=True)


def open_series(root: Path) -> tuple[Project, frozenset[str]]:
    project = Project.open(root)
    return project, frozenset(project.meta().get("auto_approve") or [])


def continue_series(root: Path, decision: dict[str, Any] | None = None, *, progress: Progress = quiet,
                    llm: Any = None, render: RenderHook | None = None, **overrides: Any) -> dict[str, Any]:
    """Answer the pending gate with ``decision`` (validated first) or, without one, continue after a crash.

    The run lock records the command a user typed: ``showrunner approve|reject|edit`` or ``showrunner resume``.
    """
    from showrunner.agents.human import parse_decision

    project, auto = open_series(root)
    settings = load_settings(project.root, **overrides)
    command = f"showrunner {decision.get('action')}" if isinstance(decision, dict) else "showrunner resume"
    with project.lock(command):
        snap = snapshot(project, settings)
        if not snap.values:
            raise ProjectError(f"{project.root} has no run state to resume; start a series with 'showrunner new'")
        pend = outcome(snap)["pending"]
        if decision is not None:
            if pend is None:
                raise ProjectError("nothing is waiting for a decision; see 'showrunner status'")
            from showrunner.pipelines.panels import with_staged_edits

            decision = with_staged_edits(project, snap.values, pend, decision)
            parse_decision(decision, pend["gate"])  # an invalid edit is refused here, before resuming
        ctx = build_context(project, settings, auto_approve=auto, llm=llm, progress=progress, render=render)
        result = run(project, ctx, Command(resume=decision) if decision is not None else None)
        if decision is not None and pend is not None and pend["gate"] == "storyboard":
            from showrunner.pipelines.overrides import clear_edits

            clear_edits(project, pend["episode"])  # answered: staged shot edits went in or were rejected
        return result


def snapshot(project: Project, settings: Settings | None = None, thread: str | None = None) -> Any:
    settings = settings or load_settings(project.root)
    if not settings.database_url and not project.checkpoints.is_file():
        raise ProjectError(f"{project.root} has no run state yet; start it with 'showrunner resume'")
    with open_saver(project, settings) as saver:
        return build_graph(saver).get_state(_config(thread or project.thread_id))


def approved_storyboard(project: Project, n: int,
                        settings: Settings | None = None) -> tuple[Episode | None, list[Shot]]:
    """Episode ``n``'s approved script and shots; :class:`ProjectError` when it has none.

    The canon's, else the live run's once a person approved its storyboard gate: the final gate commits
    them to the canon only later, and ``render`` or ``shot replace`` must work at that gate.
    """
    canon = Canon(project.canon_dir)
    shots = canon.storyboard(n)
    if shots is not None:
        return canon.episode(n), shots
    try:
        values = snapshot(project, settings).values
    except ProjectError:
        values = {}
    review = values.get("review") or {}
    if (values.get("episode") == n and values.get("shots") and review.get("gate") == "storyboard"
            and review.get("episode") == n and review.get("action") in ("approve", "edit")):
        return values.get("script"), list(values["shots"])
    raise ProjectError(f"episode {n} has no approved storyboard; approve one first ('showrunner review')")


def pending(project: Project, settings: Settings | None = None) -> dict[str, Any] | None:
    """The payload of the gate the series waits at, or None."""
    return outcome(snapshot(project, settings))["pending"]


def draft_input(project: Project, bible: Bible, episode: int, notes: list[str] | None) -> SeriesState:
    """The input of a fresh draft thread: the approved bible and episode ``episode`` alone."""
    from showrunner.agents.adapt import approved_plan

    meta = project.meta()
    return {**approved_plan(project.root), "premise": str(meta.get("premise", "")), "bible": bible, "completed": [],
            "episodes_total": max(len(bible.episodes), int(meta.get("episodes") or 0), episode),
            "first_episode": episode, "last_episode": episode, "episode_notes": {str(episode): list(notes or [])}}


def fast_forward(project: Project, settings: Settings, through: int) -> bool:
    """Move the series thread past episodes committed outside it (approved nightly drafts).

    When the interactive thread still waits at a gate of an episode that is now canon, its pending work is
    obsolete: it continues at episode ``through + 1`` instead (or ends). Returns True when it moved.
    """
    cfg = _config(project.thread_id)
    with open_saver(project, settings) as saver:
        graph = build_graph(saver)
        values = graph.get_state(cfg).values
        if not values or values.get("bible") is None:
            return False
        done = set(values.get("completed") or [])
        missing = [n for n in range(1, through + 1) if n not in done]
        if not missing:
            return False
        graph.update_state(cfg, {"completed": missing}, as_node="commit_episode")
        return True
