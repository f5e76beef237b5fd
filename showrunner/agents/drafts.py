"""What the LLM fills, and how its answers become safe domain models.

The LLM-facing schemas are deliberately small (a 135M-parameter local model must be able to fill them
under constrained decoding). Converting them to domain models is where untrusted output is sanitised:
ids come from :func:`~showrunner.models.slugify`, references to unknown characters or places are mapped
to known ones or dropped, scenes are renumbered, lists are capped and empty ones get safe defaults.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, create_model

from showrunner.models import (
    Bible,
    CameraMove,
    Character,
    CurrentLook,
    DialogueLine,
    EpisodeLogline,
    FactKind,
    FixedLook,
    Framing,
    Location,
    Scene,
    slugify,
)
from showrunner.world.admit import invalid_value
from showrunner.world.lexicon import NOT_PRESENT
from showrunner.world.names import Names, split_qualifier

log = logging.getLogger(__name__)


def _text(cap: int, description: str = "", default: str | None = "", *, least: int = 0) -> Any:
    """A string field whose JSON Schema carries ``maxLength`` (and ``minLength`` when ``least``).

    These are decoding hints, not validation rules: grammar-constrained decoding (the local provider) and
    servers with structured output keep a small model from leaving a look empty or rambling; a stronger
    model's longer answer is clipped by code and an empty one gets a safe default.
    """
    extra: dict[str, Any] = {"maxLength": cap, **({"minLength": least} if least else {})}
    if default is None:
        return Field(description=description, json_schema_extra=extra)
    return Field(default, description=description, json_schema_extra=extra)


def _items(cap: int, description: str = "", *, least: int = 0) -> Any:
    extra: dict[str, Any] = {"maxItems": cap, **({"minItems": least} if least else {})}
    return Field(default_factory=list, description=description, json_schema_extra=extra)


class CharacterDraft(BaseModel):
    name: str = _text(40, "Full name.", None, least=3)
    role: str = _text(30, "e.g. protagonist, antagonist, mentor.")
    personality: str = _text(60, "Two or three traits.")
    hair: str = _text(40, "Hair colour and style.", least=4)
    eyes: str = _text(24, "Eye colour.", least=4)
    build: str = _text(30, "Build and height.", least=4)
    outfit: str = _text(60, "What they wear at the start.", least=6)


class LocationDraft(BaseModel):
    name: str = _text(40, "Name of the place.", None, least=3)
    look: str = _text(100, "What it looks like.", least=10)


class BibleDraft(BaseModel):
    title: str = _text(60, "Series title.", None)
    logline: str = _text(160, "One-sentence pitch.", None)
    genre: str = _text(30)
    tone: str = _text(30)
    style_guide: str = _text(100, "Visual style: medium, palette, light.")
    world_rules: list[str] = _items(3, "Rules of the world, one sentence each.", least=1)
    season_arc: str = _text(160)
    characters: list[CharacterDraft] = _items(4, least=2)
    locations: list[LocationDraft] = _items(3, least=2)
    episode_loglines: list[str] = _items(12, "One sentence per episode.", least=2)


SCENES, LINES, SHOTS = 4, 3, 3  # the base schemas' caps: what the embedded 135M model is asked for


class LineDraft(BaseModel):
    speaker: str = _text(40, "Character name.", None)
    text: str = _text(120, "What they say.", None)


class SceneDraft(BaseModel):
    location: str = _text(40, "Location name.", None)
    characters: list[str] = _items(3, "Names of characters present.", least=1)
    time_of_day: str = _text(10, "day, night, dawn...")
    summary: str = _text(200, "What happens, two sentences.", None)
    dialogue: list[LineDraft] = _items(LINES, least=1)
    flashback: bool = Field(False, description="True only for a scene set in the past.")
    dream: bool = Field(False, description="True only for a dream or vision.")


class ScriptDraft(BaseModel):
    scenes: list[SceneDraft] = _items(SCENES, "Scenes in order.", least=2)


class ShotDraft(BaseModel):
    framing: Framing = Framing.medium
    camera_move: CameraMove = CameraMove.static
    characters: list[str] = _items(3, "Names of characters on screen.")
    action: str = _text(100, "What happens on screen.")
    duration: float = Field(3.0, description="Seconds.")


class ShotList(BaseModel):
    shots: list[ShotDraft] = _items(SHOTS, least=1)


@cache
def script_draft(scenes: int, lines: int) -> type[ScriptDraft]:
    """The script schema the model sees for a format: up to ``scenes`` scenes of up to ``lines`` lines each.

    Same name and fields as :class:`ScriptDraft` (a subclass), only the caps differ; the base sizes give the
    base class itself.
    """
    if (scenes, lines) == (SCENES, LINES):
        return ScriptDraft
    scene = create_model("SceneDraft", __base__=SceneDraft, dialogue=(list[LineDraft], _items(lines, least=1)))
    return cast("type[ScriptDraft]", create_model(
        "ScriptDraft", __base__=ScriptDraft, scenes=(list[scene], _items(scenes, "Scenes in order.", least=2))))


@cache
def shot_list(shots: int) -> type[ShotList]:
    """The director's schema for up to ``shots`` shots per scene (the base size gives :class:`ShotList`)."""
    if shots == SHOTS:
        return ShotList
    return cast("type[ShotList]", create_model("ShotList", __base__=ShotList,
                                               shots=(list[ShotDraft], _items(shots, least=1))))


class ChangeDraft(BaseModel):
    character: str = _text(40, "Character name.", None)
    kind: Literal["status", "appearance", "possession"]
    value: str = _text(60, "e.g. 'injured', 'torn red coat', 'the brass key'.", None)
    scene: int = Field(0, description="Scene number where it happens.")


class FactChanges(BaseModel):
    changes: list[ChangeDraft] = _items(3)


def clip(text: str, n: int = 400) -> str:
    """One line of at most ``n`` characters."""
    return " ".join(str(text).split())[:n]


TIMES = ("dawn", "morning", "day", "noon", "afternoon", "dusk", "evening", "night", "midnight")


def prose(text: str, n: int = 400) -> str:
    """``clip`` that also drops junk (a tiny model's stray brackets and template syntax): '' if mostly symbols."""
    t = clip(text, n)
    letters = sum(ch.isalpha() for ch in t)
    return t if letters >= 3 and letters >= 0.5 * len(t.replace(" ", "")) else ""


def time_of_day(text: str) -> str:
    low = clip(text, 40).lower()
    return next((t for t in TIMES if t in low), "")


_SMALL = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "or", "for", "with", "from", "by", "as"}


def title_of(logline: str, words: int = 5) -> str:
    """A short title from a logline ('Episode 3: Mira finds the drowned bell.' → 'Mira Finds the Drowned Bell')."""
    text = re.sub(r"^\s*(episode|ep\.?|part|chapter)\s*\d+\s*[:.\-–—]\s*", "", logline, flags=re.I)
    toks = re.findall(r"[A-Za-z][A-Za-z'\-]*", text.split(",")[0])[:words]
    while toks and toks[-1].lower() in _SMALL:
        toks.pop()
    return " ".join(t if i and t.lower() in _SMALL else t[:1].upper() + t[1:] for i, t in enumerate(toks))


def _admitted(kind: FactKind, pred: str, value: str) -> str:
    """``value`` when it is a valid look of its kind, else '' (a model's junk never reaches canon)."""
    why = invalid_value(kind, pred, value) if value else None
    if why:
        log.warning("bible: dropped %s (%s)", value, why)
    return "" if why else value


def bible_from_draft(d: BibleDraft, *, premise: str, episodes: int, max_characters: int = 6,
                     max_locations: int = 5) -> Bible:
    """A valid bible with unique safe ids, at least one character and place, exactly ``episodes`` loglines."""
    chars: dict[str, Character] = {}
    for c in d.characters:
        name = clip(c.name, 80)
        if not name or slugify(name, fallback="") == "":
            continue
        ch = Character(name=name, role=clip(c.role, 80), personality=clip(c.personality, 200),
                       look=FixedLook(hair=_admitted(FactKind.fixed_appearance, "hair", clip(c.hair, 80)),
                                      eyes=_admitted(FactKind.fixed_appearance, "eyes", clip(c.eyes, 80)),
                                      build=clip(c.build, 80)),
                       state=CurrentLook(outfit=_admitted(FactKind.current_appearance, "outfit", clip(c.outfit, 120))))
        chars.setdefault(ch.id, ch)
    if not chars:
        chars["protagonist"] = Character(name="The Protagonist", role="protagonist")
    locs: dict[str, Location] = {}
    for loc in d.locations:
        name = clip(loc.name, 80)
        if name and slugify(name, fallback=""):
            lo = Location(name=name, look=clip(loc.look, 300))
            locs.setdefault(lo.id, lo)
    if not locs:
        locs["home"] = Location(name="Home", look="")
    loglines = [prose(x, 300) for x in d.episode_loglines if prose(x)]
    eps = [EpisodeLogline(number=i + 1,
                          title=(title_of(loglines[i]) if i < len(loglines) else "") or f"Episode {i + 1}",
                          logline=loglines[i] if i < len(loglines) else f"The story continues (part {i + 1}).")
           for i in range(episodes)]
    return Bible(title=clip(d.title, 200) or clip(premise, 60) or "Untitled", logline=clip(d.logline) or clip(premise),
                 genre=clip(d.genre, 80), tone=clip(d.tone, 80), style_guide=clip(d.style_guide),
                 world_rules=[prose(r, 200) for r in d.world_rules if prose(r)][:6], season_arc=clip(d.season_arc, 600),
                 characters=list(chars.values())[:max_characters], locations=list(locs.values())[:max_locations],
                 episodes=eps)


def match_character(bible: Bible, ref: str) -> str | None:
    """The id of the known character ``ref`` names, or None (never a raw model string)."""
    return Names.of(bible.characters).find(clip(ref, 120))


def match_location(bible: Bible, ref: str) -> str | None:
    """The id of the known location ``ref`` names, or None."""
    return Names.of(bible.locations).find(clip(ref, 120))


def _qualified(cid: str, ref: str) -> str:
    """The id, keeping a 'not physically here' qualifier: 'Cal (hologram)' → 'cal-reyes (hologram)'."""
    how = split_qualifier(clip(ref, 120))[1]
    return f"{cid} ({how})" if how and NOT_PRESENT.search(how) else cid


def scenes_from_draft(d: ScriptDraft, bible: Bible, *, max_scenes: int, max_lines: int = 6) -> list[Scene]:
    """Renumbered scenes at known places with known characters; one fallback scene if none survive."""
    scenes: list[Scene] = []
    for sd in d.scenes[:max_scenes]:
        loc = match_location(bible, sd.location) or bible.locations[0].id
        cast = [_qualified(cid, ref) for ref in sd.characters if (cid := match_character(bible, ref))]
        cast = list(dict.fromkeys(cast))
        lines = []
        for ln in sd.dialogue[:max_lines]:
            who = match_character(bible, ln.speaker)
            if who and prose(ln.text):
                how = split_qualifier(clip(ln.speaker, 120))[1]  # 'Mira (V.O.)': heard, maybe not seen
                lines.append(DialogueLine(speaker=who, text=prose(ln.text, 300), direction=how))
                if who not in (split_qualifier(c)[0] for c in cast) and not NOT_PRESENT.search(how):
                    cast.append(who)
        if not cast:
            cast = [bible.characters[0].id]
        scenes.append(Scene(number=len(scenes) + 1, location=loc, characters=cast,
                            time_of_day=time_of_day(sd.time_of_day), summary=prose(sd.summary, 500),
                            dialogue=lines, flashback=sd.flashback, dream=sd.dream))
    if not scenes:
        scenes.append(Scene(number=1, location=bible.locations[0].id, characters=[bible.characters[0].id],
                            summary="The story continues."))
    return scenes
