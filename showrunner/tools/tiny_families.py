"""Tiny random-weight SDXL and Flux twins (and their ControlNets), from the real diffusers classes.

The same idea as :mod:`showrunner.tools.tiny`: configs follow diffusers' own fast tests, tokenizers are
built in memory (byte-level CLIP; a character-level T5 ``Unigram`` vocabulary for Flux's long-context
encoder), nothing is downloaded. :mod:`tiny` saves them with ``save_pretrained`` under the names
``tiny-sdxl`` (with ``tiny-sdxl-ip-adapter``), ``tiny-sdxl-controlnet``, ``tiny-flux`` (with
``tiny-flux-ip-adapter``: random XLabs-layout weights and a tiny CLIP image encoder) and
``tiny-flux-controlnet``, so the production loaders (``from_pretrained(local_files_only=True)``) and
the family detection from ``model_index.json`` run on them exactly as on a real model folder.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from showrunner.tools.tiny import tiny_clip_tokenizer

T5_MAX_LENGTH = 512


def _clip_config(vocab: int, **extra: Any) -> Any:
    from transformers import CLIPTextConfig

    return CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37,
                          layer_norm_eps=1e-5, num_attention_heads=4, num_hidden_layers=2, vocab_size=vocab,
                          max_position_embeddings=77, hidden_act="gelu", **extra)


def build_tiny_sdxl(seed: int = 0) -> Any:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(2, 4),
                                use_linear_projection=True, addition_embed_type="text_time",
                                addition_time_embed_dim=8, transformer_layers_per_block=(1, 1),
                                projection_class_embeddings_input_dim=80, cross_attention_dim=64, norm_num_groups=2)
    vae = AutoencoderKL(block_out_channels=[4, 8], in_channels=3, out_channels=3,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        latent_channels=4, norm_num_groups=2, sample_size=64)
    tok, tok2 = tiny_clip_tokenizer(), tiny_clip_tokenizer()
    enc = CLIPTextModel(_clip_config(len(tok)))
    enc2 = CLIPTextModelWithProjection(_clip_config(len(tok2), projection_dim=32))
    sched = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                   steps_offset=1, timestep_spacing="leading")
    return StableDiffusionXLPipeline(vae=vae, text_encoder=enc, text_encoder_2=enc2, tokenizer=tok, tokenizer_2=tok2,
                                     unet=unet, scheduler=sched, force_zeros_for_empty_prompt=True)


def tiny_t5_tokenizer() -> Any:
    """A character-level T5 tokenizer (``Unigram`` over printable ASCII), built in memory."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import T5TokenizerFast  # type: ignore[attr-defined]

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -1.0)]
    vocab += [(c, -1.0) for c in string.printable if c.strip()]
    tk = Tokenizer(models.Unigram(vocab, unk_id=2))
    tk.pre_tokenizer = pre_tokenizers.Metaspace()
    tk.decoder = decoders.Metaspace()
    tk.post_processor = TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok = T5TokenizerFast(tokenizer_object=tk, eos_token="</s>", pad_token="<pad>", unk_token="<unk>", extra_ids=0)
    tok.model_max_length = T5_MAX_LENGTH
    return tok


FLUX_DIMS: dict[str, Any] = dict(patch_size=1, in_channels=4, num_layers=1, num_single_layers=1,
                                 attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                                 pooled_projection_dim=32, axes_dims_rope=[4, 4, 8])


def build_tiny_flux(seed: int = 0) -> Any:
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
    from transformers import CLIPTextModel, T5Config, T5EncoderModel

    torch.manual_seed(seed)
    transformer = FluxTransformer2DModel(**FLUX_DIMS)
    tok, tok2 = tiny_clip_tokenizer(), tiny_t5_tokenizer()
    enc = CLIPTextModel(_clip_config(len(tok)))
    t5 = T5Config(vocab_size=len(tok2), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4, pad_token_id=0,
                  eos_token_id=1)
    enc2 = T5EncoderModel(t5)
    vae = AutoencoderKL(sample_size=32, in_channels=3, out_channels=3, block_out_channels=(4,), layers_per_block=1,
                        latent_channels=1, norm_num_groups=1, use_quant_conv=False, use_post_quant_conv=False,
                        shift_factor=0.0609, scaling_factor=1.5035)
    return FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=enc, tokenizer=tok,
                        text_encoder_2=enc2, tokenizer_2=tok2, transformer=transformer)


def save_sdxl(folder: Path) -> None:
    from showrunner.tools.tiny import save_ip_adapter

    pipe = build_tiny_sdxl()
    pipe.save_pretrained(folder)
    save_ip_adapter(pipe.unet, folder)


def save_sdxl_controlnet(folder: Path) -> None:
    from diffusers import ControlNetModel

    ControlNetModel.from_unet(build_tiny_sdxl().unet, conditioning_embedding_out_channels=(4, 8)).save_pretrained(
        folder)


def flux_ip_adapter_state_dict(transformer: Any, image_dim: int = 32) -> dict[str, Any]:
    """Random XLabs-layout Flux IP-Adapter weights for ``transformer`` (what ``load_ip_adapter`` converts)."""
    import torch
    from diffusers.models.embeddings import ImageProjection

    cad, inner = transformer.config.joint_attention_dim, transformer.inner_dim
    proj = ImageProjection(cross_attention_dim=cad, image_embed_dim=image_dim, num_image_text_embeds=4).state_dict()
    ip = {}
    for i in range(transformer.config.num_layers):  # one per double-stream block
        for kind in ("k", "v"):
            layer = torch.nn.Linear(cad, inner)
            ip[f"{i}.to_{kind}_ip.weight"], ip[f"{i}.to_{kind}_ip.bias"] = layer.weight.data, layer.bias.data
    return {"image_proj": {"proj.weight": proj["image_embeds.weight"], "proj.bias": proj["image_embeds.bias"],
                           "norm.weight": proj["norm.weight"], "norm.bias": proj["norm.bias"]}, "ip_adapter": ip}


def save_flux(folder: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    pipe = build_tiny_flux()
    pipe.save_pretrained(folder)
    sd = flux_ip_adapter_state_dict(pipe.transformer)
    (folder / "ip-adapter").mkdir(exist_ok=True)
    save_file({f"{g}.{k}": v.contiguous() for g, d in sd.items() for k, v in d.items()},
              str(folder / "ip-adapter" / "ip-adapter.safetensors"))
    torch.manual_seed(1)
    CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, projection_dim=32, num_hidden_layers=2,
                                                   num_attention_heads=4, image_size=224, intermediate_size=37,
                                                   patch_size=14)).save_pretrained(folder / "ip-adapter" /
                                                                                   "image_encoder")


def save_flux_controlnet(folder: Path) -> None:
    import torch
    from diffusers import FluxControlNetModel

    torch.manual_seed(2)
    net: Any = FluxControlNetModel(**FLUX_DIMS)
    net.save_pretrained(folder)
