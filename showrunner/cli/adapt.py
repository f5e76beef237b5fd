"""``showrunner adapt BOOK --episodes N --project P``: adapt a novel (.txt, .md, .epub) into a series.

The command validates its arguments and calls :func:`showrunner.pipelines.adapt.adapt_book`; the series
then waits at the ``adaptation`` gate, answered with ``review``/``approve``/``reject --notes``/``edit``
like every other gate, and an interrupted extraction continues with ``resume``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from showrunner.cli.common import JsonOpt


def adapt(book: Annotated[Path, typer.Argument(help="The book: a .txt, .md or .epub file.")],
          episodes: Annotated[int, typer.Option("--episodes", "-n", help="Number of episodes (1-200).")] = 6,
          project: Annotated[Path | None, typer.Option("--project", "-p", help="Folder to create.")] = None,
          auto_approve: Annotated[str | None, typer.Option(
              "--auto-approve", help="Gates that pass without a person: all, none, or e.g. adaptation,bible.")]
          = None,
          episode_length: Annotated[str | None, typer.Option(
              "--episode-length", help="The series' format: social, broadcast, or e.g. 90s, 7m.")] = None,
          as_json: JsonOpt = False) -> None:
    """Split a book, extract its canon chapter by chapter, and plan the episodes (stops at the adaptation gate)."""
    from showrunner.cli.series import _say, _spinner
    from showrunner.models import slugify
    from showrunner.pipelines.adapt import adapt_book
    from showrunner.pipelines.series import check_episodes, parse_gates
    from showrunner.world.format import parse_length

    check_episodes(episodes)
    if episode_length is not None:
        parse_length(episode_length)  # refused before the book is split
    gates = parse_gates(auto_approve)
    root = project or Path(slugify(book.stem, fallback="adaptation"))
    with _spinner(as_json, "adapting") as progress:
        proj, result = adapt_book(book, root, episodes, auto_approve=gates, progress=progress,
                                  episode_length=episode_length)
    _say(result, proj.root, as_json)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("adapt")(adapt)
