"""What the LLM fills, and how its answers become safe domain models.

The LLM-facing schemas are deliberately small (a 135M-parameter local model must be able to fill them
under constrained decoding). Converting them to domain models is where untrusted output is sanitised:
ids come from :func:`~showrunner.models.slugify`, references to unknown characters or places are mapped
to known ones or dropped, scenes are renumbered, lists are capped and empty ones get safe defaults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from showrunner.models import (
    Bible,
    CameraMove,
    Character,
    CurrentLook,
    DialogueLine,
    EpisodeLogline,
    FixedLook,
    Framing,
    Location,
    Scene,
    slugify,
)


class CharacterDraft(BaseModel):
    name: str = Field(description="Full name.")
    role: str = Field("", description="e.g. protagonist, antagonist, mentor.")
    personality: str = Field("", description="Two or three traits.")
    hair: str = Field("", description="Hair colour and style.")
    eyes: str = Field("", description="Eye colour.")
    build: str = Field("", description="Build and height.")
    outfit: str = Field("", description="What they wear at the start.")


class LocationDraft(BaseModel):
    name: str = Field(description="Name of the place.")
    look: str = Field("", description="What it looks like.")


class BibleDraft(BaseModel):
    title: str = Field(description="Series title.")
    logline: str = Field(description="One-sentence pitch.")
    genre: str = ""
    tone: str = ""
    style_guide: str = Field("", description="Visual style: medium, palette, light.")
    world_rules: list[str] = Field(default_factory=list)
    season_arc: str = ""
    characters: list[CharacterDraft] = Field(default_factory=list)
    locations: list[LocationDraft] = Field(default_factory=list)
    episode_loglines: list[str] = Field(default_factory=list, description="One sentence per episode.")


class LineDraft(BaseModel):
    speaker: str = Field(description="Character name.")
    text: str = Field(description="What they say.")


class SceneDraft(BaseModel):
    location: str = Field(description="Location name.")
    characters: list[str] = Field(default_factory=list, description="Names of characters present.")
    time_of_day: str = Field("", description="day, night, dawn...")
    summary: str = Field(description="What happens, two sentences.")
    dialogue: list[LineDraft] = Field(default_factory=list)


class ScriptDraft(BaseModel):
    scenes: list[SceneDraft] = Field(default_factory=list, description="Scenes in order.")


class ShotDraft(BaseModel):
    framing: Framing = Framing.medium
    camera_move: CameraMove = CameraMove.static
    characters: list[str] = Field(default_factory=list, description="Names of characters on screen.")
    action: str = Field("", description="What happens on screen.")
    duration: float = Field(3.0, description="Seconds.")


class ShotList(BaseModel):
    shots: list[ShotDraft] = Field(default_factory=list)


class ChangeDraft(BaseModel):
    character: str = Field(description="Character name.")
    kind: Literal["status", "appearance", "possession"]
    value: str = Field(description="e.g. 'injured', 'torn red coat', 'the brass key'.")
    scene: int = Field(0, description="Scene number where it happens.")


class FactChanges(BaseModel):
    changes: list[ChangeDraft] = Field(default_factory=list)


def clip(text: str, n: int = 400) -> str:
    """One line of at most ``n`` characters."""
    return " ".join(str(text).split())[:n]


def bible_from_draft(d: BibleDraft, *, premise: str, episodes: int, max_characters: int = 6,
                     max_locations: int = 5) -> Bible:
    """A valid bible with unique safe ids, at least one character and place, exactly ``episodes`` loglines."""
    chars: dict[str, Character] = {}
    for c in d.characters:
        name = clip(c.name, 80)
        if not name or slugify(name, fallback="") == "":
            continue
        ch = Character(name=name, role=clip(c.role, 80), personality=clip(c.personality, 200),
                       look=FixedLook(hair=clip(c.hair, 80), eyes=clip(c.eyes, 80), build=clip(c.build, 80)),
                       state=CurrentLook(outfit=clip(c.outfit, 120)))
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
    loglines = [clip(x, 300) for x in d.episode_loglines if clip(x)]
    eps = [EpisodeLogline(number=i + 1, title=f"Episode {i + 1}",
                          logline=loglines[i] if i < len(loglines) else f"The story continues (part {i + 1}).")
           for i in range(episodes)]
    return Bible(title=clip(d.title, 200) or clip(premise, 60) or "Untitled", logline=clip(d.logline) or clip(premise),
                 genre=clip(d.genre, 80), tone=clip(d.tone, 80), style_guide=clip(d.style_guide),
                 world_rules=[clip(r, 200) for r in d.world_rules if clip(r)][:6], season_arc=clip(d.season_arc, 600),
                 characters=list(chars.values())[:max_characters], locations=list(locs.values())[:max_locations],
                 episodes=eps)


def match_character(bible: Bible, ref: str) -> str | None:
    """The id of the known character ``ref`` names, or None (never a raw model string)."""
    ref = clip(ref, 120)
    if not ref:
        return None
    hit = bible.character(ref)
    if hit is None:
        low = ref.lower()
        hit = next((c for c in bible.characters if low in c.name.lower() or c.name.lower() in low
                    or low == c.name.split()[0].lower()), None)
    return hit.id if hit else None


def match_location(bible: Bible, ref: str) -> str | None:
    ref = clip(ref, 120)
    if not ref:
        return None
    hit = bible.location(ref)
    if hit is None:
        low = ref.lower()
        hit = next((x for x in bible.locations if low in x.name.lower() or x.name.lower() in low), None)
    return hit.id if hit else None


def known_characters(bible: Bible, refs: list[str]) -> list[str]:
    out: list[str] = []
    for r in refs:
        cid = match_character(bible, r)
        if cid and cid not in out:
            out.append(cid)
    return out


def scenes_from_draft(d: ScriptDraft, bible: Bible, *, max_scenes: int) -> list[Scene]:
    """Renumbered scenes at known places with known characters; one fallback scene if none survive."""
    scenes: list[Scene] = []
    for sd in d.scenes[:max_scenes]:
        loc = match_location(bible, sd.location) or bible.locations[0].id
        cast = known_characters(bible, sd.characters)
        lines = []
        for ln in sd.dialogue[:6]:
            who = match_character(bible, ln.speaker)
            if who and clip(ln.text):
                lines.append(DialogueLine(speaker=who, text=clip(ln.text, 300)))
                if who not in cast:
                    cast.append(who)
        if not cast:
            cast = [bible.characters[0].id]
        scenes.append(Scene(number=len(scenes) + 1, location=loc, characters=cast,
                            time_of_day=clip(sd.time_of_day, 20).lower(), summary=clip(sd.summary, 500),
                            dialogue=lines))
    if not scenes:
        scenes.append(Scene(number=1, location=bible.locations[0].id, characters=[bible.characters[0].id],
                            summary="The story continues."))
    return scenes
