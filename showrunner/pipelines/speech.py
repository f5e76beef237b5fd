"""Every dialogue line synthesised once into the content-addressed speech cache.

A line's key is the SHA-256 of its text and its speaker's voice as the backend sees it
(``SpeechBackend.identity``: backend, version, model, speaker, rate, pitch, timbre); equal key, equal file at
``renders/audio/<k[:2]>/<k>.wav`` (48 kHz mono, pitch and timbre applied, C2PA-signed, JSON sidecar). A
second render synthesises nothing; editing one line synthesises that line only. Each synthesis is a meter
item (``stage: tts``, booked by the caller's meter like keyframes and clips) with seconds of audio, backend
and cost.
:func:`synthesize_episode` runs in a thread beside the keyframe renders (ONNX Runtime and ffmpeg
release the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from showrunner.config import Settings
from showrunner.models import Shot
from showrunner.pipelines import sound
from showrunner.pipelines.provenance import Provenance
from showrunner.pipelines.render_jobs import cache_path, digest
from showrunner.pipelines.voices import Casting
from showrunner.tools.tts import SpeechBackend, SpeechJob, get_tts

SPEECH_VERSION = "speech-1"


@dataclass
class LineAudio:
    """One line's audio in the cache."""

    shot: str
    index: int
    speaker: str
    voice: dict[str, Any]
    key: str
    path: Path
    seconds: float
    status: str  # "synthesized" | "reused"


@dataclass
class SpeechResult:
    """All lines of an episode, with the counts ``render --json`` reports."""

    lines: dict[tuple[str, int], LineAudio] = field(default_factory=dict)
    synthesized: int = 0
    reused: int = 0
    audio_seconds: float = 0.0
    seconds: float = 0.0
    booked: list[dict[str, Any]] = field(default_factory=list)  # one meter item per synthesised line

    def durations(self) -> dict[tuple[str, int], float]:
        return {k: v.seconds for k, v in self.lines.items()}


def _seconds_of(path: Path) -> float:
    import soundfile as sf

    return float(sf.info(str(path)).duration)


def synthesize_episode(root: Path, settings: Settings, episode: int, shots: list[Shot], casting: Casting,
                       prov: Provenance, *, force: bool = False,
                       progress: Callable[[dict[str, Any]], None] | None = None) -> SpeechResult:
    """Synthesise every line of ``shots`` that is not in the cache under ``root`` (the renders folder)."""
    t0 = time.perf_counter()
    result = SpeechResult()
    backends: dict[str, SpeechBackend] = {}
    for shot in shots:
        for i, line in enumerate(shot.dialogue):
            who, voice = casting.speaker(line)
            tts = backends.get(voice.backend) or backends.setdefault(voice.backend, get_tts(voice.backend, settings))
            ident = tts.identity(voice)
            key = digest({"kind": "line", "v": SPEECH_VERSION, "text": line.text.strip(), "voice": ident})
            path = cache_path(root, "audio", key, ".wav")
            sid = shot.id or ""
            if path.is_file() and not force:
                secs = _seconds_of(path)
                result.lines[(sid, i)] = LineAudio(sid, i, who, ident, key, path, secs, "reused")
                result.reused += 1
                result.audio_seconds += secs
                continue
            t = time.perf_counter()
            speech = tts.synthesize(SpeechJob(line.text.strip(), voice, line.direction))
            samples = sound.voice_fx(speech.samples, speech.sample_rate, voice.pitch, voice.timbre,
                                     out_rate=sound.RATE)
            took = time.perf_counter() - t
            secs = len(samples) / sound.RATE
            side = {"kind": "line", "episode": episode, "shot": sid, "line": i, "speaker": who,
                    "text": line.text, "key": key, "backend": ident, "params": speech.params,
                    "seconds_audio": round(secs, 3)}
            prov.write(path, sound.wav_bytes(samples, sound.RATE), title=f"ep{episode:03d} {sid} line {i + 1}",
                       sidecar=side)
            result.lines[(sid, i)] = LineAudio(sid, i, who, ident, key, path, secs, "synthesized")
            result.synthesized += 1
            result.audio_seconds += secs
            result.booked.append({"stage": "tts", "backend": tts.name, "seconds": round(took, 4), "gpu_seconds": 0.0,
                                  "cost_usd": speech.cost_usd, "shot": sid, "line": i, "speaker": who,
                                  "model": ident.get("model"), "audio_seconds": round(secs, 3),
                                  "chars": len(line.text), "retries": speech.retries})
            if progress:
                progress({"stage": "line", "shot": f"{sid}#{i + 1}", "status": "synthesized"})
    result.seconds = time.perf_counter() - t0
    return result

