"""The world at a point in story time: who exists, who is alive, where they are, what they look like and hold.

:class:`World` is built once from characters, locations and versioned facts (any number: a whole
series). It folds each character sheet into facts by the one derivation (:mod:`showrunner.world.facts`),
resolves every subject to an id with the one resolver (:mod:`showrunner.world.names`), and indexes the
facts by subject and kind (:class:`~showrunner.world.timeline.FactIndex`), so "Mira's outfit at E30 S2"
is a short scan, not a pass over 20,000 facts. :meth:`World.at` gives a :class:`Snapshot` of one scene;
:meth:`World.look` a character with their look at that moment; :meth:`World.tag` reads a sentence once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from showrunner.models import FIXED_TRAITS, CanonCharacter, Character, CurrentLook, Fact, FactKind, Location
from showrunner.world.facts import character_facts
from showrunner.world.names import Names, norm
from showrunner.world.timeline import FactIndex, fact_id, point

PRESENT = frozenset({"alive", "returned", "injured", "wounded", "hurt", "found"})
DEAD = frozenset({"dead", "deceased", "killed", "died", "dies", "murdered", "executed"})
MISSING = frozenset({"missing", "disappeared", "vanished", "lost at sea", "presumed dead"})
GONE_ITEM = frozenset({"lost", "destroyed", "broken", "burned", "sunk", "stolen", "discarded", "shattered",
                       "melted", "gone"})
TAG_CACHE = 50_000


@dataclass(frozen=True)
class Snapshot:
    """Who is alive, dead or missing, and who is where, at one scene."""

    episode: int
    scene: int | None
    dead: frozenset[str]
    missing: frozenset[str]
    where: dict[str, str]

    def alive(self, cid: str) -> bool:
        return cid not in self.dead and cid not in self.missing


@dataclass
class World:
    """Characters, places and versioned facts with ids resolved, queried by point in story time."""

    characters: list[Character]
    locations: list[Location]
    facts: list[Fact]
    people: Names = field(init=False)
    places: Names = field(init=False)
    index: FactIndex = field(init=False)
    memo: dict[str, Any] = field(init=False, default_factory=dict)  # derived indexes readers build once
    _tags: dict[str, list[str]] = field(init=False, default_factory=dict)
    _firsts: dict[str, list[tuple[tuple[str, ...], str]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.people = Names.of(self.characters)
        self.places = Names.of(self.locations)
        facts = [self._resolved(f) for f in self.facts]
        recorded = {(f.kind, f.subject, f.predicate) for f in facts}
        related = {(f.subject, f.object) for f in facts if f.kind == FactKind.relationship}
        for c in self.characters:
            sheet = c if isinstance(c, CanonCharacter) else CanonCharacter.model_validate(c.model_dump())
            for f in map(self._resolved, character_facts(sheet, self.people)):
                if f.kind == FactKind.relationship and (f.subject, f.object) in related:
                    continue
                if f.kind != FactKind.relationship and (f.kind, f.subject, f.predicate) in recorded:
                    continue
                facts.append(f.model_copy(update={"source": f.source or "character sheet"}))
        self.facts = facts
        self.index = FactIndex(facts)
        for form, ident in self.people.forms.items():
            toks = tuple(form.split())
            self._firsts.setdefault(toks[0], []).append((toks, ident))
        for forms in self._firsts.values():
            forms.sort(key=lambda x: -len(x[0]))

    def _resolved(self, f: Fact) -> Fact:
        subj = self.people.resolve(f.subject) or self.places.resolve(f.subject) or f.subject
        obj = f.object
        if f.kind in (FactKind.relationship, FactKind.whereabouts):
            obj = self.people.resolve(f.object) or self.places.resolve(f.object) or f.object
        return f.model_copy(update={"subject": subj, "object": obj, "id": f.id or fact_id(f)})

    # ---- facts at a point
    def holding(self, episode: int, scene: int | None) -> list[Fact]:
        return self.index.world_state(episode, scene)

    def latest(self, subject: str, kind: FactKind, predicate: str | None, episode: int, scene: int | None,
               *, strictly_before: bool = False) -> Fact | None:
        """The most recent fact of ``kind`` about ``subject`` that holds at (episode, scene)."""
        return self.index.latest(subject, kind, predicate, episode, scene, strictly_before=strictly_before)

    def about(self, subject: str, kind: FactKind, episode: int, scene: int | None) -> list[Fact]:
        return self.index.holding(subject, kind, episode, scene)

    def relations(self, episode: int, scene: int | None) -> list[Fact]:
        """Relationship facts between characters that hold at (episode, scene)."""
        if "relations" not in self.memo:
            self.memo["relations"] = [(_span(f), f) for f in self.index.of_kind(FactKind.relationship)
                                      if f.subject in self.people.display]
        at = point(episode, scene)
        return [f for (start, end), f in self.memo["relations"] if start <= at < end]

    def status(self, cid: str, episode: int, scene: int | None) -> str:
        f = self.latest(cid, FactKind.status, None, episode, scene)
        return norm(f.object) if f else "alive"

    def at(self, episode: int, scene: int | None) -> Snapshot:
        """Who is dead, missing and where, at (episode, scene)."""
        dead: set[str] = set()
        missing: set[str] = set()
        where: dict[str, str] = {}
        for cid in self.people.display:
            st = self.status(cid, episode, scene)
            (dead if st in DEAD else missing if st in MISSING else set()).add(cid)
            w = self.latest(cid, FactKind.whereabouts, None, episode, scene)
            if w is not None:
                where[cid] = w.object
        return Snapshot(episode, scene, frozenset(dead), frozenset(missing), where)

    def look(self, cid: str, episode: int, scene: int | None) -> Character | None:
        """The character with fixed traits and current outfit, injuries and props as of (episode, scene)."""
        base = next((c for c in self.characters if c.id == cid), None)
        if base is None:
            return None
        fixed = base.look.model_copy(deep=True)
        for trait in FIXED_TRAITS:  # a later fact (dyed hair) wins over the sheet
            f = self.latest(cid, FactKind.fixed_appearance, trait, episode, scene)
            if f is not None:
                setattr(fixed, trait, f.object)
        marks = self.latest(cid, FactKind.fixed_appearance, "marks", episode, scene)  # a scar gained in E3
        if marks is not None:
            fixed.marks = [m.strip() for m in marks.object.split(";") if m.strip()]
        outfit = self.latest(cid, FactKind.current_appearance, "outfit", episode, scene)
        state = CurrentLook(outfit=outfit.object if outfit else base.state.outfit)
        injuries = [f for f in self.about(cid, FactKind.current_appearance, episode, scene)
                    if f.predicate.startswith("injur") and norm(f.object) not in ("none", "healed")]
        state.injuries = [x.strip() for f in injuries for x in f.object.split(";") if x.strip()][:3]
        state.props = self.props(cid, episode, scene)[:3]
        return base.model_copy(update={"look": fixed, "state": state})

    def props(self, cid: str, episode: int, scene: int | None) -> list[str]:
        """What ``cid`` holds at (episode, scene): held items not since lost, destroyed or handed on."""
        out: list[str] = []
        for f in self.about(cid, FactKind.possession, episode, scene):
            if f.predicate in ("holds", "has", "owns", "carries", "wields") and f.object not in out:
                gone = self.latest(f.object, FactKind.possession, None, episode, scene)
                if gone is None or not (gone.predicate in GONE_ITEM or norm(gone.object) in GONE_ITEM):
                    out.append(f.object)
        return out

    # ---- places
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

    # ---- text
    def tag(self, text: str) -> list[str]:
        """Lowercase tokens with known character names (longest form first) replaced by ``@<id>`` (cached)."""
        hit = self._tags.get(text)
        if hit is not None:
            return hit
        toks = norm(text).split()
        out: list[str] = []
        i = 0
        while i < len(toks):
            for form, ident in self._firsts.get(toks[i], ()):
                if tuple(toks[i:i + len(form)]) == form:
                    out.append("@" + ident)
                    i += len(form)
                    break
            else:
                out.append(toks[i])
                i += 1
        if len(self._tags) < TAG_CACHE:
            self._tags[text] = out
        return out


def _span(f: Fact) -> tuple[int, int]:
    start = point(f.valid_from.episode, f.valid_from.scene)
    end = 10**12 if f.valid_until is None else point(f.valid_until.episode, f.valid_until.scene)
    return start, end
