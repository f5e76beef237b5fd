"""Injury checks: a wound that still holds contradicted by what the character does.

An arm in a sling or a cast, a broken hand or wrist, a dislocated shoulder: the character does not use
"both hands", claps or climbs a rope. A leg in a cast, a broken leg or ankle, a sprained knee: the
character does not sprint, leap or kick. Injuries hold until a later fact heals them (an ``injuries``
fact whose value is ``healed`` or ``none``, or ``valid_until``), so an arm broken in E3 still constrains
E7. A sentence that shows the struggle ("despite the sling", "winces", "tries to", "limps") is fine.
"""

from __future__ import annotations

from showrunner.continuity.units import Unit, finding
from showrunner.models import ContinuityIssue, Episode, Fact, FactKind, Scene
from showrunner.world import World
from showrunner.world.names import norm

ARM = {"arm", "arms", "hand", "hands", "wrist", "wrists", "shoulder", "elbow", "forearm", "fingers", "collarbone"}
LEG = {"leg", "legs", "ankle", "ankles", "knee", "knees", "foot", "feet", "hip", "thigh", "shin"}
HURT = {"sling", "cast", "broken", "fractured", "sprained", "dislocated", "splint", "splinted", "shattered",
        "bandaged", "crushed", "wounded", "injured", "twisted", "cracked"}
# activities that need both arms / sound legs (phrases as token tuples)
ARM_USE = [("both", "hands"), ("both", "arms"), ("two", "handed"), ("claps",), ("clapping",), ("applauds",),
           ("climbs", "the", "rope"), ("pull", "ups"), ("cartwheel",), ("handstand",), ("swings", "from")]
LEG_USE = [("sprints",), ("sprinting",), ("sprint",), ("dashes", "across"), ("leaps",), ("jumps",),
           ("kicks",), ("kicking",), ("dances",), ("dancing",), ("runs", "to"), ("runs", "after"),
           ("runs", "across"), ("runs", "down"), ("runs", "up"), ("bounds",), ("vaults",), ("hurdles",),
           ("jogs",), ("jogging",), ("marathon",)]
STRUGGLE = {"despite", "winces", "wincing", "tries", "trying", "attempts", "struggles", "struggling", "can",
            "cannot", "unable", "limps", "limping", "hobbles", "hobbling", "crutch", "crutches", "wheelchair",
            "one", "good", "uninjured", "healed", "remembers", "used", "before", "once", "wishes", "dreams",
            "pain", "painfully", "gingerly", "awkwardly", "clumsily", "not", "never", "doesn", "don", "isn"}


def _limb(value: str) -> set[str]:
    words = set(norm(value).split())
    if not words & HURT:
        return set()
    return ({"arm"} if words & ARM else set()) | ({"leg"} if words & LEG else set())


def _has(toks: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(toks[i:i + n]) == phrase for i in range(len(toks) - n + 1))


def _injuries(view: World, cid: str, ep: int, sc: int) -> list[tuple[Fact, set[str]]]:
    out = []
    for f in view.about(cid, FactKind.current_appearance, ep, sc):
        if f.predicate.startswith("injur") and norm(f.object) not in ("healed", "none"):
            if f.valid_from.key() < (ep, sc) and (limbs := _limb(f.object)):
                out.append((f, limbs))
    return out


def check_injuries(view: World, ep: Episode, scene: Scene, narrative: list[Unit]) -> list[ContinuityIssue]:
    out: list[ContinuityIssue] = []
    reported: set[str] = set()
    for u in narrative:
        toks = view.tag(u.text)
        if set(toks) & STRUGGLE:
            continue
        names = [t[1:] for t in toks if t.startswith("@")]
        who = names[:1] or ([u.antecedent] if u.antecedent and _pronoun_subject(toks) else [])
        for cid in who:
            if cid in reported:
                continue
            for fact, limbs in _injuries(view, cid, ep.number, scene.number):
                uses = ([p for p in ARM_USE if _has(toks, p)] if "arm" in limbs else []) + \
                       ([p for p in LEG_USE if _has(toks, p)] if "leg" in limbs else [])
                if uses:
                    reported.add(cid)
                    act = " ".join(uses[0])
                    out.append(finding(
                        "injury_contradiction", ep.number, scene,
                        f"{u.where()}: {view.people.name(cid)} {act}, but has '{fact.object}' since "
                        f"{fact.valid_from}", fact=fact, unit=u, characters=[cid],
                        suggestion=f"show the injury ('{fact.object}') or record its healing before this scene"))
                    break
    return out


def _pronoun_subject(toks: list[str]) -> bool:
    return bool(toks) and toks[0] in ("he", "she", "they")
