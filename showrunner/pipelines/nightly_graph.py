"""Draft one episode on the showrunner graph in ``draft`` mode, stopping between steps when a budget runs out.

Each draft is its own graph thread (``draft-ep-NNN-<attempt>``) in the project's SQLite checkpoints, so a
night that stops (budget, fault, kill -9) is resumed by the next night from the last finished step. The
LLM is metered into the ledger with the night's tags; renders are timed and logged too. Reviewer notes
of a rejected draft go into the fresh thread's ``episode_notes``; ``start_episode`` seeds them into the
script and storyboard notes, and the writer's script prompt shows them ("must address every one").

Where the draft stops depends on ``settings.night_gates``: with ``render`` it runs to the end (the draft
waits at the ``final`` gate, its facts in the memory's draft space); with ``storyboard`` only it stops
before rendering; with ``script`` only it stops before the storyboard.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig

from showrunner.config import Settings
from showrunner.context import Progress, quiet
from showrunner.memory.canon import Canon
from showrunner.models import Fact
from showrunner.pipelines.ledger import Ledger, Totals, meter_for
from showrunner.pipelines.project import Project


@dataclass
class Outcome:
    """How one draft run ended: the gate it waits at, or why it stopped early."""

    gate: str
    stopped: str | None = None
    last_step: str | None = None


def stop_plan(night_gates: list[str]) -> tuple[list[str], str]:
    """(nodes to stop before, the gate the finished draft waits at) for the configured night gates."""
    if "render" in night_gates or "final" in night_gates:
        return [], "final"
    if "storyboard" in night_gates:
        return ["render_episode"], "storyboard"
    return ["plan_storyboard"], "script"


class DraftSession:
    """Graph, memory, metered LLM and checkpoints for the drafts of one night."""

    def __init__(self, project: Project, settings: Settings, ledger: Ledger, night: str, budgets: Any,
                 llm: Any = None, progress: Progress = quiet) -> None:
        from showrunner.graph import build_graph
        from showrunner.memory import open_memory
        from showrunner.pipelines.render import render_hook
        from showrunner.pipelines.series import build_context, open_saver

        self.project, self.ledger, self.night, self.budgets = project, ledger, night, budgets
        self.spent = Totals()
        self.canon = Canon(project.canon_dir)
        self.memory = open_memory(project, settings)
        self.stack = ExitStack()
        self.graph = build_graph(self.stack.enter_context(open_saver(project, settings)))
        self.stop_before, self.gate = stop_plan(settings.night_gates)
        meter = meter_for(ledger, on_record=self.spent.add, night=night)
        self.ctx = build_context(project, settings, mode="draft", llm=llm, memory=self.memory,
                                 render=render_hook(project, settings), meter=meter, progress=progress)

    def close(self) -> None:
        self.stack.close()

    def reset_draft_space(self, earlier: list[Fact]) -> None:
        """The draft space holds exactly the facts of the waiting drafts before the one being drafted."""
        self.memory.clear(space="draft")
        if earlier:
            self.memory.add_facts(earlier, space="draft")

    def draft(self, n: int, thread: str, notes: list[str]) -> Outcome:
        """Draft episode ``n`` on ``thread`` (fresh or resumed) until its gate or a budget stop."""
        cfg: RunnableConfig = {"configurable": {"thread_id": thread}, "recursion_limit": 10_000}
        from showrunner.pipelines.series import draft_input

        inp = None if self.graph.get_state(cfg).values else draft_input(self.project, self.canon.bible(), n, notes)
        stopped, step = self._run(inp, cfg)
        return Outcome(self.gate, stopped, step)

    def _run(self, inp: Any, cfg: RunnableConfig) -> tuple[str | None, str | None]:
        reason = self.budgets.exceeded(self.spent, time.time())
        if reason:
            return reason, None
        last, reason = None, None
        stream = self.graph.stream(inp, cfg, context=self.ctx, stream_mode=["updates", "checkpoints"],
                                   durability="sync", interrupt_before=self.stop_before or None)
        try:
            for mode, chunk in stream:
                if mode == "updates":
                    last = next((k for k in chunk if not k.startswith("__")), last)
                    reason = reason or self.budgets.exceeded(self.spent, time.time())
                elif reason:  # stop only once the finished step's checkpoint is on disk
                    return reason, last
        finally:
            getattr(stream, "close", lambda: None)()
        return None, last
