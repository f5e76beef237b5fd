"""``showrunner check``: check an episode (or every episode of a canon file) against the canon.

Three ways in:

* ``showrunner check world.json [--episode N]`` — a canon-format file: each of its episodes (or episode N)
  is checked against the canon the same file implies, as of that episode;
* ``showrunner check episode.json --project DIR`` (or ``--canon world.json``) — one episode JSON
  (:class:`~showrunner.models.Episode`) against a project's canon or a canon file;
* ``showrunner check --episode N --project DIR`` — an episode of the project, with its storyboard.

Exit 1 when a finding is an error, 0 otherwise; bad input exits 2 with one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from showrunner.cli.common import JsonOpt, emit, project_path
from showrunner.cli.output import say, styled
from showrunner.errors import BadInput
from showrunner.models import Character, ContinuityIssue, Episode, Fact, Location, Shot


@dataclass
class Job:
    """What to check: episodes (with shots) and the canon to check them against."""

    episodes: list[tuple[Episode, list[Shot]]]
    characters: list[Character]
    locations: list[Location]
    facts: list[Fact]
    project: Path | None = None
    notes: list[str] = field(default_factory=list)


def _canon_file(path: Path) -> tuple[list[Character], list[Location], list[Fact], list[Episode]]:
    from showrunner.memory.canon_format import read_canon_file
    from showrunner.world.facts import derive_facts

    cf = read_canon_file(path)
    return list(cf.characters), cf.locations, derive_facts(cf), cf.episodes


def _project(root: Path) -> tuple[list[Character], list[Location], list[Fact], Path]:
    from showrunner.memory.canon import Canon
    from showrunner.pipelines.project import Project

    proj = Project.open(root)
    canon = Canon(proj.canon_dir)
    return canon.characters(), canon.locations(), canon.facts(), proj.root


def build_job(file: Path | None, project: Path | None, canon: Path | None, episode: int | None) -> Job:
    """Work out what to check from the arguments; every mistake is a one-line :class:`BadInput`."""
    if file is None:
        if project is None or episode is None:
            raise BadInput("give a FILE to check, or --episode N with --project DIR")
        chars, locs, facts, root = _project(project)
        from showrunner.memory.canon import Canon
        ep = Canon(root / "canon").episode(episode)
        if ep is None:
            raise BadInput(f"the project has no approved episode {episode}; list them with 'showrunner status'")
        return Job([(ep, Canon(root / "canon").storyboard(episode) or [])], chars, locs, facts, root)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{file} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"cannot read {file} as JSON ({str(exc).splitlines()[0]}); pass a JSON file") from exc
    if isinstance(data, dict) and (data.get("format") == "showrunner-canon" or "series" in data):
        chars, locs, facts, episodes = _canon_file(file)
        if episode is not None:
            episodes = [e for e in episodes if e.number == episode]
            if not episodes:
                raise BadInput(f"{file} has no episode {episode}")
        return Job([(e, []) for e in episodes], chars, locs, facts)
    try:
        ep = Episode.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise BadInput(f"{file} is neither a canon file nor an episode: at {where}: {err['msg']}") from exc
    if canon is not None:
        chars, locs, facts, _ = _canon_file(canon)
        return Job([(ep, [])], chars, locs, facts)
    if project is None:
        raise BadInput(f"{file} is a single episode: say which canon to check it against with --project DIR "
                       "or --canon FILE")
    chars, locs, facts, root = _project(project)
    return Job([(ep, [])], chars, locs, facts, root)


def _llm(project: Path | None, semantic: bool) -> object | None:
    """The configured LLM when it is capable of the semantic pass (an endpoint, not the tiny default)."""
    if not semantic:
        return None
    from showrunner.config import load_settings

    settings = load_settings(project)
    if settings.provider_name() == "local" and not settings.local_model:
        return None
    from showrunner.llm import get_llm

    return get_llm(settings, project)


def _table(findings: list[ContinuityIssue]) -> Table:
    table = Table(title="Continuity findings", show_lines=False)
    for col in ("sev", "where", "check", "what is wrong", "canon (established)", "fix"):
        table.add_column(col, overflow="fold")
    for f in findings:
        where = f"E{f.episode} S{f.scene}" + (f" {f.shot}" if f.shot else "") + (
            f" L{f.line}" if f.line is not None else "")
        colour = {"error": "red", "warning": "yellow"}.get(f.severity, "white")
        canon = f"{f.fact} ({f.established})" if f.fact else ""
        table.add_row(styled((f.severity, colour)), where, f.code + ("*" if f.source == "semantic" else ""),
                      f.message, canon, f.suggestion)
    return table


def register(app: typer.Typer) -> None:
    """Add ``check`` to ``app``."""

    @app.command("check")
    def check(
        file: Annotated[Path | None, typer.Argument(help="Canon-format file or episode JSON.")] = None,
        project: Annotated[Path | None, typer.Option("--project", "-p", parser=project_path,
                                                     help="Series project: a name or a path.")] = None,
        canon: Annotated[Path | None, typer.Option("--canon", help="Canon-format file to check against.")] = None,
        episode: Annotated[int | None, typer.Option("--episode", "-e", help="Episode number.")] = None,
        semantic: Annotated[bool, typer.Option(help="Run the LLM claims pass when a capable LLM is set.")] = True,
        as_json: JsonOpt = False,
    ) -> None:
        """Check an episode against the canon as of that episode; exit 1 on errors."""
        from showrunner.continuity import check_episode, has_errors

        job = build_job(file, project, canon, episode)
        llm = _llm(job.project, semantic)
        findings: list[ContinuityIssue] = []
        for ep, shots in job.episodes:
            findings += check_episode(ep, characters=job.characters, locations=job.locations, facts=job.facts,
                                      shots=shots, llm=llm)  # type: ignore[arg-type]
        if as_json:
            emit({"findings": [f.model_dump(mode="json") for f in findings],
                  "episodes": [ep.number for ep, _ in job.episodes],
                  "errors": sum(f.severity == "error" for f in findings),
                  "warnings": sum(f.severity == "warning" for f in findings)}, True)
        elif findings:
            say(_table(findings))
        else:
            say(styled(("no continuity findings", "green"),
                       f" in episode(s) {', '.join(str(ep.number) for ep, _ in job.episodes)}"))
        if has_errors(findings):
            raise typer.Exit(1)
