"""Flux: the prompt goes whole to its long-context T5 encoder; ``FluxControlNetModel`` for layout.

Flux reads the prompt twice: CLIP gives a pooled summary (77 tokens, by design) and T5 gives the
sequence the transformer attends to, up to ``tokenizer_2.model_max_length`` (512) tokens. The backend
sizes ``max_sequence_length`` to the longest prompt of the batch (rounded up to 64), so no token is
cut unless a prompt exceeds the encoder's own limit, which :meth:`Flux.coverage` then reports.
Flux-dev is guidance-distilled: ``guidance`` is its embedded guidance, and negative prompts are not
used (no true classifier-free guidance). Its IP-Adapter (XLabs layout, loaded by diffusers'
``FluxIPAdapterMixin``) takes the reference embeddings without a negative pair and has no attention
masks, so several entities' references steer the whole frame together (documented fallback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from showrunner.tools.families import Coverage


class Flux:
    """FluxPipeline: T5 long-context prompts, ``FluxControlNetModel`` (``control_image``), unmasked IP-Adapter."""

    name = "flux"
    pipelines: tuple[str, ...] = ("FluxPipeline",)
    controlnet_class = "FluxControlNetModel"
    control_arg = "control_image"
    ip_masks = False
    negative_prompt = False

    def _tokens(self, pipe: Any, text: str) -> int:
        return len(pipe.tokenizer_2(text, truncation=False).input_ids)

    def prompt_kwargs(self, pipe: Any, prompts: list[str], negatives: list[str]) -> dict[str, Any]:
        import torch

        limit = int(pipe.tokenizer_2.model_max_length)
        longest = max(self._tokens(pipe, p) for p in prompts)
        length = min(limit, -(-longest // 64) * 64)
        with torch.no_grad():
            embeds, pooled, _ = pipe.encode_prompt(prompt=prompts, prompt_2=None, device=pipe._execution_device,
                                                   num_images_per_prompt=1, max_sequence_length=length)
        return {"prompt_embeds": embeds, "pooled_prompt_embeds": pooled, "max_sequence_length": length}

    def coverage(self, pipe: Any, prompt: str, kwargs: dict[str, Any]) -> Coverage:
        return Coverage(self._tokens(pipe, prompt), int(kwargs["prompt_embeds"].shape[1]), "T5 long-context encoder")

    def ip_kwargs(self, pipe: Any, cond: Any, masks: Any | None) -> dict[str, Any]:
        return {"ip_adapter_image_embeds": [cond]}  # no CFG pair; masks unsupported: the whole frame (fallback)

    def ip_load_kwargs(self, encoder: Path | None, dtype: Any) -> dict[str, Any]:
        return {"image_encoder_pretrained_model_name_or_path": str(encoder) if encoder else None,
                "image_encoder_dtype": dtype}

    def image_embed(self, pipe: Any, image: Any) -> Any:
        return pipe.encode_image(image, pipe.device, 1)[0]
