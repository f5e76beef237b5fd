"""``preview``: the embedded storyboard renderer (CPU, Pillow, no weights), the animatic stage.

Each shot becomes a panel a person can review: the location as a backdrop, every on-screen character
as a labelled figure in their canonical palette, scaled and cropped by framing (wide: small full
figures; medium: waist up; close-up: the head fills the frame), the camera move as an arrow, a header
with shot id, framing and duration, and a caption band with the action and the dialogue. Pure
function of the job: the same spec gives the same bytes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, NamedTuple

from PIL import Image, ImageDraw, ImageFilter

from showrunner.models import CameraMove, Character, Framing, Location
from showrunner.tools import draw as d
from showrunner.tools.base import RenderJob, RenderOutput
from showrunner.tools.caption import Caption, caption_layout
from showrunner.tools.look import Backdrop, character_palette, location_backdrop

if TYPE_CHECKING:
    from showrunner.config import Settings

VERSION = "preview-2"  # 2: captions wrapped by measured width, never cut mid-line
# framing -> (figure height / panel height, head top as fraction of panel height, backdrop zoom)
SCALE: dict[Framing, tuple[float, float, float]] = {
    Framing.extreme_wide: (0.22, 0.52, 1.0),
    Framing.wide: (0.50, 0.30, 1.0),
    Framing.medium: (1.55, 0.14, 1.5),
    Framing.over_shoulder: (1.55, 0.16, 1.5),
    Framing.close_up: (3.6, 0.10, 2.2),
    Framing.extreme_close_up: (6.0, -0.10, 3.0),
}


class PreviewBackend:
    """Storyboard panels from shot specs; ``render`` is pure and fast (tens of ms per panel)."""

    name = "preview"
    kind = "image"
    seeded = False  # a panel does not depend on the seed: the frame critic never retakes one

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "version": VERSION, "draws_spec": True}

    def render(self, jobs: list[RenderJob]) -> list[RenderOutput]:
        return [
            RenderOutput(
                [draw_panel(j)],
                {"backend": self.name, "version": VERSION, "seed": j.seed, "width": j.width, "height": j.height},
            )
            for j in jobs
        ]


def draw_panel(job: RenderJob) -> Image.Image:
    w, h = job.width, job.height
    unit = min(w, h)
    caption = caption_layout(job)
    header_h, caption_h = max(min(18, h // 8), unit // 16), h - caption.top
    stage = (0, header_h, w, h - caption_h)
    bd = location_backdrop(job.location, job.time_of_day)
    img = Image.new("RGB", (w, h), (20, 20, 24))
    zoom = SCALE.get(job.shot.framing, SCALE[Framing.medium])[2]
    img.paste(_backdrop(bd, w, stage[3] - stage[1], zoom), (0, header_h))
    draw = ImageDraw.Draw(img)
    _figures(draw, job, stage)
    _camera_arrow(draw, job.shot.camera_move, stage, unit)
    _header(draw, job, bd, w, header_h)
    _caption(draw, caption, w, h)
    draw.rectangle((0, 0, w - 1, h - 1), outline=(12, 12, 14), width=max(2, unit // 120))
    return img


def _backdrop(bd: Backdrop, w: int, h: int, zoom: float) -> Image.Image:
    """Sky/wall gradient, ground and props; zoomed and softened for tighter framings (depth of field)."""
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    d.vgradient(draw, (0, 0, w, h), *bd.sky)
    horizon = int(h * (0.58 if bd.kind == "interior" else 0.64))
    rnd = random.Random(bd.seed)
    d.props(draw, bd, rnd, w, h, horizon)
    if zoom > 1:
        cw, ch = int(w / zoom), int(h / zoom)
        x0, y0 = (w - cw) // 2, max(0, horizon - int(ch * 0.75))
        img = img.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.Resampling.BILINEAR)
        img = img.filter(ImageFilter.GaussianBlur(radius=min(6.0, zoom * 1.3)))
    return img


class Placed(NamedTuple):
    """One figure on the stage: who, the head's centre x and top y, full height, seen from behind or not."""

    character: Character
    cx: float
    top: float
    height: float
    back_view: bool = False


def figure_layout(job: RenderJob, stage: tuple[int, int, int, int]) -> list[Placed]:
    """Where the shot's figures stand inside ``stage`` (the one layout the panel, pose skeletons and masks share)."""
    x0, y0, x1, y1 = stage
    sw, sh = x1 - x0, y1 - y0
    chars = job.characters or []
    if not chars:
        return []
    fh, top = SCALE.get(job.shot.framing, SCALE[Framing.medium])[:2]
    framing = job.shot.framing
    if framing in (Framing.close_up, Framing.extreme_close_up):
        speaker = _speaker(job)
        chars = [speaker] if speaker else chars[:1]
    height = min(sh, sw * 1.1) * fh
    if framing == Framing.over_shoulder and len(chars) > 1:
        # the listener's back and shoulder fill the left foreground, the other faces us
        return [Placed(chars[1], x0 + sw * 0.72, y0 + sh * top, height * 0.8),
                Placed(chars[0], x0 + sw * 0.12, y0 + sh * 0.05, height * 1.5, back_view=True)]
    n = len(chars)
    slots = [x0 + sw * (i + 1) / (n + 1) for i in range(n)]
    if n == 1 and framing not in (Framing.close_up, Framing.extreme_close_up):
        slots = [x0 + sw * 0.5]
    shrink = 1.0 if n <= 2 or fh < 1 else 2.4 / n
    return [Placed(c, cx, y0 + sh * top, height * shrink) for cx, c in zip(slots, chars, strict=True)]


def _figures(draw: ImageDraw.ImageDraw, job: RenderJob, stage: tuple[int, int, int, int]) -> None:
    ts = max(10, min(stage[2] - stage[0], stage[3] - stage[1]) // 16)
    for p in figure_layout(job, stage):
        d.figure(draw, p.cx, p.top, p.height, character_palette(p.character), p.character.name,
                 back_view=p.back_view, tag_size=ts, tag_max_y=stage[3])


def _speaker(job: RenderJob) -> Character | None:
    for line in job.shot.dialogue:
        for c in job.characters:
            if line.speaker.strip().lower() in (c.id, c.name.lower(), *(a.lower() for a in c.aliases)):
                return c
    return None


def _camera_arrow(draw: ImageDraw.ImageDraw, move: CameraMove, stage: tuple[int, int, int, int], unit: int) -> None:
    x0, y0, x1, y1 = stage
    cx, cy, m = (x0 + x1) / 2, (y0 + y1) / 2, unit * 0.08
    width = max(3, unit // 70)
    a, b = m, m * 2.6  # corner arrows for dollies: from the corner inwards (in) or outwards (out)
    corners = [
        ((x0 + a, y0 + a), (x0 + b, y0 + b)),
        ((x1 - a, y0 + a), (x1 - b, y0 + b)),
        ((x0 + a, y1 - a), (x0 + b, y1 - b)),
        ((x1 - a, y1 - a), (x1 - b, y1 - b)),
    ]
    lines: dict[CameraMove, list[tuple[float, float, float, float]]] = {
        CameraMove.pan_left: [(x1 - m * 2, y0 + m, x0 + m * 2, y0 + m)],
        CameraMove.pan_right: [(x0 + m * 2, y0 + m, x1 - m * 2, y0 + m)],
        CameraMove.tilt_up: [(x1 - m, y1 - m, x1 - m, y0 + m)],
        CameraMove.tilt_down: [(x1 - m, y0 + m, x1 - m, y1 - m)],
        CameraMove.tracking: [(x0 + m, y1 - m, x1 - m, y1 - m)],
        CameraMove.dolly_in: [(*o, *i) for o, i in corners],
        CameraMove.dolly_out: [(*i, *o) for o, i in corners],
    }
    for seg in lines.get(move, []):
        d.arrow(draw, seg, width)
    if move == CameraMove.handheld:
        pts = [(cx - m * 2 + i * m / 2, y0 + m + (m / 3 if i % 2 else -m / 3)) for i in range(9)]
        draw.line(pts, fill=(20, 20, 20), width=width + 3, joint="curve")
        draw.line(pts, fill=(255, 255, 255), width=width, joint="curve")
    if move != CameraMove.static:
        label = move.value.replace("_", " ").upper()
        d.tag(
            draw,
            (x0 + m * 0.5, y1 - m * 1.6 if move != CameraMove.tracking else y1 - m * 2.6),
            label,
            max(11, unit // 30),
            (255, 255, 255),
            (20, 20, 20),
        )
    _ = cy


def _header(draw: ImageDraw.ImageDraw, job: RenderJob, bd: Backdrop, w: int, hh: int) -> None:
    draw.rectangle((0, 0, w, hh), fill=(22, 22, 28))
    size = max(10, int(hh * 0.62))
    s = job.shot
    framing = s.framing.value.replace("_", " ").upper()
    left = f"{(s.id or f'{s.scene}-{s.number}').upper()}   {framing}   {s.duration:g}s"
    if s.seed and job.seed != s.seed:  # a retake (new seed): say so, the planned take looks as it always did
        left += f"   RETAKE {job.seed % 10_000:04d}"
    draw.text((hh * 0.4, hh / 2), left, font=d.font(size, bold=True), fill=(240, 240, 240), anchor="lm")
    room = w - hh * 1.6 - draw.textlength(left, font=d.font(size, bold=True))
    parts = [f"EP {job.episode}", f"SC {s.scene}", bd.label] + ([job.time_of_day] if job.time_of_day else [])
    while parts and draw.textlength(" · ".join(parts), font=d.font(size)) > room:
        parts.pop(0)
    draw.text((w - hh * 0.4, hh / 2), " · ".join(parts), font=d.font(size), fill=(180, 180, 190), anchor="rm")


def _caption(draw: ImageDraw.ImageDraw, caption: Caption, w: int, h: int) -> None:
    draw.rectangle((0, caption.top, w, h), fill=(246, 243, 234))
    for line in caption.lines:
        draw.text((line.x, line.y), line.text, font=line.font(), fill=(30, 30, 36) if line.spoken else (70, 70, 80))


def draw_backdrop(loc: Location | None, time_of_day: str, size: tuple[int, int]) -> Image.Image:
    """The place alone, as the panels draw it behind the figures (a location plate in the preview)."""
    return _backdrop(location_backdrop(loc, time_of_day), size[0], size[1], 1.0)
