"""Pillow drawing primitives for storyboard panels and reference sheets: fonts, gradients, props, figures.

Figures are parametric: one function draws a character from a head-top point and a full height, so
framing is just scale and crop (a medium shot is a tall figure whose legs fall below the frame).
"""

from __future__ import annotations

import math
import random
from functools import lru_cache
from pathlib import Path

from PIL import ImageDraw, ImageFont

from showrunner.tools.look import RGB, Backdrop, Palette, shade

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False, italic: bool = False) -> Font:
    """DejaVu Sans when installed (deterministic, Unicode), else Pillow's built-in scalable font."""
    name = "DejaVuSans" + ("-Bold" if bold else "") + ("Oblique" if italic and bold else "-Oblique" if italic else "")
    path = FONT_DIR / f"{name}.ttf"
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def wrap(text: str, f: Font, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels in font ``f`` (a word too long on its own is split)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if f.getlength(trial) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        while f.getlength(word) > width and len(word) > 1:
            cut = max(1, next((i for i in range(len(word), 0, -1) if f.getlength(word[:i]) <= width), 1))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    return [*lines, current] if current else lines


def ellipsize(text: str, f: Font, width: float) -> str:
    """``text`` cut at a word (or letter) so that it and a trailing ellipsis fit in ``width`` pixels."""
    if f.getlength(text + "…") <= width:
        return text + "…"
    while text and f.getlength(text.rstrip() + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def vgradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: RGB, bottom: RGB) -> None:
    x0, y0, x1, y1 = box
    n = max(1, y1 - y0)
    for i in range(n):
        t = i / n
        c = tuple(int(top[k] + (bottom[k] - top[k]) * t) for k in range(3))
        draw.line((x0, y0 + i, x1, y0 + i), fill=c)  # type: ignore[arg-type]


def props(draw: ImageDraw.ImageDraw, bd: Backdrop, rnd: random.Random, w: int, h: int, horizon: int) -> None:
    """Ground plane plus simple shapes for the kind of place, laid out from the location's seed."""
    night = bd.sky[0][2] < 60 and sum(bd.sky[0]) < 150
    if night and bd.kind != "interior":
        for _ in range(40):
            x, y = rnd.uniform(0, w), rnd.uniform(0, horizon * 0.8)
            draw.point((x, y), fill=(230, 230, 255))
        draw.ellipse((w * 0.8, h * 0.08, w * 0.8 + h * 0.1, h * 0.18), fill=(236, 236, 220))
    if bd.kind == "city":
        x = -rnd.uniform(0, w * 0.05)
        while x < w:
            bw, bh = rnd.uniform(w * 0.07, w * 0.16), rnd.uniform(h * 0.2, h * 0.55)
            col = shade(bd.ground, rnd.uniform(0.55, 0.9))
            draw.rectangle((x, horizon - bh, x + bw, horizon), fill=col)
            lit = (250, 220, 120) if night else shade(bd.sky[1], 0.9)
            for wy in range(int(horizon - bh + 8), int(horizon - 8), 14):
                for wx in range(int(x + 6), int(x + bw - 8), 12):
                    if rnd.random() < 0.55:
                        draw.rectangle((wx, wy, wx + 5, wy + 7), fill=lit)
            x += bw + rnd.uniform(2, w * 0.02)
    elif bd.kind == "forest":
        for _ in range(14):
            x, th = rnd.uniform(0, w), rnd.uniform(h * 0.25, h * 0.5)
            col = shade((50, 110, 60), rnd.uniform(0.6, 1.0) * (0.5 if night else 1))
            draw.rectangle((x - 4, horizon - th * 0.25, x + 4, horizon), fill=(80, 56, 40))
            draw.polygon(
                [(x, horizon - th), (x - th * 0.28, horizon - th * 0.2), (x + th * 0.28, horizon - th * 0.2)], fill=col
            )
    elif bd.kind == "sea":
        draw.rectangle((0, horizon - h * 0.06, w, horizon), fill=shade((40, 90, 150), 0.5 if night else 1))
        for i in range(6):
            y = horizon - h * 0.05 + i * h * 0.01
            draw.line((rnd.uniform(0, w * 0.5), y, rnd.uniform(w * 0.5, w), y), fill=(200, 220, 240), width=1)
    elif bd.kind == "desert":
        for i in range(3):
            cx, r = rnd.uniform(0, w), rnd.uniform(w * 0.2, w * 0.4)
            draw.ellipse(
                (cx - r, horizon - r * 0.25, cx + r, horizon + r * 0.25), fill=shade(bd.ground, 0.85 + i * 0.05)
            )
    elif bd.kind == "space":
        for _ in range(80):
            draw.point((rnd.uniform(0, w), rnd.uniform(0, h)), fill=(240, 240, 255))
        r = h * 0.22
        draw.ellipse((w * 0.65, h * 0.1, w * 0.65 + r, h * 0.1 + r), fill=bd.accent)
    elif bd.kind == "interior":
        for _ in range(2):  # windows or frames on the back wall
            x, ww = rnd.uniform(w * 0.05, w * 0.75), rnd.uniform(w * 0.1, w * 0.2)
            fill = (30, 40, 80) if night else shade(bd.sky[1], 1.3)
            draw.rectangle(
                (x, horizon * 0.25, x + ww, horizon * 0.7), fill=fill, outline=shade(bd.sky[0], 0.6), width=4
            )
        x = rnd.uniform(w * 0.1, w * 0.7)  # a table or counter
        draw.rectangle((x, horizon - h * 0.12, x + w * 0.22, horizon - h * 0.09), fill=shade(bd.accent, 0.6))
    else:
        for i in range(3):  # hills
            cx, r = rnd.uniform(0, w), rnd.uniform(w * 0.25, w * 0.5)
            draw.ellipse((cx - r, horizon - r * 0.3, cx + r, horizon + r * 0.3), fill=shade(bd.ground, 0.8 + i * 0.07))
    floor_top = shade(bd.ground, 1.1) if bd.kind != "interior" else shade(bd.accent, 0.5)
    vgradient(draw, (0, horizon, w, h), floor_top, shade(floor_top, 0.6))


def figure(
    draw: ImageDraw.ImageDraw,
    cx: float,
    top: float,
    height: float,
    pal: Palette,
    name: str,
    *,
    back_view: bool = False,
    tag_size: int = 14,
    tag_max_y: float = 1e9,
) -> None:
    """A character drawn from the top of the head downwards; parts beyond the frame are clipped."""
    u = height / 7.0  # one head height
    outline = shade(pal.primary, 0.35)
    ow = max(1, int(u * 0.06))
    head = (cx - u * 0.5, top, cx + u * 0.5, top + u * 1.1)
    neck_y = top + u * 1.05
    # legs
    draw.rounded_rectangle(
        (cx - u * 0.62, top + u * 3.7, cx - u * 0.06, top + u * 7),
        radius=u * 0.2,
        fill=pal.secondary,
        outline=outline,
        width=ow,
    )
    draw.rounded_rectangle(
        (cx + u * 0.06, top + u * 3.7, cx + u * 0.62, top + u * 7),
        radius=u * 0.2,
        fill=pal.secondary,
        outline=outline,
        width=ow,
    )
    # arms then torso
    for side in (-1, 1):
        draw.rounded_rectangle(
            sorted_box(cx + side * u * 0.75, neck_y + u * 0.25, cx + side * u * 1.05, top + u * 3.9),
            radius=u * 0.15,
            fill=shade(pal.primary, 0.85),
            outline=outline,
            width=ow,
        )
    draw.rounded_rectangle(
        (cx - u * 0.8, neck_y + u * 0.1, cx + u * 0.8, top + u * 4.0),
        radius=u * 0.35,
        fill=pal.primary,
        outline=outline,
        width=ow,
    )
    draw.rectangle((cx - u * 0.18, neck_y - u * 0.05, cx + u * 0.18, neck_y + u * 0.25), fill=pal.skin)
    # head, hair, face
    draw.ellipse(head, fill=pal.hair if back_view else pal.skin, outline=shade(pal.skin, 0.5), width=ow)
    if not back_view:
        draw.chord((cx - u * 0.55, top - u * 0.08, cx + u * 0.55, top + u * 0.75), 180, 360, fill=pal.hair)
        er = max(1.0, u * 0.07)
        for ex in (cx - u * 0.18, cx + u * 0.18):
            draw.ellipse((ex - er, top + u * 0.55 - er, ex + er, top + u * 0.55 + er), fill=(30, 30, 36))
        draw.arc(
            (cx - u * 0.16, top + u * 0.62, cx + u * 0.16, top + u * 0.86),
            20,
            160,
            fill=(120, 60, 60),
            width=max(1, int(u * 0.04)),
        )
    # name tag under the chin, kept inside the visible area by the caller's framing
    size = int(max(9, min(tag_size, u * 0.32)))
    y = min(top + u * 1.55, tag_max_y - size * 2)
    tag(draw, (cx, y), name, size, (255, 255, 255), shade(pal.primary, 0.5), center=True)


def sorted_box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def tag(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fg: RGB, bg: RGB, *, center: bool = False
) -> None:
    f = font(size, bold=True)
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=f)
    tw, th, pad = x1 - x0, y1 - y0, size * 0.35
    x = xy[0] - tw / 2 - pad if center else xy[0]
    draw.rounded_rectangle((x, xy[1], x + tw + 2 * pad, xy[1] + th + 2 * pad), radius=pad, fill=bg)
    draw.text((x + pad - x0, xy[1] + pad - y0), text, font=f, fill=fg)


def arrow(draw: ImageDraw.ImageDraw, seg: tuple[float, float, float, float], width: int) -> None:
    """A white arrow with a dark outline from (x0, y0) to (x1, y1)."""
    x0, y0, x1, y1 = seg
    ang = math.atan2(y1 - y0, x1 - x0)
    hl = width * 4.0
    head = [
        (x1, y1),
        (x1 - hl * math.cos(ang - 0.45), y1 - hl * math.sin(ang - 0.45)),
        (x1 - hl * math.cos(ang + 0.45), y1 - hl * math.sin(ang + 0.45)),
    ]
    shaft_end = (x1 - hl * 0.8 * math.cos(ang), y1 - hl * 0.8 * math.sin(ang))
    draw.line((x0, y0, *shaft_end), fill=(20, 20, 20), width=width + 4)
    draw.polygon(head, fill=(255, 255, 255), outline=(20, 20, 20), width=2)
    draw.line((x0, y0, *shaft_end), fill=(255, 255, 255), width=width)
