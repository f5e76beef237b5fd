"""What a reference image is: a character's sheet or a location's plate, its prompt, seed and pixels.

A **sheet** shows one character in one look (fixed traits plus outfit: what stays the same across a run
of shots) as a turnaround in a neutral pose on a plain background; a **plate** shows one location at one
time of day, empty. A reviewer's notes from a rejected gate go into the prompt. The configured keyframe
backend makes them (no references on the job, so an IP-Adapter stays silent); the ``preview`` backend
draws them with Pillow (:func:`draw_sheet`, :func:`draw_plate`). Where they are stored, versioned and
approved is :mod:`showrunner.pipelines.references`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from showrunner.models import Character, CurrentLook, Location, Shot
from showrunner.tools import draw as d
from showrunner.tools.base import RenderJob
from showrunner.tools.look import character_palette

if TYPE_CHECKING:
    from showrunner.tools.base import Backend

VERSION = "refsheet-2"
NEGATIVE = "cropped, multiple people, text, watermark"
PLATE_NEGATIVE = "people, characters, text, watermark"


def sheet_look(c: Character) -> Character:
    """The character as a sheet shows them: fixed traits and outfit (no props or passing injuries)."""
    return c.model_copy(update={"state": CurrentLook(outfit=c.state.outfit)})


def sheet_prompt(c: Character, style: str = "", notes: list[str] | None = None) -> str:
    parts = [style, "character reference sheet, full body turnaround, front view, side view and back view, "
             "neutral standing pose", sheet_look(c).canonical_look(), *(notes or []),
             "plain light grey background, even lighting"]
    return ", ".join(p for p in parts if p)


def plate_prompt(loc: Location, time_of_day: str, style: str = "", notes: list[str] | None = None) -> str:
    parts = [style, "background plate, establishing wide shot, empty scene, no people", loc.look_at(time_of_day),
             time_of_day, *(notes or [])]
    return ", ".join(p for p in parts if p)


def ref_seed(entity: str, variant: str = "") -> int:
    return int(hashlib.sha256(f"refsheet:{entity}:{variant}".encode()).hexdigest()[:8], 16) % (2**31)


def draw_sheet(c: Character, size: tuple[int, int] = (512, 512)) -> Image.Image:
    """A Pillow turnaround: front and back figure, palette swatches, name and look."""
    c = sheet_look(c)
    w, h = size
    img = Image.new("RGB", size, (232, 232, 236))
    draw = ImageDraw.Draw(img)
    pal = character_palette(c)
    d.figure(draw, w * 0.3, h * 0.12, h * 0.7, pal, c.name, tag_size=16)
    d.figure(draw, w * 0.7, h * 0.12, h * 0.7, pal, "back", back_view=True, tag_size=12)
    for i, col in enumerate((pal.primary, pal.secondary, pal.hair, pal.skin)):
        draw.rectangle((10 + i * 34, h - 60, 38 + i * 34, h - 32), fill=col, outline=(40, 40, 40))
    draw.text((10, 10), c.name, font=d.font(18, bold=True), fill=(20, 20, 24))
    draw.text((10, h - 24), c.canonical_look()[:90], font=d.font(11), fill=(50, 50, 60))
    return img


def draw_plate(loc: Location, time_of_day: str, size: tuple[int, int] = (640, 360)) -> Image.Image:
    """A Pillow plate: the place as the preview panels draw it, with its name and time of day."""
    from showrunner.tools.preview import draw_backdrop

    img = draw_backdrop(loc, time_of_day, size)
    ImageDraw.Draw(img).text((10, 10), f"{loc.name}{', ' + time_of_day if time_of_day else ''}",
                             font=d.font(16, bold=True), fill=(250, 250, 250))
    return img


def make_sheet(backend: Backend, c: Character, *, size: int, steps: int, style: str = "",
               notes: list[str] | None = None) -> tuple[Image.Image, dict[str, Any]]:
    """One character sheet from ``backend`` (Pillow for ``preview``); returns the image and its parameters."""
    prompt, seed = sheet_prompt(c, style, notes), ref_seed(c.id)
    if backend.name == "preview":
        return draw_sheet(c, (size, size)), {"backend": "preview", "prompt": prompt, "seed": seed}
    job = RenderJob(shot=Shot(id=f"ref-{c.id}", scene=1, action="reference sheet"), episode=0, prompt=prompt,
                    negative_prompt=NEGATIVE, seed=seed, width=size, height=size, steps=max(1, steps),
                    characters=[sheet_look(c)], style=style)
    out = backend.render([job])[0]
    return out.frames[0], {**out.params, "prompt": prompt, "seed": seed}


def make_plate(backend: Backend, loc: Location, time_of_day: str, *, size: tuple[int, int], steps: int,
               style: str = "", notes: list[str] | None = None) -> tuple[Image.Image, dict[str, Any]]:
    """One location plate at ``time_of_day`` from ``backend`` (Pillow for ``preview``)."""
    prompt, seed = plate_prompt(loc, time_of_day, style, notes), ref_seed(loc.id, time_of_day)
    if backend.name == "preview":
        return draw_plate(loc, time_of_day, size), {"backend": "preview", "prompt": prompt, "seed": seed}
    job = RenderJob(shot=Shot(id=f"plate-{loc.id}", scene=1, action="location plate"), episode=0, prompt=prompt,
                    negative_prompt=PLATE_NEGATIVE, seed=seed, width=size[0], height=size[1], steps=max(1, steps),
                    location=loc, time_of_day=time_of_day, style=style)
    out = backend.render([job])[0]
    return out.frames[0], {**out.params, "prompt": prompt, "seed": seed}
