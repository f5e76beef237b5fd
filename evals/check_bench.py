"""Continuity check latency at long-series scale: every episode of a ~20,000-fact canon checked in process.

The canon is the synthetic long series of the memory benchmark (``evals/synth_series.py``: ~400
characters, 72 episodes, ~4,000 scenes, ~20,000 derived facts). The world is built once (what
``Context.world`` caches between calls); then each episode is checked against the *whole* world at its
scenes, as the graph's ``check_continuity`` does. Reported: world build time, per-episode check time
p50/p95 and the first (cold) check beside the warm median, all from one run.

    python evals/check_bench.py [--scale 1.0] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from synth_series import generate

from showrunner.continuity import check_episode
from showrunner.world import World
from showrunner.world.facts import derive_facts

RESULTS = Path(__file__).resolve().parent / "results" / "check_bench.jsonl"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cf = generate(scale=args.scale, seed=7)
    facts = derive_facts(cf)
    t0 = time.perf_counter()
    world = World(list(cf.characters), cf.locations, facts)
    build_s = time.perf_counter() - t0
    times, findings = [], 0
    for ep in cf.episodes:
        t = time.perf_counter()
        findings += len(check_episode(ep, world=world))
        times.append((time.perf_counter() - t) * 1000)
    out = {"kind": "check_bench", "characters": len(cf.characters), "episodes": len(cf.episodes),
           "scenes": sum(len(e.scenes) for e in cf.episodes), "facts": len(world.facts),
           "world_build_ms": round(build_s * 1000, 1), "check_ms_p50": round(statistics.median(times), 1),
           "check_ms_p95": round(pct(times, 0.95), 1), "check_ms_max": round(max(times), 1),
           "first_check_ms": round(times[0], 1), "findings": findings,
           "machine": f"{platform.machine()}, {platform.python_version()}"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(out) + "\n")
    print(json.dumps(out, indent=1 if args.json else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
