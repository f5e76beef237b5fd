"""Model families of the diffusers image backend: SD 1.5, SDXL and Flux, chosen from a registry.

A family knows what differs between model lines, so the backend has no if-chains on model names:

* how a prompt of any length becomes embeddings (``prompt_kwargs``): SD 1.5 and SDXL chunk it into
  75-token CLIP windows with ``compel`` (literal text, never parsed as weighting syntax); Flux gives it
  to its long-context T5 encoder. ``coverage`` says how many tokens the prompt has and how many the
  embedding holds, so a test (and the sidecar) can show nothing was dropped;
* how reference images reach the model (``ip_kwargs``): SD/SDXL IP-Adapter embeds carry the
  classifier-free-guidance pair and accept per-entity masks; Flux has no IP-Adapter here (a one-line
  error; see docs/architecture.md);
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
    ip_adapter: bool
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


def resolve(settings: Settings, model_path: str) -> tuple[Family, FamilySettings]:
    """The family (set, detected, else SD 1.5) and its settings; unsupported combinations fail in one line."""
    name = settings.family if settings.family != "auto" else (detect(model_path) or "sd15")
    fam = registry()[name]
    if settings.ip_adapter and not fam.ip_adapter:
        raise BadInput(f"ip_adapter is not supported for the {name} family; unset ip_adapter or use an "
                       "SD 1.5 or SDXL image_model")
    return fam, settings.families[name]
