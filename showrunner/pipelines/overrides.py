"""Human-supplied frames: ``showrunner shot replace`` drops a person's own image in for one shot.

:func:`store_override` is the one way a shot's frame is overridden: ``shot replace`` (a person's image)
and ``shot fix`` (:mod:`showrunner.pipelines.fix`, an inpainted region) both go through it.

The image is validated (Pillow must decode it), normalised to RGB PNG, stored content-addressed under
``renders/frames/human/``, signed with a C2PA manifest that says it was made by a person with software
(IPTC ``digitalCreation``, not AI-generated) and recorded in ``renders/ep-NNN/overrides.json``. A
replaced shot is never re-rendered by the backends; its frame goes into the cut as it is.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from showrunner.config import Settings
from showrunner.errors import BadInput, ProjectError
from showrunner.io import atomic_write
from showrunner.pipelines.project import Project
from showrunner.pipelines.provenance import Provenance
from showrunner.pipelines.render_jobs import shot_id as _shot_id

MAX_PIXELS = 8192 * 8192


def overrides_path(project: Project, n: int) -> Path:
    return project.renders_dir / f"ep-{n:03d}" / "overrides.json"


def load_overrides(project: Project, n: int) -> dict[str, dict[str, Any]]:
    path = overrides_path(project, n)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{path} is unreadable ({exc}); fix or delete it") from exc
    return {k: v for k, v in data.items() if isinstance(v, dict) and Path(v.get("frame", "")).is_file()}


def normalized_png(image: Path, formats: tuple[str, ...] | None = None) -> bytes:
    """A person's image file as RGB PNG bytes (shared by ``shot replace`` and ``ref set``).

    :class:`BadInput` when it is missing, unreadable, too large or, given ``formats`` (Pillow format
    names), of another format.
    """
    if not image.is_file():
        raise BadInput(f"{image}: no such file")
    try:
        with Image.open(image) as im:
            if formats is not None and im.format not in formats:
                raise BadInput(f"{image} is a {im.format or 'unknown'} image; use a PNG or JPEG")
            if im.width * im.height > MAX_PIXELS:
                raise BadInput(f"{image} is {im.width}x{im.height}; use an image under 8192x8192")
            im.load()
            rgb = im.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadInput(f"{image} is not a readable image ({type(exc).__name__}); use a PNG or JPEG") from exc
    buf = io.BytesIO()
    rgb.save(buf, "PNG")
    return buf.getvalue()


def replace_shot(project: Project, settings: Settings, episode_no: int, shot_id: str, image: Path) -> dict[str, Any]:
    """Use ``image`` as shot ``shot_id``'s frame from now on; returns the override record."""
    check_shot(project, settings, episode_no, shot_id)
    img = Image.open(io.BytesIO(normalized_png(image)))
    return store_override(project, settings, episode_no, shot_id, img,
                          {"source": str(image), "human_supplied": True, "replaced_at": time.time()},
                          folder="human", title=f"ep{episode_no:03d} {shot_id} (human)", source="digitalCreation")


def check_shot(project: Project, settings: Settings, episode_no: int, shot_id: str) -> None:
    """A one-line error unless the approved storyboard of ``episode_no`` has shot ``shot_id``."""
    from showrunner.pipelines.series import approved_storyboard

    _, shots = approved_storyboard(project, episode_no, settings)
    ids = [_shot_id(s) for s in shots]
    if shot_id not in ids:
        raise BadInput(f"episode {episode_no} has no shot {shot_id!r}; shots: {', '.join(ids)}")


def store_override(project: Project, settings: Settings, episode_no: int, shot_id: str, img: Image.Image,
                   record: dict[str, Any], *, folder: str, title: str, source: str) -> dict[str, Any]:
    """Store ``img`` content-addressed under ``renders/frames/<folder>/``, sign it, record it for the shot.

    ``record`` adds to the stored fields (shot, episode, frame, sha256, kind); ``source`` is the IPTC
    digital source type of the manifest (``digitalCreation`` for a person's frame, ``trainedAlgorithmicMedia``
    for a model's edit).
    """
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PNG")
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    dest = project.renders_dir / "frames" / folder / f"{sha}.png"
    record = {"shot": shot_id, "episode": episode_no, "frame": str(dest), "sha256": sha, "kind": "keyframe", **record}
    prov = Provenance.for_project(project.root, settings.c2pa_cert, settings.c2pa_key)
    prov.write(dest, data, title=title, sidecar=record, source=source)
    current = load_overrides(project, episode_no)
    current[shot_id] = record
    atomic_write(overrides_path(project, episode_no), json.dumps(current, indent=2) + "\n")
    return record
