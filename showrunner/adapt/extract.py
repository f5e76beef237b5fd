"""Per-passage extraction: what the LLM fills for one scene of the book, and how it becomes sourced notes.

The schema is small (a 135M local model fills it under constrained decoding): a few people with a short
look and voice, a few places, a few facts with the passage's own words. Code then makes it safe: names
are clipped, descriptions (``"Alice's sister"``, long phrases) are not names, and a name the passage
does not contain is dropped (a small model invents people), and so is a look whose words it does not
use; every fact must quote
the passage, and the quote is found in the book (whitespace-tolerant), so each fact carries its chapter,
its character offset in ``book.txt`` and the exact quoted text; a fact whose words are not in the passage
is dropped. ``minItems`` hints make a small model name at least one person and one fact (code drops
what the passage does not bear out).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from showrunner.agents.drafts import _items, _text, clip, prose
from showrunner.world.names import TITLES, norm

FactWord = Literal["death", "injury", "possession", "relationship", "whereabouts", "look"]
MAX_NAME_WORDS = 4
QUOTE_CHARS = 100


class PersonDraft(BaseModel):
    name: str = _text(40, "Name as the passage writes it.", None, least=2)
    aliases: str = _text(60, "Other names or titles the passage uses for them, comma-separated.")
    hair: str = _text(30, "Hair, if the passage says.")
    eyes: str = _text(20, "Eyes, if the passage says.")
    outfit: str = _text(40, "Clothes, if the passage says.")
    voice: str = _text(40, "How they speak.")


class PlaceDraft(BaseModel):
    name: str = _text(40, "Name of the place.", None, least=3)
    look: str = _text(60, "What it looks like.")


class FactDraft(BaseModel):
    character: str = _text(40, "Who the fact is about.", None, least=2)
    kind: FactWord
    value: str = _text(40, "e.g. 'dead', 'cut hand', 'a golden key', 'sister of Alice', 'the hall'.", None)
    quote: str = _text(QUOTE_CHARS, "The exact words of the passage that say it.", None, least=8)


class PassageDraft(BaseModel):
    summary: str = _text(200, "What happens, two sentences.", None)
    people: list[PersonDraft] = _items(4, least=1)
    places: list[PlaceDraft] = _items(3)
    facts: list[FactDraft] = _items(4, least=1)


class Person(BaseModel):
    """A character as one passage names and describes them."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    hair: str = ""
    eyes: str = ""
    outfit: str = ""
    voice: str = ""


class Place(BaseModel):
    name: str
    look: str = ""


class SourcedFact(BaseModel):
    """A fact at its point in story time (chapter), with its source in ``book.txt``."""

    character: str
    kind: FactWord
    value: str
    chapter: int
    offset: int = Field(description="Character offset of the quote in book.txt.")
    quote: str = Field(description="The book's exact words at that offset.")


class PassageNotes(BaseModel):
    """What one passage (chapter, scene) establishes; saved as a checkpoint."""

    chapter: int
    scene: int
    start: int
    end: int
    summary: str = ""
    people: list[Person] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    facts: list[SourcedFact] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list, description="Facts refused, with the reason.")


def clean_name(name: str) -> str:
    """A usable name, or '' for a description ("Alice's sister", a sentence, punctuation)."""
    text = clip(name, 60).strip(" .,;:!?'\"")
    words = text.split()
    if not words or len(words) > MAX_NAME_WORDS or re.search(r"['’]s\b", text) or not prose(text):
        return ""
    return text


_CAPS = re.compile(r"(?<![A-Za-z'’])([A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})?)\b")


def names_used(text: str, limit: int = 12) -> list[str]:
    """Capitalised words the passage uses mid-sentence more than once and never in lower case, in order.

    A hint for the model (a small one otherwise invents names); it may hold places or other words, and the
    model decides. A word the passage also writes in lower case ('Very', 'Down') is ordinary English.
    """
    lower = set(re.findall(r"\b[a-z]+\b", text))
    counts: dict[str, int] = {}
    for m in _CAPS.finditer(text):
        before = text[:m.start()].rstrip()[-1:]
        if before and before not in ".!?'\"‘“(:;-—" and m.group(1).split()[0].lower() not in lower:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return [n for n, k in counts.items() if k >= 2][:limit]


def named_in(name: str, words: set[str]) -> bool:
    """True when every word of ``name`` (titles aside, unless it is only a title: 'the Queen') is in the passage."""
    said = norm(name).split()
    own = [w for w in said if w not in TITLES] or [w for w in said if w not in ("the", "a", "an")]
    return bool(own) and all(w in words for w in own)


def said_in(look: str, words: set[str]) -> bool:
    """True when the passage has every word of a look ('pink eyes': 'pink'); a look it never says is made up."""
    own = [w for w in norm(look).split() if w not in ("hair", "eyes", "eye", "a", "an", "the", "her", "his")]
    return bool(own) and all(w in words for w in own)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """The span of ``quote`` in ``text`` (exact, else with any whitespace between its words), or None."""
    quote = quote.strip().strip("'\"“”‘’").strip()
    if len(quote) < 8:
        return None
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None


def notes_from_draft(d: PassageDraft, *, text: str, start: int, end: int, chapter: int,
                     scene: int) -> PassageNotes:
    """Sourced, sanitised notes for the passage ``text`` that begins at ``start`` in book.txt."""
    notes = PassageNotes(chapter=chapter, scene=scene, start=start, end=end, summary=prose(d.summary, 400))
    seen: set[str] = set()
    words = set(norm(text).split())
    for p in d.people[:8]:
        name = clean_name(p.name)
        if name and not named_in(name, words):
            notes.dropped.append(f"ch {chapter}: person {name!r}: not named in the passage")
        elif name and name.lower() not in seen:
            seen.add(name.lower())
            aliases = [a for a in (clean_name(x) for x in p.aliases.split(",")[:4])
                       if a and a.lower() != name.lower() and named_in(a, words)]
            hair, eyes, outfit = (v if said_in(v, words) else "" for v in (clip(p.hair, 60), clip(p.eyes, 40),
                                                                            clip(p.outfit, 80)))
            notes.people.append(Person(name=name, aliases=aliases, hair=hair, eyes=eyes, outfit=outfit,
                                       voice=prose(p.voice, 120)))
    for pl in d.places[:6]:
        name = clean_name(pl.name)
        if name and named_in(name, words) and all(name.lower() != x.name.lower() for x in notes.places):
            notes.places.append(Place(name=name, look=prose(pl.look, 200)))
    for f in d.facts[:8]:
        who, value = clean_name(f.character), clip(f.value, 80)
        span = find_quote(text, f.quote)
        if not who or not value or span is None:
            why = "no character" if not who else "no value" if not value else "quote not in the passage"
            notes.dropped.append(f"ch {chapter}: {f.kind} {clip(f.character, 40)!r} {value!r}: {why}")
            continue
        notes.facts.append(SourcedFact(character=who, kind=f.kind, value=value, chapter=chapter,
                                       offset=start + span[0], quote=text[span[0]:span[1]]))
    return notes
