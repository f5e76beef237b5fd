"""Series memory: canon files (source of truth), the canon import format, and the vector index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.pipelines.project import Project


def open_memory(project: Project, settings: Settings) -> Any:
    """Open (or create) the project's vector memory; being built in chroma_store.py."""
    from showrunner.memory.chroma_store import ChromaMemory  # type: ignore[import-not-found]

    return ChromaMemory.for_project(project, settings)
