"""The adaptation artifact a person reviews at the ``adaptation`` gate.

It holds the canon extracted from the book, the findings it raised, and the episode map.

Every fact keeps its source in the book (chapter, character offset in ``book.txt``, the exact quote), so
the author can check it; findings are conflicts the merge did not resolve on its own (a hair colour that
changes, a character seen after their death, two different relations between the same two people).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from showrunner.models import Character, Fact, Location


class BookFact(BaseModel):
    """A canon fact with where the book says it."""

    fact: Fact
    chapter: int = Field(ge=1, description="Chapter of the book.")
    offset: int = Field(ge=0, description="Character offset of the quote in the project's adaptation/book.txt.")
    quote: str = Field(description="The book's exact words.")


class Finding(BaseModel):
    """A conflict between chapters, shown to the person and never silently resolved."""

    code: str = Field(description="e.g. 'look_conflict', 'seen_after_death', 'relation_conflict'.")
    subject: str = Field(description="Id of the character concerned.")
    message: str
    chapters: list[int] = Field(default_factory=list)


class EpisodePlan(BaseModel):
    """One episode: the chapters and scenes of the book it adapts, and its logline."""

    number: int = Field(ge=1)
    title: str
    logline: str
    chapters: list[int] = Field(description="Chapters it draws on, in order.")
    scenes: list[str] = Field(description="Passages it adapts, as 'chapter.scene' (e.g. '3.2').")
    start: int = Field(ge=0, description="Character offset in book.txt where its source begins.")
    end: int = Field(ge=0, description="Character offset where its source ends.")
    words: int = Field(0, ge=0, description="Words of source text.")


class Adaptation(BaseModel):
    """The book's canon and the season plan, waiting at the adaptation gate."""

    book: str = Field(description="Title of the book.")
    title: str = Field(min_length=1, max_length=200, description="Series title.")
    logline: str = ""
    genre: str = ""
    tone: str = ""
    season_arc: str = ""
    episodes: list[EpisodePlan] = Field(default_factory=list)
    characters: list[Character] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    facts: list[BookFact] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    merges: list[str] = Field(default_factory=list, description="Names the resolver joined into one character.")
    dropped: list[str] = Field(default_factory=list, description="Extracted facts refused, with the reason.")
    appearances: dict[str, list[int]] = Field(default_factory=dict, description="Chapters each character is in.")
    chapters: int = 0
    words: int = 0

    def references(self) -> dict[str, dict[str, Any]]:
        """Per character: the chapters they appear in and where the book states their facts (bible gate)."""
        out: dict[str, dict[str, Any]] = {c.id: {"chapters": self.appearances.get(c.id, []), "facts": []}
                                          for c in self.characters}
        for bf in self.facts:
            if bf.fact.subject in out:
                out[bf.fact.subject]["facts"].append(f"{bf.fact.text} ch {bf.chapter} @{bf.offset}: "
                                                     f"“{' '.join(bf.quote.split())}”")
        return out
