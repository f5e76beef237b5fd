"""Exact semantic search over the facts' embeddings, masked to the facts that hold at one point in story time.

The chroma collection is the store of record; this is the in-process copy that answers queries. Facts
with the same sentence share one vector (a whereabouts line recurs in every episode), so the matrix holds
one row per distinct sentence. The rows are laid out by how long their facts hold (see :meth:`_lay_out`),
so the rows that can hold at a point form a few contiguous slices found by binary search: a query costs
one matrix-vector product over those slices only (about the facts holding then, 30k of 103k at ~100k
facts, instead of all rows), a gather to the facts, and a mask ``start <= at < end``
(:func:`showrunner.world.timeline.point`).

The answer is exact and deterministic: scores are rounded to ``SCORE_STEP`` before ranking, and equal
scores are ordered by fact id before the cut to ``k``, so the same facts and vectors give the same hits in
every run, after a rebuild and after a resume (no approximate-search neighbours falling on either side of
the cut). The product runs on ``threads`` BLAS threads (1 by default): OpenBLAS's default of every core
took 15.9 ms p50 for 20k x 384 on a busy 2-core machine, one thread 3.2 ms. Memory: 4 bytes x dim plus
one integer per distinct sentence (384 dims: 1.5 kB; at most 155 MB per 100k facts when every sentence
is distinct) plus three integers per fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np

from showrunner.models import Fact
from showrunner.world.timeline import FOREVER, span

SCORE_STEP = 1e-4  # cosine similarities closer than this are a tie, broken by fact id
_OPEN = 64  # the bucket of rows some fact of which never ends


@cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class ExactVectors:
    """Facts with their spans and one shared vector per distinct sentence; exact top-k at a point in time."""

    def __init__(self, dim: int, *, threads: int = 1) -> None:
        self.dim = dim
        self.threads = threads
        self._vecs = np.zeros((0, dim), dtype=np.float32)  # capacity-doubling buffer of distinct sentences
        self._n_vecs = 0
        self._vec_of: dict[str, int] = {}  # sentence -> row of _vecs
        self._facts: dict[str, tuple[Fact, int]] = {}  # fact id -> (fact, row of _vecs)
        self._arrays: tuple[list[Fact], np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lo = np.zeros(0, dtype=np.int64)  # first start of each row, in layout order
        self._buckets: list[tuple[int, int, int]] = []  # (span-length bucket, first row, end row)

    def __len__(self) -> int:
        return len(self._facts)

    def vector(self, text: str) -> np.ndarray | None:
        """The stored vector of ``text`` (a sentence some fact has), or None."""
        row = self._vec_of.get(text)
        return None if row is None else self._vecs[row]

    def upsert(self, facts: Sequence[Fact], vectors: np.ndarray) -> None:
        """Insert or replace ``facts`` (with ids) and their sentences' unit vectors, row for row."""
        if len(facts) != len(vectors):
            raise ValueError(f"{len(facts)} facts but {len(vectors)} vectors")
        for fact, vec in zip(facts, vectors, strict=True):
            text = fact.sentence()
            row = self._vec_of.get(text)
            if row is None:  # the first vector seen for a sentence is the one every fact with it shares
                row = self._append(np.asarray(vec, dtype=np.float32))
                self._vec_of[text] = row
            self._facts[fact.id] = (fact, row)
        self._arrays = None

    def remove(self, ids: Iterable[str]) -> None:
        """Drop facts by id, and the vectors no fact uses any more."""
        for i in ids:
            self._facts.pop(i, None)
        used = sorted({row for _, row in self._facts.values()})
        if len(used) == self._n_vecs:
            self._arrays = None
            return
        remap = {old: new for new, old in enumerate(used)}
        self._vecs = self._vecs[used].copy() if used else np.zeros((0, self.dim), dtype=np.float32)
        self._n_vecs = len(used)
        self._vec_of = {t: remap[r] for t, r in self._vec_of.items() if r in remap}
        self._facts = {i: (f, remap[r]) for i, (f, r) in self._facts.items()}
        self._arrays = None

    def _append(self, vec: np.ndarray) -> int:
        if self._n_vecs == len(self._vecs):
            grown = np.zeros((max(256, 2 * len(self._vecs)), self.dim), dtype=np.float32)
            grown[:self._n_vecs] = self._vecs[:self._n_vecs]
            self._vecs = grown
        self._vecs[self._n_vecs] = vec
        self._n_vecs += 1
        return self._n_vecs - 1

    def _columns(self) -> tuple[list[Fact], np.ndarray, np.ndarray, np.ndarray]:
        """Facts in id order with their start, end and vector row as arrays (rebuilt after a change)."""
        if self._arrays is None:
            items = sorted(self._facts.items())
            facts = [f for _, (f, _) in items]
            spans = np.array([span(f) for f in facts], dtype=np.int64).reshape(-1, 2)
            rows = self._lay_out(spans, np.array([r for _, (_, r) in items], dtype=np.int64))
            self._arrays = (facts, spans[:, 0].copy(), spans[:, 1].copy(), rows)
        return self._arrays

    def _lay_out(self, spans: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Reorder the matrix by (span-length bucket, first start, sentence); returns ``rows`` renumbered.

        A row's span is the hull of its facts' spans. Rows whose hull is at most ``2**b`` long sit together
        in bucket ``b``, sorted by start, so the rows of bucket ``b`` that can hold at ``at`` are the ones
        starting in ``(at - 2**b, at]``: one contiguous slice, found by binary search. Open-ended rows (and
        rows no fact uses, which start never) form the last bucket, whose slice is every row started by
        ``at``. The sentence breaks ties, so the same facts give the same layout whatever the insert order.
        """
        n = self._n_vecs
        lo, hi = np.full(n, FOREVER, dtype=np.int64), np.zeros(n, dtype=np.int64)
        np.minimum.at(lo, rows, spans[:, 0])
        np.maximum.at(hi, rows, spans[:, 1])
        bucket = np.where((hi >= FOREVER) | (lo >= FOREVER), _OPEN, np.frexp(np.maximum(hi - lo - 1, 0))[1])
        texts = np.empty(n, dtype=object)
        for text, r in self._vec_of.items():
            texts[r] = text
        perm = np.lexsort((texts.astype(str), lo, bucket))
        new_of = np.empty(n, dtype=np.int64)
        new_of[perm] = np.arange(n)
        self._vecs = np.ascontiguousarray(self._vecs[perm])
        self._vec_of = {t: int(new_of[r]) for t, r in self._vec_of.items()}
        self._facts = {i: (f, int(new_of[r])) for i, (f, r) in self._facts.items()}
        self._lo = lo[perm]
        bucket = bucket[perm]
        cuts = np.flatnonzero(np.diff(bucket)) + 1
        self._buckets = [(int(bucket[a]), int(a), int(z)) for a, z in
                         zip(np.r_[0, cuts], np.r_[cuts, n], strict=True) if z > a]
        return new_of[rows]

    def _slices(self, at: int) -> list[tuple[int, int]]:
        """The contiguous row ranges holding every row that can hold at ``at``."""
        out = []
        for b, a, z in self._buckets:
            top = a + int(np.searchsorted(self._lo[a:z], at, side="right"))
            bottom = a if b == _OPEN else a + int(np.searchsorted(self._lo[a:z], at - 2**b, side="right"))
            if top > bottom:
                out.append((bottom, top))
        return out

    def facts(self) -> list[Fact]:
        """Every fact held, in id order."""
        return list(self._columns()[0])

    def nbytes(self) -> int:
        """Bytes held by the vectors and the per-fact arrays (not the facts themselves)."""
        _, start, end, rows = self._columns()
        return int(self._n_vecs * (self.dim * 4 + self._lo.itemsize) + start.nbytes + end.nbytes + rows.nbytes)

    def search(self, query: np.ndarray, at: int, k: int, max_distance: float) -> list[Fact]:
        """The ``k`` facts holding at point ``at`` nearest to the unit vector ``query``, nearest first.

        Only facts closer than ``max_distance`` (cosine) count; equal rounded scores come in fact-id order.
        """
        facts, start, end, rows = self._columns()
        if not facts or k <= 0:
            return []
        live = np.flatnonzero((start <= at) & (end > at))
        if live.size == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        sims = np.empty(self._n_vecs, dtype=np.float32)  # filled only where a live fact's row can be
        with _blas().limit(limits=self.threads, user_api="blas"):
            for a, z in self._slices(at):
                np.dot(self._vecs[a:z], q, out=sims[a:z])
        keys = np.rint(sims[rows[live]].astype(np.float64) / SCORE_STEP).astype(np.int64)
        near = keys > np.rint((1.0 - max_distance) / SCORE_STEP)
        live, keys = live[near], keys[near]
        if live.size > k:  # every fact tied with the k-th best stays a candidate, so ties are cut by id
            kth = np.partition(keys, keys.size - k)[keys.size - k]
            tied = keys >= kth
            live, keys = live[tied], keys[tied]
        # live is in fact-id order, so a stable sort on the key alone orders equal keys by id
        order = live[np.argsort(-keys, kind="stable")][:k]
        return [facts[i] for i in order]
