"""Continuity dev set: precision, recall, false alarms on clean controls, per-check breakdown.

Runs the deterministic engine (no LLM: pinned) on every case of cases.jsonl against its world in
worlds.json, matches findings to the expected (code, scene) pairs, writes one JSON line per case plus a
summary line to evals/results/continuity.jsonl, and rewrites the "## Continuity" section of
docs/benchmarks.md (other sections are left as they are).
Run: python evals/continuity/run.py
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from showrunner.continuity import check_episode
from showrunner.models import Character, Episode, Fact, Location, Shot

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "evals" / "results" / "continuity.jsonl"
DOC = ROOT / "docs" / "benchmarks.md"


def load_world(spec: dict[str, Any]) -> tuple[list[Character], list[Location], list[Fact]]:
    return ([Character.model_validate(c) for c in spec["characters"]],
            [Location.model_validate(loc) for loc in spec["locations"]],
            [Fact.model_validate(f) for f in spec["facts"]])


def run_case(case: dict[str, Any], worlds: dict[str, Any]) -> dict[str, Any]:
    chars, locs, facts = load_world(worlds[case["world"]])
    facts += [Fact.model_validate(f) for f in case.get("facts", [])]
    ep = Episode.model_validate(case["episode"])
    shots = [Shot.model_validate(s) for s in case.get("shots", [])]
    found = check_episode(ep, characters=chars, locations=locs, facts=facts, shots=shots)
    got = Counter((f.code, f.scene) for f in found)
    want = Counter((e["code"], e["scene"]) for e in case["expected"])
    tp = sum((got & want).values())
    return {"id": case["id"], "world": case["world"], "check": case["check"], "kind": case["kind"],
            "tp": tp, "fp": sum(got.values()) - tp, "fn": sum(want.values()) - tp,
            "expected": sorted(want), "found": [f"{f.code}@S{f.scene}: {f.message}" for f in found]}


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp, fp, fn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn"))
    controls = [r for r in rows if r["kind"] == "control"]
    per: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = per.setdefault(r["check"], {"cases": 0, "tp": 0, "fp": 0, "fn": 0})
        p["cases"] += 1
        for k in ("tp", "fp", "fn"):
            p[k] += r[k]
    for p in per.values():
        p["precision"], p["recall"] = ratio(p["tp"], p["tp"] + p["fp"]), ratio(p["tp"], p["tp"] + p["fn"])
    return {"summary": True, "cases": len(rows), "planted": len(rows) - len(controls), "controls": len(controls),
            "tp": tp, "fp": fp, "fn": fn, "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "controls_with_false_alarm": sum(r["fp"] > 0 for r in controls),
            "false_alarms_on_controls": sum(r["fp"] for r in controls), "per_check": per}


def markdown(s: dict[str, Any], rows: list[dict[str, Any]], digest: str) -> str:
    misses = [r for r in rows if r["fn"]]
    alarms = [r for r in rows if r["fp"]]
    lines = [
        "## Continuity", "",
        f"Dev set `evals/continuity/cases.jsonl` (sha256 {digest[:12]}): {s['cases']} hand-written cases over three "
        f"worlds (maritime, fantasy court, police procedural), {s['planted']} with one planted error each and "
        f"{s['controls']} clean controls (flashbacks, dreams, recorded returns, a death inside its own scene, "
        "bodies and recordings of the dead, aliases, shared generic names, Ann/Anna, mentions of the dead, "
        "dyed hair, strangers' looks, outfit changes, hand-overs, figurative 'brother', cross-cutting).",
        "Deterministic engine only (no LLM). Reproduce: `python evals/continuity/run.py`.", "",
        "| metric | value |", "|---|---|",
        f"| precision | {s['precision']} ({s['tp']} of {s['tp'] + s['fp']} findings correct) |",
        f"| recall | {s['recall']} ({s['tp']} of {s['tp'] + s['fn']} planted errors found) |",
        f"| controls with a false alarm | {s['controls_with_false_alarm']} of {s['controls']} |",
        f"| false alarms on controls | {s['false_alarms_on_controls']} |", "",
        "| check | cases | found | missed | false alarms | precision | recall |", "|---|---|---|---|---|---|---|",
    ]
    for name, p in sorted(s["per_check"].items()):
        lines.append(f"| {name} | {p['cases']} | {p['tp']} | {p['fn']} | {p['fp']} | {p['precision']} "
                     f"| {p['recall']} |")
    lines += ["", "Missed planted errors:" if misses else "No planted error was missed.", ""]
    lines += [f"- `{r['id']}` ({r['check']}): expected {r['expected']}" for r in misses]
    lines += ["", "False alarms:" if alarms else "No false alarms.", ""]
    lines += [f"- `{r['id']}`: {'; '.join(r['found'])}" for r in alarms] + ([""] if alarms else [])
    lines += ["Limits, stated plainly: the cases were written before the engine first ran on them and not "
              "edited afterwards, but 63 cases is a small set written by the engine's author; zero false alarms "
              "on 30 controls still allows a true false-alarm rate up to about 10% (rule of three). The "
              "deterministic checks trade recall for precision: a look or mark is attributed only through a name "
              "or possessive *before* it (not a pronoun whose name comes later, nor a clause after ';'), "
              "possession use needs a verb from a short list, and family ties are read only in the forms "
              "'my <kin> <Name>' and '<Name>'s <kin> <Name>'. The LLM claims pass is meant to cover such "
              "phrasing; it is not measured here (no capable LLM offline)."]
    return "\n".join(lines).rstrip() + "\n"


def write_section(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.is_file() else "# Benchmarks\n"
    start = text.find("## Continuity")
    if start < 0:
        text = text.rstrip() + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def main() -> dict[str, Any]:
    raw = (HERE / "cases.jsonl").read_bytes()
    cases = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
    worlds = json.loads((HERE / "worlds.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    rows = [run_case(c, worlds) for c in cases]
    summary = summarise(rows) | {"seconds": round(time.perf_counter() - start, 3), "llm": None,
                                 "cases_sha256": hashlib.sha256(raw).hexdigest()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("".join(json.dumps(r) + "\n" for r in [*rows, summary]), encoding="utf-8")
    write_section(markdown(summary, rows, summary["cases_sha256"]))
    return summary


if __name__ == "__main__":
    s = main()
    print(json.dumps({k: v for k, v in s.items() if k != "per_check"}, indent=1))
    for name, p in sorted(s["per_check"].items()):
        print(f"{name:14s} {p}")
