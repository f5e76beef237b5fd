"""Chroma plumbing for the memory store: the client, stored metadata, paged reads, the ANN query, release.

Each fact is stored with its sentence as the document, its vector, and two metadata fields: the span
``[start, end)`` as integers (:func:`showrunner.world.timeline.span`, filterable by a Chroma ``where``) and
the fact itself as JSON, so the collection alone reloads the in-process indexes without the canon files
or re-embedding anything. Kind, subject, episode and the rest live in that JSON only: every metadata key
is a row in Chroma's SQLite, and with the twelve keys stored before the writes took 1.6 times as long.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from showrunner.errors import BadInput
from showrunner.io import create_file
from showrunner.memory.vectors import SCORE_STEP
from showrunner.models import Fact
from showrunner.world.timeline import span

if TYPE_CHECKING:
    from showrunner.config import Settings

def meta(fact: Fact) -> dict[str, Any]:
    """The metadata stored with a fact: its span as two integers and the fact itself as JSON."""
    start, end = span(fact)
    return {"start": start, "end": end, "fact": fact.model_dump_json(exclude_none=True)}


def connect(settings: Settings, path: Path) -> Any:
    """An ``HttpClient`` for ``settings.chroma_url``, else a ``PersistentClient`` on ``path``."""
    tele = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise BadInput(f"chroma_url {settings.chroma_url!r} is not http://host:port; fix the setting")
        return chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                                   settings=tele)
    if not (path / "chroma.sqlite3").is_file():
        release(path)  # the folder was deleted under a client this process cached: start clean
    path.mkdir(parents=True, exist_ok=True)
    create_file(path / "chroma.sqlite3")  # SQLite would create it 0644 whatever the umask
    return chromadb.PersistentClient(path=str(path), settings=tele)


def ann_search(col: Any, vec: Any, *, at: int, k: int, size: int, max_distance: float) -> list[Fact]:
    """Chroma's HNSW queried without a filter, widened until ``k`` hits hold at point ``at``, then ranked.

    Approximate: which near-tied neighbours fall inside the fetched window can change with a rebuild.
    Hits are ordered like the exact search (score rounded to ``SCORE_STEP``, then fact id).
    """
    fetch, hits = min(size, 4 * k), []
    while fetch:
        res = col.query(query_embeddings=[vec], n_results=fetch, include=["metadatas", "distances"])
        found = list(zip((res["distances"] or [[]])[0], res["ids"][0], (res["metadatas"] or [[]])[0], strict=True))
        hits = [h for h in found if h[2]["start"] <= at < h[2]["end"] and h[0] < max_distance]
        if len(hits) >= k or fetch >= size or not found or found[-1][0] >= max_distance:
            break
        fetch = min(size, fetch * 4)
    ranked = sorted(hits, key=lambda h: (round(h[0] / SCORE_STEP), h[1]))[:k]
    return [Fact.model_validate_json(m["fact"]) for _, _, m in ranked]


def read_all(col: Any, *, page: int, vectors: bool) -> list[tuple[str, str, Any]]:
    """(id, fact JSON, embedding or None) of everything in ``col``, in id order, read ``page`` at a time."""
    out: list[tuple[str, str, Any]] = []
    include = ["metadatas", "embeddings"] if vectors else ["metadatas"]
    while True:
        got = col.get(include=include, limit=page, offset=len(out))
        embs = got.get("embeddings") if vectors else None
        metas = got["metadatas"] or []
        out += [(i, (m or {}).get("fact", ""), None if embs is None else embs[n])
                for n, (i, m) in enumerate(zip(got["ids"], metas, strict=True))]
        if len(got["ids"]) < page:
            return sorted(out, key=lambda r: r[0])


def release(path: Path) -> None:
    """Drop chromadb's in-process cached client for ``path`` (as if this process had never opened it)."""
    from chromadb.api.client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    if system is not None:
        try:
            system.stop()
        except Exception:  # noqa: BLE001 - a broken system is what we are discarding
            pass
