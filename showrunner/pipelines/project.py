"""The series project folder: its layout, creation, validation, and the one-run-at-a-time lock.

Layout (everything a series owns lives under one folder)::

    project.json          marker + premise + episode count (format version)
    settings.json         per-project settings (optional, see showrunner.config)
    canon/                approved canon, human-editable: the source of truth (docs/canon-format.md)
    drafts/               unapproved artifacts waiting at a gate, nightly drafts
    memory/               the vector index derived from canon/ (rebuildable, never authoritative)
    state/checkpoints.sqlite   LangGraph checkpoints, one thread per series
    renders/              content-addressed render cache and cut episodes
    logs/ledger.jsonl     one line per LLM call or render: tokens, latency, cost
    logs/decisions.jsonl  one line per human decision at a gate
    reports/              morning reports
    .lock, state/run.json the run lock and who holds it (showrunner.pipelines.runlock)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showrunner.errors import ProjectError
from showrunner.io import atomic_write

FORMAT = "showrunner-project"
FORMAT_VERSION = 1

# Every path the project owns, its kind, and what to do when something of the other kind is in its place.
_REBUILT = "move it away; showrunner recreates it"
LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("settings.json", "file", "move it away or make it a JSON file of settings"),
    ("canon", "folder", "move it away and restore the canon folder from a backup or git"),
    ("canon/series.json", "file", "move it away and restore it from a backup or git"),
    ("canon/facts.jsonl", "file", "move it away and restore it from a backup or git"),
    ("drafts", "folder", _REBUILT),
    ("drafts/queue.json", "file", "move it away; the next 'showrunner nightly' drafts again"),
    ("memory", "folder", "move it away, then run 'showrunner memory rebuild'"),
    ("state", "folder", "move it away and restore it from a backup; it holds the run state"),
    ("state/checkpoints.sqlite", "file", "move it away and restore it from a backup; it holds the run state"),
    ("state/run.json", "file", _REBUILT),
    ("state/llm_capabilities.json", "file", _REBUILT),
    ("renders", "folder", "move it away; 'showrunner render' renders again"),
    ("logs", "folder", _REBUILT),
    ("logs/ledger.jsonl", "file", _REBUILT),
    ("logs/decisions.jsonl", "file", _REBUILT),
    ("reports", "folder", _REBUILT),
    (".lock", "file", _REBUILT),
)


@dataclass(frozen=True)
class Project:
    """Paths and metadata of one series project."""

    root: Path

    # ---- paths
    @property
    def marker(self) -> Path:
        return self.root / "project.json"

    @property
    def canon_dir(self) -> Path:
        return self.root / "canon"

    @property
    def drafts_dir(self) -> Path:
        return self.root / "drafts"

    @property
    def memory_dir(self) -> Path:
        return self.root / "memory"

    @property
    def checkpoints(self) -> Path:
        return self.root / "state" / "checkpoints.sqlite"

    @property
    def renders_dir(self) -> Path:
        return self.root / "renders"

    @property
    def ledger(self) -> Path:
        return self.root / "logs" / "ledger.jsonl"

    @property
    def decisions(self) -> Path:
        return self.root / "logs" / "decisions.jsonl"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def lock_path(self) -> Path:
        return self.root / ".lock"

    # ---- metadata
    def meta(self) -> dict[str, Any]:
        return json.loads(self.marker.read_text(encoding="utf-8"))

    def update_meta(self, **fields: Any) -> None:
        meta = self.meta()
        meta.update(fields)
        atomic_write(self.marker, json.dumps(meta, indent=2, ensure_ascii=False))

    @property
    def thread_id(self) -> str:
        return str(self.meta().get("thread_id", "series"))

    # ---- lifecycle
    @classmethod
    def create(cls, root: Path, **meta: Any) -> Project:
        """Create a new project folder; refuse a folder that holds anything else."""
        root = root.expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} exists and is not a folder; choose another --project")
        if root.is_dir() and any(root.iterdir()):
            if (root / "project.json").is_file():
                raise ProjectError(f"{root} already holds a series; use 'showrunner resume --project {root}'")
            raise ProjectError(f"{root} exists, is not empty and is not a series; choose an empty folder")
        try:
            root.mkdir(parents=True, exist_ok=True)
            probe = root / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ProjectError(f"cannot write to {root}: {exc.strerror or exc}; choose a writable folder") from exc
        proj = cls(root)
        record = {"format": FORMAT, "version": FORMAT_VERSION, "created": time.time(),
                  "thread_id": f"series-{int(time.time() * 1000)}", **meta}
        atomic_write(proj.marker, json.dumps(record, indent=2, ensure_ascii=False))
        return proj

    @classmethod
    def open(cls, root: Path) -> Project:
        """Open an existing project, with a one-line error when the folder is not a series."""
        root = root.expanduser().resolve()
        marker = root / "project.json"
        if not marker.is_file():
            hint = "it does not exist" if not root.exists() else "it is not a showrunner series"
            raise ProjectError(f"{root}: {hint}; create one with 'showrunner new' or pass --project")
        try:
            meta = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"{marker} is unreadable ({exc}); restore it from a backup") from exc
        if meta.get("format") != FORMAT:
            raise ProjectError(f"{root} is not a showrunner series (project.json has no showrunner marker)")
        project = cls(root)
        project.check_layout()
        return project

    def check_layout(self) -> None:
        """Refuse a project where a path it owns has the wrong kind (say ``memory/`` replaced by a file).

        Missing paths are fine (they are created when needed); a wrong kind is a one-line
        :class:`ProjectError` naming the path and the fix, before any command touches it.
        """
        for rel, kind, fix in LAYOUT:
            path = self.root / rel
            if not os.path.lexists(path):
                continue
            is_dir = path.is_dir()
            if (kind == "folder") != is_dir or (kind == "file" and not path.is_file()):
                found = ("a folder" if is_dir else "a file" if path.is_file()
                         else "a broken link" if path.is_symlink() else "not a regular file")
                raise ProjectError(f"{path} should be a {kind} but is {found}; {fix}")

    # ---- lock
    @contextmanager
    def lock(self, command: str) -> Iterator[dict[str, Any]]:
        """Hold the project's run lock for the block (see :mod:`showrunner.pipelines.runlock`).

        ``command`` is what the holder runs, as a user would type it (``showrunner approve``); it is
        recorded for ``status`` and named in the error a second run gets.
        """
        from showrunner.pipelines.runlock import hold

        with hold(self.root, command) as record:
            yield record
