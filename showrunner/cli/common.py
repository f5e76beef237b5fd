"""Options and output helpers shared by every command group."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from showrunner.cli.output import say

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Series project folder.",
                                          envvar="SHOWRUNNER_PROJECT")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="Quality dial: preview, draft or full.")]


def emit(data: Any, as_json: bool, human: RenderableType | None = None) -> None:
    """Print ``data`` as JSON (``--json``) or ``human`` text: a string is printed literally (no markup)."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    elif human is not None:
        say(human)
