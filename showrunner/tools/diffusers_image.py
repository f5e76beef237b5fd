"""``diffusers``: keyframes from SD 1.5, SDXL or Flux, with long prompts, entity references and layout control.

The model is a local folder or a hub id already in the local cache (``from_pretrained(...,
local_files_only=True)``; nothing downloads at run time), loaded lazily and once per process
(:mod:`showrunner.tools.torch_setup` holds the cache, device, dtype, CPU offload and VAE tiling).
What differs between model lines lives in :mod:`showrunner.tools.families` (chosen by ``settings.family``
or the folder's ``model_index.json``); their guidance, steps, scheduler, LoRAs and adapter scales come
from ``settings.families``, never from constants here.

* **Prompts** are encoded by the family, whole: compel's 75-token CLIP windows for SD/SDXL, T5 for
  Flux; the sidecar records how many tokens the prompt had and how many the embedding holds.
* **References**: the job's ``(entity id, image)`` pairs (on-screen characters, the location plate)
  are encoded once each into IP-Adapter image embeddings; where the family supports it, each entity
  is confined to its region with an IP-Adapter mask (:func:`pose.entity_masks`: a character's figure
  box from the storyboard layout, the location's background). Families without masks use the
  references unmasked (documented fallback).
* **Control**: with ``controlnet`` set, the storyboard layout conditions the frame through the family's
  ControlNet, as OpenPose skeletons at the figures' positions (``control: pose``) or the panel's edges.
* ``inpaint`` fixes a region and pastes it back through the mask, so pixels outside it stay identical;
  ``outpaint`` reframes 16:9 <-> 9:16. Shots with the same references and layout are batched, each with
  its own seeded generator (batching never changes a shot's pixels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PIL import Image, ImageFilter

from showrunner.tools import families, pose, tiny
from showrunner.tools import torch_setup as ts
from showrunner.tools.base import RenderJob, RenderOutput

if TYPE_CHECKING:
    from showrunner.config import Settings

VERSION = "diffusers-image-2"  # 2: families, whole prompts, entity masks, pose control


def _multiple(v: int, m: int = 16) -> int:
    return max(m, v - v % m)


class DiffusersImageBackend:
    """Text-to-image keyframes (+ IP-Adapter, ControlNet), inpainting and outpainting, per model family."""

    name = "diffusers"
    kind = "image"
    batch_size = 4

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = ts.require_model(settings.image_model, "image_model")
        self.family, self.fs = families.resolve(settings, tiny.resolve(self.model))
        self.uses_references = bool(settings.ip_adapter)
        self._embeds: dict[str, Any] = {}

    def identity(self) -> dict[str, Any]:
        fs = self.fs
        return {"backend": self.name, "version": VERSION, "model": self.settings.image_model,
                "family": self.family.name, "guidance": fs.guidance, "steps": fs.steps, "scheduler": fs.scheduler,
                "loras": [lo.model_dump() for lo in fs.loras], "ip_adapter": self.settings.ip_adapter,
                "ip_scale": fs.ip_adapter_scale if self.uses_references else None,
                "controlnet": self.settings.controlnet,
                "control": self.settings.control if self.settings.controlnet else None,
                "controlnet_scale": fs.controlnet_scale if self.settings.controlnet else None,
                **ts.device_identity(self.settings)}

    # ---- pipelines (cached per process by torch_setup)
    def pipeline(self) -> Any:
        return ts.text2img(self.model, self.settings)

    # ---- references (IP-Adapter)
    def reference_embed(self, path: str) -> Any:
        """Image embedding of one reference image (computed once per file)."""
        if path not in self._embeds:
            import torch

            pipe = self.pipeline()
            with Image.open(path) as im, torch.no_grad():
                self._embeds[path] = self.family.image_embed(pipe, im.convert("RGB"))
        return self._embeds[path]

    character_embed = reference_embed

    def _masks(self, job: RenderJob, ids: list[str], w: int, h: int) -> Any | None:
        if not self.family.ip_masks:
            return None  # fallback: references steer the whole frame
        from diffusers.image_processor import IPAdapterMaskProcessor

        masks = IPAdapterMaskProcessor().preprocess(pose.entity_masks(job, ids, w, h), height=h, width=w)
        return masks.reshape(1, masks.shape[0], masks.shape[2], masks.shape[3])

    def _ip_kwargs(self, pipe: Any, jobs: list[RenderJob], w: int, h: int) -> dict[str, Any]:
        """IP-Adapter arguments for a batch whose jobs share references and layout."""
        if not self.uses_references:
            return {}
        import torch

        refs = [list(job.references.items()) for job in jobs]
        if not refs[0]:  # no references: the adapter is silenced, not removed
            pipe.set_ip_adapter_scale(0.0)
            dim = pipe.image_encoder.config.projection_dim
            cond = torch.zeros(len(jobs), 1, dim, device=pipe.device, dtype=pipe.dtype)
            return self.family.ip_kwargs(pipe, cond, None)
        pipe.set_ip_adapter_scale(self.fs.ip_adapter_scale)
        cond = torch.stack([torch.stack([self.reference_embed(str(p)) for _, p in r]) for r in refs])
        masks = self._masks(jobs[0], [eid for eid, _ in refs[0]], w, h)
        return self.family.ip_kwargs(pipe, cond.to(pipe.device, pipe.dtype), masks)

    # ---- control (ControlNet)
    def control_image(self, job: RenderJob, w: int, h: int) -> Image.Image:
        if self.settings.control == "pose":
            return pose.pose_image(job, w, h)
        from showrunner.tools.preview import draw_panel

        panel = draw_panel(job).resize((w, h)).convert("L").filter(ImageFilter.FIND_EDGES)
        return panel.point(lambda v: 255 if v > 24 else 0).convert("RGB")

    def _control_kwargs(self, jobs: list[RenderJob], w: int, h: int) -> dict[str, Any]:
        if not self.settings.controlnet:
            return {}
        return {self.family.control_arg: [self.control_image(j, w, h) for j in jobs],
                "controlnet_conditioning_scale": self.fs.controlnet_scale}

    def _encode(self, pipe: Any, job: RenderJob) -> tuple[dict[str, Any], dict[str, Any]]:
        """One job's prompt embeddings (and negative) and how much of the prompt they hold."""
        kwargs = self.family.prompt_kwargs(pipe, [job.prompt], [job.negative_prompt])
        c = self.family.coverage(pipe, job.prompt, kwargs)
        return kwargs, {"tokens": c.tokens, "covered": c.covered, "encoder": c.encoder, "complete": c.complete}

    @staticmethod
    def _stack(encoded: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        return {k: torch.cat([e[k] for e in encoded]) if hasattr(v, "shape") else v for k, v in encoded[0].items()}

    def _pipe(self) -> Any:
        return ts.controlnet_pipe(self.model, self.settings) if self.settings.controlnet else self.pipeline()

    # ---- the shared call signature
    def render(self, jobs: list[RenderJob]) -> list[RenderOutput]:
        out: list[RenderOutput | None] = [None] * len(jobs)
        # Batch shots that share references (and, with masks, layout) and whose prompt embeddings have the same
        # length: with per-sample IP-Adapter embeds in one batch, diffusers 0.42 steered every sample alike
        # (measured on the tiny twin), masks are per batch, and padding a prompt to a longer neighbour's length
        # would change its frame. So batching never changes a shot's pixels.
        pipe = self._pipe()
        encoded = [self._encode(pipe, job) for job in jobs]
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, job in enumerate(jobs):
            layout = pose.layout_signature(job, job.width, job.height) \
                if self.uses_references and self.family.ip_masks else ()
            length = encoded[i][0]["prompt_embeds"].shape[1]
            groups.setdefault((tuple(str(p) for p in job.references.values()), layout, length), []).append(i)
        for idx in groups.values():
            kwargs = self._stack([encoded[i][0] for i in idx])
            images, params = self._generate(pipe, [jobs[i] for i in idx], kwargs, [encoded[i][1] for i in idx])
            for i, img, p in zip(idx, images, params, strict=True):
                out[i] = RenderOutput([img], p)
        return [o for o in out if o is not None]

    def _generate(self, pipe: Any, jobs: list[RenderJob], prompt_kwargs: dict[str, Any], cover: list[dict[str, Any]]
                  ) -> tuple[list[Image.Image], list[dict[str, Any]]]:
        portrait = jobs[0].height > jobs[0].width and ts.reframe_portrait(self.settings)
        w, h = (jobs[0].height, jobs[0].width) if portrait else (jobs[0].width, jobs[0].height)
        w, h = _multiple(w), _multiple(h)
        steps = self.fs.steps or max(1, jobs[0].steps)
        images = list(pipe(**prompt_kwargs, width=w, height=h, num_inference_steps=steps,
                           guidance_scale=self.fs.guidance, generator=[ts.generator(pipe, j.seed) for j in jobs],
                           **self._ip_kwargs(pipe, jobs, w, h), **self._control_kwargs(jobs, w, h)).images)
        params = [{"model": self.settings.image_model, "family": self.family.name, "seed": j.seed, "steps": steps,
                   "guidance_scale": self.fs.guidance, "width": w, "height": h, "prompt": j.prompt,
                   "prompt_tokens": c, "negative_prompt": j.negative_prompt if self.family.negative_prompt else None,
                   "references": {k: str(v) for k, v in j.references.items()},
                   "ip_adapter_scale": self.fs.ip_adapter_scale if j.references else
                   (0.0 if self.uses_references else None),
                   "ip_adapter_masks": bool(j.references) and self.uses_references and self.family.ip_masks,
                   "controlnet": self.settings.controlnet, "control": self.settings.control
                   if self.settings.controlnet else None, "pipeline": type(pipe).__name__, "batch": len(jobs)}
                  for j, c in zip(jobs, cover, strict=True)]
        if portrait:
            images = [self.outpaint(img, (jobs[0].width, jobs[0].height), j) for img, j in zip(images, jobs,
                                                                                             strict=True)]
            for p in params:
                p["reframed"] = "outpaint 16:9 -> 9:16"
        return images, params

    # ---- edits
    def inpaint(self, image: Image.Image, mask: Image.Image, job: RenderJob, *, strength: float = 0.9
                ) -> Image.Image:
        """Regenerate the white area of ``mask`` in ``image``; pixels outside the mask stay byte-identical."""
        pipe = ts.inpaint_pipe(self.model, self.settings)
        w, h = _multiple(image.width), _multiple(image.height)
        src, binary = image.convert("RGB"), mask.convert("L").point(lambda v: 255 if v >= 128 else 0)
        prompt_kwargs, _ = self._encode(pipe, job)
        result = pipe(**prompt_kwargs, image=src.resize((w, h)), mask_image=binary.resize((w, h)), width=w,
                      height=h, strength=strength, num_inference_steps=max(2, self.fs.steps or job.steps),
                      guidance_scale=self.fs.guidance, generator=ts.generator(pipe, job.seed),
                      **self._ip_kwargs(pipe, [job], w, h)).images[0]
        result = result.resize(src.size) if result.size != src.size else result
        return Image.composite(result.convert("RGB"), src, binary)  # the VAE round trip never leaks outside

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
