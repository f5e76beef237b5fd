"""CLI: ``nightly`` (unattended drafts), ``report`` (morning report), ``estimate`` (cost forecast), ``schedule``.

Exit codes: 0 done (or nothing to do); 3 the project is locked by another run; 4 a fault (LLM endpoint,
disk) ended the night with state saved; 5 a budget (tokens, GPU minutes, ``--until``) ran out at a clean
step boundary — the next ``nightly`` continues from there. Drafts are reviewed with the series commands:
``review|approve|reject --draft N``.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from showrunner.cli import output
from showrunner.cli.common import JsonOpt, ProjectOpt, WorkersOpt, emit
from showrunner.config import load_settings
from showrunner.errors import BadInput, ProjectError
from showrunner.pipelines.project import Project

schedule_app = typer.Typer(help="Run 'showrunner nightly' every night (crontab line or systemd user timer).",
                           no_args_is_help=True)


def nightly(
    project: ProjectOpt = Path("."),
    episodes: Annotated[int, typer.Option("--episodes", "-k", help="Episodes to draft tonight.")] = 2,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="Token budget for this night.")] = None,
    max_gpu_minutes: Annotated[float | None, typer.Option("--max-gpu-minutes", help="GPU-minute budget.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Stop by this local time (HH:MM).")] = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft the next episodes unattended and leave them at their gates for review (never approves)."""
    from showrunner.pipelines.nightly import Budgets, run_night

    if not 1 <= episodes <= 100:
        raise BadInput(f"--episodes {episodes} is out of range; use 1 to 100")
    if max_tokens is not None and max_tokens < 1:
        raise BadInput("--max-tokens must be a positive number of tokens")
    if max_gpu_minutes is not None and max_gpu_minutes < 0:
        raise BadInput("--max-gpu-minutes must be zero or more")
    proj = Project.open(project)
    budgets = Budgets.make(max_tokens=max_tokens, max_gpu_minutes=max_gpu_minutes, until=until)
    with output.progress("nightly", quiet=as_json) as step:
        night = run_night(proj, load_settings(proj.root, workers=workers), episodes=episodes, budgets=budgets,
                          progress=lambda event, data: step(f"episode {data.get('episode', '?')}: "
                                                            f"{data.get('prompt', event)}"))
    emit(night, as_json, f"{night['message']}\nreport: {night.get('report')}")
    if night["exit_code"]:
        raise typer.Exit(night["exit_code"])


def report(
    project: ProjectOpt = Path("."),
    open_: Annotated[bool, typer.Option("--open", help="Open the HTML report in a browser.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild the report of the last night from the current review queue, and show it."""
    from showrunner.pipelines.nightly import current_night, refresh_report

    proj = Project.open(project)
    path = refresh_report(proj)
    if path is None:
        raise ProjectError("no night has run yet; run 'showrunner nightly' first")
    night = current_night(proj)
    if open_:
        webbrowser.open(path.with_suffix(".html").as_uri())
    if as_json:
        emit({"report": str(path), "html": str(path.with_suffix(".html")), "night": night}, True)
    else:
        typer.echo(path.read_text(encoding="utf-8") + f"\n(saved as {path} and {path.with_suffix('.html')})")


def estimate(
    project: ProjectOpt = Path("."),
    episodes: Annotated[int, typer.Option("--episodes", "-k", help="Episodes to forecast.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Predict calls, tokens, renders and cost of the next episodes from this series' history."""
    from showrunner.pipelines.estimate import complete_episodes
    from showrunner.pipelines.estimate import estimate as run_estimate
    from showrunner.pipelines.ledger import project_ledger

    if not 1 <= episodes <= 10_000:
        raise BadInput(f"--episodes {episodes} is out of range; use 1 to 10000")
    proj = Project.open(project)
    settings = load_settings(proj.root)
    est = run_estimate(project_ledger(proj.root, settings.prices), settings, episodes, complete_episodes(proj))
    t = est.total
    basis = (f"history of {est.history_episodes} episode(s)" if est.basis == "history" else "defaults (new series)")
    lines = [f"next {episodes} episode(s) on {est.provider}/{est.model}, from {basis}:",
             f"  {t.calls:.0f} LLM calls, {t.tokens:.0f} tokens ({t.prompt_tokens:.0f} in, "
             f"{t.completion_tokens:.0f} out), ${t.cost_usd:.4f}",
             f"  {t.renders:.0f} renders, {t.gpu_seconds / 60:.1f} GPU minutes, about {t.seconds / 60:.1f} minutes",
             "  per node (per episode):"]
    lines += [f"    {node:<20} {f.calls:6.1f} calls {f.tokens:9.0f} tokens {f.renders:5.1f} renders"
              for node, f in est.by_node.items()]
    emit(est.model_dump(), as_json, "\n".join(lines))


@schedule_app.command("install")
def schedule_install(
    at: Annotated[str, typer.Option("--at", help="Local time HH:MM.")] = "02:00",
    project: ProjectOpt = Path("."),
    print_only: Annotated[bool, typer.Option("--print", help="Only print the entry; install nothing.")] = False,
    backend: Annotated[str, typer.Option("--backend", help="auto, cron or systemd.")] = "auto",
    episodes: Annotated[int, typer.Option("--episodes", "-k", help="Episodes per night.")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Set up (or replace) the nightly run of this project."""
    from showrunner.pipelines import schedule

    proj = Project.open(project)
    chosen = schedule.choose_backend(backend if not print_only or backend != "auto" else "cron")
    plan = schedule.plan(proj, at, chosen, extra=f"--episodes {int(episodes)}")
    if print_only:
        text = plan.cron_line if chosen == "cron" else (
            f"# ~/.config/systemd/user/{plan.unit_name}.service\n{plan.service}\n"
            f"# ~/.config/systemd/user/{plan.unit_name}.timer\n{plan.timer}")
        if as_json:
            emit({"backend": chosen, "cron_line": plan.cron_line, "service": plan.service, "timer": plan.timer},
                 True)
        else:
            typer.echo(text)  # plain: no wrapping, no markup, ready to paste
        return
    done = schedule.install(plan, proj)
    emit({"backend": chosen, "installed": done}, as_json, f"installed {done}")


@schedule_app.command("remove")
def schedule_remove(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Remove this project's nightly run from cron and systemd."""
    from showrunner.pipelines import schedule

    proj = Project.open(project)
    removed = schedule.remove(proj)
    emit({"removed": removed}, as_json, "removed " + ", ".join(removed) if removed else "nothing was scheduled")


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("nightly")(nightly)
    app.command("report")(report)
    app.command("estimate")(estimate)
    app.add_typer(schedule_app, name="schedule")
