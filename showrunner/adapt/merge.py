"""Merge the passages' notes into one cast and one set of places, with the one name resolver.

Every name a passage uses goes through :class:`~showrunner.world.names.Names` (aliases, titles, first and
last names, never substrings): ``"the Rabbit"`` in chapter 2 is the ``"White Rabbit"`` of chapter 1. A
passage that names someone by a form that resolves to two known characters shows they are one, so they
are joined (each join is listed in ``merges`` for the person to see). The display name is the fullest
form without its article. Looks are admitted like a bible's (only valid values); a fixed trait that
differs between chapters is a finding, and the first value stands until the person edits it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from showrunner.adapt.extract import PassageNotes, Person
from showrunner.adapt.models import Finding
from showrunner.models import Character, FactKind, Location, slugify
from showrunner.world.admit import invalid_value
from showrunner.world.names import Names, norm

_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


@dataclass
class _Entry:
    forms: list[str]
    hair: tuple[str, int] | None = None
    eyes: tuple[str, int] | None = None
    outfit: str = ""
    voice: str = ""
    chapters: list[int] = field(default_factory=list)


@dataclass
class Cast:
    """The merged cast and places, where each character appears, and what the merge found."""

    characters: list[Character]
    locations: list[Location]
    appearances: dict[str, list[int]]
    findings: list[Finding]
    merges: list[str]
    people: Names
    places: Names


def bare(name: str) -> str:
    """The name without a leading article: 'the White Rabbit' → 'White Rabbit'."""
    return _ARTICLE.sub("", name)


def _display(forms: list[str]) -> str:
    bare = [_ARTICLE.sub("", f) for f in forms]
    best = max(bare, key=lambda f: (len(f.split()), -bare.index(f)))
    return best[:1].upper() + best[1:]


def _character(e: _Entry) -> Character:
    name = _display(e.forms)
    aliases = list(dict.fromkeys(f for f in e.forms if norm(f) != norm(name)))
    c = Character(name=name, aliases=aliases, voice=e.voice)
    c.look.hair, c.look.eyes = (e.hair[0] if e.hair else ""), (e.eyes[0] if e.eyes else "")
    c.state.outfit = e.outfit
    return c


def _admitted(pred: str, value: str) -> str:
    kind = FactKind.current_appearance if pred == "outfit" else FactKind.fixed_appearance
    return value if value and invalid_value(kind, pred, value) is None else ""


class _Merger:
    def __init__(self) -> None:
        self.entries: list[_Entry] = []
        self.findings: list[Finding] = []
        self.merges: list[str] = []

    def names(self) -> Names:
        return Names.of([Character(id=str(i), name=_display(e.forms), aliases=e.forms)
                         for i, e in enumerate(self.entries)])

    def hits(self, p: Person) -> list[int]:
        forms = [p.name, *p.aliases]
        known = self.names()
        found = {int(h) for f in forms if (h := known.resolve(f)) is not None}
        if not found:  # a fuller name than the one we know: 'White Rabbit' after 'the Rabbit'
            own = Names.of([Character(id="new", name=p.name, aliases=p.aliases)])
            found = {i for i, e in enumerate(self.entries) if any(own.resolve(f) == "new" for f in e.forms)}
        return sorted(found)

    def add(self, p: Person, chapter: int) -> None:
        hits = self.hits(p)
        if not hits:
            self.entries.append(_Entry(forms=[]))
            hits = [len(self.entries) - 1]
        keep = self.entries[hits[0]]
        for i in reversed(hits[1:]):  # this passage shows two known characters are one
            other = self.entries.pop(i)
            self.merges.append(f"'{_display(other.forms)}' joined '{_display(keep.forms)}' (chapter {chapter})")
            keep.forms += [f for f in other.forms if f not in keep.forms]
            keep.chapters = sorted({*keep.chapters, *other.chapters})
            keep.hair, keep.eyes = keep.hair or other.hair, keep.eyes or other.eyes
        before = _display(keep.forms) if keep.forms else None
        new = [f for f in (p.name, *p.aliases) if norm(f) not in {norm(x) for x in keep.forms}]
        keep.forms += new
        if before and new:  # a new name for someone known: 'the Rabbit' is the White Rabbit
            was = "" if norm(before) == norm(_display(keep.forms)) else f" and '{before}'"
            self.merges.append(f"{', '.join(repr(f) for f in new)}{was} → '{_display(keep.forms)}' (chapter {chapter})")
        if chapter not in keep.chapters:
            keep.chapters.append(chapter)
        self.trait(keep, "hair", _admitted("hair", p.hair), chapter)
        self.trait(keep, "eyes", _admitted("eyes", p.eyes), chapter)
        keep.outfit = keep.outfit or _admitted("outfit", p.outfit)
        keep.voice = keep.voice or p.voice

    def trait(self, e: _Entry, pred: str, value: str, chapter: int) -> None:
        old = getattr(e, pred)
        if not value:
            return
        if old is None:
            setattr(e, pred, (value, chapter))
        elif norm(old[0]) != norm(value):
            self.findings.append(Finding(
                code="look_conflict", subject=slugify(_display(e.forms)),
                message=f"{_display(e.forms)}'s {pred}: '{old[0]}' in chapter {old[1]}, '{value}' in chapter "
                        f"{chapter}; canon keeps '{old[0]}' (edit it if the book means the other)",
                chapters=[old[1], chapter]))


def merge_notes(passages: list[PassageNotes]) -> Cast:
    """One character per person across every passage; places likewise (ids unique, from names)."""
    m = _Merger()
    places: dict[str, Location] = {}
    place_names = Names(extras=False)
    for notes in passages:
        for p in notes.people:
            m.add(p, notes.chapter)
        for pl in notes.places:
            hit = place_names.resolve(pl.name) or place_names.resolve(bare(pl.name))
            if hit is None:
                loc = Location(name=_display([pl.name]), look=pl.look, aliases=[pl.name])
                if loc.id not in places:
                    places[loc.id] = loc
                    place_names.add(loc)
            elif not places[hit].look:
                places[hit].look = pl.look
    chars: list[Character] = []
    appearances: dict[str, list[int]] = {}
    for e in m.entries:
        c = _character(e)
        while c.id in appearances:  # two people with the same name stay two, with distinct ids
            c.id = f"{c.id}-{len(appearances)}"
        chars.append(c)
        appearances[c.id] = sorted(e.chapters)
    for f in m.findings:  # ids were provisional while names grew
        f.subject = Names.of(chars).find(f.subject.replace("-", " ")) or f.subject
    return Cast(characters=chars, locations=list(places.values()), appearances=appearances,
                findings=m.findings, merges=m.merges, people=Names.of(chars), places=place_names)
