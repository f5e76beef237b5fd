"""``showrunner render``, ``showrunner shot replace|retake|fix`` and ``showrunner verify``.

Commands parse arguments and call :mod:`showrunner.pipelines.render`; the diffusion stack is imported
only by the diffusers backends, so ``render --preset preview`` and ``verify`` never load torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from showrunner.cli import output
from showrunner.cli.common import JsonOpt, PresetOpt, ProjectOpt, WorkersOpt, emit

shot_app = typer.Typer(help="Work on single shots of an approved storyboard.", no_args_is_help=True)

EpisodeOpt = Annotated[int, typer.Option("--episode", "-e", min=1, help="Episode number.")]
AspectOpt = Annotated[str, typer.Option("--aspect", help="16:9 (landscape) or 9:16 (vertical).")]


def render_cmd(
    episode: EpisodeOpt,
    shot: Annotated[str | None, typer.Option("--shot", help="Render only this shot id.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-render even when cached.")] = False,
    preset: PresetOpt = None,
    aspect: AspectOpt = "16:9",
    burn_subs: Annotated[bool, typer.Option("--burn-subs", help="Also burn subtitles into the picture.")] = False,
    bed: Annotated[str | None, typer.Option("--bed", help="Music or ambience file under this episode, ducked "
                                                          "under dialogue (default: audio_bed setting).")] = None,
    workers: WorkersOpt = None,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Render the approved storyboard of an episode: keyframes, clips, the cut, subtitles and exports."""
    from showrunner.config import load_settings
    from showrunner.pipelines.ledger import meter_for, project_ledger
    from showrunner.pipelines.project import Project
    from showrunner.pipelines.render import render_episode

    proj = Project.open(project)
    settings = load_settings(proj.root, preset=preset, workers=workers)

    with proj.lock("showrunner render"), output.progress(f"render episode {episode}", quiet=as_json) as step:
        # one line for the whole cluster: every unit's result comes back through this process
        report = render_episode(proj, settings, episode, shot_id=shot, force=force,
                                progress=lambda e: step(_step_text(e)),
                                aspect=aspect, burn_subtitles=burn_subs, bed=bed)
        # the same meter as the graph's: one ledger record per keyframe, clip or spoken line (retakes included)
        meter_for(project_ledger(proj.root, settings.prices)).renders(report.items(),
                                                                      {"episode": episode, "node": "render"})
    lines = [f"episode {episode}: {report.rendered} rendered, {report.reused} reused"
             + (f", {report.human} human" if report.human else "")
             + (f"; clips {report.clips_rendered} rendered, {report.clips_reused} reused" if report.video_backend
                else "")
             + f"; lines {report.lines_synthesized} synthesized, {report.lines_reused} reused"
             + f"; cut {'rebuilt' if report.cut_rendered else 'unchanged'} ({report.seconds:.1f}s)"]
    lines += [f"  {k}: {v}" for k, v in report.outputs.items()]
    lines += [f"  frame QA {s.id}: {s.qa.summary()}" for s in report.shots if s.qa]
    if report.qa_notice:
        lines.append(f"  {report.qa_notice}")
    if not report.outputs:
        lines.append("  cut not assembled: some shots have no frame yet (render without --shot)")
    emit(report.model_dump(mode="json"), as_json, "\n".join(lines))


def _step_text(event: dict[str, Any]) -> str:
    count = f" {event['done']}/{event['total']}" if "total" in event else ""
    return f"{event['stage']}{count} {event['shot']}: {event['status']}"


@shot_app.command("replace")
def replace_cmd(
    image: Annotated[Path, typer.Argument(help="Your frame (PNG or JPEG).")],
    episode: EpisodeOpt,
    shot: Annotated[str, typer.Option("--shot", help="Shot id to replace.")],
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Use your own image as a shot's frame (recorded as human-supplied; the next render re-cuts)."""
    from showrunner.config import load_settings
    from showrunner.pipelines.overrides import replace_shot
    from showrunner.pipelines.project import Project

    proj = Project.open(project)
    with proj.lock("showrunner shot replace"):
        record = replace_shot(proj, load_settings(proj.root), episode, shot, image)
    emit(record, as_json, f"shot {shot} of episode {episode} now uses {image} (stored as {record['frame']}); "
                          f"run 'showrunner render --episode {episode}' to re-cut")


@shot_app.command("retake")
def retake_cmd(
    episode: EpisodeOpt,
    shot: Annotated[str, typer.Option("--shot", help="Shot id to retake.")],
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Retake one shot with a new seed: re-render that shot only and re-assemble the cut."""
    from showrunner.config import load_settings
    from showrunner.pipelines.overrides import retake_shot
    from showrunner.pipelines.project import Project

    proj = Project.open(project)
    with proj.lock("showrunner shot retake"), output.progress(f"retake {shot}", quiet=as_json) as step:
        done = retake_shot(proj, load_settings(proj.root), episode, shot,
                           progress=lambda e: step(f"{e['stage']} {e['shot']}: {e['status']}"))
    where = "re-rendered, cut re-assembled" if done["outputs"] else \
        "re-rendered" if done["rendered"] else "preview panel redrawn (the storyboard waits at its gate)"
    emit(done, as_json, f"shot {shot} of episode {episode}: take {done['take']} {where}; frame {done['frame']}")


@shot_app.command("fix")
def fix_cmd(
    episode: EpisodeOpt,
    shot: Annotated[str, typer.Option("--shot", help="Shot id to fix.")],
    mask: Annotated[Path, typer.Option("--mask", help="PNG mask of the frame: white = repaint, black = keep.")],
    prompt: Annotated[str, typer.Option("--prompt", help="What the masked region should show.")],
    strength: Annotated[float, typer.Option("--strength", min=0.05, max=1.0,
                                            help="How far the region may move from today's pixels.")] = 0.9,
    preset: PresetOpt = None,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Inpaint a region of a shot's frame (needs a diffusion backend); the cut is re-assembled."""
    from showrunner.config import load_settings
    from showrunner.pipelines.fix import fix_shot
    from showrunner.pipelines.ledger import meter_for, project_ledger
    from showrunner.pipelines.project import Project

    proj = Project.open(project)
    settings = load_settings(proj.root, preset=preset)
    with proj.lock("showrunner shot fix"):
        record = fix_shot(proj, settings, episode, shot, mask, prompt, strength=strength)
        meter_for(project_ledger(proj.root, settings.prices)).renders(record["items"],
                                                                      {"episode": episode, "node": "shot fix"})
    emit(record, as_json, f"shot {shot} of episode {episode} fixed inside {mask} (stored as {record['frame']}); "
                          f"cut {'rebuilt' if record['cut_rendered'] else 'unchanged'}")


def verify_cmd(
    file: Annotated[Path, typer.Argument(help="A rendered image or video.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a file's C2PA manifest: valid or not, AI-generated label, signer; exit 1 when invalid or missing."""
    from showrunner.pipelines.provenance import verify

    result = verify(file)
    if result["valid"]:
        human = (f"{file}: valid C2PA manifest ({result['validation_state']}), signed by {result['signer']}, "
                 f"{'AI-generated' if result['ai_generated'] else result['digital_source_type']}")
    elif result["manifest"]:
        human = f"{file}: INVALID C2PA manifest ({', '.join(map(str, result['failures'])) or 'failed'})"
    else:
        human = f"{file}: no C2PA manifest ({result.get('error', 'none found')})"
    side = result.get("sidecar")
    if side and not as_json:
        human += "\n  " + ", ".join(f"{k}={v}" for k, v in side.items() if k != "references")[:300]
    emit(result, as_json, human)
    if not result["valid"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``render``, ``shot`` and ``verify`` to ``app``."""
    app.command("render")(render_cmd)
    app.command("verify")(verify_cmd)
    app.add_typer(shot_app, name="shot")
