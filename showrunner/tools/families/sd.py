"""Stable Diffusion 1.5 and SDXL: long prompts through compel, IP-Adapter embeds with CFG pairs and masks.

Long prompts are chunked the way the community does it, with ``compel`` (``truncate_long_prompts=False``):
the token ids are split into 75-token windows, each wrapped in BOS/EOS and encoded by CLIP on its own,
and the windows' hidden states are concatenated (77 positions per window); the positive and negative
embeddings are padded to the same length with empty-prompt windows. Text goes in as one literal
fragment (``Conjunction([FlattenedPrompt([Fragment(text)])])``), so brackets, plus and minus signs in
canon text are never read as compel's weighting syntax. SDXL concatenates its two encoders' penultimate
hidden states and takes the pooled vector from the second encoder's first window (a pooled vector is a
summary of the prompt's start by construction; the full prompt still reaches cross-attention).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from showrunner.tools.families import Coverage

WINDOW = 75  # content tokens per CLIP window (77 minus BOS and EOS)


def literal(text: str) -> Any:
    """``text`` as a compel prompt object, bypassing the parser (no weighting syntax is read)."""
    from compel.prompt_parser import Conjunction, FlattenedPrompt, Fragment

    return Conjunction([FlattenedPrompt([Fragment(text, 1.0)])])


def _content_tokens(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text, truncation=False, add_special_tokens=False).input_ids)


def _pad_all(compel: Any, tensors: list[Any], length: int) -> list[Any]:
    """Pad every ``(1, n*77, dim)`` tensor to ``length`` positions with empty-prompt windows."""
    import torch

    empty = compel.conditioning_provider.empty_z
    out = []
    for t in tensors:
        reps = (length - t.shape[1]) // empty.shape[1]
        out.append(torch.cat([t, *([empty.to(t.device, t.dtype)] * reps)], dim=1) if reps else t)
    return out


class SD15:
    """Stable Diffusion 1.x/2.x: one CLIP text encoder, IP-Adapter masks, ``ControlNetModel``."""

    name = "sd15"
    pipelines: tuple[str, ...] = ("StableDiffusionPipeline",)
    controlnet_class = "ControlNetModel"
    control_arg = "image"
    ip_masks = True
    negative_prompt = True

    def __init__(self) -> None:
        self._compels: dict[int, list[Any]] = {}

    def _compel(self, pipe: Any) -> list[Any]:
        from compel import Compel

        key = id(pipe.text_encoder)
        if key not in self._compels:
            self._compels[key] = [Compel(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder,
                                         truncate_long_prompts=False, device=str(pipe._execution_device))]
        return self._compels[key]

    def _encode(self, compel: Any, texts: list[str]) -> list[Any]:
        import torch

        with torch.no_grad():
            conds = [compel.build_conditioning_tensor_for_conjunction(literal(t))[0] for t in texts]
        return conds

    def prompt_kwargs(self, pipe: Any, prompts: list[str], negatives: list[str]) -> dict[str, Any]:
        import torch

        (compel,) = self._compel(pipe)
        conds = self._encode(compel, prompts + negatives)
        conds = _pad_all(compel, conds, max(c.shape[1] for c in conds))
        n = len(prompts)
        return {"prompt_embeds": torch.cat(conds[:n]), "negative_prompt_embeds": torch.cat(conds[n:])}

    def coverage(self, pipe: Any, prompt: str, kwargs: dict[str, Any]) -> Coverage:
        windows = kwargs["prompt_embeds"].shape[1] // pipe.tokenizer.model_max_length
        return Coverage(_content_tokens(pipe.tokenizer, prompt), windows * WINDOW, "compel 75-token CLIP windows")

    def ip_kwargs(self, pipe: Any, cond: Any, masks: Any | None) -> dict[str, Any]:
        import torch

        out: dict[str, Any] = {"ip_adapter_image_embeds": [torch.cat([torch.zeros_like(cond), cond])]}
        if masks is not None:
            out["cross_attention_kwargs"] = {"ip_adapter_masks": [masks]}
        return out


    def ip_load_kwargs(self, encoder: Path | None, dtype: Any) -> dict[str, Any]:
        return {"subfolder": "", "image_encoder_folder": encoder.name if encoder else None}

    def image_embed(self, pipe: Any, image: Any) -> Any:
        embeds, _ = pipe.encode_image(image, pipe.device, 1)
        return embeds[0]


class SDXL(SD15):
    """SDXL: two CLIP encoders (hidden states concatenated, pooled from the second), ``ControlNetModel``."""

    name = "sdxl"
    pipelines = ("StableDiffusionXLPipeline",)

    def _compel(self, pipe: Any) -> list[Any]:
        from compel import Compel, ReturnedEmbeddingsType

        key = id(pipe.text_encoder_2)
        if key not in self._compels:
            kind = ReturnedEmbeddingsType.PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED
            device = str(pipe._execution_device)
            self._compels[key] = [
                Compel(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder, returned_embeddings_type=kind,
                       truncate_long_prompts=False, device=device),
                Compel(tokenizer=pipe.tokenizer_2, text_encoder=pipe.text_encoder_2, returned_embeddings_type=kind,
                       truncate_long_prompts=False, requires_pooled=True, device=device)]
        return self._compels[key]

    def prompt_kwargs(self, pipe: Any, prompts: list[str], negatives: list[str]) -> dict[str, Any]:
        import torch

        first, second = self._compel(pipe)
        texts = prompts + negatives
        left, right = self._encode(first, texts), self._encode(second, texts)
        length = max(c.shape[1] for c in left + right)
        left, right = _pad_all(first, left, length), _pad_all(second, right, length)
        embeds = [torch.cat([a, b], dim=-1) for a, b in zip(left, right, strict=True)]
        with torch.no_grad():
            pooled = second.conditioning_provider.get_pooled_embeddings(texts, device=second.device)
        n = len(prompts)
        return {"prompt_embeds": torch.cat(embeds[:n]), "negative_prompt_embeds": torch.cat(embeds[n:]),
                "pooled_prompt_embeds": pooled[:n], "negative_pooled_prompt_embeds": pooled[n:]}
