"""``showrunner ref list|set``: the approved reference images (character sheets, location plates) in canon.

Commands parse arguments and call :mod:`showrunner.pipelines.references`. A reference set by a person
becomes the newest version for that look; the next ``render`` re-renders the shots that use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from showrunner.cli.common import JsonOpt, ProjectOpt, emit

ref_app = typer.Typer(help="Reference images: character sheets and location plates, versioned in canon.",
                      no_args_is_help=True)


@ref_app.command("list")
def list_cmd(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Every reference version in canon: entity, version, source, since when, file."""
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.references import RefStore

    proj = Project.open(project)
    store = RefStore(proj.canon_dir / "references")
    rows = [{**r.model_dump(mode="json"), "path": str(store.path(r))} for r in store.records()]
    human = "\n".join(f"{r['entity']} v{r['version']}{' (' + r['variant'] + ')' if r['variant'] else ''} "
                      f"[{r['source']}] since E{r['since'].get('episode')}: {r['path']}" for r in rows)
    emit(rows, as_json, human or "no reference images in canon yet (they are made at the bible gate or render)")


@ref_app.command("set")
def set_cmd(
    name: Annotated[str, typer.Argument(help="Character or location: name, alias or id.")],
    image: Annotated[Path, typer.Argument(help="Your reference image (PNG or JPEG).")],
    episode: Annotated[int, typer.Option("--episode", "-e", min=0, help="A character's look as of this episode "
                                                                         "(0 = the series start).")] = 0,
    scene: Annotated[int | None, typer.Option("--scene", min=1, help="... and scene.")] = None,
    time_of_day: Annotated[str, typer.Option("--time-of-day", help="A location plate's time of day.")] = "",
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Use your own image as a character's sheet or a location's plate (signed as made by a person)."""
    from showrunner.config import load_settings
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.references import set_reference

    proj = Project.open(project)
    with proj.lock("showrunner ref set"):
        rec, path = set_reference(proj.root, load_settings(proj.root), name, image, episode=episode, scene=scene,
                                  time_of_day=time_of_day)
    emit({**rec.model_dump(mode="json"), "path": str(path)}, as_json,
         f"{rec.entity_kind} {rec.entity} reference v{rec.version} is now {path}; the next render uses it")


def register(app: typer.Typer) -> None:
    """Add ``ref`` to ``app``."""
    app.add_typer(ref_app, name="ref")
