"""Render benchmark: preview panels/s; tiny-twin keyframes/s through the backend vs a bare diffusers loop.

Pinned config: 8 shots of the sample episode (tests/unit/render_sample.py) repeated, 64x64 frames, 2 steps,
CPU, tiny-sd twin. The backend and the bare loop run on the SAME loaded pipeline object in the same
process, interleaved, so the ratio is the backend's overhead (job building, grouping, parameter
recording, and encoding the whole prompt in 75-token windows where the bare loop lets CLIP truncate it),
not model speed. ``--gpu`` reads SHOWRUNNER_GPU_IMAGE_MODEL and uses 512x512, 20 steps.
Writes one JSON line per run to evals/results/render_bench.jsonl.

    python -m evals.render_bench [--repeats 3] [--gpu]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from render_sample import sample_bible, sample_episode, sample_shots  # noqa: E402

from showrunner.config import Settings  # noqa: E402
from showrunner.pipelines.render_jobs import build_jobs  # noqa: E402
from showrunner.tools.preview import PreviewBackend  # noqa: E402


def jobs(n: int, w: int, h: int, steps: int):  # type: ignore[no-untyped-def]
    base = sample_shots()
    shots = [base[i % len(base)].model_copy(update={"id": f"b{i:02d}", "seed": 100 + i}) for i in range(n)]
    return build_jobs(sample_bible(), sample_episode(), 1, shots, width=w, height=h, steps=steps, fps=12)


def bench_preview(n: int = 40) -> float:
    js = jobs(n, 640, 360, 0)
    t = time.perf_counter()
    PreviewBackend().render(js)
    return n / (time.perf_counter() - t)


def bench_diffusers(model: str, device: str, w: int, h: int, steps: int, n: int, repeats: int) -> dict[str, float]:
    import torch

    from showrunner.tools.diffusers_image import DiffusersImageBackend

    backend = DiffusersImageBackend(Settings(image_model=model, device=device))
    guidance = backend.fs.guidance
    pipe = backend.pipeline()
    js = jobs(n, w, h, steps)
    backend.render(js[:1])  # warm-up (load + first call)

    def bare() -> None:
        for j in js:
            pipe(j.prompt, negative_prompt=j.negative_prompt, width=w, height=h, num_inference_steps=steps,
                 guidance_scale=guidance, generator=torch.Generator(device).manual_seed(j.seed))

    def ours(batch: int) -> None:
        backend.batch_size = batch
        for i in range(0, n, batch):
            backend.render(js[i:i + batch])

    times: dict[str, list[float]] = {"bare": [], "backend": [], "backend_batched": []}
    for _ in range(repeats):  # interleaved so load noise hits all three alike
        for name, fn in (("bare", bare), ("backend", lambda: ours(1)), ("backend_batched", lambda: ours(4))):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    return {"bare_fps": n / best["bare"], "backend_fps": n / best["backend"],
            "batched_fps": n / best["backend_batched"], "backend_over_bare": best["bare"] / best["backend"],
            "batched_over_bare": best["bare"] / best["backend_batched"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shots", type=int, default=8)
    ap.add_argument("--gpu", action="store_true")
    args = ap.parse_args()
    if args.gpu:
        model, device, w, h, steps = os.environ["SHOWRUNNER_GPU_IMAGE_MODEL"], "cuda", 512, 512, 20
    else:
        model, device, w, h, steps = "tiny-sd", "cpu", 64, 64, 2
    rec = {"ts": time.time(), "machine": platform.node(), "cpus": os.cpu_count(), "model": model, "device": device,
           "size": [w, h], "steps": steps, "shots": args.shots, "repeats": args.repeats,
           "preview_fps": bench_preview(),
           **bench_diffusers(model, device, w, h, steps, args.shots, args.repeats)}
    rec = {k: round(v, 3) if isinstance(v, float) else v for k, v in rec.items()}
    out = ROOT / "evals" / "results" / "render_bench.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec, indent=2))


if __name__ == "__main__":
    main()
