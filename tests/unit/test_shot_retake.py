"""``showrunner shot retake``: a new seed for one shot re-renders that shot alone and re-assembles the cut; at the
storyboard gate it redraws that shot's preview panel; staged shot edits go in with ``showrunner approve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from showrunner.config import load_settings
from showrunner.pipelines import series
from showrunner.pipelines.overrides import load_takes, stage_edit
from showrunner.pipelines.project import Project
from showrunner.pipelines.render import read_state
from showrunner.pipelines.render_jobs import take_seed
from showrunner.testing import ScriptedLLM, story_responder

ENV = {"SHOWRUNNER_LLM": "scripted", "SHOWRUNNER_SCRIPTED_RESPONDER": "showrunner.testing:story_responder",
       "SHOWRUNNER_EMBEDDER": "hash", "SHOWRUNNER_TTS": "none"}


def cli(*args: str | Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SHOWRUNNER_"))} | ENV
    proc = subprocess.run([sys.executable, "-m", "showrunner.cli.main", *map(str, args), "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def at_storyboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    root = tmp_path / "series"
    series.new_series(root, "A harbour crew hunts a ghost ship", 1, auto_approve=frozenset({"bible", "script"}),
                      llm=ScriptedLLM(story_responder))
    return root


def test_take_seed_is_the_planned_seed_at_take_zero_and_stays_in_range() -> None:
    assert take_seed(12345, 0) == 12345
    assert take_seed(12345, 1) == 12345 + 1_000_003
    assert take_seed(2**31 - 1, 3) == (2**31 - 1 + 3_000_009) % 2**31 and 0 <= take_seed(2**31 - 1, 3) < 2**31
    assert len({take_seed(7, k) for k in range(50)}) == 50


def test_retake_redraws_one_panel_at_the_gate_then_rerenders_one_shot_after(at_storyboard: Path) -> None:
    root = at_storyboard
    pend = series.pending(Project.open(root))
    assert pend is not None and pend["gate"] == "storyboard"
    panels = pend["panels"]  # pictures before the gate
    ids = list(panels)
    assert len(ids) >= 3 and all(Path(p).read_bytes()[:4] == b"\x89PNG" for p in panels.values())
    out = cli("shot", "retake", "--episode", "1", "--shot", ids[0], "-p", root)
    assert out["take"] == 1 and not out["rendered"] and out["frame"] != panels[ids[0]]
    assert load_takes(Project.open(root), 1) == {ids[0]: 1}

    settings = load_settings(root)
    stage_edit(Project.open(root), settings, 1, ids[1], {"action": "The crew hauls the net aboard."})
    cli("approve", "-p", root)  # the staged edit goes in with the CLI's approval
    values = series.snapshot(Project.open(root)).values
    assert values["shots"][1].action == "The crew hauls the net aboard." and values["review"]["action"] == "edit"
    assert not json.loads((root / "renders" / "ep-001" / "overrides.json").read_text()).get("_edits")

    before = read_state(Project.open(root), 1)["shots"]
    assert before[ids[0]]["frame"] == out["frame"]  # the render kept the retaken panel's seed
    cut_before = (root / "renders" / "ep-001" / "ep-001.mp4").read_bytes()
    again = cli("shot", "retake", "--episode", "1", "--shot", ids[2], "-p", root)
    assert again["take"] == 1 and again["rendered"] and again["outputs"]["mp4"].endswith("ep-001.mp4")
    after = read_state(Project.open(root), 1)["shots"]
    assert {k for k in before if before[k]["frame"] != after[k]["frame"]} == {ids[2]}
    assert (root / "renders" / "ep-001" / "ep-001.mp4").read_bytes() != cut_before  # re-assembled
    booked = [json.loads(x) for x in (root / "logs" / "ledger.jsonl").read_text().splitlines()]
    # booked once each: the panel redrawn at the gate, then the one keyframe re-rendered after approval
    assert [r.get("shot") for r in booked if r.get("node") == "retake"] == [ids[0], ids[2]]
    assert len([r for r in booked if r.get("node") == "review_storyboard"]) == len(ids)  # the gate's panels
    log = [json.loads(x) for x in (root / "logs" / "decisions.jsonl").read_text().splitlines()]
    assert [(d["action"], d.get("shot")) for d in log if d.get("shot")] == [
        ("retake", ids[0]), ("edit shot", ids[1]), ("retake", ids[2])]
    bad = subprocess.run([sys.executable, "-m", "showrunner.cli.main", "shot", "retake", "--episode", "1",
                          "--shot", "../../etc", "-p", str(root)], capture_output=True, text=True,
                         env={**os.environ, **ENV}, timeout=120)
    assert bad.returncode == 2 and "has no shot" in bad.stderr and bad.stderr.count("\n") == 1
