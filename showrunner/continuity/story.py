"""Checks on what the story asserts: possessions, family relations, and events placed before they happen.

Possessions: a lost or destroyed item used again in action text (searching for it, finding it again,
remembering it or holding a replica is fine); an item held by one character used by another with no
hand-over in the sentence. Relations: ``my brother Tom`` or ``Mira's father Tom`` when the canon links the
two by a *different* family tie (figurative "brother" between friends is not checked). Events: an event the
canon places later referred to as past (``since the harbour fire``), or a death spoken of before it happens.
"""

from __future__ import annotations

import re

from showrunner.continuity.units import Unit, finding
from showrunner.models import ContinuityIssue, Episode, Fact, FactKind, Scene, SceneRef, Severity
from showrunner.world import World
from showrunner.world.lexicon import CANON_KIN, KIN, POSSESSIVE, names_in, owner
from showrunner.world.names import norm
from showrunner.world.state import DEAD
from showrunner.world.timeline import established_at

HOLD = {"holds", "has", "owns", "carries", "wields", "possesses", "keeps", "wears"}
GONE = {"lost", "destroyed", "broken", "burned", "sunk", "stolen", "discarded", "shattered", "melted", "gone"}
EXEMPT_ITEM = {"search", "searches", "searching", "look", "looks", "looking", "find", "finds", "found", "recover",
               "recovers", "recovered", "retrieve", "retrieves", "missing", "lost", "loses", "remember",
               "remembers", "memory", "without", "gone", "mourns", "misses", "replica", "copy", "fake", "forged",
               "pieces", "shards", "remains", "wreck", "ruins", "picture", "photo", "drawing", "painting",
               "imagines", "new", "another", "replacement", "spare", "wishes", "where", "thinks", "wonders"}
RECOVER = {"find", "finds", "found", "recovers", "recovered", "retrieves", "retrieved", "returns", "reforged"}
USE = {"uses", "draws", "wields", "unlocks", "opens", "fires", "swings", "brandishes", "raises", "carries",
       "holds", "pulls", "reads", "wears", "plays", "points", "unsheathes", "aims", "lights", "grips", "clutches"}
TRANSFER = {"gives", "hands", "passes", "takes", "grabs", "snatches", "steals", "borrows", "lends", "returns",
            "tosses", "throws", "receives", "offers", "gave", "handed", "lent", "borrowed", "stole", "took"}
PAST = {"since", "after", "remember", "remembers", "remembered", "survived", "survivors", "aftermath", "ago",
        "happened", "was", "were", "anniversary", "memorial", "during", "rebuilt", "ever"}
NOT_FACT = {"will", "going", "if", "might", "could", "would", "may", "unless", "think", "thinks", "thought",
            "believe", "believes", "rumor", "rumour", "rumours", "rumors", "fake", "faked", "pretend",
            "pretends", "lie", "lies", "lying", "not", "never", "isn", "wasn", "afraid", "fear", "fears",
            "before", "prevent", "save", "vision", "prophecy", "foretold", "tomorrow", "plan", "plans", "dream"}
DEATH_AFTER = {"died", "dead", "killed", "murdered", "executed", "death", "funeral", "murder", "grave", "dies"}
# words that may follow an item name without making it a longer name
FOLLOW = {"and", "or", "but", "to", "from", "at", "in", "on", "into", "onto", "with", "without", "of", "off",
          "for", "by", "up", "down", "out", "over", "under", "again", "back", "away", "aside", "high", "aloft",
          "the", "a", "an", "his", "her", "their", "its", "my", "your", "our", "that", "which", "who", "as",
          "then", "while", "when", "before", "after", "is", "was", "are", "were", "be", "has", "had", "have",
          "will", "would", "can", "could", "shall", "should", "must", "now", "still", "too", "once", "open",
          "shut", "free", "loose", "toward", "towards", "across", "through", "against", "around", "like",
          "he", "she", "they", "it", "we", "i", "you", "him", "them", "me", "us", "just", "only", "here",
          "there", "one", "last", "first", "tight", "close", "closer", "forward", "upward", "downward"}
Timed = list[tuple[tuple[int, int], SceneRef, Fact]]  # (valid_from key, established at, fact), by valid_from
EVENT_PREDICATES = ("occurs", "happens", "happened", "event", "name", "title", "is")
_ARTICLES = {"the", "a", "an", "his", "her", "their", "its", "my"}


def _phrase(text: str) -> list[str]:
    toks = norm(text.replace("-", " ")).split()
    while toks and toks[0] in _ARTICLES:
        toks = toks[1:]
    return toks


def _has(toks: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(toks[i:i + n] == phrase for i in range(len(toks) - n + 1))


def _whole_item(text: str, phrase: tuple[str, ...]) -> bool:
    """``phrase`` names the item itself in ``text``, not a longer one ('key' in 'key card', 'key-card').

    Some occurrence must be followed by punctuation, the end, or a word that cannot extend a name.
    """
    pattern = r"\b" + r"[\s-]+".join(re.escape(w) for w in phrase) + r"\b(-?)(\s+([a-z]+))?"
    for m in re.finditer(pattern, text.lower()):
        nxt = m.group(3)
        if not m.group(1) and (nxt is None or nxt in FOLLOW or nxt.endswith(("s", "ed", "ing", "ly"))):
            return True
    return False


def _item_state(rows: Timed, ep: int, sc: int) -> tuple[str, Fact, SceneRef] | None:
    """("gone" | "held", fact, since) for an item at scene (ep, sc), from facts established before it.

    A loss established in this very scene, or in this episode without a scene, does not count yet: the
    item may be used until it is lost. A holding that ended (``valid_until``) ends *during* that scene.
    """
    f = next((f for vf, est, f in reversed(rows) if vf <= (ep, sc) and est.key() < (ep, sc)
              and not (est.scene is None and est.episode == ep)), None)
    if f is None:
        return None
    if f.predicate in GONE or norm(f.object) in GONE:
        return "gone", f, established_at(f)
    if f.valid_until is not None and f.valid_until.key() < (ep, sc):
        return "gone", f, f.valid_until
    return ("held", f, established_at(f)) if f.predicate in HOLD else None


def _items(view: World) -> dict[tuple[str, ...], Timed]:
    """Possession facts by item name, in time order (built once per world)."""
    if "items" in view.memo:
        return view.memo["items"]  # type: ignore[no-any-return]
    out: dict[tuple[str, ...], Timed] = {}
    for f in view.index.of_kind(FactKind.possession):
        about_item = f.predicate in ("status", "state") or f.subject not in view.people.display
        item = _phrase(f.subject if about_item else f.object)
        if item and (len(item) > 1 or len(item[0]) >= 3):
            out.setdefault(tuple(item), []).append((f.valid_from.key(), established_at(f), f))
    for rows in out.values():
        rows.sort(key=lambda r: r[0])
    view.memo["items"] = out
    return out


def check_possessions(view: World, ep: Episode, scene: Scene, narrative: list[Unit],
                      recovered: set[tuple[str, ...]]) -> list[ContinuityIssue]:
    out: list[ContinuityIssue] = []
    for item, facts in _items(view).items():
        state = _item_state(facts, ep.number, scene.number)
        for u in narrative:
            toks = view.tag(u.text)
            words = set(toks)
            if state is None or item in recovered or not _has(toks, list(item)) or not _whole_item(u.text, item):
                continue
            name = " ".join(item)
            if words & RECOVER:
                recovered.add(item)
            elif state[0] == "gone" and not words & EXEMPT_ITEM:
                out.append(finding("lost_item_reappears", ep.number, scene,
                                   f"{u.where()} uses the {name}, which is gone since "
                                   f"{state[2]}", fact=state[1], unit=u, item=name,
                                   characters=[c for c in names_in(toks) if c in view.people.display],
                                   suggestion=f"show how the {name} was recovered, or use another object"))
                break
            elif state[0] == "held" and words & USE and not words & TRANSFER:
                holder, users = state[1].subject, names_in(toks)
                if users and holder not in users and users[0] in view.people.display:
                    out.append(finding(
                        "possession_contradiction", ep.number, scene,
                        f"{u.where()}: {view.people.name(users[0])} uses the {name}, which "
                        f"{view.people.name(holder)} holds", fact=state[1], unit=u, severity=Severity.warning,
                        item=name, characters=[users[0], holder],
                        suggestion=f"show {view.people.name(holder)} handing over the {name}"))
                    break
    return out


def _claims(u: Unit, toks: list[str], speaker: str | None) -> list[tuple[str, str, str]]:
    """(a, b, kin category) claimed by a phrase.

    'my TERM @b' and '@b is my TERM' (a: the speaker), '@a s TERM @b', 'his/her TERM @b' (a: the referent).
    """
    out = []
    for i, t in enumerate(toks[:-1]):
        nxt = toks[i + 2] if i + 2 < len(toks) else ""
        if toks[i + 1] in KIN and nxt == "in":
            continue  # brother-in-law, brother in arms
        if t == "my" and toks[i + 1] in KIN and nxt.startswith("@") and speaker and u.spoken:
            if i == 0 or toks[i - 1] != "like":
                out.append((speaker, nxt[1:], KIN[toks[i + 1]]))
        if t in POSSESSIVE and toks[i + 1] in KIN and nxt.startswith("@") and (i == 0 or toks[i - 1] != "like"):
            a = owner(toks, i, u.antecedent)
            if a and a != nxt[1:]:
                out.append((a, nxt[1:], KIN[toks[i + 1]]))
        if t.startswith("@") and toks[i + 1] in ("is", "was") and nxt == "my" and speaker and u.spoken \
                and i + 3 < len(toks) and toks[i + 3] in KIN and toks[i + 4:i + 5] != ["in"]:
            out.append((speaker, t[1:], KIN[toks[i + 3]]))
        if t == "s" and i > 0 and toks[i - 1].startswith("@") and toks[i + 1] in KIN and nxt.startswith("@"):
            out.append((toks[i - 1][1:], nxt[1:], KIN[toks[i + 1]]))
    return out


def check_relations(view: World, ep: Episode, scene: Scene, units: list[Unit]) -> list[ContinuityIssue]:
    out: list[ContinuityIssue] = []
    rels = view.relations(ep.number, scene.number)
    for u in units:
        toks = view.tag(u.text)
        speaker = view.people.resolve(u.speaker) if u.speaker else None
        for a, b, cat in _claims(u, toks, speaker):
            pair = [f for f in rels if {f.subject, f.object} == {a, b}]
            kinds = {CANON_KIN.get(f.predicate.lower().replace(" ", "_")) for f in pair} - {None}
            if kinds and cat not in kinds:
                fact = pair[0]
                out.append(finding(
                    "relationship_contradiction", ep.number, scene,
                    f"{u.where()} makes {view.people.name(b)} {view.people.name(a)}'s {cat} relative; canon: "
                    f"{fact.sentence()}", fact=fact, unit=u,
                    suggestion=f"use the canon relation ({fact.predicate})"))
    return out


def _named_events(view: World) -> list[tuple[tuple[int, int], Fact, list[str]]]:
    """(start key, fact, name) for events a script can name: 'the harbour fire' (built once per world).

    A scene summary is an event too, but never quoted verbatim, so only short names (≤ 6 words) count.
    """
    if "events" not in view.memo:
        out = []
        for f in view.index.of_kind(FactKind.event):
            names = [_phrase(f.object)] if f.predicate in EVENT_PREDICATES else []
            if f.subject not in view.people.display and f.subject not in view.places.display:
                names.append(_phrase(f.subject))
            for p in names:
                if 0 < len(p) <= 6 and (len(p) > 1 or len(p[0]) >= 6):
                    out.append((f.valid_from.key(), f, p))
        view.memo["events"] = sorted(out, key=lambda r: r[0])
        view.memo["deaths"] = sorted(((f.valid_from.key(), f) for f in view.index.of_kind(FactKind.status)
                                      if norm(f.object) in DEAD), key=lambda r: r[0])
    return view.memo["events"]  # type: ignore[no-any-return]


def check_events(view: World, ep: Episode, scene: Scene, units: list[Unit]) -> list[ContinuityIssue]:
    out: list[ContinuityIssue] = []
    at = (ep.number, scene.number)

    def later(key: tuple[int, int]) -> bool:
        return key > at and not (key[1] == -1 and key[0] == ep.number)

    events = [(f, p) for key, f, p in _named_events(view) if later(key)]
    deaths = [f for key, f in view.memo["deaths"] if later(key)
              and view.latest(f.subject, FactKind.status, None, *at) is None]
    for u in units:
        toks = view.tag(u.text)
        words = set(toks)
        if words & NOT_FACT:
            continue
        hit = next((f for f, p in events if words & PAST and _has(toks, p)), None)
        hit = hit or next((f for f in deaths if _death_past(toks, f.subject)), None)
        if hit is not None:
            out.append(finding(
                "event_out_of_order", ep.number, scene,
                f"{u.where()} refers to '{hit.sentence()}' as past, but canon places it at {hit.valid_from}",
                fact=hit, unit=u, suggestion="move the reference after the event, or rephrase it as future"))
    return out


def _death_past(toks: list[str], cid: str) -> bool:
    tag_ = "@" + cid
    for i, t in enumerate(toks):
        if t != tag_:
            continue
        after = toks[i + 1:i + 3]
        if after[:1] and after[0] in ("died", "dies") or after[:2] in (["is", "dead"], ["was", "killed"],
                                                                        ["was", "murdered"], ["s", "death"],
                                                                        ["s", "funeral"], ["s", "murder"],
                                                                        ["s", "grave"], ["was", "executed"]):
            return True
        if i >= 2 and toks[i - 2:i] == ["death", "of"]:
            return True
    return False
