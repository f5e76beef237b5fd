"""Where a storyboard panel's caption band goes and how its text is wrapped: one pure layout, measured.

The preview renderer draws the band from :func:`caption_layout`, and the cut reads the same layout's
``top`` to keep burned-in subtitles above the band (:func:`clear_bottom`), so the two never overlap.
Text is wrapped by the pixel width of the real font, never by a character estimate: every line's box
lies inside the panel's margins. When the action and dialogue do not fit in the band's maximum height
(40 % of the panel) the font shrinks; only below the smallest size is the last line cut with an ellipsis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from showrunner.tools import draw as d

if TYPE_CHECKING:
    from showrunner.tools.base import RenderJob

MAX_SHARE = 0.4  # of the panel height
MIN_SIZE = 9
LEADING = 1.3  # line pitch, in font sizes
PAD = 0.45  # band padding above the first line, in font sizes


@dataclass(frozen=True)
class Line:
    """One caption line: its text, whether it is spoken (bold) or action (italic), where it is drawn."""

    text: str
    spoken: bool
    x: float
    y: float
    size: int

    def font(self) -> d.Font:
        return d.font(self.size, bold=self.spoken, italic=not self.spoken)

    def box(self) -> tuple[float, float, float, float]:
        """The ink box of the drawn text in panel pixels (left, top, right, bottom)."""
        x0, y0, x1, y1 = self.font().getbbox(self.text)
        return self.x + x0, self.y + y0, self.x + x1, self.y + y1


@dataclass(frozen=True)
class Caption:
    """The caption band: from ``top`` to the bottom of the panel, and its lines."""

    top: int
    size: int
    margin: float
    lines: list[Line]


def _texts(job: RenderJob) -> list[tuple[str, bool]]:
    out = [(job.shot.action or "(no action)", False)]
    for line in job.shot.dialogue:
        out.append((f"{line.speaker.upper()}: “{line.text}”" + (f" ({line.direction})" if line.direction else ""),
                    True))
    return out


def _wrapped(job: RenderJob, size: int, width: float) -> list[tuple[str, bool]]:
    return [(part, spoken) for text, spoken in _texts(job)
            for part in d.wrap(text, d.font(size, bold=spoken, italic=not spoken), width)]


def _height(n: int, size: int) -> int:
    return int(n * size * LEADING + size * 0.9)


def caption_layout(job: RenderJob) -> Caption:
    """The caption band of ``job``'s panel: every line wrapped to the panel and placed inside the band."""
    w, h = job.width, job.height
    limit = int(h * MAX_SHARE)
    base = max(10, min(w, h) // 26)
    size = base
    for size in range(base, MIN_SIZE - 1, -1):
        margin = size * 0.7
        lines = _wrapped(job, size, w - 2 * margin)
        if _height(len(lines), size) <= limit:
            break
    margin = size * 0.7
    keep = max(1, int((limit - size * 0.9) / (size * LEADING)))
    if len(lines) > keep:  # even the smallest size is too tall: cut the last kept line with an ellipsis
        last, spoken = lines[keep - 1]
        lines = [*lines[:keep - 1],
                 (d.ellipsize(last, d.font(size, bold=spoken, italic=not spoken), w - 2 * margin), spoken)]
    top = h - min(_height(len(lines), size), limit)
    y = top + size * PAD
    placed = []
    for text, spoken in lines:
        placed.append(Line(text, spoken, margin, y, size))
        y += size * LEADING
    return Caption(top, size, margin, placed)


def clear_bottom(job: RenderJob) -> int:
    """Pixels at the bottom of ``job``'s panel that burned-in subtitles must leave free (the band)."""
    return job.height - caption_layout(job).top
