"""The episode's sound: dialogue placed on the timeline, an optional ducked bed, loudness-normalised.

* Dialogue: each line's cached audio at its span (:mod:`showrunner.pipelines.timing`). Lines are
  coloured by how they are heard: ``O.S.`` is quieter and duller (lowpass), ``recording`` (radio, phone,
  tape) band-limited like a small speaker, ``V.O.`` stays dry and close, on-screen lines untouched.
* Bed: a music or ambience file the user names (``audio_bed`` in settings, or ``render --bed``), looped
  to the episode's length and ducked under the dialogue with ffmpeg's ``sidechaincompress``.
* Loudness: the mix is brought to ``loudness_target`` LUFS (−14 social default, −23 broadcast) as
  measured by ffmpeg's ``ebur128`` (:func:`showrunner.pipelines.sound.normalise`).

The stems (dialogue, bed, mix) are 48 kHz stereo WAV files, each signed with C2PA.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from showrunner.errors import BadInput
from showrunner.pipelines import sound
from showrunner.pipelines.speech import SpeechResult
from showrunner.pipelines.timing import Mark, Timeline

COLOUR: dict[Mark, str] = {
    "O.S.": "lowpass=f=2800,volume=0.55",
    "recording": "highpass=f=320,lowpass=f=3400,acompressor=threshold=0.1:ratio=4,volume=0.8",
}
BED_LEVEL_DB = -20.0  # the bed's level before ducking, relative to full scale


@dataclass
class Mix:
    """The mixed episode and its stems (mono float32 at :data:`sound.RATE`)."""

    mix: np.ndarray
    dialogue: np.ndarray
    bed: np.ndarray | None
    loudness: float

    def stems(self) -> dict[str, np.ndarray]:
        out = {"dialogue": self.dialogue, "mix": self.mix}
        if self.bed is not None:
            out["bed"] = self.bed
        return out


def dialogue_track(timeline: Timeline, speech: SpeechResult) -> np.ndarray:
    """Every line's audio at its span, coloured by its mark, on a silent track as long as the cut."""
    total = round(timeline.seconds * sound.RATE)
    track = np.zeros(total, dtype=np.float32)
    for span in timeline.lines:
        samples, rate = sound.read_wav(speech.lines[(span.shot, span.index)].path)
        samples = sound.resample(samples, rate)
        if span.mark in COLOUR:
            samples = sound.run_filter(samples, sound.RATE, COLOUR[span.mark])
        start = round(span.start * sound.RATE)
        piece = samples[: max(0, total - start)]
        track[start:start + len(piece)] += piece
    return track


def duck(bed: np.ndarray, dialogue: np.ndarray) -> np.ndarray:
    """The bed compressed whenever the dialogue speaks (sidechain), so words stay clear."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        b, d = Path(tmp) / "bed.f32", Path(tmp) / "dlg.f32"
        b.write_bytes(np.ascontiguousarray(bed, dtype="<f4").tobytes())
        d.write_bytes(np.ascontiguousarray(dialogue, dtype="<f4").tobytes())
        raw = ["-f", "f32le", "-ar", str(sound.RATE), "-ac", "1", "-i"]
        cmd = [sound.ffmpeg(), "-hide_banner", "-loglevel", "error", *raw, str(b), *raw, str(d),
               "-filter_complex", "[0:a][1:a]sidechaincompress=threshold=0.02:ratio=10:attack=15:release=350"
               ":makeup=1[out]", "-map", "[out]", "-f", "f32le", "-ar", str(sound.RATE), "-ac", "1", "pipe:1"]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            raise BadInput(f"cannot duck the bed: {proc.stderr.decode('utf-8', 'replace').strip()[-160:]}")
        out = np.frombuffer(proc.stdout, dtype="<f4").copy()
    return np.pad(out, (0, max(0, len(bed) - len(out))))[: len(bed)]


def mix_episode(timeline: Timeline, speech: SpeechResult, *, target: float, bed_path: Path | None = None) -> Mix:
    """Dialogue (+ ducked bed) normalised to ``target`` LUFS, exactly as long as the cut."""
    dialogue = dialogue_track(timeline, speech)
    bed = None
    total = dialogue
    if bed_path is not None:
        if not bed_path.is_file():
            raise BadInput(f"audio bed {bed_path} not found; give an existing music or ambience file")
        raw = sound.decode(bed_path, timeline.seconds)
        peak = float(np.max(np.abs(raw))) or 1.0
        bed = duck(raw / peak * 10 ** (BED_LEVEL_DB / 20), dialogue)
        total = dialogue + bed
    mixed, level = sound.normalise(total, target)
    return Mix(mixed.astype(np.float32), dialogue, bed, level)


def timed_mean_db(samples: np.ndarray, timeline: Timeline) -> float:
    """Mean volume (RMS, dBFS) over the spans where someone speaks: the 'not silent' figure."""
    parts = [samples[round(s.start * sound.RATE):round(s.end * sound.RATE)] for s in timeline.lines]
    joined = np.concatenate(parts) if parts else np.zeros(1, dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(joined, dtype=np.float64)))) if joined.size else 0.0
    return 20 * float(np.log10(rms)) if rms > 0 else float("-inf")
