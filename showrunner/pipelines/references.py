"""Reference images as approved canon: versioned character sheets and location plates, each signed.

Layout (docs/canon-format.md, "Reference images")::

    canon/references/<entity-id>/v<N>.png    the image (C2PA-signed)
    canon/references/<entity-id>/v<N>.json   its record (:class:`RefRecord`)

A character's sheet follows their **look** (fixed traits, marks and outfit, :func:`character_key`): when
canon changes the outfit or a lasting mark (a fact read by :meth:`World.look`), the first render of a
shot in the new look makes the next version, and a shot uses the version whose look is the one it has
at its story time, so earlier shots keep theirs. A location has one plate per time of day.

At the bible gate the configured image backend makes each sheet and plate into ``drafts/bible/
references/`` (content-addressed: a resumed gate makes nothing twice; a rejection's notes go into the
prompts, so the next round makes new ones); the approved bible's become version 1 in canon.
``showrunner ref set`` adds a person's own image as the next version (signed as a digital creation).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from showrunner.errors import ProjectError
from showrunner.io import atomic_write
from showrunner.models import Bible, Character, Location
from showrunner.pipelines.provenance import Provenance, sidecar_path
from showrunner.pipelines.render_jobs import digest
from showrunner.tools import refsheet

if TYPE_CHECKING:
    from PIL.Image import Image

    from showrunner.config import Settings
    from showrunner.tools.base import Backend, RenderJob

MAX_PLATES = 3  # times of day per location made at the gate


class RefRecord(BaseModel):
    """One version of one entity's reference image (the image's sidecar)."""

    kind: Literal["reference"] = "reference"
    entity: str = Field(description="Character or location id.")
    entity_kind: Literal["character", "location"]
    version: int = Field(0, description="1, 2, ... in canon; 0 for a draft at the bible gate.")
    variant: str = Field("", description="Time of day of a location plate ('' = the plain look).")
    look: str = Field(description="The look the image shows (prompt text of the sheet).")
    look_key: str = Field(description="Hash of that look: which shots use this version.")
    since: dict[str, int | None] = Field(default_factory=lambda: {"episode": 0, "scene": None},
                                         description="Story time of the first shot in this look.")
    source: Literal["generated", "human"] = "generated"
    notes: list[str] = Field(default_factory=list, description="Reviewer notes the prompt carried.")
    prompt: str = ""
    seed: int | None = None
    model: str | None = None
    created: float = Field(default_factory=time.time)


def character_key(c: Character) -> str:
    """What a sheet depends on: name, fixed traits (marks included) and outfit; not props or injuries."""
    return digest({"name": c.name, "look": c.look.model_dump(mode="json"), "outfit": c.state.outfit})


def plate_key(loc: Location, time_of_day: str) -> str:
    return digest({"name": loc.name, "look": loc.look_at(time_of_day), "when": time_of_day})


def plate_times(loc: Location) -> list[str]:
    """The times of day a location gets plates for: the plain look and its variants (a small set)."""
    return ["", *dict.fromkeys(v.when.strip().lower() for v in loc.variants if v.when.strip())][:MAX_PLATES]


class RefStore:
    """The reference images under one folder (``canon/references``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def records(self, entity: str | None = None) -> list[RefRecord]:
        pattern = f"{entity}/v*.json" if entity else "*/v*.json"
        out = []
        for p in self.folder.glob(pattern):
            if p.with_suffix(".png").is_file():
                try:
                    out.append(RefRecord.model_validate_json(p.read_text(encoding="utf-8")))
                except (OSError, ValueError) as exc:
                    raise ProjectError(f"{p} is not a valid reference record ({type(exc).__name__}); fix it "
                                       "or delete it with its image") from exc
        return sorted(out, key=lambda r: (r.entity, r.version))

    def find(self, entity: str, look_key: str) -> RefRecord | None:
        """The newest version of ``entity`` showing that look (a person's later one wins)."""
        hits = [r for r in self.records(entity) if r.look_key == look_key]
        return hits[-1] if hits else None

    def path(self, rec: RefRecord) -> Path:
        return self.folder / rec.entity / f"v{rec.version}.png"

    def add(self, rec: RefRecord, png: bytes, prov: Provenance, *, signed: bool = False) -> RefRecord:
        """Store ``png`` as the entity's next version (signed here unless ``signed`` already)."""
        rec = rec.model_copy(update={"version": max((r.version for r in self.records(rec.entity)), default=0) + 1})
        path = self.path(rec)
        side = rec.model_dump(mode="json")
        if signed:
            atomic_write(sidecar_path(path), json.dumps(side, indent=2, ensure_ascii=False) + "\n")
            atomic_write(path, png)
        else:
            source = "digitalCreation" if rec.source == "human" else "trainedAlgorithmicMedia"
            prov.write(path, png, title=f"{rec.entity} reference v{rec.version}", sidecar=side, source=source)
        return rec


def plate_for(store: RefStore, loc: Location, time_of_day: str) -> RefRecord | None:
    """The plate of ``loc`` at ``time_of_day``, else its plain plate (a time with no look of its own)."""
    when = time_of_day.strip().lower()
    return store.find(loc.id, plate_key(loc, when)) or store.find(loc.id, plate_key(loc, ""))


def _png(image: Image) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _make(backend: Backend, settings: Settings, entity: Character | Location, variant: str, style: str,
          notes: list[str]) -> tuple[bytes, RefRecord, float]:
    """Make one sheet or plate through ``backend``: PNG bytes, its (unversioned) record, seconds spent."""
    p, start = settings.render, time.perf_counter()
    if isinstance(entity, Character):
        img, params = refsheet.make_sheet(backend, entity, size=p.height, steps=p.steps, style=style, notes=notes)
        rec = RefRecord(entity=entity.id, entity_kind="character", look=refsheet.sheet_look(entity).canonical_look(),
                        look_key=character_key(entity), notes=notes, prompt=params["prompt"], seed=params["seed"],
                        model=params.get("model"))
    else:
        img, params = refsheet.make_plate(backend, entity, variant, size=(p.width, p.height), steps=p.steps,
                                          style=style, notes=notes)
        rec = RefRecord(entity=entity.id, entity_kind="location", variant=variant, look=entity.look_at(variant),
                        look_key=plate_key(entity, variant), notes=notes, prompt=params["prompt"],
                        seed=params["seed"], model=params.get("model"))
    return _png(img), rec, time.perf_counter() - start


def draft_references(root: Path, settings: Settings, bible: Bible, notes: list[str] | None = None,
                     backend: Backend | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every sheet and plate of ``bible`` for the bible gate: (listing for the payload, meter items).

    Drafts are keyed by look, notes and backend, so a resumed gate (the node runs again) or the commit
    after approval finds them made; only what is new costs a render.
    """
    from showrunner.tools.base import get_backend

    notes = [n for n in notes or [] if n]
    backend = backend or get_backend(settings.render.image_backend, settings, kind="image")
    identity = {k: v for k, v in backend.identity().items() if k not in ("ip_adapter", "ip_scale", "controlnet")}
    folder, prov = root / "drafts" / "bible" / "references", None
    listing: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    wanted: list[tuple[Character | Location, str, str]] = [(c, "", character_key(c)) for c in bible.characters]
    wanted += [(loc, t, plate_key(loc, t)) for loc in bible.locations for t in plate_times(loc)]
    for entity, variant, look_key in wanted:
        key = digest({"v": refsheet.VERSION, "look": look_key, "notes": notes, "backend": identity,
                      "size": [settings.render.width, settings.render.height]})
        path = folder / f"{entity.id}{'-' + variant if variant else ''}-{key[:16]}.png"
        if not path.is_file() or not sidecar_path(path).is_file():
            png, rec, seconds = _make(backend, settings, entity, variant, bible.style_guide, notes)
            prov = prov or Provenance.for_project(root, settings.c2pa_cert, settings.c2pa_key)
            prov.write(path, png, title=f"{entity.name} reference (draft)", sidecar=rec.model_dump(mode="json"))
            items.append({"stage": "reference", "entity": entity.id, "backend": backend.name,
                          "seconds": round(seconds, 4), "gpu_seconds": 0.0})
        rec = RefRecord.model_validate_json(sidecar_path(path).read_text(encoding="utf-8"))
        listing.append({"entity": entity.id, "name": entity.name, "kind": rec.entity_kind, "variant": variant,
                        "path": str(path), "prompt": rec.prompt, "look_key": look_key})
    return listing, items


def approve_references(root: Path, settings: Settings, bible: Bible, notes: list[str] | None = None
                       ) -> tuple[list[RefRecord], list[dict[str, Any]]]:
    """The approved bible's sheets and plates become canon versions (those canon lacks).

    Returns the new versions and the meter items of any image made now (an edited look at the gate).
    """
    listing, made = draft_references(root, settings, bible, notes)
    store, prov = RefStore(root / "canon" / "references"), Provenance.for_project(root, settings.c2pa_cert,
                                                                                 settings.c2pa_key)
    added = []
    for entry in listing:
        if store.find(entry["entity"], entry["look_key"]) is None:
            path = Path(entry["path"])
            rec = RefRecord.model_validate_json(sidecar_path(path).read_text(encoding="utf-8"))
            added.append(store.add(rec, path.read_bytes(), prov, signed=True))  # the approved bytes, as signed
    return added, made


def attach_references(root: Path, settings: Settings, backend: Backend, jobs: list[RenderJob],
                      style: str = "") -> list[tuple[str, float]]:
    """Point each job at its on-screen characters' sheets and its location's plate, making missing versions.

    A sheet shows the character's look at that shot; a plate, the place at the scene's time of day. Jobs
    come in story order, so a new version records the first shot in its look (``since``). Returns
    ``(entity id, seconds)`` per sheet or plate made, for the meter.
    """
    store, prov = RefStore(root / "canon" / "references"), None
    made: list[tuple[str, float]] = []
    for job in jobs:
        for c in job.characters:
            rec = store.find(c.id, character_key(c))
            if rec is None:
                png, new, seconds = _make(backend, settings, c, "", style, [])
                prov = prov or Provenance.for_project(root, settings.c2pa_cert, settings.c2pa_key)
                since: dict[str, int | None] = {"episode": job.episode, "scene": job.shot.scene}
                rec = store.add(new.model_copy(update={"since": since}), png, prov)
                made.append((c.id, seconds))
            job.references[c.id] = store.path(rec)
        if job.location is not None:  # the place's plate at that time of day conditions the background
            loc = job.location
            rec = plate_for(store, loc, job.time_of_day)
            if rec is None:
                when = job.time_of_day.strip().lower()
                png, new, seconds = _make(backend, settings, loc, when if when in plate_times(loc) else "", style, [])
                prov = prov or Provenance.for_project(root, settings.c2pa_cert, settings.c2pa_key)
                rec = store.add(new.model_copy(update={"since": {"episode": job.episode, "scene": job.shot.scene}}),
                                png, prov)
                made.append((loc.id, seconds))
            job.references[loc.id] = store.path(rec)
    return made


def set_reference(root: Path, settings: Settings, name: str, image: Path, *, episode: int = 0,
                  scene: int | None = None, time_of_day: str = "") -> tuple[RefRecord, Path]:
    """A person's own image as the next version of a character's sheet or a location's plate.

    ``name`` is resolved like every name in the story (id, name, alias); a character's sheet is for their
    look at (``episode``, ``scene``), a location's plate for ``time_of_day``. The image must be a PNG or
    JPEG; it is re-encoded and signed as a digital creation (not AI-generated).
    """
    from showrunner.errors import BadInput
    from showrunner.memory.canon import Canon
    from showrunner.pipelines.overrides import normalized_png
    from showrunner.world import World

    canon = Canon(root / "canon")
    bible = canon.bible()
    world = World(bible.characters, bible.locations, canon.facts())
    cid, lid = world.people.resolve(name), world.places.resolve(name)
    if cid and lid:
        raise BadInput(f"{name!r} names both character {cid!r} and location {lid!r}; use the id you mean")
    if not cid and not lid:
        raise BadInput(f"no character or location named {name!r}; characters: {', '.join(world.people.display)}; "
                       f"locations: {', '.join(world.places.display)}")
    png = normalized_png(image, ("PNG", "JPEG"))
    if cid:
        look = world.look(cid, episode, scene)
        assert look is not None
        rec = RefRecord(entity=cid, entity_kind="character", look=refsheet.sheet_look(look).canonical_look(),
                        look_key=character_key(look), since={"episode": episode, "scene": scene}, source="human")
    else:
        loc = next(x for x in world.locations if x.id == lid)
        when = time_of_day.strip().lower()
        rec = RefRecord(entity=loc.id, entity_kind="location", variant=when, look=loc.look_at(when),
                        look_key=plate_key(loc, when), source="human")
    store = RefStore(root / "canon" / "references")
    rec = store.add(rec, png, Provenance.for_project(root, settings.c2pa_cert, settings.c2pa_key))
    return rec, store.path(rec)
