"""The one fact derivation: from a bible, an imported canon file or a written episode to versioned facts.

A bible is a canon file without history, so :func:`bible_facts` and :func:`derive_facts` share every
rule: fixed traits (hair, eyes, face, build, age, marks), the starting outfit, injuries and props, status
``alive`` from the series start, relations (``subject``'s ``kind`` is ``object``: ``{"kind": "father",
"target": "Tom"}`` on Mira means Tom is Mira's father), world rules (predicate ``rule``), sub-locations
(``inside``), and per real scene the whereabouts (``at``) of its cast and the event it narrates.

Death and disappearance: a character dies *during* the scene given, so is still on screen in it; the
``dead`` status holds from the next scene (``scene + 1``; the next episode when no scene is given). The
fact's ``source`` keeps where it was established (``"E3 S4: death"``, see :func:`established_at`).
A return holds from its own scene with status ``returned``.
"""

from __future__ import annotations

from showrunner.models import (
    FIXED_TRAITS,
    Bible,
    CanonCharacter,
    CanonFile,
    CanonSeries,
    Episode,
    Fact,
    FactKind,
    SceneRef,
    slugify,
)
from showrunner.world.names import Names, split_qualifier
from showrunner.world.timeline import after, merge_facts

EVENT_CHARS = 300


def _status_facts(c: CanonCharacter) -> list[Fact]:
    out = [Fact(kind=FactKind.status, subject=c.id, predicate="status", object="alive",
                source="E0: series start", text=f"{c.name} is alive.")]
    marks = [(r, "dead", "death") for r in c.deaths] + [(r, "missing", "missing") for r in c.missing]
    for ref, obj, word in marks:
        out.append(Fact(kind=FactKind.status, subject=c.id, predicate="status", object=obj,
                        valid_from=after(ref), source=f"{ref}: {word}",
                        text=f"{c.name} {'dies' if obj == 'dead' else 'goes missing'} in {ref}."))
    for ref in c.returns:
        out.append(Fact(kind=FactKind.status, subject=c.id, predicate="status", object="returned",
                        valid_from=ref, source=f"{ref}: return", text=f"{c.name} returns in {ref}."))
    return out


def character_facts(c: CanonCharacter, people: Names) -> list[Fact]:
    """What a character sheet establishes at episode 0, plus its deaths, disappearances and returns."""
    out: list[Fact] = []
    for trait in FIXED_TRAITS:
        value = getattr(c.look, trait).strip()
        if value:
            out.append(Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate=trait, object=value,
                            text=f"{c.name}'s {trait}: {value}."))
    if c.look.marks:
        marks = "; ".join(c.look.marks)
        out.append(Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate="marks", object=marks,
                        text=f"{c.name} has {marks}."))
    if c.state.outfit.strip():
        out.append(Fact(kind=FactKind.current_appearance, subject=c.id, predicate="outfit",
                        object=c.state.outfit.strip(), text=f"{c.name} wears {c.state.outfit.strip()}."))
    if c.state.injuries:
        inj = "; ".join(c.state.injuries)
        out.append(Fact(kind=FactKind.current_appearance, subject=c.id, predicate="injuries", object=inj,
                        text=f"{c.name} is injured: {inj}."))
    for prop in c.state.props:
        out.append(Fact(kind=FactKind.possession, subject=c.id, predicate="holds", object=prop,
                        text=f"{c.name} carries {prop}."))
    for rel in c.relations:
        target = people.resolve(rel.target) or rel.target
        out.append(Fact(kind=FactKind.relationship, subject=c.id, predicate=rel.kind, object=target,
                        text=f"{c.name}'s {rel.kind}: {people.name(target)}."))
    return out + _status_facts(c)


def episode_facts(ep: Episode, people: Names, places: Names) -> list[Fact]:
    """Where each character is in every real scene, and the event each scene narrates."""
    out: list[Fact] = []
    for sc in ep.scenes:
        at = SceneRef(episode=ep.number, scene=sc.number)
        place = places.resolve(sc.location) or slugify(sc.location)
        cast = [people.resolve(c) or slugify(split_qualifier(c)[0]) for c in sc.characters
                if not people.is_extra(c)]
        if not sc.unreal:
            for cid in dict.fromkeys(cast):
                out.append(Fact(kind=FactKind.whereabouts, subject=cid, predicate="at", object=place,
                                valid_from=at, source=str(at),
                                text=f"{people.name(cid)} is at {places.name(place)} in {at}."))
        summary = " ".join(sc.summary.split())[:EVENT_CHARS]
        if summary:
            who = ", ".join(people.name(c) for c in cast)
            tag = " (flashback)" if sc.flashback else " (dream)" if sc.dream else ""
            out.append(Fact(kind=FactKind.event, subject=place, predicate="event", object=summary,
                            valid_from=at, source=str(at),
                            text=f"{at}{tag} at {places.name(place)} with {who}: {summary}"))
    return out


def _world_facts(cf: CanonFile, people: Names, places: Names) -> list[Fact]:
    out = [Fact(kind=FactKind.world_rule, subject="world", predicate="rule", object=rule, text=rule)
           for rule in cf.series.world_rules]
    for loc in cf.locations:
        if loc.parent:
            out.append(Fact(kind=FactKind.relationship, subject=loc.id, predicate="inside", object=loc.parent,
                            text=f"{loc.name} lies inside {places.name(loc.parent)}."))
    for ep in cf.episodes:
        out += episode_facts(ep, people, places)
    return out


def derive_facts(cf: CanonFile, *, explicit: bool = True) -> list[Fact]:
    """Every versioned fact the file implies (plus its explicit ``facts``), superseding applied."""
    people, places = Names.of(cf.characters), Names.of(cf.locations)
    facts: list[Fact] = []
    for c in cf.characters:
        facts.extend(character_facts(c, people))
    facts.extend(_world_facts(cf, people, places))
    if explicit:
        for f in cf.facts:
            subject = people.resolve(f.subject) or places.resolve(f.subject) or f.subject
            facts.append(f.model_copy(update={"subject": subject}))
    return merge_facts([], facts)


def canon_of(bible: Bible) -> CanonFile:
    """A bible as a canon file without history (same derivation, same fact ids)."""
    series = CanonSeries(title=bible.title, logline=bible.logline, genre=bible.genre, tone=bible.tone,
                         style_guide=bible.style_guide, average_shot_s=bible.average_shot_s,
                         world_rules=bible.world_rules,
                         season_arc=bible.season_arc, episodes=bible.episodes)
    chars = [CanonCharacter.model_validate(c.model_dump()) for c in bible.characters]
    return CanonFile(series=series, characters=chars, locations=bible.locations)


def bible_facts(bible: Bible) -> list[Fact]:
    """Facts a bible establishes at episode 0 (looks, outfits, props, status, relations, rules, places)."""
    return derive_facts(canon_of(bible), explicit=False)

