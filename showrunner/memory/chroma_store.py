"""The vector memory: a chromadb index derived from the canon files (``MemoryStore`` implementation).

Embedded ``PersistentClient`` in ``<project>/memory`` by default, ``HttpClient`` when
``settings.chroma_url`` is set. Two collections per series: ``…-canon`` (approved facts) and ``…-draft``
(drafts, never read by a canon query); what is stored with each fact is in ``chroma_client.py``.
The index is disposable: a missing, stale or corrupted one is rebuilt or
re-synced from the canon files on open, never fatal.

Queries do not go through Chroma's filtered search (its story-time ``where`` filter cost 45 ms of a 75 ms
retrieval at 20k facts, and its approximate top-k was not reproducible). With ``memory_search="exact"``
(the default) the stored embeddings are loaded once into :class:`~showrunner.memory.vectors.ExactVectors`
and searched exactly, masked to the facts that hold; ``"ann"`` asks Chroma's HNSW without a filter and
filters the hits, for indexes too large to hold in memory. Query vectors are cached by text, fact counts
are kept rather than asked for, and ingest embeds each distinct sentence once while the previous batch
is written to Chroma on a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from showrunner.errors import BadInput, ServiceError
from showrunner.memory.base import ContextPack, Space
from showrunner.memory.chroma_client import ann_search, connect, meta, read_all, release
from showrunner.memory.embeddings import HashEmbedder, MiniLMEmbedder, make_embedder
from showrunner.memory.vectors import ExactVectors
from showrunner.models import Fact, slugify
from showrunner.world.names import Names
from showrunner.world.timeline import FactIndex, point

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.memory.canon import Canon
    from showrunner.pipelines.project import Project

log = logging.getLogger(__name__)
EMBED_BATCH = 512
QUERY_CACHE = 4096  # query vectors kept, by text
MAX_DISTANCE = 0.9  # cosine distance; farther hits share nothing with the query and are not neighbours


class ChromaMemory:
    """Canon and draft fact collections of one series, plus in-process indexes of their facts and vectors."""

    def __init__(self, client: Any, embedder: HashEmbedder | MiniLMEmbedder, *, name: str = "series",
                 canon: Canon | None = None, search: str = "exact", threads: int = 1) -> None:
        if search not in ("exact", "ann"):
            raise BadInput(f"unknown memory_search {search!r}; choose one of: exact, ann")
        self.client = client
        self.embedder = embedder
        self.name = slugify(name, fallback="series")[:40]
        self.canon = canon
        self.search_mode = search
        self.threads = threads  # BLAS threads of the exact search (the embedder has its own)
        self.path: Path | None = None
        self._index: FactIndex | None = None
        self._vectors: dict[str, ExactVectors] = {}  # per space, exact mode
        self._counts: dict[str, int] = {}  # per space, ann mode: asked once, forgotten on a write
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
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
        emb = make_embedder(settings.embedder, threads=settings.embed_threads)
        def make() -> ChromaMemory:
            return cls(connect(settings, project.memory_dir), emb, name=name, canon=canon,
                       search=settings.memory_search, threads=settings.embed_threads)

        try:
            mem = make()
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
            mem = make()
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

    def _empty(self) -> ExactVectors:
        return ExactVectors(self.embedder.dim, threads=self.threads)

    def _stored(self, space: Space, *, vectors: bool) -> list[tuple[str, str, Any]]:
        return read_all(self.col(space), page=self.max_batch, vectors=vectors)

    def _vecs(self, space: Space) -> ExactVectors:
        """The exact search index of ``space``, loaded from the collection on first use."""
        if space not in self._vectors:
            rows = [r for r in self._stored(space, vectors=True) if r[1]]
            vecs = self._empty()
            if rows:
                vecs.upsert([Fact.model_validate_json(j) for _, j, _ in rows], np.asarray([e for *_, e in rows]))
            self._vectors[space] = vecs
        return self._vectors[space]

    # ---- writing
    def add_facts(self, facts: list[Fact], *, space: Space = "canon") -> None:
        """Upsert facts by id.

        Each distinct new sentence is embedded once; a batch is written to Chroma on a worker thread while
        the next one embeds.
        """
        facts = [f.model_copy(update={"id": f.id or _fid(f)}) for f in facts]
        if not facts:
            return
        col, vecs = self.col(space), self._vecs(space) if self.search_mode == "exact" else None
        known: dict[str, np.ndarray] = {}
        rows: list[np.ndarray] = []
        step = min(EMBED_BATCH * 8, self.max_batch)
        pending: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-upsert") as pool:
            for i in range(0, len(facts), step):
                chunk = facts[i:i + step]
                docs = [f.sentence() for f in chunk]
                for t in docs:
                    if t not in known and vecs is not None and (v := vecs.vector(t)) is not None:
                        known[t] = v
                new = list(dict.fromkeys(t for t in docs if t not in known))
                known.update(zip(new, self.embedder.embed(new), strict=True))
                embs = np.stack([known[t] for t in docs])
                rows.append(embs)
                if pending is not None:
                    pending.result()
                pending = pool.submit(col.upsert, ids=[f.id for f in chunk], documents=docs,
                                      metadatas=[meta(f) for f in chunk], embeddings=embs)
            if pending is not None:
                pending.result()
        if vecs is not None:
            vecs.upsert(facts, np.concatenate(rows))
        self._counts.pop(space, None)
        if space == "canon" and self._index is not None:
            self._index.add(facts)

    def clear(self, *, space: Space = "draft") -> None:
        """Drop everything in ``space``."""
        try:
            self.client.delete_collection(self._col_name(space))
        except Exception:  # noqa: BLE001 - absent already
            pass
        self._cols.pop(space, None)
        self._vectors[space] = self._empty()
        self._counts[space] = 0
        if space == "canon":
            self._index = FactIndex()

    def rebuild(self, canon: Canon | None = None) -> int:
        """Recreate the canon collection from the canon files; returns the number of facts indexed."""
        canon = canon or self.canon
        if canon is None:
            raise BadInput("no canon to rebuild the memory from; pass the project")
        facts = canon.facts()
        self._resolver = None
        self.clear(space="canon")
        self.add_facts(facts, space="canon")
        self._index = FactIndex(facts)
        return len(facts)

    def sync(self, canon: Canon) -> int:
        """Bring the canon collection in line with the files (new, changed, removed facts); returns changes."""
        facts = {f.id or _fid(f): f for f in canon.facts()}
        self._resolver = None
        exact = self.search_mode == "exact"
        stored = self._stored("canon", vectors=exact)
        have = {i: j for i, j, _ in stored}
        changed = [f for i, f in facts.items() if have.get(i) != f.model_dump_json(exclude_none=True)]
        gone = [i for i, _, _ in stored if i not in facts]
        if gone:
            self.col("canon").delete(ids=gone)
        if exact:  # the stored vectors serve every fact whose sentence is unchanged
            keep = [(i, j, e) for i, j, e in stored if i in facts and j]
            vecs = self._empty()
            if keep:
                vecs.upsert([Fact.model_validate_json(j) for _, j, _ in keep], np.asarray([e for *_, e in keep]))
            self._vectors["canon"] = vecs
        if changed:
            self.add_facts(changed, space="canon")
        if exact:
            self._vectors["canon"].remove(gone)  # also drops vectors of sentences no fact has any more
        self._counts["canon"] = len(facts)
        self._index = FactIndex(facts.values())
        return len(changed) + len(gone)

    # ---- reading
    def index(self) -> FactIndex:
        """The canon facts in memory, kept in step with every write made through this store.

        Writes by another process (one run per project holds the lock) are picked up by the next open's sync.
        """
        if self._index is None:
            facts = (self._vecs("canon").facts() if self.search_mode == "exact"
                     else [Fact.model_validate_json(j) for _, j, _ in self._stored("canon", vectors=False) if j])
            self._index = FactIndex(facts)
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

    def query_vector(self, text: str) -> np.ndarray:
        """The embedding of ``text``, cached by text (least recently used dropped past ``QUERY_CACHE``)."""
        vec = self._queries.get(text)
        if vec is None:
            vec = self._queries[text] = self.embedder.embed([text])[0]
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        else:
            self._queries.move_to_end(text)
        return vec

    def search(self, query: str, *, episode: int, scene: int | None = None, k: int = 8,
               space: Space = "canon") -> list[Fact]:
        """Semantic neighbours of ``query`` among facts holding at (episode, scene), nearest first.

        Equal distances (to ``SCORE_STEP``) come in id order, so every run, rebuild and resume answers alike.
        """
        if not query.strip():
            return []
        at = point(episode, scene)
        if self.search_mode == "exact":
            vecs = self._vecs(space)
            return vecs.search(self.query_vector(query), at, k, MAX_DISTANCE) if len(vecs) else []
        return self._search_ann(query, at, k, space)

    def _search_ann(self, query: str, at: int, k: int, space: Space) -> list[Fact]:
        if space not in self._counts:
            self._counts[space] = self.col(space).count()
        return ann_search(self.col(space), self.query_vector(query), at=at, k=k, size=self._counts[space],
                          max_distance=MAX_DISTANCE)

    def retrieve(self, *, episode: int, scene: int | None = None, characters: list[str] | None = None,
                 locations: list[str] | None = None, query: str = "", budget_tokens: int = 600,
                 include_drafts: bool = False) -> ContextPack:
        """Hard facts on who and what is on screen, then semantic neighbours, then recent events."""
        from showrunner.memory.retrieval import build_pack

        return build_pack(self, episode=episode, scene=scene, characters=characters or [],
                          locations=locations or [], query=query, budget_tokens=budget_tokens,
                          include_drafts=include_drafts)


def _fid(fact: Fact) -> str:
    from showrunner.world.timeline import fact_id
    return fact_id(fact)


def timed_rebuild(mem: ChromaMemory, canon: Canon) -> tuple[int, float]:
    """Rebuild and return (facts, seconds): used by ``showrunner memory rebuild``."""
    t0 = time.perf_counter()
    n = mem.rebuild(canon)
    return n, time.perf_counter() - t0
