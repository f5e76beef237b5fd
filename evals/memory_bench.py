"""Memory benchmark at the scale of a long series (~400 characters, ~70 episodes, ~4,000 scenes, ~20k facts).

Measured side by side in one run, on one machine:

* import: canon file → project canon files (derive + supersede + atomic writes);
* ingest: ``memory rebuild`` (embedding + chroma upserts) beside the pure embedding time of the same
  texts with the same embedder — the ratio is the store's overhead;
* query latency p50/p95 of the retrieval call agents make (hard facts + semantic + recent events) and of
  the bare semantic search;
* world_state latency ("the state of the world as of E, S");
* prompt tokens returned by the retrieval call at episode 2 vs episode 50, with the default budget and
  with no budget at all (is the pack flat because of the budget, or by construction?).

    python -m evals.memory_bench                  # MiniLM, full scale (the reported numbers)
    python -m evals.memory_bench --embedder hash --scale 0.1   # quick run

One JSON line per run is appended to evals/results/memory_bench.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from evals.synth_series import generate
from showrunner.config import load_settings
from showrunner.memory import Canon, open_memory
from showrunner.memory.canon_format import import_canon, read_canon_file, write_canon_file
from showrunner.memory.canon_io import open_or_create
from showrunner.memory.chroma_client import connect
from showrunner.memory.chroma_store import ChromaMemory
from showrunner.memory.embeddings import make_embedder

RESULTS = Path(__file__).parent / "results" / "memory_bench.jsonl"


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _ms(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": round(1000 * statistics.median(xs), 2), "p95_ms": round(1000 * _pct(xs, 0.95), 2)}


def run(scale: float, embedder: str, queries: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    out: dict[str, object] = {"bench": "memory", "embedder": embedder, "scale": scale, "seed": seed,
                              "machine": f"{platform.machine()} {os.cpu_count()} cpu", "time": time.time()}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "series.json"
        cf = generate(scale, seed)
        write_canon_file(cf, src)
        t0 = time.perf_counter()
        cf = read_canon_file(src)
        proj, _ = open_or_create(Path(tmp) / "proj", cf)
        report = import_canon(proj, cf, index=False)
        out["import_s"] = round(time.perf_counter() - t0, 2)
        canon = Canon(proj.canon_dir)
        facts = canon.facts()
        out |= {"characters": len(cf.characters), "episodes": len(cf.episodes), "scenes": report.scenes,
                "facts": len(facts), "file_mb": round(src.stat().st_size / 2**20, 1)}

        settings = load_settings(None, embedder=embedder)
        # a bare store on the empty index (open_memory would sync, i.e. ingest, right away)
        mem = ChromaMemory(connect(settings, proj.memory_dir), make_embedder(embedder), canon=canon)
        texts = [f.sentence() for f in facts]
        mem.embedder.embed(texts[:64])  # warm the model (loaded once per process)
        t0 = time.perf_counter()
        mem.embedder.embed(texts)
        embed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        mem.rebuild(canon)
        ingest_s = time.perf_counter() - t0
        out |= {"embed_only_s": round(embed_s, 2), "ingest_s": round(ingest_s, 2),
                "ingest_over_embed": round(ingest_s / embed_s, 2),
                "ingest_facts_per_s": round(len(facts) / ingest_s, 1)}

        t0 = time.perf_counter()
        mem = open_memory(proj, settings)  # a fresh open: sync check + index load
        mem.index()
        out["open_s"] = round(time.perf_counter() - t0, 2)

        scenes = [(e.number, s) for e in cf.episodes for s in e.scenes if s.characters]
        sample = [scenes[rng.randrange(len(scenes))] for _ in range(queries)]
        ws, rq, sq, toks = [], [], [], []
        for ep, sc in sample:
            t0 = time.perf_counter()
            mem.world_state(ep, sc.number)
            ws.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            mem.search(sc.summary, episode=ep, scene=sc.number)
            sq.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pack = mem.retrieve(episode=ep, scene=sc.number, characters=sc.characters, locations=[sc.location],
                                query=sc.summary, budget_tokens=600)
            rq.append(time.perf_counter() - t0)
            toks.append(pack.tokens)
        out |= {"world_state": _ms(ws), "search": _ms(sq), "retrieve": _ms(rq),
                "retrieve_tokens_mean": round(statistics.mean(toks), 1),
                "world_state_facts_at_last_ep": len(mem.world_state(len(cf.episodes)))}

        last = min(50, len(cf.episodes))
        probe = cf.episodes[1].scenes[2]  # the same cast, place and query asked at E2 and at E50
        for budget, key in ((600, "tokens_budget600"), (10**6, "tokens_unbudgeted")):
            row = {}
            for ep in (2, last):
                pack = mem.retrieve(episode=ep, scene=3, characters=probe.characters,
                                    locations=[probe.location], query=probe.summary, budget_tokens=budget)
                row[f"ep{ep}"] = pack.tokens
            out[key] = row
        # unbudgeted pack size over random scenes early vs late in the series (cast sizes vary by scene)
        for lo, hi, key in ((1, 5, "early"), (last - 4, last, "late")):
            pool = [(e, s) for e, s in scenes if lo <= e <= hi]
            picks = [pool[rng.randrange(len(pool))] for _ in range(30)]
            sizes = [mem.retrieve(episode=e, scene=s.number, characters=s.characters, locations=[s.location],
                                  query=s.summary, budget_tokens=10**6).tokens for e, s in picks]
            out[f"tokens_unbudgeted_mean_{key}"] = round(statistics.mean(sizes), 1)
        out["load_avg_1m"] = round(os.getloadavg()[0], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Memory benchmark (see module docstring).")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--embedder", choices=["minilm", "hash"], default="minilm")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    result = run(args.scale, args.embedder, args.queries, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
