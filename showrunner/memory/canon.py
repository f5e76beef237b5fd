"""The canon: approved series material as human-editable files, the source of truth.

Layout under ``<project>/canon/`` (documented in docs/canon-format.md)::

    series.json                 Bible fields other than characters and locations
    characters/<id>.json        one Character per file
    locations/<id>.json         one Location per file
    facts.jsonl                 one versioned Fact per line
    episodes/ep-001.json        approved Episode (outline + scenes)
    storyboards/ep-001.json     approved shots of that episode: {"episode": 1, "shots": [Shot, ...]}

Every write is atomic (temp file + rename). Only approved material is written here; drafts live in
``<project>/drafts/`` and never answer a canon query.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from showrunner.errors import ProjectError
from showrunner.io import atomic_write
from showrunner.models import Bible, Character, Episode, Fact, Location, Shot, slugify
from showrunner.world.timeline import merge_facts

M = TypeVar("M", bound=BaseModel)

class Storyboard(BaseModel):
    """The approved shots of one episode."""

    episode: int
    shots: list[Shot]


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=2, exclude_none=True) + "\n"


def _load(path: Path, cls: type[M]) -> M:
    try:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ProjectError(f"canon file {path} is invalid ({first}); fix it by hand or restore it") from exc


class Canon:
    """Read and write the canon files of one project."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- bible, characters, locations
    def has_bible(self) -> bool:
        return (self.root / "series.json").is_file()

    def bible(self) -> Bible:
        path = self.root / "series.json"
        if not path.is_file():
            raise ProjectError("the series has no approved bible yet; approve it with 'showrunner approve'")
        data = json.loads(path.read_text(encoding="utf-8"))
        data["characters"] = [c.model_dump() for c in self.characters()]
        data["locations"] = [loc.model_dump() for loc in self.locations()]
        return Bible.model_validate(data)

    def save_bible(self, bible: Bible) -> None:
        head = bible.model_dump(exclude={"characters", "locations"})
        for c in bible.characters:
            self.save_character(c)
        for loc in bible.locations:
            self.save_location(loc)
        atomic_write(self.root / "series.json", json.dumps(head, indent=2, ensure_ascii=False) + "\n")

    def characters(self) -> list[Character]:
        return [_load(p, Character) for p in sorted((self.root / "characters").glob("*.json"))]

    def locations(self) -> list[Location]:
        return [_load(p, Location) for p in sorted((self.root / "locations").glob("*.json"))]

    def save_character(self, c: Character) -> None:
        atomic_write(self.root / "characters" / f"{slugify(c.id)}.json", _dump(c))

    def save_location(self, loc: Location) -> None:
        atomic_write(self.root / "locations" / f"{slugify(loc.id)}.json", _dump(loc))

    # ---- facts
    def facts(self) -> list[Fact]:
        path = self.root / "facts.jsonl"
        if not path.is_file():
            return []
        out = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(Fact.model_validate_json(line))
                except ValidationError as exc:
                    raise ProjectError(f"{path} line {n} is not a valid fact; fix or delete it") from exc
        return out

    def save_facts(self, facts: list[Fact]) -> None:
        text = "".join(f.model_dump_json(exclude_none=True) + "\n" for f in facts)
        atomic_write(self.root / "facts.jsonl", text)

    def add_facts(self, new: list[Fact]) -> list[Fact]:
        merged = merge_facts(self.facts(), new)
        self.save_facts(merged)
        return merged

    # ---- episodes and storyboards
    def _ep_path(self, kind: str, n: int) -> Path:
        return self.root / kind / f"ep-{n:03d}.json"

    def episode_numbers(self) -> list[int]:
        return sorted(int(p.stem[3:]) for p in (self.root / "episodes").glob("ep-*.json"))

    def episode(self, n: int) -> Episode | None:
        path = self._ep_path("episodes", n)
        return _load(path, Episode) if path.is_file() else None

    def save_episode(self, ep: Episode) -> None:
        atomic_write(self._ep_path("episodes", ep.number), _dump(ep))

    def storyboard(self, n: int) -> list[Shot] | None:
        path = self._ep_path("storyboards", n)
        return _load(path, Storyboard).shots if path.is_file() else None

    def save_storyboard(self, n: int, shots: list[Shot]) -> None:
        atomic_write(self._ep_path("storyboards", n), _dump(Storyboard(episode=n, shots=shots)))

    # ---- integrity
    def digest(self) -> str:
        """SHA-256 over every canon file's path and content: equal digests mean the same canon.

        Content is the bytes, except for reference images (``references/``): a picture counts by its
        pixels and a record without its ``created`` time, because a signature's manifest and the clock
        differ from one signing to the next while the canon they carry is the same.
        """
        h = hashlib.sha256()
        if self.root.is_dir():
            for p in sorted(self.root.rglob("*")):
                if p.is_file() and not p.name.startswith("."):
                    rel = p.relative_to(self.root)
                    h.update(str(rel).encode())
                    h.update(_reference_content(p) if rel.parts[0] == "references" else p.read_bytes())
        return h.hexdigest()


def _reference_content(path: Path) -> bytes:
    """What a reference file holds as canon: an image's pixels, a record's fields but its creation time."""
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as im:
            return f"{im.mode} {im.size}".encode() + im.tobytes()
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return path.read_bytes()
        if isinstance(data, dict):
            data.pop("created", None)
        return json.dumps(data, sort_keys=True).encode()
    return path.read_bytes()
