"""``showrunner shot fix``: inpaint a masked region of a rendered frame, keep it, re-cut the episode.

The shot's current frame (its override if it has one, else the frame in the episode's ``render.json``)
is repainted inside the white area of a mask with the image backend's inpaint pipeline (built from the
same loaded components, :func:`torch_setup.inpaint_pipe`). The prompt is the person's words first,
then the shot's canon prompt (looks and place, encoded whole by the family), with the reference
images the frame was made with (read from its sidecar) when the backend uses references; the seed
derives from the shot, the prompt and the mask, so the same fix gives the same pixels. The repainted region is pasted
back through the mask, so every pixel outside it is byte-identical to the frame before. The result is
stored content-addressed, signed as AI-edited and recorded as the shot's override
(:func:`overrides.store_override`, the home of frame overrides), and the cut is re-assembled.

Masks: a PNG, white = repaint, black = keep (greys are thresholded at 50%); resized (nearest) when its
size differs from the frame's but its aspect ratio matches; an all-black mask is a one-line error.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from showrunner.config import Settings
from showrunner.errors import BadInput, ProjectError
from showrunner.pipelines import render_jobs as rj
from showrunner.pipelines.cut import read_state
from showrunner.pipelines.overrides import check_shot, load_overrides, log_decision, store_override
from showrunner.pipelines.project import Project


def load_mask(path: Path, size: tuple[int, int]) -> Image.Image:
    """The mask as a binary ``L`` image of ``size``; a one-line error for anything else."""
    if not path.is_file():
        raise BadInput(f"{path}: no such mask file")
    try:
        with Image.open(path) as im:
            if im.format != "PNG":
                raise BadInput(f"{path} is a {im.format or 'non-image'} file; the mask must be a PNG (white = fix)")
            im.load()
            mask = im.convert("L")
    except (UnidentifiedImageError, OSError) as exc:
        raise BadInput(f"{path} is not a readable PNG ({type(exc).__name__}); the mask must be a PNG") from exc
    if mask.size != size:
        if abs(mask.width / mask.height - size[0] / size[1]) > 0.01:
            raise BadInput(f"mask {path} is {mask.width}x{mask.height} but the frame is {size[0]}x{size[1]}; "
                           "use the frame's size or aspect ratio")
        mask = mask.resize(size, Image.Resampling.NEAREST)
    mask = mask.point(lambda v: 255 if v >= 128 else 0)
    if mask.getbbox() is None:
        raise BadInput(f"mask {path} has no white pixels; paint the region to fix in white")
    return mask


def current_frame(project: Project, n: int, shot_id: str) -> Path:
    """The frame the cut uses for the shot now: its override, else the last render's."""
    over = load_overrides(project, n).get(shot_id)
    frame = over["frame"] if over else read_state(project, n).get("shots", {}).get(shot_id, {}).get("frame")
    if not frame or not Path(frame).is_file():
        raise ProjectError(f"shot {shot_id} of episode {n} has no rendered frame yet; "
                           f"run 'showrunner render --episode {n}' first")
    return Path(frame)


def _sidecar(frame: Path) -> dict[str, Any]:
    from showrunner.pipelines.provenance import sidecar_path

    try:
        data = json.loads(sidecar_path(frame).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def fix_shot(project: Project, settings: Settings, n: int, shot_id: str, mask_path: Path, prompt: str, *,
             strength: float = 0.9) -> dict[str, Any]:
    """Inpaint the mask's white area of the shot's frame from ``prompt``; returns the override record.

    The record also carries the cut's outputs and ``items``: what this call rendered (the fix, and
    anything the re-cut had to render), for the caller to meter like any render.
    """
    from showrunner.memory.canon import Canon
    from showrunner.pipelines.render import render_episode
    from showrunner.pipelines.series import approved_storyboard
    from showrunner.tools.base import get_backend
    from showrunner.world import World

    if not prompt.strip():
        raise BadInput("--prompt is empty; say what the masked region should show")
    backend: Any = get_backend(settings.render.image_backend, settings, kind="image")
    if not hasattr(backend, "inpaint"):
        raise BadInput(f"shot fix needs a diffusion backend (the {backend.name} backend cannot inpaint); set "
                       "image_model and use --preset draft or full")
    check_shot(project, settings, n, shot_id)
    source = current_frame(project, n, shot_id)
    with Image.open(source) as im:
        image = im.convert("RGB")
    mask = load_mask(mask_path, image.size)
    canon = Canon(project.canon_dir)
    bible = canon.bible()
    script, shots = approved_storyboard(project, n, settings)
    world = World(bible.characters, bible.locations, canon.facts() if canon.root.is_dir() else [])
    jobs = rj.build_jobs(bible, script or canon.episode(n), n, shots, width=image.width, height=image.height,
                         steps=settings.render.steps, fps=settings.render.fps, world=world)
    job = next(j for j in jobs if j.shot.id == shot_id)
    if getattr(backend, "uses_references", False):  # the references the frame was made with, from its sidecar
        job.references = {k: Path(v) for k, v in _sidecar(source).get("references", {}).items() if Path(v).is_file()}
    mask_sha = hashlib.sha256(mask.tobytes()).hexdigest()
    job.prompt = f"{prompt.strip().rstrip('.')}. {job.prompt}"
    job.seed = int(rj.digest({"seed": job.seed, "prompt": job.prompt, "mask": mask_sha})[:8], 16) % (2**31)
    t = time.perf_counter()
    fixed = backend.inpaint(image, mask, job, strength=strength)
    record = {"kind": "fix", "human_supplied": False, "source_frame": str(source), "mask": str(mask_path),
              "mask_sha256": mask_sha, "prompt": job.prompt,
              "references": {k: str(v) for k, v in job.references.items()}, "seed": job.seed, "strength": strength,
              "backend": backend.identity(), "seconds": round(time.perf_counter() - t, 3), "fixed_at": time.time()}
    record = store_override(project, settings, n, shot_id, fixed, record, folder="fixed",
                            title=f"ep{n:03d} {shot_id} (fixed)", source="trainedAlgorithmicMedia")
    log_decision(project, {"gate": "shot", "episode": n, "shot": shot_id, "action": "fix",
                           "notes": f"{prompt.strip()} (mask {mask_path.name})"})
    report = render_episode(project, settings, n)
    identity = record["backend"]
    gpu = record["seconds"] if str(identity.get("device", "cpu")).startswith("cuda") else 0.0
    fix_item = {"stage": "fix", "shot": shot_id, "backend": identity.get("backend"), "seconds": record["seconds"],
                "gpu_seconds": gpu}
    return {**record, "cut": report.outputs, "cut_rendered": report.cut_rendered,
            "items": [fix_item, *report.items()]}
