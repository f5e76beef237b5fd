"""Tiny random-weight twins of the GPU models, built from the real diffusers/transformers classes.

Nothing is downloaded: configs are tiny (tens of thousands of parameters) and the CLIP tokenizer is a
byte-level vocabulary built in memory. Each twin is saved once with ``save_pretrained`` into a cache
folder and then loaded by the production backends through ``from_pretrained(local_files_only=True)``,
exactly like a real model folder, so tests exercise the real code path. Names: ``tiny-sd`` (text-to-image,
with an ``ip-adapter/`` subfolder: random IP-Adapter weights + a tiny CLIP image encoder),
``tiny-controlnet``, ``tiny-svd`` (image-to-video), ``tiny-clip-vision`` (a CLIP vision encoder with
projection and its image processor, for frame QA) and ``tiny-clip`` (a whole CLIP with its tokenizer);
``tiny-sdxl``, ``tiny-flux`` and their ``-controlnet`` twins come from :mod:`showrunner.tools.tiny_families`.
Set ``image_model``/``video_model``/``ip_adapter``/``controlnet``/``frame_encoder`` to one of these names,
or to the folder :func:`ensure` returns.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

VERSION = "tiny-2"  # 2: tiny-sdxl, tiny-flux and their ControlNets / IP-Adapter
TINY_NAMES = ("tiny-sd", "tiny-controlnet", "tiny-svd", "tiny-ip-adapter", "tiny-clip-vision", "tiny-clip",
              "tiny-sdxl", "tiny-sdxl-controlnet", "tiny-sdxl-ip-adapter", "tiny-flux", "tiny-flux-controlnet",
              "tiny-flux-ip-adapter")


def cache_root() -> Path:
    env = os.environ.get("SHOWRUNNER_TINY_DIR")
    return Path(env) if env else Path.home() / ".cache" / "showrunner" / "tiny"


def _bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs), strict=True))


def tiny_clip_tokenizer() -> Any:
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in _bytes_to_unicode().values():
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    tok = CLIPTokenizer(vocab=vocab, merges=[])
    tok.model_max_length = 77
    return tok


def build_tiny_sd(seed: int = 0) -> Any:
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = tiny_clip_tokenizer()
    unet = UNet2DConditionModel(block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
                                norm_num_groups=2)
    vae = AutoencoderKL(block_out_channels=[4, 8], in_channels=3, out_channels=3,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        latent_channels=4, norm_num_groups=2)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=64, layer_norm_eps=1e-5,
        num_attention_heads=4, num_hidden_layers=2, vocab_size=len(tokenizer), max_position_embeddings=77))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    return StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   image_encoder=None, requires_safety_checker=False)


def tiny_ip_adapter_state_dict(unet: Any) -> dict[str, Any]:
    """Random IP-Adapter weights shaped for ``unet`` (the recipe of diffusers' own tests)."""
    from diffusers.models.attention_processor import IPAdapterAttnProcessor
    from diffusers.models.embeddings import ImageProjection

    ip, key_id, cad = {}, 1, unet.config.cross_attention_dim
    blocks = list(unet.config.block_out_channels)
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hs = blocks[-1]
        elif name.startswith("up_blocks"):
            hs = list(reversed(blocks))[int(name[len("up_blocks.")])]
        else:
            hs = blocks[int(name[len("down_blocks.")])]
        sd = IPAdapterAttnProcessor(hidden_size=hs, cross_attention_dim=cad, scale=1.0).state_dict()
        ip[f"{key_id}.to_k_ip.weight"] = sd["to_k_ip.0.weight"]
        ip[f"{key_id}.to_v_ip.weight"] = sd["to_v_ip.0.weight"]
        key_id += 2
    proj = ImageProjection(cross_attention_dim=cad, image_embed_dim=cad, num_image_text_embeds=4).state_dict()
    return {"image_proj": {"proj.weight": proj["image_embeds.weight"], "proj.bias": proj["image_embeds.bias"],
                           "norm.weight": proj["norm.weight"], "norm.bias": proj["norm.bias"]}, "ip_adapter": ip}


def save_ip_adapter(unet: Any, folder: Path) -> None:
    """Random IP-Adapter weights for ``unet`` and a tiny CLIP image encoder, in ``folder/ip-adapter``."""
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    sd = tiny_ip_adapter_state_dict(unet)
    flat = {f"{group}.{k}": v.contiguous() for group, d in sd.items() for k, v in d.items()}
    (folder / "ip-adapter").mkdir(exist_ok=True)
    save_file(flat, str(folder / "ip-adapter" / "ip-adapter.safetensors"))
    torch.manual_seed(1)
    dim = unet.config.cross_attention_dim
    enc = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, projection_dim=dim, num_hidden_layers=2,
                                                         num_attention_heads=4, image_size=224, intermediate_size=37,
                                                         patch_size=14))
    enc.save_pretrained(folder / "ip-adapter" / "image_encoder")


def _save_sd(folder: Path) -> None:
    pipe = build_tiny_sd()
    pipe.save_pretrained(folder)
    save_ip_adapter(pipe.unet, folder)


def _save_controlnet(folder: Path) -> None:
    from diffusers import ControlNetModel

    ControlNetModel.from_unet(build_tiny_sd().unet, conditioning_embedding_out_channels=(4, 8)).save_pretrained(folder)


def _save_svd(folder: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=8, out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"), cross_attention_dim=32,
        num_attention_heads=8, projection_class_embeddings_input_dim=96, addition_time_embed_dim=32)
    sched = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                   interpolation_type="linear", num_train_timesteps=1000,
                                   prediction_type="v_prediction",
                                   sigma_max=700.0, sigma_min=0.002, steps_offset=1, timestep_spacing="leading",
                                   timestep_type="continuous", use_karras_sigmas=True)
    vae = AutoencoderKLTemporalDecoder(block_out_channels=[32, 64], in_channels=3, out_channels=3,
                                       down_block_types=["DownEncoderBlock2D"] * 2, latent_channels=4)
    enc = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, projection_dim=32, num_hidden_layers=5,
                                                         num_attention_heads=4, image_size=224, intermediate_size=37,
                                                         patch_size=14))
    pipe: Any = StableVideoDiffusionPipeline(vae=vae, image_encoder=enc, unet=unet, scheduler=sched,
                                             feature_extractor=CLIPImageProcessor(crop_size=32, size=32))
    pipe.save_pretrained(folder)


def _save_clip_vision(folder: Path) -> None:
    import torch
    import transformers
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    processor: Any = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    torch.manual_seed(2)
    enc = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, projection_dim=16, num_hidden_layers=2,
                                                         num_attention_heads=4, image_size=64, intermediate_size=37,
                                                         patch_size=8))
    enc.save_pretrained(folder)
    processor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}).save_pretrained(folder)


def _save_clip(folder: Path) -> None:
    """A whole tiny CLIP (text and vision towers): the frame critic can then count people zero-shot."""
    import torch
    import transformers
    from transformers import CLIPConfig, CLIPModel

    processor: Any = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    torch.manual_seed(3)
    tok = tiny_clip_tokenizer()
    config = CLIPConfig(text_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                                     "num_attention_heads": 4, "vocab_size": len(tok), "max_position_embeddings": 77,
                                     "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1},
                        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                                       "num_attention_heads": 4, "image_size": 64, "patch_size": 8},
                        projection_dim=16)
    CLIPModel(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    processor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}).save_pretrained(folder)


def _family(name: str) -> Callable[[Path], None]:
    def save(folder: Path) -> None:
        from showrunner.tools import tiny_families

        getattr(tiny_families, name)(folder)

    return save


BUILDERS: dict[str, Callable[[Path], None]] = {
    "tiny-sd": _save_sd, "tiny-controlnet": _save_controlnet, "tiny-svd": _save_svd,
    "tiny-clip-vision": _save_clip_vision, "tiny-clip": _save_clip,
    "tiny-sdxl": _family("save_sdxl"), "tiny-sdxl-controlnet": _family("save_sdxl_controlnet"),
    "tiny-flux": _family("save_flux"), "tiny-flux-controlnet": _family("save_flux_controlnet")}


def ensure(name: str) -> Path:
    """Folder of the saved twin ``name`` (built on first use, atomically: a crash leaves no half folder)."""
    if name.endswith("-ip-adapter"):
        return ensure({"tiny-ip-adapter": "tiny-sd"}.get(name, name.removesuffix("-ip-adapter"))) / "ip-adapter"
    if name not in BUILDERS:
        raise KeyError(name)
    folder = cache_root() / f"{name}-{VERSION}"
    if (folder / ".complete").is_file():
        return folder
    import shutil
    import tempfile

    cache_root().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_root(), prefix=f".{name}-"))
    try:
        BUILDERS[name](tmp)
        (tmp / ".complete").write_text(VERSION)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def resolve(model: str) -> str:
    """A tiny twin's name becomes its saved folder; anything else passes through unchanged."""
    return str(ensure(model)) if model in TINY_NAMES else model
