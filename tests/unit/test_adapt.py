"""Extraction sanitising, the cast merge (one resolver, never two characters for one), the episode map,
and the book's facts in series time with their sources and findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from showrunner.adapt.book import Chapter, split_book
from showrunner.adapt.extract import (
    FactDraft,
    PassageDraft,
    PassageNotes,
    Person,
    PersonDraft,
    SourcedFact,
    clean_name,
    find_quote,
    names_used,
    notes_from_draft,
)
from showrunner.adapt.merge import merge_notes
from showrunner.adapt.plan import book_facts, episode_at, episode_map
from showrunner.errors import BadInput
from showrunner.models import FactKind

EXCERPT = Path(__file__).resolve().parents[2] / "tests" / "data" / "alice-ch1-2.txt"


def _notes(chapter: int, *people: Person, facts: list[SourcedFact] | None = None) -> PassageNotes:
    return PassageNotes(chapter=chapter, scene=1, start=(chapter - 1) * 1000, end=chapter * 1000,
                        people=list(people), facts=facts or [])


def test_rabbit_and_white_rabbit_are_one_character_in_either_order() -> None:
    for first, second in ((Person(name="the Rabbit"), Person(name="the White Rabbit")),
                          (Person(name="White Rabbit"), Person(name="the Rabbit"))):
        cast = merge_notes([_notes(1, Person(name="Alice"), first), _notes(2, second, Person(name="Alice"))])
        assert [c.name for c in cast.characters] == ["Alice", "White Rabbit"]
        rabbit = cast.characters[1]
        assert cast.people.resolve("the Rabbit") == cast.people.resolve("White Rabbit") == rabbit.id
        assert cast.appearances[rabbit.id] == [1, 2] and cast.merges


def test_an_alias_joins_two_characters_and_the_join_is_shown() -> None:
    cast = merge_notes([_notes(1, Person(name="Dodo"), Person(name="the Bird")),
                        _notes(2, Person(name="Dodo", aliases=["the Bird"]))])
    assert [c.name for c in cast.characters] == ["Dodo"]
    assert any("joined" in m for m in cast.merges)


def test_distinct_people_stay_apart_and_titles_do_not_merge_roles() -> None:
    cast = merge_notes([_notes(1, Person(name="Mira Vale"), Person(name="Tom Vale"), Person(name="the Queen"),
                               Person(name="the King"))])
    assert len(cast.characters) == 4


def test_a_fixed_look_that_changes_between_chapters_is_a_finding_not_a_silent_choice() -> None:
    cast = merge_notes([_notes(1, Person(name="Mira", hair="short red hair")),
                        _notes(3, Person(name="Mira", hair="long black hair", outfit="a dragon"))])
    mira = cast.characters[0]
    assert mira.look.hair == "short red hair" and mira.state.outfit == ""  # 'a dragon' is no garment
    assert [(f.code, f.chapters) for f in cast.findings] == [("look_conflict", [1, 3])]


def test_names_that_are_descriptions_are_not_characters() -> None:
    assert clean_name("Alice's sister") == "" and clean_name("a very old man with a long grey beard") == ""
    assert clean_name(" the Hatter. ") == "the Hatter"


def test_a_fact_keeps_the_offset_of_its_quote_and_an_invented_quote_is_dropped() -> None:
    text = "Alice took the golden key\nfrom the glass table and opened the little door for the Queen."
    people = [PersonDraft(name="Alice", hair="golden hair", outfit="brown dress"), PersonDraft(
        name="Axel", aliases="the Door, Bella"), PersonDraft(name="Queen"),
              PersonDraft(name="the Door", aliases="Bella, the little door")]
    draft = PassageDraft(summary="Alice opens the door.", people=people, facts=[
        FactDraft(character="Alice", kind="possession", value="the golden key", quote="took the golden key from the"),
        FactDraft(character="Alice", kind="death", value="dead", quote="Alice fell down dead at once")])
    notes = notes_from_draft(draft, text=text, start=500, end=500 + len(text), chapter=1, scene=1)
    (fact,) = notes.facts
    book = " " * 500 + text
    assert book[fact.offset:fact.offset + len(fact.quote)] == fact.quote == "took the golden key\nfrom the"
    assert (notes.people[0].hair, notes.people[0].outfit) == ("golden hair", "")  # the text never says brown
    kept = [(p.name, p.aliases) for p in notes.people]
    assert kept == [("Alice", []), ("Queen", []), ("the Door", ["the little door"])]
    assert "'Axel': not named in the passage" in notes.dropped[0] and "quote not in the passage" in notes.dropped[1]
    assert find_quote(text, "'opened the little door'") is not None and find_quote(text, "door") is None


def _chapters(sizes: list[int]) -> list[Chapter]:
    out, at = [], 0
    for i, n in enumerate(sizes, 1):
        out.append(Chapter(number=i, title=f"C{i}", start=at, end=at + n,
                           scenes=[(at, at + n // 2, 0, 0), (at + n // 2, at + n, 0, 0)]))
        at += n
    return out


def test_episode_map_balances_chapters_then_uses_scenes() -> None:
    chapters = _chapters([100] * 12)
    assert [[u[0] for u in ep] for ep in episode_map(chapters, 6)] == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10],
                                                                       [11, 12]]
    assert [len(ep) for ep in episode_map(chapters, 12)] == [1] * 12
    twenty = episode_map(chapters, 20)
    assert len(twenty) == 20 and all(u[1] > 0 for ep in twenty for u in ep)  # scenes, in book order
    flat = [u for ep in twenty for u in ep]
    assert flat == sorted(flat) and len(flat) == 24
    uneven = episode_map(_chapters([900, 100, 100, 100, 100, 900]), 3)
    assert [[u[0] for u in ep] for ep in uneven] == [[1], [2, 3, 4, 5], [6]]
    with pytest.raises(BadInput, match="24 scenes"):
        episode_map(chapters, 25)


def test_book_facts_are_placed_in_series_time_admitted_and_checked() -> None:
    alice, rabbit = Person(name="Alice"), Person(name="the White Rabbit")
    facts = [SourcedFact(character="the Rabbit", kind="death", value="dead", chapter=1, offset=10, quote="q" * 8),
             SourcedFact(character="Alice", kind="injury", value="very happy", chapter=2, offset=1010, quote="q" * 8),
             SourcedFact(character="Alice", kind="possession", value="a golden key", chapter=2, offset=1020,
                         quote="took a golden key"),
             SourcedFact(character="Alice", kind="relationship", value="sister of the Rabbit", chapter=1,
                         offset=20, quote="q" * 8),
             SourcedFact(character="Alice", kind="relationship", value="mother of the Rabbit", chapter=2,
                         offset=1030, quote="q" * 8),
             SourcedFact(character="Bill", kind="possession", value="a ladder", chapter=2, offset=1040, quote="q" * 8)]
    passages = [_notes(1, alice, rabbit, facts=facts[:1] + facts[3:4]), _notes(2, alice, rabbit, facts=facts[1:3] +
                                                                                  facts[4:])]
    cast = merge_notes(passages)
    plan = episode_map(_chapters([1000, 1000, 1000]), 3)
    kept, dropped, findings = book_facts(passages, cast, episode_at(plan))
    by = {(f.fact.kind, f.fact.predicate): f for f in kept}
    death = by[(FactKind.status, "status")]
    assert death.fact.subject == "white-rabbit" and death.fact.valid_from.episode == 2  # dies in ep 1
    assert death.fact.source.startswith("ch 1 @10:")
    assert by[(FactKind.possession, "holds")].fact.valid_from.episode == 2
    sister = by[(FactKind.relationship, "sister")].fact
    assert (sister.subject, sister.object) == ("white-rabbit", "alice")  # Alice is the Rabbit's sister
    assert sorted(f.code for f in findings) == ["relation_conflict", "seen_after_death"]
    assert any("very happy" in d or "names no wound" in d for d in dropped)
    assert any("'Bill'" in d and "not a known character" in d for d in dropped)


def test_the_excerpt_splits_and_its_passages_fit_one_call(tmp_path: Path) -> None:
    index = split_book(EXCERPT, tmp_path)
    assert [c.title for c in index.chapters] == ["CHAPTER I. Down the Rabbit-Hole", "CHAPTER II. The Pool of Tears"]
    assert all(s[1] - s[0] < 7000 for c in index.chapters for s in c.scenes)


def test_names_used_are_capitalised_mid_sentence_words_never_written_in_lower_case() -> None:
    text = ("Then Mira saw the Rabbit. 'Oh!' said Mira to the White Rabbit. Very well, the White Rabbit "
            "was very late, and Mira ran. The Rabbit ran too.")
    assert names_used(text) == ["Mira", "White Rabbit"]  # 'Rabbit' alone only starts sentences; 'Very' is a word
