"""Options and output helpers shared by every command group.

Where projects live: ``--project`` takes a name or a path. A bare name (``my-series``) means
``$SHOWRUNNER_HOME/my-series``, by default ``~/showrunner/my-series``, from whatever folder the command
runs in, so a series never lands inside a source checkout by accident; anything with a slash (``./x``,
``../x``, ``/abs/x``, ``~/x``) is used as the path it is.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from showrunner.cli.output import say

DEFAULT_HOME = "~/showrunner"


def projects_home() -> Path:
    """Where projects named without a path live: ``$SHOWRUNNER_HOME`` or ``~/showrunner``."""
    return Path(os.environ.get("SHOWRUNNER_HOME") or DEFAULT_HOME).expanduser()


def project_path(value: str | Path) -> Path:
    """``--project`` as a folder: a bare name lives in :func:`projects_home`, a path is used as given."""
    text = str(value)
    if isinstance(value, Path) or text in ("", ".", "..") or "/" in text or os.sep in text or text.startswith("~"):
        return Path(text or ".").expanduser()
    return projects_home() / text


ProjectOpt = Annotated[Path, typer.Option(
    "--project", "-p", parser=project_path, envvar="SHOWRUNNER_PROJECT",
    help="Series project: a name (kept in $SHOWRUNNER_HOME, default ~/showrunner) or a path (./x, /abs/x).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="Quality dial: preview, draft or full.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Render on Ray with this many workers (one per GPU for diffusion); 1 or unset renders "
                             "in this process. SHOWRUNNER_RAY_ADDRESS joins an existing cluster.")]


def emit(data: Any, as_json: bool, human: RenderableType | None = None) -> None:
    """Print ``data`` as JSON (``--json``) or ``human`` text: a string is printed literally (no markup)."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    elif human is not None:
        say(human)
