"""The graph's runtime context: every service a node may use, injected per run (``Runtime[Context]``).

The same compiled graph runs with the local, OpenAI-compatible or scripted LLM, a real or test memory,
and in two modes:

* ``interactive`` — gates in ``gates`` interrupt for a person (unless auto-approved) and approved work is
  committed to the canon files and the memory's ``canon`` space;
* ``draft`` (nightly) — gates never interrupt, approved-looking work goes to ``<project>/drafts/`` and the
  memory's ``draft`` space, retrieval includes earlier drafts, and the canon is never written.

All LLM calls go through :meth:`Context.generate` and all renders through :meth:`Context.render`: the
one place where work is tagged with episode and node and passed through ``meter``
(:class:`showrunner.pipelines.ledger.LedgerMeter`), which writes each LLM call and each rendered keyframe
or clip to the project's ledger, in both modes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from showrunner.config import Settings
from showrunner.io import append_jsonl, atomic_write
from showrunner.llm.base import Generation, Prompt, StructuredLLM, T
from showrunner.memory.base import MemoryStore
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Episode, Fact, Shot
from showrunner.world import World
from showrunner.world.format import AVERAGE_SHOT_S, SMALL, EpisodeFormat, FormatPlan, Limits, plan_episode

Mode = Literal["interactive", "draft"]
Progress = Callable[[str, dict[str, Any]], None]


class Renderer(Protocol):
    """Renders an episode's shots; the summary's ``items`` list what was really rendered (for metering).

    Each item: ``{"stage": "keyframe"|"clip", "shot": id, "backend": name, "seconds": s, "gpu_seconds": g}``.
    """

    def __call__(self, *, episode: int, shots: list[Shot], mode: Mode = "interactive",
                 script: Episode | None = None) -> dict[str, Any]: ...


RenderHook = Renderer  # the name the pipelines use


class Meter(Protocol):
    """Where the context sends what work cost (:class:`showrunner.pipelines.ledger.LedgerMeter`)."""

    def llm(self, inner: StructuredLLM, tags: dict[str, Any]) -> StructuredLLM: ...

    def renders(self, items: list[dict[str, Any]], tags: dict[str, Any]) -> Any: ...


def noop_render(*, episode: int, shots: list[Shot], mode: Mode = "interactive", script: Episode | None = None
                ) -> dict[str, Any]:
    """Default renderer until the render pipeline is wired: renders nothing and says so."""
    return {"rendered": False, "episode": episode, "shots": len(shots), "reason": "no render hook configured",
            "items": []}


class NoMeter:
    """Meters nothing (unit tests and evals without a project)."""

    def llm(self, inner: StructuredLLM, tags: dict[str, Any]) -> StructuredLLM:
        return inner

    def renders(self, items: list[dict[str, Any]], tags: dict[str, Any]) -> None:
        return None


def quiet(event: str, data: dict[str, Any]) -> None:
    return None


@dataclass
class Context:
    """Services and switches for one run of the showrunner graph."""

    llm: StructuredLLM
    memory: MemoryStore
    canon: Canon
    settings: Settings = field(default_factory=Settings)
    root: Path | None = None
    mode: Mode = "interactive"
    auto_approve: frozenset[str] = frozenset()
    renderer: Renderer = noop_render
    meter: Meter = field(default_factory=NoMeter)
    progress: Progress = quiet
    episode_format: EpisodeFormat | None = None
    limits: Limits = SMALL
    memory_budget: int | None = None
    _world: tuple[Any, World] | None = field(default=None, init=False, repr=False)

    # ---- LLM
    def generate(self, prompt: Prompt, schema: type[T], **tags: Any) -> Generation[T]:
        """Call the LLM with tags (episode, node, scene); a metered LLM writes them to the ledger."""
        self.progress("llm", {"prompt": prompt.id, **tags})
        if self.mode == "draft":
            tags["draft"] = True
        return self.meter.llm(self.llm, tags).generate(prompt, schema)

    # ---- render
    def render(self, *, episode: int, shots: list[Shot], mode: Mode, script: Episode | None = None) -> dict[str, Any]:
        """Render through the renderer and meter every keyframe and clip it rendered (node ``render_episode``)."""
        self.progress("render", {"episode": episode, "shots": len(shots)})
        result = self.renderer(episode=episode, shots=shots, mode=mode, script=script)
        tags: dict[str, Any] = {"episode": episode, "node": "render_episode"}
        if self.mode == "draft":
            tags["draft"] = True
        self.meter.renders(list(result.get("items") or []), tags)
        return result

    # ---- the episode format
    def plan(self, bible: Bible | None = None) -> FormatPlan:
        """What an episode is asked for: the series' format under the provider's limits and the style guide."""
        avg = bible.average_shot_s if bible is not None else AVERAGE_SHOT_S
        return plan_episode(self.episode_format, self.limits, average_shot_s=avg, memory_tokens=self.memory_budget)

    @property
    def budget_tokens(self) -> int:
        """Tokens of canon a prompt may carry (follows the context window; ``settings.memory_budget`` wins)."""
        return self.plan().memory_tokens

    # ---- the world
    def world(self, bible: Bible) -> World:
        """The whole world as of now: ``bible``'s cast and places with every canon fact.

        In draft mode the facts of earlier drafts count too. Built once, reused until facts or bible change.
        """
        facts_path = self.canon.root / "facts.jsonl"
        draft_files = sorted(self.root.glob("drafts/ep-*/facts.json")) if self.include_drafts and self.root else []
        key = (bible.model_dump_json(), *(_stamp(p) for p in [facts_path, *draft_files]))
        if self._world is None or self._world[0] != key:
            facts = self.canon.facts()
            for path in draft_files:
                facts += [Fact.model_validate(f) for f in json.loads(path.read_text(encoding="utf-8"))]
            self._world = (key, World(bible.characters, bible.locations, facts))
        return self._world[1]

    # ---- gates
    def gate_interrupts(self, gate: str) -> bool:
        """True when ``gate`` must wait for a person in this run."""
        if self.mode == "draft":
            return False
        active = set(self.settings.gates) - set(self.auto_approve)
        return "all" not in self.auto_approve and gate in active

    @property
    def include_drafts(self) -> bool:
        return self.mode == "draft"

    # ---- files
    def drafts_dir(self, episode: int) -> Path | None:
        return None if self.root is None else self.root / "drafts" / f"ep-{episode:03d}"

    def save_draft(self, episode: int, name: str, data: Any) -> None:
        """Write a draft artifact (idempotent: same content, same bytes)."""
        folder = self.drafts_dir(episode)
        if folder is not None:
            atomic_write(folder / f"{name}.json", json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def log_decision(self, record: dict[str, Any]) -> None:
        """Append a gate decision to logs/decisions.jsonl once (records carry a unique ``key``)."""
        if self.root is None:
            return
        path = self.root / "logs" / "decisions.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if f'"key": "{record["key"]}"' in line:
                    return
        append_jsonl(path, {"time": time.time(), **record})


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (str(path), 0, 0)
    return (str(path), st.st_mtime_ns, st.st_size)
