"""Continuity dev set: precision, recall, false alarms on clean controls, per check and per file.

Runs the deterministic engine (no LLM: pinned) on every case of cases.jsonl (the original set) and
cases_real.jsonl (situations from real series, see README.md) against its world in worlds.json, matches
findings to the expected (code, scene[, severity]) entries, writes one JSON line per case plus a summary
line to evals/results/continuity.jsonl, and rewrites the "## Continuity" section of docs/benchmarks.md
(other sections are left as they are). A case the domain model cannot load (e.g. a "format": "v2" case
before the model accepts that format) is reported as an error and counts as missing its expected findings.
Run: python evals/continuity/run.py
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from showrunner.continuity import check_episode
from showrunner.models import Character, ContinuityIssue, Episode, Fact, Location, Shot

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
FILES = ("cases.jsonl", "cases_real.jsonl")
RESULTS = ROOT / "evals" / "results" / "continuity.jsonl"
DOC = ROOT / "docs" / "benchmarks.md"


def load_world(spec: dict[str, Any]) -> tuple[list[Character], list[Location], list[Fact]]:
    return ([Character.model_validate(c) for c in spec["characters"]],
            [Location.model_validate(loc) for loc in spec["locations"]],
            [Fact.model_validate(f) for f in spec["facts"]])


def match(found: list[ContinuityIssue], expected: list[dict[str, Any]]) -> int:
    """Expected entries matched one-to-one by code and scene, and by severity where one is given."""
    free = list(found)
    tp = 0
    for e in sorted(expected, key=lambda e: "severity" not in e):
        hit = next((f for f in free if f.code == e["code"] and f.scene == e["scene"]
                    and ("severity" not in e or f.severity == e["severity"])), None)
        if hit is not None:
            free.remove(hit)
            tp += 1
    return tp


def run_case(case: dict[str, Any], worlds: dict[str, Any], file: str) -> dict[str, Any]:
    row: dict[str, Any] = {"id": case["id"], "file": file, "world": case["world"], "check": case["check"],
                           "kind": case["kind"], "format": case.get("format", "v1"),
                           "expected": [f"{e['code']}@S{e['scene']}" + (f"/{e['severity']}" if "severity" in e
                                                                        else "") for e in case["expected"]]}
    chars, locs, facts = load_world(worlds[case["world"]])
    try:
        facts += [Fact.model_validate(f) for f in case.get("facts", [])]
        ep = Episode.model_validate(case["episode"])
        shots = [Shot.model_validate(s) for s in case.get("shots", [])]
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = f"cannot load: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        return row | {"tp": 0, "fp": 0, "fn": len(case["expected"]), "error": msg, "found": []}
    found = check_episode(ep, characters=chars, locations=locs, facts=facts, shots=shots)
    tp = match(found, case["expected"])
    return row | {"tp": tp, "fp": len(found) - tp, "fn": len(case["expected"]) - tp, "error": None,
                  "found": [f"{f.code}@S{f.scene}/{f.severity}: {f.message}" for f in found]}


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
    return {"cases": len(rows), "planted": len(rows) - len(controls), "controls": len(controls),
            "tp": tp, "fp": fp, "fn": fn, "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "controls_with_false_alarm": sum(r["fp"] > 0 for r in controls),
            "false_alarms_on_controls": sum(r["fp"] for r in controls),
            "not_loaded": sum(r["error"] is not None for r in rows), "per_check": dict(sorted(per.items()))}


def table(s: dict[str, Any], title: str) -> list[str]:
    lines = [f"**{title}**: {s['cases']} cases ({s['planted']} planted, {s['controls']} controls); "
             f"precision {s['precision']} ({s['tp']} of {s['tp'] + s['fp']} findings correct), recall {s['recall']} "
             f"({s['tp']} of {s['tp'] + s['fn']} planted errors found); {s['controls_with_false_alarm']} of "
             f"{s['controls']} controls with a false alarm; {s['not_loaded']} cases the model could not load.", "",
             "| check | cases | found | missed | false alarms | precision | recall |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {name} | {p['cases']} | {p['tp']} | {p['fn']} | {p['fp']} | {p['precision']} | {p['recall']} |"
              for name, p in s["per_check"].items()]
    return lines + [""]


def markdown(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [
        "## Continuity", "",
        "Two dev sets, both hand-written and blind (expected findings written before the engine ran on them). "
        "`evals/continuity/cases.jsonl`: three worlds (maritime, fantasy court, police procedural): flashbacks, "
        "dreams, recorded returns, deaths inside their own scene, aliases, generic names, dyed hair, outfit "
        "changes, hand-overs, figurative 'brother', cross-cutting. `evals/continuity/cases_real.jsonl`: situations "
        "from real series over three more worlds (space opera, small-town crime, fantasy court): dead characters "
        "heard off screen, holograms and video diaries of the dead, twins, believed-dead characters, dye and "
        "costume changes within an episode, destroyed items and the scene that destroys them, looks after ';', "
        "'his <kin> <Name>', slings and casts, 'key'/'keycard', numbered extras beside known names, characters "
        "and places not in canon, and the v2 input format (\"HH:MM\", `{\"name\": ...}`, seasons); see "
        "evals/continuity/README.md. Where an expected finding names a severity the finding must carry it.",
        "Deterministic engine only (no LLM). Reproduce: `python evals/continuity/run.py`.", "",
    ]
    lines += table(summary, "All cases")
    for name, s in summary["per_file"].items():
        lines += table(s, f"`{name}` (sha256 {s['sha256'][:12]})")
    misses = [r for r in rows if r["fn"]]
    alarms = [r for r in rows if r["fp"]]
    lines += ["Missed planted errors:" if misses else "No planted error was missed.", ""]
    lines += [f"- `{r['id']}` ({r['check']}): expected {', '.join(r['expected'])}"
              + (f"; {r['error']}" if r["error"] else f"; found {'; '.join(r['found']) or 'nothing'}")
              for r in misses]
    lines += ["", "False alarms:" if alarms else "No false alarms.", ""]
    lines += [f"- `{r['id']}`: {'; '.join(r['found'])}" for r in alarms] + ([""] if alarms else [])
    lines += ["Limits, stated plainly: both sets are small and written by people who know the engine; zero false "
              "alarms on n controls still allows a true false-alarm rate up to about 3/n (rule of three). The "
              "LLM claims pass is not measured here (no capable LLM offline)."]
    return "\n".join(lines).rstrip() + "\n"


def write_section(section: str, doc: Path = DOC) -> None:
    """Replace the section of ``doc`` that starts with ``section``'s first line (append it when absent)."""
    heading = section.splitlines()[0]
    text = doc.read_text(encoding="utf-8") if doc.is_file() else "# Benchmarks\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip() + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def main() -> dict[str, Any]:
    worlds = json.loads((HERE / "worlds.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    per_file: dict[str, dict[str, Any]] = {}
    for name in FILES:
        raw = (HERE / name).read_bytes()
        cases = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        file_rows = [run_case(c, worlds, name) for c in cases]
        per_file[name] = summarise(file_rows) | {"sha256": hashlib.sha256(raw).hexdigest()}
        rows += file_rows
    summary = {"summary": True} | summarise(rows) | {"per_file": per_file, "llm": None,
                                                     "seconds": round(time.perf_counter() - start, 3)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("".join(json.dumps(r) + "\n" for r in [*rows, summary]), encoding="utf-8")
    write_section(markdown(summary, rows))
    return summary


if __name__ == "__main__":
    s = main()
    print(json.dumps({k: v for k, v in s.items() if k not in ("per_check", "per_file")}, indent=1))
    for fname, fs in s["per_file"].items():
        print(f"\n{fname}: precision {fs['precision']} recall {fs['recall']} not loaded {fs['not_loaded']}")
        for name, p in fs["per_check"].items():
            print(f"  {name:14s} {p}")
