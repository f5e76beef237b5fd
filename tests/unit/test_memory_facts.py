"""Versioned facts: superseding, world state as of (episode, scene), and its cost at series scale."""

from __future__ import annotations

import time

from memory_samples import generate

from showrunner.models import Fact, FactKind, SceneRef
from showrunner.world.facts import derive_facts
from showrunner.world.timeline import FactIndex, merge_facts, point, world_state


def _at(kind: FactKind, obj: str, ep: int, sc: int | None = None, pred: str = "at") -> Fact:
    return Fact(kind=kind, subject="mira", predicate=pred, object=obj, valid_from=SceneRef(episode=ep, scene=sc))


def test_single_valued_facts_supersede_and_multi_valued_do_not() -> None:
    facts = merge_facts([], [_at(FactKind.whereabouts, "harbour", 1, 2), _at(FactKind.whereabouts, "tower", 1, 5),
                             _at(FactKind.possession, "key", 1, 1, "holds"),
                             _at(FactKind.possession, "map", 2, None, "holds")])
    where = {f.object: f for f in facts if f.kind == FactKind.whereabouts}
    assert where["harbour"].valid_until == SceneRef(episode=1, scene=5) and where["tower"].valid_until is None
    assert all(f.valid_until is None for f in facts if f.kind == FactKind.possession)
    # a later batch closes the fact that is open now; re-adding the same fact is a no-op
    more = merge_facts(facts, [_at(FactKind.whereabouts, "docks", 4, 1), _at(FactKind.whereabouts, "tower", 1, 5)])
    assert len(more) == len(facts) + 1
    assert next(f for f in more if f.object == "tower").valid_until == SceneRef(episode=4, scene=1)

    idx = FactIndex(more)
    assert {f.object for f in idx.world_state(1, 3)} == {"harbour", "key"}
    assert {f.object for f in idx.world_state(3, None)} == {"tower", "key", "map"}
    assert {f.object for f in idx.world_state(4, 1)} == {"docks", "key", "map"}
    assert point(1, None) < point(1, 0) < point(1, 1) < point(2, None)


def test_world_state_matches_holds_at_everywhere_and_stays_cheap_at_20k_facts() -> None:
    cf = generate(1.0)
    facts = derive_facts(cf)
    assert len(facts) >= 18_000 and len(cf.characters) >= 400 and sum(len(e.scenes) for e in cf.episodes) >= 4000
    idx = FactIndex(facts)
    for ep, sc in [(0, None), (1, 1), (3, 17), (36, None), (50, 3), (72, 56)]:
        expected = {f.id for f in facts if f.holds_at(SceneRef(episode=ep, scene=sc))}
        assert {f.id for f in idx.world_state(ep, sc)} == expected
        assert {f.id for f in world_state(facts, ep, sc)} == expected
    idx.world_state(1, 1)  # build the sorted spans once
    t0 = time.perf_counter()
    for ep in range(1, 51):
        idx.world_state(ep, 10)
    per_call = (time.perf_counter() - t0) / 50
    assert per_call < 0.05, f"world_state took {per_call * 1000:.1f} ms at {len(facts)} facts"
    # exactly one whereabouts and one status per living, placed character at any point
    state = idx.world_state(50, 3)
    status = [f.subject for f in state if f.kind == FactKind.status]
    assert len(status) == len(set(status)) == len(cf.characters)
