"""Studio page load time on a long series: p50/p95 of GETs of the overview and a storyboard page.

Pinned config: a 50-episode series made by the real graph with the scripted story responder, the hash
embedder, the preview preset and no TTS, every gate auto-approved (so every episode has a storyboard, a
rendered cut and ledger rows); then the overview (``/``) and episode 25's storyboard (``/episode/25/
storyboard``: 6 panels with their frames) are fetched ``--repeats`` times each through Starlette's
TestClient (in process: routing, the token check, reading the project, rendering the template; no
socket), after one warm-up GET, plus the first panel image. Writes one JSON line per run to
evals/results/studio_bench.jsonl.

    python -m evals.studio_bench [--episodes 50] [--repeats 40] [--keep DIR]
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

ROOT = Path(__file__).resolve().parents[1]
ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash", "SHOWRUNNER_TTS": "none", "SHOWRUNNER_PRESET": "preview"}


def build(root: Path, episodes: int) -> float:
    from showrunner.pipelines.series import new_series
    from showrunner.testing import ScriptedLLM, story_responder

    t = time.perf_counter()
    _, out = new_series(root, "A lighthouse keeper's daughter finds a map", episodes,
                        auto_approve=frozenset({"all"}), llm=ScriptedLLM(story_responder))
    assert out["status"] == "done", out
    return time.perf_counter() - t


def timed(client: object, path: str, repeats: int) -> dict[str, float]:
    get = client.get  # type: ignore[attr-defined]
    assert get(path).status_code == 200, path  # warm-up (and a check the page works)
    ms = []
    for _ in range(repeats):
        t = time.perf_counter()
        res = get(path)
        ms.append((time.perf_counter() - t) * 1000)
        assert res.status_code == 200
    ms.sort()
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max_ms": round(ms[-1], 1), "bytes": len(res.content)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--keep", type=Path, help="Build (or reuse) the series here instead of a temp folder.")
    args = ap.parse_args()
    os.environ.update(ENV)
    from starlette.testclient import TestClient

    from showrunner.studio.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        root = (args.keep or Path(tmp)) / f"series-{args.episodes}"
        built = None if (root / "project.json").is_file() else round(build(root, args.episodes), 1)
        client = TestClient(create_app(root, "bench", hosts=frozenset({"testserver"})))
        assert client.get("/?token=bench").status_code == 200
        n = max(1, args.episodes // 2)
        page = client.get(f"/episode/{n}/storyboard").text
        first = page.split('class="frame" src="', 1)[1].split('"', 1)[0]
        result = {"bench": "studio", "episodes": args.episodes, "repeats": args.repeats, "build_seconds": built,
                  "overview": timed(client, "/", args.repeats),
                  "storyboard": timed(client, f"/episode/{n}/storyboard", args.repeats),
                  "panel_image": timed(client, first, args.repeats),
                  "panels_on_page": page.count('class="frame" src="'),
                  "python": platform.python_version(), "cpus": os.cpu_count(), "time": time.time()}
    print(json.dumps(result, indent=2))
    out = ROOT / "evals" / "results" / "studio_bench.jsonl"
    with out.open("a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
