"""Frame QA: after each keyframe, a critic scores how well each on-screen character matches their reference.

The critic embeds the frame and each character's reference sheet with the configured image encoder
(``frame_encoder``, :mod:`showrunner.tools.frame_encoder`). A character's score is the cosine similarity
between the sheet and the best-matching region of the frame: the whole frame or the vertical strip the
storyboard layout gives that character (figures stand in evenly spaced slots, left to right, in cast
order). Pixel statistics flag broken frames first: not finite, near-constant (``blank``) or all but black
(``black``). Where the encoder can (a whole CLIP with its text tower) it also counts the people in the
frame zero-shot and flags a count other than the shot's cast (close-ups excepted: a face fills them).
A frame passes when it has no flag and every score reaches ``qa_threshold``.

A failing frame is re-rendered with a new seed (:func:`~showrunner.pipelines.render_jobs.take_seed`), at
most ``qa_retakes`` times (never on a backend whose frames do not depend on the seed: ``seeded = False``);
the best take is kept (the first that passes, else the highest lowest score) and every take is recorded
on the shot (:class:`ShotQA`), so the ledger books each retake. Without an
encoder there is no critic: render says so once and frames pass unchecked, never with a made-up score.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from showrunner.models import Framing
from showrunner.pipelines.render_jobs import take_seed

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.tools.base import Backend, RenderJob, RenderOutput
    from showrunner.tools.frame_encoder import FrameEncoder

CLOSE = (Framing.close_up, Framing.extreme_close_up)
NO_ENCODER = "frame QA off: no frame_encoder configured, frames pass unchecked"
BLANK_STD = 2.0  # grey levels: a frame this flat shows nothing
BLACK_MEAN = 4.0


class FrameQA(BaseModel):
    """The critic's verdict on one take of a keyframe."""

    take: int = Field(description="0 is the planned seed; k is the k-th retake.")
    seed: int
    scores: dict[str, float] = Field(default_factory=dict, description="Character id -> cosine similarity.")
    flags: list[str] = Field(default_factory=list, description="blank, black or broken frames; a wrong count.")
    count: int | None = Field(None, description="People the encoder counted (None: it cannot count).")
    passed: bool
    seconds: float = Field(0.0, description="Seconds spent rendering this take (0 for take 0: the shot's own).")

    @property
    def worst(self) -> float:
        return -2.0 if self.flags else min(self.scores.values(), default=1.0)


class ShotQA(BaseModel):
    """Every take of one shot, which one was kept, and the bar it was held to."""

    threshold: float
    encoder: str
    takes: list[FrameQA]
    kept: int = Field(description="Index into takes of the frame used.")

    @property
    def passed(self) -> bool:
        return self.takes[self.kept].passed

    def summary(self) -> str:
        """'ada-quill 0.91, bruno 0.88' plus retakes and flags, for gates and reports."""
        t = self.takes[self.kept]
        text = ", ".join(f"{c} {s:.2f}" for c, s in t.scores.items()) or "no characters"
        if t.flags:
            text += f" [{', '.join(t.flags)}]"
        if len(self.takes) > 1:
            text += f"; {len(self.takes) - 1} retake(s), kept take {t.take}"
        return text + ("" if t.passed else f"; below {self.threshold:.2f}")


def pixel_flags(image: Image.Image) -> list[str]:
    """``broken`` (not finite), ``blank`` (near-constant) or ``black`` frames, from pixel statistics."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float64)
    if arr.size == 0 or not np.isfinite(arr).all():
        return ["broken"]
    if float(arr.mean()) < BLACK_MEAN:
        return ["black"]
    if float(arr.std()) < BLANK_STD:
        return ["blank"]
    return []


def regions(image: Image.Image, n: int) -> list[Image.Image]:
    """The whole frame and, for ``n`` > 1 characters, one vertical strip per layout slot."""
    out = [image]
    if n > 1:
        w, h = image.size
        for i in range(n):
            cx, half = w * (i + 1) / (n + 1), w / (2 * n)
            out.append(image.crop((max(0, int(cx - half)), 0, min(w, int(cx + half)), h)))
    return out


class FrameCritic:
    """Scores keyframes against reference sheets with one image encoder."""

    def __init__(self, encoder: FrameEncoder, threshold: float, retakes: int) -> None:
        self.encoder, self.threshold, self.retakes = encoder, threshold, retakes
        self._refs: dict[str, np.ndarray] = {}

    def _ref(self, path: str) -> np.ndarray:
        st = Path(path).stat()
        key = f"{path}:{st.st_size}:{st.st_mtime_ns}"  # a sheet rewritten in place is embedded again
        if key not in self._refs:
            with Image.open(path) as im:
                self._refs[key] = self.encoder.embed([im.convert("RGB")])[0]
        return self._refs[key]

    def review(self, image: Image.Image, job: RenderJob, refs: dict[str, Path], take: int = 0,
               seconds: float = 0.0) -> FrameQA:
        """Score one frame of ``job`` against ``refs`` (character id -> sheet) of its on-screen characters."""
        flags = pixel_flags(image)
        scores: dict[str, float] = {}
        count = None
        cast = [c.id for c in job.characters if c.id in refs]
        if not flags:
            if cast:
                crops = self.encoder.embed(regions(image, len(job.characters)))
                for cid in cast:
                    scores[cid] = round(float((crops @ self._ref(str(refs[cid]))).max()), 4)
            expected = len(job.characters)
            if job.shot.framing not in CLOSE and expected <= 4:
                count = self.encoder.count_people(image)
                if count is not None and count != expected:
                    flags.append(f"count {count} not {expected}")
        passed = not flags and all(s >= self.threshold for s in scores.values())
        return FrameQA(take=take, seed=job.seed, scores=scores, flags=flags, count=count, passed=passed,
                       seconds=round(seconds, 4))

    def check(self, backend: Backend, jobs: list[RenderJob], outputs: list[RenderOutput],
              refs: list[dict[str, Path]]) -> tuple[list[RenderOutput], list[ShotQA]]:
        """Review a rendered batch, re-render failures with new seeds up to the bound; keep each shot's best."""
        takes = [[self.review(out.frames[0], job, r)] for job, out, r in zip(jobs, outputs, refs, strict=True)]
        kept = list(outputs)
        bound = self.retakes if getattr(backend, "seeded", True) else 0  # a new seed changes nothing there
        for k in range(1, bound + 1):
            failing = [i for i, t in enumerate(takes) if not any(x.passed for x in t)]
            if not failing:
                break
            retry = [dataclasses.replace(jobs[i], seed=take_seed(jobs[i].seed, k)) for i in failing]
            start = time.perf_counter()
            outs = backend.render(retry)
            per = (time.perf_counter() - start) / len(retry)
            for i, job, out in zip(failing, retry, outs, strict=True):
                qa = self.review(out.frames[0], job, refs[i], k, per)
                if qa.passed or qa.worst > max(x.worst for x in takes[i]):
                    kept[i] = out
                takes[i].append(qa)
        shots = []
        for t in takes:
            best = next((j for j, x in enumerate(t) if x.passed), max(range(len(t)), key=lambda j: t[j].worst))
            shots.append(ShotQA(threshold=self.threshold, encoder=self.encoder.path, takes=t, kept=best))
        return kept, shots


def critic_for(settings: Settings) -> FrameCritic | None:
    """The configured critic, or None (no ``frame_encoder``: frames pass unchecked)."""
    from showrunner.tools.frame_encoder import load_encoder

    encoder = load_encoder(settings)
    if encoder is None:
        return None
    key = (id(encoder), settings.qa_threshold, settings.qa_retakes)  # one per process: reference embeddings persist
    if key not in _CRITICS:  # across the keyframe batches of a render (and of a Ray worker's night)
        _CRITICS[key] = FrameCritic(encoder, settings.qa_threshold, settings.qa_retakes)
    return _CRITICS[key]


_CRITICS: dict[tuple[int, float, int], FrameCritic] = {}
