"""The critic's deterministic checks: each one flags its defect and leaves a sound script alone."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from langgraph.runtime import Runtime

from showrunner.agents.critic import critique_script
from showrunner.agents.critic_checks import (
    CheckFinding,
    adjust,
    check_bible,
    check_script,
    placeholder,
    similarity,
)
from showrunner.agents.drafts import BibleDraft, bible_from_draft
from showrunner.config import Settings
from showrunner.context import Context
from showrunner.memory.canon import Canon
from showrunner.models import Bible, Character, Critique, CritiqueScores, Episode, EpisodeLogline, Location
from showrunner.testing import HashEmbedder, ListMemory, ScriptedLLM

PREMISE = "A lighthouse keeper's daughter finds a map to a drowned city off her coast."
BIBLE = Bible(
    title="The Drowned Map", logline="Mira races a salvage baron to the drowned city her grandfather charted.",
    season_arc="Mira hides the map, dives the sunken gate, and learns why the town let the city drown.",
    characters=[Character(name="Mira Vale", role="protagonist", aliases=["Mira"]),
                Character(name="Oren Pike", role="rival diver", aliases=["Oren"]),
                Character(name="Tamsin Holt", role="antagonist", aliases=["Tamsin"])],
    locations=[Location(name="Old Lighthouse"), Location(name="Sunken Gate")],
    episodes=[EpisodeLogline(number=1, title="Low Water", logline="Mira finds the chart of the drowned city."),
              EpisodeLogline(number=2, title="The Gate", logline="Mira and Oren dive to the sunken gate.")])


def scene(n: int, summary: str, lines: list[tuple[str, str]], chars: tuple[str, ...] = ("Mira Vale", "Oren Pike"),
          loc: str = "Sunken Gate") -> dict[str, Any]:
    return {"number": n, "location": loc, "characters": list(chars), "summary": summary,
            "dialogue": [{"speaker": s, "text": t} for s, t in lines]}


def episode(*scenes: dict[str, Any], title: str = "The Gate", logline: str = "Mira and Oren dive to the sunken "
            "gate of the drowned city and find it bolted from outside.") -> Episode:
    return Episode.model_validate({"number": 2, "title": title, "logline": logline, "scenes": list(scenes)})


GOOD = episode(
    scene(1, "Mira and Oren dive through green water to the drowned city's gate.", [("Oren Pike", "It's bolted."),
          ("Mira Vale", "From the outside.")]),
    scene(2, "Back at the lighthouse Mira studies her grandfather's map of the drowned streets.",
          [("Mira Vale", "Somebody locked the sea in.")], chars=("Mira Vale",), loc="Old Lighthouse"))


def codes(found: list[CheckFinding]) -> set[str]:
    return {f.code for f in found}


def test_a_sound_script_passes_every_check() -> None:
    assert check_script(GOOD, BIBLE, embedder=HashEmbedder(), premise=PREMISE) == []


@pytest.mark.parametrize("text", ["Episode 2", "The story continues.", "[story description]", "TBD: a twist",
                                  "[Character Name] finds the map", "Scene 3.", "Lorem ipsum dolor"])
def test_placeholder_text_is_recognised(text: str) -> None:
    assert placeholder(text)


@pytest.mark.parametrize("text", ["Pilot", "[quietly] Asleep. Like any mother.", "Episode two of her life begins",
                                  "The story of the drowned city continues to haunt her.",
                                  "Addresses notes: the title is a placeholder, todo list"])
def test_real_text_is_not_a_placeholder(text: str) -> None:
    assert not placeholder(text)


def test_placeholder_scene_blocks_and_placeholder_title_only_warns() -> None:
    bad = episode(scene(1, "[story description]", [("Mira Vale", "[dialogue]")]))
    found = check_script(bad, BIBLE)
    assert any(f.code == "placeholder_text" and f.blocking for f in found)
    titled = GOOD.model_copy(update={"title": "Episode 2"})
    assert [(f.code, f.blocking) for f in check_script(titled, BIBLE)] == [("placeholder_title", False)]


def test_duplicated_scenes_lines_and_loglines_block() -> None:
    same = "Mira and Oren dive to the gate."
    twice = episode(scene(1, same, [("Mira Vale", "Down we go.")]), scene(2, same, [("Oren Pike", "It's cold.")]))
    assert "duplicate_scene" in codes(check_script(twice, BIBLE))
    loop = [("Mira Vale", "Why did you lie?"), ("Oren Pike", "I had orders.")] * 3
    assert "duplicate_dialogue" in codes(check_script(episode(scene(1, "An argument.", loop)), BIBLE))
    copied = GOOD.model_copy(update={"logline": "Mira finds the chart of the drowned city."})  # episode 1's
    assert "duplicate_logline" in codes(check_script(copied, BIBLE))
    callback = episode(scene(1, "Mira dives.", [("Mira Vale", "Keep the lamp lit."), ("Oren Pike", "Why?")]),
                       scene(2, "Oren dives.", [("Oren Pike", "Keep the lamp lit."), ("Mira Vale", "Yes.")]))
    assert not codes(check_script(callback, BIBLE)) & {"duplicate_dialogue", "duplicate_scene"}


def test_no_dialogue_blocks() -> None:
    silent = episode(scene(1, "Mira and Oren dive to the drowned city.", []))
    assert [f.code for f in check_script(silent, BIBLE) if f.blocking] == ["no_dialogue"]


def test_cast_outside_canon_blocks_only_when_it_takes_over() -> None:
    hijacked = episode(scene(1, "John and Sarah find gold at the gate.", [("John Smith", "Rich!")],
                             chars=("John Smith", "Sarah Connor")))
    assert [(f.code, f.blocking) for f in check_script(hijacked, BIBLE)] == [("cast_outside_canon", True)]
    guest = episode(scene(1, "Old Teague lends Mira his boat.", [("Old Teague", "Take her.")],
                          chars=("Mira Vale", "Oren Pike", "Old Teague")))
    assert [(f.code, f.blocking) for f in check_script(guest, BIBLE)] == [("cast_outside_canon", False)]
    extras = episode(scene(1, "Guards bar the gate.", [("Guard #2", "Halt!"), ("Mira Vale", "Let me by.")],
                           chars=("Mira Vale", "Guard #2", "Crowd")))
    assert check_script(extras, BIBLE) == []


def test_off_premise_episode_blocks_with_the_embedder() -> None:
    bake = episode(scene(1, "Mira and Oren enter a televised baking contest; the judges taste sponge cakes.",
                         [("Mira Vale", "My sponge is lighter."), ("Oren Pike", "The judges decide.")]),
                   logline="Mira and Oren compete in a baking contest for a golden whisk trophy.")
    found = check_script(bake, BIBLE, embedder=HashEmbedder(), premise=PREMISE)
    assert [(f.code, f.blocking) for f in found] == [("off_premise", True)]
    assert check_script(bake, BIBLE, premise=PREMISE) == []  # no embedder, no premise check


def test_similarity_is_topic_not_function_words() -> None:
    emb = HashEmbedder()
    assert similarity(emb, PREMISE, GOOD.logline) > similarity(emb, PREMISE, "The judges of the contest at the bakery.")
    assert similarity(emb, "", "anything") == 0.0


def test_one_role_for_everyone_blocks_in_bible_and_script() -> None:
    flat = BIBLE.model_copy(update={"characters": [c.model_copy(update={"role": "crew member"})
                                                   for c in BIBLE.characters]})
    assert any(f.code == "same_role" and f.blocking for f in check_bible(flat))
    assert "same_role" in codes(check_script(GOOD, flat))
    assert "same_role" not in codes(check_bible(BIBLE)) | codes(check_script(GOOD, BIBLE))


def test_bible_placeholders_from_a_short_draft_are_found() -> None:
    keepers = [{"name": "Mira", "role": "keeper"}, {"name": "Tom", "role": "keeper"}]
    draft = BibleDraft.model_validate({"title": "Tides", "logline": "Two keepers hold a lighthouse.",
                                       "characters": keepers, "episode_loglines": ["Mira finds the map."] * 2})
    bible = bible_from_draft(draft, premise=PREMISE, episodes=3)  # episode 3 gets "The story continues (part 3)."
    found = {f.code: f for f in check_bible(bible, embedder=HashEmbedder(), premise=PREMISE)}
    assert found["placeholder_logline"].blocking and "[3]" in found["placeholder_logline"].message
    assert not found["placeholder_title"].blocking  # "Episode N" titles are the system's default
    assert found["duplicate_logline"].blocking and found["same_role"].blocking
    assert set(found) == {"placeholder_logline", "placeholder_title", "duplicate_logline", "same_role"}


def test_adjust_caps_scores_adds_notes_and_revises() -> None:
    crit = Critique(scores=CritiqueScores(coherence=9, character_consistency=9, pacing=9, hook=9, canon_adherence=9),
                    notes=["Nice ending."], verdict="approve")
    warned = adjust(crit, [CheckFinding("x", "minor", False, ("hook",))])
    assert (warned.verdict, warned.scores.hook, warned.notes) == ("approve", 7, ["minor", "Nice ending."])
    blocked = adjust(crit, [CheckFinding("y", "no dialogue", True, ("pacing", "coherence"))])
    got = (blocked.verdict, blocked.scores.pacing, blocked.scores.coherence, blocked.scores.hook)
    assert got == ("revise", 3, 3, 9)
    assert adjust(crit, []) == crit


def _critique_node(script: Episode) -> Critique:
    happy = Critique(scores=CritiqueScores(coherence=9, character_consistency=9, pacing=9, hook=9,
                                           canon_adherence=9), verdict="approve")
    llm = ScriptedLLM(lambda prompt, schema: happy)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context(llm=llm, memory=ListMemory(), canon=Canon(Path(tmp)), settings=Settings(embedder="hash"))
        state: Any = {"bible": BIBLE, "episode": 2, "script": script, "premise": PREMISE, "revisions": 0}
        out = critique_script(state, Runtime(context=ctx))
    assert isinstance(out["critique"], Critique)
    return out["critique"]


def test_critique_node_says_no_when_a_check_blocks_even_if_the_llm_approves() -> None:
    assert _critique_node(GOOD).verdict == "approve" and _critique_node(GOOD).scores.mean() == 9
    silent = episode(scene(1, "Mira and Oren dive to the drowned city's gate.", []))
    crit = _critique_node(silent)
    assert crit.verdict == "revise" and crit.scores.mean() < 9
    assert crit.notes[0].startswith("the script has no dialogue")


# Calibration texts for PREMISE_FLOORS (written before the critic eval data; see critic_checks.py).
ON_TOPIC = ["Mira climbs to the lamp room and finds her father's chart of the sunken streets. She rows out at low "
            "tide and sees the drowned city's spires under the water.",
            "Oren refuses to lend Mira his boat. Tamsin steals the keeper's logbook and finds the drowned city "
            "marked on a chart."]
OFF_TOPIC = ["Detective Hale interrogates a nervous banker about the missing pension funds. The audit reveals forged "
             "signatures and an offshore account.",
             "Mira Vale and Oren Pike compete in a televised baking contest; the judges hate their souffle and "
             "Tamsin wins the trophy."]


def _calibration(embedder: Any) -> None:
    for text in ON_TOPIC:
        ep = episode(scene(1, text, [("Mira Vale", "Look."), ("Oren Pike", "I see it.")]), logline="")
        assert "off_premise" not in codes(check_script(ep, BIBLE, embedder=embedder, premise=PREMISE)), text
    for text in OFF_TOPIC:
        ep = episode(scene(1, text, [("Mira Vale", "Look."), ("Oren Pike", "I see it.")]), logline="")
        assert "off_premise" in codes(check_script(ep, BIBLE, embedder=embedder, premise=PREMISE)), text


def test_premise_floor_of_the_hashing_embedder_on_the_calibration_texts() -> None:
    _calibration(HashEmbedder())


@pytest.mark.slow
def test_premise_floor_of_minilm_on_the_calibration_texts() -> None:
    from showrunner.memory.embeddings import MiniLMEmbedder

    _calibration(MiniLMEmbedder())


def test_a_cast_of_one_blocks_the_bible() -> None:
    """Four characters with one name collapse to one id: the bible has no cast to tell a story with."""
    lone = BIBLE.model_copy(update={"characters": BIBLE.characters[:1]})
    assert any(f.code == "thin_cast" and f.blocking for f in check_bible(lone))
    assert "thin_cast" not in codes(check_bible(BIBLE))
