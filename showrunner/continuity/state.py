"""The canon as the continuity engine reads it: facts that hold at a scene, plus the episode's text units.

:class:`CanonView` folds the character sheets into facts (fixed looks, relations, starting props hold from
episode 0 unless a recorded fact already covers them), resolves subjects to ids, and answers "what holds at
episode E, scene S". :func:`units` flattens a scene into the text the checks read (summary sentences,
action lines, dialogue, shot actions and shot dialogue), each with its place (line index, shot id).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from showrunner.continuity.names import NameIndex, norm
from showrunner.memory.canon_format import established_at
from showrunner.models import (
    Character,
    ContinuityIssue,
    Fact,
    FactKind,
    Location,
    Scene,
    SceneRef,
    Severity,
    Shot,
)

_SENT = re.compile(r"(?<=[.!?;])\s+")
SHEET = "character sheet"


def _sheet_facts(c: Character) -> list[Fact]:
    e0 = SceneRef(episode=0)
    out = [Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate=p, object=v, valid_from=e0, source=SHEET)
           for p, v in (("hair", c.look.hair), ("eyes", c.look.eyes), ("face", c.look.face)) if v.strip()]
    out += [Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate="marks", object=m, valid_from=e0,
                 source=SHEET) for m in c.look.marks if m.strip()]
    out += [Fact(kind=FactKind.relationship, subject=c.id, predicate=r.kind, object=r.target, valid_from=e0,
                 source=SHEET) for r in c.relations]
    return out


@dataclass
class CanonView:
    """Characters, places and versioned facts with ids resolved, queried by scene."""

    characters: list[Character]
    locations: list[Location]
    facts: list[Fact]
    people: NameIndex = field(init=False)
    places: NameIndex = field(init=False)

    def __post_init__(self) -> None:
        self.people = NameIndex.of(self.characters)
        self.places = NameIndex.of(self.locations)
        facts = [self._resolved(f) for f in self.facts]
        recorded = {(f.kind, f.subject, f.predicate) for f in facts}
        related = {(f.subject, f.object) for f in facts if f.kind == FactKind.relationship}
        for c in self.characters:
            for f in map(self._resolved, _sheet_facts(c)):
                if f.kind == FactKind.relationship and (f.subject, f.object) in related:
                    continue
                if f.kind != FactKind.relationship and (f.kind, f.subject, f.predicate) in recorded:
                    continue
                facts.append(f)
        self.facts = facts

    def _resolved(self, f: Fact) -> Fact:
        subj = self.people.resolve(f.subject) or self.places.resolve(f.subject) or f.subject
        obj = f.object
        if f.kind in (FactKind.relationship, FactKind.whereabouts):
            obj = self.people.resolve(f.object) or self.places.resolve(f.object) or f.object
        return f.model_copy(update={"subject": subj, "object": obj})

    def holding(self, episode: int, scene: int | None) -> list[Fact]:
        at = SceneRef(episode=episode, scene=scene)
        return [f for f in self.facts if f.holds_at(at)]

    def latest(self, subject: str, kind: FactKind, predicate: str | None, episode: int, scene: int,
               *, strictly_before: bool = False) -> Fact | None:
        """The most recent fact of ``kind`` about ``subject`` established at or before (episode, scene)."""
        at = (episode, scene)
        best: Fact | None = None
        for f in self.facts:
            if f.subject != subject or f.kind != kind or (predicate and f.predicate != predicate):
                continue
            key = f.valid_from.key()
            if key > at or (strictly_before and key == at):
                continue
            if f.valid_until is not None and f.valid_until.key() <= at:
                continue
            if best is None or key >= best.valid_from.key():
                best = f
        return best

    def about(self, subject: str, kind: FactKind, episode: int, scene: int) -> list[Fact]:
        at = SceneRef(episode=episode, scene=scene)
        return [f for f in self.facts if f.subject == subject and f.kind == kind and f.holds_at(at)]

    def same_place(self, a: str, b: str) -> bool:
        """Two location names denote the same place, or one lies inside the other."""
        ia, ib = self.places.resolve(a) or norm(a), self.places.resolve(b) or norm(b)
        return ia == ib or ib in self._ancestors(ia) or ia in self._ancestors(ib)

    def _ancestors(self, ident: str) -> set[str]:
        parents = {loc.id: loc.parent for loc in self.locations}
        out: set[str] = set()
        cur = parents.get(ident)
        while cur and cur not in out:
            out.add(cur)
            cur = parents.get(cur)
        return out


@dataclass(frozen=True)
class Unit:
    """One piece of scene text: where it is, who speaks it (dialogue only), and what it says."""

    kind: str  # summary | action | dialogue | shot_action | shot_dialogue
    text: str
    line: int | None = None
    shot: str | None = None
    speaker: str | None = None
    direction: str = ""

    @property
    def spoken(self) -> bool:
        return self.kind in ("dialogue", "shot_dialogue")

    def where(self) -> str:
        if self.shot:
            return f"shot {self.shot}"
        if self.kind == "dialogue":
            return f"dialogue line {self.line}"
        if self.kind == "action":
            return f"action line {self.line}"
        return "summary"


def shot_id(s: Shot) -> str:
    return s.id or f"s{s.scene:02d}-{s.number:02d}"


def units(scene: Scene, shots: list[Shot]) -> Iterator[Unit]:
    for sent in _SENT.split(scene.summary.strip()):
        if sent:
            yield Unit("summary", sent)
    for i, text in enumerate(scene.action):
        for sent in _SENT.split(text.strip()):
            yield Unit("action", sent, line=i)
    for i, d in enumerate(scene.dialogue):
        yield Unit("dialogue", d.text, line=i, speaker=d.speaker, direction=d.direction)
    for s in shots:
        if s.action:
            yield Unit("shot_action", s.action, shot=shot_id(s))
        for d in s.dialogue:
            yield Unit("shot_dialogue", d.text, shot=shot_id(s), speaker=d.speaker, direction=d.direction)


def finding(code: str, episode: int, scene: Scene, message: str, *, fact: Fact | None = None,
            unit: Unit | None = None, suggestion: str = "", severity: Severity = Severity.error,
            shot: str | None = None, line: int | None = None) -> ContinuityIssue:
    """Build a deterministic finding, citing ``fact`` and where it was established."""
    if unit is not None:
        shot = shot or unit.shot
        line = line if line is not None else (unit.line if unit.kind == "dialogue" else None)
    return ContinuityIssue(
        code=code, severity=severity, episode=episode, scene=scene.number, shot=shot, line=line,
        message=message, fact=fact.sentence() if fact else None, fact_id=(fact.id or None) if fact else None,
        established=established_at(fact) if fact else None, suggestion=suggestion)
