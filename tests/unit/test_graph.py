"""The showrunner graph end to end with the scripted LLM and the hash embedder: gates, notes, edits, loops."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from showrunner.errors import BadInput
from showrunner.io import read_jsonl
from showrunner.memory.canon import Canon
from showrunner.models import Critique
from showrunner.pipelines import series
from showrunner.pipelines.project import Project
from showrunner.testing import ScriptedLLM, story_responder

PREMISE = "A lighthouse keeper's daughter finds a map to a drowned city"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWRUNNER_EMBEDDER", "hash")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def step(root: Path, llm: ScriptedLLM, action: str = "approve", **kw: Any) -> dict[str, Any]:
    return series.continue_series(root, {"action": action, **kw}, llm=llm)


def test_every_gate_in_order_then_done(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 2, llm=llm)
    seen = []
    while res["status"] == "waiting":
        seen.append((res["pending"]["gate"], res["pending"]["episode"]))
        if seen[-1][0] == "final":  # the final gate shows the rendered preview cut
            assert Path(res["pending"]["render"]["outputs"]["mp4"]).is_file()
            # the unapproved script reaches the renderer, so every frame knows its scene's location
            sidecars = [json.loads(p.read_text()) for p in (root / "renders" / "frames").rglob("*.json")]
            assert sidecars and all(sc["spec"]["location"] for sc in sidecars)
        res = step(root, llm)
    assert seen == [("bible", 0), ("script", 1), ("storyboard", 1), ("final", 1), ("script", 2),
                    ("storyboard", 2), ("final", 2)]
    assert res["status"] == "done" and res["completed"] == [1, 2]
    canon = Canon(root / "canon")
    assert canon.episode_numbers() == [1, 2] and canon.storyboard(2)
    decisions = read_jsonl(root / "logs" / "decisions.jsonl")
    assert [(d["gate"], d["episode"], d["action"]) for d in decisions] == [(g, e, "approve") for g, e in seen]
    # facts from scenes (whereabouts, events) and from the LLM's change list (appearance) are committed
    kinds = {f.kind.value for f in canon.facts()}
    assert {"whereabouts", "event", "current_appearance", "fixed_appearance"} <= kinds


def test_reject_with_notes_reaches_the_responsible_agent(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    series.new_series(root, PREMISE, 1, llm=llm)
    res = step(root, llm, "reject", notes="Make the world rules mention the tide clock")
    assert res["pending"]["gate"] == "bible"
    assert "Make the world rules mention the tide clock" in llm.calls("writer/bible")[-1].text
    assert any("tide clock" in r for r in res["pending"]["artifact"]["world_rules"])
    res = step(root, llm)  # bible approved
    n_revise = len(llm.calls("writer/revise"))
    res = step(root, llm, "reject", notes="Give Oren Pike the last word")
    assert res["pending"]["gate"] == "script"
    assert len(llm.calls("writer/revise")) == n_revise + 1
    assert "Give Oren Pike the last word" in llm.calls("writer/revise")[-1].text
    assert "Give Oren Pike the last word" in res["pending"]["artifact"]["scenes"][0]["summary"]
    res = step(root, llm)  # script approved → storyboard
    res = step(root, llm, "reject", notes="More close-ups at the harbor")
    assert res["pending"]["gate"] == "storyboard"
    assert all("More close-ups at the harbor" in r.text for r in llm.calls("director/shots")[-2:])
    assert "More close-ups" in res["pending"]["artifact"]["shots"][0]["action"]
    res = step(root, llm)
    res = step(root, llm, "reject", notes="Recut the opening")  # final → back to the director
    assert res["pending"]["gate"] == "storyboard"
    actions = [(d["gate"], d["action"]) for d in read_jsonl(root / "logs" / "decisions.jsonl")]
    assert actions.count(("script", "reject")) == 1 and ("final", "reject") in actions


def test_invalid_edit_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    series.new_series(root, PREMISE, 1, llm=llm)
    proj = Project(root.resolve())
    before = series.snapshot(proj).config["configurable"]["checkpoint_id"]
    bad = dict(series.pending(proj)["artifact"], title="")  # min_length=1
    calls = len(llm.requests)
    with pytest.raises(BadInput, match="title"):
        series.continue_series(root, {"action": "edit", "artifact": bad}, llm=llm)
    with pytest.raises(BadInput):
        series.continue_series(root, {"action": "edit", "artifact": {"characters": "nope"}}, llm=llm)
    assert series.snapshot(proj).config["configurable"]["checkpoint_id"] == before
    assert len(llm.requests) == calls and not (root / "logs" / "decisions.jsonl").exists()
    assert series.pending(proj)["gate"] == "bible"


def test_accepted_edit_replaces_the_artifact(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 1, llm=llm)
    art = res["pending"]["artifact"]
    art["title"] = "The Drowned Map"
    art["characters"][0]["look"]["hair"] = "long violet braid"
    hero = art["characters"][0]["id"]
    res = series.continue_series(root, {"action": "edit", "artifact": art, "notes": "retitled"}, llm=llm)
    assert res["pending"]["gate"] == "script"
    canon = Canon(root / "canon")
    assert canon.bible().title == "The Drowned Map"
    assert canon.bible().character(hero).look.hair == "long violet braid"  # type: ignore[union-attr]
    dec = read_jsonl(root / "logs" / "decisions.jsonl")[-1]
    assert (dec["gate"], dec["action"], dec["notes"]) == ("bible", "edit", "retitled")
    # the edited look is what the director's visual prompts carry
    res = step(root, llm)
    shots = res["pending"]["artifact"]["shots"]
    mira = [s for s in shots if hero in s["characters"]]
    assert mira and all("long violet braid" in s["visual_prompt"] for s in mira)


@pytest.mark.parametrize("limit", [0, 2])
def test_revise_loop_stops_at_its_bound(tmp_path: Path, limit: int) -> None:
    def always_revise(prompt: Any, schema: Any) -> Any:
        if schema is Critique:
            return Critique(verdict="revise", notes=["Never good enough."])
        return story_responder(prompt, schema)

    llm, root = ScriptedLLM(always_revise), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 1, llm=llm, auto_approve=frozenset({"bible"}),
                               revision_limit=limit)
    assert res["pending"]["gate"] == "script"
    assert len(llm.calls("writer/revise")) == limit
    assert len(llm.calls("critic/critique")) == limit + 1
    assert res["pending"]["critique"]["verdict"] == "revise"  # the person sees the unresolved verdict


def test_auto_approve_all_runs_to_the_end(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 3, llm=llm, auto_approve=frozenset({"all"}))
    assert res == {"status": "done", "pending": None, "completed": [1, 2, 3]}
    decisions = read_jsonl(root / "logs" / "decisions.jsonl")
    assert len(decisions) == 10 and all(d["auto"] for d in decisions)
    ledger = read_jsonl(root / "logs" / "ledger.jsonl")
    calls = [r for r in ledger if r["kind"] == "llm"]
    assert len(calls) == len(llm.requests) and {r["episode"] for r in ledger} == {0, 1, 2, 3}


def test_visual_prompts_are_assembled_from_canon(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    series.new_series(root, PREMISE, 2, llm=llm, auto_approve=frozenset({"all"}))
    canon = Canon(root / "canon")
    bible = canon.bible()
    for n in (1, 2):
        ep = canon.episode(n)
        assert ep is not None
        for shot in canon.storyboard(n) or []:
            scene = ep.scenes[shot.scene - 1]
            assert shot.characters and set(shot.characters) <= set(scene.characters)
            for cid in shot.characters:
                c = bible.character(cid)
                assert c is not None and c.look.describe() in shot.visual_prompt
            loc = bible.location(scene.location)
            assert loc is not None and loc.look in shot.visual_prompt
            assert shot.reference_ids == [*shot.characters, loc.id] and shot.seed > 0
    # episode 1's committed appearance change shows in episode 2's prompts for that character
    changed = [f for f in canon.facts() if f.kind.value == "current_appearance" and f.valid_from.episode == 1]
    assert changed
    who = changed[0].subject
    ep2_prompts = [s.visual_prompt for s in canon.storyboard(2) or [] if who in s.characters]
    assert all(changed[0].object in p for p in ep2_prompts)
    # same inputs, same seeds: a second series from the same premise gets identical storyboards
    llm2, root2 = ScriptedLLM(story_responder), tmp_path / "t"
    series.new_series(root2, PREMISE, 2, llm=llm2, auto_approve=frozenset({"all"}))
    assert Canon(root2 / "canon").digest() == canon.digest()


def test_storyboard_carries_every_line_of_dialogue_in_order(tmp_path: Path) -> None:
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    series.new_series(root, PREMISE, 1, auto_approve=frozenset({"all"}), llm=llm)
    canon = Canon(root / "canon")
    episode, shots = canon.episode(1), canon.storyboard(1)
    assert episode is not None and shots
    for scene in episode.scenes:
        spoken = [line for s in shots if s.scene == scene.number for line in s.dialogue]
        assert spoken == scene.dialogue
        for s in shots:
            words = sum(len(d.text.split()) for d in s.dialogue)
            assert s.duration >= min(words / 2.5, 59)
    srt = (root / "renders" / "ep-001" / "ep-001.srt").read_text()
    first = next(line for scene in episode.scenes for line in scene.dialogue)
    assert first.text in srt


def test_edit_adding_a_new_character_and_place_is_shown_then_admitted(tmp_path: Path) -> None:
    """An edit that brings a name and a place not in canon comes back to the gate as findings; approving
    it creates the canon entries (with a look read from the script), and the new character is drawn."""
    llm, root = ScriptedLLM(story_responder), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 1, llm=llm)
    res = step(root, llm)  # bible approved → script gate
    art = res["pending"]["artifact"]
    scene = art["scenes"][0]
    scene["characters"].append("Ysolde Marr")
    scene["location"] = "The Sunken Chapel"
    scene["summary"] = "Ysolde Marr, in a green oilskin coat, leads them into the flooded nave."
    scene["dialogue"].append({"speaker": "Ysolde Marr", "text": "Mind the steps; the tide is turning."})
    res = series.continue_series(root, {"action": "edit", "artifact": art}, llm=llm)
    assert res["pending"]["gate"] == "script"  # shown again, with what the edit introduced
    codes = {(f["code"], f["severity"]) for f in res["pending"]["continuity"]}
    assert ("unknown_character", "warning") in codes and ("unknown_location", "warning") in codes
    res = step(root, llm)  # accepted → storyboard
    assert res["pending"]["gate"] == "storyboard"
    shots = [s for s in res["pending"]["artifact"]["shots"] if s["scene"] == 1]
    assert any("ysolde-marr" in s["characters"] for s in shots)  # she speaks, so she is drawn
    drawn = [s for s in shots if "ysolde-marr" in s["characters"]]
    assert all("green oilskin coat" in s["visual_prompt"] and "unknown" not in s["visual_prompt"] for s in drawn)
    while res["status"] == "waiting":
        res = step(root, llm)
    canon = Canon(root / "canon")
    ysolde = canon.bible().character("Ysolde Marr")
    assert ysolde is not None and ysolde.state.outfit == "green oilskin coat"
    assert canon.bible().location("The Sunken Chapel") is not None


def test_a_season_of_prompts_carries_no_stray_schema_words(tmp_path: Path) -> None:
    """A small model echoes field names and stray words into shot actions; prompts are built only from
    canon and shot fields, so none of them reaches an image prompt."""
    junk = ["Framing.", "Camera_Move. frame.", "dribble.", "Framing. Camera_Move. The keeper lights the lamp."]

    def noisy(prompt: Any, schema: Any) -> Any:
        out = story_responder(prompt, schema)
        if schema.__name__ == "ShotList":
            for i, shot in enumerate(out["shots"]):
                shot["action"] = junk[i % len(junk)]
        return out

    llm, root = ScriptedLLM(noisy), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 2, llm=llm, auto_approve=frozenset({"all"}))
    assert res["status"] == "done"
    canon = Canon(root / "canon")
    prompts = [s.visual_prompt for n in (1, 2) for s in canon.storyboard(n) or []]
    assert prompts
    for p in prompts:
        low = p.lower()
        assert not any(w in low for w in ("framing.", "camera_move", "frame.", "dribble")), p


def test_a_placeholder_bible_goes_back_to_the_writer_before_the_gate(tmp_path: Path) -> None:
    """The critic's blocking checks on a bible (placeholder loglines, one role for all) send it back for a
    bounded rewrite with the findings as notes; the gate shows what still stands."""
    def lazy(prompt: Any, schema: Any) -> Any:
        out = story_responder(prompt, schema)
        if schema.__name__ == "BibleDraft" and "placeholder" not in prompt.text:
            out["episode_loglines"] = out["episode_loglines"][:1]  # the rest become placeholders
        return out

    llm, root = ScriptedLLM(lazy), tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 3, llm=llm)
    bibles = llm.calls("writer/bible")
    assert len(bibles) == 2 and "placeholder loglines" in bibles[1].text
    assert res["pending"]["gate"] == "bible" and res["pending"]["critic"] == []
    titles = [e["title"] for e in res["pending"]["artifact"]["episodes"]]
    assert not any(t.startswith("Episode ") for t in titles), titles
