"""Model families of the diffusers image backend: SD 1.5, SDXL and Flux, chosen from a registry.

A family knows what differs between model lines, so the backend has no if-chains on model names:

* how a prompt of any length becomes embeddings (``prompt_kwargs``): SD 1.5 and SDXL chunk it into
  75-token CLIP windows with ``compel`` (literal text, never parsed as weighting syntax); Flux gives it
  to its long-context T5 encoder. ``coverage`` says how many tokens the prompt has and how many the
  embedding holds, so a test (and the sidecar) can show nothing was dropped;
* how reference images reach the model (``ip_kwargs``): SD/SDXL IP-Adapter embeds carry the
  classifier-free-guidance pair and accept per-entity masks; Flux's (XLabs-layout) IP-Adapter takes
  the embeds as they are and has no masks, so its references steer the whole frame (the fallback);
* which ControlNet class it loads and which call argument takes the control image.

The family comes from ``settings.family``, or from ``model_index.json``'s ``_class_name`` in the model
folder; its sampling settings (guidance, steps, scheduler, LoRAs, adapter scales) from
``settings.families`` (config.py). An unknown pipeline class or an unsupported combination is a
one-line :class:`~showrunner.errors.BadInput`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from showrunner.errors import BadInput

if TYPE_CHECKING:
    from showrunner.config import FamilySettings, Settings


@dataclass
class Coverage:
    """How much of a prompt its embedding holds (``covered >= tokens`` means nothing was dropped)."""

    tokens: int
    covered: int
    encoder: str

    @property
    def complete(self) -> bool:
        return self.covered >= self.tokens


class Family(Protocol):
    """What one model line does differently; implementations live in ``sd.py`` and ``flux.py``."""

    name: str
    pipelines: tuple[str, ...]
    controlnet_class: str
    control_arg: str
    ip_masks: bool
    negative_prompt: bool

    def prompt_kwargs(self, pipe: Any, prompts: list[str], negatives: list[str]) -> dict[str, Any]:
        """Pipeline keyword arguments carrying the embeddings of every prompt, whole."""
        ...

    def coverage(self, pipe: Any, prompt: str, kwargs: dict[str, Any]) -> Coverage:
        """Tokens in ``prompt`` against tokens held by the embedding in ``kwargs`` (first of the batch)."""
        ...

    def ip_kwargs(self, pipe: Any, cond: Any, masks: Any | None) -> dict[str, Any]:
        """IP-Adapter arguments for reference embeddings ``cond`` (batch, images, dim) and optional masks."""
        ...

    def ip_load_kwargs(self, encoder: Path | None, dtype: Any) -> dict[str, Any]:
        """``load_ip_adapter`` arguments naming the image encoder folder (None: no encoder beside the weights)."""
        ...

    def image_embed(self, pipe: Any, image: Any) -> Any:
        """The image encoder's embedding of one reference image (1-D)."""
        ...


def registry() -> dict[str, Family]:
    from showrunner.tools.families.flux import Flux
    from showrunner.tools.families.sd import SD15, SDXL

    return {f.name: f for f in (SD15(), SDXL(), Flux())}


def detect(model_path: str) -> str | None:
    """The family of a model folder from its ``model_index.json`` (None when there is no such file)."""
    index = Path(model_path) / "model_index.json"
    if not index.is_file():
        return None
    try:
        cls = json.loads(index.read_text(encoding="utf-8")).get("_class_name", "")
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read {index}: {exc}; fix the model folder") from exc
    for fam in registry().values():
        if cls in fam.pipelines:
            return fam.name
    known = sorted(c for f in registry().values() for c in f.pipelines)
    raise BadInput(f"image_model is a {cls or 'pipeline without _class_name'}, not a supported family; "
                   f"use one of: {', '.join(known)}, or set family")


def _class_name(config: Path) -> str | None:
    try:
        return str(json.loads(config.read_text(encoding="utf-8")).get("_class_name") or "") or None
    except (OSError, ValueError):
        return None


def resolve(settings: Settings, model_path: str) -> tuple[Family, FamilySettings]:
    """The family (set, detected, else SD 1.5) and its settings; unsupported combinations fail in one line."""
    found = detect(model_path)
    if settings.family != "auto" and found and found != settings.family:
        raise BadInput(f"image_model is a {found} model but family is {settings.family}; set family to auto "
                       f"or {found}")
    fam = registry()[found or (settings.family if settings.family != "auto" else "sd15")]
    if settings.controlnet:
        from showrunner.tools import tiny

        net = _class_name(Path(tiny.resolve(settings.controlnet)) / "config.json")
        if net and net != fam.controlnet_class:
            raise BadInput(f"controlnet {settings.controlnet!r} is a {net}; the {fam.name} family needs a "
                           f"{fam.controlnet_class}")
    return fam, settings.families[fam.name]
