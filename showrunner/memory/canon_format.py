"""The canon import/export format: one JSON file holding a whole story world (docs/canon-format.md).

A :class:`CanonFile` carries the series info, characters (with aliases, relations, deaths, returns from
death, disappearances), locations (``parent`` links sub-locations), explicit facts and episodes with
scenes. Scenes, dialogue, relations and facts may name characters and places by name or alias; the
:class:`Resolver` turns those references into ids. :func:`derive_facts` expands the file into the
versioned facts it implies, the form the memory and the continuity engine work on.

Death and disappearance semantics: a character dies *during* the scene given, so is still on screen in
it; the ``dead`` status holds from the next scene (``scene + 1``; the next episode when no scene is
given). The fact's ``source`` keeps where it was established (``"E3 S4: death"``, see
:func:`established_at`). A return holds from its own scene with status ``returned``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from showrunner.errors import BadInput
from showrunner.io import atomic_write
from showrunner.memory.canon import merge_facts
from showrunner.models import (
    Character,
    Episode,
    EpisodeLogline,
    Fact,
    FactKind,
    Location,
    SceneRef,
    slugify,
)

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.memory.canon_io import ImportReport
    from showrunner.pipelines.project import Project

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


def canon_json_schema() -> dict[str, Any]:
    """The JSON Schema of the canon file (``showrunner canon schema``)."""
    return CanonFile.model_json_schema()


# --------------------------------------------------------------------------- read / write


def _location(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def read_canon_file(path: Path | str) -> CanonFile:
    """Parse and validate a canon file; every failure is a one-line :class:`BadInput`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"canon file {path} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read canon file {path}: {exc}; pass a UTF-8 JSON file") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path} line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})") from exc
    if isinstance(data, dict) and data.get("format", FORMAT) != FORMAT:
        raise BadInput(f"{path} is not a showrunner canon file (format is {data.get('format')!r})")
    try:
        return CanonFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]) or "."
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise BadInput(f"{path}: at {where.lstrip('.')}: {err['msg']}{more}; "
                       "see 'showrunner canon schema'") from exc


def write_canon_file(cf: CanonFile, path: Path | str) -> None:
    """Write ``cf`` atomically (never a half-written file)."""
    data = {"format": cf.format, "version": cf.version,
            **cf.model_dump(mode="json", exclude_defaults=True, exclude_none=True)}
    atomic_write(Path(path), json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- name resolution


class Resolver:
    """Maps ids, names and aliases (case-insensitive) to ids; an ambiguous name resolves to nothing."""

    def __init__(self, characters: list[Character], locations: list[Location]) -> None:
        self.char_ids = {c.id for c in characters}
        self.loc_ids = {loc.id for loc in locations}
        self._chars = self._index(characters)
        self._locs = self._index(locations)

    @staticmethod
    def _index(items: list[Any], idx: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
        idx = {} if idx is None else idx
        for it in items:
            for key in (it.name, *it.aliases):
                idx.setdefault(key.strip().lower(), set()).add(it.id)
                idx.setdefault(slugify(key), set()).add(it.id)
        return idx

    def add(self, item: Character | Location) -> None:
        """Make a newly declared character or location resolvable."""
        if isinstance(item, Character):
            self.char_ids.add(item.id)
            self._index([item], self._chars)
        else:
            self.loc_ids.add(item.id)
            self._index([item], self._locs)

    @classmethod
    def for_file(cls, cf: CanonFile) -> Resolver:
        return cls(list(cf.characters), cf.locations)

    def candidates(self, ref: str, kind: Literal["character", "location"] = "character") -> set[str]:
        """Every id ``ref`` could mean (an exact id wins over names and aliases)."""
        ids, idx = (self.char_ids, self._chars) if kind == "character" else (self.loc_ids, self._locs)
        if ref in ids:
            return {ref}
        return set(idx.get(ref.strip().lower(), set())) or ({slugify(ref)} & ids)

    def character(self, ref: str) -> str | None:
        found = self.candidates(ref, "character")
        return next(iter(found)) if len(found) == 1 else None

    def location(self, ref: str) -> str | None:
        found = self.candidates(ref, "location")
        return next(iter(found)) if len(found) == 1 else None

    def any(self, ref: str) -> str | None:
        return self.character(ref) or self.location(ref)


# --------------------------------------------------------------------------- derived facts


def established_at(fact: Fact) -> SceneRef:
    """Where a fact was established: parsed from ``source`` ("E3 S4: death"), else ``valid_from``."""
    m = re.match(r"^E(\d+)(?: S(\d+))?\b", fact.source or "")
    if m:
        return SceneRef(episode=int(m.group(1)), scene=int(m.group(2)) if m.group(2) else None)
    return fact.valid_from


def _after(ref: SceneRef) -> SceneRef:
    return SceneRef(episode=ref.episode + 1) if ref.scene is None else SceneRef(episode=ref.episode,
                                                                                 scene=ref.scene + 1)


def _status_facts(c: CanonCharacter) -> list[Fact]:
    out = [Fact(kind=FactKind.status, subject=c.id, predicate="status", object="alive",
                source="E0: series start", text=f"{c.name} is alive.")]
    marks = [(r, "dead", "death") for r in c.deaths] + [(r, "missing", "missing") for r in c.missing]
    for ref, obj, word in marks:
        out.append(Fact(kind=FactKind.status, subject=c.id, predicate="status", object=obj,
                        valid_from=_after(ref), source=f"{ref}: {word}",
                        text=f"{c.name} {'dies' if obj == 'dead' else 'goes missing'} in {ref}."))
    for ref in c.returns:
        out.append(Fact(kind=FactKind.status, subject=c.id, predicate="status", object="returned",
                        valid_from=ref, source=f"{ref}: return", text=f"{c.name} returns in {ref}."))
    return out


def _character_facts(c: CanonCharacter, res: Resolver, names: dict[str, str]) -> list[Fact]:
    out: list[Fact] = []
    for trait in FIXED_TRAITS:
        value = getattr(c.look, trait).strip()
        if value:
            out.append(Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate=trait, object=value,
                            text=f"{c.name}'s {trait}: {value}."))
    if c.look.marks:
        marks = "; ".join(c.look.marks)
        out.append(Fact(kind=FactKind.fixed_appearance, subject=c.id, predicate="marks", object=marks,
                        text=f"{c.name} has {marks}."))
    if c.state.outfit.strip():
        out.append(Fact(kind=FactKind.current_appearance, subject=c.id, predicate="outfit",
                        object=c.state.outfit.strip(), text=f"{c.name} wears {c.state.outfit.strip()}."))
    if c.state.injuries:
        inj = "; ".join(c.state.injuries)
        out.append(Fact(kind=FactKind.current_appearance, subject=c.id, predicate="injuries", object=inj,
                        text=f"{c.name} is injured: {inj}."))
    for prop in c.state.props:
        out.append(Fact(kind=FactKind.possession, subject=c.id, predicate="holds", object=prop,
                        text=f"{c.name} carries {prop}."))
    for rel in c.relations:
        target = res.character(rel.target) or rel.target
        out.append(Fact(kind=FactKind.relationship, subject=c.id, predicate=rel.kind, object=target,
                        text=f"{c.name}'s {rel.kind}: {names.get(target, target)}."))
    return out + _status_facts(c)


def _world_facts(cf: CanonFile, res: Resolver, names: dict[str, str]) -> list[Fact]:
    out = [Fact(kind=FactKind.world_rule, subject="world", predicate="rule", object=rule, text=rule)
           for rule in cf.series.world_rules]
    for loc in cf.locations:
        if loc.parent:
            out.append(Fact(kind=FactKind.relationship, subject=loc.id, predicate="inside", object=loc.parent,
                            text=f"{loc.name} lies inside {names.get(loc.parent, loc.parent)}."))
    for ep in cf.episodes:
        for sc in ep.scenes:
            at = SceneRef(episode=ep.number, scene=sc.number)
            place = res.location(sc.location) or slugify(sc.location)
            cast = [res.character(c) or slugify(c) for c in sc.characters]
            if not sc.unreal:
                for cid in cast:
                    out.append(Fact(kind=FactKind.whereabouts, subject=cid, predicate="at", object=place,
                                    valid_from=at, source=str(at),
                                    text=f"{names.get(cid, cid)} is at {names.get(place, place)} in {at}."))
            if sc.summary.strip():
                who = ", ".join(names.get(c, c) for c in cast)
                tag = " (flashback)" if sc.flashback else " (dream)" if sc.dream else ""
                out.append(Fact(kind=FactKind.event, subject=place, predicate="event",
                                object=sc.summary.strip(), valid_from=at, source=str(at),
                                text=f"{at}{tag} at {names.get(place, place)} with {who}: {sc.summary.strip()}"))
    return out


def derive_facts(cf: CanonFile, *, explicit: bool = True) -> list[Fact]:
    """Every versioned fact the file implies (plus its explicit ``facts``), superseding applied."""
    res = Resolver.for_file(cf)
    names = {c.id: c.name for c in cf.characters} | {loc.id: loc.name for loc in cf.locations}
    facts: list[Fact] = []
    for c in cf.characters:
        facts.extend(_character_facts(c, res, names))
    facts.extend(_world_facts(cf, res, names))
    if explicit:
        for f in cf.facts:
            subject = res.any(f.subject) or f.subject
            facts.append(f.model_copy(update={"subject": subject}))
    return merge_facts([], facts)


# --------------------------------------------------------------------------- project import / export


def import_canon(project: Project, cf: CanonFile, *, settings: Settings | None = None,
                 index: bool = True) -> ImportReport:
    """Write ``cf`` into the project's canon files (merging with what is there) and index memory."""
    from showrunner.memory.canon_io import import_canon as _import

    return _import(project, cf, settings=settings, index=index)


def export_canon(project: Project) -> CanonFile:
    """Read the project's canon files back into one :class:`CanonFile`."""
    from showrunner.memory.canon_io import export_canon as _export

    return _export(project)
