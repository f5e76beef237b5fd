"""ExactVectors: the exact, story-time-masked top-k that answers the memory's semantic queries."""

from __future__ import annotations

import numpy as np
import pytest

from showrunner.memory.vectors import SCORE_STEP, ExactVectors
from showrunner.models import Fact, FactKind, SceneRef
from showrunner.world.timeline import point, span


def _fact(i: int, text: str, start: int, end: int | None) -> Fact:
    return Fact(id=f"f-{i:04d}", kind=FactKind.event, subject="mira-vale", predicate="event", object=text,
                text=text, valid_from=SceneRef(episode=start),
                valid_until=None if end is None else SceneRef(episode=end))


def _world(seed: int = 3, n: int = 600, sentences: int = 150) -> tuple[list[Fact], np.ndarray, np.ndarray]:
    """``n`` facts over ``sentences`` distinct sentences (so many facts share a vector), random spans."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(sentences, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    which = rng.integers(0, sentences, size=n)
    facts = []
    for i, s in enumerate(which):
        start = int(rng.integers(1, 20))
        end = None if rng.random() < 0.5 else start + int(rng.integers(1, 10))
        facts.append(_fact(i, f"sentence {s}", start, end))
    order = rng.permutation(n)  # inserted in no particular order
    return [facts[i] for i in order], base[which[order]], base


def _reference(facts: list[Fact], vecs: np.ndarray, q: np.ndarray, at: int, k: int, max_d: float) -> list[str]:
    """Brute force: every holding fact scored, rounded, sorted by (score desc, id)."""
    scored = []
    for f, v in zip(facts, vecs, strict=True):
        s, e = span(f)
        sim = float(np.dot(v.astype(np.float64), q.astype(np.float64)))
        key = round(sim / SCORE_STEP)
        if s <= at < e and key > round((1 - max_d) / SCORE_STEP):
            scored.append((-key, f.id))
    return [i for _, i in sorted(scored)[:k]]


@pytest.mark.parametrize("k", [1, 8, 50])
def test_search_is_exact_masked_by_time_and_cuts_ties_by_id(k: int) -> None:
    facts, vecs, base = _world()
    index = ExactVectors(16)
    index.upsert(facts, vecs)
    rng = np.random.default_rng(11)
    for trial in range(40):
        q = base[trial % len(base)] if trial % 2 else rng.normal(size=16).astype(np.float32)
        q = q / np.linalg.norm(q)
        at = point(int(rng.integers(1, 25)), int(rng.integers(0, 5)))
        got = [f.id for f in index.search(q, at, k, 0.9)]
        assert got == _reference(facts, vecs, q, at, k, 0.9)
        assert all(span(f)[0] <= at < span(f)[1] for f in index.search(q, at, k, 0.9))
    # a query equal to a shared sentence's vector ties every fact with that sentence: lowest ids win the cut
    text_facts = sorted((f for f in facts if f.text == "sentence 7"), key=lambda f: f.id)
    late = point(30)
    open_ = [f.id for f in text_facts if span(f)[1] > late]
    assert [f.id for f in index.search(base[7], late, len(open_), 0.9)] == open_


def test_insert_order_and_replacement_do_not_change_answers() -> None:
    facts, vecs, base = _world(seed=5)
    forward, backward = ExactVectors(16), ExactVectors(16)
    forward.upsert(facts, vecs)
    half = len(facts) // 2
    backward.upsert(facts[half:][::-1], vecs[half:][::-1])
    backward.upsert(facts[:half], vecs[:half])
    backward.upsert(facts[:10], vecs[:10])  # upserting the same facts again changes nothing
    assert len(forward) == len(backward) == len(facts)
    for s in range(0, 150, 7):
        assert [f.id for f in forward.search(base[s], point(12, 1), 8, 0.9)] == \
               [f.id for f in backward.search(base[s], point(12, 1), 8, 0.9)]


def test_facts_share_one_vector_per_sentence_and_removal_frees_it() -> None:
    facts, vecs, _ = _world(n=300, sentences=40)
    index = ExactVectors(16)
    index.upsert(facts, vecs)
    distinct = len({f.text for f in facts})
    assert index.nbytes() == distinct * (16 * 4 + 8) + 3 * 8 * len(facts)
    gone = [f.id for f in facts if f.text == facts[0].text]
    index.remove(gone)
    assert index.vector(facts[0].text) is None and len(index) == len(facts) - len(gone)
    assert index.nbytes() == (distinct - 1) * (16 * 4 + 8) + 3 * 8 * len(index)
    assert all(f.text != facts[0].text for f in index.facts())
    with pytest.raises(ValueError):
        index.upsert(facts[:2], vecs[:1])


def test_far_or_not_yet_true_facts_are_never_returned() -> None:
    index = ExactVectors(2)
    near, far = np.array([[1.0, 0.0]], dtype=np.float32), np.array([[-1.0, 0.0]], dtype=np.float32)
    index.upsert([_fact(1, "near", 5, None)], near)
    index.upsert([_fact(2, "far", 1, None)], far)
    q = np.array([1.0, 0.0], dtype=np.float32)
    assert index.search(q, point(4), 8, 0.9) == []  # "near" holds from E5 on; "far" is too far
    assert [f.text for f in index.search(q, point(5), 8, 0.9)] == ["near"]
    assert ExactVectors(2).search(q, point(5), 8, 0.9) == []


def test_the_length_bucketed_layout_misses_no_fact_at_any_boundary() -> None:
    """Spans from one scene to many episodes, shared sentences with far-apart spans: every edge point agrees."""
    rng = np.random.default_rng(8)
    base = rng.normal(size=(250, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    facts, vecs = [], []
    for i in range(400):
        s = int(rng.integers(0, 250))
        ep, sc = int(rng.integers(1, 40)), int(rng.integers(0, 9))
        long = rng.random() < 0.3
        end = None if rng.random() < 0.2 else SceneRef(episode=ep + int(rng.integers(1, 30)) if long else ep,
                                                       scene=None if long else sc + int(rng.integers(1, 4)))
        facts.append(Fact(id=f"f-{i:04d}", kind=FactKind.event, subject="mira-vale", predicate="event",
                          object=f"s{s}", text=f"s{s}", valid_from=SceneRef(episode=ep, scene=sc), valid_until=end))
        vecs.append(base[s])
    index = ExactVectors(16)
    index.upsert(facts, np.asarray(vecs))
    edges = sorted({p + d for f in facts for p in span(f) if p < 10**12 for d in (-1, 0, 1)})
    for n, at in enumerate(edges[::3]):
        q = base[n % 250]
        assert [f.id for f in index.search(q, at, 12, 0.9)] == _reference(facts, np.asarray(vecs), q, at, 12, 0.9)
    assert len(index._buckets) > 3  # the spans really fall into several length buckets
