"""Atomic file I/O shared by every layer: whole-file writes by rename, JSON lines that survive a crash.

Files follow the user's umask (a temp file from :func:`tempfile.mkstemp` is 0600; it is widened to
``0o666 & ~umask`` before the rename), so outputs are as readable as anything else the user writes.
:func:`create_file` does the same for files that libraries create (SQLite databases). The one exception
in a project is the self-signed provenance key (``provenance/signer-key.pem``), kept private (0600).
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new regular file gets under the current umask."""
    return 0o666 & ~_umask()


def create_file(path: Path) -> Path:
    """Create ``path`` empty with the umask's mode unless it exists (for files that libraries create).

    SQLite creates databases 0644 whatever the umask (and copies that mode to its journals); a file that
    already exists keeps its mode, so the checkpoint and chroma databases are created here first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except FileExistsError:
        pass
    return path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temp file and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # temp files of this path left by a writer killed mid-write (one writer at a time: the project lock)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (a single write call, flushed and fsynced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read JSON lines, skipping a torn last line left by a crash."""
    if not path.is_file():
        return []
    out: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
