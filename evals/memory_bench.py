"""Memory benchmark at the scale of a long series (~20k facts) and five times that (~100k facts).

Per size, in one run on one machine, from the deterministic synthetic series of evals/synth_series.py:

* import: canon file → project canon files (derive + supersede + atomic writes);
* ingest: ``memory rebuild`` (embedding + chroma writes) beside the pure embedding time of the same texts
  with the same embedder (the ratio is the store's overhead; first size only);
* retrieval p50/p95 of the call agents make, current path beside the path before issue 14
  (:class:`evals.memory_paths.BeforeMemory`), interleaved query by query; the current path is measured cold
  (query vector cache emptied before each call) and warm (the same query again), and cold with the query embedded by
  MiniLM on torch (sentence-transformers, the runtime before ONNX) instead of ONNX Runtime;
* the query embedding alone on both runtimes, and recall@8: the share of the top 8 found with the ONNX
  query vector that the torch query vector finds too, plus the lowest cosine between stored (ONNX) and
  torch vectors of 300 stored sentences (MiniLM sizes; hash384 sizes time the ONNX MiniLM query embedding
  and add it to the cold call, ``cold_plus_minilm_query``, as their vectors are not MiniLM's);
* the story-time filter alone, all four ways, on an already embedded query: exact masked search over the
  rows that can hold (now), the exact product over every row then the mask (before the row layout, also
  checked to return the same facts), Chroma's filtered HNSW query (before issue 14), Chroma's unfiltered
  HNSW query then filter;
* determinism: a digest of 50 retrieval packs after each of ``--rebuilds`` rebuilds, for both paths
  (first size; later sizes get one digest and half the queries);
* the in-process matrix's memory; world_state latency; pack tokens at E2 vs E50 (first size only).

    python -m evals.memory_bench [--json]        # MiniLM at ~20k facts, hash384 at ~100k (default)
    python -m evals.memory_bench --embedder hash --sizes 0.1  # quick run
    python -m evals.memory_bench --embedder minilm --sizes 5   # ~100k facts with a MiniLM ingest (long)

One JSON line per run is appended to evals/results/memory_bench.jsonl.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from evals.memory_paths import BeforeMemory, before_embedder, full_scan
from evals.synth_series import generate
from showrunner.config import load_settings
from showrunner.memory import Canon
from showrunner.memory.canon_format import import_canon, read_canon_file, write_canon_file
from showrunner.memory.canon_io import open_or_create
from showrunner.memory.chroma_client import connect
from showrunner.memory.chroma_store import MAX_DISTANCE, ChromaMemory
from showrunner.memory.embeddings import HashEmbedder, MiniLMEmbedder, make_embedder
from showrunner.world.timeline import point

RESULTS = Path(__file__).parent / "results" / "memory_bench.jsonl"


def _ms(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"p50_ms": round(1000 * statistics.median(xs), 2),
            "p95_ms": round(1000 * xs[min(len(xs) - 1, int(0.95 * len(xs)))], 2)}


def _timed(fn: Callable[[], Any], into: list[float], cpu: list[float] | None = None) -> Any:
    """Run ``fn``, appending its wall time to ``into`` and, if given, the process's CPU time to ``cpu``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    into.append(time.perf_counter() - t0)
    if cpu is not None:  # CPU time does not count waiting for a core, so other jobs' load barely moves it
        cpu.append(time.process_time() - c0)
    return out


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _digest(mem: ChromaMemory, probes: list[tuple[int, Any]]) -> str:
    h = hashlib.sha256()
    for ep, sc in probes:
        h.update(mem.retrieve(episode=ep, scene=sc.number, characters=sc.characters, locations=[sc.location],
                              query=sc.summary, budget_tokens=600).model_dump_json().encode())
    return h.hexdigest()[:16]


def size_run(tmp: Path, scale: float, embedder: str, queries: int, seed: int, rebuilds: int,
             first: bool) -> dict[str, Any]:
    """Everything measured at one size (see the module docstring)."""
    rng = random.Random(seed)
    out: dict[str, Any] = {"scale": scale}
    src = tmp / f"series-{scale}.json"
    write_canon_file(generate(scale, seed), src)
    t0 = time.perf_counter()
    cf = read_canon_file(src)
    proj, _ = open_or_create(tmp / f"proj-{scale}", cf)
    report = import_canon(proj, cf, index=False)
    out["import_s"] = round(time.perf_counter() - t0, 2)
    canon = Canon(proj.canon_dir)
    facts = canon.facts()
    out |= {"characters": len(cf.characters), "episodes": len(cf.episodes), "scenes": report.scenes,
            "facts": len(facts), "file_mb": round(src.stat().st_size / 2**20, 1)}
    _log(f"scale {scale}: {len(facts)} facts")

    settings = load_settings(None, embedder="hash" if embedder == "hash384" else embedder)
    client = connect(settings, proj.memory_dir)
    # a bare store on the empty index (open_memory would sync, i.e. ingest, right away)
    emb = HashEmbedder(384) if embedder == "hash384" else make_embedder(embedder, threads=settings.embed_threads)
    mem = ChromaMemory(client, emb, canon=canon)
    if first:  # ingest embeds each distinct sentence once; so does the pure embedding it is compared with
        texts = list(dict.fromkeys(f.sentence() for f in facts))
        mem.embedder.embed(texts[:64])  # warm the model (loaded once per process)
        t0, c0 = time.perf_counter(), time.process_time()
        mem.embedder.embed(texts)
        out["embed_only_s"] = round(time.perf_counter() - t0, 2)
        out["embed_only_cpu_s"] = round(time.process_time() - c0, 2)
    t0, c0 = time.perf_counter(), time.process_time()
    mem.rebuild(canon)
    out["ingest_s"] = round(time.perf_counter() - t0, 2)
    out["ingest_cpu_s"] = round(time.process_time() - c0, 2)  # all threads of this process, chroma's included
    _log(f"ingest {out['ingest_s']} s")
    if first:  # CPU time as well: on a machine shared with other jobs wall time swings with their load
        out["ingest_over_embed"] = round(out["ingest_s"] / out["embed_only_s"], 2)
        out["ingest_over_embed_cpu"] = round(out["ingest_cpu_s"] / out["embed_only_cpu_s"], 2)
    vecs = mem._vecs("canon")
    out["vectors_mb"] = round(vecs.nbytes() / 2**20, 1)
    out["vectors_mb_per_100k_facts"] = round(vecs.nbytes() / len(facts) * 1e5 / 2**20, 1)
    before = BeforeMemory(client, before_embedder(embedder), mem.index(), canon=canon)
    ann = ChromaMemory(client, mem.embedder, canon=canon, search="ann")
    ann._index = mem.index()
    minilm = embedder == "minilm"
    # the same store with its queries embedded on another runtime: torch for MiniLM, ONNX MiniLM for hash384
    other = MiniLMEmbedder(threads=settings.embed_threads, runtime="torch" if minilm else "onnx")
    prev = ChromaMemory(client, other, canon=canon)
    prev._vectors, prev._index = mem._vectors, mem.index()
    other.embed(["warm up"])

    scenes = [(e.number, s) for e in cf.episodes for s in e.scenes if s.characters and s.summary]
    sample = [scenes[rng.randrange(len(scenes))] for _ in range(queries)]
    t: dict[str, list[float]] = {k: [] for k in ("world_state", "before", "cold", "cold_cpu", "warm", "cold_other",
                                                 "cold_other_cpu",
                                                 "embed_query", "embed_query_other", "exact_filter",
                                                 "full_scan_filter", "where_filter", "ann_filter")}
    same_as_full_scan, recall = True, []
    for ep, sc in sample:
        args: dict[str, Any] = dict(episode=ep, scene=sc.number, characters=sc.characters,
                                    locations=[sc.location], query=sc.summary, budget_tokens=600)
        _timed(lambda: mem.world_state(ep, sc.number), t["world_state"])  # noqa: B023
        _timed(lambda: before.retrieve(**args), t["before"])  # noqa: B023
        mem._queries.clear()
        _timed(lambda: mem.retrieve(**args), t["cold"], t["cold_cpu"])  # noqa: B023
        _timed(lambda: mem.retrieve(**args), t["warm"])  # noqa: B023
        prev._queries.clear()
        if minilm:
            _timed(lambda: prev.retrieve(**args), t["cold_other"], t["cold_other_cpu"])  # noqa: B023
        else:  # hash vectors: time the MiniLM query embedding and the retrieval together
            t0, c0 = time.perf_counter(), time.process_time()
            other.embed([sc.summary])
            mem._queries.clear()
            mem.retrieve(**args)
            t["cold_other"].append(time.perf_counter() - t0)
            t["cold_other_cpu"].append(time.process_time() - c0)
        vec = _timed(lambda: mem.embedder.embed([sc.summary]), t["embed_query"])  # noqa: B023
        vec_other = _timed(lambda: other.embed([sc.summary]), t["embed_query_other"])  # noqa: B023
        at = point(ep, sc.number)
        hits = _timed(lambda: vecs.search(vec[0], at, 8, MAX_DISTANCE), t["exact_filter"])  # noqa: B023
        full = _timed(lambda: full_scan(vecs, vec[0], at, 8), t["full_scan_filter"])  # noqa: B023
        same_as_full_scan &= [f.id for f in hits] == [f.id for f in full]
        if minilm and hits:
            ids = {f.id for f in vecs.search(vec_other[0], at, 8, MAX_DISTANCE)}
            recall.append(sum(f.id in ids for f in hits) / len(hits))
        _timed(lambda: before.search_vector(vec, episode=ep, scene=sc.number), t["where_filter"])  # noqa: B023
        ann._queries[sc.summary] = vec[0]  # the filter alone: the query is embedded already
        _timed(lambda: ann.search(sc.summary, episode=ep, scene=sc.number), t["ann_filter"])  # noqa: B023
    out |= {k: _ms(v) for k, v in t.items()}
    out["other_runtime"] = "MiniLM on torch (queries only)" if minilm else "MiniLM on ONNX (query time only)"
    if not minilm:
        out["cold_plus_minilm_query"] = out.pop("cold_other")
        out["cold_plus_minilm_query_cpu"] = out.pop("cold_other_cpu")
    out["exact_same_as_full_scan"] = same_as_full_scan
    out["retrieve_p95_ratio_before_over_now"] = round(out["before"]["p95_ms"] / out["cold"]["p95_ms"], 1)
    out["retrieve_p50_ratio_before_over_now"] = round(out["before"]["p50_ms"] / out["cold"]["p50_ms"], 1)
    for q in ("p50", "p95"):
        out[f"filter_{q}_ratio_full_scan_over_now"] = round(
            out["full_scan_filter"][f"{q}_ms"] / out["exact_filter"][f"{q}_ms"], 2)
        if minilm:
            out[f"retrieve_{q}_ratio_torch_over_now"] = round(out["cold_other"][f"{q}_ms"] / out["cold"][f"{q}_ms"], 2)
            out[f"embed_{q}_ratio_torch_over_onnx"] = round(
                out["embed_query_other"][f"{q}_ms"] / out["embed_query"][f"{q}_ms"], 2)
    if minilm:
        out["recall_at_8_onnx_vs_torch_query"] = round(statistics.mean(recall), 4) if recall else None
        texts = [f.sentence() for f in facts[:: max(1, len(facts) // 300)]][:300]
        stored = np.stack([vecs.vector(x) for x in texts])
        out["stored_cosine_min_onnx_vs_torch"] = round(float(np.min(np.sum(stored * other.embed(texts), axis=1))), 6)
    _log(f"retrieval cold p50/p95 {out['cold']} before {out['before']}")

    probes = [scenes[rng.randrange(len(scenes))] for _ in range(50)]
    digests, digests_before = [_digest(mem, probes)], [_digest(before, probes)]
    for _ in range(rebuilds - 1 if first else 0):
        mem.rebuild(canon)
        before._cols.clear()  # the collection was recreated
        digests.append(_digest(mem, probes))
        digests_before.append(_digest(before, probes))
        _log(f"rebuild: {digests[-1]} (before: {digests_before[-1]})")
    out |= {"pack_digests": digests, "deterministic": len(set(digests)) == 1,
            "pack_digests_before": digests_before, "deterministic_before": len(set(digests_before)) == 1}
    if first:
        out |= _tokens(mem, cf, scenes, rng)
    _log(json.dumps(out))
    return out


def _tokens(mem: ChromaMemory, cf: Any, scenes: list[tuple[int, Any]], rng: random.Random) -> dict[str, Any]:
    """Pack tokens: the same cast, place and query at E2 and at E50; unbudgeted early vs late scenes."""
    out: dict[str, Any] = {"world_state_facts_at_last_ep": len(mem.world_state(len(cf.episodes)))}
    last = min(50, len(cf.episodes))
    probe = cf.episodes[1].scenes[2]
    for budget, key in ((600, "tokens_budget600"), (10**6, "tokens_unbudgeted")):
        out[key] = {f"ep{ep}": mem.retrieve(episode=ep, scene=3, characters=probe.characters,
                                            locations=[probe.location], query=probe.summary,
                                            budget_tokens=budget).tokens for ep in (2, last)}
    for lo, hi, key in ((1, 5, "early"), (last - 4, last, "late")):
        pool = [(e, s) for e, s in scenes if lo <= e <= hi]
        picks = [pool[rng.randrange(len(pool))] for _ in range(30)]
        out[f"tokens_unbudgeted_mean_{key}"] = round(statistics.mean(
            mem.retrieve(episode=e, scene=s.number, characters=s.characters, locations=[s.location],
                         query=s.summary, budget_tokens=10**6).tokens for e, s in picks), 1)
    return out


def run(sizes: list[float], embedders: list[str], queries: int, seed: int, rebuilds: int) -> dict[str, Any]:
    embedders = embedders * len(sizes) if len(embedders) == 1 else embedders
    if len(embedders) != len(sizes):
        raise SystemExit(f"--embedder: one name, or one per size ({len(sizes)}); got {len(embedders)}")
    out: dict[str, Any] = {"bench": "memory", "version": 3, "embedder": ",".join(embedders), "seed": seed,
                           "machine": f"{platform.machine()} {os.cpu_count()} cpu", "time": time.time(),
                           "load_avg_1m_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory() as tmp:
        # later sizes: half the queries and no extra rebuilds (a 100k-fact MiniLM ingest takes many minutes)
        runs = [size_run(Path(tmp), s, e, queries if i == 0 else queries // 2, seed, rebuilds, i == 0)
                for i, (s, e) in enumerate(zip(sizes, embedders, strict=True))]
    out["sizes"] = runs
    out["retrieval_p50_ms"] = runs[0]["cold"]["p50_ms"]
    out["retrieval_p95_ms"] = runs[0]["cold"]["p95_ms"]
    out["retrieval_cpu_p95_ms"] = runs[0]["cold_cpu"]["p95_ms"]  # the same calls' CPU time
    out["deterministic"] = runs[0]["deterministic"]  # --rebuilds rebuilds of the first size
    out["recall_at_8_onnx_vs_torch_query"] = runs[0].get("recall_at_8_onnx_vs_torch_query")
    if len(runs) > 1:  # the largest size, with the MiniLM query embedding when its vectors are hash ones
        big = runs[-1].get("cold_plus_minilm_query", runs[-1]["cold"])
        cpu = runs[-1].get("cold_plus_minilm_query_cpu", runs[-1]["cold_cpu"])
        out |= {"facts_largest": runs[-1]["facts"], "retrieval_p50_ms_largest": big["p50_ms"],
                "retrieval_p95_ms_largest": big["p95_ms"], "retrieval_cpu_p95_ms_largest": cpu["p95_ms"]}
    out["ingest_over_embed"] = runs[0].get("ingest_over_embed")
    out["ingest_over_embed_cpu"] = runs[0].get("ingest_over_embed_cpu")
    out["load_avg_1m_end"] = round(os.getloadavg()[0], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Memory benchmark (see module docstring).")
    ap.add_argument("--sizes", default="1,5", help="synthetic series scales, comma-separated (1 = ~20k facts)")
    ap.add_argument("--embedder", default="minilm,hash384",
                    help="minilm, hash or hash384, one for all sizes or one per size; hash384: the hash embedder "
                         "at MiniLM's 384 dims (search cost as MiniLM's, no model time in the ingest)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rebuilds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = ap.parse_args()
    embedders = args.embedder.split(",")
    if not set(embedders) <= {"minilm", "hash", "hash384"}:
        raise SystemExit(f"--embedder: choose from minilm, hash, hash384; got {args.embedder}")
    result = run([float(s) for s in args.sizes.split(",")], embedders, args.queries, args.seed, args.rebuilds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    if args.json:
        print(json.dumps(result))
        return
    for r in result["sizes"]:
        print(f"{r['facts']:>7} facts  retrieval p50/p95 {r['cold']['p50_ms']}/{r['cold']['p95_ms']} ms "
              f"(CPU {r['cold_cpu']['p50_ms']}/{r['cold_cpu']['p95_ms']} ms) "
              f"(warm {r['warm']['p50_ms']}/{r['warm']['p95_ms']}), before {r['before']['p50_ms']}/"
              f"{r['before']['p95_ms']} ms: {r['retrieve_p95_ratio_before_over_now']}x at p95; "
              f"deterministic {r['deterministic']} (before {r['deterministic_before']}); "
              f"matrix {r['vectors_mb']} MB")
    print(f"ingest / pure embedding {result['ingest_over_embed']}")


if __name__ == "__main__":
    main()
