"""Character reference sheets: one per character, made once, reused by every shot (IP-Adapter input).

A person may supply their own: ``<project>/canon/references/<character-id>.png`` (or .jpg) wins, since
the canon folder is approved material. Otherwise the keyframe backend generates one from the
character's canonical look ("character turnaround sheet ... plain background") with a seed derived from
the character id, and it is cached under ``renders/refs/`` keyed by the look and the backend identity,
so a changed look or model makes a new sheet and nothing else. :func:`draw_sheet` is the Pillow version
(figure, palette swatches, look text) shown at the bible gate and used by backends without weights.
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from showrunner.models import Character, Shot
from showrunner.pipelines.project import Project
from showrunner.tools import draw as d
from showrunner.tools.base import RenderJob
from showrunner.tools.look import character_palette

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.tools.base import Backend

VERSION = "refsheet-1"


def sheet_prompt(c: Character, style: str = "") -> str:
    parts = [style, "character reference sheet, full body turnaround, front view and side view",
             c.canonical_look(), "plain light grey background, even lighting"]
    return ", ".join(p for p in parts if p)


def sheet_seed(c: Character) -> int:
    return int(hashlib.sha256(f"refsheet:{c.id}".encode()).hexdigest()[:8], 16) % (2**31)


def draw_sheet(c: Character, size: tuple[int, int] = (512, 512)) -> Image.Image:
    """A Pillow turnaround: front and back figure, palette swatches, name and look."""
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


def user_reference(project: Project, c: Character) -> Path | None:
    for ext in (".png", ".jpg", ".jpeg"):
        p = project.canon_dir / "references" / f"{c.id}{ext}"
        if p.is_file():
            return p
    return None


def _sheet_job(c: Character, settings: Settings) -> RenderJob:
    size = settings.render.height
    return RenderJob(shot=Shot(id=f"ref-{c.id}", scene=1, action="reference sheet"), episode=0,
                     prompt=sheet_prompt(c), negative_prompt="cropped, multiple people, text", seed=sheet_seed(c),
                     width=size, height=size, steps=max(1, settings.render.steps), characters=[c])


def ensure_references(project: Project, settings: Settings, backend: Backend, characters: list[Character],
                      rendered: list[tuple[str, float]] | None = None) -> dict[str, Path]:
    """Character id -> reference sheet path, generating (and signing) the missing ones.

    Each sheet generated here is appended to ``rendered`` as ``(character id, seconds)``, so the caller
    can meter it like any other render.
    """
    from showrunner.pipelines.provenance import Provenance
    from showrunner.pipelines.render_jobs import digest

    out: dict[str, Path] = {}
    identity = {k: v for k, v in backend.identity().items() if k not in ("ip_adapter", "ip_scale", "controlnet")}
    prov: Provenance | None = None
    for c in {c.id: c for c in characters}.values():
        supplied = user_reference(project, c)
        if supplied:
            out[c.id] = supplied
            continue
        look = c.model_dump(mode="json", include={"name", "look", "state", "palette"})
        key = digest({"v": VERSION, "look": look, "backend": identity})
        path = project.renders_dir / "refs" / f"{c.id}-{key[:16]}.png"
        if not path.is_file():
            job = _sheet_job(c, settings)
            start = time.perf_counter()
            image, params = _generate(backend, job)
            if rendered is not None:
                rendered.append((c.id, time.perf_counter() - start))
            buf = io.BytesIO()
            image.save(buf, "PNG")
            prov = prov or Provenance.for_project(project.root, settings.c2pa_cert, settings.c2pa_key)
            prov.write(path, buf.getvalue(), title=f"{c.name} reference sheet",
                       sidecar={"kind": "reference_sheet", "character": c.id, "prompt": job.prompt,
                                "seed": job.seed, "model": identity.get("model"), "params": params})
        out[c.id] = path
    return out


def _generate(backend: Backend, job: RenderJob) -> tuple[Image.Image, dict[str, Any]]:
    if backend.name == "preview":
        return draw_sheet(job.characters[0], (job.width, job.height)), {"backend": "preview"}
    result = backend.render([job])[0]  # no references on the job: the adapter is silenced for the sheet
    return result.frames[0], result.params


def write_review_sheets(root: Path, characters: list[Character]) -> dict[str, str]:
    """Draw every character's reference sheet for the bible gate; returns ``{character id: png path}``.

    Deterministic (same look, same bytes), so a node re-run on resume rewrites identical files. These are
    review aids showing each canonical look before it becomes canon; keyframe backends make their own
    sheets (or take the user's from ``canon/references/``).
    """
    from showrunner.io import atomic_write

    out: dict[str, str] = {}
    for c in characters:
        buf = io.BytesIO()
        draw_sheet(c).save(buf, "PNG")
        path = root / "drafts" / "bible" / "references" / f"{c.id}.png"
        atomic_write(path, buf.getvalue())
        out[c.id] = str(path)
    return out
