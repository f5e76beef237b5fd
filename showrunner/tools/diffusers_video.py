"""``diffusers-i2v``: clips from approved keyframes with an image-to-video pipeline.

The pipeline class comes from the model's own ``model_index.json`` (Stable Video Diffusion, CogVideoX,
Wan or LTX image-to-video); arguments are passed only where the class accepts them (SVD takes no prompt,
the others do), so one backend drives them all. Frames: the shot's duration times the preset fps,
capped at ``max_frames`` (the model's training length; longer shots hold the clip's frames longer in
the cut). Loaded lazily, once per process, like the keyframe backend.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from showrunner.tools import torch_setup as ts
from showrunner.tools.base import RenderJob, RenderOutput

if TYPE_CHECKING:
    from showrunner.config import Settings

VERSION = "diffusers-i2v-1"
# frames the model was trained to produce, by pipeline class (more is slower and drifts)
MAX_FRAMES = {"StableVideoDiffusionPipeline": 25, "CogVideoXImageToVideoPipeline": 49,
              "WanImageToVideoPipeline": 81, "LTXImageToVideoPipeline": 121, "LTXConditionPipeline": 121}
SIZE_MULTIPLE = {"WanImageToVideoPipeline": 16, "CogVideoXImageToVideoPipeline": 16}


class DiffusersVideoBackend:
    """Image-to-video clips; ``job.init_image`` is the approved keyframe."""

    name = "diffusers-i2v"
    kind = "video"
    batch_size = 1

    def __init__(self, settings: Settings, *, max_frames: int | None = None) -> None:
        self.settings = settings
        self.model = ts.require_model(settings.video_model, "video_model")
        self.max_frames = max_frames

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "version": VERSION, "model": self.settings.video_model,
                "max_frames": self.max_frames, **ts.device_identity(self.settings)}

    def pipeline(self) -> Any:
        return ts.image2video(self.model, self.settings)

    def frame_count(self, pipe: Any, job: RenderJob) -> int:
        cap = self.max_frames or MAX_FRAMES.get(type(pipe).__name__, 25)
        n = max(2, min(cap, round(job.shot.duration * job.fps)))
        if type(pipe).__name__.startswith(("Wan", "LTX", "CogVideoX")):
            n = (n - 1) // 4 * 4 + 1  # these VAEs compress time by 4: 4k + 1 frames
        return max(2, n)

    def render(self, jobs: list[RenderJob]) -> list[RenderOutput]:
        pipe = self.pipeline()
        accepted = set(inspect.signature(pipe.__call__).parameters)
        mult = SIZE_MULTIPLE.get(type(pipe).__name__, 8)
        out = []
        for job in jobs:
            if job.init_image is None:
                raise ValueError(f"shot {job.shot.id}: image-to-video needs the keyframe as init_image")
            w, h = max(mult, job.width - job.width % mult), max(mult, job.height - job.height % mult)
            n = self.frame_count(pipe, job)
            kwargs: dict[str, Any] = {"image": job.init_image.convert("RGB").resize((w, h)), "height": h, "width": w,
                                      "num_frames": n, "num_inference_steps": max(1, job.steps),
                                      "generator": ts.generator(pipe, job.seed)}
            optional = {"prompt": job.prompt, "negative_prompt": job.negative_prompt, "decode_chunk_size": 8,
                        "fps": job.fps, "frame_rate": job.fps}
            kwargs.update({k: v for k, v in optional.items() if k in accepted})
            frames = pipe(**kwargs).frames[0]
            params = {"model": self.settings.video_model, "pipeline": type(pipe).__name__, "seed": job.seed,
                      **{k: v for k, v in kwargs.items() if k not in ("image", "generator")}}
            out.append(RenderOutput(list(frames), params))
        return out
