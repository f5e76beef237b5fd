"""Image embeddings for frame QA and the identity eval: a CLIP-class vision encoder from a local folder.

The folder is a transformers checkpoint: a ``CLIPVisionModelWithProjection`` (its ``image_embeds``) or a
whole ``CLIPModel`` (its ``get_image_features``), with the image processor saved beside it (or one built
from the config's image size). A whole CLIP with its tokenizer can also count people zero-shot
(:meth:`FrameEncoder.count_people`); a vision-only one cannot, and says so (``None``).
It loads with ``local_files_only=True`` (nothing downloads), once per process and device, on the
configured device. :meth:`FrameEncoder.embed` returns L2-normalised rows, so a dot product is the cosine
similarity. torch and transformers are imported here only.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from showrunner.errors import BadInput, ServiceError
from showrunner.tools import tiny

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

    from showrunner.config import Settings

_CACHE: dict[tuple[str, str], FrameEncoder] = {}
COUNT_WORDS = ("no people", "one person", "two people", "three people", "four people")
_LOCK = threading.Lock()


class FrameEncoder:
    """One loaded vision encoder: images in, unit-length embeddings out."""

    def __init__(self, path: str, device: str) -> None:
        import torch
        import transformers
        from transformers import CLIPModel, CLIPVisionModelWithProjection

        # the Pillow processor where this transformers has one (the default one wants torchvision)
        processor_cls: Any = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor

        folder = Path(tiny.resolve(path)).expanduser()
        config = folder / "config.json"
        if not config.is_file():
            raise BadInput(f"frame_encoder {path!r} is not a model folder (no config.json); point it at a local "
                           "CLIP vision model folder, or unset it")
        kind = json.loads(config.read_text(encoding="utf-8")).get("model_type")
        loader: Any = CLIPModel if kind == "clip" else CLIPVisionModelWithProjection
        try:
            self.model = loader.from_pretrained(folder, local_files_only=True).to(device).eval()
            self.processor: Any = processor_cls.from_pretrained(folder, local_files_only=True) \
                if (folder / "preprocessor_config.json").is_file() else None
        except (OSError, ValueError) as exc:
            raise ServiceError(f"cannot load frame_encoder {path!r}: {' '.join(str(exc).split())[:160]}") from exc
        if self.processor is None:
            size = self._vision_config().image_size
            self.processor = processor_cls(size={"shortest_edge": size}, crop_size={"height": size, "width": size})
        self.path, self.device, self.kind = path, device, kind
        self._torch = torch
        self.tokenizer: Any = None
        if kind == "clip" and (folder / "tokenizer_config.json").is_file():
            self.tokenizer = transformers.CLIPTokenizer.from_pretrained(folder, local_files_only=True)
        self._counts: Any = None

    def _vision_config(self) -> Any:
        cfg = self.model.config
        return cfg.vision_config if self.kind == "clip" else cfg

    def identity(self) -> dict[str, Any]:
        return {"encoder": self.path, "model_type": self.kind}

    def embed(self, images: list[Image]) -> np.ndarray:
        """One L2-normalised embedding row per image (RGB)."""
        import numpy as np

        torch = self._torch
        pixels = self.processor(images=[im.convert("RGB") for im in images], return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            pixels = pixels.to(self.device)
            out = self.model.get_image_features(pixel_values=pixels) if self.kind == "clip" \
                else self.model(pixel_values=pixels).image_embeds
        vec = _features(out).float().cpu().numpy().astype(np.float64)
        return vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)

    def count_people(self, image: Image) -> int | None:
        """How many people ``image`` shows (0-4), by zero-shot text prompts; None without a text tower."""
        if self.tokenizer is None:
            return None
        import numpy as np

        torch = self._torch
        if self._counts is None:
            tokens = self.tokenizer([f"a picture of {w}" for w in COUNT_WORDS], padding=True, return_tensors="pt")
            with torch.no_grad():
                text = self.model.get_text_features(**{k: v.to(self.device) for k, v in tokens.items()})
            vec = _features(text).float().cpu().numpy().astype(np.float64)
            self._counts = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        return int(np.argmax(self._counts @ self.embed([image])[0]))


def _features(out: Any) -> Any:
    """Projected features: a tensor (transformers 4) or the output's ``pooler_output`` (transformers 5)."""
    return getattr(out, "pooler_output", out)


def load_encoder(settings: Settings) -> FrameEncoder | None:
    """The configured frame encoder (loaded once per process), or None when ``frame_encoder`` is unset."""
    if not settings.frame_encoder:
        return None
    from showrunner.tools.torch_setup import device_and_dtype

    device, _ = device_and_dtype(settings)
    key = (settings.frame_encoder, device)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = FrameEncoder(settings.frame_encoder, device)
        return _CACHE[key]
