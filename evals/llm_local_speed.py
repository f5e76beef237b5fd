"""Measure the embedded local LLM: load time, and tokens/s for a small and a Bible-sized structured call.

Run: ``python evals/llm_local_speed.py`` (CPU, offline). Appends one JSON line per measurement to
``evals/results/llm_local_speed.jsonl`` with the pinned config, so runs on different machines compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from pydantic import BaseModel, Field

from showrunner.config import Settings
from showrunner.llm.base import Prompt
from showrunner.llm.local import LocalProvider
from showrunner.models import Bible, Outline

OUT = Path(__file__).parent / "results" / "llm_local_speed.jsonl"


class Beat(BaseModel):
    summary: str = Field(description="What happens.")


class Mini(BaseModel):
    title: str = Field(description="Title.")
    beats: list[Beat] = Field(description="Two beats.", min_length=2)


CASES: list[tuple[str, type[BaseModel], Prompt]] = [
    ("mini", Mini, Prompt.plain("Outline a story about a robot who paints sunsets.", system="You are a writer.",
                                id="eval/mini", version=1)),
    ("outline", Outline, Prompt.plain("Outline episode 1 of a series: a lighthouse keeper's daughter learns "
                                      "the sea is alive.", system="You are a TV writer.", id="eval/outline",
                                      version=1)),
    ("bible", Bible, Prompt.plain("Create the series bible for a 2-episode animated series: a lighthouse "
                                  "keeper's daughter learns the sea is alive.", system="You are a TV showrunner.",
                                  id="eval/bible", version=1)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="Runs per case (after the first load).")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    llm = LocalProvider(Settings(llm="local"))
    common = {"model": llm.model, "threads": None, "cpus": os.cpu_count(), "machine": platform.machine(),
              "torch": torch.__version__, "load_avg_1m": os.getloadavg()[0],
              "max_string": llm.max_string, "max_items": llm.max_items}
    rows = []
    t = time.perf_counter()
    loaded = llm.loaded
    rows.append({"case": "load", "seconds": round(loaded.load_s, 2),
                 "wall_s": round(time.perf_counter() - t, 2)})
    common["threads"] = torch.get_num_threads()
    for _ in range(args.repeat):
        for name, schema, prompt in CASES:
            gen = llm.generate(prompt, schema)
            u = gen.usage
            rows.append({"case": name, "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
                         "latency_s": round(u.latency_s, 2), "retries": u.retries,
                         "tokens_per_s": round(u.completion_tokens / u.latency_s, 2),
                         "chars": len(gen.value.model_dump_json())})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with OUT.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({"at": stamp, **common, **row}) + "\n")
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
