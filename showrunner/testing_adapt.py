"""The scripted double's answers for the adaptation schemas (registered in :mod:`showrunner.testing`).

It reads the passage the prompt fences and answers from it alone, the way a careful model would: people
are the capitalised names the passage uses mid-sentence (each form on its own, so "White Rabbit" and
"the Rabbit" arrive as two people and the merge must join them), places are "the X" that people go into
more than once, and facts are the passage's own sentences about possessions, deaths, injuries, changes of
look and whereabouts, quoted verbatim. Nothing here knows any particular book.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

_FENCE = re.compile(r"<<<\n(.*?)\n>>>", re.S)
_NAME = re.compile(r"\b(?:(the|a|an)\s+)?([A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})?)\b")
_STOP = frozenset("""The This That There Then They Their What When Where Which Who Why How Well Yes Please
Some Here Sir Miss Madam Majesty Mrs Dear English French Latin Christmas Monday Tuesday Wednesday Thursday
Friday Saturday Sunday January February March April May June July August September October November
December God Lord Now And But She His Her Its Not Just Only Soon Very Still Even Come Let Oh Ah Indeed
Presently Suddenly Perhaps Certainly Luckily Next Alas Meanwhile Besides Instead Quite""".split())
_VERB = r"(?!['’]s)(?:,?\s+[a-z]+){0,3}?\s+"  # the name is the subject: at most three words before the verb
_ACTS = r"said|thought|cried|asked|replied|went|looked|began|ran|sat|took|shouted|added|remarked|whispered"
_PLACE = re.compile(r"\b(?:in|into|at|across|down|through)\s+the\s+(?!same\b|other\b|way\b|end\b|middle\b|"
                    r"air\b|world\b|rest\b|least\b|time\b|first\b|last\b|moment\b)([a-z]{3,}(?:-[a-z]+)?)\b")
_OWN = r"(?!her\b|his\b|its\b|the\b|their\b|my\b|your\b|own\b)"
_SENT = re.compile(r"[^.!?]*[.!?]")


def _fenced(text: str, label: str) -> str:
    at = text.find(label)
    m = _FENCE.search(text, at) if at >= 0 else None
    return m.group(1) if m else ""


def _names(passage: str) -> list[tuple[str, str]]:
    """(name as used, with its article) for names used mid-sentence that act or speak there."""
    counts: Counter[str] = Counter()
    forms: dict[str, str] = {}
    for m in _NAME.finditer(passage):
        before = passage[:m.start()].rstrip()
        if not before or before[-1] in ".!?'\"(:;-" or m.group(2).split()[0] in _STOP:
            continue
        counts[m.group(2)] += 1
        forms.setdefault(m.group(2), f"the {m.group(2)}" if m.group(1) == "the" else m.group(2))
    acts = {n for n in forms if re.search(rf"\b{re.escape(n)}(?:\s+[a-z]+)?\s+(?:{_ACTS})\b|said (?:the )?"
                                          rf"{re.escape(n)}\b", passage)}
    return [(n, forms[n]) for n in forms if n in acts][:4]


def _person(name: str, passage: str) -> dict[str, Any]:
    near = " ".join(s for s in _SENT.findall(passage) if name in s)
    eyes = re.search(rf"{re.escape(name)}[^.!?]{{0,40}}?\b({_OWN}[a-z]+ eyes)\b", near)
    hair = re.search(rf"{re.escape(name)}[^.!?]{{0,40}}?\b({_OWN}[a-z]+ hair)\b", near)
    said = re.search(rf"said {re.escape(name)}\s+([a-z]+ly)\b|{re.escape(name)} said,? ([a-z]+ly)\b", passage)
    return {"name": name, "aliases": "", "hair": hair.group(1) if hair else "", "eyes": eyes.group(1) if eyes else "",
            "outfit": "", "voice": f"speaks {next(g for g in said.groups() if g)}" if said else ""}


_FACTS: tuple[tuple[str, str, Callable[[re.Match[str]], str]], ...] = (
    ("death", r"(?:died|was killed|is dead|was drowned)\b", lambda m: "dead"),
    ("injury", r"(?:hurt|cut|bruised|burnt|scratched|bit)\s+(?:her|his|its)\s+([a-z]+)",
     lambda m: f"hurt {m.group(1)}"),
    ("possession", r"(?:took|picked up|found|held|carried|caught)\s+((?:a|an|the|her|his|its)\s+[a-z]{3,}"
                   r"(?:\s+(?!and\b|with\b|out\b|off\b|again\b|from\b|into\b|up\b|down\b)[a-z]{3,})?)",
     lambda m: m.group(1)),
    ("look", r"(?:grew|shrank|was now|began to grow|shutting up)\s+([a-z][a-z ]{2,30}?)(?=[,.;!?])",
     lambda m: m.group(1).strip()),
)


def passage_notes(text: str) -> dict[str, Any]:
    """A :class:`~showrunner.adapt.extract.PassageDraft` answer read off the fenced passage."""
    passage = _fenced(text, "Passage:")
    names = _names(passage)
    places = [p for p, k in Counter(_PLACE.findall(passage)).most_common(3) if k >= 2]
    facts: list[dict[str, str]] = []
    for name, _ in names:
        for kind, pattern, value in _FACTS:
            m = re.search(rf"\b{re.escape(name)}\b{_VERB}{pattern}", passage)
            if m and len(facts) < 4 and len(m.group(0)) <= 100:
                facts.append({"character": name, "kind": kind, "value": value(m), "quote": m.group(0)})
        where = re.search(rf"\b{re.escape(name)}\b{_VERB}(?:in|into|at|to)\s+the\s+({'|'.join(places)})\b",
                          passage) if places else None
        if where and len(facts) < 4 and len(where.group(0)) <= 100:
            facts.append({"character": name, "kind": "whereabouts", "value": f"the {where.group(1)}",
                          "quote": where.group(0)})
    sentences = [" ".join(s.split()) for s in _SENT.findall(passage)[:2]]
    return {"summary": " ".join(sentences)[:200] or "The story goes on.",
            "people": [_person(n, passage) | {"name": form} for n, form in names],
            "places": [{"name": f"the {p}", "look": ""} for p in places], "facts": facts}


def episode_pitch(text: str) -> dict[str, Any]:
    """An episode's title from its first chapter's heading and a logline from what happens there."""
    n = re.search(r"Episode (\d+) of \d+ adapts ([^\n,]*)", text)
    heading = re.sub(r"^(chapter|part|book)\s+\S+\s*[.:\-]?\s*", "", n.group(2), flags=re.I) if n else ""
    said = " ".join(_fenced(text, "What happens there:").split())
    notes = " ".join(_fenced(text, "Reviewer notes").split())
    logline = (said.split(". ")[0].rstrip(".") + "." if said else f"Part {n.group(1) if n else 1}.")[:180]
    return {"title": heading[:50] or "Untitled", "logline": logline + (f" Revised: {notes}"[:190] if notes else "")}


def season(text: str) -> dict[str, Any]:
    book = re.search(r"Book: ([^\n,]*)", text)
    lines = [x for x in _fenced(text, "episodes:").splitlines() if x.strip()]
    arc = f"It opens with {lines[0].split('. ', 1)[-1]}" if lines else "The story unfolds."
    return {"logline": f"An animated adaptation of {book.group(1) if book else 'the book'}.", "genre": "fantasy",
            "tone": "whimsical", "season_arc": (arc + (f" It ends with {lines[-1].split('. ', 1)[-1]}"
                                                      if len(lines) > 1 else ""))[:300]}


HANDLERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "PassageDraft": passage_notes, "EpisodePitch": episode_pitch, "SeasonDraft": season,
}
