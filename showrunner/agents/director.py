"""The director agent: shots per scene (fanned out with ``Send``); each shot's spec comes from the world.

The LLM only chooses framing, camera move, who is on screen and what happens. Everything a renderer
needs to keep characters consistent is filled by :func:`showrunner.world.shots.shot_spec` from the whole
world at that scene (not the writers' budgeted retrieval pack): the on-screen cast (speakers and people
named in the action included), their looks at that moment, the location's look, the prompt, the negative
prompt, the seed and the reference ids.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send

from showrunner.agents.drafts import ShotDraft, clip, shot_list
from showrunner.context import Context
from showrunner.memory.canon import Storyboard
from showrunner.models import Scene, Shot
from showrunner.prompts import render
from showrunner.state import SceneTask, SeriesState, usage_record
from showrunner.world.coverage import complete_scene
from showrunner.world.shots import clean_action, shot_spec

log = logging.getLogger(__name__)


def plan_storyboard(state: SeriesState) -> dict[str, Any]:
    """Start a storyboard round: clear the previous round's per-scene shots."""
    return {"scene_shots": {}}


def fan_out_scenes(state: SeriesState) -> list[Send]:
    """One director branch per scene."""
    script, bible = state["script"], state["bible"]
    assert script is not None and bible is not None
    notes = state.get("storyboard_notes") or []
    return [Send("plan_scene_shots", SceneTask(episode=state["episode"], scene=s, bible=bible, notes=notes,
                                               scenes=len(script.scenes)))
            for s in script.scenes]


def plan_scene_shots(task: SceneTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Shots for one scene: the model plans them, :func:`complete_scene` makes them fill the scene's time."""
    ctx, bible, scene, n = runtime.context, task["bible"], task["scene"], task["episode"]
    world = ctx.world(bible)
    plan = ctx.plan(bible)
    seconds = plan.scene_seconds(task.get("scenes") or 1)
    want = plan.shots_for(seconds) if seconds is not None else None
    loc = bible.location(scene.location) or bible.locations[0]
    names = [world.people.name(c) for c in (world.people.resolve(x) for x in scene.characters) if c]
    prompt = render("director/shots", episode=n, scene=scene, location=loc.name, characters=names,
                    summary=scene.summary or "(no summary)", max_shots=plan.max_shots_per_scene, shots=want,
                    shot_s=round(plan.average_shot_s, 1), seconds=round(seconds or 0), notes=task["notes"])
    gen = ctx.generate(prompt, shot_list(plan.max_shots_per_scene), episode=n, node="plan_scene_shots",
                       scene=scene.number)
    drafts = gen.value.shots[:plan.max_shots_per_scene] or [ShotDraft(action=clip(scene.summary, 200))]
    shots = [_shot(d, scene, k + 1, plan.max_shot_s) for k, d in enumerate(drafts)]
    for s in shots:  # a tiny model echoes field names ('frame', 'camera_move'): show the scene instead
        if len(clean_action(s.action).split()) < 3:
            s.action = clip(scene.summary, 300) or s.action
    shots, notes = complete_scene(shots, scene, names, seconds=seconds, plan=plan)
    if notes:
        log.info("episode %s scene %s: the model planned %s shot(s); %s", n, scene.number, len(drafts),
                 "; ".join(notes))
        ctx.progress("plan_completed", {"episode": n, "scene": scene.number, "planned": len(drafts),
                                        "shots": len(shots), "notes": notes})
    shots = [shot_spec(world, s, episode=n, scene=scene, style=bible.style_guide, title=bible.title) for s in shots]
    return {"scene_shots": {str(scene.number): shots},
            "usage": [usage_record(gen.usage, episode=n, node="plan_scene_shots", scene=scene.number)]}


def _shot(d: ShotDraft, scene: Scene, k: int, max_s: float) -> Shot:
    return Shot(scene=scene.number, number=k, framing=d.framing, camera_move=d.camera_move,
                duration=min(max(float(d.duration), 1.0), max_s), characters=[clip(c, 80) for c in d.characters],
                action=clip(d.action, 300))


def assemble_storyboard(state: SeriesState) -> dict[str, Any]:
    per_scene = state.get("scene_shots") or {}
    shots = [s for key in sorted(per_scene, key=int) for s in per_scene[key]]
    return {"shots": shots}


def storyboard_of(state: SeriesState) -> Storyboard:
    return Storyboard(episode=state["episode"], shots=state.get("shots") or [])


def render_episode(state: SeriesState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render through the context's hook (a no-op until the render pipeline is wired)."""
    ctx = runtime.context
    result = ctx.render(episode=state["episode"], shots=state.get("shots") or [], mode=ctx.mode,
                        script=state.get("script"))
    return {"render": result}
