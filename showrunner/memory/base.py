"""The memory protocol the agents depend on; implementations live beside it (chroma_store.py).

The canon files (``canon.py``) are the source of truth; the vector store is an index derived from them.
Agents never read the whole history: they call :meth:`MemoryStore.retrieve`, which returns the facts that
matter for one scene or shot within a token budget, so the cost of an episode stays flat as the series grows.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from showrunner.models import Fact

Space = Literal["canon", "draft"]


class ContextPack(BaseModel):
    """What a retrieval call returns: facts in priority order, rendered text, and its token count."""

    facts: list[Fact] = Field(default_factory=list)
    text: str = ""
    tokens: int = 0
    truncated: bool = False


@runtime_checkable
class MemoryStore(Protocol):
    """Versioned facts plus semantic search, split into an approved ``canon`` and a ``draft`` space."""

    def add_facts(self, facts: list[Fact], *, space: Space = "canon") -> None:
        """Index facts (upsert by id) in ``space``."""
        ...

    def retrieve(self, *, episode: int, scene: int | None = None, characters: list[str] | None = None,
                 locations: list[str] | None = None, query: str = "", budget_tokens: int = 600,
                 include_drafts: bool = False) -> ContextPack:
        """Hard facts on who and what is on screen first, then semantic neighbours, then recent events."""
        ...

    def world_state(self, episode: int, scene: int | None = None) -> list[Fact]:
        """Every canon fact that holds at (episode, scene)."""
        ...

    def clear(self, *, space: Space = "draft") -> None:
        """Drop everything in ``space``."""
        ...
