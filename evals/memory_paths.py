"""The memory paths measured beside the current one by evals/memory_bench.py, kept only for that.

* :class:`BeforeMemory`: the query path before issue 14 (Chroma's filtered HNSW, the query embedded on
  torch's default thread count, ``count()`` on every call);
* :func:`full_scan`: the exact search before the row layout of :mod:`showrunner.memory.vectors` (the
  product over every row, then the mask), which must return the same facts as the current one.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from showrunner.memory.base import Space
from showrunner.memory.chroma_store import MAX_DISTANCE, ChromaMemory
from showrunner.memory.embeddings import HashEmbedder, MiniLMEmbedder
from showrunner.memory.vectors import SCORE_STEP, ExactVectors, _blas
from showrunner.models import Fact
from showrunner.world.timeline import FactIndex, point

# ---- the path before issue 14, kept only to be measured beside the current one. Every semantic query
# embedded its text afresh on torch's default thread count, asked Chroma for the count twice and ran
# Chroma's approximate search with the story-time ``where`` filter; ``index()`` asked for the count on
# every call; ties were sorted by id only after the approximate cut. It reads the current collection.

def before_embedder(name: str) -> HashEmbedder | MiniLMEmbedder:
    """The embedder as it was configured before: MiniLM on torch, on torch's default thread count."""
    if name.startswith("hash"):
        return HashEmbedder(384 if name == "hash384" else 256)
    import torch

    return MiniLMEmbedder(threads=torch.get_num_threads() or os.cpu_count() or 1, runtime="torch")


def full_scan(vecs: ExactVectors, query: Any, at: int, k: int) -> list[Fact]:
    """The exact search as it was before the row layout: the product over every row, then the mask."""
    facts, start, end, rows = vecs._columns()
    live = np.flatnonzero((start <= at) & (end > at))
    with _blas().limit(limits=vecs.threads, user_api="blas"):
        sims = vecs._vecs[:vecs._n_vecs] @ np.asarray(query, dtype=np.float32).reshape(-1)
    keys = np.rint(sims.astype(np.float64) / SCORE_STEP).astype(np.int64)[rows[live]]
    near = keys > np.rint((1.0 - MAX_DISTANCE) / SCORE_STEP)
    live, keys = live[near], keys[near]
    return [facts[i] for i in live[np.lexsort((live, -keys))][:k]]


class BeforeMemory(ChromaMemory):
    """The pre-issue-14 query path over an existing collection (never writes)."""

    def __init__(self, client: Any, embedder: HashEmbedder | MiniLMEmbedder, index: FactIndex, **kw: Any) -> None:
        super().__init__(client, embedder, **kw)
        self._index = index
        self._polled = -1

    def index(self) -> FactIndex:
        """The canon facts; the collection's count was asked on every call to notice outside writes."""
        self._polled = self.col("canon").count()
        assert self._index is not None
        return self._index

    def search(self, query: str, *, episode: int, scene: int | None = None, k: int = 8,
               space: Space = "canon") -> list[Fact]:
        """Chroma's approximate search with the story-time filter, ties sorted after the cut."""
        col = self.col(space)
        if not query.strip() or col.count() == 0:
            return []
        return self.search_vector(self.embedder.embed([query]), episode=episode, scene=scene, k=k, space=space)

    def search_vector(self, vec: Any, *, episode: int, scene: int | None = None, k: int = 8,
                      space: Space = "canon") -> list[Fact]:
        """The filtered Chroma query alone, for an already embedded query."""
        col = self.col(space)
        at = point(episode, scene)
        res = col.query(query_embeddings=vec, n_results=min(k, col.count()),
                        where={"$and": [{"start": {"$lte": at}}, {"end": {"$gt": at}}]},
                        include=["metadatas", "distances"])
        hits = zip((res["distances"] or [[]])[0], res["ids"][0], (res["metadatas"] or [[]])[0], strict=False)
        ranked = sorted(hits, key=lambda h: (round(h[0], 5), h[1]))
        return [Fact.model_validate_json(m["fact"]) for d, _, m in ranked if d < MAX_DISTANCE]
