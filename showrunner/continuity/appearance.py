"""Appearance checks: fixed looks (hair, eyes, scars) and current state (outfit, injuries) vs the canon.

Only narrative text is read (summary, action lines, shot actions), never dialogue, and only phrases that a
possessive ties to a known character (``Mira's red hair``, ``her left arm``, ``the red-haired Mira``).
A sentence about dye, wigs, disguises, a younger self or a portrait is skipped. Colours compare by group
(``blonde`` fits ``golden``, ``dark`` fits black and brown); scars and injuries compare by side
(a scar over the *left* eye written over the *right* one). Outfits are compared only within the episode
that recorded them and until the character changes clothes on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from showrunner.continuity.units import Unit, clauses, finding
from showrunner.models import ContinuityIssue, Episode, Fact, FactKind, Scene, Severity
from showrunner.world import World
from showrunner.world.lexicon import (
    EYE_COLOURS,
    GARMENT_COLOURS,
    GARMENTS,
    HAIR_COLOURS,
    INJURY_NOUNS,
    MARK_NOUNS,
    PARTS,
    POSSESSIVE,
    SIDES,
    colours,
    names_in,
    owner,
    sides_parts,
)
from showrunner.world.names import norm

HAIR_NOUNS = {"hair", "locks", "curls", "braid", "braids", "ponytail", "mane", "bun", "beard"}
EYE_NOUNS = {"eyes", "eye"}
SKIP_FIXED = {"dye", "dyed", "dyes", "dyeing", "wig", "disguise", "disguised", "bleach", "bleached", "contacts",
              "lenses", "younger", "child", "childhood", "illusion", "glamour", "transformed", "transforms",
              "mask", "masked", "reflection", "painting", "portrait", "statue", "costume", "photo", "photograph"}
CHANGE = {"changes", "changed", "change", "changing", "dons", "swaps", "removes", "sheds", "borrowed",
          "new", "puts", "into"}
DETERMINERS = POSSESSIVE | {"s", "the", "a", "an", "with", "this", "that"}
# garments that are a whole outfit: two of them in different colours cannot both be worn
FULL = {"suit", "uniform", "dress", "jumpsuit", "flightsuit", "spacesuit", "robe", "robes", "gown", "armor",
        "armour", "overalls", "coveralls", "kimono", "tuxedo", "wetsuit", "bodysuit", "tracksuit", "fatigues",
        "scrubs", "sari", "yukata", "outfit", "attire", "clothes", "garb", "livery", "jumper"}
COPULA = {"is", "are", "was", "were", "looks", "look", "seems", "seem", "gleams", "gleam", "shines", "shine"}
DYE = {"dye", "dyed", "dyes", "dyeing", "bleach", "bleached", "bleaches", "colours", "colors", "coloured",
       "colored", "tints", "tinted"}
UNHURT = {"unhurt", "uninjured", "unharmed", "unscathed", "unscarred", "scarless"}


def _colour_phrase(toks: list[str], i: int, table: dict[str, set[str]]) -> tuple[set[str], int]:
    """Colour groups in the adjectives before toks[i], and the index of their determiner (-1: none)."""
    groups: set[str] = set()
    for j in range(i - 1, max(-1, i - 5), -1):
        if toks[j] in DETERMINERS or toks[j].startswith("@"):
            return groups, j
        groups |= table.get(toks[j], set())
    return groups, -1


def _phrase_owner(toks: list[str], det: int, antecedent: str | None) -> str | None:
    if det >= 0 and toks[det] == "with" and det > 0 and toks[det - 1].startswith("@"):
        return toks[det - 1][1:]
    if det >= 0 and toks[det].startswith("@"):
        return toks[det][1:]
    return owner(toks, det, antecedent)


def _looks(toks: list[str], antecedent: str | None = None) -> list[tuple[str, str, set[str]]]:
    """(owner id, feature, colour groups) for each owned hair or eye colour phrase in ``toks``."""
    out = []
    for i, t in enumerate(toks):
        feature = "hair" if t in HAIR_NOUNS or t == "haired" else "eyes" if t in EYE_NOUNS or t == "eyed" else None
        if feature is None:
            continue
        table = HAIR_COLOURS if feature == "hair" else EYE_COLOURS
        if t in ("haired", "eyed"):
            groups = table.get(toks[i - 1], set()) if i else set()
            after = toks[i + 1] if i + 1 < len(toks) else ""
            before = toks[i - 2] if i >= 2 else ""
            who = after[1:] if after.startswith("@") else before[1:] if before.startswith("@") else None
        else:
            groups, det = _colour_phrase(toks, i, table)
            if not groups and i + 1 < len(toks) and toks[i + 1] in COPULA:  # 'her hair is black'
                for w in toks[i + 2:i + 5]:
                    if w in ("now", "no", "not", "turning", "going"):
                        break
                    groups |= table.get(w, set())
            who = _phrase_owner(toks, det, antecedent)
        if groups and who:
            out.append((who, feature, groups))
    return out


def _grey(groups: set[str]) -> set[str]:
    return groups | ({"grey"} if "gray" in groups else set()) | ({"gray"} if "grey" in groups else set())


def _dyed(toks: list[str], antecedent: str | None) -> list[tuple[str, str, set[str]]]:
    """(owner, 'hair', colour groups) for 'dyes her hair blue': the colour after the noun."""
    out = []
    for i, t in enumerate(toks):
        if t in HAIR_NOUNS and i > 0:
            groups: set[str] = set()
            for w in toks[i + 1:i + 4]:
                groups |= HAIR_COLOURS.get(w, set())
            who = owner(toks, i - 1, antecedent) or (toks[i - 1][1:] if toks[i - 1].startswith("@") else None)
            if groups and who:
                out.append((who, "hair", groups))
    return out


def _sided(toks: list[str], antecedent: str | None = None) -> list[tuple[str, str, str, set[str]]]:
    """(owner id, side, part, nearby cue words) for each owned 'left/right <part>' phrase."""
    out = []
    for i, t in enumerate(toks):
        if t in SIDES and i + 1 < len(toks) and toks[i + 1] in PARTS:
            who = owner(toks, i - 1, antecedent)
            if who:
                part = "eye" if toks[i + 1] == "eyes" else toks[i + 1]
                out.append((who, t, part, set(toks[max(0, i - 6):i + 7])))
    return out


def _side_conflict(facts: list[Fact], side: str, part: str) -> Fact | None:
    have = {sp for f in facts for sp in sides_parts(f.object)}
    if (side, part) in have:
        return None
    return next((f for f in facts if (SIDES[side], part) in sides_parts(f.object)), None)


@dataclass
class Stated:
    """Changes the episode itself states, carried into its later scenes (dyed hair, new clothes)."""

    changed: set[str] = field(default_factory=set)  # characters who changed clothes on the page
    looks: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (who, feature) -> colour groups
    returned: set[str] = field(default_factory=set)  # characters the narration brings back from death
    outfits: dict[str, tuple[set[str], str]] = field(default_factory=dict)  # who -> (colours, garment) changed into


def check_appearance(view: World, ep: Episode, scene: Scene, narrative: list[Unit],
                     stated: Stated) -> list[ContinuityIssue]:
    out: list[ContinuityIssue] = []
    for whole in narrative:
        for toks, u in clauses(view, whole):
            out += _clause(view, ep, scene, u, toks, stated)
    return out


def _clause(view: World, ep: Episode, scene: Scene, u: Unit, toks: list[str],
            stated: Stated) -> list[ContinuityIssue]:
    """The appearance checks on one clause (``u.antecedent``: who a bare pronoun in it refers to)."""
    out: list[ContinuityIssue] = []
    n, sc = ep.number, scene.number
    words = set(toks)
    if words & DYE:
        for who, feature, groups in _looks(toks, u.antecedent) + _dyed(toks, u.antecedent):
            stated.looks[(who, feature)] = groups
    if not words & SKIP_FIXED:
        for who, feature, groups in _looks(toks, u.antecedent):
            fact = view.latest(who, FactKind.fixed_appearance, feature, n, sc)
            canon = colours(fact.object, HAIR_COLOURS if feature == "hair" else EYE_COLOURS) if fact else set()
            canon = stated.looks.get((who, feature), canon)
            if fact and canon and not canon & groups:
                out.append(finding(
                    "fixed_appearance_contradiction", n, scene,
                    f"{u.where()} gives {view.people.name(who)} {feature} that contradict canon: "
                    f"'{u.text.strip()}' vs '{fact.object}'", fact=fact, unit=u,
                    suggestion=f"describe {view.people.name(who)}'s {feature} as '{fact.object}'",
                    characters=[who]))
    for who, side, part, near in _sided(toks, u.antecedent):
        marks = [f for f in view.about(who, FactKind.fixed_appearance, n, sc) if f.predicate == "marks"]
        injuries = [f for f in view.about(who, FactKind.current_appearance, n, sc)
                    if f.predicate.startswith("injur")]
        for facts, cues, code in ((marks, MARK_NOUNS, "fixed_appearance_contradiction"),
                                  (injuries, INJURY_NOUNS, "current_appearance_contradiction")):
            fact = _side_conflict(facts, side, part) if near & cues else None
            if fact and (code.startswith("current") or set(norm(fact.object).split()) & near & cues):
                out.append(finding(
                    code, n, scene, f"{u.where()} puts {view.people.name(who)}'s mark on the {side} {part}; "
                    f"canon: '{fact.object}'", fact=fact, unit=u,
                    suggestion=f"use the canon side: '{fact.object}'"))
    out += _outfits(view, ep, scene, u, toks, stated)
    return out


def _outfits(view: World, ep: Episode, scene: Scene, u: Unit, toks: list[str],
             stated: Stated) -> list[ContinuityIssue]:
    out: list[ContinuityIssue] = []
    named = names_in(toks)
    colour_table = {c: {c} for c in GARMENT_COLOURS}
    if set(toks) & CHANGE:  # 'Kade changes into a grey flight suit': the new outfit holds from here
        who: str | None = named[0] if named else u.antecedent
        stated.changed.update(named)
        for i, t in enumerate(toks):
            groups, _ = _colour_phrase(toks, i, colour_table) if t in FULL else (set(), -1)
            if who and groups:
                stated.outfits[who] = (_grey(groups), t)
        return out
    for i, t in enumerate(toks):
        if t not in GARMENTS or (i + 1 < len(toks) and toks[i + 1] in GARMENTS):
            continue  # 'dress uniform': the phrase's head is the last garment word
        groups, det = _colour_phrase(toks, i, colour_table)
        who = _phrase_owner(toks, det, u.antecedent)
        if who and groups and t in FULL and who in stated.outfits:
            was, garment = stated.outfits[who]
            if not was & _grey(groups):
                out.append(finding(
                    "current_appearance_contradiction", ep.number, scene,
                    f"{u.where()} dresses {view.people.name(who)} in a {'/'.join(sorted(groups))} {t}, after the "
                    f"change into a {'/'.join(sorted(was))} {garment} earlier in this episode", unit=u,
                    severity=Severity.warning, characters=[who],
                    suggestion=f"keep the {garment}, or show another change of clothes"))
                break
            continue
        if not who or not groups or who in stated.changed:
            continue
        fact = view.latest(who, FactKind.current_appearance, "outfit", ep.number, scene.number)
        if fact is None or fact.valid_from.episode != ep.number:
            continue
        words = set(norm(fact.object).split())
        canon = _grey({w for w in words if w in GARMENT_COLOURS})
        groups = _grey(groups)
        if t in words and canon and not canon & groups:
            out.append(finding(
                "current_appearance_contradiction", ep.number, scene,
                f"{u.where()} dresses {view.people.name(who)} in a {'/'.join(sorted(groups))} {t}; canon since "
                f"{fact.valid_from}: '{fact.object}'", fact=fact, unit=u, severity=Severity.warning,
                suggestion=f"keep '{fact.object}', or show the change of clothes on the page"))
    for who in named:
        if set(toks) & UNHURT:
            fact = next((f for f in view.about(who, FactKind.current_appearance, ep.number, scene.number)
                         if f.predicate.startswith("injur") and f.valid_from.episode == ep.number), None)
            if fact:
                out.append(finding("current_appearance_contradiction", ep.number, scene,
                                   f"{u.where()} calls {view.people.name(who)} unhurt; canon: '{fact.object}'",
                                   fact=fact, unit=u, suggestion=f"show the injury: '{fact.object}'"))
    return out
