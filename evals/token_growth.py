"""Token growth: prompt tokens per episode as a series grows, beside a naive all-history baseline.

One 50-episode run with the scripted provider (all gates auto-approved). For each episode we count the
prompt tokens the agents actually sent (context from budgeted memory retrieval plus the bible's short
header). The naive baseline is measured in the same run, from the same prompts: every prompt that carries
a retrieved-context block gets, instead, the full text of all previous episodes (what a pipeline that
"just puts the history in context" sends). Tokens are estimated at 4 characters each for both columns.
The same run's timings give the framework overhead (evals/overhead.py).

    python evals/token_growth.py [--episodes 50] [--repeat 3] [--episode-length broadcast]

``--episode-length`` runs the series in a format (social, broadcast, 90s, 7m ...): more scenes, lines and
shots per episode; ``max_call_tokens`` (the largest single prompt of an episode) is what must stay flat.

``--repeat N`` runs the series N times and records whether every episode's prompt tokens came out the
same in all of them (memory retrieval is exact and ties are cut by id, so they must).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from overhead import CONFIG, machine, run_series, summarise, write

from showrunner.agents.common import script_text
from showrunner.llm.base import estimate_tokens

CONTEXT = re.compile(r"Canon that matters now:\n<<<\n(.*?)\n>>>", re.S)
REPORT_AT = (2, 10, 25, 50)


def episode_of(req: Any) -> int:
    m = re.search(r"(?:\nEpisode|Outline episode|script of episode|Episode) (\d+)", req.text)
    return int(m.group(1)) if m else 0


def measure(data: dict[str, Any], episodes: int) -> list[dict[str, Any]]:
    canon = data["canon"]
    history: dict[int, int] = {1: 0}
    for n in range(1, episodes + 1):
        ep = canon.episode(n)
        history[n + 1] = history[n] + estimate_tokens(script_text(ep, limit=10**9))
    per = data["per_episode"]
    rows = []
    # the usage log gives actual tokens per episode; prompts give the context blocks to swap for history
    naive_delta: dict[int, int] = {}
    ctx_calls: dict[int, int] = {}
    seen: dict[int, int] = {}
    largest: dict[int, int] = {}
    for req in data["llm"].requests:
        seen[episode_of(req)] = seen.get(episode_of(req), 0) + estimate_tokens(req.text)
        largest[episode_of(req)] = max(largest.get(episode_of(req), 0), estimate_tokens(req.text))
        m = CONTEXT.search(req.text)
        if not m:
            continue
        n = episode_of(req)
        ctx_calls[n] = ctx_calls.get(n, 0) + 1
        naive_delta[n] = naive_delta.get(n, 0) - estimate_tokens(m.group(1)) + history.get(n, 0)
    for n in range(1, episodes + 1):
        actual = per[n]["prompt_tokens"]
        assert seen.get(n) == actual, (n, seen.get(n), actual)  # prompts attributed to the right episode
        rows.append({"kind": "token_growth", "episode": n, "prompt_tokens": actual,
                     "naive_prompt_tokens": actual + naive_delta.get(n, 0), "context_calls": ctx_calls.get(n, 0),
                     "history_tokens": history[n], "calls": per[n]["calls"], "max_call_tokens": largest.get(n, 0),
                     "shots": per[n]["shots"], "scenes": per[n]["scenes"]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--out", type=Path, default=Path("evals/results"))
    ap.add_argument("--repeat", type=int, default=1, help="run the series N times and compare the token tables")
    ap.add_argument("--episode-length", default=None, help="the series' format (social, broadcast, 90s, 7m ...)")
    args = ap.parse_args()
    tables = []
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            data = run_series(args.episodes, Path(tmp) / "series", args.episode_length)
            rows = measure(data, args.episodes)
        tables.append([r["prompt_tokens"] for r in rows])
    identical = all(t == tables[0] for t in tables)
    meta = {**CONFIG, **machine(), "episodes": args.episodes, "repeat": len(tables), "identical_runs": identical,
            "episode_length": args.episode_length}
    write(args.out / "token_growth.jsonl", [{"kind": "token_growth_run", **meta}] + rows)
    summary = summarise(data["per_episode"])
    write(args.out / "overhead.jsonl", [{"kind": "overhead_summary", **meta, "total_s": data["total_s"], **summary}]
          + [{"kind": "overhead_episode", **r} for r in data["per_episode"].values()])
    print("episode  calls  shots  prompt_tokens  max_call_tokens  naive_baseline  ratio")
    for r in rows:
        if r["episode"] in REPORT_AT:
            ratio = r["naive_prompt_tokens"] / r["prompt_tokens"]
            print(f"{r['episode']:>7}  {r['calls']:>5}  {r['shots']:>5}  {r['prompt_tokens']:>13}  "
                  f"{r['max_call_tokens']:>15}  {r['naive_prompt_tokens']:>14}  {ratio:5.1f}x")
    if len(tables) > 1:
        print(f"token table identical in {len(tables)} runs: {identical}")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
