"""Canon admission: only valid values of their kind enter canon, and names not in canon are found.

A model's junk must never become canon: an outfit must name a garment ("dragon", "Able to be seen" and
"The most beautiful person in the world" do not), a hair or eye value a colour or style, an injury a
wound or a body part, a status a known status, a place a known location, a held item a short noun phrase.
:func:`admit` splits facts into admitted ones and rejected ones with a reason (callers log or report the
rejects). :func:`new_names` lists the characters and places a script, an edit or a draft uses that are not
in canon (walk-ons such as "Guard #3" and near-miss typos excepted); :func:`new_entries` turns accepted
ones into canon entries with a look read from the script's own words.
"""

from __future__ import annotations

import re

from showrunner.models import Character, CurrentLook, Episode, Fact, FactKind, FixedLook, Location
from showrunner.world.lexicon import (
    EYE_COLOURS,
    GARMENT_COLOURS,
    GARMENTS,
    HAIR_COLOURS,
    INJURY_NOUNS,
    MARK_NOUNS,
    PARTS,
)
from showrunner.world.names import split_qualifier
from showrunner.world.state import DEAD, MISSING, PRESENT, World, norm

HAIR_STYLES = {"bald", "shaved", "braid", "braids", "braided", "ponytail", "bun", "curly", "curls", "wavy",
               "straight", "cropped", "buzzed", "mohawk", "dreadlocks", "locks", "short", "long", "shaggy",
               "tied", "mane", "afro", "pixie", "undercut", "topknot", "hair"}
STATUSES = PRESENT | DEAD | MISSING | {"captured", "imprisoned", "asleep", "unconscious", "sick", "ill", "healed"}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MAX_ITEM_WORDS = 6


def _words(value: str) -> set[str]:
    return set(norm(value.replace("-", " ")).split())


def invalid_value(kind: FactKind, pred: str, value: str) -> str | None:
    """Why ``value`` is not a valid value of its kind (an outfit, a colour, a wound...), or None."""
    value, words = value.strip(), _words(value)
    letters = sum(ch.isalpha() for ch in value)
    if not value or letters < 2 or letters < 0.5 * len(value.replace(" ", "")):
        return f"'{value}' is not text"
    if kind == FactKind.current_appearance and pred == "outfit" and not words & GARMENTS:
        return f"outfit '{value}' names no garment"
    if kind == FactKind.current_appearance and pred.startswith("injur") \
            and not words & (INJURY_NOUNS | PARTS | {"healed", "none"}):
        return f"injury '{value}' names no wound or body part"
    if kind == FactKind.fixed_appearance and pred == "hair" and not words & (set(HAIR_COLOURS) | HAIR_STYLES):
        return f"hair '{value}' names no colour or style"
    if kind == FactKind.fixed_appearance and pred == "eyes" and not words & (set(EYE_COLOURS) | {"eye", "eyes"}):
        return f"eyes '{value}' name no colour"
    if kind == FactKind.fixed_appearance and pred == "marks" and not words & (MARK_NOUNS | PARTS):
        return f"mark '{value}' names no scar, tattoo or body part"
    if kind == FactKind.status and norm(value) not in STATUSES:
        return f"status '{value}' is not one of {', '.join(sorted(STATUSES))}"
    if kind == FactKind.possession and pred in ("holds", "has", "carries") and len(words) > MAX_ITEM_WORDS:
        return f"item '{value}' is a sentence, not a thing"
    return None


def invalid(fact: Fact, world: World) -> str | None:
    """Why ``fact`` may not enter canon, or None when its value is valid for its kind and its names exist."""
    kind, value = fact.kind, fact.object
    why = invalid_value(kind, fact.predicate, value)
    if why is not None:
        return why
    if kind == FactKind.whereabouts and world.places.resolve(value) is None:
        return f"place '{value}' is not a known location"
    if kind in (FactKind.current_appearance, FactKind.fixed_appearance, FactKind.status) \
            and world.people.resolve(fact.subject) is None:
        return f"'{fact.subject}' is not a known character"
    return None


def admit(facts: list[Fact], world: World) -> tuple[list[Fact], list[tuple[Fact, str]]]:
    """(facts that may enter canon, [(rejected fact, reason)])."""
    ok: list[Fact] = []
    rejected: list[tuple[Fact, str]] = []
    for f in facts:
        why = invalid(f, world)
        if why is None:
            ok.append(f)
        else:
            rejected.append((f, why))
    return ok, rejected


def new_names(ep: Episode, world: World) -> tuple[list[str], list[str]]:
    """(character names, place names) the episode uses that are not in canon, in order of appearance."""
    people: list[str] = []
    places: list[str] = []
    for sc in ep.scenes:
        refs = [*sc.characters, *(d.speaker for d in sc.dialogue)]
        for ref in refs:
            name = split_qualifier(ref)[0]
            if (name and world.people.resolve(name) is None and not world.people.is_extra(name)
                    and world.people.suggest(name) is None and name not in people):
                people.append(name)
        loc = sc.location.strip()
        if loc and world.places.resolve(loc) is None and world.places.suggest(loc) is None and loc not in places:
            places.append(loc)
    return people, places


def _colour_before(toks: list[str], i: int, table: set[str]) -> str:
    adj: list[str] = []
    for j in range(i - 1, max(-1, i - 4), -1):
        if toks[j] not in table:
            break
        adj.insert(0, toks[j])
    return " ".join(adj)


def described_look(name: str, ep: Episode) -> tuple[FixedLook, CurrentLook]:
    """A look for a new character from the sentences of ``ep`` that name them (hair, eyes, outfit)."""
    fixed, cur = FixedLook(), CurrentLook()
    key = norm(name)
    texts = [t for sc in ep.scenes for t in (sc.summary, *sc.action)]
    for sent in (s for t in texts for s in _SENTENCE.split(t) if f" {key} " in f" {norm(s)} "):
        toks = norm(sent).split()
        for i, t in enumerate(toks):
            if t in ("hair", "haired") and not fixed.hair and (c := _colour_before(toks, i, set(HAIR_COLOURS))):
                fixed.hair = f"{c} hair"
            elif t in ("eyes", "eyed") and not fixed.eyes and (c := _colour_before(toks, i, set(EYE_COLOURS))):
                fixed.eyes = f"{c} eyes"
            elif t in GARMENTS and not cur.outfit and (i + 1 >= len(toks) or toks[i + 1] not in GARMENTS):
                j = i  # the whole garment phrase: 'green oilskin coat', not 'green oilskin'
                while j > 0 and toks[j - 1] in GARMENTS:
                    j -= 1
                cur.outfit = " ".join(x for x in (_colour_before(toks, j, GARMENT_COLOURS), *toks[j:i + 1]) if x)
    return fixed, cur


def new_entries(ep: Episode, world: World) -> tuple[list[Character], list[Location]]:
    """Canon entries for the episode's new names (accepted at a gate), each with a look from the script."""
    people, places = new_names(ep, world)
    chars = []
    for name in people:
        fixed, cur = described_look(name, ep)
        chars.append(Character(name=name, role="supporting", look=fixed, state=cur))
    locs = []
    for name in places:
        scene = next(sc for sc in ep.scenes if sc.location.strip() == name)
        locs.append(Location(name=name, look=" ".join(scene.summary.split()[:30])))
    return chars, locs
