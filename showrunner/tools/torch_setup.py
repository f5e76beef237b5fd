"""Loading diffusers pipelines: once per process, on the configured device, dtype, offload and tiling.

All torch/diffusers imports of the diffusers backends go through here, inside functions. Pipelines are
cached by (task, model, adapters, device, dtype, offload): a second keyframe batch, an inpaint or an
outpaint reuse the loaded weights (``from_pipe`` shares components instead of reloading them).
Models load with ``local_files_only=True``: a missing model is a one-line error, never a download.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from showrunner.errors import BadInput, ServiceError
from showrunner.tools import tiny

if TYPE_CHECKING:
    from showrunner.config import Settings

_CACHE: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.RLock()
I2V_CLASSES = ("StableVideoDiffusionPipeline", "CogVideoXImageToVideoPipeline", "WanImageToVideoPipeline",
               "LTXImageToVideoPipeline", "LTXConditionPipeline", "HunyuanVideoImageToVideoPipeline")


def require_model(model: str | None, setting: str) -> str:
    if not model:
        raise BadInput(f"the diffusers backend needs {setting}: set it in settings.json, "
                       f"SHOWRUNNER_{setting.upper()}, or use --preset preview")
    return model


def device_and_dtype(settings: Settings) -> tuple[str, Any]:
    import torch

    device = settings.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BadInput(f"device {device!r} requested but CUDA is not available; set device to cpu or auto")
    name = settings.dtype
    if name == "auto":
        name = "float16" if device.startswith("cuda") else "float32"
    return device, getattr(torch, name)


def device_identity(settings: Settings) -> dict[str, Any]:
    device, dtype = device_and_dtype(settings)
    return {"device": device, "dtype": str(dtype).removeprefix("torch.")}


def cached_models() -> int:
    return len(_CACHE)


def _key(task: str, model: str, settings: Settings) -> tuple[Any, ...]:
    fam = {k: (v.scheduler, [lo.model_dump_json() for lo in v.loras]) for k, v in settings.families.items()}
    return (task, model, settings.ip_adapter, settings.controlnet, *device_and_dtype(settings), settings.offload,
            settings.vae_tiling, settings.family, repr(sorted(fam.items())))


def _configure(pipe: Any, model: str, settings: Settings) -> None:
    """The family's scheduler and LoRAs (settings.families), applied once when the pipeline loads."""
    import diffusers

    from showrunner.tools import families

    _, fs = families.resolve(settings, tiny.resolve(model))
    if fs.scheduler:
        cls = getattr(diffusers, fs.scheduler, None)
        if cls is None or not hasattr(cls, "from_config"):
            raise BadInput(f"unknown scheduler {fs.scheduler!r}; use a diffusers scheduler class name such as "
                           "DPMSolverMultistepScheduler")
        pipe.scheduler = cls.from_config(pipe.scheduler.config)
    if fs.loras:
        names = []
        for i, lora in enumerate(fs.loras):
            path = Path(lora.path).expanduser()
            if not path.exists():
                raise BadInput(f"LoRA {lora.path} not found; fix the families setting")
            where = {"weight_name": path.name} if path.is_file() else {}
            try:
                pipe.load_lora_weights(str(path.parent if path.is_file() else path), adapter_name=f"lora{i}",
                                       local_files_only=True, **where)
            except (ValueError, ImportError) as exc:
                raise BadInput(f"cannot load LoRA {lora.path}: {' '.join(str(exc).split())[:160]}") from exc
            names.append(f"lora{i}")
        pipe.set_adapters(names, adapter_weights=[lo.weight for lo in fs.loras])


def _place(pipe: Any, settings: Settings) -> Any:
    device, _ = device_and_dtype(settings)
    if settings.offload == "model" and device.startswith("cuda"):
        pipe.enable_model_cpu_offload(device=device)
    elif settings.offload == "sequential" and device.startswith("cuda"):
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if settings.vae_tiling and hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _from_pretrained(loader: Any, model: str, dtype: Any, what: str) -> Any:
    path = tiny.resolve(model)
    try:
        return loader.from_pretrained(path, dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as exc:
        where = "folder" if Path(path).exists() else "model id (not in the local Hugging Face cache)"
        raise ServiceError(f"cannot load {what} {model!r} from this {where}: {' '.join(str(exc).split())[:160]}; "
                           "download it first (hf download ...) or point the setting at a local folder") from exc


def _load_ip_adapter(pipe: Any, spec: str, model: str, settings: Settings) -> None:
    """``spec`` is a weights file, or a folder holding one; the image encoder sits beside it."""
    from showrunner.tools import families

    path = Path(tiny.resolve(spec))
    if path.is_dir():
        files = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
        if not files:
            raise BadInput(f"no IP-Adapter weights (*.safetensors or *.bin) in {path}; fix ip_adapter")
        path = files[0]
    if not path.is_file():
        raise BadInput(f"IP-Adapter weights {path} not found; fix the ip_adapter setting")
    fam, _ = families.resolve(settings, tiny.resolve(model))
    encoder = path.parent / "image_encoder" if (path.parent / "image_encoder").is_dir() else None
    pipe.load_ip_adapter(str(path.parent), weight_name=path.name, local_files_only=True,
                         **fam.ip_load_kwargs(encoder, device_and_dtype(settings)[1]))


def text2img(model: str, settings: Settings) -> Any:
    """The text-to-image pipeline (with its IP-Adapter when configured), loaded once per process."""
    key = _key("t2i", model, settings)
    with _LOCK:
        if key not in _CACHE:
            from diffusers import AutoPipelineForText2Image, DiffusionPipeline

            _, dtype = device_and_dtype(settings)
            try:
                pipe = _from_pretrained(AutoPipelineForText2Image, model, dtype, "image_model")
            except ServiceError:
                pipe = _from_pretrained(DiffusionPipeline, model, dtype, "image_model")
            if settings.ip_adapter:
                _load_ip_adapter(pipe, settings.ip_adapter, model, settings)
            _configure(pipe, model, settings)
            _CACHE[key] = _place(pipe, settings)
        return _CACHE[key]


def controlnet_pipe(model: str, settings: Settings) -> Any:
    key = _key("controlnet", model, settings)
    with _LOCK:
        if key not in _CACHE:
            import diffusers

            from showrunner.tools import families

            _, dtype = device_and_dtype(settings)
            assert settings.controlnet
            fam, _ = families.resolve(settings, tiny.resolve(model))
            net = _from_pretrained(getattr(diffusers, fam.controlnet_class), settings.controlnet, dtype, "controlnet")
            base = text2img(model, settings)
            _CACHE[key] = _place(diffusers.AutoPipelineForText2Image.from_pipe(base, controlnet=net), settings)
        return _CACHE[key]


def inpaint_pipe(model: str, settings: Settings) -> Any:
    key = _key("inpaint", model, settings)
    with _LOCK:
        if key not in _CACHE:
            from diffusers import AutoPipelineForInpainting

            base = text2img(model, settings)
            _CACHE[key] = _place(AutoPipelineForInpainting.from_pipe(base), settings)
        return _CACHE[key]


def image2video(model: str, settings: Settings) -> Any:
    """An image-to-video pipeline, its class read from the model's ``model_index.json``."""
    key = _key("i2v", model, settings)
    with _LOCK:
        if key not in _CACHE:
            from diffusers import DiffusionPipeline

            _, dtype = device_and_dtype(settings)
            pipe = _from_pretrained(DiffusionPipeline, model, dtype, "video_model")
            if type(pipe).__name__ not in I2V_CLASSES:
                raise BadInput(f"video_model {model!r} is a {type(pipe).__name__}, not an image-to-video pipeline; "
                               f"use one of: {', '.join(I2V_CLASSES)}")
            _CACHE[key] = _place(pipe, settings)
        return _CACHE[key]


def generator(pipe: Any, seed: int) -> Any:
    import torch

    device = "cpu" if str(pipe.device).startswith("meta") else str(pipe.device)
    return torch.Generator(device).manual_seed(int(seed))


def reframe_portrait(settings: Settings) -> bool:
    """Vertical frames are made by outpainting a landscape keyframe (keeps the approved composition)."""
    return True
