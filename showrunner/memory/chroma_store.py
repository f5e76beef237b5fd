"""The vector memory: a chromadb index derived from the canon files (``MemoryStore`` implementation).

Embedded ``PersistentClient`` in ``<project>/memory`` by default, ``HttpClient`` when
``settings.chroma_url`` is set. Two collections per series: ``…-canon`` (approved facts) and ``…-draft``
(drafts, never read by a canon query). Each fact is stored with its sentence as the document and
metadata for filtering (kind, subject, predicate, episode/scene from and until, the span as two
integers, an ``entities`` array) plus the fact itself as JSON, so the index can answer world-state
questions without the files. The index is disposable: a missing, stale or corrupted one is rebuilt or
re-synced from the canon files on open, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings

from showrunner.errors import BadInput, ServiceError
from showrunner.io import create_file
from showrunner.memory.base import ContextPack, Space
from showrunner.memory.embeddings import HashEmbedder, MiniLMEmbedder, make_embedder
from showrunner.models import Fact, FactKind, slugify
from showrunner.world.names import Names
from showrunner.world.timeline import FOREVER, FactIndex, point, span

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.memory.canon import Canon
    from showrunner.pipelines.project import Project

log = logging.getLogger(__name__)
EMBED_BATCH = 512
MAX_DISTANCE = 0.9  # cosine distance; farther hits share nothing with the query and are not neighbours
_LINKED = {FactKind.relationship, FactKind.whereabouts}


def _meta(fact: Fact) -> dict[str, Any]:
    start, end = span(fact)
    until = fact.valid_until
    entities = [fact.subject] + ([fact.object] if fact.kind in _LINKED else [])
    return {"kind": str(fact.kind), "subject": fact.subject, "predicate": fact.predicate,
            "object": fact.object[:500], "episode_from": fact.valid_from.episode,
            "scene_from": -1 if fact.valid_from.scene is None else fact.valid_from.scene,
            "episode_until": FOREVER if until is None else until.episode,
            "scene_until": -1 if until is None or until.scene is None else until.scene,
            "start": start, "end": end, "entities": entities, "fact": fact.model_dump_json(exclude_none=True)}


def _client(settings: Settings, path: Path) -> Any:
    tele = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise BadInput(f"chroma_url {settings.chroma_url!r} is not http://host:port; fix the setting")
        return chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                                   settings=tele)
    if not (path / "chroma.sqlite3").is_file():
        release(path)  # the folder was deleted under a client this process cached: start clean
    create_file(path / "chroma.sqlite3")  # SQLite would create it 0644 whatever the umask
    return chromadb.PersistentClient(path=str(path), settings=tele)


class ChromaMemory:
    """Canon and draft fact collections of one series, plus an in-process index of canon facts."""

    def __init__(self, client: Any, embedder: HashEmbedder | MiniLMEmbedder, *, name: str = "series",
                 canon: Canon | None = None) -> None:
        self.client = client
        self.embedder = embedder
        self.name = slugify(name, fallback="series")[:40]
        self.canon = canon
        self.path: Path | None = None
        self._index: FactIndex | None = None
        self._index_count = -1
        self._cols: dict[str, Any] = {}
        self._resolver: tuple[Names, Names] | None = None
        self.max_batch = int(getattr(client, "get_max_batch_size", lambda: 5000)())

    # ---- opening
    @classmethod
    def for_project(cls, project: Project, settings: Settings) -> ChromaMemory:
        """Open the project's index; rebuild it when missing or corrupted, re-sync it when stale."""
        from showrunner.memory.canon import Canon
        canon = Canon(project.canon_dir)
        tag = hashlib.sha1(str(project.root).encode()).hexdigest()[:8]
        name = f"sr-{tag}" if settings.chroma_url else "series"
        emb = make_embedder(settings.embedder)
        try:
            mem = cls(_client(settings, project.memory_dir), emb, name=name, canon=canon)
            mem.path = None if settings.chroma_url else project.memory_dir
            mem.sync(canon)
        except (BadInput, ServiceError):
            raise
        except Exception as exc:  # a corrupted index: it is derived, so start again from the files
            if settings.chroma_url:
                raise ServiceError(f"the Chroma server at {settings.chroma_url} failed ({exc}); check it") from exc
            log.warning("memory index at %s is unreadable (%s); rebuilding from canon", project.memory_dir, exc)
            release(project.memory_dir)
            shutil.rmtree(project.memory_dir, ignore_errors=True)
            mem = cls(_client(settings, project.memory_dir), emb, name=name, canon=canon)
            mem.path = project.memory_dir
            mem.rebuild(canon)
        return mem

    def close(self) -> None:
        """Release the embedded client (other handles on the same folder in this process stop working)."""
        if self.path is not None:
            release(self.path)
        self._cols.clear()

    def _col_name(self, space: Space) -> str:
        # one collection per embedder: switching embedders never meets a conflicting persisted one
        return f"{self.name}-{space}-{self.embedder.name().removeprefix('showrunner-')}"

    def col(self, space: Space) -> Any:
        if space not in self._cols:
            self._cols[space] = self.client.get_or_create_collection(
                self._col_name(space), embedding_function=self.embedder,
                metadata={"hnsw:space": "cosine", "showrunner": space})
        return self._cols[space]

    # ---- writing
    def add_facts(self, facts: list[Fact], *, space: Space = "canon") -> None:
        """Upsert facts by id, embedding their sentences in large batches."""
        facts = [f.model_copy(update={"id": f.id or _fid(f)}) for f in facts]
        col = self.col(space)
        step = min(EMBED_BATCH * 8, self.max_batch)
        for i in range(0, len(facts), step):
            chunk = facts[i:i + step]
            docs = [f.sentence() for f in chunk]
            col.upsert(ids=[f.id for f in chunk], documents=docs, metadatas=[_meta(f) for f in chunk],
                       embeddings=self.embedder.embed(docs))
        if space == "canon" and self._index is not None:
            self._index.add(facts)
            self._index_count = col.count()

    def clear(self, *, space: Space = "draft") -> None:
        """Drop everything in ``space``."""
        try:
            self.client.delete_collection(self._col_name(space))
        except Exception:  # noqa: BLE001 - absent already
            pass
        self._cols.pop(space, None)
        if space == "canon":
            self._index, self._index_count = FactIndex(), 0

    def rebuild(self, canon: Canon | None = None) -> int:
        """Recreate the canon collection from the canon files; returns the number of facts indexed."""
        canon = canon or self.canon
        if canon is None:
            raise BadInput("no canon to rebuild the memory from; pass the project")
        facts = canon.facts()
        self._resolver = None
        self.clear(space="canon")
        self.add_facts(facts, space="canon")
        self._index, self._index_count = FactIndex(facts), len(facts)
        return len(facts)

    def sync(self, canon: Canon) -> int:
        """Bring the canon collection in line with the files (new, changed, removed facts); returns changes."""
        facts = {f.id or _fid(f): f for f in canon.facts()}
        self._resolver = None
        have = self.col("canon").get(include=["metadatas"])
        stored = {i: (m or {}).get("fact") for i, m in zip(have["ids"], have["metadatas"] or [], strict=False)}
        changed = [f for i, f in facts.items() if stored.get(i) != f.model_dump_json(exclude_none=True)]
        gone = [i for i in stored if i not in facts]
        if gone:
            self.col("canon").delete(ids=gone)
        if changed:
            self.add_facts(changed, space="canon")
        self._index, self._index_count = FactIndex(facts.values()), len(facts)
        return len(changed) + len(gone)

    # ---- reading
    def index(self) -> FactIndex:
        """The canon facts in memory (reloaded when the collection changed under us)."""
        count = self.col("canon").count()
        if self._index is None or count != self._index_count:
            got = self.col("canon").get(include=["metadatas"])
            self._index = FactIndex(Fact.model_validate_json(m["fact"]) for m in got["metadatas"] or [])
            self._index_count = count
        return self._index

    def resolver(self) -> tuple[Names, Names] | None:
        """Name resolvers for the canon's characters and places (cached); None without a canon."""
        if self._resolver is None:
            if self.canon is None or not self.canon.root.is_dir():
                return None
            self._resolver = (Names.of(self.canon.characters()), Names.of(self.canon.locations()))
        return self._resolver

    def world_state(self, episode: int, scene: int | None = None) -> list[Fact]:
        """Every canon fact that holds at (episode, scene)."""
        return self.index().world_state(episode, scene)

    def search(self, query: str, *, episode: int, scene: int | None = None, k: int = 8,
               space: Space = "canon") -> list[Fact]:
        """Semantic neighbours of ``query`` among facts holding at (episode, scene)."""
        col = self.col(space)
        if not query.strip() or col.count() == 0:
            return []
        at = point(episode, scene)
        res = col.query(query_embeddings=self.embedder.embed([query]), n_results=min(k, col.count()),
                        where={"$and": [{"start": {"$lte": at}}, {"end": {"$gt": at}}]},
                        include=["metadatas", "distances"])
        hits = zip((res["distances"] or [[]])[0], res["ids"][0], (res["metadatas"] or [[]])[0], strict=False)
        # ties broken by id, so a rebuilt index answers exactly as the old one did
        ranked = sorted(hits, key=lambda h: (round(h[0], 5), h[1]))
        return [Fact.model_validate_json(m["fact"]) for d, _, m in ranked if d < MAX_DISTANCE]

    def retrieve(self, *, episode: int, scene: int | None = None, characters: list[str] | None = None,
                 locations: list[str] | None = None, query: str = "", budget_tokens: int = 600,
                 include_drafts: bool = False) -> ContextPack:
        """Hard facts on who and what is on screen, then semantic neighbours, then recent events."""
        from showrunner.memory.retrieval import build_pack

        return build_pack(self, episode=episode, scene=scene, characters=characters or [],
                          locations=locations or [], query=query, budget_tokens=budget_tokens,
                          include_drafts=include_drafts)


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


def _fid(fact: Fact) -> str:
    from showrunner.world.timeline import fact_id
    return fact_id(fact)


def timed_rebuild(mem: ChromaMemory, canon: Canon) -> tuple[int, float]:
    """Rebuild and return (facts, seconds): used by ``showrunner memory rebuild``."""
    t0 = time.perf_counter()
    n = mem.rebuild(canon)
    return n, time.perf_counter() - t0
