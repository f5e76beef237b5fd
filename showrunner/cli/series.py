"""``showrunner new|status|review|approve|reject|edit|resume``: run a series through its gates.

Commands parse and validate arguments, then call :mod:`showrunner.pipelines.series`; the graph and its
services are imported inside the commands so the CLI starts fast. Long work shows a rich spinner on
stderr (stdout stays clean for ``--json``).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from showrunner.cli import output
from showrunner.cli.common import JsonOpt, ProjectOpt, emit, project_path, projects_home
from showrunner.errors import BadInput, ProjectError

WAITING_FOR = {"adaptation": "the showrunner (book adaptation: canon and episode map)",
               "bible": "the showrunner (series bible)", "script": "the story editor (script)",
               "storyboard": "the director (storyboard)", "final": "the showrunner (final cut)"}


@contextmanager
def _spinner(as_json: bool, label: str) -> Iterator[Callable[[str, dict[str, Any]], None]]:
    """The graph's progress events as :func:`showrunner.cli.output.progress` steps."""
    with output.progress(label, quiet=as_json) as step:
        def report(event: str, data: dict[str, Any]) -> None:
            where = f"episode {data['episode']}" if data.get("episode") else "series"
            step(f"{where}: {data.get('prompt', event)}")
        yield report


def _say(result: dict[str, Any], project: Path, as_json: bool) -> None:
    """What a run left: the gate it waits at (and who must act) or the finished cuts; the project's path last."""
    pend = result.get("pending")
    if pend:
        msg = (f"waiting at gate {pend['gate']} (episode {pend['episode']}) for "
               f"{WAITING_FOR.get(pend['gate'], 'a person')}: run 'showrunner review -p {project}', then "
               "approve, reject --notes or edit")
    else:
        msg = f"{result['status']}: episodes in canon: {result['completed'] or 'none'}"
        cuts = sorted(project.glob("renders/ep-*/ep-*.mp4"))
        if cuts:
            msg += "\ncuts: " + ", ".join(str(c) for c in cuts)
        msg += f"\nread it: {project / 'canon'} (bible, characters, episodes, storyboards)"
    emit({"project": str(project), **result}, as_json, f"{msg}\nproject: {project}")


def _read_premise(premise: str | None, premise_file: Path | None) -> str:
    from showrunner.pipelines.series import MAX_PREMISE_BYTES

    if premise_file is None:
        if premise is None:
            raise BadInput("give the premise as an argument or with --premise-file")
        return premise
    try:
        raw = premise_file.read_bytes()[: MAX_PREMISE_BYTES + 1]
    except OSError as exc:
        raise BadInput(f"cannot read --premise-file {premise_file}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_PREMISE_BYTES:
        raise BadInput(f"the premise file is over {MAX_PREMISE_BYTES // 1000} kB; shorten it")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{premise_file} is not UTF-8 text; save it as UTF-8") from None


def new(premise: Annotated[str | None, typer.Argument(help="The series premise, one or more sentences.")] = None,
        episodes: Annotated[int, typer.Option("--episodes", "-n", help="Number of episodes (1-200).")] = 3,
        project: Annotated[Path | None, typer.Option(
            "--project", "-p", parser=project_path,
            help="Project to create: a name (in $SHOWRUNNER_HOME, default ~/showrunner) or a path (./x, /abs/x). "
                 "Default: a name made from the premise.")] = None,
        auto_approve: Annotated[str | None, typer.Option(
            "--auto-approve", help="Gates that pass without a person: all, none, or e.g. script,storyboard.")] = None,
        premise_file: Annotated[Path | None, typer.Option("--premise-file", help="Read the premise from a file.")]
        = None,
        episode_length: Annotated[str | None, typer.Option(
            "--episode-length", help="The series' format: social (60-120 s), broadcast (about 7 min) or a length "
                                     "such as 90s, 7m, 1m30s. Default: the provider's (openai: social).")] = None,
        as_json: JsonOpt = False) -> None:
    """Create a series from a premise and run it to the first gate that needs a person."""
    from showrunner.models import slugify
    from showrunner.pipelines.series import check_episodes, check_premise, new_series, parse_gates

    text = check_premise(_read_premise(premise, premise_file))
    check_episodes(episodes)
    gates = parse_gates(auto_approve)
    root = project or projects_home() / slugify(text[:60], fallback="series")
    with _spinner(as_json, "drafting") as progress:
        proj, result = new_series(root, text, episodes, auto_approve=gates, progress=progress,
                                  episode_length=episode_length)
    _say(result, proj.root, as_json)


def _episode_rows(root: Path) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    from showrunner.pipelines.ledger import project_ledger
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.series import outcome, snapshot

    proj = Project.open(root)
    snap = snapshot(proj)
    values = snap.values
    ledger = project_ledger(proj.root)
    # nightly drafts (draft=True) are reported by 'showrunner report'; these rows are the live series
    rows: dict[int, dict[str, Any]] = {ep: t.as_dict() for ep, t in ledger.totals(by="episode", draft=None).items()
                                       if isinstance(ep, int)}
    started, finished = values.get("started_at") or {}, values.get("finished_at") or {}
    for key, t0 in started.items():
        row = rows.setdefault(int(key), {})
        row["wall_seconds"] = round(finished[key] - t0, 2) if key in finished else None
    return {**outcome(snap), "meta": proj.meta(), "episode": values.get("episode"),
            "totals": ledger.total().as_dict()}, rows


def status(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Progress, what waits for whom, and tokens and time per episode."""
    out, rows = _episode_rows(project)
    meta, pend, totals = out.pop("meta"), out["pending"], out.pop("totals")
    data = {"project": str(project.resolve()), "premise": meta.get("premise"), "episodes": meta.get("episodes"),
            "episode_format": meta.get("episode_format"), "status": out["status"], "completed": out["completed"],
            "pending": None if not pend else {"gate": pend["gate"], "episode": pend["episode"],
                                              "waiting_for": WAITING_FOR.get(pend["gate"], "a person")},
            "per_episode": {str(k): v for k, v in sorted(rows.items())}, "totals": totals,
            **_night_view(project), **_run_view(project, out["status"])}
    where = shlex.quote(data["project"])
    if pend:  # the one next step: a gate waits for a person, or a stopped run goes on with resume
        data["next"] = f"showrunner review -p {where}"
    elif data["next"]:
        data["next"] = f"showrunner resume -p {where}"
    lines = [f"{data['status']}: {len(out['completed'])}/{meta.get('episodes')} episodes approved"]
    if pend:
        lines.append(f"waiting at gate {pend['gate']} (episode {pend['episode']}) for {WAITING_FOR[pend['gate']]}")
    run = data["last_run"]
    if run and run["state"] != "finished":
        lines.append(f"last run: {run['command']} (pid {run['pid']}) {run['state']}"
                     + (f": {run['error']}" if run.get("error") else ""))
    if data["next"]:
        lines.append(f"next: {data['next']}")
    for k, v in sorted(rows.items()):
        wall = "" if v.get("wall_seconds") is None else f", wall {v['wall_seconds']} s"
        label = "bible" if k == 0 else f"episode {k}"
        failed = f", {v['failed']} failed" if v.get("failed") else ""
        renders = f", {v['renders']} renders" if v.get("renders") else ""
        lines.append(f"  {label}: {v.get('calls', 0)} calls{failed}, {v.get('requests', 0)} requests, "
                     f"{v.get('prompt_tokens', 0)}+{v.get('completion_tokens', 0)} tokens{renders}{wall}")
    if data["drafts"]:
        lines.append("nightly drafts: " + ", ".join(f"{k} {v['status']} at {v.get('gate') or '-'}"
                                                    for k, v in data["drafts"].items()))
    if data["report"]:
        lines.append(f"latest report: {data['report']}")
    emit(data, as_json, "\n".join(lines))


def _run_view(root: Path, status: str) -> dict[str, Any]:
    """The last run (from the run lock's record) and, when the series stopped short, the command that goes on."""
    from showrunner.pipelines.runlock import last_run

    run = last_run(root.resolve())
    stalled = status == "stopped" and (run is None or run["state"] != "running")
    return {"last_run": run, "next": "showrunner resume" if stalled else None}


def _night_view(root: Path) -> dict[str, Any]:
    """The nightly review queue and the latest morning report, which status points to."""
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.report import latest_report
    from showrunner.pipelines.review_queue import load_queue

    proj = Project.open(root)
    queue = load_queue(proj)
    report = latest_report(proj)
    return {"drafts": {k: {"status": v.get("status"), "gate": v.get("gate")} for k, v in sorted(
                queue.items(), key=lambda kv: int(kv[0]))},
            "report": str(report) if report else None}


def _pending(root: Path) -> dict[str, Any]:
    """The live gate's payload, with any nightly draft of the same episode shown as a proposal."""
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.review_queue import proposals
    from showrunner.pipelines.series import pending

    proj = Project.open(root)
    pend = pending(proj)
    if pend is None:
        raise ProjectError("nothing is waiting for review; see 'showrunner status'")
    return {**pend, "proposals": proposals(proj, pend["episode"])} if pend["episode"] else pend


DraftOpt = Annotated[int | None, typer.Option("--draft", help="Act on nightly draft N from the review queue.")]


def _draft_payload(root: Path, n: int) -> dict[str, Any]:
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.review_queue import draft_payload

    return draft_payload(Project.open(root), n)


def review(project: ProjectOpt = Path("."), draft: DraftOpt = None, as_json: JsonOpt = False) -> None:
    """Show the artifact waiting at the current gate (or nightly draft N with --draft)."""
    from showrunner.cli.series_view import describe

    pend = _draft_payload(project, draft) if draft is not None else _pending(project)
    emit(pend, as_json, describe(pend, project.resolve(), draft))


def _decide_draft(project: Path, n: int, action: str, notes: str, as_json: bool) -> None:
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.review_queue import decide_draft

    done = decide_draft(Project.open(project), n, action, notes)
    if action == "approve":
        msg = f"draft {n} committed to the canon"
        if done["superseded"]:
            sup = done["superseded"]
            held = "in-progress work" if sup["gate"] == "in-progress" else f"{sup['gate']} gate"
            msg += f"\nit replaced the live run's {held} of episode {n}; that work is kept in {sup['kept']}"
        emit(done, as_json, f"{msg}\nnext: {done['next']}")
        return
    emit(done, as_json, f"draft {n} rejected; stale: {', '.join(map(str, done['stale'])) or 'none'}; "
                        "the next nightly redrafts them")


def _decide(project: Path, decision: dict[str, Any], as_json: bool) -> None:
    from showrunner.pipelines.series import continue_series

    with _spinner(as_json, "working") as progress:
        result = continue_series(project, decision, progress=progress)
    _say(result, project.resolve(), as_json)


NotesOpt = Annotated[str, typer.Option("--notes", help="What to keep or change (goes to the agent).")]


def approve(project: ProjectOpt = Path("."), notes: NotesOpt = "", draft: DraftOpt = None,
            as_json: JsonOpt = False) -> None:
    """Approve the pending artifact and continue (or commit nightly draft N with --draft)."""
    if draft is not None:
        _decide_draft(project, draft, "approve", notes, as_json)
        return
    _decide(project, {"action": "approve", "notes": notes}, as_json)


def reject(notes: Annotated[str, typer.Option("--notes", help="What must change (required).")],
           project: ProjectOpt = Path("."), draft: DraftOpt = None, as_json: JsonOpt = False) -> None:
    """Send the artifact back to its agent with notes (or reject nightly draft N with --draft)."""
    if not notes.strip():
        raise BadInput("reject needs --notes saying what to change")
    if draft is not None:
        _decide_draft(project, draft, "reject", notes, as_json)
        return
    _decide(project, {"action": "reject", "notes": notes}, as_json)


def edit(project: ProjectOpt = Path("."), notes: NotesOpt = "", draft: DraftOpt = None,
         as_json: JsonOpt = False) -> None:
    """Open the pending artifact (or nightly draft N's) as JSON in $EDITOR; a valid edit replaces it."""
    from showrunner.cli.editor import edit_json

    pend = _draft_payload(project, draft) if draft is not None else _pending(project)
    edited = edit_json(pend["artifact"], pend["gate"])
    if edited == pend["artifact"]:
        emit({"changed": False}, as_json, "no changes; nothing to do (use 'showrunner approve' to accept)")
    elif draft is not None:
        from showrunner.pipelines.nightly import refresh_report
        from showrunner.pipelines.project import Project
        from showrunner.pipelines.review_queue import edit_draft

        proj = Project.open(project)
        done = edit_draft(proj, draft, edited, notes)
        refresh_report(proj)
        emit(done, as_json, f"draft {draft} edited at its {done['gate']} gate; approve it with "
                            f"'showrunner approve --draft {draft} -p {shlex.quote(str(proj.root))}'")
    else:
        _decide(project, {"action": "edit", "notes": notes, "artifact": edited}, as_json)


def resume(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Continue after a crash or interruption from the last finished step."""
    from showrunner.pipelines.series import continue_series

    with _spinner(as_json, "resuming") as progress:
        result = continue_series(project, None, progress=progress)
    _say(result, project.resolve(), as_json)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    for fn in (new, status, review, approve, reject, edit, resume):
        app.command(fn.__name__)(fn)
