"""Writes evals/continuity/cases_real.jsonl: continuity cases drawn from situations in real series.

Each case follows the line format of cases.jsonl (one episode checked against one world of worlds.json),
plus two optional fields: ``"severity"`` on an expected finding (the match then needs that severity too)
and ``"format": "v2"`` for episodes written in the real-series input format (story time as "HH:MM",
scene characters as ``{"name": ...}`` objects, ``season`` on the episode). The worlds ``orbital``
(space opera), ``county`` (small-town crime) and ``court`` (fantasy court) were written for this file.

This is a blind set: the cases and their expected findings were written from how series are scripted,
before the engine ran on them, and are not to be edited to fit its output. See README.md for the codes.
Run: python evals/continuity/make_cases_real.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("cases_real.jsonl")
CASES: list[dict[str, Any]] = []
Exp = tuple[str, int] | tuple[str, int, str]


def S(n: int, loc: str, chars: list[Any], *, action: list[str] | None = None, lines: list[Any] | None = None,
      **kw: Any) -> dict[str, Any]:
    """A scene; ``lines`` holds (speaker, text) pairs or full dialogue dicts."""
    return {"number": n, "location": loc, "characters": chars, "action": action or [],
            "dialogue": [d if isinstance(d, dict) else {"speaker": d[0], "text": d[1]} for d in lines or []], **kw}


def case(cid: str, world: str, check: str, ep: int, scenes: list[dict[str, Any]], expected: list[Exp], *,
         note: str = "", season: int | None = None, facts: list[dict[str, Any]] | None = None) -> None:
    """One case; ``season`` (or any scene in v2 form) marks it as format v2."""
    episode: dict[str, Any] = {"number": ep, "title": cid, "scenes": scenes}
    v2 = season is not None or any(isinstance(s.get("start"), str) or any(isinstance(c, dict) for c in
                                                                            s["characters"]) for s in scenes)
    if season is not None:
        episode["season"] = season
    row: dict[str, Any] = {"id": cid, "world": world, "check": check, "kind": "planted" if expected else "control",
                           "note": note, "episode": episode, "shots": [], "facts": facts or [],
                           "expected": [{"code": e[0], "scene": e[1]} | ({"severity": e[2]} if len(e) > 2 else {})
                                        for e in expected]}
    if v2:
        row["format"] = "v2"
    CASES.append(row)


def said(speaker: str, text: str, direction: str) -> dict[str, str]:
    return {"speaker": speaker, "text": text, "direction": direction}


K = "Elena Kade"
ERR, WARN = "error", "warning"
CORE = [{"kind": "possession", "subject": "elena-kade", "predicate": "holds", "object": "the data core",
         "valid_from": {"episode": 1, "scene": 1}, "valid_until": {"episode": 4, "scene": 3}},
        {"kind": "possession", "subject": "the-data-core", "predicate": "status", "object": "destroyed",
         "valid_from": {"episode": 4, "scene": 3}, "source": "E4 S3: smashed"}]
SMASH = S(3, "Engine Room", ["Nadia Rusk"], action=["Nadia smashes the data core with a wrench until it sparks and "
                                                    "goes dark."])

# ------------------------------------------------------------------ orbital: dead, returned, twins, holograms
case("orb-dead-os", "orbital", "status", 4, [
    S(1, "Bridge", [K], lines=[said("Idris Okafor", "Captain. You left the hatch open.", "O.S.")])],
    [("dead_character_speaks", 1, ERR)], note="O.S. = off screen but physically present")
case("orb-dead-walks", "orbital", "status", 5, [
    S(3, "Hangar Deck", [K, "Idris Okafor"], action=["Okafor walks down the ramp and salutes Kade."])],
    [("dead_character_on_screen", 3, ERR)])
case("orb-twin-dead-speaks", "orbital", "status", 4, [
    S(2, "Engine Room", ["Tavi Brandt", "Lio Brandt"], lines=[("Lio Brandt", "Told you the coupling would blow.")])],
    [("dead_character_speaks", 2, ERR)])
case("orb-return-too-early", "orbital", "status", 3, [
    S(1, "Bridge", [K, "Jax Mercer"], lines=[("Jax Mercer", "Course laid in, Captain.")])],
    [("dead_character_speaks", 1, ERR)], note="dead E2 S3, returns only in E4 S1")
case("ctl-orb-dead-vo", "orbital", "status", 4, [
    S(1, "Bridge", [K], action=["Kade stares at the empty admiral's chair."],
      lines=[said("Idris Okafor", "I taught her everything except how to let go.", "V.O.")])], [])
case("ctl-orb-hologram-summary", "orbital", "status", 5, [
    S(2, "Bridge", [K, "Idris Okafor"], summary="A hologram of Admiral Okafor plays his final briefing while Kade "
      "listens alone.", lines=[("Idris Okafor", "If you are seeing this, the Fleet has fallen.")])], [])
case("ctl-orb-hologram-cast", "orbital", "status", 5, [
    S(1, "Medbay", [K, "Admiral Okafor (hologram)"],
      lines=[("Admiral Okafor (hologram)", "Trust the crew, Elena."), (K, "I'm trying.")])], [])
case("ctl-orb-twin-alive", "orbital", "status", 5, [
    S(1, "Hangar Deck", ["Tavi Brandt", K], action=["Tavi pulls on his dead twin's flight jacket."],
      lines=[("Tavi Brandt", "Lio would have flown this better.")])], [])
case("ctl-orb-believed-dead-os", "orbital", "status", 6, [
    S(2, "Bridge", [K, "Nadia Rusk"], summary="The crew believes Tavi died on Ceres Station.",
      lines=[said("Tavi Brandt", "Did I miss my own funeral?", "O.S."), ("Nadia Rusk", "Tavi?")])], [],
    note="believed dead in the story, alive in canon")
case("ctl-orb-returned-same-ep", "orbital", "status", 4, [
    S(2, "Medbay", ["Jax Mercer", K], lines=[("Jax Mercer", "How long was I gone?")])], [])
case("ctl-orb-flashback-mentor", "orbital", "status", 6, [
    S(1, "Ceres Station", ["Idris Okafor", K], flashback=True, lines=[("Idris Okafor", "Never leave crew behind.")])],
    [])

# ------------------------------------------------------------------ orbital: looks, dye, pronouns, outfits
case("orb-semicolon-hair", "orbital", "appearance", 2, [
    S(1, "Bridge", [K], action=["Kade turns from the viewport; her hair is black."])],
    [("fixed_appearance_contradiction", 1, ERR)], note="look after ';' through a pronoun")
case("orb-dye-not-everyone", "orbital", "appearance", 3, [
    S(1, "Medbay", [K], action=["Kade dyes her braid jet black in the medbay sink."]),
    S(2, "Ceres Station", [K, "Nadia Rusk"], action=["Nadia's blonde hair whips in the vent draft."])],
    [("fixed_appearance_contradiction", 2, ERR)], note="Kade's dye does not change Nadia")
case("orb-outfit-revert", "orbital", "outfit", 3, [
    S(1, "Medbay", [K], action=["Kade changes into a grey flight suit."]),
    S(2, "Hangar Deck", [K], action=["Kade straightens the collar of her blue dress uniform."])],
    [("current_appearance_contradiction", 2)])
case("ctl-orb-semicolon-correct", "orbital", "appearance", 2, [
    S(1, "Bridge", [K], action=["Kade turns from the viewport; her white braid catches the starlight."])], [])
case("ctl-orb-semicolon-stranger", "orbital", "appearance", 2, [
    S(2, "Hangar Deck", [K], action=["A young ensign hurries past Kade; her hair is black and cropped close."])], [])
case("ctl-orb-dye-carried", "orbital", "appearance", 3, [
    S(1, "Medbay", [K], action=["Kade dyes her braid jet black in the medbay sink."]),
    S(2, "Ceres Station", [K], action=["Kade's black hair hides under a dockworker's cap."]),
    S(3, "Ceres Station", [K], action=["Kade pushes a strand of black hair out of her eyes."])], [])

# ------------------------------------------------------------------ orbital: injuries
case("orb-sling-both-hands", "orbital", "injury", 6, [
    S(1, "Bridge", [K], action=["Kade grips the helm with both hands as the ship rolls."])],
    [("injury_contradiction", 1)], note="left arm in a sling since E5 S1")
case("ctl-orb-sling-one-hand", "orbital", "injury", 6, [
    S(1, "Bridge", [K], action=["Kade, her left arm in a sling, steers one-handed."])], [])
case("ctl-orb-sling-healed", "orbital", "injury", 8, [
    S(1, "Bridge", [K], action=["Kade grips the helm with both hands as the ship rolls."])], [],
    note="the sling ends at E7 S1")
case("ctl-orb-both-hands-other", "orbital", "injury", 6, [
    S(2, "Engine Room", [K, "Tomas Rusk"], action=["Tomas hauls the lever down with both hands while Kade shouts "
                                                   "orders."])], [])

# ------------------------------------------------------------------ orbital: items
case("orb-lost-key", "orbital", "possession", 3, [
    S(1, "Armory", [K], action=["Kade unlocks the armory door with the key."])],
    [("lost_item_reappears", 1, ERR)])
case("orb-destroyed-core-later", "orbital", "possession", 4, [
    SMASH, S(5, "Bridge", [K], action=["Kade slots the data core into the navigation console."])],
    [("lost_item_reappears", 5, ERR)], facts=CORE, note="the destroying scene (S3) is fine")
case("ctl-orb-keycard", "orbital", "possession", 3, [
    S(1, "Armory", [K], action=["Kade swipes her keycard and the armory door slides open."])], [])
case("ctl-orb-destroying-scene", "orbital", "possession", 4, [SMASH], [], facts=CORE)

# ------------------------------------------------------------------ orbital: names, kin, canon admission
case("orb-kin-his-daughter", "orbital", "relationship", 2, [
    S(1, "Engine Room", ["Tomas Rusk", "Nadia Rusk"], action=["Tomas hands his daughter Nadia a torque wrench."])],
    [("relationship_contradiction", 1)])
case("ctl-orb-kin-her-brother", "orbital", "relationship", 2, [
    S(1, "Engine Room", ["Tomas Rusk", "Nadia Rusk"], action=["Nadia tosses her brother Tomas a torque wrench."])],
    [])
case("ctl-orb-guard-extras", "orbital", "names", 2, [
    S(1, "Armory", ["Guard Voss", "Guard #3", "Guard #4"], lines=[("Guard #3", "Clear!"), ("Voss", "Seal it.")])],
    [], note="numbered extras beside the known Guard Voss")
case("orb-unknown-character", "orbital", "canon", 2, [
    S(2, "Bridge", [K, "Rhys Calder"], lines=[("Rhys Calder", "Permission to come aboard.")])],
    [("unknown_character", 2, WARN)])
case("orb-unknown-location", "orbital", "canon", 2, [
    S(1, "Europa Shipyard", [K], action=["Kade inspects a half-built hull."])], [("unknown_location", 1, WARN)])

# ------------------------------------------------------------------ orbital: v2 format
case("orb-v2-two-places", "orbital", "two_places", 3, [
    S(1, "Bridge", [{"name": K}], start="09:00", end="10:00"),
    S(2, "Hangar Deck", [{"name": K}, {"name": "Tomas Rusk"}], start="09:30", end="10:30")],
    [("two_places_at_once", 2, ERR)], season=1)
case("orb-v2-dead-object", "orbital", "status", 5, [
    S(1, "Hangar Deck", [{"name": K}, {"name": "Lio Brandt"}], action=["Lio and Kade load the torpedo."])],
    [("dead_character_on_screen", 1, ERR)], season=1)
case("ctl-orb-v2-touching", "orbital", "two_places", 3, [
    S(1, "Bridge", [{"name": K}], start="09:00", end="10:00"),
    S(2, "Engine Room", [{"name": K}], start="10:00", end="10:45")], [], season=1)
case("ctl-orb-v2-flashback", "orbital", "status", 5, [
    S(2, "Hangar Deck", [{"name": "Lio Brandt"}, {"name": "Tavi Brandt"}], flashback=True, start="06:00", end="06:30",
      lines=[("Lio Brandt", "Race you to the ships.")])], [], season=1)

# ------------------------------------------------------------------ county: dead, recordings, looks, kin
D = "Dana Hollis"
case("cty-dead-os", "county", "status", 3, [
    S(2, "Lakeside Diner", [D, "Mae Dunn"], lines=[said("Ivy Marsh", "Dana, I'm right behind you.", "O.S.")])],
    [("dead_character_speaks", 2, ERR)])
case("ctl-cty-video-summary", "county", "status", 2, [
    S(1, "Sheriff's Office", [D, "Ivy Marsh"], summary="Dana watches Ivy's video diary on the office TV.",
      lines=[("Ivy Marsh", "Nobody in this town is who they say they are.")])], [])
case("ctl-cty-video-cast", "county", "status", 2, [
    S(2, "Sheriff's Office", [D, "Ivy Marsh (on video)"],
      lines=[("Ivy Marsh (on video)", "If something happens to me, ask Hank."), (D, "Play it again.")])], [])
case("cty-semicolon-eyes", "county", "appearance", 2, [
    S(1, "Lake Road", [D], action=["Dana leans on the cruiser's hood; her eyes are pale blue."])],
    [("fixed_appearance_contradiction", 1, ERR)])
case("ctl-cty-semicolon-correct", "county", "appearance", 2, [
    S(1, "Sheriff's Office", [D], action=["Dana sets the file down; her red hair is pinned up."])], [])
case("cty-kin-his-son", "county", "relationship", 2, [
    S(1, "Keller Farm", ["Hank Keller", "Tom Keller"], action=["Hank walks the fence line with his son Tom."])],
    [("relationship_contradiction", 1)])
case("ctl-cty-kin-his-brother", "county", "relationship", 2, [
    S(1, "Keller Farm", ["Hank Keller", "Tom Keller"], action=["Hank claps his brother Tom on the back."])], [])

# ------------------------------------------------------------------ county: injuries, items, names, time
case("cty-cast-sprint", "county", "injury", 5, [
    S(1, "Lake Road", ["Tom Keller"], action=["Tom sprints after the pickup truck."])],
    [("injury_contradiction", 1)], note="right leg in a cast since E4 S2")
case("ctl-cty-cast-crutches", "county", "injury", 5, [
    S(1, "Lake Road", ["Tom Keller"], action=["Tom swings along on crutches, his right leg in its cast."])], [])
case("ctl-cty-sprint-before-cast", "county", "injury", 3, [
    S(1, "Keller Farm", ["Tom Keller"], action=["Tom sprints across the field after the loose heifer."])], [])
case("cty-tape-replayed", "county", "possession", 5, [
    S(1, "Courthouse", [D], action=["Dana plays the tape for the jury."])], [("lost_item_reappears", 1, ERR)])
case("ctl-cty-tape-measure", "county", "possession", 5, [
    S(1, "Lake Road", [D, "Deputy Ruiz"], action=["Ruiz stretches the tape measure across the skid marks."])], [])
case("ctl-cty-tape-burning-scene", "county", "possession", 3, [
    S(4, "Keller Farm", ["Hank Keller"], action=["Hank feeds the tape into the stove and watches it melt."])], [])
case("ctl-cty-deputy-extras", "county", "names", 2, [
    S(1, "Sheriff's Office", ["Deputy Ruiz", "Deputy #2", "Deputy 3"],
      lines=[("Deputy #2", "Road's closed, Sheriff."), ("Deputy Ruiz", "Both ends.")])], [])
case("cty-typo-speaker", "county", "names", 2, [
    S(1, "Lakeside Diner", [D, "Mae Dunn"], lines=[("Dana Holis", "Coffee, Mae. Black.")])],
    [("near_miss_name", 1)])
case("cty-two-places-hours", "county", "two_places", 2, [
    S(1, "Lakeside Diner", [D], start=20.0, end=21.0),
    S(2, "Sawmill", [D, "Hank Keller"], start=20.5, end=21.5)], [("two_places_at_once", 2, ERR)])
case("ctl-cty-phone-call", "county", "two_places", 2, [
    S(1, "Lakeside Diner", [D, "Mae Dunn"], start=20.0, end=21.0),
    S(2, "Sawmill", ["Hank Keller"], start=20.25, end=20.75,
      lines=[said(D, "Stay where you are, Hank.", "V.O., on the phone")])], [])

# ------------------------------------------------------------------ court: items, extras, kin, dead, outfits
Q = "Queen Sabine"
case("crt-ring-used", "court", "possession", 3, [
    S(1, "Great Hall", [Q], action=["Sabine twists the ring on her finger as the lords argue."])],
    [("lost_item_reappears", 1, ERR)])
case("crt-sword-drawn", "court", "possession", 5, [
    S(1, "Tourney Field", ["Oswin Vey"], action=["Oswin draws the sword and salutes the crowd."])],
    [("lost_item_reappears", 1, ERR)])
case("ctl-crt-earring", "court", "possession", 3, [
    S(1, "Sabine's Chambers", [Q, "Lady Corra"], action=["Corra fastens a pearl earring for Sabine."])], [])
case("ctl-crt-swordfish", "court", "possession", 5, [
    S(1, "Quay", ["Oswin Vey"], action=["Oswin haggles over a swordfish at the quay."])], [])
case("ctl-crt-messenger-extras", "court", "names", 2, [
    S(1, "Great Hall", [Q, "Messenger", "Messenger #2"],
      lines=[("Messenger #2", "Riders from the north, Your Grace."), ("Messenger", "And they fly no banner.")])], [])
case("crt-messenger-typo", "court", "names", 2, [
    S(1, "Great Hall", [Q, "Messenger"], lines=[("Mesenger", "The bridge is down, Your Grace.")])],
    [("near_miss_name", 1)])
case("crt-kin-his-brother", "court", "relationship", 4, [
    S(1, "Crypt", ["Oswin Vey"], action=["Oswin lights a candle for his brother Aldric."])],
    [("relationship_contradiction", 1)], note="canon: Aldric is Oswin's parent")
case("ctl-crt-kin-his-father", "court", "relationship", 4, [
    S(1, "Crypt", ["Oswin Vey"], action=["Oswin lights a candle for his father Aldric."])], [])
case("crt-dead-on-screen", "court", "status", 4, [
    S(2, "Great Hall", [Q, "Aldric Vey"], action=["Aldric takes his seat at the council table."])],
    [("dead_character_on_screen", 2, ERR)])
case("ctl-crt-execution-scene", "court", "status", 3, [
    S(2, "Great Hall", ["Aldric Vey", Q], lines=[("Aldric Vey", "I confess nothing.")], action=["The axe falls."])],
    [])
case("ctl-crt-outfit-carried", "court", "outfit", 4, [
    S(1, "Sabine's Chambers", [Q], action=["Sabine sheds her mourning gown and changes into a crimson riding habit."]),
    S(2, "Tourney Field", [Q], action=["Sabine's crimson riding habit is spattered with mud."])], [])
case("ctl-crt-outfit-next-episode", "court", "outfit", 6, [
    S(1, "Great Hall", [Q], action=["Sabine wears a white wedding gown."])], [])
case("crt-unknown-character", "court", "canon", 2, [
    S(1, "Great Hall", [Q, "Bartholomew Quill"], lines=[("Bartholomew Quill", "The treasury is empty.")])],
    [("unknown_character", 1, WARN)])
case("ctl-crt-aliases", "court", "names", 2, [
    S(1, "Great Hall", ["Her Grace", "Lord Aldric"], lines=[("Her Grace", "Sit."), ("Lord Aldric", "I stand.")])],
    [])
case("ctl-crt-generic-crowd", "court", "canon", 2, [
    S(1, "Tourney Field", [Q, "Crowd", "Herald", "Servant #2"], lines=[("Herald", "Make way for the Queen!")])], [])
case("crt-v2-time-backwards", "court", "time_order", 2, [
    S(1, "Great Hall", [{"name": Q}], start="14:00", end="15:00"),
    S(2, "Chapel", [{"name": Q}], start="09:00", end="10:00")], [("time_goes_backwards", 2)], season=1)
case("ctl-crt-v2-season-day", "court", "two_places", 2, [
    S(1, "Chapel", [{"name": Q}, {"name": "Lady Corra"}], start="08:00", end="09:15"),
    S(2, "Great Hall", [{"name": Q}], start="09:30", end="11:00"),
    S(3, "Quay", [{"name": "Lady Corra"}], start="10:00", end="10:30")], [], season=1)


if __name__ == "__main__":
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES), encoding="utf-8")
    planted = sum(c["kind"] == "planted" for c in CASES)
    print(f"wrote {len(CASES)} cases ({planted} planted, {len(CASES) - planted} controls) to {OUT}")
