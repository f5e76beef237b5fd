"""Colours derived deterministically from canon: character palettes and location backdrops.

Consistency across shots holds by construction: a character's colours are a pure function of their
canonical look (``Character.palette`` when the bible sets it, else hashed from the look text and
named colours found in it), and a location's sky, ground and props of its look and time of day.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from dataclasses import dataclass

from showrunner.models import Character, Location

RGB = tuple[int, int, int]

NAMED: dict[str, RGB] = {
    "red": (196, 52, 52),
    "crimson": (160, 28, 48),
    "orange": (228, 128, 40),
    "yellow": (232, 200, 60),
    "gold": (212, 170, 60),
    "blonde": (226, 196, 120),
    "green": (64, 150, 84),
    "teal": (40, 140, 140),
    "blue": (52, 96, 196),
    "navy": (32, 44, 96),
    "purple": (120, 70, 160),
    "violet": (140, 90, 200),
    "pink": (226, 120, 160),
    "brown": (120, 80, 50),
    "auburn": (150, 70, 40),
    "black": (34, 34, 40),
    "white": (236, 236, 236),
    "grey": (130, 130, 138),
    "gray": (130, 130, 138),
    "silver": (190, 194, 204),
    "copper": (184, 110, 60),
    "ginger": (200, 100, 40),
    "brass": (181, 150, 70),
    "olive": (110, 120, 60),
}
SKIN = [(241, 206, 178), (224, 172, 135), (198, 140, 100), (160, 104, 70), (120, 78, 52), (232, 190, 160)]


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def hashed_color(text: str, *, sat: float = 0.55, val: float = 0.75) -> RGB:
    h = int.from_bytes(_digest(text)[:2], "big") / 65535
    r, g, b = colorsys.hsv_to_rgb(h, sat, val)
    return int(r * 255), int(g * 255), int(b * 255)


def parse_hex(value: str) -> RGB | None:
    m = re.fullmatch(r"#?([0-9a-fA-F]{6})", value.strip())
    if not m:
        return None
    v = m.group(1)
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def named_color(text: str) -> RGB | None:
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in NAMED:
            return NAMED[word]
    return None


def shade(c: RGB, f: float) -> RGB:
    """Darken (f < 1) or lighten (f > 1) a colour."""
    if f <= 1:
        return (int(c[0] * f), int(c[1] * f), int(c[2] * f))
    return tuple(int(x + (255 - x) * (f - 1)) for x in c)  # type: ignore[return-value]


@dataclass(frozen=True)
class Palette:
    """The colours a character is drawn with in every shot."""

    primary: RGB  # top / outfit
    secondary: RGB  # legs / accents
    hair: RGB
    skin: RGB


def character_palette(c: Character) -> Palette:
    """Palette from ``Character.palette`` if set, else from the canonical look text."""
    look = c.canonical_look()
    explicit = [p for p in (parse_hex(x) for x in c.palette) if p]
    primary = explicit[0] if explicit else named_color(c.state.outfit) or hashed_color(look + "|top")
    secondary = explicit[1] if len(explicit) > 1 else hashed_color(look + "|legs", sat=0.35, val=0.45)
    hair = named_color(c.look.hair) or (
        explicit[2] if len(explicit) > 2 else hashed_color(look + "|hair", sat=0.4, val=0.35)
    )
    skin = SKIN[_digest(c.id + "|skin")[0] % len(SKIN)]
    return Palette(primary, secondary, hair, skin)


SKIES: dict[str, tuple[RGB, RGB]] = {
    "day": ((120, 176, 226), (214, 232, 244)),
    "morning": ((150, 190, 230), (240, 228, 200)),
    "dawn": ((120, 110, 170), (246, 170, 120)),
    "sunrise": ((120, 110, 170), (246, 170, 120)),
    "dusk": ((70, 60, 120), (236, 130, 90)),
    "sunset": ((90, 70, 130), (240, 140, 80)),
    "evening": ((50, 60, 110), (180, 120, 120)),
    "night": ((12, 16, 40), (40, 48, 90)),
}
KINDS = {
    "sea": ("sea", "beach", "harbor", "harbour", "ocean", "lake", "river", "port", "dock", "docks", "shore"),
    "interior": (
        "room",
        "office",
        "kitchen",
        "hall",
        "lab",
        "bar",
        "cafe",
        "library",
        "museum",
        "apartment",
        "corridor",
        "inside",
        "interior",
        "bedroom",
        "shop",
        "studio",
        "cabin",
        "bridge",
    ),
    "city": ("city", "street", "town", "market", "alley", "rooftop", "downtown", "plaza", "station"),
    "forest": ("forest", "wood", "park", "garden", "jungle", "grove", "orchard"),
    "space": ("space", "orbit", "starship", "asteroid", "moon", "planet", "station-x"),
    "desert": ("desert", "dune", "canyon", "wasteland", "mesa"),
}


@dataclass(frozen=True)
class Backdrop:
    """How to draw a place: sky gradient, ground colour, kind of props, seed for their layout."""

    kind: str
    sky: tuple[RGB, RGB]
    ground: RGB
    accent: RGB
    seed: int
    label: str


def location_backdrop(loc: Location | None, time_of_day: str) -> Backdrop:
    when = (time_of_day or "day").strip().lower()
    text = (loc.look_at(time_of_day) if loc else "").lower() + " " + (loc.name.lower() if loc else "")
    tokens = set(re.findall(r"[a-z]+", text))
    found = [k for k, words in KINDS.items() if any(w in tokens or w + "s" in tokens for w in words)]
    kind = found[0] if found else "open"
    sky = next((v for k, v in SKIES.items() if k in when), SKIES["day"])
    key = loc.id if loc else "nowhere"
    ground = named_color(text) or hashed_color(key + "|ground", sat=0.35, val=0.55)
    if kind == "interior":
        wall = hashed_color(key + "|wall", sat=0.25, val=0.78)
        sky = (shade(wall, 0.55), wall) if "night" in when else (wall, shade(wall, 1.2))
    if "night" in when:
        ground = shade(ground, 0.45)
    accent = hashed_color(key + "|accent", sat=0.6, val=0.85)
    label = loc.name if loc else "unknown location"
    return Backdrop(kind, sky, ground, accent, int.from_bytes(_digest(key)[:4], "big"), label)
