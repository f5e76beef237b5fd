"""The canon import/export format: one JSON file holding a whole story world (docs/canon-format.md).

A :class:`CanonFile` carries the series info, characters (with aliases, relations, deaths, returns from
death, disappearances), locations (``parent`` links sub-locations), explicit facts and episodes with
scenes. The models live in :mod:`showrunner.models`; what a file implies (names resolved, versioned facts,
death and return semantics) is derived in :mod:`showrunner.world.facts`. This module reads, validates and
writes the file, and hands import/export to :mod:`showrunner.memory.canon_io`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from showrunner.errors import BadInput
from showrunner.io import atomic_write
from showrunner.models import FORMAT, CanonFile

if TYPE_CHECKING:
    from showrunner.config import Settings
    from showrunner.memory.canon_io import ImportReport
    from showrunner.pipelines.project import Project


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
