"""Render scaling benchmark: shots/s in process (``--workers 1``) vs on Ray with 1 and 2 workers, and Ray's cost.

Pinned config: the sample storyboard (tests/unit/render_sample.py) repeated to ``--shots`` shots, silent
(no speech); the ``preview`` preset (Pillow panels, 640x360) and the tiny-sd diffusers twin on the CPU
at 128x96, 4 steps. One
local Ray instance (4 logical CPUs, so the 1- and 2-worker actor sets live side by side) serves every
run; each configuration renders one warm-up episode first (actors start and load their pipeline), then
``--repeats`` fresh projects, interleaved across configurations so load on the machine hits them alike.
``speedup_2_workers`` is Ray with 2 workers over the faster in-process way: as shipped, and (torch
backends) with torch on one thread, the budget of one worker; on a loaded VM torch's default threads
can be much slower than one. A run is timed from the ``render_episode`` call to the last keyframe
landing (the cut is the same work everywhere: it is reported apart as ``cut_s``); the best repeat
counts. Ray's overhead per job is measured twice: the per-shot time of Ray with one worker minus that
one-worker in-process figure, and the round trip of an empty unit to an actor.
Appends one JSON line to evals/results/render_scale.jsonl.

    python evals/render_scale.py [--json] [--shots 16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from render_sample import make_project, sample_shots  # noqa: E402

from showrunner.config import PRESETS, Preset, Settings, load_settings  # noqa: E402
from showrunner.pipelines.render import render_episode  # noqa: E402
from showrunner.pipelines.render_work import InProcess, Runner  # noqa: E402

# the tiny twin at the draft preset's 768x432 takes minutes a frame on this VM (its attention runs at full
# latent size): the benchmark pins a small draft, set in this process only (jobs carry their size to workers)
TINY_DRAFT = Preset(name="draft", width=128, height=96, steps=4, fps=12, image_backend="diffusers",
                    video_backend=None)
BACKENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "preview": ("preview", {}),
    "tiny_diffusers": ("draft", {"image_model": "tiny-sd", "device": "cpu"}),
}


def shots(n: int) -> list[Any]:
    base = sample_shots()
    return [base[i % len(base)].model_copy(update={"id": f"s{base[i % len(base)].scene:02d}-{10 + i:02d}",
                                                   "number": 10 + i, "seed": 100 + i}) for i in range(n)]


def timed_render(folder: Path, settings: Settings, runner: Runner, n: int) -> tuple[float, float]:
    """Seconds from the call to the last keyframe landing, and from then to the finished cut (fresh project)."""
    project = make_project(folder, shots(n))
    last = [0.0]

    def landed(event: dict[str, Any]) -> None:
        if event["stage"] == "keyframe":
            last[0] = time.perf_counter()

    t0 = time.perf_counter()
    report = render_episode(project, settings, 1, runner=runner, progress=landed)
    done = time.perf_counter()
    assert report.rendered == n and report.cut_rendered, report
    shutil.rmtree(folder)
    return last[0] - t0, done - last[0]


class OneThread(InProcess):
    """In process with torch on one thread: the CPU budget of one Ray worker (``OMP_NUM_THREADS=1``)."""

    def map(self, backend: Any, fn: Any, tasks: list[tuple[Any, ...]]) -> Iterator[Any]:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield from super().map(backend, fn, tasks)
        finally:
            torch.set_num_threads(threads)


def noop(backend: Any) -> None:
    """An empty render unit: what Ray costs per job without any work."""


def roundtrip(runner: Any, backend: Any, k: int = 50) -> float:
    list(runner.map(backend, noop, [()]))
    t = time.perf_counter()
    for _ in range(k):
        list(runner.map(backend, noop, [()]))
    return (time.perf_counter() - t) / k


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print only the JSON record")
    args = ap.parse_args()
    os.environ.setdefault("SHOWRUNNER_TINY_DIR", str(Path(tempfile.gettempdir()) / "showrunner-tiny"))
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from showrunner.pipelines.render_ray import RayRunner, worker_env
    from showrunner.tools.base import get_backend

    PRESETS["draft"] = TINY_DRAFT
    t = time.perf_counter()
    ray.init(address="local", num_cpus=4, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             runtime_env={"env_vars": worker_env()})
    rec: dict[str, Any] = {"ts": time.time(), "machine": platform.node(), "cpus": os.cpu_count(),
                           "shots": args.shots, "repeats": args.repeats,
                           "ray_startup_s": round(time.perf_counter() - t, 2)}
    work = Path(tempfile.mkdtemp(prefix="render-scale-"))
    speedups: dict[str, float] = {}
    try:
        for name, (preset, extra) in BACKENDS.items():
            settings = load_settings(preset=preset, tts="none", **extra)
            runners: dict[str, Runner] = {"in_process": InProcess(),
                                          **({"in_process_1_thread": OneThread()} if name != "preview" else {}),
                                          "ray_1": RayRunner(settings.model_copy(update={"workers": 1})),
                                          "ray_2": RayRunner(settings.model_copy(update={"workers": 2}))}
            best: dict[str, float] = {}
            cut: dict[str, float] = {}
            for key, runner in runners.items():  # warm-up: actors start, pipelines load
                timed_render(work / f"{name}-{key}-warm", settings, runner, 2)
            for r in range(args.repeats):
                for key, runner in runners.items():
                    took, assembly = timed_render(work / f"{name}-{key}-{r}", settings, runner, args.shots)
                    best[key] = min(best.get(key, took), took)
                    cut[key] = min(cut.get(key, assembly), assembly)
            rate = {k: args.shots / v for k, v in best.items()}
            one = max((k for k in rate if k.startswith("in_process")), key=rate.__getitem__)  # the faster
            backend = get_backend(settings.render.image_backend, settings)
            rec[name] = {"shots_per_s": {k: round(v, 3) for k, v in rate.items()},
                         "seconds_per_shot": {k: round(v / args.shots, 4) for k, v in best.items()},
                         "one_worker": one,
                         "speedup_2_workers": round(rate["ray_2"] / rate[one], 3),
                         "speedup_2_over_1_ray_worker": round(rate["ray_2"] / rate["ray_1"], 3),
                         "ray_overhead_per_job_s": round((best["ray_1"] - best[one]) / args.shots, 4),
                         "ray_roundtrip_s": round(roundtrip(runners["ray_1"], backend), 4),
                         "cut_s": {k: round(v, 3) for k, v in cut.items()}}
            speedups[name] = rec[name]["speedup_2_workers"]
            for runner in runners.values():
                runner.close()
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    rec["speedup_2_workers"] = speedups
    out = ROOT / "evals" / "results" / "render_scale.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
