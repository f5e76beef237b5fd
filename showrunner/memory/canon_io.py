"""Import a canon file into a project's canon folder, and export the folder back to one file.

Import resolves every name and alias to an id (:func:`resolve_file`), derives the versioned facts, and
only then writes, so bad input never leaves a half-imported canon. Deaths, disappearances and returns
live in the project as status facts; export turns those facts back into ``deaths``/``missing``/
``returns`` and lists only the facts the file does not already imply, so import → export → import is
lossless (tests/unit/test_canon_format.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from showrunner.errors import BadInput, ProjectError
from showrunner.memory.canon import Canon
from showrunner.models import (
    Bible,
    CanonCharacter,
    CanonFile,
    CanonSeries,
    Character,
    Episode,
    Fact,
    FactKind,
    Location,
    SceneRef,
    slugify,
)
from showrunner.pipelines.project import Project
from showrunner.world.facts import derive_facts
from showrunner.world.names import Names, extra_base, split_qualifier
from showrunner.world.timeline import merge_facts

if TYPE_CHECKING:
    from showrunner.config import Settings

_MARK = re.compile(r"^E(\d+)(?: S(\d+))?: (death|missing|return)$")


@dataclass
class ImportReport:
    """What an import wrote."""

    project: str
    created: bool = False
    characters: int = 0
    locations: int = 0
    episodes: int = 0
    scenes: int = 0
    facts: int = 0
    indexed: int = 0
    warnings: list[str] = field(default_factory=list)


def _one(names: Names, ref: str, kind: str, where: str) -> str | None:
    found = names.candidates(ref)
    if len(found) > 1:
        raise BadInput(f"{where}: {kind} {ref!r} is ambiguous ({', '.join(sorted(found))}); use the id")
    return next(iter(found)) if found else None


def resolve_file(cf: CanonFile) -> tuple[CanonFile, list[str]]:
    """Return a copy of ``cf`` with names resolved to ids; undeclared names become new entries (warned)."""
    cf = cf.model_copy(deep=True)
    warnings: list[str] = []
    for label, ids in (("character", [c.id for c in cf.characters]), ("location", [x.id for x in cf.locations])):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise BadInput(f"two {label}s share the id {dup[0]!r}; give each an explicit unique 'id'")
    people, places = Names.of(cf.characters), Names.of(cf.locations)

    def char(ref: str, where: str) -> str:
        cid = _one(people, ref, "character", where) or people.resolve(ref)
        if cid is None and extra_base(split_qualifier(ref)[0]) is not None:
            return ref  # a numbered walk-on ('Guard #3') stays a walk-on, never a canon character
        if cid is None:
            new = CanonCharacter(name=split_qualifier(ref)[0])
            cid = new.id
            if cid not in people.display:
                cf.characters.append(new)
                warnings.append(f"{where}: undeclared character {ref!r} added as {cid!r}")
                people.add(new)
        return cid

    def loc(ref: str, where: str) -> str:
        lid = _one(places, ref, "location", where) or places.resolve(ref)
        if lid is None:
            new = Location(name=ref)
            lid = new.id
            if lid not in places.display:
                cf.locations.append(new)
                warnings.append(f"{where}: undeclared location {ref!r} added as {lid!r}")
                places.add(new)
        return lid

    for location in list(cf.locations):
        if location.parent:
            location.parent = loc(location.parent, f"location {location.id} parent")
    for c in list(cf.characters):
        for rel in c.relations:
            rel.target = char(rel.target, f"character {c.id} relation {rel.kind}")
    for ep in cf.episodes:
        for sc in ep.scenes:
            where = f"E{ep.number} S{sc.number}"
            sc.location = loc(sc.location, where)
            sc.characters = [char(x, where) for x in sc.characters]
            for line in sc.dialogue:
                line.speaker = char(line.speaker, where + " dialogue")
    for f in cf.facts:
        f.subject = people.resolve(f.subject) or places.resolve(f.subject) or f.subject
    return cf, warnings


def _check_episodes(cf: CanonFile) -> None:
    seen: set[int] = set()
    for ep in cf.episodes:
        if ep.number in seen:
            raise BadInput(f"episode {ep.number} appears twice in the canon file; merge the two")
        seen.add(ep.number)
        nums = [s.number for s in ep.scenes]
        if len(set(nums)) != len(nums):
            raise BadInput(f"episode {ep.number} has two scenes with the same number; renumber them")


def check_file(cf: CanonFile) -> list[str]:
    """Raise :class:`BadInput` for duplicate ids or episode/scene numbers and ambiguous names; warnings."""
    _check_episodes(cf)
    return resolve_file(cf)[1]


def _sorted(facts: list[Fact]) -> list[Fact]:
    return sorted(facts, key=lambda f: (f.valid_from.key(), f.id))


def import_canon(project: Project, cf: CanonFile, *, settings: Settings | None = None,
                 index: bool = True) -> ImportReport:
    """Write ``cf`` into ``project``'s canon (merged by id with what is there); then rebuild memory."""
    _check_episodes(cf)
    cf, warnings = resolve_file(cf)
    new_facts = derive_facts(cf)
    canon = Canon(project.canon_dir)
    with project.lock("showrunner canon import"):
        old = canon.facts()
        series = cf.series.model_dump()
        plain = [Character.model_validate(c.model_dump(exclude={"deaths", "returns", "missing"}))
                 for c in cf.characters]
        canon.save_bible(Bible.model_validate({**series, "characters": plain, "locations": cf.locations}))
        for ep in cf.episodes:
            canon.save_episode(ep)
        merged = _sorted(merge_facts(old, new_facts))
        canon.save_facts(merged)
    report = ImportReport(project=str(project.root), characters=len(cf.characters),
                          locations=len(cf.locations), episodes=len(cf.episodes),
                          scenes=sum(len(e.scenes) for e in cf.episodes), facts=len(merged) - len(old),
                          warnings=warnings)
    if index:
        from showrunner.config import load_settings
        from showrunner.memory import open_memory

        report.indexed = open_memory(project, settings or load_settings(project.root)).rebuild(canon)
    return report


def _turning_points(facts: list[Fact]) -> dict[str, dict[str, list[SceneRef]]]:
    """Status facts written by an import, turned back into deaths / missing / returns per character."""
    out: dict[str, dict[str, list[SceneRef]]] = {}
    for f in facts:
        m = _MARK.match(f.source) if f.kind == FactKind.status else None
        if not m:
            continue
        ref = SceneRef(episode=int(m.group(1)), scene=int(m.group(2)) if m.group(2) else None)
        key = {"death": "deaths", "missing": "missing", "return": "returns"}[m.group(3)]
        out.setdefault(f.subject, {}).setdefault(key, []).append(ref)
    return out


def export_canon(project: Project) -> CanonFile:
    """The project's canon as one :class:`CanonFile`; facts the file implies are not repeated."""
    canon = Canon(project.canon_dir)
    if not canon.has_bible():
        raise ProjectError(f"{project.root} has no approved canon yet; import one with 'showrunner canon import'")
    head = json.loads((canon.root / "series.json").read_text(encoding="utf-8"))
    series = CanonSeries.model_validate({k: v for k, v in head.items() if k in CanonSeries.model_fields})
    facts = canon.facts()
    points = _turning_points(facts)
    chars = [CanonCharacter.model_validate({**c.model_dump(), **points.get(c.id, {})})
             for c in canon.characters()]
    episodes: list[Episode] = [e for n in canon.episode_numbers() if (e := canon.episode(n))]
    cf = CanonFile(series=series, characters=chars, locations=canon.locations(), episodes=episodes)
    implied = {f.id for f in derive_facts(cf, explicit=False)}
    cf.facts = [f for f in facts if f.id not in implied]
    return cf


def open_or_create(root: Path, cf: CanonFile) -> tuple[Project, bool]:
    """Open the series at ``root``, or create it (named after the canon file's series) when absent."""
    if (root / "project.json").is_file():
        return Project.open(root), False
    proj = Project.create(root, title=cf.series.title, premise=cf.series.logline,
                          episodes=len(cf.episodes), slug=slugify(cf.series.title, fallback="series"))
    return proj, True
