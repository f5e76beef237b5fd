"""The one call signature every speech (TTS) backend shares, and the registry that picks one by name.

A speech backend turns a :class:`SpeechJob` (one line of dialogue and the speaker's cast
:class:`~showrunner.models.Voice`) into :class:`Speech`: mono float32 samples and their sample rate.
``identity(voice)`` returns everything about the backend and voice that changes the sound; the speech
cache hashes it with the text, so recasting a voice re-synthesises that character's lines and nothing
else. Rate is the backend's own (Piper's length scale, OpenAI's ``speed``); pitch and timbre are applied
afterwards with ffmpeg filters (:func:`showrunner.pipelines.sound.voice_fx`), the same for every
backend. Backends are imported lazily, like the render backends in :mod:`showrunner.tools.base`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from showrunner.errors import BadInput
from showrunner.models import Voice

if TYPE_CHECKING:
    from showrunner.config import Settings


@dataclass(frozen=True)
class SpeechJob:
    """One line to speak, with the cast voice of its speaker."""

    text: str
    voice: Voice
    direction: str = ""


@dataclass
class Speech:
    """What a backend made for one job: mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int
    params: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    retries: int = 0

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


@runtime_checkable
class SpeechBackend(Protocol):
    """A text-to-speech backend: lazy, one line per call, deterministic for a given voice where it can be."""

    name: str

    def identity(self, voice: Voice) -> dict[str, Any]:
        """Everything that changes the sound of ``voice`` besides the text (cache key input)."""
        ...

    def speakers(self, model: str) -> int:
        """How many speakers the voice model ``model`` has (1 for a single-speaker model)."""
        ...

    def synthesize(self, job: SpeechJob) -> Speech:
        """Speak one line."""
        ...


# name -> "module:Class"; imported on first use only.
REGISTRY: dict[str, str] = {
    "piper": "showrunner.tools.tts_piper:PiperBackend",
    "openai": "showrunner.tools.tts_openai:OpenAISpeechBackend",
}


def tts_names() -> list[str]:
    return sorted(REGISTRY)


def get_tts(name: str, settings: Settings) -> SpeechBackend:
    """Build the speech backend registered as ``name``; an unknown name is a one-line error listing valid ones."""
    entry = REGISTRY.get(name)
    if entry is None:
        raise BadInput(f"unknown speech backend {name!r}; valid: {', '.join(tts_names())}")
    module_name, cls_name = entry.split(":")
    backend: SpeechBackend = getattr(importlib.import_module(module_name), cls_name)(settings)
    return backend
