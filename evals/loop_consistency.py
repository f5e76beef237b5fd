"""Loop consistency: does the graph's own check_continuity catch, at episodes 30-50, contradictions of facts
set in episodes 1-5, and stay silent on clean controls?

One 50-episode run of the real graph with a scripted writer (no model judgement involved: the plants are
fixed). Episodes 1-5 establish facts through the normal path (the LLM's change list -> admission ->
canon): a death (E2), a second death (E2) that is undone by a return (E44), an arm in a sling (E3), a
destroyed key (E4), a disappearance (E5); the bible carries looks, a sibling relation and the key. Each
episode from 30 to 50 has a clean first scene and, in its second scene, either one planted contradiction
(death, look, injury, possession, relationship, whereabouts) or a clean control (flashback, recording,
return, stated change, healed wound, replacement item). Revisions are off, so the script gate shows the
check of the script as written; the finding list at the gate is what is scored.

The baseline column is the old view, measured in the same run on the same scripts and memory: the same
engine given only the writers' budgeted retrieval pack (500 tokens) instead of the whole world.

    python evals/loop_consistency.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from showrunner.agents.common import cast_of, places_of
from showrunner.config import load_settings
from showrunner.context import noop_render
from showrunner.continuity import check_episode
from showrunner.memory import open_memory
from showrunner.memory.canon import Canon
from showrunner.pipelines import series
from showrunner.pipelines.project import Project
from showrunner.testing import ScriptedLLM, story_responder

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "evals" / "results" / "loop_consistency.jsonl"
CAST = ["Mira Vale", "Tom Vale", "Jonas Reed", "Cal Ortega", "Ana Brandt", "Ruth Keel"]
PLACES = ["Harbor Station", "Old Lighthouse", "Glass Market", "Tide Vault"]
LOOKS = {"Mira Vale": ("short silver hair", "green eyes", "red flight jacket")}
BASE = {"hair": "short black hair", "eyes": "brown eyes", "build": "medium", "outfit": "grey work coat"}
EPISODES, FIRST = 50, 30

# (kind, planted?, scene-2 spec, expected code) — cycled over episodes 30..50
PLANTS: list[tuple[str, bool, dict[str, Any], str | None]] = [
    ("death", True, {"cast": ["Mira Vale"], "lines": [("Cal Ortega", "Open the gate, quickly.")],
                     "summary": "Mira waits at the gate in the rain."}, "dead_character_speaks"),
    ("look", True, {"cast": ["Mira Vale", "Jonas Reed"], "summary": "Mira's bright blue hair whips in the wind."},
     "fixed_appearance_contradiction"),
    ("injury", True, {"cast": ["Jonas Reed", "Mira Vale"], "summary": "Jonas claps with both hands as the boat lands."},
     "injury_contradiction"),
    ("control:flashback", False, {"cast": ["Cal Ortega", "Mira Vale"], "flashback": True,
                                  "lines": [("Cal Ortega", "Keep the lamp lit for me.")],
                                  "summary": "Years ago, Cal teaches Mira to trim the wick."}, None),
    ("possession", True, {"cast": ["Mira Vale"], "summary": "Mira unlocks the vault door with the brass key."},
     "lost_item_reappears"),
    ("relationship", True, {"cast": ["Mira Vale", "Jonas Reed"],
                            "lines": [("Mira Vale", "My cousin Tom Vale will meet us there.")],
                            "summary": "Mira and Jonas plan the crossing."}, "relationship_contradiction"),
    ("whereabouts", True, {"cast": ["Ana Brandt", "Mira Vale"], "summary": "Ana and Mira count the crates."},
     "missing_character_on_screen"),
    ("control:recording", False, {"cast": ["Mira Vale"],
                                  "lines": [("Cal Ortega (recording)", "If you hear this, run.")],
                                  "summary": "Mira plays a recording of Cal's last message."}, None),
    ("death", True, {"cast": ["Cal Ortega", "Jonas Reed"], "summary": "Cal and Jonas haul the nets."},
     "dead_character_on_screen"),
    ("look", True, {"cast": ["Mira Vale", "Tom Vale"], "summary": "Mira climbs the stairs; her black hair is soaked."},
     "fixed_appearance_contradiction"),
    ("death", True, {"cast": ["Mira Vale"], "lines": [("Cal Ortega (O.S.)", "Behind you!")],
                     "summary": "Mira spins round in the dark hall."}, "dead_character_speaks"),
    ("control:stated-change", False, {"cast": ["Mira Vale"], "summary": "Mira's blue hair drips on the floor.",
                                      "scene1": "Mira dyes her hair blue in the washroom."}, None),
    ("injury", True, {"cast": ["Jonas Reed"], "summary": "Jonas grips the oar with both hands and pulls."},
     "injury_contradiction"),
    ("possession", True, {"cast": ["Tom Vale"], "summary": "Tom turns the brass key in the old lock."},
     "lost_item_reappears"),
    ("control:return", False, {"cast": ["Ruth Keel", "Mira Vale"], "lines": [("Ruth Keel", "I am back.")],
                               "summary": "Ruth walks into the market, alive."}, None),
    ("relationship", True, {"cast": ["Tom Vale", "Mira Vale"], "summary": "Tom waits for his father Mira Vale."},
     "relationship_contradiction"),
    ("whereabouts", True, {"cast": ["Ana Brandt"], "lines": [("Ana Brandt", "Nobody saw me leave.")],
                           "summary": "Ana slips through the market."}, "missing_character_speaks"),
    ("control:replacement", False, {"cast": ["Mira Vale"], "summary": "Mira forges a new brass key at the anvil."},
     None),
    ("control:relation", False, {"cast": ["Tom Vale", "Mira Vale"],
                                 "lines": [("Tom Vale", "My sister Mira Vale leads.")],
                                 "summary": "Tom speaks for the crew."}, None),
    ("control:holo", False, {"cast": ["Cal Ortega (hologram)", "Mira Vale"],
                             "summary": "A hologram of Cal flickers above the console while Mira watches."}, None),
    ("look", True, {"cast": ["Mira Vale"], "summary": "Mira ties back her long golden hair."},
     "fixed_appearance_contradiction"),
]
HEAL_AT = 48  # Jonas's arm heals here: injury plants come before it, a control after it
SETUP = {2: [("Cal Ortega", "status", "dead"), ("Ruth Keel", "status", "dead")],
         3: [("Jonas Reed", "appearance", "arm in a sling")],
         4: [("Mira Vale", "possession", "the brass key destroyed")],
         5: [("Ana Brandt", "status", "missing")],
         44: [("Ruth Keel", "status", "returned")],
         HEAL_AT: [("Jonas Reed", "appearance", "arm healed")]}
ALIVE_EARLY = ["Mira Vale", "Tom Vale", "Jonas Reed"]


def plan(n: int) -> tuple[str, bool, dict[str, Any], str | None]:
    return PLANTS[(n - FIRST) % len(PLANTS)]


def _num(text: str, pattern: str) -> int:
    import re

    m = re.search(pattern, text)
    return int(m.group(1)) if m else 1


def responder(prompt: Any, schema: type) -> dict[str, Any]:
    name, text = schema.__name__, prompt.text
    if name == "BibleDraft":
        chars = [{"name": c, "role": ("protagonist", "ally", "mentor", "rival", "ally", "ally")[i],
                  "personality": "steady", "hair": LOOKS.get(c, (BASE["hair"],))[0],
                  "eyes": LOOKS.get(c, (0, BASE["eyes"]))[1], "build": BASE["build"],
                  "outfit": LOOKS.get(c, (0, 0, BASE["outfit"]))[2]} for i, c in enumerate(CAST)]
        return {"title": "Tide Lanterns", "logline": "A harbor crew keeps the lamps lit against the fog.",
                "genre": "adventure", "tone": "hopeful", "style_guide": "flat pastel animation",
                "world_rules": ["The tide gates close at midnight."], "season_arc": "From strangers to a crew.",
                "characters": chars[:4], "locations": [{"name": p, "look": f"{p} in teal"} for p in PLACES],
                "episode_loglines": [f"Trial {i + 1} at the harbor." for i in range(EPISODES)]}
    if name == "ScriptDraft":
        n = _num(text, r"\nEpisode (\d+)")
        return script(n)
    if name == "FactChanges":
        n = _num(text, r"Episode (\d+) script")
        return {"changes": [{"character": c, "kind": k, "value": v, "scene": 1} for c, k, v in SETUP.get(n, [])]}
    return story_responder(prompt, schema)


def _scene(cast: list[str], summary: str, lines: list[tuple[str, str]], place: str, flashback: bool = False) -> dict:
    return {"location": place, "characters": cast, "time_of_day": "day", "summary": summary, "flashback": flashback,
            "dream": False, "dialogue": [{"speaker": s, "text": t} for s, t in lines]}


def script(n: int) -> dict[str, Any]:
    alive = ALIVE_EARLY if n < FIRST else ["Mira Vale", "Tom Vale"]
    first = _scene(alive[:2], f"{alive[0]} and {alive[1]} check the lamps before trial {n}.",
                   [(alive[0], f"Lamp {n} is lit.")], PLACES[n % 3])
    if n < FIRST:
        return {"scenes": [first, _scene(alive[1:], f"The crew rests after trial {n}.", [(alive[1], "Rest now.")],
                                         PLACES[(n + 1) % 3])]}
    _, _, spec, _ = plan(n)
    if "scene1" in spec:
        first["summary"] = spec["scene1"]
    second = _scene(spec["cast"], spec["summary"], spec.get("lines", []), PLACES[3], spec.get("flashback", False))
    return {"scenes": [first, second]}


def run(workdir: Path) -> dict[str, Any]:
    root = workdir / "series"
    llm = ScriptedLLM(responder)
    gates = frozenset({"storyboard", "final"})
    t0 = time.perf_counter()
    _, res = series.new_series(root, "A harbor crew keeps the lamps lit", EPISODES, llm=llm, auto_approve=gates,
                               render=noop_render, revision_limit=0)
    bible = res["pending"]["artifact"]  # the bible gate: the person adds the relation and the key
    for c in bible["characters"]:
        if c["name"] == "Tom Vale":
            c["relations"] = [{"kind": "sibling", "target": "Mira Vale"}]
        if c["name"] == "Mira Vale":
            c["state"]["props"] = ["the brass key"]
    known = {c["name"] for c in bible["characters"]}
    for extra in CAST:
        if extra not in known:
            bible["characters"].append({"name": extra, "role": "ally", "look": {"hair": BASE["hair"],
                                        "eyes": BASE["eyes"]}, "state": {"outfit": BASE["outfit"]}})
    res = series.continue_series(root, {"action": "edit", "artifact": bible}, llm=llm, render=noop_render,
                                 revision_limit=0)
    at_gate: dict[int, list[dict[str, Any]]] = {}
    while res["status"] == "waiting":
        pend = res["pending"]
        if pend["gate"] == "script":
            at_gate[pend["episode"]] = pend.get("continuity") or []
        res = series.continue_series(root, {"action": "approve"}, llm=llm, render=noop_render, revision_limit=0)
    wall = time.perf_counter() - t0
    return score(root, at_gate, wall)


def _hit(found: list[dict[str, Any]], code: str) -> bool:
    return any(f["code"] == code and f["scene"] == 2 for f in found)


def score(root: Path, at_gate: dict[int, list[dict[str, Any]]], wall: float) -> dict[str, Any]:
    project = Project.open(root)
    settings = load_settings(root)
    canon = Canon(project.canon_dir)
    bible = canon.bible()
    memory = open_memory(project, settings)
    rows = []
    for n in range(FIRST, EPISODES + 1):
        kind, planted, _, code = plan(n)
        if kind == "injury" and n > HEAL_AT:
            continue
        ep = canon.episode(n)
        assert ep is not None
        pack = memory.retrieve(episode=n, characters=cast_of(ep), locations=places_of(ep), query=ep.logline,
                               budget_tokens=500)
        base = [f.model_dump(mode="json") for f in check_episode(ep, characters=bible.characters,
                                                                  locations=bible.locations, facts=pack.facts)]
        found = at_gate.get(n, [])
        rows.append({"episode": n, "kind": kind, "planted": planted, "expected": code,
                     "caught": bool(code) and _hit(found, code), "baseline_caught": bool(code) and _hit(base, code),
                     "false_alarms": [f"{f['code']}@S{f['scene']}" for f in found
                                      if not (code and f["code"] == code and f["scene"] == 2)],
                     "baseline_false_alarms": [f"{f['code']}@S{f['scene']}" for f in base
                                               if not (code and f["code"] == code and f["scene"] == 2)]})
    planted = [r for r in rows if r["planted"]]
    controls = [r for r in rows if not r["planted"]]
    return {"kind": "loop_consistency", "episodes": EPISODES, "planted": len(planted), "controls": len(controls),
            "recall": round(sum(r["caught"] for r in planted) / len(planted), 3),
            "baseline_recall": round(sum(r["baseline_caught"] for r in planted) / len(planted), 3),
            "false_alarms": sum(len(r["false_alarms"]) for r in rows),
            "false_alarms_on_controls": sum(len(r["false_alarms"]) for r in controls),
            "baseline_false_alarms": sum(len(r["baseline_false_alarms"]) for r in rows),
            "wall_s": round(wall, 1), "rows": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args()
    import os

    os.environ.setdefault("SHOWRUNNER_EMBEDDER", "hash")
    with tempfile.TemporaryDirectory() as tmp:
        out = run(Path(tmp))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", encoding="utf-8") as f:
        for r in out["rows"]:
            f.write(json.dumps({"kind": "loop_consistency_row", **r}) + "\n")
        f.write(json.dumps({k: v for k, v in out.items() if k != "rows"}) + "\n")
    summary = {k: v for k, v in out.items() if k != "rows"}
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        for r in out["rows"]:
            mark = "ok " if (r["caught"] if r["planted"] else not r["false_alarms"]) else "BAD"
            print(f"{mark} E{r['episode']:>2} {r['kind']:<22} caught={r['caught']!s:<5} "
                  f"baseline={r['baseline_caught']!s:<5} alarms={r['false_alarms']}")
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
