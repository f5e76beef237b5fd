"""Critic separation: does the critic's verdict tell planted bad scripts from good ones? (AUROC)

Runs the graph's real ``critique_script`` node on every script of evals/critic/scripts.jsonl (hand-written:
20 good scripts, 24 bad ones with a planted defect, over the five series of evals/critic/series.json) and
scores each by the critique it returns: the mean of its five scores (1-10) and its verdict. AUROC is the
chance that a random bad script scores below a random good one (0.5: no separation). Each run reports,
side by side, the LLM's own critique ("llm only", recorded from the same call) and the critique after the
deterministic checks ("with checks").

Providers: ``scripted`` (the test double's critic: constant scores, so "llm only" is 0.5 by construction)
with the hashing and the MiniLM embedders, and, with ``--local``, the embedded SmolLM2 (``local``) with
MiniLM, run on as many scripts as fit in ``--local-budget-s`` seconds (good and bad interleaved).
Results: evals/results/critic.jsonl (one line per script and run, plus a summary per run; runs not
repeated keep their recorded lines) and the "## Critic" section of docs/benchmarks.md.

    python evals/critic_separation.py [--json] [--local] [--local-budget-s 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from showrunner.agents.critic import critique_script
from showrunner.config import Settings
from showrunner.context import Context
from showrunner.llm import get_llm
from showrunner.llm.base import Generation, Prompt, StructuredLLM, T
from showrunner.memory.canon import Canon
from showrunner.memory.embeddings import make_embedder
from showrunner.models import Bible, Critique, Episode
from showrunner.testing import ListMemory, ScriptedLLM, story_responder

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("continuity_run", HERE / "continuity" / "run.py")
assert _spec is not None and _spec.loader is not None
_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_run)
write_section = _run.write_section  # one section writer for docs/benchmarks.md
DATA = HERE / "critic"
RESULTS = HERE / "results" / "critic.jsonl"


class Recorder:
    """Passes calls through to ``llm`` and keeps the last answer (the LLM's own critique)."""

    def __init__(self, llm: StructuredLLM) -> None:
        self.llm: StructuredLLM = llm
        self.last: Any = None
        self.provider: str = llm.provider
        self.model: str = str(llm.model)

    def generate(self, prompt: Prompt, schema: type[T]) -> Generation[T]:
        gen = self.llm.generate(prompt, schema)
        self.last = gen.value
        return gen


def auroc(bad: list[float], good: list[float]) -> float | None:
    """P(a bad script scores below a good one), ties counted half (Mann-Whitney)."""
    if not bad or not good:
        return None
    wins = sum((b < g) + 0.5 * (b == g) for b in bad for g in good)
    return round(wins / (len(bad) * len(good)), 3)


def critique(case: dict[str, Any], series: dict[str, Any], llm: Recorder, embedder: str) -> tuple[Critique, Critique]:
    """(the LLM's own critique, the node's critique with checks) for one script."""
    spec = series[case["series"]]
    bible, script = Bible.model_validate(spec["bible"]), Episode.model_validate(case["episode"])
    memory = ListMemory(embedder=make_embedder(embedder))
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context(llm=llm, memory=memory, canon=Canon(Path(tmp)), settings=Settings(embedder=embedder))
        state: Any = {"bible": bible, "episode": script.number, "script": script, "premise": spec["premise"],
                      "revisions": 1, "continuity": []}
        out = critique_script(state, Runtime(context=ctx))
    assert isinstance(llm.last, Critique)
    return llm.last, out["critique"]


def run(name: str, llm: Recorder, embedder: str, cases: list[dict[str, Any]], series: dict[str, Any],
        budget_s: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows, start = [], time.perf_counter()
    for case in cases:
        if budget_s is not None and time.perf_counter() - start > budget_s:
            break
        raw, crit = critique(case, series, llm, embedder)
        rows.append({"kind": "critic_case", "run": name, "id": case["id"], "label": case["label"],
                     "defect": case["defect"], "llm_score": raw.scores.mean(), "llm_verdict": raw.verdict,
                     "score": crit.scores.mean(), "verdict": crit.verdict, "notes": crit.notes})
    return summarise(name, embedder, llm, rows, time.perf_counter() - start, len(cases)), rows


def summarise(name: str, embedder: str, llm: Recorder, rows: list[dict[str, Any]], seconds: float,
              total: int) -> dict[str, Any]:
    def split(key: str, f: Any) -> tuple[list[float], list[float]]:
        return ([f(r[key]) for r in rows if r["label"] == "bad"], [f(r[key]) for r in rows if r["label"] == "good"])

    def vote(v: str) -> float:
        return 0.0 if v == "revise" else 1.0

    bad_rows = [r for r in rows if r["label"] == "bad"]
    defects: dict[str, list[int]] = {}
    for r in bad_rows:
        defects.setdefault(r["defect"], []).append(r["verdict"] == "revise")
    good_revised = sum(r["verdict"] == "revise" for r in rows if r["label"] == "good")
    return {"kind": "critic_summary", "run": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "provider": llm.provider, "model": str(llm.model),
            "embedder": embedder, "scripts": len(rows), "of": total, "bad": len(bad_rows),
            "good": len(rows) - len(bad_rows), "seconds": round(seconds, 1),
            "auroc_score": auroc(*split("score", float)), "auroc_verdict": auroc(*split("verdict", vote)),
            "llm_only_auroc_score": auroc(*split("llm_score", float)),
            "llm_only_auroc_verdict": auroc(*split("llm_verdict", vote)),
            "bad_revised": sum(r["verdict"] == "revise" for r in bad_rows), "good_revised": good_revised,
            "distinct_scores": len({r["score"] for r in rows}),
            "llm_distinct_scores": len({r["llm_score"] for r in rows}),
            "caught_by_defect": {d: f"{sum(v)}/{len(v)}" for d, v in sorted(defects.items())}}


def markdown(summaries: list[dict[str, Any]]) -> str:
    lines = ["## Critic", "",
             "Critic separation (`python evals/critic_separation.py [--local]`): the graph's `critique_script` on "
             "44 hand-written scripts (evals/critic/: 20 good, 24 with a planted defect: placeholder text, "
             "duplicated scenes, lines or loglines, no dialogue, a cast outside canon, an episode off its premise, "
             "a bible giving everyone one role, and two subtle defects no check aims at: a character acting out of "
             "character, a story without conflict). Good scripts include hard cases: a new minor character, "
             "numbered extras, a catchphrase said twice, a '[quietly]' direction, a title 'Pilot', an action "
             "episode with one line. AUROC: chance a bad script scores below a good one (0.5 = none); "
             "\"llm only\" is the LLM's own critique from the same call, before the checks.", "",
             "| run | scripts | AUROC score (llm only) | AUROC verdict (llm only) | bad sent back | good sent back "
             "| distinct scores (llm only) | seconds |", "|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        lines.append(f"| {s['run']} | {s['scripts']} of {s['of']} | {s['auroc_score']} ({s['llm_only_auroc_score']}) "
                     f"| {s['auroc_verdict']} ({s['llm_only_auroc_verdict']}) | {s['bad_revised']} of {s['bad']} "
                     f"| {s['good_revised']} of {s['good']} | {s['distinct_scores']} "
                     f"({s.get('llm_distinct_scores', '-')}) | {s['seconds']} |")
    lines += ["", "Bad scripts sent back, by planted defect:", ""]
    lines += [f"- {s['run']}: " + ", ".join(f"{d} {c}" for d, c in s["caught_by_defect"].items()) for s in summaries]
    lines += ["", "Limits: 44 scripts written by the author of the checks (the data was committed before the first "
              "run; the premise floors were set on separate calibration texts, see critic_checks.py). The first run "
              "compared cast names too, which hid every off-premise script from the hashing embedder (AUROC 0.891 "
              "there); the premise check now drops them. The scripted "
              "critic's own scores are constant, so its separation is entirely the deterministic checks'. The subtle "
              "defects need a capable LLM; SmolLM2-135M is not one."]
    return "\n".join(lines) + "\n"


def keep_other_runs(rows: list[dict[str, Any]], summaries: list[dict[str, Any]]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Add the recorded results of runs not repeated now (a run without --local keeps the local one)."""
    done = {s["run"] for s in summaries}
    old = [json.loads(x) for x in RESULTS.read_text(encoding="utf-8").splitlines()] if RESULTS.is_file() else []
    kept = [x for x in old if x.get("run") not in done]
    return (rows + [x for x in kept if x["kind"] == "critic_case"],
            summaries + [x for x in kept if x["kind"] == "critic_summary"])


def main() -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true", help="print the summaries as JSON")
    ap.add_argument("--local", action="store_true", help="also run the local SmolLM2 critic")
    ap.add_argument("--local-budget-s", type=float, default=300.0)
    args = ap.parse_args()
    series = json.loads((DATA / "series.json").read_text(encoding="utf-8"))
    cases = [json.loads(x) for x in (DATA / "scripts.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    good, bad = [c for c in cases if c["label"] == "good"], [c for c in cases if c["label"] == "bad"]
    interleaved = [c for pair in zip(bad, good, strict=False) for c in pair] + bad[len(good):] + good[len(bad):]
    summaries, rows = [], []
    for emb in ("hash", "minilm"):
        s, r = run(f"scripted+{emb}", Recorder(ScriptedLLM(story_responder)), emb, cases, series)
        summaries.append(s)
        rows += r
    if args.local:
        llm = Recorder(get_llm(Settings(llm="local")))
        s, r = run("local+minilm", llm, "minilm", interleaved, series, budget_s=args.local_budget_s)
        summaries.append(s)
        rows += r
    rows, summaries = keep_other_runs(rows, summaries)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("".join(json.dumps(x) + "\n" for x in [*rows, *summaries]), encoding="utf-8")
    write_section(markdown(summaries), HERE.parent / "docs" / "benchmarks.md")
    print(json.dumps(summaries, indent=1) if args.json else markdown(summaries))
    return summaries


if __name__ == "__main__":
    main()
