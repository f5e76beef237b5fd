"""Domain model: the typed contract shared by agents, memory, tools and the CLI.

Every field an LLM fills carries a ``Field(description=...)``: the description is the schema the model
reads. Identifiers are never trusted from a model: :func:`slugify` turns any name into a safe id
(lowercase ``[a-z0-9-]``), so a character named ``../../etc/passwd`` becomes ``etc-passwd`` and can
never escape a project folder.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, fallback: str = "item", max_len: int = 48) -> str:
    """Return a filesystem- and URL-safe id for ``text`` (never empty, never a path)."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _SLUG_RE.sub("-", norm).strip("-")[:max_len].strip("-")
    return slug or fallback


SafeId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --------------------------------------------------------------------------- characters and places


class FixedLook(_Model):
    """Traits that never change over the series (unless a fact records that they did)."""

    face: str = Field("", description="Face shape and features, e.g. 'narrow face, freckles'.")
    hair: str = Field("", description="Hair colour and style, e.g. 'short silver hair'.")
    eyes: str = Field("", description="Eye colour, e.g. 'green eyes'.")
    build: str = Field("", description="Body build and height, e.g. 'tall, wiry'.")
    age: str = Field("", description="Apparent age, e.g. 'early 30s'.")
    marks: list[str] = Field(default_factory=list, description="Scars, tattoos, prosthetics, birthmarks.")

    def describe(self) -> str:
        parts = [self.age, self.build, self.face, self.hair, self.eyes, *self.marks]
        return ", ".join(p.strip() for p in parts if p and p.strip())


class CurrentLook(_Model):
    """Per-episode state of a character's appearance: what they wear, carry and suffer now."""

    outfit: str = Field("", description="What the character wears now, e.g. 'red flight jacket'.")
    injuries: list[str] = Field(default_factory=list, description="Visible injuries, e.g. 'bandaged left arm'.")
    props: list[str] = Field(default_factory=list, description="Objects the character carries.")

    def describe(self) -> str:
        parts = [self.outfit, *self.injuries, *(f"carrying {p}" for p in self.props)]
        return ", ".join(p.strip() for p in parts if p and p.strip())


class Relation(_Model):
    """A typed link between two characters (parent, sibling, rival, ...)."""

    kind: str = Field(description="Relation kind, e.g. 'parent', 'sibling', 'mentor', 'rival', 'spouse'.")
    target: str = Field(description="Id or name of the other character.")


class Voice(_Model):
    """How a character sounds: the speech backend, its voice model and speaker, and rate and pitch.

    Only ``note`` is written by the LLM (the other fields are hidden from its schema); the rest is cast by
    code when the bible is committed (:mod:`showrunner.pipelines.voices`) and changed only by a person.
    A canon file whose ``voice`` is plain text loads with that text as ``note``.
    """

    note: str = Field("", description="How the character speaks, e.g. 'slow, gravelly, sardonic'.")
    backend: SkipJsonSchema[str] = ""
    """Registry name of the speech backend (``piper``, ``openai``); empty until cast."""
    model: SkipJsonSchema[str] = ""
    """Voice model: a Piper .onnx path ('' = the bundled en_US-joe-medium) or an OpenAI TTS model name."""
    speaker: SkipJsonSchema[int | None] = None
    """Speaker index of a multi-speaker model (for ``openai``: index into its voices, alloy, ash ...)."""
    rate: SkipJsonSchema[float] = Field(1.0, ge=0.5, le=2.0)
    """Speaking rate (1.0 = the model's own; 1.1 = 10% faster)."""
    pitch: SkipJsonSchema[float] = Field(0.0, ge=-12.0, le=12.0)
    """Pitch shift in semitones (rubberband, formants follow: a lower pitch sounds larger)."""
    timbre: SkipJsonSchema[float] = Field(0.0, ge=-1.0, le=1.0)
    """Spectral tilt: -1 darker, +1 brighter (ffmpeg bass/treble shelves)."""
    set_by: SkipJsonSchema[Literal["", "system", "person"]] = ""
    """Who chose it: cast by the system at bible commit, or set by a person (then never recast)."""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: object) -> object:
        return {"note": data} if isinstance(data, str) else data

    @property
    def cast(self) -> bool:
        return bool(self.backend)

    def params(self) -> dict[str, object]:
        """What changes the sound (the speech cache key hashes it; ``note`` and ``set_by`` do not)."""
        return {"backend": self.backend, "model": self.model, "speaker": self.speaker, "rate": self.rate,
                "pitch": self.pitch, "timbre": self.timbre}


class Character(_Model):
    """A character of the series with a stable id and a canonical look."""

    id: str = Field("", description="Leave empty: the system assigns a stable id from the name.")
    name: str = Field(description="Full display name.", min_length=1, max_length=120)
    aliases: list[str] = Field(default_factory=list, description="Other names the character goes by.")
    role: str = Field("", description="Role in the story, e.g. 'protagonist', 'antagonist', 'mentor'.")
    personality: str = Field("", description="Two or three defining traits.")
    voice: Voice = Field(default_factory=Voice, description="How the character speaks.")
    arc: str = Field("", description="How the character changes over the season.")
    look: FixedLook = Field(default_factory=FixedLook, description="Fixed appearance traits.")
    state: CurrentLook = Field(default_factory=CurrentLook, description="Appearance at the series start.")
    palette: list[str] = Field(default_factory=list, description="Signature colours as hex codes.")
    relations: list[Relation] = Field(default_factory=list, description="Links to other characters.")

    @model_validator(mode="after")
    def _assign_id(self) -> Character:
        self.id = slugify(self.id or self.name, fallback="character")
        return self

    def canonical_look(self) -> str:
        """The look every visual prompt must carry for this character (never retyped by an LLM)."""
        fixed, cur = self.look.describe(), self.state.describe()
        return f"{self.name} ({'; '.join(p for p in (fixed, cur) if p)})" if fixed or cur else self.name


class LocationVariant(_Model):
    """How a location looks at a given time of day or in a given condition."""

    when: str = Field(description="Time of day or condition, e.g. 'night', 'dawn', 'after the fire'.")
    look: str = Field(description="What the place looks like then.")


class Location(_Model):
    """A place of the series with a canonical look."""

    id: str = Field("", description="Leave empty: the system assigns a stable id from the name.")
    name: str = Field(description="Display name of the place.", min_length=1, max_length=120)
    look: str = Field("", description="What the place looks like: architecture, light, colours, props.")
    variants: list[LocationVariant] = Field(default_factory=list, description="Looks by time of day.")
    parent: str | None = Field(None, description="Id of the enclosing location, for sub-locations.")
    aliases: list[str] = Field(default_factory=list, description="Other names for the place.")

    @model_validator(mode="after")
    def _assign_id(self) -> Location:
        self.id = slugify(self.id or self.name, fallback="location")
        if self.parent:
            self.parent = slugify(self.parent)
        return self

    def look_at(self, when: str | None) -> str:
        if when:
            for v in self.variants:
                if v.when.strip().lower() == when.strip().lower():
                    return f"{self.name}, {when}: {v.look}"
        return f"{self.name}: {self.look}" if self.look else self.name


# --------------------------------------------------------------------------- facts


class FactKind(StrEnum):
    """Kinds of canon fact; the continuity engine has a deterministic check for each."""

    fixed_appearance = "fixed_appearance"
    current_appearance = "current_appearance"
    status = "status"
    relationship = "relationship"
    whereabouts = "whereabouts"
    possession = "possession"
    world_rule = "world_rule"
    event = "event"


class SceneRef(_Model):
    """A point in the series: an episode and optionally a scene within it (ordered)."""

    episode: int = Field(ge=0, description="Episode number (0 = before the series starts).")
    scene: int | None = Field(None, ge=0, description="Scene number within the episode, if known.")

    def key(self) -> tuple[int, int]:
        return (self.episode, -1 if self.scene is None else self.scene)

    def __str__(self) -> str:
        return f"E{self.episode}" + ("" if self.scene is None else f" S{self.scene}")


class Fact(_Model):
    """A versioned statement about the world: holds from ``valid_from`` until ``valid_until``."""

    id: str = Field("", description="Leave empty: assigned by the system.")
    kind: FactKind = Field(description="What sort of fact this is.")
    subject: str = Field(description="Id of the character, place or thing the fact is about.")
    predicate: str = Field(description="Attribute or relation, e.g. 'hair', 'status', 'parent_of', 'holds'.")
    object: str = Field(description="Value, e.g. 'silver', 'dead', 'mira', 'the brass key'.")
    valid_from: SceneRef = Field(default_factory=lambda: SceneRef(episode=0), description="Where it starts.")
    valid_until: SceneRef | None = Field(None, description="Where a later fact supersedes it (exclusive).")
    source: str = Field("", description="Where it was established (free text, e.g. 'E3 S4 dialogue').")
    text: str = Field("", description="The fact as one plain sentence.")

    def holds_at(self, at: SceneRef) -> bool:
        if self.valid_from.key() > at.key():
            return False
        return self.valid_until is None or at.key() < self.valid_until.key()

    def sentence(self) -> str:
        return self.text or f"{self.subject} {self.predicate.replace('_', ' ')} {self.object}"


# --------------------------------------------------------------------------- bible


class EpisodeLogline(_Model):
    """One planned episode of the season."""

    number: int = Field(ge=1, description="Episode number, starting at 1.")
    title: str = Field(description="Episode title.", max_length=200)
    logline: str = Field(description="One sentence: who wants what, what stands in the way.")


class Bible(_Model):
    """The series bible: everything a writer needs before episode 1."""

    title: str = Field(description="Series title.", min_length=1, max_length=200)
    logline: str = Field(description="One-sentence pitch of the series.")
    genre: str = Field("", description="Genre, e.g. 'sci-fi anime'.")
    tone: str = Field("", description="Tone, e.g. 'hopeful, melancholic'.")
    style_guide: str = Field("", description="Visual style guide: medium, palette, line, lighting.")
    average_shot_s: float = Field(4.0, ge=1.0, le=30.0, description="Style guide pacing: the average shot "
                                                                    "length in seconds.")
    world_rules: list[str] = Field(default_factory=list, description="Rules of the world that never break.")
    season_arc: str = Field("", description="How the season builds and ends.")
    characters: list[Character] = Field(default_factory=list, description="Main cast.")
    locations: list[Location] = Field(default_factory=list, description="Main locations.")
    episodes: list[EpisodeLogline] = Field(default_factory=list, description="One logline per episode.")

    def character(self, ref: str) -> Character | None:
        """The character ``ref`` names, by the one resolver (:class:`showrunner.world.names.Names`)."""
        return _find(self.characters, ref)

    def location(self, ref: str) -> Location | None:
        """The location ``ref`` names, by the one resolver."""
        return _find(self.locations, ref)


_T = TypeVar("_T", Character, Location)


def _find(items: list[_T], ref: str) -> _T | None:
    from showrunner.world.names import Names  # the resolver sits above the models it resolves

    hit = Names.of(items).resolve(ref)
    return next((it for it in items if it.id == hit), None) if hit else None


# --------------------------------------------------------------------------- episodes


class DialogueLine(_Model):
    """One spoken line."""

    speaker: str = Field(description="Name or id of the character who speaks.")
    text: str = Field(description="What they say.")
    direction: str = Field("", description="Optional delivery note, e.g. 'whispering'.")


class Scene(_Model):
    """A continuous unit of action at one place and time."""

    number: int = Field(ge=1, description="Scene number within the episode, starting at 1.")
    location: str = Field(description="Id or name of the location.")
    characters: list[str] = Field(default_factory=list, description="Ids or names of characters present.")
    flashback: bool = Field(False, description="True if the scene is a flashback.")
    dream: bool = Field(False, description="True if the scene is a dream or vision.")
    time_of_day: str = Field("", description="e.g. 'day', 'night', 'dawn'.")
    start: float | None = Field(None, ge=0, description="Story time at which the scene starts (hours).")
    end: float | None = Field(None, ge=0, description="Story time at which it ends (hours).")
    summary: str = Field("", description="What happens, in two or three sentences.")
    action: list[str] = Field(default_factory=list, description="Action lines, in order.")
    dialogue: list[DialogueLine] = Field(default_factory=list, description="Dialogue, in order.")

    @field_validator("characters", mode="before")
    @classmethod
    def _names(cls, v: object) -> object:
        """A cast may list names or ``{"name": ...}`` objects (as exported by screenwriting tools)."""
        if isinstance(v, list):
            return [x.get("name", "") if isinstance(x, dict) else x for x in v]
        return v

    @field_validator("start", "end", mode="before")
    @classmethod
    def _story_time(cls, v: object) -> object:
        return story_hours(v) if isinstance(v, str) else v

    @property
    def unreal(self) -> bool:
        """Flashbacks and dreams may show the dead and the absent."""
        return self.flashback or self.dream


class Outline(_Model):
    """An episode outline: the beats and the scenes that carry them."""

    title: str = Field(description="Episode title.")
    logline: str = Field(description="One-sentence summary.")
    beats: list[str] = Field(description="Story beats in order (setup, turn, climax, hook).", min_length=1)


_CLOCK = re.compile(r"^\s*(?:d(?:ay)?\s*(\d+)\s*,?\s*)?(\d{1,3}):(\d{2})(?::(\d{2}))?\s*$", re.I)


def story_hours(text: str) -> float:
    """Story time as hours: ``"14:30"`` → 14.5, ``"day 2 01:00"`` → 25.0, ``"3.5"`` → 3.5."""
    m = _CLOCK.match(text)
    if m:
        day, h, mi, sec = m.groups()
        return (int(day) - 1 if day else 0) * 24 + int(h) + int(mi) / 60 + int(sec or 0) / 3600
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"story time {text!r} is neither hours nor 'HH:MM' (or 'day N HH:MM')") from None


class Episode(_Model):
    """A written episode (outline plus script).

    ``number`` is the absolute order in the series. Real series count by season: an episode may give
    ``season`` and ``episode`` (its number within the season) instead; a canon file turns those into
    absolute numbers (:class:`CanonFile`), and a lone episode of season 1 (or no season) keeps its number.
    """

    number: int = Field(ge=1, description="Episode number in the whole series (absolute order).")
    season: int | None = Field(None, ge=1, description="Season, for series counted by season.")
    season_episode: int | None = Field(None, ge=1, description="Episode number within its season.")
    title: str = Field(description="Episode title.")
    logline: str = Field("", description="One-sentence summary.")
    beats: list[str] = Field(default_factory=list, description="Outline beats.")
    scenes: list[Scene] = Field(default_factory=list, description="Scenes in order.")

    @model_validator(mode="before")
    @classmethod
    def _seasonal(cls, data: object) -> object:
        if isinstance(data, dict) and "episode" in data and "season_episode" not in data:
            data = {**data, "season_episode": data["episode"]}
            data.pop("episode")
        if isinstance(data, dict) and "number" not in data and data.get("season_episode") is not None:
            if (data.get("season") or 1) != 1:
                raise ValueError("a season 2+ episode needs its absolute 'number', or must sit in a canon file "
                                 "whose episodes give the order")
            data = {**data, "number": data["season_episode"]}
        return data


class Framing(StrEnum):
    """Shot size."""

    extreme_wide = "extreme_wide"
    wide = "wide"
    medium = "medium"
    close_up = "close_up"
    extreme_close_up = "extreme_close_up"
    over_shoulder = "over_shoulder"


class CameraMove(StrEnum):
    """Camera movement within a shot."""

    static = "static"
    pan_left = "pan_left"
    pan_right = "pan_right"
    tilt_up = "tilt_up"
    tilt_down = "tilt_down"
    dolly_in = "dolly_in"
    dolly_out = "dolly_out"
    tracking = "tracking"
    handheld = "handheld"


class Shot(_Model):
    """One shot of the storyboard; ``visual_prompt`` is assembled by code from canon, not by the LLM."""

    id: str = Field("", description="Leave empty: assigned by the system (e.g. 's03-02').")
    scene: int = Field(ge=1, description="Scene number this shot belongs to.")
    number: int = Field(1, ge=1, description="Shot number within the scene.")
    framing: Framing = Field(Framing.medium, description="Shot size.")
    camera_move: CameraMove = Field(CameraMove.static, description="Camera movement.")
    duration: float = Field(3.0, gt=0, le=60, description="Duration in seconds.")
    characters: list[str] = Field(default_factory=list, description="Ids of characters on screen.")
    action: str = Field("", description="What happens on screen in this shot.")
    dialogue: list[DialogueLine] = Field(default_factory=list, description="Lines spoken during the shot.")
    visual_prompt: str = Field("", description="Leave empty: assembled by the system from canon.")
    negative_prompt: str = Field("", description="Leave empty: assembled by the system.")
    seed: int = Field(0, ge=0, description="Leave 0: assigned by the system.")
    reference_ids: list[str] = Field(default_factory=list, description="Leave empty: set by the system.")

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v: str) -> str:
        return slugify(v) if v else v


class ShotPlan(_Model):
    """The director's shots for one scene."""

    shots: list[Shot] = Field(description="Shots in order.", min_length=1)


class CritiqueScores(_Model):
    """Critic scores, each 1 (poor) to 10 (excellent)."""

    coherence: int = Field(5, ge=1, le=10, description="Does the plot make sense?")
    character_consistency: int = Field(5, ge=1, le=10, description="Do characters act like themselves?")
    pacing: int = Field(5, ge=1, le=10, description="Does it move at the right speed?")
    hook: int = Field(5, ge=1, le=10, description="Does the ending make you want the next episode?")
    canon_adherence: int = Field(5, ge=1, le=10, description="Does it respect established canon?")

    def mean(self) -> float:
        vals = [self.coherence, self.character_consistency, self.pacing, self.hook, self.canon_adherence]
        return sum(vals) / len(vals)


class Critique(_Model):
    """The critic's verdict on a script."""

    scores: CritiqueScores = Field(default_factory=CritiqueScores, description="Scores 1-10.")
    notes: list[str] = Field(default_factory=list, description="Concrete, actionable notes.")
    verdict: Literal["approve", "revise"] = Field("approve", description="'revise' if notes must be addressed.")


class Severity(StrEnum):
    """How bad a continuity finding is; errors make ``showrunner check`` exit 1."""

    error = "error"
    warning = "warning"
    info = "info"


class ContinuityIssue(_Model):
    """One continuity finding: where, what, which canon fact it contradicts, and a fix."""

    code: str = Field(description="Machine-readable kind, e.g. 'dead_character_on_screen'.")
    severity: Severity = Field(Severity.error, description="error, warning or info.")
    episode: int | None = Field(None, description="Episode number.")
    scene: int | None = Field(None, description="Scene number.")
    shot: str | None = Field(None, description="Shot id.")
    line: int | None = Field(None, description="Dialogue line index within the scene (0-based).")
    message: str = Field(description="What is wrong.")
    fact: str | None = Field(None, description="The canon fact contradicted, as a sentence.")
    fact_id: str | None = Field(None, description="Id of the canon fact contradicted.")
    established: SceneRef | None = Field(None, description="Where that fact was established.")
    suggestion: str = Field("", description="A suggested fix.")
    source: Literal["deterministic", "semantic"] = Field("deterministic", description="Which pass found it.")
    characters: list[str] = Field(default_factory=list, description="Ids of the characters concerned.")
    item: str | None = Field(None, description="The item concerned (possession findings).")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind(self) -> str:
        """The family: status, appearance, injury, possession, relationship, whereabouts, time, event, name."""
        return next((k for prefix, k in ISSUE_KINDS if self.code.startswith(prefix)), "other")


ISSUE_KINDS = (("dead_", "status"), ("missing_", "status"), ("fixed_appearance", "appearance"),
               ("current_appearance", "appearance"), ("injury", "injury"), ("lost_item", "possession"),
               ("possession", "possession"), ("relationship", "relationship"), ("two_places", "whereabouts"),
               ("time_", "time"), ("event", "event"), ("near_miss", "name"), ("unknown_", "name"),
               ("semantic", "semantic"))


# --------------------------------------------------------------------------- the canon file (import/export)


FORMAT: Literal["showrunner-canon"] = "showrunner-canon"
PRESENT_STATUSES = frozenset({"alive", "returned"})  # may appear on screen
ABSENT_STATUSES = frozenset({"dead", "missing"})  # only in flashbacks and dreams
FIXED_TRAITS = ("hair", "eyes", "face", "build", "age")


class CanonSeries(BaseModel):
    """Series-level information (the bible without its cast and places)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200, description="Series title.")
    logline: str = Field("", description="One-sentence pitch.")
    genre: str = ""
    tone: str = ""
    style_guide: str = ""
    average_shot_s: float = Field(4.0, ge=1.0, le=30.0, description="Average shot length in seconds (pacing).")
    world_rules: list[str] = Field(default_factory=list, description="Rules of the world that never break.")
    season_arc: str = ""
    episodes: list[EpisodeLogline] = Field(default_factory=list, description="Planned episode loglines.")


class CanonCharacter(Character):
    """A character plus the turning points of their life in the series."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    deaths: list[SceneRef] = Field(default_factory=list, description="Where the character dies.")
    returns: list[SceneRef] = Field(default_factory=list, description="Where the character returns.")
    missing: list[SceneRef] = Field(default_factory=list, description="Where the character vanishes.")


class CanonFile(BaseModel):
    """A whole story world in one file: ``showrunner canon import`` / ``export``."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["showrunner-canon"] = FORMAT
    version: Literal[1] = 1
    series: CanonSeries
    characters: list[CanonCharacter] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list, description="Explicit facts beyond those implied.")
    episodes: list[Episode] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _absolute_order(cls, data: object) -> object:
        """Episodes given as season + episode get absolute numbers; season refs elsewhere follow them."""
        if not isinstance(data, dict) or not any(isinstance(e, dict) and "season" in e
                                                 for e in data.get("episodes") or []):
            return data
        eps = [dict(e) for e in data["episodes"]]
        table: dict[tuple[int, int], int] = {}
        ordered = sorted(eps, key=lambda e: (e.get("season") or 1, e.get("episode") or e.get("season_episode")
                                              or e.get("number") or 0))
        for i, e in enumerate(ordered, 1):
            e.setdefault("number", i)
            inner = e.get("episode") or e.get("season_episode")
            if inner is not None:
                table[(e.get("season") or 1, int(inner))] = int(e["number"])

        def ref(r: object) -> object:
            if isinstance(r, dict) and "season" in r:
                key = (int(r["season"]), int(r.get("episode", 0)))
                if key not in table:
                    raise ValueError(f"no episode S{key[0]}E{key[1]} in the file's episodes")
                return {k: v for k, v in r.items() if k != "season"} | {"episode": table[key]}
            return r

        chars = [{**c, **{k: [ref(r) for r in c.get(k) or []] for k in ("deaths", "returns", "missing")}}
                 if isinstance(c, dict) else c for c in data.get("characters") or []]
        facts = [{**f, **{k: ref(f[k]) for k in ("valid_from", "valid_until") if f.get(k) is not None}}
                 if isinstance(f, dict) else f for f in data.get("facts") or []]
        return {**data, "episodes": eps, "characters": chars, "facts": facts}


PUBLIC_MODELS: dict[str, type[BaseModel]] = {
    m.__name__: m
    for m in (Bible, Character, Location, Fact, Episode, Scene, Outline, Shot, ShotPlan, Critique,
              ContinuityIssue)
}
