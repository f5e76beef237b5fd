"""How different two voices sound: mean pitch and an MFCC profile, measured with numpy alone.

Used by the voice-distinctness test and benchmark (``evals/audio_bench.py``): two characters' voices are
distinct when the distance between them is well above the spread of one character's own lines.

* :func:`mean_pitch` — median F0 (Hz) over voiced 50 ms frames by YIN (the first dip of the
  cumulative-mean-normalised difference below 0.3, between 50 and 500 Hz).
* :func:`mfcc_profile` — the mean of 12 MFCCs (26 mel bands, 25 ms Hann frames, DCT-II, c0 dropped)
  over frames above the energy floor: a timbre fingerprint.
* :func:`distance` — both, as (|pitch difference| in semitones, Euclidean MFCC distance).
"""

from __future__ import annotations

import math

import numpy as np


def _frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    if len(x) < size:
        x = np.pad(x, (0, size - len(x)))
    n = 1 + (len(x) - size) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


def _loud(frames: np.ndarray, floor_db: float = -35.0) -> np.ndarray:
    """Frames within ``floor_db`` of the loudest frame (speech, not the pauses)."""
    energy = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    return frames[energy > energy.max() + floor_db]


def _yin_lag(cmnd: np.ndarray, lo: int, hi: int, threshold: float) -> int | None:
    """The first dip of the cumulative-mean-normalised difference below ``threshold`` (YIN), else None."""
    below = np.flatnonzero(cmnd[lo:hi] < threshold)
    if not below.size:
        return None
    tau = lo + int(below[0])
    while tau + 1 < hi and cmnd[tau + 1] < cmnd[tau]:
        tau += 1
    return tau


def mean_pitch(samples: np.ndarray, rate: int, lo: float = 50.0, hi: float = 500.0,
               threshold: float = 0.3) -> float:
    """Median fundamental frequency in Hz over voiced frames (YIN); NaN when nothing is voiced."""
    win, hop = int(0.03 * rate), int(0.01 * rate)  # difference over 30 ms, lags up to 30 ms
    frames = _loud(_frames(samples.astype(np.float64), 2 * win, hop))
    n = 4 * win
    r = np.fft.irfft(np.fft.rfft(frames, n=n, axis=1) * np.conj(np.fft.rfft(frames[:, :win], n=n, axis=1)),
                     n=n, axis=1)[:, :win]
    cs = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames ** 2, axis=1)], axis=1)
    lags = np.arange(win)
    diff = cs[:, win:win + 1] + (cs[:, lags + win] - cs[:, lags]) - 2 * r  # d(tau) = e(0) + e(tau) - 2 r(tau)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * lags[1:] / (np.cumsum(diff[:, 1:], axis=1) + 1e-12)
    size = win
    lag_lo, lag_hi = int(rate / hi), min(size - 1, int(rate / lo))
    f0 = [rate / tau for row in cmnd if (tau := _yin_lag(row, lag_lo, lag_hi, threshold))]
    return float(np.median(f0)) if f0 else float("nan")


def _mel(hz: np.ndarray) -> np.ndarray:
    return 2595 * np.log10(1 + hz / 700)


def _filterbank(rate: int, n_fft: int, bands: int) -> np.ndarray:
    edges = 700 * (10 ** (np.linspace(_mel(np.array(0.0)), _mel(np.array(rate / 2)), bands + 2) / 2595) - 1)
    bins = np.fft.rfftfreq(n_fft, 1 / rate)
    fb = np.zeros((bands, len(bins)))
    for b in range(bands):
        left, mid, right = edges[b], edges[b + 1], edges[b + 2]
        fb[b] = np.clip(np.minimum((bins - left) / (mid - left), (right - bins) / (right - mid)), 0, None)
    return fb


def mfcc_profile(samples: np.ndarray, rate: int, n: int = 12, bands: int = 26) -> np.ndarray:
    """Mean MFCC 1..n over the speech frames of ``samples``."""
    size, hop = int(0.025 * rate), int(0.01 * rate)
    frames = _loud(_frames(samples.astype(np.float64), size, hop)) * np.hanning(size)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    logmel = np.log(power @ _filterbank(rate, size, bands).T + 1e-10)
    k = np.arange(bands)
    dct = np.cos(np.pi / bands * (k[None, :] + 0.5) * np.arange(n + 1)[:, None])
    coeffs = logmel @ dct.T
    return np.asarray(coeffs[:, 1:].mean(axis=0))


def distance(a: np.ndarray, b: np.ndarray, rate: int) -> tuple[float, float]:
    """(pitch difference in semitones, MFCC distance) between two recordings at ``rate``."""
    pa, pb = mean_pitch(a, rate), mean_pitch(b, rate)
    semis = abs(12 * math.log2(pa / pb)) if pa > 0 and pb > 0 else float("nan")
    return semis, float(np.linalg.norm(mfcc_profile(a, rate) - mfcc_profile(b, rate)))
