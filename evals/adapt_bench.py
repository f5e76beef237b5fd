"""Adaptation benchmark: splitting at book scale, and extraction cost with the scripted LLM.

Measured side by side in one run, on one machine:

* split: a generated 30k-word and a generated 300k-word book (chapters, scene breaks, dialogue), time and
  Python peak memory (tracemalloc) of :func:`showrunner.adapt.book.split_book` for each: the peak must
  not grow with the book;
* extraction: ``adapt`` to the adaptation gate with the scripted LLM on Alice (../shared/data, else the
  two-chapter excerpt in tests/data) and on the 300k-word book: calls and tokens per 10k words, chapters
  per second, peak memory, characters found, names merged, facts admitted and dropped, findings.

    python -m evals.adapt_bench            # the reported numbers
    python -m evals.adapt_bench --quick    # 30k and 60k words, Alice only for extraction

One JSON line per run is appended to evals/results/adapt_bench.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from showrunner.adapt.book import split_book
from showrunner.pipelines.adapt import adapt_book
from showrunner.testing import ScriptedLLM, story_responder

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "adapt_bench.jsonl"
ALICE = ROOT.parent / "shared" / "data" / "alice-in-wonderland.txt"
EXCERPT = ROOT / "tests" / "data" / "alice-ch1-2.txt"
NAMES = ("Mira Vale", "Tom Vale", "Captain Oren", "Juno", "the Ferryman", "Old Tamsin")
PLACES = ("harbour", "lighthouse", "market", "chapel", "quay")
VERBS = ("walked to", "looked at", "waited by", "ran past", "stood in")


def write_book(path: Path, words: int, seed: int = 7) -> int:
    """A generated novel of about ``words`` words, written paragraph by paragraph (never held whole)."""
    rnd, written, chapter = random.Random(seed), 0, 0
    with path.open("w", encoding="utf-8") as f:
        while written < words:
            chapter += 1
            f.write(f"CHAPTER {chapter}. The {rnd.choice(PLACES).title()}\n\n")
            for scene in range(3):
                if scene:
                    f.write("* * *\n\n")
                for _ in range(12):
                    who, other = rnd.sample(NAMES, 2)
                    para = (f"{who} {rnd.choice(VERBS)} the {rnd.choice(PLACES)} while the tide turned grey. "
                            f"'We cannot wait for the boats,' said {other}, and {who} took the brass lantern. ") * 2
                    f.write(para + "\n\n")
                    written += len(para.split())
    return written


def measure_split(book: Path, out: Path) -> dict[str, Any]:
    tracemalloc.start()
    t0 = time.perf_counter()
    index = split_book(book, out)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"words": index.words, "mb": round(book.stat().st_size / 1e6, 2), "chapters": index.count,
            "scenes": index.scenes, "seconds": round(seconds, 3),
            "words_per_s": round(index.words / seconds), "peak_mib": round(peak / 2**20, 2)}


def measure_adapt(book: Path, root: Path, episodes: int) -> dict[str, Any]:
    llm = ScriptedLLM(story_responder)
    tracemalloc.start()
    t0 = time.perf_counter()
    _, out = adapt_book(book, root, episodes, llm=llm)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    a = out["pending"]["artifact"]
    passages = llm.calls("adapt/passage")
    prompt = sum(len(r.text) // 4 for r in passages)  # the ledger's estimate_tokens: 4 characters a token
    per10k = 10_000 / max(a["words"], 1)
    return {"book": book.name, "words": a["words"], "chapters": a["chapters"], "episodes": episodes,
            "calls": len(llm.requests), "extraction_calls": len(passages),
            "extraction_calls_per_10k_words": round(len(passages) * per10k, 1),
            "extraction_prompt_tokens_per_10k_words": round(prompt * per10k),
            "seconds": round(seconds, 2), "chapters_per_s": round(a["chapters"] / seconds, 2),
            "peak_mib": round(peak / 2**20, 1), "characters": len(a["characters"]),
            "character_names": [c["name"] for c in a["characters"]], "merges": a["merges"],
            "facts": len(a["facts"]), "dropped": len(a["dropped"]), "findings": len(a["findings"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30k and 60k words; extraction on Alice only")
    args = ap.parse_args()
    os.environ.setdefault("SHOWRUNNER_EMBEDDER", "hash")
    sizes = (30_000, 60_000) if args.quick else (30_000, 300_000)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        split = []
        for words in sizes:
            book = base / f"book-{words}.txt"
            write_book(book, words)
            split.append(measure_split(book, base / f"split-{words}"))
        alice = ALICE if ALICE.is_file() else EXCERPT
        adapts = [measure_adapt(alice, base / "alice", 6 if alice == ALICE else 2)]
        if not args.quick:
            adapts.append(measure_adapt(base / f"book-{sizes[-1]}.txt", base / "big", 24))
    row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": platform.machine(), "cpus": os.cpu_count(),
           "python": platform.python_version(), "split": split, "adapt": adapts,
           "split_peak_ratio": round(split[-1]["peak_mib"] / split[0]["peak_mib"], 2)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps({**row, "adapt": [{k: v for k, v in a.items() if k != "character_names"} for a in adapts]},
                     indent=2))


if __name__ == "__main__":
    main()
