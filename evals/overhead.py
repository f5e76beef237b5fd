"""Framework overhead: wall time per episode and per shot with a zero-latency scripted LLM.

Runs a series end to end (all gates auto-approved, hash embedder, SQLite checkpoints with durability
"sync", embedded chroma) and subtracts model time (the scripted responder's own time, as recorded in
each call's usage) from each episode's wall time. What is left is the framework: LangGraph steps and
checkpoints, memory retrieval and indexing, prompt rendering, validation, canon and ledger writes.

    python evals/overhead.py [--episodes 50] [--out evals/results/overhead.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from showrunner.context import noop_render
from showrunner.io import read_jsonl
from showrunner.memory.canon import Canon
from showrunner.pipelines import series
from showrunner.pipelines.project import Project
from showrunner.testing import ScriptedLLM, story_responder

PREMISE = "A harbor crew keeps a drowned city's tide gates running while old rivals circle"
CONFIG = {"llm": "scripted (showrunner.testing:story_responder, zero latency)", "embedder": "hash", "render": "none",
          "checkpointer": "sqlite, durability=sync", "auto_approve": "all", "revision_limit": 2}


def run_series(episodes: int, root: Path, episode_length: str | None = None) -> dict[str, Any]:
    """One auto-approved series (of ``episode_length``: a format, or none); returns the LLM requests,
    per-episode timings and shot counts."""
    os.environ["SHOWRUNNER_EMBEDDER"] = "hash"
    llm = ScriptedLLM(story_responder)
    t0 = time.perf_counter()
    _, res = series.new_series(root, PREMISE, episodes, llm=llm, auto_approve=frozenset({"all"}), render=noop_render,
                               episode_length=episode_length)
    total = time.perf_counter() - t0
    assert res["status"] == "done", res
    snap = series.snapshot(Project.open(root))
    values = snap.values
    usage = [r for r in read_jsonl(root / "logs" / "ledger.jsonl") if r.get("kind") == "llm"]
    canon = Canon(root / "canon")
    per: dict[int, dict[str, Any]] = {}
    for n in range(1, episodes + 1):
        recs = [u for u in usage if u["episode"] == n]
        wall = values["finished_at"][str(n)] - values["started_at"][str(n)]
        model = sum(u["latency_s"] for u in recs)
        per[n] = {"episode": n, "calls": len(recs), "prompt_tokens": sum(u["prompt_tokens"] for u in recs),
                  "wall_s": wall, "model_s": model, "overhead_s": wall - model,
                  "shots": len(canon.storyboard(n) or []), "scenes": len(canon.episode(n).scenes)}  # type: ignore[union-attr]
    return {"llm": llm, "per_episode": per, "total_s": total, "canon": canon}


def summarise(per: dict[int, dict[str, Any]]) -> dict[str, Any]:
    rows = list(per.values())
    over = [r["overhead_s"] for r in rows]
    per_shot = [r["overhead_s"] / r["shots"] for r in rows if r["shots"]]
    first, last = rows[: max(1, len(rows) // 5)], rows[-max(1, len(rows) // 5):]
    return {"episodes": len(rows), "overhead_per_episode_s_median": statistics.median(over),
            "overhead_per_episode_s_p90": sorted(over)[int(0.9 * (len(over) - 1))],
            "overhead_per_shot_s_median": statistics.median(per_shot),
            "overhead_first_fifth_s": statistics.mean(r["overhead_s"] for r in first),
            "overhead_last_fifth_s": statistics.mean(r["overhead_s"] for r in last),
            "model_s_total": sum(r["model_s"] for r in rows), "shots_total": sum(r["shots"] for r in rows)}


def write(out: Path, records: list[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "time": time.time()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--out", type=Path, default=Path("evals/results/overhead.jsonl"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = run_series(args.episodes, Path(tmp) / "series")
    summary = summarise(data["per_episode"])
    write(args.out, [{"kind": "overhead_summary", **CONFIG, **machine(), "total_s": data["total_s"], **summary}]
          + [{"kind": "overhead_episode", **r} for r in data["per_episode"].values()])
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
