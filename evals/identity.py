"""Cross-shot character identity of a rendered episode (ViStoryBench CIDS-style), with the configured encoder.

For each character, over the shots they appear in (story.json's ``Characters Appearing``):

* ``ref_similarity``: mean cosine similarity between the shot's character crop and the character's
  reference image the shot used (story.json's ``Reference Images``: the version of their look there);
* ``cross_shot``: mean pairwise cosine similarity between the character's crops in different shots
  (are they the same person from shot to shot);

the crop is the region of the frame that best matches the reference (the whole frame or the layout
slot, as the frame critic reads it: :func:`showrunner.pipelines.frame_qa.regions`). The encoder is the
``frame_encoder`` setting (a CLIP-class vision model folder) or ``--encoder``.

    python -m evals.identity --project P --episode 1 [--encoder PATH]   # a rendered episode
    python -m evals.identity --tiny                                     # pinned tiny-twin run (CPU)

``--tiny`` renders the sample episode (tests/unit/render_sample.py, 64x48, 2 steps) with the tiny-sd
twin and the tiny CLIP vision twin, once with the reference sheets conditioning the frames (IP-Adapter)
and once without, and scores both: random weights, so the numbers test the plumbing, not a model.
Writes one JSON line per run to evals/results/identity.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "evals" / "results" / "identity.jsonl"


def episode_identity(root: Path, n: int, encoder: Any, aspect: str = "16:9") -> dict[str, Any]:
    """Per-character ``ref_similarity`` and ``cross_shot`` (and their means) of rendered episode ``n``."""
    import numpy as np
    from PIL import Image

    from showrunner.pipelines.cut import read_state
    from showrunner.pipelines.frame_qa import regions
    from showrunner.pipelines.project import Project

    project = Project.open(root)
    state = read_state(project, n)
    story_path = (state.get("cuts", {}).get(aspect, {}).get("outputs") or {}).get("story_json")
    if not story_path:
        raise SystemExit(f"episode {n} has no {aspect} cut with a story.json yet; render it first")
    story = json.loads(Path(story_path).read_text(encoding="utf-8"))
    crops: dict[str, list[np.ndarray]] = {}
    refs: dict[str, list[float]] = {}
    for shot in story["Shots"]:
        frame = state["shots"][shot["shot_id"]]["frame"]
        cast = shot["Characters Appearing"]["en"]
        with Image.open(frame) as im:
            emb = encoder.embed(regions(im.convert("RGB"), len(cast)))
        for name, ref in shot.get("Reference Images", {}).items():
            with Image.open(ref["path"]) as r:
                ref_vec = encoder.embed([r.convert("RGB")])[0]
            sims = emb @ ref_vec
            best = int(sims.argmax())
            refs.setdefault(name, []).append(float(sims[best]))
            crops.setdefault(name, []).append(emb[best])
    chars = {}
    for name, sims in refs.items():
        pairs = [float(a @ b) for a, b in combinations(crops[name], 2)]
        chars[name] = {"shots": len(sims), "ref_similarity": round(float(np.mean(sims)), 4),
                       "cross_shot": round(float(np.mean(pairs)), 4) if pairs else None}
    cross = [c["cross_shot"] for c in chars.values() if c["cross_shot"] is not None]
    return {"episode": n, "characters": chars,
            "mean_ref_similarity": round(float(np.mean([c["ref_similarity"] for c in chars.values()])), 4)
            if chars else None, "mean_cross_shot": round(float(np.mean(cross)), 4) if cross else None}


def tiny_run() -> dict[str, Any]:
    """The pinned tiny-twin run: the sample episode with and without references conditioning the frames."""
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from render_sample import make_project

    from showrunner.config import PRESETS, Preset, load_settings
    from showrunner.pipelines.render import render_episode
    from showrunner.tools.frame_encoder import load_encoder

    PRESETS["draft"] = Preset(name="draft", width=64, height=48, steps=2, fps=4, image_backend="diffusers",
                              video_backend=None)
    out: dict[str, Any] = {"eval": "identity", "config": "tiny-twins", "encoder": "tiny-clip-vision (random)",
                           "model": "tiny-sd (random)", "size": "64x48", "steps": 2, "time": time.time()}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("SHOWRUNNER_TINY_DIR", str(Path(tmp) / "tiny"))
        for label, adapter in (("with_references", "tiny-ip-adapter"), ("without_references", None)):
            project = make_project(Path(tmp) / label)
            settings = load_settings(project.root, preset="draft", image_model="tiny-sd", ip_adapter=adapter,
                                     device="cpu", tts="none", frame_encoder="tiny-clip-vision", qa_retakes=0)
            render_episode(project, settings, 1)
            encoder = load_encoder(settings)
            out[label] = episode_identity(project.root, 1, encoder)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--project", type=Path)
    ap.add_argument("--episode", type=int, default=1)
    ap.add_argument("--encoder", help="CLIP-class vision model folder (default: the frame_encoder setting)")
    ap.add_argument("--tiny", action="store_true", help="the pinned tiny-twin run")
    args = ap.parse_args(argv)
    if args.tiny:
        result = tiny_run()
    else:
        if args.project is None:
            ap.error("--project is required (or --tiny)")
        from showrunner.config import load_settings
        from showrunner.tools.frame_encoder import load_encoder

        settings = load_settings(args.project, frame_encoder=args.encoder)
        encoder = load_encoder(settings)
        if encoder is None:
            ap.error("no encoder: set frame_encoder or pass --encoder")
        result = {"eval": "identity", "config": str(args.project), "encoder": settings.frame_encoder,
                  "time": time.time(), **episode_identity(args.project, args.episode, encoder)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
