"""``showrunner canon import|export|schema`` and ``showrunner memory rebuild|query``.

Commands parse arguments and call showrunner.memory; heavy imports (chromadb, the embedder) happen inside
the commands so the rest of the CLI starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from showrunner.cli.common import JsonOpt, ProjectOpt, emit

canon_app = typer.Typer(help="Import, export and describe a series canon (docs/canon-format.md).",
                        no_args_is_help=True)
memory_app = typer.Typer(help="The vector memory derived from the canon.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="Canon file (JSON, see 'showrunner canon schema').")]
EmbedderOpt = Annotated[str | None, typer.Option("--embedder", help="minilm (default) or hash.")]


def _settings(root: Path, embedder: str | None):  # type: ignore[no-untyped-def]
    from showrunner.config import load_settings

    return load_settings(root if root.is_dir() else None, embedder=embedder)


@canon_app.command("import")
def import_cmd(file: FileArg, project: ProjectOpt = Path("."), as_json: JsonOpt = False,
               embedder: EmbedderOpt = None) -> None:
    """Import a story world into a series (created when the folder does not hold one yet)."""
    from showrunner.memory.canon_format import import_canon, read_canon_file
    from showrunner.memory.canon_io import check_file, open_or_create

    cf = read_canon_file(file)
    check_file(cf)  # before creating anything: bad input leaves no folder behind
    settings = _settings(project, embedder)
    proj, created = open_or_create(project, cf)
    report = import_canon(proj, cf, settings=settings)
    report.created = created
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    emit(report.__dict__, as_json,
         f"{'created' if created else 'updated'} {proj.root}: {report.characters} characters, "
         f"{report.locations} locations, {report.episodes} episodes, {report.scenes} scenes, "
         f"{report.facts} new facts ({report.indexed} indexed)")


@canon_app.command("export")
def export_cmd(file: FileArg, project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Write the series canon to one file in the import format."""
    from showrunner.memory.canon_format import export_canon, write_canon_file
    from showrunner.pipelines.project import Project

    cf = export_canon(Project.open(project))
    write_canon_file(cf, file)
    emit({"file": str(file), "characters": len(cf.characters), "episodes": len(cf.episodes),
          "facts": len(cf.facts)}, as_json,
         f"wrote {file}: {len(cf.characters)} characters, {len(cf.episodes)} episodes")


@canon_app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the canon file."""
    from showrunner.memory.canon_format import canon_json_schema

    sys.stdout.write(json.dumps(canon_json_schema(), indent=2) + "\n")


@memory_app.command("rebuild")
def rebuild_cmd(project: ProjectOpt = Path("."), as_json: JsonOpt = False, embedder: EmbedderOpt = None) -> None:
    """Recreate the vector index from the canon files."""
    from showrunner.memory import Canon, open_memory
    from showrunner.memory.chroma_store import timed_rebuild
    from showrunner.pipelines.project import Project

    proj = Project.open(project)
    settings = _settings(proj.root, embedder)
    with proj.lock("showrunner memory rebuild"):
        n, secs = timed_rebuild(open_memory(proj, settings), Canon(proj.canon_dir))
    emit({"facts": n, "seconds": round(secs, 3)}, as_json, f"indexed {n} canon facts in {secs:.1f}s")


@memory_app.command("query")
def query_cmd(text: Annotated[str, typer.Argument(help="What to look for.")],
              episode: Annotated[int, typer.Option("--episode", "-e", min=0, help="As of this episode.")],
              scene: Annotated[int | None, typer.Option("--scene", min=0, help="As of this scene.")] = None,
              character: Annotated[list[str] | None, typer.Option("--character", "-c",
                                                                  help="On screen (repeatable).")] = None,
              location: Annotated[list[str] | None, typer.Option("--location", "-l",
                                                                 help="On screen (repeatable).")] = None,
              budget: Annotated[int, typer.Option("--budget", min=50, help="Token budget.")] = 600,
              drafts: Annotated[bool, typer.Option("--drafts", help="Include the draft space.")] = False,
              project: ProjectOpt = Path("."), as_json: JsonOpt = False, embedder: EmbedderOpt = None) -> None:
    """Show what the agents would be told for a scene: the retrieval call, as of an episode."""
    from showrunner.memory import open_memory
    from showrunner.pipelines.project import Project

    proj = Project.open(project)
    mem = open_memory(proj, _settings(proj.root, embedder))
    pack = mem.retrieve(episode=episode, scene=scene, characters=character or [], locations=location or [],
                        query=text, budget_tokens=budget, include_drafts=drafts)
    emit(pack.model_dump(mode="json", exclude_none=True), as_json,
         pack.text or "(no canon facts hold at that point)")


def register(app: typer.Typer) -> None:
    """Add the ``canon`` and ``memory`` groups to ``app``."""
    app.add_typer(canon_app, name="canon")
    app.add_typer(memory_app, name="memory")
