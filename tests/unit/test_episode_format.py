"""Episode format: ``--episode-length`` parsing, the plan it implies per provider, and episodes that fill it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from showrunner.agents.drafts import ShotList
from showrunner.config import Settings
from showrunner.context import noop_render
from showrunner.errors import BadInput
from showrunner.memory.canon import Canon
from showrunner.models import DialogueLine, Scene, Shot
from showrunner.pipelines import series
from showrunner.pipelines.project import Project
from showrunner.pipelines.timing import plan as timeline
from showrunner.testing import ScriptedLLM, story_responder
from showrunner.world.coverage import complete_scene
from showrunner.world.format import (
    PRESETS,
    PROMPT_TOKENS,
    TOLERANCE,
    limits_for,
    parse_length,
    plan_episode,
)

ALL = frozenset({"all"})
PREMISE = "A harbor crew keeps a drowned city's tide gates running"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOWRUNNER_EMBEDDER", "hash")


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("7m", 420), ("1m30s", 90), ("1:30", 90), ("420", 420),
                                               ("2.5m", 150), ("7 min", 420), ("1h", 3600), ("social", 90),
                                               ("Broadcast", 420)])
def test_lengths_and_presets_parse(text: str, seconds: float) -> None:
    fmt = parse_length(text)
    assert fmt.target_s == seconds and fmt.min_s < seconds < fmt.max_s
    if text.lower() in PRESETS:
        assert fmt == PRESETS[text.lower()]
    else:
        assert fmt.min_s == pytest.approx(seconds * (1 - TOLERANCE), abs=0.1)
    assert parse_length("social").min_s == 60 and parse_length("social").max_s == 120


@pytest.mark.parametrize("text", ["7x", "", "m", "5s", "2h", "-3m", "1:75", "seven minutes"])
def test_bad_lengths_are_one_line_errors(text: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_length(text)
    assert "\n" not in str(err.value) and "--episode-length" in str(err.value)


def test_the_plan_follows_the_format_and_the_provider() -> None:
    broadcast, social = parse_length("broadcast"), parse_length("social")
    real = plan_episode(broadcast, limits_for("openai"))
    assert not real.clamped and real.target_s == 420 and real.max_scenes * real.shots_per_scene >= 60
    assert real.lines_per_scene >= 3 and real.memory_tokens == 4000
    short = plan_episode(social, limits_for("openai"))
    assert short.max_scenes < real.max_scenes and short.max_scenes * short.shots_per_scene * short.average_shot_s <= 120
    tiny = plan_episode(broadcast, limits_for("local"))  # the 135M model keeps small episodes
    assert tiny.clamped and tiny.max_scenes <= 4 and tiny.max_shots_per_scene <= 3 and tiny.lines_per_scene <= 3
    assert tiny.target_s is not None and tiny.target_s <= 4 * 3 * tiny.average_shot_s
    legacy = plan_episode(None, limits_for("local"))  # a series without a format: the shape it always had
    assert (legacy.min_scenes, legacy.max_scenes, legacy.shots_per_scene, legacy.lines_per_scene) == (2, 4, 3, 3)
    assert legacy.target_s is None and legacy.memory_tokens == 8192 // 16
    slower = plan_episode(broadcast, limits_for("openai"), average_shot_s=7.0)  # the style guide's pacing
    assert slower.shots_per_scene < real.shots_per_scene


def test_memory_budget_follows_the_context_window_and_leaves_room_for_the_reply() -> None:
    windowed = Settings(llm="openai", context_window=32_000, max_scenes=20).limits()
    assert windowed.context_window == 32_000 and windowed.max_scenes == 20
    assert plan_episode(PRESETS["broadcast"], windowed).memory_tokens == 2000
    for provider in ("local", "scripted", "openai"):
        for fmt in (None, *PRESETS.values(), parse_length("20m")):
            p = plan_episode(fmt, limits_for(provider))
            reply = p.max_scenes * (60 + p.lines_per_scene * 25)
            assert PROMPT_TOKENS + p.memory_tokens + reply <= limits_for(provider).context_window // 2
    assert plan_episode(None, limits_for("local"), memory_tokens=123).memory_tokens == 123  # the setting wins


def test_a_short_shot_plan_is_completed_from_the_scene_beats() -> None:
    lines = [DialogueLine(speaker=w, text=f"Line {i} about the gates and the water tonight.")
             for i, w in enumerate(["Mira Vale", "Oren Pike"] * 3)]
    scene = Scene(number=2, location="harbor", characters=["Mira Vale", "Oren Pike"], dialogue=lines,
                  summary="Mira finds the gate jammed. Oren refuses to help. They argue in the rain.")
    planned = [Shot(scene=2, duration=2.0, action="Mira pulls at the gate lever."),
               Shot(scene=2, duration=2.0, action="Oren watches from the quay.")]
    p = plan_episode(PRESETS["broadcast"], limits_for("openai"))
    shots, notes = complete_scene(planned, scene, ["Mira Vale", "Oren Pike"], seconds=52.5, plan=p)
    assert len(shots) >= p.shots_for(52.5) > 2 and any("coverage" in n for n in notes)
    assert 52.5 * (1 - TOLERANCE) <= sum(s.duration for s in shots) <= 52.5 * (1 + TOLERANCE)
    assert [s.number for s in shots] == list(range(1, len(shots) + 1))
    assert [d for s in shots for d in s.dialogue] == lines  # every line, in order
    kinds = {s.framing.value for s in shots}
    assert {"wide", "over_shoulder", "extreme_close_up", "close_up"} <= kinds  # establishing, reverse, insert, reaction
    assert all(s.duration >= 1.5 and (s.dialogue or s.duration <= p.max_shot_s) for s in shots)
    said = [s for s in shots if s.dialogue]
    assert all(s.duration >= len(" ".join(d.text for d in s.dialogue).split()) / 2.5 for s in said)  # speech fits


def _episode(tmp_path: Path, length: str | None, llm: ScriptedLLM) -> tuple[Path, list[Shot], float]:
    root = tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 1, llm=llm, auto_approve=ALL, render=noop_render,
                               episode_length=length)
    assert res["status"] == "done"
    shots = Canon(root / "canon").storyboard(1) or []
    return root, shots, timeline(shots, 12).seconds


def test_broadcast_plans_sixty_shots_and_seven_minutes(tmp_path: Path) -> None:
    llm = ScriptedLLM(story_responder)
    root, shots, seconds = _episode(tmp_path, "broadcast", llm)
    assert len(shots) >= 60 and 420 * 0.85 <= seconds <= 420 * 1.15, (len(shots), seconds)
    assert json.loads((root / "project.json").read_text())["episode_format"]["target_s"] == 420
    script = llm.calls("writer/script")[0]
    assert "Write 8 scenes for an episode of about 7.0 minutes" in script.text and "about 5 lines" in script.text
    assert script.schema.model_json_schema()["properties"]["scenes"]["maxItems"] >= 8  # the schema allows it
    shot_call = llm.calls("director/shots")[0]
    assert issubclass(shot_call.schema, ShotList) and "Plan 13 shots" in shot_call.text
    ctx = series.build_context(Project.open(root), series.load_settings(root), llm=llm, render=noop_render)
    assert ctx.plan().target_s == 420  # later episodes and nightly drafts read the stored format


def test_social_runs_one_to_two_minutes(tmp_path: Path) -> None:
    _, shots, seconds = _episode(tmp_path, "social", ScriptedLLM(story_responder))
    assert 60 <= seconds <= 120 and len(shots) >= 15


def lazy(prompt: Any, schema: Any) -> Any:
    """A model that plans two short shots whatever it is asked for."""
    if schema.__name__ == "ShotList":
        return {"shots": [{"framing": "medium", "action": "They talk by the gate.", "duration": 2.0},
                          {"framing": "close_up", "action": "Mira looks at the water.", "duration": 1.5}]}
    return story_responder(prompt, schema)


def test_a_lazy_director_still_fills_the_format(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="showrunner.agents.director"):
        _, shots, seconds = _episode(tmp_path, "7m", ScriptedLLM(lazy))
    assert len(shots) >= 60 and 420 * 0.85 <= seconds <= 420 * 1.15, (len(shots), seconds)
    assert "coverage shot" in caplog.text and "planned 2 shot(s)" in caplog.text


def test_the_local_provider_keeps_small_episodes(tmp_path: Path) -> None:
    llm = ScriptedLLM(story_responder)
    llm.provider = "local"  # the limits follow the provider: the embedded 135M model's
    _, shots, seconds = _episode(tmp_path, "broadcast", llm)
    assert len(shots) <= 4 * 3 and seconds < 120
    none = ScriptedLLM(story_responder)
    none.provider = "local"
    _, shots, _ = _episode(tmp_path / "default", None, none)  # no format: the small shape of before
    assert 0 < len(shots) <= 4 * 3


def test_cli_new_plans_a_broadcast_episode_and_refuses_bad_lengths(tmp_path: Path) -> None:
    from test_series_cli import cli, js

    bad = cli("new", "A harbor crew", "-p", tmp_path / "bad", "--episode-length", "7x")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--episode-length '7x'" in bad.stderr
    assert not (tmp_path / "bad").exists()  # nothing half-written
    out = js(cli("new", "A harbor crew", "-n", "1", "-p", tmp_path / "P", "--episode-length", "7m",
                 "--auto-approve", "bible,script", "--json"))
    pend = out["pending"]
    assert pend["gate"] == "storyboard" and pend["episode"] == 1 and len(pend["artifact"]["shots"]) >= 60
    assert 420 * 0.85 <= sum(s["duration"] for s in pend["artifact"]["shots"]) <= 420 * 1.15


@pytest.mark.slow
def test_the_broadcast_cut_runs_seven_minutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real assembled preview cut (preview frames, silent), not only the planned timeline."""
    import av

    monkeypatch.setenv("SHOWRUNNER_TTS", "none")
    root = tmp_path / "s"
    _, res = series.new_series(root, PREMISE, 1, llm=ScriptedLLM(story_responder), episode_length="broadcast",
                               auto_approve=frozenset({"bible", "script", "storyboard"}))
    assert res["pending"]["gate"] == "final" and len(res["pending"]["artifact"]["shots"]) >= 60
    with av.open(str(root / "renders" / "ep-001" / "ep-001.mp4")) as cut:
        seconds = (cut.duration or 0) / 1e6
    assert 420 * 0.85 <= seconds <= 420 * 1.15, seconds
