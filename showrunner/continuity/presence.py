"""Checks on who is where and when: the dead and the missing, two places at once, time order, name typos.

Flashbacks and dreams may show anyone anywhere, so every check here skips them (name typos excepted).
A character who dies *in* a scene may be in that scene; a death recorded for an episode without a scene
number does not flag that same episode. A dead character may be talked about, seen as a body, or heard on
a recording; only being on screen or speaking is an error.
"""

from __future__ import annotations

from showrunner.continuity.units import Unit, finding, shot_id
from showrunner.models import ContinuityIssue, Episode, Fact, FactKind, Scene, Severity, Shot
from showrunner.world import World
from showrunner.world.lexicon import NOT_PRESENT
from showrunner.world.names import norm, split_qualifier
from showrunner.world.state import DEAD, MISSING
from showrunner.world.timeline import established_at

_BODY = ("body", "corpse", "coffin", "casket", "grave", "remains", "portrait", "photo", "photograph", "statue")


def _gone(view: World, cid: str, ep: int, sc: int) -> Fact | None:
    """The dead/missing status fact that holds for ``cid`` at (ep, sc), or None.

    Two conventions meet here: the canon importer writes a death in S4 as holding from S5 (``source``
    "E3 S4: death"), a hand-written fact may say ``valid_from`` S4 meaning "dies in S4". Either way the
    character may be in the scene where they die, and a death "in E3" (no scene) spares all of E3.
    """
    f = view.latest(cid, FactKind.status, None, ep, sc)
    if f is None or norm(f.object) not in DEAD | MISSING:
        return None
    born = established_at(f)
    if born == f.valid_from and born.key() == (ep, sc):
        return None  # established in this very scene: the death happens here
    if born.scene is None and born.episode == ep:
        return None  # died "in this episode", scene unknown: it may happen after this scene
    return f


def _as_body(scene: Scene, names: list[str]) -> bool:
    text = " " + norm(" ".join([scene.summary, *scene.action])) + " "
    return any(f" {n} s {b} " in text or f" {b} of {n} " in text for n in names for b in _BODY)


def _as_image(view: World, scene: Scene, cid: str, ref: str = "") -> bool:
    """The scene shows ``cid`` only as a recording, hologram, call or memory.

    Either the cast entry says so ("Mira (hologram)"), or the narration puts such a word within three
    words of the name ("a hologram of Mira flickers").
    """
    if NOT_PRESENT.search(split_qualifier(ref)[1] if ref else ""):
        return True
    for text in (scene.summary, *scene.action):
        toks = view.tag(text)
        for i, t in enumerate(toks):
            if t == "@" + cid and NOT_PRESENT.search(" ".join(toks[max(0, i - 3):i + 4])):
                return True
    return False


RETURN = {"returns", "returned", "alive", "survived", "survives", "resurrected", "revived", "reappears",
          "reappeared", "rescued", "found", "escaped", "escapes", "back"}
DOUBT = {"not", "never", "if", "wish", "wishes", "dream", "dreams", "imagines", "hopes", "believes", "rumor",
         "rumour", "pretends", "fake", "impostor", "imposter", "double", "twin", "lookalike"}


def stated_returns(view: World, narrative: list[Unit]) -> set[str]:
    """Characters the narration brings back ("Ruth walks in, alive", "Cal returns from the sea")."""
    out: set[str] = set()
    for u in narrative:
        toks = view.tag(u.text)
        words = set(toks)
        if words & RETURN and not words & DOUBT:
            named = [t[1:] for t in toks if t.startswith("@")] or ([u.antecedent] if u.antecedent else [])
            out.update(named[:1])
    return out


def check_status(view: World, ep: Episode, scene: Scene, shots: list[Shot],
                 spoken: list[Unit], returned: set[str] | None = None) -> list[ContinuityIssue]:
    """The dead and the missing on screen or speaking (a return the episode states is honoured)."""
    out: list[ContinuityIssue] = []
    seen: set[str] = set(returned or ())
    for u in spoken:  # speaking first: the strongest evidence (O.S. is off screen but there: it counts)
        cid = view.people.resolve(u.speaker or "")
        if cid is None or cid in seen or NOT_PRESENT.search(f"{u.direction} {split_qualifier(u.speaker or '')[1]}"):
            continue
        if _as_image(view, scene, cid):
            continue
        fact = _gone(view, cid, ep.number, scene.number)
        if fact is not None:
            seen.add(cid)
            out.append(_status_issue(view, ep, scene, cid, fact, speaking=True, unit=u))
    present = [(c, None) for c in scene.characters] + [(c, shot_id(s)) for s in shots for c in s.characters]
    for name, shot in present:
        cid = view.people.resolve(name)
        if cid is None or cid in seen:
            continue
        fact = _gone(view, cid, ep.number, scene.number)
        forms = [k for k, v in view.people.forms.items() if v == cid]
        if fact is not None and not _as_body(scene, forms) and not _as_image(view, scene, cid, name):
            seen.add(cid)
            out.append(_status_issue(view, ep, scene, cid, fact, speaking=False, shot=shot))
    return out


def _status_issue(view: World, ep: Episode, scene: Scene, cid: str, fact: Fact, *, speaking: bool,
                  unit: Unit | None = None, shot: str | None = None) -> ContinuityIssue:
    dead = norm(fact.object) in DEAD
    who, state = view.people.name(cid), "dead" if dead else "missing"
    code = f"{state}_character_{'speaks' if speaking else 'on_screen'}"
    doing = "speaks" if speaking else "is on screen"
    return finding(
        code, ep.number, scene,
        f"{who} {doing} in E{ep.number} S{scene.number}, but is {state} since {established_at(fact)}",
        fact=fact, unit=unit, shot=shot, severity=Severity.error if dead else Severity.warning,
        suggestion=f"mark the scene as a flashback or dream, remove {who}, or record {who}'s return "
                   f"(a status fact 'alive' or 'returned') before this scene")


def _ids(view: World, scene: Scene) -> set[str]:
    return {cid for c in scene.characters if (cid := view.people.resolve(c)) and not _as_image(view, scene, cid, c)}


def check_two_places(view: World, ep: Episode) -> list[ContinuityIssue]:
    """The same character in two overlapping stretches of story time at different places."""
    timed = [s for s in ep.scenes if not s.unreal and s.start is not None and s.end is not None]
    out: list[ContinuityIssue] = []
    for i, b in enumerate(timed):
        for a in timed[:i]:
            assert a.start is not None and a.end is not None and b.start is not None and b.end is not None
            if not (a.start < b.end and b.start < a.end) or view.same_place(a.location, b.location):
                continue
            ids_a = _ids(view, a)
            both = sorted(ids_a & _ids(view, b))
            if both:
                names = ", ".join(view.people.name(c) for c in both)
                out.append(finding(
                    "two_places_at_once", ep.number, b,
                    f"{names} in S{b.number} at {b.location} ({b.start}-{b.end} h) overlaps S{a.number} at "
                    f"{a.location} ({a.start}-{a.end} h)",
                    suggestion="shift the scenes' times so they do not overlap, or remove the character "
                               "from one of them"))
                break
    return out


def check_time_order(view: World, ep: Episode) -> list[ContinuityIssue]:
    """A character's story time going backwards between real scenes: an unmarked flashback."""
    last: dict[str, Scene] = {}
    out: list[ContinuityIssue] = []
    for s in ep.scenes:
        if s.unreal or s.start is None:
            continue
        ids = sorted(_ids(view, s))
        for cid in ids:
            prev = last.get(cid)
            if prev is not None and prev.start is not None and s.start < prev.start:
                out.append(finding(
                    "time_goes_backwards", ep.number, s,
                    f"S{s.number} starts at {s.start} h, before S{prev.number} ({prev.start} h) with "
                    f"{view.people.name(cid)}, and is not marked as a flashback",
                    severity=Severity.warning, suggestion="mark the scene as a flashback or fix its start time"))
                break
        for cid in ids:
            last[cid] = s
    return out


def check_names(view: World, ep: Episode, scene: Scene, shots: list[Shot], spoken: list[Unit],
                named: set[str]) -> list[ContinuityIssue]:
    """Names not in canon: near-misses of known ones (typos) and new ones ("add to canon?" warnings).

    Walk-ons ('Guard #3', 'Old Woman') are neither. ``named`` carries the names reported in this episode.
    """
    out: list[ContinuityIssue] = []
    names = [(c, None) for c in scene.characters] + [(u.speaker or "", u.shot) for u in spoken]
    names += [(c, shot_id(s)) for s in shots for c in s.characters]
    for ref, shot in names:
        name = split_qualifier(ref)[0]
        if not name.strip() or norm(name) in named or view.people.resolve(name) or view.people.is_extra(name):
            continue
        named.add(norm(name))
        guess = view.people.suggest(name)
        if guess:
            known = view.people.name(guess)
            out.append(finding("near_miss_name", ep.number, scene,
                               f"'{name}' is not a known character; it looks like a typo of {known}",
                               shot=shot, characters=[guess], severity=Severity.warning,
                               suggestion=f"write '{known}', or add '{name}' as an alias or character"))
        else:
            out.append(finding("unknown_character", ep.number, scene,
                               f"new character '{name}' is not in canon: add to canon?", shot=shot,
                               severity=Severity.warning,
                               suggestion=f"approve at the script gate to add '{name}' to canon with a look "
                                          "from the script, or use a known character"))
    loc = scene.location.strip()
    if loc and view.places.resolve(loc) is None and "@" + norm(loc) not in named:
        named.add("@" + norm(loc))
        place = view.places.suggest(loc)
        if place:
            known = view.places.name(place)
            out.append(finding("near_miss_name", ep.number, scene,
                               f"'{loc}' is not a known location; it looks like a typo of {known}",
                               severity=Severity.warning,
                               suggestion=f"write '{known}', or add '{loc}' as a location or alias"))
        else:
            out.append(finding("unknown_location", ep.number, scene,
                               f"new location '{loc}' is not in canon: add to canon?", severity=Severity.warning,
                               suggestion=f"approve at the script gate to add '{loc}' to canon, or use a known place"))
    return out
