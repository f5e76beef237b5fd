"""``showrunner adapt``: from a book to a series waiting at the adaptation gate.

The book is split (streaming) into a temporary folder beside the project before anything else happens,
so a bad book (missing, foreign format, binary, empty, broken EPUB, too few scenes for the episodes)
is a one-line error with nothing written. Then the project is created with the split book in
``<project>/adaptation/`` (``book.txt``, ``chapters.jsonl``, ``meta.json``) and the series graph runs from
``extract_book`` to the ``adaptation`` gate; from there ``approve`` continues into the bible gate and the
episodes like any series, and ``resume`` continues an interrupted extraction without repeating a call.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from showrunner.adapt.book import split_book
from showrunner.adapt.plan import episode_map
from showrunner.context import Progress, RenderHook, quiet
from showrunner.errors import ProjectError
from showrunner.io import atomic_write
from showrunner.pipelines.project import Project
from showrunner.pipelines.series import check_episodes, new_series
from showrunner.state import SeriesState

FOLDER = "adaptation"


def adapt_book(book: Path, root: Path, episodes: int, *, auto_approve: frozenset[str] = frozenset(),
               progress: Progress = quiet, llm: Any = None, render: RenderHook | None = None,
               **overrides: Any) -> tuple[Project, dict[str, Any]]:
    """Split ``book``, create the series at ``root`` and run it to the adaptation gate (or further)."""
    check_episodes(episodes)
    root = root.expanduser().resolve()
    if (root / "project.json").is_file():
        raise ProjectError(f"{root} already holds a series; continue it with 'showrunner resume --project {root}'")
    if root.is_dir() and any(root.iterdir()):
        raise ProjectError(f"{root} exists, is not empty and is not a series; choose an empty folder")
    made = not root.parent.exists()
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.adapt-", dir=root.parent))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp's 0700 would outlive the move into the project
    except OSError as exc:
        raise ProjectError(f"cannot write beside {root}: {exc.strerror or exc}; choose a writable folder") from exc
    try:
        index = split_book(book, tmp)
        episode_map(index.chapters, episodes)  # too few scenes for the episodes: refused before anything exists
        atomic_write(tmp / "meta.json", json.dumps({"title": index.title, "source": str(book.resolve()),
                                                    "chapters": index.count, "words": index.words,
                                                    "chars": index.chars}, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if made:  # the folder we made for the project holds nothing: leave no trace of a refused book
            shutil.rmtree(root.parent, ignore_errors=True)
        raise

    def setup(project: Project) -> SeriesState:
        os.replace(tmp, project.root / FOLDER)
        return {"book": str(project.root / FOLDER)}

    try:
        return new_series(root, f"An adaptation of {index.title}", episodes, auto_approve=auto_approve,
                          progress=progress, llm=llm, render=render, setup=setup, **overrides)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # still there only when the project was never created

