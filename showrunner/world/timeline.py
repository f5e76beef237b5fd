"""Versioned facts in time: "the state of the world as of episode E, scene S" in one cheap call.

A point in the series is one integer (:func:`point`), ordered exactly like :meth:`SceneRef.key`: the
start of an episode (no scene) comes before its scene 0, 1, 2 ... A fact holds at ``p`` when
``start <= p < end``. :class:`FactIndex` keeps the facts as sorted integer spans, so a world-state query
over 20,000 facts is a linear scan of tuples (milliseconds) and never touches an embedding; facts are
also indexed by (subject, kind), so the continuity checks' "latest outfit of Mira at E30 S2" is a short scan.

Supersession lives here too: :func:`merge_facts` closes the open single-valued fact that a new one
replaces, and :func:`established_at` says where a fact was established (which may be a scene before the
one it holds from: a death in S4 holds from S5).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterable

from showrunner.models import Fact, FactKind, SceneRef

# Kinds where a subject has one value per predicate at a time: a new fact closes the old one.
SINGLE_VALUED = {FactKind.fixed_appearance, FactKind.current_appearance, FactKind.status,
                 FactKind.whereabouts}
FOREVER = 10**12
_SCENES = 100_000


def point(episode: int, scene: int | None = None) -> int:
    """One sortable integer for (episode, scene); ``scene=None`` is the start of the episode."""
    return episode * _SCENES + (0 if scene is None else scene + 1)


def ref_point(ref: SceneRef | None) -> int:
    return FOREVER if ref is None else point(ref.episode, ref.scene)


def span(fact: Fact) -> tuple[int, int]:
    """The half-open interval ``[start, end)`` of points at which ``fact`` holds."""
    return ref_point(fact.valid_from), ref_point(fact.valid_until)


def world_state(facts: Iterable[Fact], episode: int, scene: int | None = None) -> list[Fact]:
    """Every fact of ``facts`` that holds at (episode, scene), in their given order."""
    at = point(episode, scene)
    return [f for f in facts if (s := span(f))[0] <= at < s[1]]


def fact_id(fact: Fact) -> str:
    """Deterministic id from the fact's content (same fact, same id)."""
    key = f"{fact.kind}|{fact.subject}|{fact.predicate}|{fact.object}|{fact.valid_from.key()}"
    return "f-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def merge_facts(existing: list[Fact], new: list[Fact]) -> list[Fact]:
    """Add ``new`` facts; a single-valued fact closes the open one it supersedes (``valid_until``)."""
    out = [f.model_copy(update={"id": f.id or fact_id(f)}) for f in existing]
    ids = {f.id for f in out}
    # open single-valued facts by (kind, subject, predicate): linear time even at 20k facts
    open_: dict[tuple[str, str, str], list[Fact]] = {}
    for old in out:
        if old.kind in SINGLE_VALUED and old.valid_until is None:
            open_.setdefault((old.kind, old.subject, old.predicate), []).append(old)
    for fact in sorted(new, key=lambda f: f.valid_from.key()):
        fact = fact.model_copy(update={"id": fact.id or fact_id(fact)})
        if fact.id in ids:
            continue
        if fact.kind in SINGLE_VALUED:
            still_open = open_.setdefault((fact.kind, fact.subject, fact.predicate), [])
            for old in [o for o in still_open if o.valid_from.key() < fact.valid_from.key()]:
                old.valid_until = fact.valid_from
                still_open.remove(old)
            if fact.valid_until is None:
                still_open.append(fact)
        out.append(fact)
        ids.add(fact.id)
    return out


def established_at(fact: Fact) -> SceneRef:
    """Where a fact was established: parsed from ``source`` ("E3 S4: death"), else ``valid_from``."""
    m = re.match(r"^E(\d+)(?: S(\d+))?\b", fact.source or "")
    if m:
        return SceneRef(episode=int(m.group(1)), scene=int(m.group(2)) if m.group(2) else None)
    return fact.valid_from


def after(ref: SceneRef) -> SceneRef:
    """The point right after ``ref``: the next scene, or the next episode when no scene is given."""
    return SceneRef(episode=ref.episode + 1) if ref.scene is None else SceneRef(episode=ref.episode,
                                                                                 scene=ref.scene + 1)


class FactIndex:
    """Facts by id with their spans; answers world-state, per-subject and recent-event questions."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._by_id: dict[str, Fact] = {}
        self._rows: list[tuple[int, int, Fact]] | None = None
        self._events: list[tuple[int, Fact]] | None = None
        self._subjects: dict[str, list[tuple[int, int, Fact]]] | None = None
        self._kinds: dict[tuple[str, FactKind], list[tuple[int, int, Fact]]] | None = None
        self.add(facts)

    def add(self, facts: Iterable[Fact]) -> None:
        """Insert or replace facts by id."""
        for f in facts:
            self._by_id[f.id] = f
        self._rows = self._events = self._subjects = self._kinds = None

    def remove(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._by_id.pop(i, None)
        self._rows = self._events = self._subjects = self._kinds = None

    def __len__(self) -> int:
        return len(self._by_id)

    def facts(self) -> list[Fact]:
        return [f for _, _, f in self._sorted()]

    def _sorted(self) -> list[tuple[int, int, Fact]]:
        if self._rows is None:
            rows = [(*span(f), f) for f in self._by_id.values()]
            rows.sort(key=lambda r: (r[0], r[2].id))
            self._rows = rows
            self._events = [(s, f) for s, _, f in rows if f.kind == FactKind.event]
            subjects: dict[str, list[tuple[int, int, Fact]]] = {}
            for r in rows:
                subjects.setdefault(r[2].subject, []).append(r)
            self._subjects = subjects
            kinds: dict[tuple[str, FactKind], list[tuple[int, int, Fact]]] = {}
            for r in rows:
                kinds.setdefault((r[2].subject, r[2].kind), []).append(r)
            self._kinds = kinds
        return self._rows

    def of(self, subject: str, kind: FactKind) -> list[tuple[int, int, Fact]]:
        """Every (start, end, fact) of ``kind`` about ``subject``, oldest first (any time)."""
        self._sorted()
        assert self._kinds is not None
        return self._kinds.get((subject, kind), [])

    def latest(self, subject: str, kind: FactKind, predicate: str | None, episode: int, scene: int | None,
               *, strictly_before: bool = False) -> Fact | None:
        """The most recent fact of ``kind`` about ``subject`` that holds at (episode, scene)."""
        at = point(episode, scene)
        for s, e, f in reversed(self.of(subject, kind)):
            if s > at or (strictly_before and s == at) or e <= at:
                continue
            if predicate is None or f.predicate == predicate:
                return f
        return None

    def holding(self, subject: str, kind: FactKind, episode: int, scene: int | None) -> list[Fact]:
        """Facts of ``kind`` about ``subject`` that hold at (episode, scene), oldest first."""
        at = point(episode, scene)
        return [f for s, e, f in self.of(subject, kind) if s <= at < e]

    def of_kind(self, kind: FactKind) -> list[Fact]:
        """Every fact of ``kind``, oldest first (any time)."""
        self._sorted()
        assert self._kinds is not None
        return [f for (_, k), rows in self._kinds.items() if k == kind for _, _, f in rows]

    def world_state(self, episode: int, scene: int | None = None) -> list[Fact]:
        """Every fact that holds at (episode, scene), oldest first."""
        at = point(episode, scene)
        rows = self._sorted()
        stop = bisect.bisect_right(rows, at, key=lambda r: r[0])
        return [f for s, e, f in rows[:stop] if at < e]

    def about(self, subjects: Iterable[str], episode: int, scene: int | None = None) -> list[Fact]:
        """Facts holding at (episode, scene) whose subject is one of ``subjects``."""
        at = point(episode, scene)
        self._sorted()
        assert self._subjects is not None
        out: list[Fact] = []
        for sub in dict.fromkeys(subjects):
            out.extend(f for s, e, f in self._subjects.get(sub, []) if s <= at < e)
        return out

    def events_before(self, episode: int, scene: int | None = None, *, limit: int = 200) -> list[Fact]:
        """Up to ``limit`` event facts established before (episode, scene), most recent first."""
        self._sorted()
        assert self._events is not None
        at = point(episode, scene)
        stop = bisect.bisect_left(self._events, at, key=lambda r: r[0])
        return [f for _, f in reversed(self._events[max(0, stop - limit):stop])]
