"""``diffusers``: keyframes from any text-to-image pipeline, with IP-Adapter references and ControlNet.

The model is a local folder or a hub id already in the local cache (``from_pretrained(...,
local_files_only=True)``; nothing downloads at run time), loaded lazily and once per process
(:mod:`showrunner.tools.torch_setup` holds the cache, device, dtype, CPU offload and VAE tiling).
With ``ip_adapter`` set, every on-screen character's reference sheet is encoded once into an image
embedding and passed as ``ip_adapter_image_embeds`` (one image per character, so several characters
stay themselves in one frame). With ``controlnet`` set, the storyboard panel's edges condition the
layout. ``inpaint`` fixes a region; ``outpaint`` reframes 16:9 <-> 9:16. Shots with the same reference
sheets (or none) are batched, each with its own seeded generator (batching never changes a shot's pixels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PIL import Image, ImageFilter

from showrunner.tools import torch_setup as ts
from showrunner.tools.base import RenderJob, RenderOutput

if TYPE_CHECKING:
    from showrunner.config import Settings

VERSION = "diffusers-image-1"
IP_SCALE = 0.6
GUIDANCE = 7.0


def ip_scale() -> float:
    """How strongly reference sheets steer a keyframe (0 = ignored, 1 = dominant)."""
    return IP_SCALE


def _multiple(v: int, m: int = 8) -> int:
    return max(m, v - v % m)


class DiffusersImageBackend:
    """Text-to-image keyframes (+ IP-Adapter, ControlNet), inpainting and outpainting."""

    name = "diffusers"
    kind = "image"
    batch_size = 4

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = ts.require_model(settings.image_model, "image_model")
        self.uses_references = bool(settings.ip_adapter)
        self._embeds: dict[str, Any] = {}

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "version": VERSION, "model": self.settings.image_model,
                "ip_adapter": self.settings.ip_adapter, "ip_scale": ip_scale() if self.uses_references else None,
                "controlnet": self.settings.controlnet, "guidance": GUIDANCE, **ts.device_identity(self.settings)}

    # ---- pipelines (cached per process by torch_setup)
    def pipeline(self) -> Any:
        return ts.text2img(self.model, self.settings)

    def _control_pipeline(self) -> Any:
        return ts.controlnet_pipe(self.model, self.settings)

    # ---- IP-Adapter
    def character_embed(self, ref_path: str) -> Any:
        """Image embedding of one reference sheet (computed once per file)."""
        if ref_path not in self._embeds:
            import torch

            pipe = self.pipeline()
            with Image.open(ref_path) as im, torch.no_grad():
                embeds, _ = pipe.encode_image(im.convert("RGB"), pipe.device, 1)
            self._embeds[ref_path] = embeds[0]
        return self._embeds[ref_path]

    def _ip_kwargs(self, pipe: Any, jobs: list[RenderJob]) -> dict[str, Any]:
        """``ip_adapter_image_embeds`` for a batch whose jobs all have the same number of references."""
        if not self.uses_references:
            return {}
        import torch

        per_job = [[self.character_embed(str(p)) for p in job.references.values()] for job in jobs]
        if not per_job[0]:  # no on-screen references: the adapter is silenced, not removed
            pipe.set_ip_adapter_scale(0.0)
            dim = pipe.image_encoder.config.projection_dim
            cond = torch.zeros(len(jobs), 1, dim, device=pipe.device, dtype=pipe.dtype)
        else:
            pipe.set_ip_adapter_scale(ip_scale())
            cond = torch.stack([torch.stack(e) for e in per_job]).to(pipe.device, pipe.dtype)
        return {"ip_adapter_image_embeds": [torch.cat([torch.zeros_like(cond), cond])]}

    def _control_image(self, job: RenderJob, w: int, h: int) -> Image.Image:
        from showrunner.tools.preview import draw_panel

        panel = draw_panel(job).resize((w, h)).convert("L").filter(ImageFilter.FIND_EDGES)
        return panel.point(lambda v: 255 if v > 24 else 0).convert("RGB")

    # ---- the shared call signature
    def render(self, jobs: list[RenderJob]) -> list[RenderOutput]:
        out: list[RenderOutput | None] = [None] * len(jobs)
        # Batch shots that share the same reference sheets: with per-sample IP-Adapter embeds in one batch,
        # diffusers 0.42 steered every sample alike (measured on the tiny twin), so mixed casts never share one.
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, job in enumerate(jobs):
            groups.setdefault(tuple(str(p) for p in job.references.values()), []).append(i)
        for idx in groups.values():
            for i, img, params in zip(idx, *self._generate([jobs[i] for i in idx]), strict=True):
                out[i] = RenderOutput([img], params)
        return [o for o in out if o is not None]

    def _generate(self, jobs: list[RenderJob]) -> tuple[list[Image.Image], list[dict[str, Any]]]:
        portrait = jobs[0].height > jobs[0].width and ts.reframe_portrait(self.settings)
        w, h = (jobs[0].height, jobs[0].width) if portrait else (jobs[0].width, jobs[0].height)
        w, h = _multiple(w), _multiple(h)
        pipe = self._control_pipeline() if self.settings.controlnet else self.pipeline()
        kwargs: dict[str, Any] = dict(
            prompt=[j.prompt for j in jobs], negative_prompt=[j.negative_prompt for j in jobs], width=w, height=h,
            num_inference_steps=max(1, jobs[0].steps), guidance_scale=GUIDANCE,
            generator=[ts.generator(pipe, j.seed) for j in jobs], **self._ip_kwargs(pipe, jobs))
        if self.settings.controlnet:
            kwargs["image"] = [self._control_image(j, w, h) for j in jobs]
        images = list(pipe(**kwargs).images)
        params = [{"model": self.settings.image_model, "seed": j.seed, "steps": kwargs["num_inference_steps"],
                   "guidance_scale": GUIDANCE, "width": w, "height": h, "prompt": j.prompt,
                   "negative_prompt": j.negative_prompt, "references": {k: str(v) for k, v in j.references.items()},
                   "ip_adapter_scale": ip_scale() if j.references else (0.0 if self.uses_references else None),
                   "controlnet": self.settings.controlnet, "pipeline": type(pipe).__name__, "batch": len(jobs)}
                  for j in jobs]
        if portrait:
            images = [self.outpaint(img, (jobs[0].width, jobs[0].height), j) for img, j in zip(images, jobs,
                                                                                             strict=True)]
            for p in params:
                p["reframed"] = "outpaint 16:9 -> 9:16"
        return images, params

    # ---- edits
    def inpaint(self, image: Image.Image, mask: Image.Image, job: RenderJob, *, strength: float = 0.9
                ) -> Image.Image:
        """Regenerate the white area of ``mask`` in ``image`` from the job's prompt and seed."""
        pipe = ts.inpaint_pipe(self.model, self.settings)
        w, h = _multiple(image.width), _multiple(image.height)
        result = pipe(prompt=job.prompt, negative_prompt=job.negative_prompt, image=image.convert("RGB"),
                      mask_image=mask.convert("L"), width=w, height=h, strength=strength,
                      num_inference_steps=max(2, job.steps), guidance_scale=GUIDANCE,
                      generator=ts.generator(pipe, job.seed), **self._ip_kwargs(pipe, [job])).images[0]
        return result.resize(image.size) if result.size != image.size else result

    def outpaint(self, image: Image.Image, size: tuple[int, int], job: RenderJob) -> Image.Image:
        """Reframe ``image`` to ``size`` (e.g. 16:9 -> 9:16): fit it inside, paint the new margins."""
        w, h = size
        scale = min(w / image.width, h / image.height)
        fitted = image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        canvas = image.convert("RGB").resize((w, h)).filter(ImageFilter.GaussianBlur(24))  # a colour-matched guess
        x, y = (w - fitted.width) // 2, (h - fitted.height) // 2
        canvas.paste(fitted, (x, y))
        mask = Image.new("L", (w, h), 255)
        mask.paste(0, (x + 4, y + 4, x + fitted.width - 4, y + fitted.height - 4))
        return self.inpaint(canvas, mask, job, strength=1.0)
