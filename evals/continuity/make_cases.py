"""Writes evals/continuity/cases.jsonl: hand-written continuity cases over the three worlds in worlds.json.

Each case is one episode checked against one world (plus optional extra facts and shots), with the
findings it should produce as (code, scene). ``planted`` cases hold one error each; ``control`` cases
hold what real series do and must produce nothing. The cases were written from how series are actually
scripted, before the engine was run on them, and were not edited afterwards to fit its output.
Run: python evals/continuity/make_cases.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("cases.jsonl")
CASES: list[dict[str, Any]] = []


def S(n: int, loc: str, chars: list[str], *, action: list[str] | None = None, lines: list[Any] | None = None,
      **kw: Any) -> dict[str, Any]:
    return {"number": n, "location": loc, "characters": chars, "action": action or [],
            "dialogue": [d if isinstance(d, dict) else {"speaker": d[0], "text": d[1]} for d in lines or []], **kw}


def case(cid: str, world: str, check: str, ep: int, scenes: list[dict[str, Any]], expected: list[tuple[str, int]],
         *, shots: list[dict[str, Any]] | None = None, note: str = "") -> None:
    CASES.append({"id": cid, "world": world, "check": check, "kind": "planted" if expected else "control",
                  "note": note, "episode": {"number": ep, "title": cid, "scenes": scenes}, "shots": shots or [],
                  "expected": [{"code": c, "scene": s} for c, s in expected]})


# ---------------------------------------------------------------- planted errors
case("dead-speaks-harbour", "harbour", "status", 5, [
    S(1, "Harbour", ["Mira Vance"], action=["Mira hauls nets."]),
    S(2, "Saltmarsh Inn", ["Mira Vance", "Jonas Reed"], lines=[("Jonas Reed", "You look tired, Captain.")])],
    [("dead_character_speaks", 2)])
case("dead-on-screen-harbour", "harbour", "status", 4, [
    S(1, "Lighthouse", ["Tom Vance", "Jonas Reed"], action=["Tom and Jonas climb the stairs in silence."])],
    [("dead_character_on_screen", 1)])
case("dead-speaks-keep", "keep", "status", 5, [
    S(1, "Throne Hall", ["Queen Isolde", "Ser Brannoc"], lines=[("Brannoc", "The north is lost, sister.")])],
    [("dead_character_speaks", 1)])
case("dead-in-shot-station", "station", "status", 3, [
    S(1, "Docks", ["Rosa Ibarra"], action=["Rosa watches the cranes."])],
    [("dead_character_on_screen", 1)],
    shots=[{"scene": 1, "number": 2, "characters": ["victor-lanz"], "action": "Lanz steps out of a car."}])
case("dead-speaks-alias", "station", "status", 4, [
    S(2, "Lanz Tower", ["Dale Ferris", "the Broker"], lines=[("the Broker", "You never learn, Sergeant.")])],
    [("dead_character_speaks", 2)])
case("missing-on-screen", "harbour", "status", 3, [
    S(2, "Greywater", ["Lena Marsh", "Tom Vance"], action=["Lena buys bread at the market."])],
    [("missing_character_on_screen", 2)])
case("typo-character", "harbour", "names", 2, [S(1, "Harbour", ["Mria Vance", "Tom Vance"])],
     [("near_miss_name", 1)])
case("typo-speaker", "keep", "names", 2, [
    S(1, "Throne Hall", ["Queen Isolde", "Wren"], lines=[("Isolda", "Kneel, thief.")])], [("near_miss_name", 1)])
case("typo-location", "station", "names", 2, [S(3, "Precint 9", ["Rosa Ibarra"])], [("near_miss_name", 3)])
case("typo-transposed", "harbour", "names", 2, [S(1, "Harbour", ["Mira Vance", "Tom Vnace"])],
     [("near_miss_name", 1)])
case("hair-blonde", "harbour", "appearance", 2, [
    S(1, "Harbour", ["Mira Vance"], action=["Wind whips Mira's blonde hair across her face."])],
    [("fixed_appearance_contradiction", 1)])
case("eyes-green", "keep", "appearance", 2, [
    S(1, "North Tower", ["Maelis"], action=["Maelis narrows her green eyes at the map."])],
    [("fixed_appearance_contradiction", 1)])
case("scar-side", "harbour", "appearance", 2, [
    S(1, "Lighthouse", ["Mira Vance"], action=["Lamplight catches the scar over her right eye as Mira turns."])],
    [("fixed_appearance_contradiction", 1)])
case("eyepatch-side", "keep", "appearance", 3, [
    S(2, "Highmoor", ["Ser Brannoc"], action=["Brannoc lifts the patch over his left eye and squints."])],
    [("fixed_appearance_contradiction", 2)])
case("tattoo-side", "station", "appearance", 2, [
    S(1, "Precinct 9", ["Rosa Ibarra"], action=["Rosa rolls up her sleeve; the tattoo on her left forearm shows."])],
    [("fixed_appearance_contradiction", 1)])
case("outfit-colour", "harbour", "outfit", 5, [
    S(2, "Harbour", ["Mira Vance"], action=["Mira zips her red flight jacket."]),
    S(3, "Harbour", ["Mira Vance"], action=["Mira pulls her green jacket tight against the rain."])],
    [("current_appearance_contradiction", 3)])
case("injury-side", "harbour", "injury", 5, [
    S(4, "Saltmarsh Inn", ["Tom Vance"], action=["Tom raises a glass, his right arm heavy in its cast."])],
    [("current_appearance_contradiction", 4)])
case("lost-key", "harbour", "possession", 5, [
    S(1, "Lighthouse", ["Mira Vance"], action=["Mira turns the brass key in the lock and the door swings open."])],
    [("lost_item_reappears", 1)])
case("destroyed-sunblade", "keep", "possession", 4, [
    S(1, "Throne Hall", ["Prince Aric"], action=["Aric raises the Sunblade over his head."])],
    [("lost_item_reappears", 1)])
case("held-by-another-drive", "station", "possession", 2, [
    S(1, "Precinct 9", ["Rosa Ibarra"], action=["Rosa plugs the evidence drive into her laptop."])],
    [("possession_contradiction", 1)], note="verb 'plugs' is outside a short verb list")
case("held-by-another-dagger", "keep", "possession", 2, [
    S(1, "Thieves' Market", ["Prince Aric"], action=["Aric draws the moonstone dagger."])],
    [("possession_contradiction", 1)])
case("relation-son", "keep", "relationship", 3, [
    S(1, "Throne Hall", ["Queen Isolde", "Ser Brannoc"],
      lines=[("Queen Isolde", "Leave us. I would speak to my son Brannoc.")])],
    [("relationship_contradiction", 1)])
case("relation-narrative", "station", "relationship", 2, [
    S(1, "Precinct 9", ["Kenji Sato", "Rosa Ibarra"], action=["Rosa's brother Kenji arrives with coffee."])],
    [("relationship_contradiction", 1)])
case("relation-cousin", "harbour", "relationship", 2, [
    S(1, "Saltmarsh Inn", ["Tom Vance", "Old Pell"], lines=[("Tom Vance", "I'm looking for my cousin Mira.")])],
    [("relationship_contradiction", 1)])
case("relation-is-my", "keep", "relationship", 2, [
    S(1, "Throne Hall", ["Prince Aric", "Wren"], lines=[("Prince Aric", "Queen Isolde is my aunt, thief.")])],
    [("relationship_contradiction", 1)], note="'X is my aunt' form")
case("two-places-harbour", "harbour", "two_places", 5, [
    S(1, "Harbour", ["Mira Vance"], start=10, end=11),
    S(2, "Lighthouse", ["Mira Vance", "Tom Vance"], start=10.5, end=11.5)], [("two_places_at_once", 2)])
case("two-places-station", "station", "two_places", 3, [
    S(1, "Morgue", ["Rosa Ibarra", "Kenji Sato"], start=14, end=15),
    S(2, "Docks", ["Dale Ferris", "Rosa Ibarra"], start=14.25, end=16)], [("two_places_at_once", 2)])
case("time-backwards", "keep", "time_order", 2, [
    S(1, "Throne Hall", ["Prince Aric"], start=12, end=13),
    S(2, "North Tower", ["Prince Aric"], start=9, end=10)], [("time_goes_backwards", 2)])
case("event-early-harbour", "harbour", "events", 4, [
    S(1, "Saltmarsh Inn", ["Old Pell"], lines=[("Old Pell", "Nobody has fished the bay since the Greywater flood.")])],
    [("event_out_of_order", 1)])
case("event-early-keep", "keep", "events", 3, [
    S(2, "Highmoor", ["Wren"], action=["Wren passes the survivors of the Siege of Highmoor."])],
    [("event_out_of_order", 2)])
case("death-early", "station", "events", 1, [
    S(2, "Precinct 9", ["Dale Ferris", "Rosa Ibarra"],
      lines=[("Dale Ferris", "Lanz is dead. Somebody beat us to him.")])],
    [("event_out_of_order", 2)])
case("lost-badge-shot", "station", "possession", 4, [S(1, "Docks", ["Rosa Ibarra"])],
     [("lost_item_reappears", 1)],
     shots=[{"scene": 1, "number": 1, "characters": ["rosa-ibarra"], "action": "Rosa flashes her badge at the guard."}])
case("hair-pronoun-only", "station", "appearance", 2, [
    S(1, "Precinct 9", ["Dale Ferris"], action=["He runs a hand through his red hair."])],
    [("fixed_appearance_contradiction", 1)], note="owner only by pronoun")

# ---------------------------------------------------------------- clean controls
case("ctl-flashback-dead", "harbour", "status", 5, [
    S(1, "Lighthouse", ["Jonas Reed", "Mira Vance"], flashback=True, lines=[("Jonas Reed", "Keep it lit, kid.")])], [])
case("ctl-dream-dead", "keep", "status", 5, [
    S(3, "North Tower", ["Ser Brannoc", "Queen Isolde"], dream=True, lines=[("Ser Brannoc", "Wake, sister.")])], [])
case("ctl-return", "keep", "status", 6, [
    S(3, "Throne Hall", ["Ser Brannoc", "Queen Isolde"], lines=[("Ser Brannoc", "I came back from the dark.")])], [])
case("ctl-return-scene", "keep", "status", 6, [
    S(2, "Highmoor", ["Ser Brannoc"], action=["Brannoc claws his way out of the barrow."])], [])
case("ctl-mention-dead", "station", "status", 5, [
    S(1, "Precinct 9", ["Rosa Ibarra", "Dale Ferris"],
      lines=[("Rosa Ibarra", "Lanz is dead, but his money still moves.")])], [])
case("ctl-dead-body", "station", "status", 3, [
    S(1, "Morgue", ["Kenji Sato", "Victor Lanz"], action=["Kenji pulls back the sheet from Lanz's body."])], [])
case("ctl-dead-recording", "station", "status", 4, [
    S(1, "Precinct 9", ["Rosa Ibarra"],
      lines=[{"speaker": "Victor Lanz", "text": "If you are watching this, I am gone.", "direction": "on video"}])], [])
case("ctl-dies-in-scene", "harbour", "status", 3, [
    S(2, "Harbour", ["Jonas Reed", "Mira Vance"], lines=[("Jonas Reed", "Cut the line!")],
      action=["A wave takes Jonas."])], [])
case("ctl-missing-mentioned", "harbour", "status", 4, [
    S(1, "Saltmarsh Inn", ["Tom Vance", "Old Pell"],
      lines=[("Tom Vance", "Has anyone seen Lena since the storm?")])], [])
case("ctl-aliases", "keep", "names", 2, [
    S(1, "Throne Hall", ["Her Majesty", "Aric"], lines=[("the Queen", "Sit, Aric."), ("Isolde", "Now.")])], [])
case("ctl-generic-guards", "keep", "names", 2, [
    S(1, "Throne Hall", ["Queen Isolde", "Guard"], start=8, end=9),
    S(2, "Highmoor", ["Guard", "Soldier 2"], start=8, end=9, lines=[("Guard", "Halt!")])], [])
case("ctl-generic-extras", "station", "names", 2, [
    S(1, "Docks", ["Rosa Ibarra", "Old Woman", "Officer #2", "Dock Worker"])], [])
case("ctl-ann-anna", "harbour", "names", 2, [
    S(1, "Greywater", ["Ann Holt", "Anna Brisk", "Ann", "Anna"])], [])
case("ctl-first-names", "harbour", "names", 2, [
    S(1, "Harbour", ["Mira", "Tom", "Pell"], lines=[("Mira", "Ready?"), ("Tom", "Always.")])], [])
case("ctl-new-names", "harbour", "names", 2, [
    S(1, "Saltmarsh Docks", ["Mira Vance", "Bartholomew Crane"], lines=[("Bartholomew Crane", "Evening.")])], [])
case("ctl-stranger-hair", "harbour", "appearance", 2, [
    S(1, "Saltmarsh Inn", ["Mira Vance"], action=["Mira watches a woman with long blonde hair at the bar."])], [])
case("ctl-dyed-hair", "harbour", "appearance", 2, [
    S(1, "Greywater", ["Mira Vance"], action=["Mira has dyed her hair black to pass unnoticed."])], [])
case("ctl-flashback-young", "keep", "appearance", 2, [
    S(1, "Throne Hall", ["Queen Isolde"], flashback=True, action=["Young Isolde, her black hair loose, runs."])], [])
case("ctl-correct-look", "harbour", "appearance", 2, [
    S(1, "Harbour", ["Mira Vance"],
      action=["Mira's silver hair is soaked; the scar over her left eye stands out."])], [])
case("ctl-outfit-change", "harbour", "outfit", 5, [
    S(2, "Saltmarsh Inn", ["Mira Vance"], action=["Mira changes into a green jacket."]),
    S(3, "Harbour", ["Mira Vance"], action=["Mira pulls her green jacket tight."])], [])
case("ctl-outfit-later-episode", "harbour", "outfit", 7, [
    S(1, "Harbour", ["Mira Vance"], action=["Mira buttons her blue coat."])], [])
case("ctl-search-lost-key", "harbour", "possession", 5, [
    S(1, "Lighthouse", ["Mira Vance"], action=["Mira searches the rocks for the brass key."])], [])
case("ctl-handed-dagger", "keep", "possession", 2, [
    S(1, "Thieves' Market", ["Wren", "Prince Aric"], action=["Wren gives Aric the moonstone dagger."])], [])
case("ctl-figurative-brother", "station", "relationship", 2, [
    S(1, "Docks", ["Dale Ferris", "Kenji Sato"], lines=[("Dale Ferris", "You're my brother, Doc. I've got you.")])], [])
case("ctl-correct-relation", "keep", "relationship", 2, [
    S(1, "Throne Hall", ["Prince Aric", "Queen Isolde"],
      lines=[("Prince Aric", "My mother Isolde will hear of this.")])], [])
case("ctl-cross-cutting", "station", "two_places", 2, [
    S(1, "Morgue", ["Kenji Sato"], start=14, end=15), S(2, "Docks", ["Dale Ferris"], start=14, end=15)], [])
case("ctl-flashback-time", "keep", "time_order", 2, [
    S(1, "Throne Hall", ["Prince Aric"], start=12, end=13),
    S(2, "North Tower", ["Prince Aric"], start=2, end=3, flashback=True),
    S(3, "North Tower", ["Prince Aric"], start=13, end=14)], [])
case("ctl-event-after", "harbour", "events", 7, [
    S(1, "Greywater", ["Tom Vance"], lines=[("Tom Vance", "Nothing's grown here since the Greywater flood.")])], [])
case("ctl-event-future", "keep", "events", 3, [
    S(1, "Throne Hall", ["Queen Isolde"], lines=[("Queen Isolde", "We must prevent the Siege of Highmoor.")])], [])
case("ctl-sublocation", "harbour", "two_places", 2, [
    S(1, "Lighthouse", ["Mira Vance"], start=20, end=22), S(2, "Lamp Room", ["Mira Vance"], start=21, end=22)], [])


if __name__ == "__main__":
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES), encoding="utf-8")
    planted = sum(c["kind"] == "planted" for c in CASES)
    print(f"wrote {len(CASES)} cases ({planted} planted, {len(CASES) - planted} controls) to {OUT}")
