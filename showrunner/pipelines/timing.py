"""The one timing of an episode's cut: how long each shot lasts and when each line is heard.

Pure: shots and (optionally) each line's speech length in, shot durations and line spans out. With
speech, a shot lasts as long as its lines (a lead-in, the lines with a gap between them, a pause after)
or its planned length if that is longer, and each line's span is exactly its audio. Without speech (a
silent cut), a shot keeps its planned length and its lines share it equally. Durations are whole frames
so picture, sound and subtitles stay on the same clock. Subtitles (:func:`showrunner.pipelines.assemble
.cues_for`), the OTIO markers and audio clips, and the mix all read these spans.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from showrunner.models import DialogueLine, Shot
from showrunner.world.lexicon import NOT_PRESENT

LEAD_S = 0.25  # silence before a shot's first line
GAP_S = 0.3  # between two lines of one shot
PAUSE_S = 0.5  # after a shot's last line
Mark = Literal["", "V.O.", "O.S.", "recording"]
_VO = re.compile(r"\b(v\.?\s?o\.?|voice[- ]?over|narrat\w*)(?!\w)", re.I)
_DEVICE = re.compile(r"\b(record(ed|ing|ings)?|tapes?|voicemail|message|radio|phone|call|intercom|broadcast|video|"
                     r"footage|screen|hologram|holographic|projection|speaker)\b", re.I)
_OS = re.compile(r"\b(o\.?\s?s\.?|o\.?\s?c\.?|off[- ]?screen|off[- ]?camera|offstage)(?!\w)", re.I)


def mark_of(line: DialogueLine) -> Mark:
    """How a line is heard: voice-over, off-screen, through a device ('recording'), or '' (on screen)."""
    text = f"{line.direction} {line.speaker}"
    if _VO.search(text):
        return "V.O."
    if _OS.search(text):
        return "O.S."
    if _DEVICE.search(text):
        return "recording"
    return "V.O." if NOT_PRESENT.search(text) else ""  # memories, dreams, visions: heard, not seen


@dataclass(frozen=True)
class Span:
    """One line on the episode's clock."""

    shot: str
    index: int
    start: float
    end: float
    speaker: str
    text: str
    mark: Mark = ""

    @property
    def label(self) -> str:
        """The subtitle text: ``SPEAKER: text``, with the mark after the name (``MAREN (V.O.): ...``)."""
        who = self.speaker.split("(")[0].strip().upper() if self.mark else self.speaker.upper()
        return f"{who} ({self.mark}): {self.text}" if self.mark else f"{who}: {self.text}"


@dataclass(frozen=True)
class Timeline:
    """Shot id -> (start, duration) in order, and every line's span."""

    shots: dict[str, tuple[float, float]]
    lines: list[Span]

    @property
    def seconds(self) -> float:
        return sum(d for _, d in self.shots.values())

    def duration(self, shot_id: str) -> float:
        return self.shots[shot_id][1]


def _frames(seconds: float, fps: int, up: bool = False) -> float:
    n = math.ceil(seconds * fps - 1e-6) if up else round(seconds * fps)
    return max(1, n) / fps


def plan(shots: list[Shot], fps: int, speech: dict[tuple[str, int], float] | None = None) -> Timeline:
    """The timeline of ``shots``; ``speech`` maps (shot id, line index) to seconds of audio."""
    out: dict[str, tuple[float, float]] = {}
    spans: list[Span] = []
    t = 0.0
    for shot in shots:
        sid, lines = shot.id or "", shot.dialogue
        if speech is None or not lines:
            dur = _frames(shot.duration, fps)
            step = dur / max(1, len(lines))
            starts = [(i * step, (i + 1) * step) for i in range(len(lines))]
        else:
            lengths = [speech[(sid, i)] for i in range(len(lines))]
            need = LEAD_S + sum(lengths) + GAP_S * (len(lines) - 1) + PAUSE_S
            dur = _frames(max(shot.duration, need), fps, up=True)
            starts, at = [], LEAD_S
            for n in lengths:
                starts.append((at, at + n))
                at += n + GAP_S
        for i, (line, (a, b)) in enumerate(zip(lines, starts, strict=True)):
            spans.append(Span(sid, i, round(t + a, 4), round(t + b, 4), line.speaker, line.text, mark_of(line)))
        out[sid] = (round(t, 4), dur)
        t += dur
    return Timeline(out, spans)
