"""The season plan (which chapters or scenes become which episode) and the book's facts in series time.

:func:`episode_map` cuts the book into ``N`` episodes of about equal length: whole chapters when there
are at least ``N`` chapters, else scenes (a 12-chapter book as 20 episodes). :func:`book_facts` turns the
passages' sourced facts into canon facts at their episode (a death in a chapter of episode 3 holds from
episode 4, as a death without a scene does everywhere), keeps each one's source, lets only admitted values
through (:func:`showrunner.world.admit.admit`), and reports what the book contradicts: a character seen
after their death, two different relations between the same pair.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from showrunner.adapt.book import Chapter
from showrunner.adapt.extract import PassageNotes, SourcedFact
from showrunner.adapt.merge import Cast, bare
from showrunner.adapt.models import BookFact, Finding
from showrunner.errors import BadInput
from showrunner.models import Fact, FactKind, SceneRef
from showrunner.world import World
from showrunner.world.admit import admit
from showrunner.world.lexicon import GARMENTS
from showrunner.world.names import norm
from showrunner.world.timeline import after

Unit = tuple[int, int, int, int]  # (chapter, scene, start, end): scene 0 is the whole chapter
_RELATION = re.compile(r"^(?:the\s+|a\s+|an\s+)?([a-z\- ]{3,30}?)\s+(?:of|to)\s+(.+)$", re.I)


def _cuts(sizes: list[int], n: int) -> list[int]:
    """End indexes of ``n`` contiguous groups of ``sizes`` with sums as close to equal as the units allow."""
    total, acc, i = sum(sizes), 0, 0
    cuts: list[int] = []
    for k in range(1, n):
        target = total * k / n
        while i < len(sizes) - (n - k) and (acc + sizes[i] <= target
                                             or abs(acc + sizes[i] - target) < abs(acc - target)
                                             or i < (cuts[-1] if cuts else 0) + 1):
            acc += sizes[i]
            i += 1
        cuts.append(i)
    return [*cuts, len(sizes)]


def episode_map(chapters: list[Chapter], n: int) -> list[list[Unit]]:
    """The units (chapters, or scenes when chapters are fewer than ``n``) of each of ``n`` episodes."""
    units: list[Unit]
    if len(chapters) >= n:
        units = [(c.number, 0, c.start, c.end) for c in chapters]
    else:
        units = [(c.number, k + 1, s[0], s[1]) for c in chapters for k, s in enumerate(c.scenes)]
    if len(units) < n:
        raise BadInput(f"the book has {len(units)} scenes, too few for {n} episodes; choose --episodes "
                       f"{len(units)} or fewer")
    cuts, out, lo = _cuts([u[3] - u[2] for u in units], n), [], 0
    for hi in cuts:
        out.append(units[lo:hi])
        lo = hi
    return out


def _fact(f: SourcedFact, who: str, ep: int, cast: Cast) -> Fact | None:
    at = SceneRef(episode=ep)
    name = cast.people.name(who)
    text = f"{name}: {f.value} (chapter {f.chapter})."
    if f.kind == "death":
        return Fact(kind=FactKind.status, subject=who, predicate="status", object="dead", valid_from=after(at),
                    text=f"{name} dies (chapter {f.chapter}).")
    if f.kind == "injury":
        return Fact(kind=FactKind.current_appearance, subject=who, predicate="injuries", object=f.value,
                    valid_from=at, text=text)
    if f.kind == "possession":
        return Fact(kind=FactKind.possession, subject=who, predicate="holds", object=f.value, valid_from=at, text=text)
    if f.kind == "whereabouts":
        place = cast.places.resolve(f.value) or cast.places.resolve(bare(f.value))
        return Fact(kind=FactKind.whereabouts, subject=who, predicate="at", object=place or f.value,
                    valid_from=at, text=text)
    if f.kind == "look":
        pred = "outfit" if set(norm(f.value).split()) & GARMENTS else "look"
        return Fact(kind=FactKind.current_appearance, subject=who, predicate=pred, object=f.value,
                    valid_from=at, text=text)
    m = _RELATION.match(f.value.strip())
    target = cast.people.find(m.group(2)) if m else None
    if m is None or target is None or target == who:
        return None
    # "X is sister of Alice": the relation is carried by Alice (subject), X is her sister (object)
    return Fact(kind=FactKind.relationship, subject=target, predicate=norm(m.group(1)).replace(" ", "_"),
                object=who, valid_from=at, text=f"{name} is {f.value} (chapter {f.chapter}).")


def episode_at(plan: list[list[Unit]]) -> Callable[[int], int]:
    """The episode whose source holds the book offset (offsets before the first episode: episode 1)."""
    starts = [units[0][2] for units in plan]
    return lambda offset: max(1, bisect.bisect_right(starts, offset))


def book_facts(passages: list[PassageNotes], cast: Cast,
               episode_of: Callable[[int], int]) -> tuple[list[BookFact], list[str], list[Finding]]:
    """(admitted facts with their sources, refused facts with reasons, findings); ``episode_of(offset)``."""
    facts: list[BookFact] = []
    dropped: list[str] = [d for p in passages for d in p.dropped]
    world = World(cast.characters, cast.locations, [])
    for p in passages:
        for f in p.facts:
            who = cast.people.find(f.character)
            fact = _fact(f, who, episode_of(f.offset), cast) if who else None
            if fact is None:
                dropped.append(f"ch {f.chapter}: {f.kind} {f.character!r} {f.value!r}: "
                               + ("not a known character" if not who else "no known other character"))
                continue
            fact.source = f"ch {f.chapter} @{f.offset}: {' '.join(f.quote.split())[:80]}"
            ok, bad = admit([fact], world)
            for _, why in bad:
                dropped.append(f"ch {f.chapter}: {f.kind} {f.character!r}: {why}")
            facts += [BookFact(fact=x, chapter=f.chapter, offset=f.offset, quote=f.quote) for x in ok]
    return facts, dropped, conflicts(facts, cast)


def conflicts(facts: list[BookFact], cast: Cast) -> list[Finding]:
    """What the book says that cannot all be true: seen after death; two relations between one pair."""
    out: list[Finding] = []
    for bf in facts:
        f = bf.fact
        if f.kind == FactKind.status and f.object == "dead":
            later = [c for c in cast.appearances.get(f.subject, []) if c > bf.chapter]
            if later:
                out.append(Finding(code="seen_after_death", subject=f.subject, chapters=[bf.chapter, *later],
                                   message=f"{cast.people.name(f.subject)} dies in chapter {bf.chapter} but "
                                           f"appears in chapter {later[0]}: a return, a memory, or a mistake?"))
    pairs: dict[tuple[str, str], BookFact] = {}
    for bf in facts:
        f = bf.fact
        if f.kind != FactKind.relationship:
            continue
        first = pairs.setdefault((f.subject, f.object), bf)
        if first.fact.predicate != f.predicate:
            out.append(Finding(code="relation_conflict", subject=f.subject, chapters=[first.chapter, bf.chapter],
                               message=f"{cast.people.name(f.object)} is {cast.people.name(f.subject)}'s "
                                       f"{first.fact.predicate} in chapter {first.chapter} but "
                                       f"{f.predicate} in chapter {bf.chapter}"))
    return out
