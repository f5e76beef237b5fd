"""Audio through ffmpeg (imageio-ffmpeg's bundled binary) and soundfile: no DSP or WAV writer by hand.

* :func:`run_filter` pipes float32 samples through an ffmpeg ``-af`` chain (pitch with ``rubberband``,
  timbre with ``bass``/``treble`` shelves,
  the O.S. / recording colour with ``lowpass``/``bandpass``, ducking with ``sidechaincompress``).
* :func:`loudness` measures integrated loudness (LUFS) with the ``ebur128`` filter;
  :func:`normalise` brings a mix to a target within ``tolerance`` LU: gain, a true-peak limiter
  (``alimiter``), measure again, correct.
* :func:`wav_bytes` / :func:`read_wav` encode and decode WAV with soundfile (libsndfile).
* :func:`mux_audio` puts an AAC track into an mp4 next to its video and subtitle streams.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from showrunner.errors import ServiceError

RATE = 48_000  # the mix and the AAC track
_I_RE = re.compile(r"I:\s+(-?[\d.]+|-inf)\s+LUFS")


def ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _run(cmd: list[str], what: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(cmd, input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip()[-200:]
        raise ServiceError(f"ffmpeg could not {what}: {tail}")
    return proc


def run_filter(samples: np.ndarray, rate: int, chain: str, *, out_rate: int | None = None) -> np.ndarray:
    """Mono float32 ``samples`` through the ffmpeg filter ``chain``; returns mono float32 at ``out_rate``."""
    out_rate = out_rate or rate
    cmd = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1",
           "-i", "pipe:0", "-af", chain, "-f", "f32le", "-ar", str(out_rate), "-ac", "1", "pipe:1"]
    proc = _run(cmd, f"apply {chain.split('=')[0]}", np.ascontiguousarray(samples, dtype="<f4").tobytes())
    return np.frombuffer(proc.stdout, dtype="<f4").copy()


def resample(samples: np.ndarray, rate: int, out_rate: int = RATE) -> np.ndarray:
    return samples if rate == out_rate else run_filter(samples, rate, "aresample=resampler=soxr", out_rate=out_rate)


def voice_fx(samples: np.ndarray, rate: int, semitones: float, timbre: float = 0.0, *,
             out_rate: int | None = None) -> np.ndarray:
    """Shift pitch by ``semitones`` keeping the tempo (rubberband; formants move with it) and tilt the timbre.

    ``timbre`` in [-1, 1] lifts the bass and cuts the treble (darker) or the reverse (brighter);
    ``out_rate`` resamples in the same ffmpeg pass.
    """
    chain = [f"rubberband=pitch={2 ** (semitones / 12):.6f}"] if abs(semitones) >= 1e-3 else []
    if abs(timbre) >= 1e-3:
        chain += [f"bass=g={-5 * timbre:.2f}:f=300", f"treble=g={7 * timbre:.2f}:f=2800", "alimiter=limit=0.95"]
    if not chain:
        return resample(samples, rate, out_rate or rate)
    return run_filter(samples, rate, ",".join(chain), out_rate=out_rate)


def wav_bytes(samples: np.ndarray, rate: int, *, channels: int = 1) -> bytes:
    """16-bit PCM WAV of mono samples (``channels=2`` duplicates them to a stereo stem)."""
    import soundfile as sf

    data = np.clip(samples, -1.0, 1.0)
    if channels == 2:
        data = np.stack([data, data], axis=1)
    buf = io.BytesIO()
    sf.write(buf, data, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and rate of an audio file soundfile reads (WAV, FLAC, OGG ...)."""
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1).astype(np.float32), int(rate)


def decode(path: Path, seconds: float) -> np.ndarray:
    """Any audio file ffmpeg reads (mp3, m4a, wav ...) as mono float32 at :data:`RATE`, looped to ``seconds``."""
    cmd = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-stream_loop", "-1", "-i", str(path), "-t",
           f"{seconds:.3f}", "-vn", "-f", "f32le", "-ar", str(RATE), "-ac", "1", "pipe:1"]
    samples = np.frombuffer(_run(cmd, f"read {path.name}").stdout, dtype="<f4").copy()
    return np.pad(samples, (0, max(0, round(seconds * RATE) - len(samples))))[: round(seconds * RATE)]


def loudness(samples: np.ndarray, rate: int = RATE) -> float:
    """Integrated loudness in LUFS of mono ``samples`` as delivered: on both channels of a stereo track.

    EBU R128 (ffmpeg ``ebur128``) sums the channels' power, so the stereo file reads 3 dB above the mono
    signal; ``-inf`` for silence.
    """
    cmd = [ffmpeg(), "-hide_banner", "-nostats", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
           "-af", "pan=stereo|c0=c0|c1=c0,ebur128=framelog=quiet", "-f", "null", "-"]
    err = _run(cmd, "measure loudness", np.ascontiguousarray(samples, dtype="<f4").tobytes()).stderr
    found = _I_RE.findall(err.decode("utf-8", "replace"))
    level = float(found[-1]) if found and found[-1] != "-inf" else float("-inf")
    return level if level > -70.0 else float("-inf")  # ebur128 reports all-gated silence as -70


def normalise(samples: np.ndarray, target: float, *, rate: int = RATE, tolerance: float = 0.3,
              peak_db: float = -1.0) -> tuple[np.ndarray, float]:
    """Gain + true-peak limiting until integrated loudness is within ``tolerance`` LU of ``target``.

    Returns the normalised samples and their measured loudness. Silence is returned unchanged.
    """
    level = loudness(samples, rate)
    out = samples
    for _ in range(4):
        if not np.isfinite(level) or abs(level - target) <= tolerance:
            break
        gain = 10 ** ((target - level) / 20)
        limit = 10 ** (peak_db / 20)
        out = run_filter(out * gain, rate, f"alimiter=limit={limit:.4f}:attack=5:release=50:level=disabled")
        level = loudness(out, rate)
    return out, level


def mux_audio(mp4: bytes, wav: bytes, *, bitrate: str = "160k") -> bytes:
    """The mp4 with ``wav`` added as an AAC stream (video and subtitle streams copied untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, aud, dst = Path(tmp) / "in.mp4", Path(tmp) / "mix.wav", Path(tmp) / "out.mp4"
        src.write_bytes(mp4)
        aud.write_bytes(wav)
        _run([ffmpeg(), "-y", "-hide_banner", "-loglevel", "error", "-i", str(src), "-i", str(aud),
              "-map", "0:v", "-map", "0:s?", "-map", "1:a", "-c:v", "copy", "-c:s", "copy", "-c:a", "aac",
              "-b:a", bitrate, "-movflags", "+faststart", str(dst)], "add the audio track")
        return dst.read_bytes()
