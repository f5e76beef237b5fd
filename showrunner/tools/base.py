"""The one call signature every generation backend shares, and the registry that picks one by name.

A backend turns a batch of :class:`RenderJob` (one shot each, fully resolved from canon) into one
:class:`RenderOutput` per job: a single frame for a keyframe backend, a frame sequence for a clip
backend. ``identity()`` returns everything about the backend that changes its output (name, version,
model, parameters); the render cache hashes it with the job, so changing the model re-renders and
nothing else does. Backends are imported lazily: ``preview`` needs only Pillow, the ``diffusers*``
ones import torch inside their own modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from showrunner.errors import BadInput
from showrunner.models import Character, Location, Shot

if TYPE_CHECKING:
    from PIL.Image import Image

    from showrunner.config import Settings

Kind = Literal["image", "video"]


@dataclass
class RenderJob:
    """One shot to render, with every canon fact a backend may draw on already resolved."""

    shot: Shot
    episode: int
    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    steps: int
    fps: int = 12
    location: Location | None = None
    time_of_day: str = ""
    characters: list[Character] = field(default_factory=list)
    style: str = ""
    references: dict[str, Path] = field(default_factory=dict)
    """Entity id -> reference image (IP-Adapter input): each on-screen character's sheet, the location's plate."""
    init_image: Image | None = None
    """Keyframe for image-to-video; source image for inpaint/outpaint."""
    control_image: Image | None = None
    """Conditioning image for ControlNet (the storyboard panel's edges by default)."""


@dataclass
class RenderOutput:
    """What a backend made for one job, and the parameters that made it (recorded in the sidecar)."""

    frames: list[Image]
    params: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """A generation backend: lazy, batched, deterministic for a given seed."""

    name: str
    kind: Kind

    def identity(self) -> dict[str, Any]:
        """Everything that changes the output besides the job (cache key input)."""
        ...

    def render(self, jobs: list[RenderJob]) -> list[RenderOutput]:
        """Render every job; one output per job, in order."""
        ...


# name -> (kind, "module:Class"); imported on first use only.
REGISTRY: dict[str, tuple[Kind, str]] = {
    "preview": ("image", "showrunner.tools.preview:PreviewBackend"),
    "diffusers": ("image", "showrunner.tools.diffusers_image:DiffusersImageBackend"),
    "diffusers-i2v": ("video", "showrunner.tools.diffusers_video:DiffusersVideoBackend"),
}


def backend_names(kind: Kind | None = None) -> list[str]:
    return sorted(n for n, (k, _) in REGISTRY.items() if kind is None or k == kind)


def get_backend(name: str, settings: Settings, *, kind: Kind | None = None) -> Backend:
    """Build the backend registered as ``name``; an unknown name is a one-line error listing valid ones."""
    entry = REGISTRY.get(name)
    if entry is None or (kind is not None and entry[0] != kind):
        what = f"{kind} backend" if kind else "backend"
        raise BadInput(f"unknown {what} {name!r}; valid: {', '.join(backend_names(kind))}")
    module_name, cls_name = entry[1].split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    backend: Backend = cls(settings)
    return backend
