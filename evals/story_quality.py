"""What a finished series' story is worth, from its canon files: the README command's before/after figures.

Reads a project's approved canon (any version of the canon folder layout) and reports: episodes, scenes,
lines of dialogue, distinct roles, distinct speakers, placeholder titles or loglines, non-empty SRT files,
and premise adherence: the mean cosine similarity (MiniLM from its wheel) between the premise and each
episode logline, beside the same figure for a fixed off-premise control sentence, so the number has a
floor to read against.

    python evals/story_quality.py PROJECT_DIR [--premise TEXT] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

OFF_PREMISE = "A pastry chef enters a baking contest in Paris."
PLACEHOLDER = re.compile(r"^(episode|part)\s*\d+$|story continues|\[[^\]]*\]", re.I)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def measure(root: Path, premise: str) -> dict[str, Any]:
    canon = root / "canon"
    series = _load(canon / "series.json")
    chars = [_load(p) for p in sorted((canon / "characters").glob("*.json"))]
    eps = [_load(p) for p in sorted((canon / "episodes").glob("ep-*.json"))]
    lines = [d for e in eps for s in e.get("scenes", []) for d in s.get("dialogue", [])]
    loglines = [e.get("logline", "") for e in series.get("episodes", [])]
    titles = [e.get("title", "") for e in series.get("episodes", [])] + [e.get("title", "") for e in eps]
    srts = sorted(root.glob("renders/**/*.srt"))
    from showrunner.memory.embeddings import make_embedder

    emb = make_embedder("minilm")
    vecs = np.asarray(emb([premise, OFF_PREMISE, *loglines]), dtype=float)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    sims = vecs[2:] @ vecs[0]
    control = float(vecs[1] @ vecs[0])
    return {"episodes": len(eps), "scenes": sum(len(e.get("scenes", [])) for e in eps),
            "dialogue_lines": len(lines), "speakers": len({d.get("speaker") for d in lines}),
            "characters": len(chars), "distinct_roles": len({(c.get("role") or "").strip().lower() for c in chars}),
            "placeholders": sum(bool(PLACEHOLDER.search(t.strip())) for t in [*titles, *loglines]),
            "srt_files": len(srts), "srt_nonempty": sum(1 for p in srts if p.read_text(encoding="utf-8").strip()),
            "premise_similarity_mean": round(float(sims.mean()), 3) if len(sims) else None,
            "premise_similarity_min": round(float(sims.min()), 3) if len(sims) else None,
            "off_premise_control": round(control, 3),
            "loglines": loglines, "titles": titles}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--premise", default="")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (args.project / "canon" / "series.json").is_file():
        print(f"error: {args.project} has no approved canon (canon/series.json)", file=sys.stderr)
        return 2
    premise = args.premise or str(_load(args.project / "project.json").get("premise", ""))
    out = measure(args.project, premise)
    print(json.dumps(out, indent=1 if args.json else None, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
