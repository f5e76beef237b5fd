"""Versioned facts in time: "the state of the world as of episode E, scene S" in one cheap call.

A point in the series is one integer (:func:`point`), ordered exactly like :meth:`SceneRef.key`: the
start of an episode (no scene) comes before its scene 0, 1, 2 ... A fact holds at ``p`` when
``start <= p < end``. :class:`FactIndex` keeps the facts as sorted integer spans, so a world-state query
over 20,000 facts is a linear scan of tuples (milliseconds) and never touches an embedding.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from showrunner.models import Fact, FactKind, SceneRef

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


class FactIndex:
    """Facts by id with their spans; answers world-state, per-subject and recent-event questions."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._by_id: dict[str, Fact] = {}
        self._rows: list[tuple[int, int, Fact]] | None = None
        self._events: list[tuple[int, Fact]] | None = None
        self._subjects: dict[str, list[tuple[int, int, Fact]]] | None = None
        self.add(facts)

    def add(self, facts: Iterable[Fact]) -> None:
        """Insert or replace facts by id."""
        for f in facts:
            self._by_id[f.id] = f
        self._rows = self._events = self._subjects = None

    def remove(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._by_id.pop(i, None)
        self._rows = self._events = self._subjects = None

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
        return self._rows

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
