"""Series memory: canon files (the source of truth), the canon import format, and the vector index.

``open_memory(project, settings)`` is the one way in: it opens the project's chromadb index (rebuilding
it from the canon files when missing or corrupted) with the configured embedder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from showrunner.memory.base import ContextPack, MemoryStore, Space
from showrunner.memory.canon import Canon

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.memory.chroma_store import ChromaMemory
    from showrunner.pipelines.project import Project

__all__ = ["Canon", "ContextPack", "MemoryStore", "Space", "open_memory"]


def open_memory(project: Project, settings: Settings) -> ChromaMemory:
    """Open (or create, or rebuild) the project's vector memory."""
    from showrunner.memory.chroma_store import ChromaMemory

    return ChromaMemory.for_project(project, settings)
